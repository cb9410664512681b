import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { recordResponse, writeDecisions, type DecisionWrite } from "../src/graph/decision";
import type { ResponseOutcome } from "../src/domain/vocabulary";
import { MIN_DECISIONS } from "../src/tags/evaluation";
import { proposeAndApply } from "./support/approval";
import { freshIds } from "./support/customers";
import { AUDIT_AT_THE_END, dataOf, startTestGateway, testGraph, type TestGateway } from "./support/gateway";

/**
 * Tag evaluation (src/tags/evaluation.ts): coverage, freshness, references, and the outcomes of the
 * strategies reaching a tag. The test sets up a strategy of its own on a segment naming a tag,
 * writes decisions and answers for fresh customers itself (inside and outside the window, contacted
 * or held back), and compares the evaluation's numbers with its own count; the verdicts follow
 * their rule over the whole library; and the library view costs the same statements for 5 tags as
 * for 50.
 */

const PID = process.pid.toString(36).toUpperCase();
const DAY = 86_400_000;

type Performance = { strategyId: string | null; decisions: number; responses: number; accepted: number; responseRate: number | null; conversionRate: number | null };
type Evaluation = {
  customers: number;
  coverage: number;
  segments: number;
  strategies: number;
  campaigns: number;
  ageSeconds: number | null;
  refreshedAt: string | null;
  verdict: string;
  hint: string;
  libraryMedianConversion: number | null;
  performance: Performance & { windowDays: number; byStrategy: Performance[] };
};
const PERF = "strategyId decisions responses accepted responseRate conversionRate";
const EVALUATION = `customers coverage segments strategies campaigns ageSeconds refreshedAt verdict hint libraryMedianConversion
  performance { windowDays decisions responses accepted responseRate conversionRate byStrategy { ${PERF} } }`;
const LIBRARY = `query($first: Int!, $days: Int!) { tags(first: $first, filter: { status: PUBLISHED }) { edges { node { id code valueType evaluation(windowDays: $days) { ${EVALUATION} } } } } }`;
const ONE = `query($code: String!, $days: Int!) { tag(code: $code) { id evaluation(windowDays: $days) { ${EVALUATION} } } }`;

