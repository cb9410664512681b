import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NextBestOffersDocument, UnifiedViewDocument } from "../schema/generated/operations";
import { dataOf, startTestGateway, testServices, type TestGateway } from "./support/gateway";
import { eventId, INGEST, LiveClient, processed, testRedis } from "./support/live";
import { CuttableProxy } from "./support/proxy";

/** Polls `check` until it holds or `ms` pass; outages and recoveries are asynchronous by nature. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what} did not happen within ${ms} ms`);
}

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
  after(async () => {
    await gw.close();
    await Promise.all([neo4jProxy.cut(), redisProxy.cut()]);
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
    assert.notEqual(down.body.neo4j, "ok");
    assert.equal(down.body.redis, "ok");

    await neo4jProxy.restore();
    await eventually("readiness after Neo4j returns", async () => (await ready()).status === 200);
    assert.equal(dataOf(await gw.request(UnifiedViewDocument, { id: "C0000003" })).customer?.id, "C0000003");
  });

  test("Redis down: decisions fail fast with SERVICE_UNAVAILABLE, /readyz red, and both come back", async () => {
    // C0002398 is in the decision tests' range: deciding writes to its trajectory.
    const decide = () => gw.request(NextBestOffersDocument, { customerId: "C0002398", channel: "HOTLINE", limit: 1 });
    assert.equal(dataOf(await decide()).nextBestOffers.length, 1);
    await redisProxy.cut();
    await eventually("readiness to notice Redis is gone", async () => (await ready()).status === 503);
    assert.notEqual((await ready()).body.redis, "ok");
    const started = Date.now();
    const res = await decide();
    assert.equal(res.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(res.errors));
    assert.match(res.errors?.[0]?.message ?? "", /Redis is unavailable/);
    assert.ok(Date.now() - started < 5_000, "the error comes fast");
    await redisProxy.restore();
    await eventually("readiness after Redis returns", async () => (await ready()).status === 200);
    await eventually("decisions after Redis returns", async () => (await decide()).data?.nextBestOffers.length === 1);
  });

  test("events during a Neo4j outage: ingestEvents fails fast, stream events wait and are processed once it is back, not parked", async () => {
    const redis = testRedis();
    try {
      await neo4jProxy.cut();
      const started = Date.now();
      const res = await gw.raw(INGEST, { events: [{ id: eventId("down"), customerId: "C0002960", type: "PLAN_QUERY" }] });
      assert.equal(res.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(res.errors));
      assert.ok(Date.now() - started < 5_000, "the error comes fast");
      // A feed writes to the stream directly; Redis is up, so the event is taken in.
      const id = eventId("waits");
      await redis.xadd("events:stream", "*", "id", id, "customerId", "C0002960", "type", "HOTLINE_CALL_START", "at", new Date().toISOString(), "payload", JSON.stringify({ agentId: "A-outage" }));
      await eventually("the first attempt to fail", async () => (await redis.hget(`events:state:${id}`, "error")) !== null);
      // Many times the retry interval (300 ms × 2 attempts): had retries continued, it would be parked by now.
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(await redis.hget(`events:state:${id}`, "state"), "processing", "waiting for Neo4j, not parked");
      assert.match((await redis.hget(`events:state:${id}`, "error")) ?? "", /attempt 1: The graph database is unavailable/);
      await neo4jProxy.restore();
      assert.equal((await processed(redis, [id], 20_000)).get(id), "done");
      const pushed = (await redis.xrange("push:agent:A-outage", "-", "+")).map(([, f]) => (JSON.parse(f[1] ?? "{}") as { event: { id: string } }).event.id);
      assert.deepEqual(pushed, [id]);
    } finally {
      redis.disconnect();
    }
  });

  test("Redis down: live subscribers are told to reconnect (1012) rather than silently miss pushes; subscribing works again once it is back", async () => {
    const DESK = `subscription { deskFeed(agentId: "A-redis-outage") { cursor } }`;
    const hub = gw.app.services.realtime.hub;
    const before = new LiveClient(gw.url);
    const during = new LiveClient(gw.url);
    const afterwards = new LiveClient(gw.url);
    try {
      before.subscribe(DESK);
      await eventually("the subscription to register", async () => hub.size === 1);
      await redisProxy.cut();
      await eventually("its socket to close with 1012", async () => before.closedWith === 1012, 10_000);
      assert.equal(hub.size, 0);
      const refused = during.subscribe(DESK);
      await refused.ended();
      assert.equal(refused.errors[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(refused.errors));
      await redisProxy.restore();
      await eventually("readiness after Redis returns", async () => (await ready()).status === 200);
      await eventually("a new subscription", async () => {
        if (hub.size === 0) afterwards.subscribe(DESK);
        await new Promise((r) => setTimeout(r, 300));
        return hub.size >= 1;
      });
    } finally {
      await Promise.all([before.close(), during.close(), afterwards.close()]);
    }
  });
});
