import assert from "node:assert/strict";
import { tokenFor } from "./support/auth";
import { setTimeout as sleep } from "node:timers/promises";
import { before, describe, test } from "node:test";
import { NextBestOffersDocument, UnifiedViewDocument } from "../schema/generated/operations";
import { freshCustomer } from "./support/customers";
import { eventually, within } from "./support/eventually";
import { dataOf, startTestGateway, testServices, type TestGateway } from "./support/gateway";
import { eventId, INGEST, LiveClient, processed, subscriptionsOn, testRedis, type Collector } from "./support/live";
import { CuttableProxy } from "./support/proxy";
import { keys, STREAM_SOURCE } from "../src/platform/keys";

/** Outages and recoveries are noticed by health checks and reconnects on their own schedule: polled, within 20 s. */
const RECOVERY = { timeoutMs: 20_000 };

describe("service outages fail fast, show in /readyz, and heal by themselves", () => {
  let gw: TestGateway;
  let neo4jProxy: CuttableProxy;
  let redisProxy: CuttableProxy;

  before(async () => {
    const real = testServices();
    neo4jProxy = await CuttableProxy.start(real.neo4j.uri);
    redisProxy = await CuttableProxy.start(real.redisUrl);
    gw = await startTestGateway({
      neo4j: { ...real.neo4j, uri: neo4jProxy.through(real.neo4j.uri) },
      redisUrl: redisProxy.through(real.redisUrl),
      realtime: { retryAfterMs: 300, maxAttempts: 2 },
    });
  });

  const ready = async (): Promise<{ status: number; body: Record<string, string> }> => {
    const res = await fetch(`${gw.origin}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };

  test("Neo4j down: SERVICE_UNAVAILABLE within seconds, /readyz red, then recovery", async () => {
    assert.equal(dataOf(await gw.request(UnifiedViewDocument, { id: "C0000002" })).customer?.id, "C0000002");
    assert.equal((await ready()).status, 200);

    await neo4jProxy.cut();
    const started = Date.now();
    const res = await gw.request(UnifiedViewDocument, { id: "C0000003" });
    const elapsed = Date.now() - started;
    assert.equal(res.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(res.errors));
    assert.match(res.errors?.[0]?.message ?? "", /graph database is unavailable/);
    assert.ok(elapsed < 5_000, `the error must come fast, took ${elapsed} ms`);
    const down = await ready();
    assert.equal(down.status, 503);
    // Which service is down, not the driver's message (it names hosts and ports): that goes to the log.
    assert.deepEqual(down.body, { status: "unavailable", neo4j: "unavailable", redis: "ok" });

    await neo4jProxy.restore();
    await eventually(async () => assert.equal((await ready()).status, 200), { what: "readiness after Neo4j returns", ...RECOVERY });
    assert.equal(dataOf(await gw.request(UnifiedViewDocument, { id: "C0000003" })).customer?.id, "C0000003");
  });

  test("Redis down: decisions fail fast with SERVICE_UNAVAILABLE, /readyz red, and both come back", async () => {
    // Deciding writes to the customer's trajectory: a fresh customer of this file's own.
    const customerId = (await freshCustomer({ where: (g) => g.customer.dndList !== "BLACK" })).customer.id;
    const decide = () => gw.request(NextBestOffersDocument, { customerId, channel: "HOTLINE", limit: 1 });
    assert.equal(dataOf(await decide()).nextBestOffers.length, 1);
    await redisProxy.cut();
    await eventually(async () => assert.equal((await ready()).status, 503), { what: "readiness to notice Redis is gone", ...RECOVERY });
    assert.notEqual((await ready()).body.redis, "ok");
    const started = Date.now();
    const res = await decide();
    assert.equal(res.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(res.errors));
    assert.match(res.errors?.[0]?.message ?? "", /Redis is unavailable/);
    assert.ok(Date.now() - started < 5_000, "the error comes fast");
    await redisProxy.restore();
    await eventually(async () => assert.equal((await ready()).status, 200), { what: "readiness after Redis returns", ...RECOVERY });
    await eventually(async () => assert.equal((await decide()).data?.nextBestOffers.length, 1), { what: "decisions after Redis returns", ...RECOVERY });
  });

  test("events during a Neo4j outage: ingestEvents fails fast, stream events wait and are processed once it is back, not parked", async () => {
    const redis = testRedis();
    // The caller exists before Neo4j goes; its trajectory gets the decisions: a fresh customer of this file's own.
    const customerId = (await freshCustomer()).customer.id;
    await neo4jProxy.cut();
    const started = Date.now();
    const res = await gw.raw(INGEST, { events: [{ id: eventId("down"), customerId, type: "PLAN_QUERY" }] });
    assert.equal(res.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(res.errors));
    assert.ok(Date.now() - started < 5_000, "the error comes fast");
    // A feed writes to the stream directly; Redis is up, so the event is taken in.
    const id = eventId("waits");
    await redis.xadd(keys.events.stream(), "*", "id", id, "customerId", customerId, "type", "HOTLINE_CALL_START", "at", new Date().toISOString(), "payload", JSON.stringify({ agentId: "A-outage" }));
    await eventually(async () => assert.notEqual(await redis.hget(keys.events.state(STREAM_SOURCE, id), "error"), null), { what: "the first attempt to fail", ...RECOVERY });
    // A fixed wait on purpose: what is tested is that nothing happens meanwhile. Many times the retry
    // interval (300 ms × 2 attempts): had retries continued, the event would be parked by now.
    await sleep(2_000);
    assert.equal(await redis.hget(keys.events.state(STREAM_SOURCE, id), "state"), "processing", "waiting for Neo4j, not parked");
    assert.match((await redis.hget(keys.events.state(STREAM_SOURCE, id), "error")) ?? "", /attempt 1: The graph database is unavailable/);
    await neo4jProxy.restore();
    assert.equal((await processed(redis, [id], 20_000)).get(id), "done");
    const pushed = (await redis.xrange(keys.push.agent("A-outage"), "-", "+")).map(([, f]) => (JSON.parse(f[1] ?? "{}") as { event: { id: string } }).event.id);
    assert.deepEqual(pushed, [id]);
  });

  test("Redis down: live subscribers are told to reconnect (1012) rather than silently miss pushes; subscribing works again once it is back", async () => {
    const DESK = `subscription { deskFeed(agentId: "A-redis-outage") { cursor } }`;
    const hub = gw.app.services.realtime.hub;
    // The desk feed below is agent A-redis-outage's: its sockets carry that agent's token.
    const before = new LiveClient(gw.url, tokenFor({ agentId: "A-redis-outage" }));
    const during = new LiveClient(gw.url, tokenFor({ agentId: "A-redis-outage" }));
    const afterwards = new LiveClient(gw.url, tokenFor({ agentId: "A-redis-outage" }));
    before.subscribe(DESK);
    await subscriptionsOn(gw, 1, RECOVERY.timeoutMs);
    await redisProxy.cut();
    assert.equal(await within(before.closed, { what: "its socket to close" }), 1012);
    assert.equal(hub.size, 0);
    const refused = during.subscribe(DESK);
    await refused.ended();
    assert.equal(refused.errors[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(refused.errors));
    await redisProxy.restore();
    await eventually(async () => assert.equal((await ready()).status, 200), { what: "readiness after Redis returns", ...RECOVERY });
    // Until the push channel is subscribed again a new subscription is refused: try again each time one is.
    let attempt: Collector<Record<string, unknown>> = afterwards.subscribe(DESK);
    await eventually(
      () => {
        if (attempt.over) attempt = afterwards.subscribe(DESK);
        assert.equal(hub.size, 1);
      },
      { what: "a new subscription", ...RECOVERY },
    );
  });
});
