import assert from "node:assert/strict";
import { tokenFor } from "./support/auth";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, postGraphQL, startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, processed, subscriptionsOn, testRedis } from "./support/live";
import { startGatewayProcess, type GatewayProcess } from "./support/process-gateway";
import { keys } from "../src/platform/keys";

/**
 * Two replicas sharing Neo4j and Redis: this test's in-process gateway (B) and a gateway process
 * (A). B's consumer is stopped, so every event is decided on A; whatever reaches a subscriber on B
 * crossed from A through Redis. The callers are fresh customers of this file's own.
 */

const DESK = `subscription ($agentId: ID!) { deskFeed(agentId: $agentId) { cursor customerId event { id } offers { id } } }`;
interface DeskData {
  deskFeed: { cursor: string; customerId: string; event: { id: string }; offers: Array<{ id: string }> };
}

let b: TestGateway;
let a: GatewayProcess;
let redis: Redis;

before(async () => {
  b = await startTestGateway({ realtime: { retryAfterMs: 500 } });
  await b.app.services.realtime.consumer.stop();
  await openPolicy(b);
  a = await startGatewayProcess({ EVENT_RETRY_AFTER_MS: "500" });
  redis = testRedis();
});

/** Subscriptions open on replica A, asked over HTTP: its hub is in another process. */
async function openOnA(): Promise<number> {
  return dataOf(await postGraphQL<{ eventPipeline: { openSubscriptions: number } }>(a.url, "{ eventPipeline { openSubscriptions } }")).eventPipeline.openSubscriptions;
}

describe("across replicas", () => {
  test("an event ingested on one gateway and decided on another reaches subscribers on both, decided once", async () => {
    const agentId = `A${process.pid}-x`;
    // A desk feed is its agent's own: both sockets carry that agent's token.
    const subB = new LiveClient(b.url, tokenFor({ agentId })).subscribe<DeskData>(DESK, { agentId });
    const subA = new LiveClient(a.url, tokenFor({ agentId })).subscribe<DeskData>(DESK, { agentId });
    await subscriptionsOn(b, 1);
    await eventually(async () => assert.equal(await openOnA(), 1), { what: "the subscription on replica A" });
    const events = (await freshIds(3)).map((customerId) => ({ id: eventId("x"), customerId, type: "HOTLINE_CALL_START", payload: { agentId } }));
    assert.equal((await ingest(b, events)).accepted, 3, "ingested on B, whose consumer is stopped");
    const gotB = (await subB.atLeast(3)).map((d) => d.deskFeed);
    const gotA = (await subA.atLeast(3)).map((d) => d.deskFeed);
    assert.deepEqual(new Set(gotB.map((u) => u.event.id)), new Set(events.map((e) => e.id)));
    assert.deepEqual(gotA, gotB, "the same pushes, cursors and decisions on both replicas: decided once");
    assert.equal(b.app.services.realtime.consumer.stats.processed, 0, "B decided none of them");
  });

  test("a replica killed mid-batch loses no event, and no event is pushed twice", async () => {
    const agentId = `A${process.pid}-kill`;
    const customers = await freshIds(49);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const id = eventId("k");
      ids.push(id);
      await redis.xadd(keys.events.stream(), "*", "id", id, "customerId", customers[i % customers.length]!, "type", "HOTLINE_CALL_START", "at", new Date().toISOString(), "payload", JSON.stringify({ agentId }));
    }
    // Let A get going, then kill it while it holds entries it has not finished.
    await eventually(async () => assert.ok((await redis.xlen(keys.push.agent(agentId))) >= 20), { what: "A's first pushes", timeoutMs: 30_000 });
    await a.kill();
    const pending = (await redis.xpending(keys.events.stream(), "gateway")) as [number, string | null, string | null, Array<[string, string]> | null];
    const heldByTheDead = Number(pending[0]);
    assert.ok(heldByTheDead > 0, "A died holding unfinished entries (otherwise this test proves nothing)");

    b.app.services.realtime.consumer.start();
    const states = await processed(redis, ids, 60_000);
    assert.ok([...states.values()].every((s) => s === "done"), "every event was processed");
    // Every push in order (push:all; the agent's own replay stream keeps only its last 100).
    const pushed = (await redis.xrange(keys.push.all(), "-", "+"))
      .map(([, fields]) => JSON.parse(fields[1] ?? "{}") as { agentId?: string; event: { id: string } })
      .filter((p) => p.agentId === agentId)
      .map((p) => p.event.id);
    assert.equal(pushed.length, ids.length, `one push per event (A left ${heldByTheDead} entries pending)`);
    assert.deepEqual(new Set(pushed), new Set(ids));
    assert.ok(b.app.services.realtime.consumer.stats.processed > 0, "B took over");
  });
});
