import assert from "node:assert/strict";
import { once } from "node:events";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { NextBestOffersDocument } from "../schema/generated/operations";
import { keys } from "../src/platform/keys";
import { scanKeys } from "../src/platform/redis";
import { tokenFor } from "./support/auth";
import { freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { eventId, INGEST, LiveClient, openPolicy, processed, subscriptionsOn, type IngestData } from "./support/live";
import { leftover } from "./support/leftovers";
import { startRedisCluster, type LaunchedRedisCluster } from "./support/redis-cluster";
import { Cluster } from "ioredis";
import type { PubSub } from "../src/platform/pubsub";

/**
 * Issue 15, point 1: the gateway on a real Redis Cluster (6 redis-server nodes: three primaries,
 * each with a replica; see ./support/redis-cluster.ts). Two gateways share it as replicas: A
 * decides every event, B's consumer is stopped, so a push a subscriber on B receives was published
 * by A's script on the primary of the realtime slot and crossed the cluster bus to the node B
 * listens on. Any script or MULTI whose keys are in two slots is refused by the cluster itself
 * (CROSSSLOT), so every path run here also checks the key layout (src/platform/keys.ts).
 */

const DESK = `subscription ($agentId: ID!, $since: String) { deskFeed(agentId: $agentId, since: $since) { cursor customerId event { id } } }`;
interface DeskData {
  deskFeed: { cursor: string; customerId: string; event: { id: string } };
}

const PREFIX = `test:${process.pid}:`;
/** Events of the failover test, in batches of 4 (about 60 s for the whole file on the shared 2-core machine). */
const EVENTS = 96;

let cluster: LaunchedRedisCluster;
let a: TestGateway;
let b: TestGateway;
let redis: Redis;

before(async () => {
  cluster = await startRedisCluster();
  a = await startTestGateway({
    redisUrl: cluster.url,
    realtime: { retryAfterMs: 500 },
    decisionWriter: { claimAfterMs: 1_000, lingerMs: 20 },
  });
  b = await startTestGateway({ redisUrl: cluster.url });
  // B decides nothing and writes nothing: whatever its subscribers get came from A through the cluster.
  await b.app.services.realtime.consumer.stop();
  await b.app.services.decisioning.writer.stop();
  await openPolicy(a);
  redis = leftover(
    "Redis Cluster client",
    new Cluster(
      cluster.url
        .slice("redis+cluster://".length)
        .split(",")
        .map((n) => ({ host: "127.0.0.1", port: Number(n.split(":")[1]) })),
      { keyPrefix: PREFIX },
    ) as unknown as Redis,
    (r) => r.disconnect(),
  );
  if (redis.status !== "ready") await once(redis, "ready");
});

/** The node (port) serving a key's slot as primary now. */
async function primaryOfKey(key: string): Promise<number> {
  const slot = Number(await redis.cluster("KEYSLOT", `${PREFIX}${key}`));
  return (await cluster.primaryOf(slot)).port;
}

describe("the gateway on a Redis Cluster", () => {
  test("keys are hash-tagged by design: a customer's contact-policy keys share a slot, customers spread over the primaries, realtime and write-behind keep one slot each", async () => {
    const slot = async (key: string): Promise<number> => Number(await redis.cluster("KEYSLOT", `${PREFIX}${key}`));
    const customer = "C0000042";
    const policySlots = new Set(
      await Promise.all([keys.policy.contacts(customer, "SMS"), keys.policy.cooldowns(customer), keys.policy.responses(customer), keys.policy.ignored(customer, "OF01")].map(slot)),
    );
    assert.equal(policySlots.size, 1, "one customer's policy keys in one slot");
    const realtime = new Set(
      await Promise.all([keys.events.stream(), keys.events.state("stream", "e1"), keys.events.parked(), keys.push.all(), keys.push.customer(customer), keys.push.agent("A1")].map(slot)),
    );
    assert.equal(realtime.size, 1, "the realtime scripts' keys in one slot");
    const writeBehind = new Set(await Promise.all([keys.decisions.stream(), keys.decisions.queued("D1"), keys.decisions.queuedContacts(customer), keys.decisions.parked()].map(slot)));
    assert.equal(writeBehind.size, 1, "the write-behind MULTI's keys in one slot");
    const primaries = new Set(await Promise.all(Array.from({ length: 30 }, (_, i) => primaryOfKey(keys.policy.cooldowns(`C${String(i).padStart(7, "0")}`)))));
    assert.equal(primaries.size, 3, "30 customers' policy keys spread over all three primaries");
  });

  test("the cluster is the check: a script touching a key of another slot is refused", async () => {
    await assert.rejects(redis.eval("return redis.call('GET', 'elsewhere')", 1, keys.events.stream()), /non local key|CROSSSLOT/);
    await assert.rejects(redis.eval("return 1", 2, keys.events.stream(), keys.decisions.stream()), /CROSSSLOT|same slot/);
  });

  test("ioredis 6's sharded pub/sub works one channel per SSUBSCRIBE (tried, not relied on: docs/OPERATIONS.md)", async () => {
    const seeds = cluster.nodeList.split(",").map((n) => ({ host: "127.0.0.1", port: Number(n.split(":")[1]) }));
    const sub = leftover("sharded subscriber", new Cluster(seeds, { shardedSubscribers: true }), (c) => c.disconnect());
    const got: string[] = [];
    sub.on("smessage", (channel: string, message: string) => got.push(`${channel}=${message}`));
    const [c1, c2] = [`${PREFIX}s:one`, `${PREFIX}s:two`];
    assert.notEqual(Number(await redis.cluster("KEYSLOT", c1)), Number(await redis.cluster("KEYSLOT", c2)), "two channels of two slots");
    await assert.rejects(sub.ssubscribe(c1, c2), /CROSSSLOT/, "channels of several slots in one SSUBSCRIBE are refused");
    await sub.ssubscribe(c1);
    await sub.ssubscribe(c2);
    // A publisher without the key prefix: ioredis would prefix SPUBLISH's channel, which Redis declares as a key.
    const publisher = leftover("sharded publisher", new Cluster(seeds), (c) => c.disconnect());
    await publisher.spublish(c1, "1");
    await publisher.spublish(c2, "2");
    await eventually(() => assert.deepEqual(got.sort(), [`${c1}=1`, `${c2}=2`]), { what: "both sharded messages" });
  });

  test("contact-policy screening: the cap holds across both gateways, whichever primary holds the customer", async () => {
    const ids = await freshIds(6);
    for (const id of ids) {
      const customer = {
        id,
        doNotDisturb: false,
        channels: [],
      } as unknown as Parameters<typeof a.app.services.contactPolicy.screen>[0];
      const at = new Date();
      // Two replicas reserve the same customer's SMS at once, 5 decisions each, with a cap of 1000 per week (openPolicy).
      const [ra, rb] = await Promise.all([
        a.app.services.contactPolicy.reserve(id, "SMS", ["a1", "a2", "a3", "a4", "a5"], at),
        b.app.services.contactPolicy.reserve(id, "SMS", ["b1", "b2", "b3", "b4", "b5"], at),
      ]);
      assert.equal(ra.granted + rb.granted, 10);
      const screen = await b.app.services.contactPolicy.screen(customer, "SMS", [], at);
      assert.equal(screen.blocked, null);
      assert.equal(await redis.zcard(keys.policy.contacts(id, "SMS")), 10, "every reservation counted once");
    }
    const holders = new Set(await Promise.all(ids.map((id) => primaryOfKey(keys.policy.contacts(id, "SMS")))));
    assert.ok(holders.size >= 2, `the customers' counts sit on ${holders.size} primaries`);
  });

  test("an event ingested on B, decided on A, reaches subscribers on both gateways (cross-node pub/sub), once each", async () => {
    const agentId = `A${process.pid}-cl`;
    const realtimePrimary = await primaryOfKey(keys.push.all());
    // The wiring's pub/sub (src/main/wiring.ts Wired), which App types only as Services.
    for (const gw of [a, b])
      assert.notEqual((gw.app.services as unknown as { pubsub: PubSub }).pubsub.endpoint, `127.0.0.1:${realtimePrimary}`, "the push channel is heard on a replica node, not where it is published");
    const subA = new LiveClient(a.url, tokenFor({ agentId })).subscribe<DeskData>(DESK, { agentId });
    const subB = new LiveClient(b.url, tokenFor({ agentId })).subscribe<DeskData>(DESK, { agentId });
    await subscriptionsOn(a, 1);
    await subscriptionsOn(b, 1);
    const events = (await freshIds(3)).map((customerId) => ({
      id: eventId("cl"),
      customerId,
      type: "HOTLINE_CALL_START",
      payload: { agentId },
    }));
    const answer = dataOf(await b.raw<IngestData>(INGEST, { events })).ingestEvents;
    assert.equal(answer.accepted, 3);
    const gotA = (await subA.atLeast(3, 30_000)).map((d) => d.deskFeed);
    const gotB = (await subB.atLeast(3, 30_000)).map((d) => d.deskFeed);
    assert.deepEqual(new Set(gotB.map((u) => u.event.id)), new Set(events.map((e) => e.id)));
    assert.deepEqual(gotA, gotB, "the same pushes and cursors on both gateways");
    assert.equal(b.app.services.realtime.consumer.stats.processed, 0, "B decided none of them");
  });

  test("decisions written behind the answer reach the graph, each once", async () => {
    const customers = await freshIds(6);
    const made = (
      await Promise.all(
        customers.map(
          async (customerId) =>
            dataOf(
              await a.request(NextBestOffersDocument, {
                customerId,
                channel: "HOTLINE",
                limit: 2,
              }),
            ).nextBestOffers,
        ),
      )
    ).flat();
    assert.ok(made.length >= 6, "decisions made");
    const graph = testGraph();
    await eventually(
      async () => {
        const rows = await graph.session().read<{ n: number }>(`UNWIND $ids AS id MATCH (d:Decision {id: id}) RETURN count(d) AS n`, { ids: made.map((d) => d.id) });
        assert.equal(Number(rows[0]?.n), made.length);
      },
      { what: "every decision in the graph", timeoutMs: 20_000 },
    );
    assert.equal(await redis.exists(...made.map((d) => keys.decisions.queued(d.id))), 0, "the queued copies are gone (one slot: one EXISTS)");
    // rate-limiter-flexible took the Cluster client as it is: the decisions were charged there (one key per budget and principal).
    assert.ok((await scanKeys(redis, `${PREFIX}${keys.rateLimit("decisions")}:*`)).length > 0, "the decisions budget is counted in the cluster");
  });

  test("a primary killed under load: its replica takes over; no accepted event or decision is lost, none pushed twice, the errors meanwhile are typed", async () => {
    const agentId = `A${process.pid}-fo`;
    const customers = await freshIds(24);
    // A subscriber that reconnects with since=<last cursor> whenever its socket is closed (1012
    // when its gateway's pub/sub node went away), as a desk client does.
    const received: DeskData["deskFeed"][] = [];
    let stopped = false;
    let connections = 0;
    const follow = async (): Promise<void> => {
      while (!stopped) {
        connections += 1;
        const live = new LiveClient(b.url, tokenFor({ agentId }));
        const since = received.at(-1)?.cursor ?? null;
        const sub = live.subscribe<DeskData>(DESK, { agentId, since });
        let seen = 0;
        const drain = setInterval(() => {
          for (; seen < sub.items.length; seen++) received.push(sub.items[seen]!.deskFeed);
        }, 5);
        await Promise.race([live.closed, sub.ended(600_000).catch(() => undefined), until(() => stopped)]);
        clearInterval(drain);
        for (; seen < sub.items.length; seen++) received.push(sub.items[seen]!.deskFeed);
        await live.close();
      }
    };
    await subscriptionsOn(b, 0);
    const following = follow();
    await subscriptionsOn(b, 1);

    const errors: Array<{ code: string; message: string }> = [];
    const typed = (res: GraphQLResponse<unknown>): boolean => {
      for (const e of res.errors ?? [])
        errors.push({
          code: String(e.extensions?.code ?? "none"),
          message: e.message,
        });
      return !res.errors?.length;
    };
    // Load: batches of 4 events, each batch sent until accepted (the same ids: a retry is deduplicated), and decisions.
    const accepted: string[] = [];
    let next = 0;
    const ingestLoad = async (): Promise<void> => {
      while (next < EVENTS && !stopped) {
        const batch = Array.from({ length: 4 }, () => ({
          id: eventId("fo"),
          customerId: customers[next++ % customers.length]!,
          type: "HOTLINE_CALL_START",
          payload: { agentId },
        }));
        while (!stopped) {
          const res = await b.raw<IngestData>(INGEST, { events: batch }).catch(
            (error: unknown) =>
              ({
                status: 0,
                errors: [{ message: String(error), extensions: { code: "NETWORK" } }],
                roundTrips: 0,
                headers: new Headers(),
              }) as GraphQLResponse<IngestData>,
          );
          if (typed(res)) {
            const answer = (res.data as IngestData).ingestEvents;
            assert.equal(answer.accepted + (answer.duplicates ?? 0), batch.length, "every event of a retried batch is accepted or a duplicate of an accepted one");
            accepted.push(...batch.map((e) => e.id));
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const decided: string[] = [];
    const decisionLoad = async (): Promise<void> => {
      for (let i = 0; next < EVENTS && !stopped; i++) {
        const res = await a.request(NextBestOffersDocument, {
          customerId: customers[i % customers.length]!,
          channel: "APP",
          limit: 1,
        });
        if (typed(res)) decided.push(...(res.data?.nextBestOffers ?? []).map((d) => d.id));
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const load = Promise.all([ingestLoad(), ingestLoad(), decisionLoad()]);
    try {
      // Kill the primary of the realtime slot once the load is under way.
      await eventually(() => assert.ok(accepted.length >= EVENTS / 4), {
        what: "a quarter of the events accepted before the kill",
        timeoutMs: 30_000,
      });
      const victimPort = await primaryOfKey(keys.events.stream());
      const victim = cluster.nodes.find((n) => n.port === victimPort)!;
      const killedAt = Date.now();
      await victim.kill();
      await cluster.healthy(30_000);
      const tookMs = Date.now() - killedAt;
      const promoted = await primaryOfKey(keys.events.stream());
      assert.notEqual(promoted, victimPort, "a replica was promoted");
      await load;

      // Nothing lost: every accepted event was processed and pushed exactly once.
      const states = await processed(redis, accepted, 60_000);
      assert.ok(
        [...states.values()].every((s) => s === "done"),
        "every accepted event was processed",
      );
      await eventually(() => assert.ok(new Set(received.map((u) => u.event.id)).size >= accepted.length), {
        what: `${accepted.length} pushes to the follower`,
        timeoutMs: 60_000,
      });
      stopped = true;
      await following;
      // The dead primary may have taken pushes it had not yet sent over the cluster bus: B, seeing
      // a primary go, closed its subscribers' sockets (1012) so they replayed from the promoted copy.
      assert.ok(connections >= 2, "the failover made the follower reconnect with since");
      const counts = new Map<string, number>();
      for (const u of received) counts.set(u.event.id, (counts.get(u.event.id) ?? 0) + 1);
      assert.deepEqual(
        [...counts].filter(([, n]) => n > 1),
        [],
        "no event pushed twice",
      );
      assert.deepEqual(
        accepted.filter((id) => !counts.has(id)),
        [],
        "every accepted event pushed",
      );
      const pushed = (await redis.xrange(keys.push.all(), "-", "+"))
        .map(
          ([, f]) =>
            JSON.parse(f[1] ?? "{}") as {
              agentId?: string;
              event: { id: string };
            },
        )
        .filter((p) => p.agentId === agentId);
      assert.equal(pushed.length, new Set(pushed.map((p) => p.event.id)).size, "push:all holds each event once");

      // Decisions made during the failover all reach the graph, once.
      assert.ok(decided.length > 0, "decisions were made during the failover");
      const graph = testGraph();
      await eventually(
        async () => {
          const rows = await graph.session().read<{ id: string; n: number }>(`UNWIND $ids AS id MATCH (d:Decision {id: id}) RETURN id, count(d) AS n`, { ids: decided });
          assert.equal(rows.length, decided.length, "every decision in the graph");
          assert.ok(
            rows.every((r) => Number(r.n) === 1),
            "each once",
          );
        },
        { what: "the failover's decisions in the graph", timeoutMs: 30_000 },
      );

      // The errors seen meanwhile: each a SERVICE_UNAVAILABLE with a message saying what to do.
      const unexpected = errors.filter((e) => e.code !== "SERVICE_UNAVAILABLE");
      assert.deepEqual(unexpected, [], "only SERVICE_UNAVAILABLE during the failover");
      for (const e of errors) assert.match(e.message, /redis|Redis/, "the message names what is unavailable");
      console.error(`failover: ${accepted.length} events accepted, ${decided.length} decisions, ${errors.length} typed errors while the replica took over (${tookMs} ms until every slot had a live primary), primary :${victimPort} → :${promoted}`);
    } finally {
      // A failed assertion must not leave the load and the follower running past the test.
      stopped = true;
      await Promise.allSettled([load, following]);
    }
  });
});

/** Resolves once `done()` holds (checked every 20 ms). */
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!done()) return;
      clearInterval(timer);
      resolve();
    }, 20);
  });
}