describe("tag evaluation", () => {
  let gw: TestGateway;
  let tagCode = "";
  let strategyId = "";
  const graph = testGraph();
  /** What this test wrote: [days ago, contacted, outcome]. */
  const written: Array<[number, boolean, ResponseOutcome | null]> = [
    [1, true, "ACCEPTED"],
    [2, true, "ACCEPTED"],
    [3, true, "DECLINED"],
    [4, true, null],
    [5, true, null],
    [6, true, "CLICKED"],
    [7, false, null], // a control-group decision: no offer was made
    [40, true, "ACCEPTED"], // outside a 30-day window, inside a 60-day one
  ];
  const expected = (days: number): { decisions: number; responses: number; accepted: number } => {
    const inWindow = written.filter(([ago, contacted]) => contacted && ago < days);
    return { decisions: inWindow.length, responses: inWindow.filter(([, , o]) => o !== null).length, accepted: inWindow.filter(([, , o]) => o === "ACCEPTED").length };
  };

  before(async () => {
    gw = await startTestGateway({ audit: AUDIT_AT_THE_END });
    const library = dataOf(await gw.raw<{ tags: { edges: Array<{ node: { code: string; valueType: string } }> } }>(`query { tags(first: 100, filter: { status: PUBLISHED }) { edges { node { code valueType } } } }`)).tags.edges;
    tagCode = library.find((e) => e.node.valueType === "FLAG")?.node.code ?? assert.fail("no published FLAG tag");
    const offer = dataOf(await gw.raw<{ offers: Array<{ id: string; product: { id: string } }> }>(`query { offers(status: ACTIVE) { id product { id } } }`)).offers[0] ?? assert.fail("no offer");
    // nobody is 150: the strategy is never a candidate in another file's decisions
    const segment = await proposeAndApply<{ createSegment: { id: string } }>(gw, `mutation($input: SegmentInput!) { createSegment(input: $input) { id pendingChange { id } } }`, {
      input: { code: `EVAL_TEST_${PID}`, name: "标签评估测试", expression: `${tagCode} AND age > 150` },
    });
    const strategy = await proposeAndApply<{ createStrategy: { id: string } }>(gw, `mutation($input: StrategyInput!) { createStrategy(input: $input) { id pendingChange { id } } }`, {
      input: {
        code: `TST-EVAL-${PID.slice(0, 8)}-001`,
        name: "标签评估测试策略",
        businessLine: "CONTENT",
        scenario: "CROSS_SELL",
        segmentId: segment.createSegment.id,
        offerIds: [offer.id],
        channels: ["HOTLINE"],
        priority: 1,
        validFrom: "2020-01-01T00:00:00Z",
      },
    });
    strategyId = strategy.createStrategy.id;
    const customers = await freshIds(written.length);
    const now = Date.now();
    const decisions: DecisionWrite[] = written.map(([ago, contacted], i) => ({
      id: `DTEVAL${PID}${i}`,
      customerId: customers[i] as string,
      offerId: offer.id,
      productId: offer.product.id,
      strategyId,
      eventId: null,
      channel: "HOTLINE",
      at: new Date(now - ago * DAY + 60_000),
      score: 0.5,
      propensity: 0.5,
      value: 10,
      priority: 1,
      relevance: 1,
      reasons: "[]",
      controlGroup: !contacted,
      contacted,
      features: [],
      summary: "tag evaluation test",
    }));
    await writeDecisions(graph.session(), decisions);
    for (const [i, [ago, , outcome]] of written.entries()) {
      if (outcome) await recordResponse(graph.session(), { decisionId: `DTEVAL${PID}${i}`, outcome, at: new Date(now - ago * DAY + 120_000), summary: "answered" });
    }
  });

  test("a tag's strategies' decisions, responses and conversions equal the test's own count, per window", async () => {
    for (const days of [30, 60]) {
      const evaluation = dataOf(await gw.raw<{ tag: { evaluation: Evaluation } }>(ONE, { code: tagCode, days })).tag.evaluation;
      const mine = evaluation.performance.byStrategy.find((s) => s.strategyId === strategyId) ?? assert.fail("the test's strategy is not among the tag's");
      const want = expected(days);
      assert.deepEqual(
        { decisions: mine.decisions, responses: mine.responses, accepted: mine.accepted, responseRate: mine.responseRate, conversionRate: mine.conversionRate },
        { ...want, responseRate: want.responses / want.decisions, conversionRate: want.accepted / want.decisions },
        `window of ${days} days`,
      );
      const sum = (f: (p: Performance) => number): number => evaluation.performance.byStrategy.reduce((n, p) => n + f(p), 0);
      assert.equal(evaluation.performance.decisions, sum((p) => p.decisions), "the tag's total is its strategies' sum");
      assert.equal(evaluation.performance.accepted, sum((p) => p.accepted));
      assert.equal(evaluation.performance.windowDays, days);
      assert.ok(evaluation.segments >= 1 && evaluation.strategies >= 1, "the test's segment and strategy are references");
      assert.ok(evaluation.customers > 0 && evaluation.coverage > 0 && evaluation.coverage <= 1);
      if (evaluation.refreshedAt) assert.ok(evaluation.ageSeconds !== null && Math.abs(evaluation.ageSeconds - (Date.now() - Date.parse(evaluation.refreshedAt)) / 1000) < 120, "age is the time since the last computation");
    }
  });

  test("verdicts follow their rule over the whole library, and the library view costs the same statements for 5 tags as for 50", async () => {
    const small = await gw.raw<{ tags: { edges: Array<{ node: { code: string; evaluation: Evaluation } }> } }>(LIBRARY, { first: 5, days: 30 });
    const large = await gw.raw<{ tags: { edges: Array<{ node: { code: string; evaluation: Evaluation } }> } }>(LIBRARY, { first: 50, days: 30 });
    assert.equal(large.roundTrips, small.roundTrips, `statements for 50 tags (${large.roundTrips}) and for 5 (${small.roundTrips})`);
    const tags = dataOf(large).tags.edges.map((e) => e.node);
    assert.ok(tags.length > 5);
    const median = tags[0]?.evaluation.libraryMedianConversion ?? null;
    for (const { code, evaluation: e } of tags) {
      assert.equal(e.libraryMedianConversion, median, "one median for the library");
      const referenced = e.segments + e.strategies + e.campaigns > 0;
      const want = !referenced
        ? "UNUSED"
        : e.performance.decisions < MIN_DECISIONS
          ? "NOT_ENOUGH_DATA"
          : median !== null && (e.performance.conversionRate as number) < median
            ? "USELESS"
            : "KEEP";
      assert.equal(e.verdict, want, `${code}: ${e.hint}`);
      assert.ok(e.hint.length > 20);
    }
    assert.ok(tags.some((t) => t.evaluation.verdict === "UNUSED") || tags.every((t) => t.evaluation.segments > 0), "an unreferenced tag is UNUSED");

    // the library filtered by verdict: the tags to retire first
    for (const verdict of ["UNUSED", "KEEP"]) {
      const filtered = dataOf(
        await gw.raw<{ tags: { edges: Array<{ node: { code: string; evaluation: Evaluation } }> } }>(
          `query($v: String!) { tags(first: 100, filter: { verdict: $v }) { edges { node { code evaluation { verdict } } } } }`,
          { v: verdict },
        ),
      ).tags.edges.map((e) => e.node);
      assert.ok(filtered.every((t) => t.evaluation.verdict === verdict), `filter ${verdict}`);
      const expectedCodes = tags.filter((t) => t.evaluation.verdict === verdict).map((t) => t.code);
      for (const code of expectedCodes) assert.ok(filtered.some((t) => t.code === code), `${code} is ${verdict}`);
    }
    assert.equal((await gw.raw(`query { tags(filter: { verdict: "OLD" }) { totalCount } }`)).errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
  });

  test("a window out of range is refused", async () => {
    const res = await gw.raw(ONE, { code: tagCode, days: 0 });
    assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
  });
});
