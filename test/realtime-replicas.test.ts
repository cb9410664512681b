import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, processed, testRedis } from "./support/live";
import { startGatewayProcess, type GatewayProcess } from "./support/process-gateway";

/**
 * Two replicas sharing Neo4j and Redis: this test's in-process gateway (B) and a gateway process
 * (A). B's consumer is stopped, so every event is decided on A; whatever reaches a subscriber on B
 * crossed from A through Redis. Customers C0002950–C0002998.
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

after(async () => {
  redis.disconnect();
  await a.stop().catch(() => undefined);
  await b.close();
});

describe("across replicas", () => {
  test("an event ingested on one gateway and decided on another reaches subscribers on both, decided once", async () => {
    const agentId = `A${process.pid}-x`;
    const onB = new LiveClient(b.url);
    const onA = new LiveClient(a.url);
    try {
      const subB = onB.subscribe<DeskData>(DESK, { agentId });
      const subA = onA.subscribe<DeskData>(DESK, { agentId });
      await until(() => b.app.services.realtime.hub.size === 1, "B's subscription");
      await new Promise((r) => setTimeout(r, 300)); // A's subscription registers in its own process
      const events = ["C0002950", "C0002951", "C0002952"].map((customerId) => ({ id: eventId("x"), customerId, type: "HOTLINE_CALL_START", payload: { agentId } }));
      assert.equal((await ingest(b, events)).accepted, 3, "ingested on B, whose consumer is stopped");
      const gotB = (await subB.atLeast(3)).map((d) => d.deskFeed);
      const gotA = (await subA.atLeast(3)).map((d) => d.deskFeed);
      assert.deepEqual(new Set(gotB.map((u) => u.event.id)), new Set(events.map((e) => e.id)));
      assert.deepEqual(gotA, gotB, "the same pushes, cursors and decisions on both replicas: decided once");
      assert.equal(b.app.services.realtime.consumer.stats.processed, 0, "B decided none of them");
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  test("a replica killed mid-batch loses no event, and no event is pushed twice", async () => {
    const agentId = `A${process.pid}-kill`;
    const customers = Array.from({ length: 49 }, (_, i) => `C00029${50 + i}`);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const id = eventId("k");
      ids.push(id);
      await redis.xadd("events:stream", "*", "id", id, "customerId", customers[i % customers.length]!, "type", "HOTLINE_CALL_START", "at", new Date().toISOString(), "payload", JSON.stringify({ agentId }));
    }
    // Let A get going, then kill it while it holds entries it has not finished.
    await until(async () => (await redis.xlen(`push:agent:${agentId}`)) >= 20, "A's first pushes", 30_000);
    await a.kill();
    const pending = (await redis.xpending("events:stream", "gateway")) as [number, string | null, string | null, Array<[string, string]> | null];
    const heldByTheDead = Number(pending[0]);
    assert.ok(heldByTheDead > 0, "A died holding unfinished entries (otherwise this test proves nothing)");

    b.app.services.realtime.consumer.start();
    const states = await processed(redis, ids, 60_000);
    assert.ok([...states.values()].every((s) => s === "done"), "every event was processed");
    // Every push in order (push:all; the agent's own replay stream keeps only its last 100).
    const pushed = (await redis.xrange("push:all", "-", "+"))
      .map(([, fields]) => JSON.parse(fields[1] ?? "{}") as { agentId?: string; event: { id: string } })
      .filter((p) => p.agentId === agentId)
      .map((p) => p.event.id);
    assert.equal(pushed.length, ids.length, `one push per event (A left ${heldByTheDead} entries pending)`);
    assert.deepEqual(new Set(pushed), new Set(ids));
    assert.ok(b.app.services.realtime.consumer.stats.processed > 0, "B took over");
  });
});

async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
