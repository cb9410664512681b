import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  CampaignAlertFeedDocument,
  CampaignAlertsDocument,
  CampaignRankingDocument,
  CampaignReportDocument,
  EvaluationDocument,
  EvaluationTrendDocument,
  RespondToOfferDocument,
  StrategyCubeDocument,
  type EvaluationFiguresFragment,
  type EvaluationQueryVariables,
} from "../schema/generated/operations";
import { print } from "graphql";
import { CampaignEvaluationHooks, EvaluationService } from "../src/evaluation/service";
import { figures } from "../src/evaluation/figures";
import { alertsFor, DEFAULT_THRESHOLDS } from "../src/evaluation/alerts";
import { funnelParams, funnelStatement } from "../src/graph/evaluation";
import { EVERY_CUSTOMER } from "../src/graph/records";
import { binomialZ, newcombeDifference, wilsonInterval, Z_P001 } from "../src/evaluation/stats";
import { createLogger } from "../src/platform/logger";
import { PubSub } from "../src/platform/pubsub";
import { freshCustomers } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type TestGateway } from "./support/gateway";
import { leftover, teardown } from "./support/leftovers";
import { answerCampaign, compareUplift, estimatedUplift, trueUplift, type CampaignMember } from "../bench/evaluate/campaign-truth";
import { hiddenPreferences, writeOrganicPurchases } from "../bench/evaluate/graph";
import { rngFor } from "../seeds/random";
import { PRODUCT_KINDS, type ProductKind } from "../src/domain/vocabulary";
import type { HiddenPreferenceNode } from "../src/graph/model";
import { LiveClient, testRedis } from "./support/live";
import { tokenFor } from "./support/auth";
import type { Graph } from "../src/platform/neo4j";

/**
 * The evaluation centre on constructed data with known answers. Campaigns, waves and decisions
 * are written with Cypher, dated in March 2019 (no other test file decides then, so the cube and
 * the rankings over that month see this file's decisions only), for fresh customers of this file.
 *
 * Campaign A (strategy S1, RETENTION), 40 members c0..c39, control c0..c9 (controlShare 0.25):
 *   wave A1, SMS, 2019-03-04 (strategy version 1, offer value 100, product P1), all 40:
 *     contacted c10..c35 (c36..c39 held back by the contact policy), delivered c10..c31,
 *     delivery failed c32..c33, ACCEPTED c10..c17, DECLINED c18..c21;
 *     ordered P1: c10..c17 (their acceptances), c36 (on its own), control c0 and c1.
 *   wave A2, OUTBOUND_CALL, 2019-03-07 (version 2, value 50, product P2): the contacted
 *     non-responders c22..c35 and the control c0..c9; all 14 contacted, ACCEPTED c22, c23 (ordered P2).
 * Campaign B (strategy S2), wave B1, APP, 2019-03-20 (value 200, product P3): c0..c19, control
 *   c0..c4; all 15 treated contacted, ACCEPTED c5..c7 (ordered P3).
 */

const RUN = randomBytes(3).toString("hex").toUpperCase();
const A = `CPEV${RUN}A`;
const B = `CPEV${RUN}B`;
const T0 = Date.parse("2019-03-04T10:00:00.000Z");
const DAY = 86_400_000;
const MONTH_FROM = "2019-03-01T00:00:00.000Z";
const MONTH_TO = "2019-04-01T00:00:00.000Z";
const OWNER = "test:evaluation-owner";

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

interface DecisionSpec {
  customer: number;
  campaignId: string;
  waveId: string;
  channel: string;
  at: number;
  strategyId: string;
  strategyVersion: number;
  productId: string;
  value: number;
  control: boolean;
  contacted: boolean;
  delivered?: boolean;
  failed?: boolean;
  outcome?: "ACCEPTED" | "DECLINED";
}

type Row = EvaluationFiguresFragment;

function funnelOf(rows: readonly Row[], key: string): Row["funnel"] {
  const row = rows.find((r) => r.key === key);
  assert.ok(row, `no row ${key} in ${rows.map((r) => r.key).join(", ")}`);
  return row.funnel;
}

const ADDITIVE = ["targeted", "heldOut", "treated", "contacted", "delivered", "deliveryFailed", "responded", "accepted", "ordered", "controlOrdered"] as const;

function assertSumsTo(rows: readonly Row[], total: Row, what: string): void {
  for (const field of ADDITIVE) {
    assert.equal(
      rows.reduce((s, r) => s + r.funnel[field], 0),
      total.funnel[field],
      `${what}: ${field} over the rows adds up to the total`,
    );
  }
  assert.ok(Math.abs(rows.reduce((s, r) => s + r.funnel.revenue, 0) - total.funnel.revenue) < 1e-6, `${what}: revenue adds up`);
}

