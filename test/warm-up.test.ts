import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { keys } from "../src/platform/keys";
import { freshCustomer } from "./support/customers";
import { startTestGateway, testGraph, type TestGateway } from "./support/gateway";
import { testRedis } from "./support/live";
import { within } from "./support/eventually";

/**
 * The start-up warm-up (src/main/warm-up.ts): /readyz says "warming" until it is over, /healthz
 * is alive throughout, it writes nothing that stays, and a failing step never keeps the gateway
 * from turning ready.
 */

async function probe(gw: TestGateway, path: "/readyz" | "/healthz"): Promise<{ status: number; body: { status: string } }> {
  const res = await fetch(`${gw.origin}${path}`);
  return { status: res.status, body: (await res.json()) as { status: string } };
}

describe("start-up warm-up", () => {
  test("/readyz answers 503 warming while the warm-up runs and 200 after it; /healthz answers 200 throughout", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const gw = await startTestGateway({ warmUp: { enabled: true, budgetMs: 120_000, gate: () => held } });
    const warming = await probe(gw, "/readyz");
    assert.equal(warming.status, 503);
    assert.equal(warming.body.status, "warming");
    assert.deepEqual(await probe(gw, "/healthz"), { status: 200, body: { status: "ok" } });
    release();
    const report = await gw.app.warmedUp;
    assert.ok(report, "the warm-up reported what it ran");
    assert.equal(report.failed, 0, "every step ran clean against the seeded graph");
    assert.equal(report.cutShort, false);
    assert.ok(report.customerId, "it picked a customer from the graph");
    assert.ok(report.pushes > 0, "the rehearsed events made pushes (the desk's at least), rendered as sockets would");
    for (const step of ["graphql UnifiedView", "graphql Trajectory", "check DeskFeed", "check NextBestOffers", "decide APP", "event DATA_USAGE", "event HOTLINE_CALL_START"]) {
      assert.ok(report.ran.includes(step), `ran ${step} (ran: ${report.ran.join(", ")})`);
    }
    const ready = await probe(gw, "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, "ready");
    assert.deepEqual(await probe(gw, "/healthz"), { status: 200, body: { status: "ok" } });
  });

  test("the warm-up decides for real and writes nothing that stays: no decision, contact, contact-policy count or call", async () => {
    // A customer of this test's own, so no other file's decisions are counted.
    const { customer } = await freshCustomer({ where: (c) => !c.customer.doNotDisturb && c.customer.dndList === null });
    const graph = testGraph();
    const count = async (): Promise<{ decisions: number; contacts: number }> => {
      const [row] = await graph.run<{ decisions: number; contacts: number }>(
        "READ",
        `OPTIONAL MATCH (d:Decision {customerId: $id}) WITH count(d) AS decisions
         OPTIONAL MATCH (:Customer {id: $id})-[:HAD]->(k:Contact) RETURN decisions, count(k) AS contacts`,
        { id: customer.id },
      );
      return row!;
    };
    const before = await count();
    const gw = await startTestGateway({ warmUp: { enabled: true, budgetMs: 120_000, customerId: customer.id } });
    const report = await gw.app.warmedUp;
    assert.ok(report);
    assert.equal(report.failed, 0);
    assert.ok(report.decisions > 0, "decisions were made (their writes ran and were rolled back)");
    assert.deepEqual(await count(), before, "no Decision or Contact of the warm-up's customer stayed");
    const redis = testRedis();
    for (const channel of ["APP", "SMS", "WECHAT", "OUTBOUND_CALL"]) {
      assert.equal(await redis.exists(keys.policy.contacts(customer.id, channel)), 0, `no contact counted on ${channel}`);
    }
    assert.equal(await redis.exists(keys.calls.current("system:warm-up")), 0, "no call recorded for the rehearsed desk event");
    assert.equal((await probe(gw, "/readyz")).status, 200);
  });

  test("a failing warm-up (a customer that does not exist) logs its failures and still turns ready", async () => {
    const gw = await startTestGateway({ warmUp: { enabled: true, budgetMs: 120_000, customerId: "C9999999999", rounds: 1 } });
    const report = await gw.app.warmedUp;
    assert.ok(report);
    assert.ok(report.failed > 0, "the decision and event steps failed (NOT_FOUND)");
    const ready = await probe(gw, "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, "ready");
  });

  test("a warm-up past its budget stops waiting and turns ready", async () => {
    const gw = await startTestGateway({ warmUp: { enabled: true, budgetMs: 200, gate: () => new Promise(() => undefined) } });
    const report = await gw.app.warmedUp;
    assert.ok(report);
    assert.equal(report.cutShort, true);
    assert.equal((await probe(gw, "/readyz")).status, 200);
  });

  test("a close right after a warm-up cut short mid-step ends promptly (npm start's SIGTERM after ready)", async () => {
    // A budget shorter than any step (each reads Neo4j): it runs out with a step in flight, as on a
    // busy machine. 300 ms was not always short enough: a quiet machine finished 50 rounds in it.
    const gw = await startTestGateway({ warmUp: { enabled: true, budgetMs: 1, rounds: 50 } });
    const report = await gw.app.warmedUp;
    assert.ok(report);
    assert.equal(report.cutShort, true);
    const started = Date.now();
    await within(gw.close(), { what: "the gateway to close after a cut-short warm-up", timeoutMs: 20_000 });
    assert.ok(Date.now() - started < 20_000);
  });

  test("a close while the warm-up runs ends it and the gateway promptly", async () => {
    const gw = await startTestGateway({ warmUp: { enabled: true, budgetMs: 120_000, rounds: 50 } });
    await within(gw.close(), { what: "the gateway to close during its warm-up", timeoutMs: 20_000 });
    const report = await gw.app.warmedUp;
    assert.ok(report);
    assert.equal(report.cutShort, false);
  });
});
