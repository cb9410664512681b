import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { operatorToken } from "./support/auth";
import { freshIds } from "./support/customers";
import { startGatewayProcess } from "./support/process-gateway";
import { CaseGenerator, NEEDS_LIMITS, ATTACK_KINDS } from "./fuzz/generate";
import { renderReport } from "./fuzz/report";
import { FUZZ_GATEWAY_ENV, passed, prepareTargets, runFuzz } from "./fuzz/run";
import { loadSchema, type FuzzTargets } from "./fuzz/schema-walk";

/**
 * A slice of `npm run fuzz` (test/fuzz/): hostile requests generated from the schema, sent over
 * HTTP and WebSocket to a gateway in its own process, every answer classified, as the all-roles
 * operator, each single role and nobody. Every attack kind is in (NEEDS_LIMITS is empty since the
 * query limits are in); the gateway runs with rate limits on (FUZZ_GATEWAY_ENV).
 *
 * FUZZ_REQUESTS and FUZZ_SEED change the slice (default 1,000 cases of seed 1); a failure prints
 * the run's counts and the first examples, each replayable with `npm run fuzz -- --seed S --only N`.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);

describe("fuzz: hostile input over HTTP and WebSocket", () => {
  test("the generator is deterministic and covers every attack kind in a short run", () => {
    const targets: FuzzTargets = {
      customerIds: ["C0000001"],
      agentId: "A1",
      regionId: "R3301",
      productId: "P1",
      segmentId: "S1",
      strategySegmentId: "S2",
      offerId: "O1",
      strategyId: "ST1",
      decisionId: "D1",
      changeId: "CH1",
      runTag: "T1",
    };
    const schema = loadSchema();
    const one = new CaseGenerator(schema, { seed: 7, targets });
    const two = new CaseGenerator(schema, { seed: 7, targets });
    for (const i of [0, 1, 57, 400, 999]) {
      const a = one.make(i);
      const b = two.make(i);
      assert.deepEqual([a.attack, a.operation, a.summary], [b.attack, b.operation, b.summary], `case ${i}`);
    }
    const skip = new Set(NEEDS_LIMITS);
    const skipping = new CaseGenerator(schema, { seed: 7, targets, skip });
    const kinds = new Set([...skipping.cases(ATTACK_KINDS.length)].map((c) => c.attack));
    assert.deepEqual([...kinds].sort(), ATTACK_KINDS.filter((k) => !skip.has(k)).sort(), "every kind not skipped comes up in the first pass");
    // A case is the same whatever else is skipped (so a failure replays with or without --skip-needs-limits).
    const all = new CaseGenerator(schema, { seed: 7, targets });
    for (let i = ATTACK_KINDS.length; i < ATTACK_KINDS.length + 200; i++) {
      const a = all.make(i);
      if (skip.has(a.attack)) continue;
      assert.equal(skipping.make(i).summary, a.summary, `case ${i}`);
    }
  });

  test(`${REQUESTS} hostile requests: no crash, no internal error, no leak, memory in bounds`, async () => {
    const gateway = await startGatewayProcess({ ...FUZZ_GATEWAY_ENV });
    const operator = await operatorToken();
    const targets = await prepareTargets(gateway.url, await freshIds(3), `T${(Date.now() % 36 ** 5).toString(36).toUpperCase()}`);
    const report = await runFuzz(operator, {
      url: gateway.url,
      gateway: gateway.child,
      requests: REQUESTS,
      seed: SEED,
      concurrency: 8,
      skip: new Set(NEEDS_LIMITS),
      targets,
      timeoutMs: 20_000,
    });
    assert.ok(passed(report), renderReport(report));
    assert.equal(report.total, REQUESTS);
  });
});