describe("the uplift's interval (pure)", () => {
  test("Newcombe's hybrid score interval matches the published examples and an independent computation", () => {
    // Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10:
    //   56/70 − 48/80: 0.0524 to 0.3339;  9/10 − 3/10: 0.1705 to 0.8090;  5/56 − 0/29: −0.0381 to 0.1926.
    const cases: Array<[number, number, number, number, number, number]> = [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [5, 56, 0, 29, -0.0381, 0.1926],
    ];
    for (const [x1, n1, x2, n2, lower, upper] of cases) {
      const i = newcombeDifference(x1, n1, x2, n2);
      assert.ok(i);
      assert.ok(Math.abs(i.lower - lower) < 5e-5 && Math.abs(i.upper - upper) < 5e-5, `${x1}/${n1} − ${x2}/${n2}: ${i.lower}, ${i.upper}`);
    }
    // Treated 1,000 with 120 orders, control 1,000 with 80: difference 0.04. Reference computed
    // independently with Python's standard library (statistics.NormalDist().inv_cdf(0.975), the
    // Wilson bounds and Newcombe's formula written out): 0.013718 to 0.066449.
    const i = newcombeDifference(120, 1000, 80, 1000);
    assert.ok(i);
    assert.ok(Math.abs(i.lower - 0.013718) < 1e-6 && Math.abs(i.upper - 0.066449) < 1e-6, `${i.lower}, ${i.upper}`);
    // Wilson at 0 stays inside [0, 1]; an empty group has no interval.
    assert.equal(wilsonInterval(0, 10)?.lower, 0);
    assert.equal(newcombeDifference(1, 10, 0, 0), null);
  });

  test("incremental orders and revenue scale the rate interval", () => {
    const row = figures(
      { key: "K", targeted: 2000, heldOut: 1000, contacted: 900, delivered: 0, deliveryFailed: 0, responded: 300, accepted: 120, orderedTreated: 120, orderedControl: 80, revenue: 120 * 30, controlRevenue: 80 * 30, treatedValue: 1000 * 30, retainedTreated: 0, retainedControl: 0, retentionFeeTreated: 0, retentionFeeControl: 0 },
      12,
    );
    assert.ok(row.uplift);
    assert.ok(Math.abs(row.uplift.rateDifference.value - 0.04) < 1e-12);
    assert.ok(Math.abs(row.uplift.incrementalOrders.value - 40) < 1e-9);
    assert.ok(Math.abs(row.uplift.incrementalOrders.lower - 13.718) < 1e-3 && Math.abs(row.uplift.incrementalOrders.upper - 66.449) < 1e-3);
    assert.equal(row.uplift.revenuePerOrder, 30);
    assert.ok(Math.abs(row.uplift.incrementalRevenue.value - 1200) < 1e-6);
    assert.ok(Math.abs(row.uplift.incrementalRevenue.lower - 411.54) < 0.01);
    assert.equal(row.uplift.incrementalRetentionRevenue, null);
  });

  test("control drift: a binomial z-test at p < 0.001", () => {
    // 250 of 1,000 held out where 0.25 was set: z = 0; 300 of 1,000: z = 50 / √187.5 ≈ 3.65 > 3.29.
    assert.equal(binomialZ(250, 1000, 0.25), 0);
    assert.ok(binomialZ(300, 1000, 0.25) > Z_P001);
    assert.ok(binomialZ(270, 1000, 0.25) < Z_P001);
  });
});

