import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { UnifiedViewBatchDocument, UnifiedViewDocument } from "../schema/generated/operations";
import { operatorToken } from "./support/auth";
import { eventually } from "./support/eventually";
import { AUDIT_AT_THE_END, dataOf, startTestGateway, testServices, type TestGateway } from "./support/gateway";
import { LiveClient } from "./support/live";
import { CuttableProxy } from "./support/proxy";

/**
 * Deadlines: a request (and each WebSocket query) gets REQUEST_TIMEOUT_MS; when it passes, or the
 * client goes away, the answer is TIMEOUT and the request's graph session starts nothing more.
 * Neo4j is made to hang (a proxy that stops passing bytes) so "slow" is certain, not timed.
 * /healthz keeps answering meanwhile.
 */

const DEADLINE_MS = 1_500;

/** How long GET /healthz takes now. */
async function healthLatency(gw: TestGateway): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${gw.origin}/healthz`);
  assert.equal(res.status, 200);
  return performance.now() - started;
}

describe("request deadlines and clients that go away", () => {
  let gw: TestGateway;
  let neo4jProxy: CuttableProxy;

  before(async () => {
    const real = testServices();
    neo4jProxy = await CuttableProxy.start(real.neo4j.uri);
    gw = await startTestGateway({ neo4j: { ...real.neo4j, uri: neo4jProxy.through(real.neo4j.uri) }, limits: { requestTimeoutMs: DEADLINE_MS }, audit: AUDIT_AT_THE_END });
    // Warm: reference data loaded, pooled connections open (a cold start on a busy machine may take longer than the deadline).
    await eventually(async () => dataOf(await gw.request(UnifiedViewDocument, { id: "C0000005" })), { what: "a first answer", timeoutMs: 30_000, intervalMs: 100 });
  });

  test("Neo4j hangs: the answer is TIMEOUT (504) at the deadline, and /healthz answers meanwhile", async () => {
    neo4jProxy.stall();
    try {
      const started = Date.now();
      const pending = gw.request(UnifiedViewDocument, { id: "C0000006" });
      const latencies: number[] = [];
      for (let i = 0; i < 5; i += 1) latencies.push(await healthLatency(gw));
      const res = await pending;
      const elapsed = Date.now() - started;
      assert.equal(res.status, 504);
      assert.equal(res.errors?.[0]?.extensions?.code, "TIMEOUT", JSON.stringify(res.errors));
      assert.match(res.errors?.[0]?.message ?? "", /deadline of 1500 ms \(REQUEST_TIMEOUT_MS\)/);
      assert.equal(res.data ?? null, null, "the error alone, not half an answer");
      assert.ok(elapsed >= DEADLINE_MS - 50 && elapsed < DEADLINE_MS + 2_000, `answered after ${elapsed} ms`);
      assert.ok(Math.max(...latencies) < 500, `/healthz took ${latencies.map(Math.round).join(", ")} ms`);
    } finally {
      neo4jProxy.resume();
    }
    await eventually(() => assert.equal(gw.app.services.graph.stats.settled, gw.app.services.graph.stats.started), { what: "the hung statement to come back" });
  });

  test("the client goes away: the request ends at once, and its next statements are never started", async () => {
    const stats = gw.app.services.graph.stats;
    // Each level of circles is one statement after the other: the first hangs, the rest must never start.
    const query = '{ customer(id: "C0000007") { circle(limit: 5) { customer { circle(limit: 5) { customer { circle(limit: 5) { customer { id } } } } } } } }';
    neo4jProxy.stall();
    const startedBefore = stats.started;
    const client = new AbortController();
    try {
      const sent = fetch(gw.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await operatorToken()}` },
        body: JSON.stringify({ query }),
        signal: client.signal,
      }).catch((error: unknown) => error);
      await eventually(() => assert.equal(stats.started, startedBefore + 1), { what: "the first statement to be sent (and hang)" });
      client.abort();
      assert.ok((await sent) instanceof Error, "the client gave up");
      // The gateway stops waiting for Neo4j: the request is over while Neo4j still hangs.
      await eventually(() => assert.equal(gw.app.gateway.inFlight, 0), { what: "the gateway to drop the request" });
      assert.equal(stats.started, startedBefore + 1);
    } finally {
      neo4jProxy.resume();
    }
    await eventually(() => assert.equal(stats.settled, stats.started), { what: "the hung statement to come back" });
    assert.equal(stats.started, startedBefore + 1, "nothing more was started for the request that was dropped");
    assert.equal((await gw.request(UnifiedViewDocument, { id: "C0000007" })).errors, undefined, "the gateway serves on");
  });

  test("a query over WebSocket has the same deadline: TIMEOUT, and the socket stays open", async () => {
    const live = new LiveClient(gw.url);
    neo4jProxy.stall();
    try {
      const sub = live.subscribe('{ customer(id: "C0000008") { id name } }');
      await sub.ended(DEADLINE_MS + 5_000);
      assert.equal(sub.errors[0]?.extensions?.code, "TIMEOUT", JSON.stringify(sub.errors));
      assert.equal(sub.items.length, 0);
    } finally {
      neo4jProxy.resume();
    }
    const again = live.subscribe('{ customer(id: "C0000008") { id } }');
    const [row] = await again.atLeast(1);
    assert.deepEqual(row, { customer: { id: "C0000008" } });
    assert.equal(live.closedWith, null);
  });
});

describe("health while the gateway is busy", () => {
  test("/healthz keeps answering while heavy queries run (four views of 100 customers at once), not after them", async (t) => {
    const gw = await startTestGateway();
    const ids = Array.from({ length: 100 }, (_, i) => `C${String(i + 101).padStart(7, "0")}`);
    let running = true;
    const started = performance.now();
    const heavy = Promise.all(Array.from({ length: 4 }, () => gw.request(UnifiedViewBatchDocument, { ids }))).finally(() => (running = false));
    const latencies: number[] = [];
    while (running) latencies.push(await healthLatency(gw));
    const heavyMs = performance.now() - started;
    for (const res of await heavy) assert.equal(dataOf(res).customers.length, 100);
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)] ?? Infinity;
    const max = latencies.at(-1) ?? Infinity;
    const shown = `${latencies.length} answers in ${Math.round(heavyMs)} ms of heavy work; median ${Math.round(median)} ms, max ${Math.round(max)} ms`;
    t.diagnostic(shown);
    // Reads wait on Neo4j without holding the event loop, so /healthz is answered in between; only
    // the synchronous stretches (graphql-js completing 100 customers, serialising 800 KB) delay it.
    // The machine is shared: bound the typical answer tightly and the worst loosely.
    assert.ok(latencies.length >= 5, shown);
    assert.ok(median < 250, shown);
    assert.ok(max < Math.max(3_000, heavyMs / 2), shown);
  });
});