describe("alert rules (pure)", () => {
  const campaign = { id: "CP1", name: "c", status: "RUNNING", owners: [], controlShare: 0.2, alertResponseRate: 0.05 };
  const wave = { waveId: "CP1-W1", decided: 1000, control: 200, contacted: 800, responded: 80, heldBack: 0, deliveryFailed: 0 };
  const kinds = (w: typeof wave): string[] => alertsFor(campaign, [w], DEFAULT_THRESHOLDS, 0).map((a) => a.kind);

  test("each rule speaks past its threshold only, and only once a wave has enough contacts", () => {
    assert.deepEqual(kinds(wave), []);
    assert.deepEqual(kinds({ ...wave, responded: 39 }), ["LOW_RESPONSE_RATE"], "39 of 800 is below 5%");
    assert.deepEqual(kinds({ ...wave, responded: 40 }), [], "exactly 5% is not below it");
    assert.deepEqual(kinds({ ...wave, contacted: 199, responded: 0, decided: 249, control: 50 }), [], "fewer than 200 contacts: not judged yet");
    assert.deepEqual(kinds({ ...wave, contacted: 600, heldBack: 200 }), ["CAPS_EXHAUSTED"], "200 of 800 treated held back is 25% > 20%");
    assert.deepEqual(kinds({ ...wave, deliveryFailed: 81 }), ["DELIVERY_FAILURES"], "81 of 800 failed is over 10%");
    assert.deepEqual(kinds({ ...wave, deliveryFailed: 80 }), []);
    // 1,000 decided at 0.2: σ = √160 ≈ 12.65; 242 held out is z ≈ 3.32 (p < 0.001), 240 is z ≈ 3.16 (chance).
    assert.deepEqual(kinds({ ...wave, control: 242 }), ["CONTROL_GROUP_DRIFT"]);
    assert.deepEqual(kinds({ ...wave, control: 240 }), []);
    assert.deepEqual(kinds({ ...wave, control: 158 }), ["CONTROL_GROUP_DRIFT"], "too few held out drifts too");
    const [alert] = alertsFor(campaign, [{ ...wave, responded: 10 }], DEFAULT_THRESHOLDS, 0);
    assert.equal(alert?.id, "CP1:LOW_RESPONSE_RATE:CP1-W1", "one id per campaign × kind × wave");
    assert.match(alert?.message ?? "", /10 of 800 contacted responded \(1\.3%\), below the campaign's alert threshold of 5\.0%/);
    assert.deepEqual(alertsFor({ ...campaign, alertResponseRate: 0 }, [{ ...wave, responded: 0 }], DEFAULT_THRESHOLDS, 0), [], "a threshold of 0 never alerts");
  });
});

describe("the evaluation centre on constructed campaigns", () => {
  let gw: TestGateway;
  let graph: Graph;
  let ids: string[] = [];
  let regions: string[] = [];
  let S1: { id: string; businessLine: string; scenario: string; lifecycleStage: string | null };
  let S2: { id: string; businessLine: string; scenario: string; lifecycleStage: string | null };
  let P: Array<{ id: string; monthlyFee: number }> = [];
  let TA = "";
  let TB = "";

  before(async () => {
    gw = await startTestGateway();
    graph = testGraph({ scope: "file" });
    const session = graph.session();
    const fresh = await freshCustomers(40);
    ids = fresh.map((g) => g.customer.id);
    regions = fresh.map((g) => g.customer.regionId);
    const strategies = await session.read<{ s: typeof S1 }>(
      `MATCH (s:Strategy) WHERE s.triggerEventType IS NULL RETURN s {.id, .businessLine, .scenario, .lifecycleStage} AS s ORDER BY s.id`,
    );
    const retention = strategies.find((r) => r.s.scenario === "RETENTION");
    assert.ok(retention, "the seed has a RETENTION strategy");
    S1 = retention.s;
    const other = strategies.find((r) => r.s.businessLine !== S1.businessLine || r.s.scenario !== S1.scenario || r.s.lifecycleStage !== S1.lifecycleStage);
    assert.ok(other);
    S2 = other.s;
    P = (await session.read<{ id: string; monthlyFee: number }>("MATCH (p:Product) WHERE p.monthlyFee > 0 RETURN p.id AS id, toFloat(p.monthlyFee) AS monthlyFee ORDER BY p.id LIMIT 3"));
    const tags = await session.read<{ id: string }>("MATCH (t:Tag) RETURN t.id AS id ORDER BY t.id LIMIT 2");
    TA = tags[0]?.id ?? "";
    TB = tags[1]?.id ?? "";
    const productIds = P.map((p) => p.id);

    // Leftovers of an earlier run against the same database would count in March 2019.
    await session.write(
      `MATCH (n) WHERE (n:Decision AND n.campaignId STARTS WITH 'CPEV') OR (n:Campaign AND n.id STARTS WITH 'CPEV') OR (n:Wave AND n.campaignId STARTS WITH 'CPEV')
         OR (n:CampaignAlert AND n.campaignId STARTS WITH 'CPEV') OR (n:EvaluationReport AND n.campaignId STARTS WITH 'CPEV')
       DETACH DELETE n`,
    );
    // The customers' own holdings of the three products and the two tags are taken away, so only what is built here counts.
    await session.write(
      `UNWIND $ids AS id MATCH (c:Customer {id: id})
       CALL (c) { MATCH (c)-[s:SUBSCRIBES]->(p:Product) WHERE p.id IN $products DELETE s }
       CALL (c) { MATCH (c)-[h:HAS_TAG]->(t:Tag) WHERE t.id IN $tags DELETE h }`,
      { ids, products: productIds, tags: [TA, TB] },
    );
    await session.write(
      `UNWIND range(0, size($ids) - 1) AS i MATCH (c:Customer {id: $ids[i]}), (t:Tag {id: CASE WHEN i % 2 = 0 THEN $ta ELSE $tb END})
       CREATE (c)-[:HAS_TAG {value: 'true', score: 1.0, at: datetime()}]->(t)`,
      { ids, ta: TA, tb: TB },
    );

    const decisions: DecisionSpec[] = [];
    const a1 = { campaignId: A, waveId: `${A}-W1`, channel: "SMS", at: T0, strategyId: S1.id, strategyVersion: 1, productId: productIds[0] as string, value: 100 };
    for (const i of range(0, 39)) {
      const control = i <= 9;
      decisions.push({
        ...a1,
        customer: i,
        control,
        contacted: !control && i <= 35,
        delivered: i >= 10 && i <= 31,
        failed: i === 32 || i === 33,
        ...(i >= 10 && i <= 17 ? { outcome: "ACCEPTED" as const } : i >= 18 && i <= 21 ? { outcome: "DECLINED" as const } : {}),
      });
    }
    const a2 = { campaignId: A, waveId: `${A}-W2`, channel: "OUTBOUND_CALL", at: T0 + 3 * DAY, strategyId: S1.id, strategyVersion: 2, productId: productIds[1] as string, value: 50 };
    for (const i of [...range(0, 9), ...range(22, 35)]) {
      decisions.push({ ...a2, customer: i, control: i <= 9, contacted: i >= 22, ...(i === 22 || i === 23 ? { outcome: "ACCEPTED" as const } : {}) });
    }
    const b1 = { campaignId: B, waveId: `${B}-W1`, channel: "APP", at: T0 + 16 * DAY, strategyId: S2.id, strategyVersion: 1, productId: productIds[2] as string, value: 200 };
    for (const i of range(0, 19)) {
      decisions.push({ ...b1, customer: i, control: i <= 4, contacted: i >= 5, ...(i >= 5 && i <= 7 ? { outcome: "ACCEPTED" as const } : {}) });
    }
    await session.write(
      `UNWIND $rows AS r
       CREATE (d:Decision {id: r.id, customerId: r.customerId, offerId: 'OF-EVAL', productId: r.productId, strategyId: r.strategyId,
         channel: r.channel, at: datetime({epochMillis: toInteger(r.at)}), score: 1.0, propensity: 0.1, value: r.value, priority: 1.0, relevance: 1.0,
         reasons: '[]', features: [], controlGroup: r.control, contacted: r.contacted, campaignId: r.campaignId, waveId: r.waveId,
         strategyVersion: r.strategyVersion, offerVersion: 1})
       SET d.outcome = r.outcome, d.respondedAt = CASE WHEN r.outcome IS NULL THEN null ELSE datetime({epochMillis: toInteger(r.at) + 3600000}) END,
         d.deliveredAt = CASE WHEN r.delivered THEN datetime({epochMillis: toInteger(r.at) + 60000}) END,
         d.deliveryFailed = CASE WHEN r.failed THEN 'UNREACHABLE' END`,
      {
        rows: decisions.map((d, n) => ({
          ...d,
          id: `D${RUN}EV${n}`,
          customerId: ids[d.customer],
          outcome: d.outcome ?? null,
          delivered: d.delivered ?? false,
          failed: d.failed ?? false,
        })),
      },
    );
    // Orders: SUBSCRIBES edges dated after the decision (an acceptance writes one; c36 and control c0, c1 bought on their own).
    const orders = [
      ...[...range(10, 17), 36].map((i) => ({ customerId: ids[i], productId: productIds[0], at: T0 + DAY })),
      ...[0, 1].map((i) => ({ customerId: ids[i], productId: productIds[0], at: T0 + 2 * DAY })),
      ...[22, 23].map((i) => ({ customerId: ids[i], productId: productIds[1], at: T0 + 4 * DAY })),
      ...range(5, 7).map((i) => ({ customerId: ids[i], productId: productIds[2], at: T0 + 17 * DAY })),
    ];
    await session.write(
      `UNWIND $orders AS o MATCH (c:Customer {id: o.customerId}), (p:Product {id: o.productId})
       CREATE (c)-[:SUBSCRIBES {since: datetime({epochMillis: toInteger(o.at)})}]->(p)`,
      { orders },
    );
    await session.write(
      `UNWIND $campaigns AS cp
       CREATE (c:Campaign {id: cp.id, name: cp.id, status: 'RUNNING', strategyId: cp.strategyId, strategyVersion: 1, segmentId: 'SG-EVAL',
         membership: 'SNAPSHOT', schedule: 'ONCE', startAt: datetime({epochMillis: toInteger($t0)}), controlShare: cp.controlShare, owners: [$owner],
         alertResponseRate: 0.5, createdBy: $owner, createdAt: datetime(), updatedAt: datetime()})
       WITH c, cp UNWIND cp.waves AS w
       CREATE (c)-[:HAS_WAVE]->(:Wave {id: w.id, campaignId: cp.id, index: w.index, channel: w.channel, delayDays: w.delay, audience: w.audience,
         status: 'DONE', total: 0, done: 0, targeted: 0, heldOut: 0, contacted: 0})`,
      {
        t0: T0,
        owner: OWNER,
        campaigns: [
          { id: A, strategyId: S1.id, controlShare: 0.25, waves: [{ id: `${A}-W1`, index: 1, channel: "SMS", delay: 0, audience: "ALL" }, { id: `${A}-W2`, index: 2, channel: "OUTBOUND_CALL", delay: 3, audience: "CONTACTED_NOT_RESPONDED" }] },
          { id: B, strategyId: S2.id, controlShare: 0.25, waves: [{ id: `${B}-W1`, index: 1, channel: "APP", delay: 0, audience: "ALL" }] },
        ],
      },
    );
  });

  after(async () => {
    await graph.session().write("MATCH (n) WHERE (n:Decision OR n:CampaignAlert OR n:EvaluationReport OR n:Wave) AND n.campaignId IN $c DETACH DELETE n", { c: [A, B] });
    await graph.session().write("MATCH (n:Campaign) WHERE n.id IN $c DETACH DELETE n", { c: [A, B] });
  });

  async function evaluate(variables: EvaluationQueryVariables, token?: string): Promise<Row[]> {
    return dataOf(await gw.request(EvaluationDocument, variables, token)).evaluation;
  }

  test("the funnel of a campaign and of each wave, counted in customers", async () => {
    const [total] = await evaluate({ filter: { campaignIds: [A] }, by: "TOTAL" });
    assert.ok(total);
    assert.deepEqual(
      { ...total.funnel },
      {
        targeted: 40,
        heldOut: 10,
        treated: 30,
        contacted: 26,
        delivered: 22,
        deliveryFailed: 2,
        responded: 14,
        accepted: 10,
        ordered: 11,
        controlOrdered: 2,
        contactRate: 26 / 30,
        deliveryRate: 22 / 26,
        responseRate: 14 / 26,
        orderRate: 11 / 30,
        controlOrderRate: 2 / 10,
        revenue: 9 * 100 + 2 * 50,
        retentionRevenue: ((9 * (P[0]?.monthlyFee ?? 0) + 2 * (P[1]?.monthlyFee ?? 0)) * 12),
      },
    );
    const waves = await evaluate({ filter: { campaignIds: [A] }, by: "WAVE" });
    assert.deepEqual(waves.map((r) => r.key), [`${A}-W1`, `${A}-W2`]);
    const w1 = funnelOf(waves, `${A}-W1`);
    assert.deepEqual([w1.targeted, w1.heldOut, w1.contacted, w1.delivered, w1.deliveryFailed, w1.responded, w1.accepted, w1.ordered, w1.controlOrdered], [40, 10, 26, 22, 2, 12, 8, 9, 2]);
    const w2 = funnelOf(waves, `${A}-W2`);
    // Control c0 and c1 ordered wave 1's product, not wave 2's: no control order in wave 2.
    assert.deepEqual([w2.targeted, w2.heldOut, w2.contacted, w2.responded, w2.accepted, w2.ordered, w2.controlOrdered], [24, 10, 14, 2, 2, 2, 0]);
    const channels = await evaluate({ filter: { campaignIds: [A] }, by: "CHANNEL" });
    assert.deepEqual(channels.map((r) => [r.key, r.funnel.targeted]), [["OUTBOUND_CALL", 24], ["SMS", 40]]);
    const versions = await evaluate({ filter: { campaignIds: [A] }, by: "STRATEGY_VERSION" });
    assert.deepEqual(versions.map((r) => r.key), [`${S1.id}@1`, `${S1.id}@2`]);
  });

  test("the uplift and its interval on the constructed campaign", async () => {
    const [total] = await evaluate({ filter: { campaignIds: [A] }, by: "TOTAL" });
    const u = total?.uplift;
    assert.ok(u);
    // 11/30 − 2/10; Newcombe interval computed independently (Python standard library, as above): −0.176673 to 0.395346.
    assert.ok(Math.abs(u.rateDifference.value - (11 / 30 - 2 / 10)) < 1e-12);
    assert.ok(Math.abs(u.rateDifference.lower - -0.176673) < 1e-6 && Math.abs(u.rateDifference.upper - 0.395346) < 1e-6, JSON.stringify(u.rateDifference));
    assert.ok(Math.abs(u.incrementalOrders.value - 5) < 1e-9, "30 × (11/30 − 0.2) = 5 incremental orders");
    assert.ok(Math.abs(u.revenuePerOrder - 1000 / 11) < 1e-9);
    assert.ok(Math.abs(u.incrementalRevenue.value - (5 * 1000) / 11) < 1e-6);
    assert.ok(Math.abs(u.incrementalRevenue.upper - 30 * 0.39534641 * (1000 / 11)) < 1e-3);
    assert.ok(u.incrementalRetentionRevenue, "a RETENTION strategy has retention revenue");
  });

  test("breakdowns by channel, region, tag and day sum to the total", async () => {
    // Within one wave every customer has one decision, so each breakdown partitions its members.
    const wave = { campaignIds: [A], waveId: `${A}-W1` };
    const [waveTotal] = await evaluate({ filter: wave, by: "TOTAL" });
    assert.ok(waveTotal);
    for (const by of ["CHANNEL", "REGION", "DAY", "WAVE"] as const) {
      assertSumsTo(await evaluate({ filter: wave, by }, undefined), waveTotal, `wave 1 by ${by}`);
    }
    assertSumsTo(await evaluate({ filter: { ...wave, tagIds: [TA, TB] }, by: "TAG" }), waveTotal, "wave 1 by TAG");
    // Over the campaign, customers are counted once per region and tag as well.
    const [total] = await evaluate({ filter: { campaignIds: [A] }, by: "TOTAL" });
    assert.ok(total);
    const byRegion = await evaluate({ filter: { campaignIds: [A] }, by: "REGION" });
    assertSumsTo(byRegion, total, "campaign by REGION");
    assert.deepEqual(byRegion.map((r) => r.key), [...new Set(regions.map((r) => r.slice(0, 5)))].sort());
    const byTag = await evaluate({ filter: { campaignIds: [A], tagIds: [TA, TB] }, by: "TAG" });
    assertSumsTo(byTag, total, "campaign by TAG");
    assert.equal(funnelOf(byTag, TA).targeted, 20);
    // Grouping by TAG needs the tags.
    const res = await gw.request(EvaluationDocument, { filter: { campaignIds: [A] }, by: "TAG" });
    assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.match(res.errors?.[0]?.message ?? "", /tagIds/);
  });

  test("rankings order the campaigns by the metric asked", async () => {
    const rank = async (metric: "INCREMENTAL_REVENUE" | "ORDER_RATE" | "UPLIFT" | "RESPONSE_RATE"): Promise<string[]> =>
      dataOf(await gw.request(CampaignRankingDocument, { from: MONTH_FROM, to: MONTH_TO, metric })).campaignRanking.map((r) => r.key);
    // A: order rate 11/30, uplift 0.1667, response 14/26, incremental revenue 454.5; B: 3/15, 0.2, 3/15, 15 × 0.2 × 200 = 600.
    assert.deepEqual(await rank("INCREMENTAL_REVENUE"), [B, A]);
    assert.deepEqual(await rank("ORDER_RATE"), [A, B]);
    assert.deepEqual(await rank("UPLIFT"), [B, A]);
    assert.deepEqual(await rank("RESPONSE_RATE"), [A, B]);
  });

  test("a trend has every day of the range", async () => {
    const points = dataOf(await gw.request(EvaluationTrendDocument, { filter: { campaignIds: [A], from: "2019-03-03T00:00:00.000Z", to: "2019-03-09T00:00:00.000Z" }, metric: "TARGETED" })).evaluationTrend;
    assert.deepEqual(points.map((p) => [p.day, p.value]), [
      ["2019-03-03", null],
      ["2019-03-04", 40],
      ["2019-03-05", null],
      ["2019-03-06", null],
      ["2019-03-07", 24],
      ["2019-03-08", null],
    ]);
  });

  test("the strategy cube's cells", async () => {
    const activeIn = async (s: typeof S1): Promise<number> =>
      (await graph.session().read<{ n: number }>(
        "MATCH (s:Strategy) WHERE s.status = 'ACTIVE' AND s.businessLine = $bl AND s.scenario = $sc AND coalesce(s.lifecycleStage, 'ANY') = $st RETURN count(*) AS n",
        { bl: s.businessLine, sc: s.scenario, st: s.lifecycleStage ?? "ANY" },
      ))[0]?.n ?? 0;
    const cells = dataOf(await gw.request(StrategyCubeDocument, { from: MONTH_FROM, to: MONTH_TO })).strategyCube;
    const cell = (s: typeof S1) => cells.find((c) => c.businessLine === s.businessLine && c.scenario === s.scenario && c.lifecycleStage === (s.lifecycleStage ?? "ANY"));
    const c1 = cell(S1);
    const c2 = cell(S2);
    assert.ok(c1 && c2);
    // Counted in decisions: A has 40 + 24, 20 of them control; B 20, 5 control.
    assert.deepEqual([c1.decisions, c1.controlDecisions, c1.contacted, c1.orders, c1.controlOrders], [64, 20, 40, 11, 2]);
    assert.deepEqual([c2.decisions, c2.controlDecisions, c2.contacted, c2.orders, c2.controlOrders], [20, 5, 15, 3, 0]);
    assert.ok(Math.abs((c1.uplift?.value ?? NaN) - (11 / 44 - 2 / 20)) < 1e-12);
    assert.equal(c1.activeStrategies, await activeIn(S1));
    // Every other cell of that month is empty of decisions (no other test decides in 2019).
    assert.equal(cells.reduce((s, c) => s + c.decisions, 0), 84);
  });

  test("a region-limited marketer's figures count only their region", async () => {
    const city = (regions[10] as string).slice(0, 5);
    const inCity = ids.filter((_, i) => (regions[i] as string).startsWith(city)).length;
    const token = await tokenFor({ sub: "test:city-marketer", roles: ["MARKETER"], regions: [city] });
    const [scoped] = await evaluate({ filter: { campaignIds: [A] }, by: "TOTAL" }, token);
    assert.ok(scoped);
    assert.equal(scoped.funnel.targeted, inCity);
    const operatorRow = (await evaluate({ filter: { campaignIds: [A] }, by: "REGION" })).find((r) => r.key === city);
    assert.deepEqual(scoped.funnel, operatorRow?.funnel);
    const byRegion = await evaluate({ filter: { campaignIds: [A] }, by: "REGION" }, token);
    assert.deepEqual(byRegion.map((r) => r.key), [city]);
    // Its report is computed over its region, not the stored one.
    const report = dataOf(await gw.request(CampaignReportDocument, { campaignId: A }, token)).campaignReport;
    assert.equal(report.stored, false);
    assert.equal(report.total.funnel.targeted, inCity);
  });

  test("alerts: a low response rate reaches the owner once; a non-owner is FORBIDDEN", async () => {
    const log = createLogger("test-evaluation", "warn");
    const redis = testRedis();
    const pubsub = leftover("pub/sub", new PubSub(redis, log), (p) => p.close());
    // Another replica of the evaluation centre, with the 200-contact minimum lowered to this file's small waves.
    const evaluation = new EvaluationService(graph, pubsub, log, { minContacts: 20, alertDebounceMs: 50 });
    const hooks = leftover("campaign hooks", new CampaignEvaluationHooks(evaluation, log), (h) => h.close());

    const stranger = new LiveClient(gw.url, tokenFor({ sub: "test:not-an-owner", roles: ["MARKETER"] }));
    const refused = stranger.subscribe(print(CampaignAlertFeedDocument), { campaignId: A });
    await refused.ended();
    assert.equal(refused.errors[0]?.extensions?.code, "FORBIDDEN");

    const owner = new LiveClient(gw.url, tokenFor({ sub: OWNER, roles: ["MARKETER"] }));
    const alerts = owner.subscribe<{ campaignAlerts: { id: string; kind: string; waveId: string } }>(print(CampaignAlertFeedDocument), { campaignId: A });
    await eventually(() => gw.app.services.evaluation.hub.size >= 1 || undefined, { what: "the owner's subscription on the gateway" });

    // Wave 1: 12 of 26 contacted responded (46%) < 50%. Wave 2 has 14 contacts (< 20): not judged yet.
    hooks.waveProgressed(A, `${A}-W1`);
    hooks.waveProgressed(A, `${A}-W1`);
    const [first] = await alerts.atLeast(1);
    assert.deepEqual([first?.campaignAlerts.id, first?.campaignAlerts.kind, first?.campaignAlerts.waveId], [`${A}:LOW_RESPONSE_RATE:${A}-W1`, "LOW_RESPONSE_RATE", `${A}-W1`]);
    assert.deepEqual(await evaluation.checkAlerts(A), [], "a second check raises nothing again");
    const listed = dataOf(await gw.request(CampaignAlertsDocument, { campaignId: A })).campaignAlerts;
    assert.deepEqual(listed.map((a) => a.id), [`${A}:LOW_RESPONSE_RATE:${A}-W1`]);
    assert.match(listed[0]?.message ?? "", /12 of 26 contacted responded/);
    assert.equal(alerts.items.length, 1);
    assert.equal(alerts.errors.length, 0);
  });

  test("the report is produced once, however many replicas are asked for it", async () => {
    const before = await gw.request(CampaignReportDocument, { campaignId: B });
    assert.equal(before.errors?.[0]?.extensions?.code, "NOT_FOUND");
    assert.match(before.errors?.[0]?.message ?? "", /30 days after the campaign ends/);
    const evaluation = gw.app.services.evaluation;
    const hooks = new CampaignEvaluationHooks(evaluation, createLogger("test-evaluation", "silent"));
    assert.equal(hooks.reportDelayDays, 30, "the report waits out the response window");
    await Promise.all([hooks.produceReport(B), evaluation.produceReport(B)]);
    assert.equal(await evaluation.produceReport(B), false, "a repeat stores nothing");
    const stored = await graph.session().read<{ n: number }>("MATCH (r:EvaluationReport {campaignId: $id}) RETURN count(r) AS n", { id: B });
    assert.equal(stored[0]?.n, 1);
    const report = dataOf(await gw.request(CampaignReportDocument, { campaignId: B })).campaignReport;
    assert.equal(report.stored, true);
    const [total] = await evaluate({ filter: { campaignIds: [B] }, by: "TOTAL" });
    assert.deepEqual(report.total, total);
    assert.deepEqual(report.waves.map((w) => w.key), [`${B}-W1`]);
    assert.deepEqual(report.channels.map((w) => w.key), ["APP"]);
    assert.deepEqual([report.total.funnel.targeted, report.total.funnel.ordered, report.total.funnel.controlOrdered], [20, 3, 0]);
  });

  test("a campaign's evaluation starts from the campaign index and finds customers by their unique id", async () => {
    const operators: string[] = [];
    let hits = 0;
    const walk = (p: { operatorType: string; dbHits?: number; children: unknown[] }): void => {
      operators.push(p.operatorType);
      hits += p.dbHits ?? 0;
      for (const c of p.children) walk(c as { operatorType: string; children: unknown[] });
    };
    for (const by of ["TOTAL", "REGION", "TAG", "DAY"] as const) {
      const selection = { campaignIds: [A], ...(by === "TAG" ? { tagIds: [TA, TB] } : {}) };
      operators.length = 0;
      hits = 0;
      walk(await graph.profile(funnelStatement(selection, by), funnelParams(selection, EVERY_CUSTOMER, 30)));
      assert.ok(operators.some((o) => o.startsWith("NodeIndexSeek")), `${by}: ${operators.join(" < ")}`);
      assert.ok(operators.some((o) => o.startsWith("NodeUniqueIndexSeek")), `${by}: ${operators.join(" < ")}`);
      assert.ok(!operators.some((o) => /AllNodesScan|NodeByLabelScan/.test(o)), `${by}: ${operators.join(" < ")}`);
      // 64 decisions of 40 customers: a few thousand hits at most, whatever the size of the graph.
      assert.ok(hits < 10_000, `${by}: ${hits} db hits`);
    }
  });

  test("bad filters are refused with what to do", async () => {
    const none = await gw.request(EvaluationDocument, { filter: {}, by: "TOTAL" });
    assert.equal(none.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    const missing = await gw.request(EvaluationDocument, { filter: { campaignIds: ["CP-NOPE"] }, by: "TOTAL" });
    assert.equal(missing.errors?.[0]?.extensions?.code, "NOT_FOUND");
    const agent = await gw.request(EvaluationDocument, { filter: { campaignIds: [A] }, by: "TOTAL" }, await tokenFor({ sub: "test:agent", roles: ["AGENT"], regions: ["R33"] }));
    assert.equal(agent.errors?.[0]?.extensions?.code, "FORBIDDEN");
  });
});


describe("campaign truth: simulated answers against the evaluation centre (issue 12, point 8)", () => {
  test("on 100,000 simulated members the estimated uplift is within one percentage point of the true uplift, and its interval covers it", () => {
    const rng = rngFor(2026, 12);
    const prefs = new Map<string, HiddenPreferenceNode>();
    const members: CampaignMember[] = [];
    for (let i = 0; i < 100_000; i++) {
      const customerId = `S${i}`;
      const pref = { customerId } as HiddenPreferenceNode;
      for (const kind of PRODUCT_KINDS) pref[kind] = rng.next();
      prefs.set(customerId, pref);
      const control = i % 5 === 0;
      members.push({ decisionId: `D${i}`, customerId, productId: "P", kind: "PLAN", control, contacted: !control && i % 10 !== 1 });
    }
    const answers = answerCampaign(members, prefs, rng);
    const truth = trueUplift(members, prefs);
    const estimate = estimatedUplift(members, answers);
    assert.ok(truth !== null && estimate);
    // E[accept] = 0.6·E[a²] = 0.2 for a uniform affinity, on 90% of the treated: the truth is about 0.17.
    assert.ok(truth > 0.15 && truth < 0.19, `truth ${truth}`);
    const cmp = compareUplift(truth, { value: estimate.value, ...estimate.interval });
    assert.ok(cmp.withinOnePoint, JSON.stringify(cmp));
    assert.ok(cmp.covered, JSON.stringify(cmp));
    // Members never contacted do not answer; everyone may buy on their own.
    assert.ok(answers.every((a, i) => (members[i]?.contacted && !members[i]?.control ? a.outcome !== null : a.outcome === null)));
    assert.ok(answers.some((a, i) => members[i]?.control && a.ordered), "the control group buys on its own");
  });

  test("answers recorded through respondToOffer and organic purchases in the graph give the evaluation centre exactly the simulated difference", async () => {
    const gw = await startTestGateway();
    const graph = testGraph();
    const session = graph.session();
    const fresh = await freshCustomers(60);
    const ids = fresh.map((g) => g.customer.id);
    const [offer] = await session.read<{ offerId: string; productId: string; kind: ProductKind }>(
      "MATCH (o:Offer {status: 'ACTIVE'})-[:OF]->(p:Product) WHERE p.monthlyFee > 0 RETURN o.id AS offerId, p.id AS productId, p.kind AS kind ORDER BY o.id LIMIT 1",
    );
    assert.ok(offer);
    await session.write("UNWIND $ids AS id MATCH (:Customer {id: id})-[s:SUBSCRIBES]->(:Product {id: $p}) DELETE s", { ids, p: offer.productId });
    const C = `CPEV${RUN}C`;
    const at = Date.now() - 3_600_000;
    const members: CampaignMember[] = ids.map((customerId, i) => ({ decisionId: `D${RUN}SIM${i}`, customerId, productId: offer.productId, kind: offer.kind, control: i < 20, contacted: i >= 25 }));
    await session.write(
      `CREATE (:Campaign {id: $c, name: $c, status: 'RUNNING', controlShare: 0.33, owners: [], alertResponseRate: 0.0})
       WITH 1 AS one UNWIND $rows AS r
       CREATE (d:Decision {id: r.decisionId, customerId: r.customerId, offerId: $offer, productId: r.productId, strategyId: null, channel: 'APP',
         at: datetime({epochMillis: toInteger($at)}), score: 1.0, propensity: 0.1, value: 80.0, priority: 1.0, relevance: 1.0, reasons: '[]', features: [],
         controlGroup: r.control, contacted: r.contacted, campaignId: $c, waveId: $c + '-W1'})
       WITH d, r WHERE r.contacted
       MATCH (c:Customer {id: r.customerId}), (ch:Channel {code: 'APP'}), (p:Product {id: r.productId})
       CREATE (c)-[:HAD]->(k:Contact:Decided {id: 'K' + r.decisionId, customerId: r.customerId, at: d.at, channel: 'APP', kind: 'OFFER_PRESENTED',
         summary: 'simulated', outcome: null, productId: r.productId, decisionId: r.decisionId})-[:VIA]->(ch), (k)-[:ABOUT]->(p)`,
      { c: C, offer: offer.offerId, at, rows: members },
    );
    teardown("campaign C", () => graph.session().write("MATCH (n) WHERE (n:Decision AND n.campaignId = $c) OR (n:Campaign AND n.id = $c) DETACH DELETE n", { c: C }));
    const prefs = await hiddenPreferences(session, ids);
    assert.equal(prefs.size, 60, "fresh customers carry the seed's hidden preferences");
    const answers = answerCampaign(members, prefs, rngFor(7, 12));
    for (const a of answers) {
      if (a.outcome) dataOf(await gw.request(RespondToOfferDocument, { decisionId: a.decisionId, outcome: a.outcome }));
    }
    await writeOrganicPurchases(session, answers.filter((a) => a.organic && a.outcome !== "ACCEPTED").map((a) => ({ customerId: a.customerId, productId: a.productId, at: new Date() })));
    const [row] = dataOf(await gw.request(EvaluationDocument, { filter: { campaignIds: [C] }, by: "TOTAL" })).evaluation;
    assert.ok(row);
    assert.equal(row.funnel.ordered, answers.filter((a, i) => a.ordered && !members[i]?.control).length);
    assert.equal(row.funnel.controlOrdered, answers.filter((a, i) => a.ordered && members[i]?.control).length);
    assert.equal(row.funnel.responded, answers.filter((a) => a.outcome !== null).length);
    const estimate = estimatedUplift(members, answers);
    assert.ok(estimate && row.uplift);
    assert.ok(Math.abs(row.uplift.rateDifference.value - estimate.value) < 1e-12);
    assert.ok(Math.abs(row.uplift.rateDifference.lower - estimate.interval.lower) < 1e-12);
    const truth = trueUplift(members, prefs);
    assert.ok(truth !== null);
    const cmp = compareUplift(truth, row.uplift.rateDifference);
    assert.equal(cmp.errorPoints, (row.uplift.rateDifference.value - truth) * 100);
  });
});
