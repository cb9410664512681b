import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { PRODUCTS, REQUIRES, productByCode } from "../seeds/catalogue";
import { customerId, generateCustomerById } from "../seeds/generate";
import { MIN_SAVING_YUAN, monthlyCost, planAdvice, productsToCheck, type PlanCustomer } from "../src/advice/plan-advice";
import type { CustomerNode } from "../src/graph/model";
import type { ProductRecord } from "../src/graph/records";
import { TEST_DATA } from "./support/data";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";

const catalogue: ReadonlyMap<string, ProductRecord> = new Map(PRODUCTS.map((p) => [p.id, p]));
const requiresOf = (ids: readonly string[]): Map<string, string[]> =>
  new Map(ids.map((id) => [id, REQUIRES.filter((l) => l.from === id).map((l) => l.to)]));
const id = (code: string): string => productByCode(code).id;
const GB = 1024;

/** Advice with the seed catalogue's REQUIRES rules, as the resolver would load them. */
function advise(customer: PlanCustomer, codes: readonly string[]): ReturnType<typeof planAdvice> {
  const held = codes.map(id);
  return planAdvice(customer, held, catalogue, requiresOf(productsToCheck(held, catalogue)));
}

describe("monthlyCost", () => {
  test("fee plus data overage on the exact excess plus voice overage per minute", () => {
    // 4G飞享18: 18 yuan, 2 GB, 50 min, 5 yuan/GB, 0.19 yuan/min. 3.5 GB and 80 min: 1.5 GB × 5 = 7.5; 30 × 0.19 = 5.7.
    const cost = monthlyCost(productByCode("4G-PLAN-18"), { avgDataMb3m: 3.5 * GB, avgVoiceMinutes3m: 80 }, []);
    assert.deepEqual(
      { fee: cost.monthlyFee, data: cost.dataOverage, voice: cost.voiceOverage, total: cost.total, mb: cost.dataQuotaMb, gb: cost.dataQuotaGb, min: cost.voiceMinutes, covers: cost.coversUsage },
      { fee: 18, data: 7.5, voice: 5.7, total: 31.2, mb: 2048, gb: 2, min: 50, covers: false },
    );
  });

  test("data overage is not rounded up to whole GB", () => {
    // 100 MB over: 100 / 1024 × 5 = 0.488… → 0.49 yuan, not 5.
    const cost = monthlyCost(productByCode("4G-PLAN-18"), { avgDataMb3m: 2048 + 100, avgVoiceMinutes3m: 50 }, []);
    assert.equal(cost.dataOverage, 0.49);
    assert.equal(cost.voiceOverage, 0);
    assert.equal(cost.total, 18.49);
  });

  test("held data and voice add-ons add their quota; other products are ignored; add-on fees are not in the total", () => {
    const addOns = ["DATA-ADDON-5GB", "VOICE-ADDON-100", "CNT-MIGU-VIDEO", "BB-300M"].map(productByCode);
    // 2 + 5 GB covers 3.5 GB; 50 + 100 min covers 80.
    const cost = monthlyCost(productByCode("4G-PLAN-18"), { avgDataMb3m: 3.5 * GB, avgVoiceMinutes3m: 80 }, addOns);
    assert.equal(cost.dataQuotaMb, 7 * GB);
    assert.equal(cost.voiceMinutes, 150);
    assert.equal(cost.total, 18);
    assert.equal(cost.coversUsage, true);
  });

  test("a family member pays an even share of the fee and has the generator's share of the quota", () => {
    // 全家享128 among 3: 128 / 3 = 42.67; floor(40960 / 3) = 13653 MB; floor(1000 / 3) = 333 min.
    // 15 GB = 15360 MB: 1707 MB over × 3 yuan/GB = 5.0009 → 5; 400 min: 67 × 0.1 = 6.7.
    const cost = monthlyCost(productByCode("FAMILY-PLAN-128"), { avgDataMb3m: 15 * GB, avgVoiceMinutes3m: 400 }, [], 3);
    assert.deepEqual(
      [cost.monthlyFee, cost.dataQuotaMb, cost.voiceMinutes, cost.smsCount, cost.dataOverage, cost.voiceOverage, cost.total],
      [42.67, 13653, 333, 33, 5, 6.7, 54.37],
    );
  });
});

describe("planAdvice", () => {
  test("recommends the cheapest plan with the saving, the difference and what changes", () => {
    // On 4G飞享18 with 9 GB and 100 min: 18 + 7 × 5 + 50 × 0.19 = 62.5. 4G飞享38 covers both: 38.
    const advice = advise({ avgDataMb3m: 9 * GB, avgVoiceMinutes3m: 100, dataQuotaMb: 2 * GB }, ["4G-PLAN-18"]);
    assert.ok(advice);
    assert.equal(advice.current.total, 62.5);
    assert.deepEqual([advice.current.dataOverage, advice.current.voiceOverage], [35, 9.5]);
    assert.equal(advice.recommended?.plan.code, "4G-PLAN-38");
    assert.equal(advice.recommended.total, 38);
    assert.equal(advice.recommended.differenceYuan, -24.5);
    assert.equal(advice.monthlySaving, 24.5);
    assert.deepEqual(advice.recommended.gains, ["流量多8GB", "通话多50分钟"]);
    assert.deepEqual(advice.recommended.losses, []);
    assert.equal(
      advice.summary,
      "按近三月平均用量（流量9GB、通话100分钟），当前4G飞享18元套餐每月约62.5元（含超套费44.5元），改用4G飞享38元套餐每月约38元，每月可省24.5元，流量多8GB、通话多50分钟。",
    );
    assert.equal(advice.shared, false);
    assert.equal(advice.sharers, 1);
  });

  test("options are every individual plan but the held one, cheapest first, with differences against the current plan", () => {
    const advice = advise({ avgDataMb3m: 9 * GB, avgVoiceMinutes3m: 100, dataQuotaMb: 2 * GB }, ["4G-PLAN-18"]);
    assert.ok(advice);
    const plans = PRODUCTS.filter((p) => p.kind === "PLAN" && p.code !== "4G-PLAN-18");
    assert.deepEqual(advice.options.map((o) => o.plan.id).sort(), plans.map((p) => p.id).sort());
    const totals = advice.options.map((o) => o.total);
    assert.deepEqual(totals, [...totals].sort((a, b) => a - b));
    for (const o of advice.options) assert.equal(o.differenceYuan, Math.round((o.total - 62.5) * 100) / 100);
    const fiveG = advice.options.find((o) => o.plan.code === "5G-PLAN-78");
    assert.ok(fiveG);
    assert.ok(fiveG.gains.includes("网络4G→5G"));
    assert.ok(fiveG.gains.includes("短信多50条"));
  });

  test("a tie on cost goes to more quota (more data, then more minutes)", () => {
    // On 4G畅享88 with 15 GB and 120 min: 4G畅享58 and 5G畅享58 both cost 58 with 20 GB; 4G has 200 min, 5G 150.
    const advice = advise({ avgDataMb3m: 15 * GB, avgVoiceMinutes3m: 120, dataQuotaMb: 30 * GB }, ["4G-PLAN-88"]);
    assert.ok(advice);
    assert.deepEqual(advice.options.slice(0, 2).map((o) => [o.plan.code, o.total]), [["4G-PLAN-58", 58], ["5G-PLAN-58", 58]]);
    assert.equal(advice.recommended?.plan.code, "4G-PLAN-58");
    assert.equal(advice.monthlySaving, 30);
    assert.deepEqual(advice.recommended.losses, ["流量少10GB", "通话少300分钟", "短信少50条"]);
    assert.match(advice.summary, /，但流量少10GB、通话少300分钟、短信少50条。$/);
  });

  test("a cheaper plan that leaves overage is still the best fit when it costs less after the overage", () => {
    // On 4G飞享38 with 3 GB and 50 min: 4G飞享18 costs 18 + 1 GB × 5 = 23.
    const advice = advise({ avgDataMb3m: 3 * GB, avgVoiceMinutes3m: 50, dataQuotaMb: 10 * GB }, ["4G-PLAN-38"]);
    assert.equal(advice?.recommended?.plan.code, "4G-PLAN-18");
    assert.equal(advice.recommended.total, 23);
    assert.equal(advice.recommended.coversUsage, false);
    assert.equal(advice.monthlySaving, 15);
    assert.match(advice.summary, /改用4G飞享18元套餐每月约23元（含超套费5元），每月可省15元/);
  });

  test("keeps the current plan when nothing saves at least 1 yuan", () => {
    // On 4G飞享18 with 2048 + 4198 MB and 50 min: 18 + 4198 / 1024 × 5 = 38.50; 4G飞享38 = 38 saves only 0.5.
    const advice = advise({ avgDataMb3m: 2048 + 4198, avgVoiceMinutes3m: 50, dataQuotaMb: 2 * GB }, ["4G-PLAN-18"]);
    assert.ok(advice);
    assert.equal(advice.current.total, 38.5);
    assert.equal(advice.options[0]?.plan.code, "4G-PLAN-38");
    assert.equal(advice.options[0].differenceYuan, -0.5);
    assert.ok(0.5 < MIN_SAVING_YUAN);
    assert.equal(advice.recommended, null);
    assert.equal(advice.monthlySaving, 0);
    assert.equal(advice.summary, "按近三月平均用量（流量6.1GB、通话50分钟），当前4G飞享18元套餐每月约38.5元（含超套费20.5元），已是最划算的选择，建议保持当前套餐。");
  });

  test("a held 5G data add-on rules out 4G plans (REQUIRES any-of)", () => {
    const advice = advise({ avgDataMb3m: 50 * GB, avgVoiceMinutes3m: 100, dataQuotaMb: 65 * GB }, ["5G-PLAN-78", "DATA-ADDON-5G-40GB"]);
    assert.ok(advice);
    assert.ok(advice.options.length > 0);
    assert.ok(advice.options.every((o) => o.plan.network === "5G"), "only 5G plans keep the 5G add-on allowed");
    // The add-on's 40 GB counts on every plan: 5G畅享58 + 40 GB covers 50 GB, 58 yuan.
    assert.equal(advice.recommended?.plan.code, "5G-PLAN-58");
    assert.equal(advice.monthlySaving, 20);
  });

  test("a family-plan member gets the cost of their share, no alternatives and a summary saying the plan is shared", () => {
    // 全家享169 among 4: 61440 / 4 = 15360 MB share, read back from the customer's quota.
    const advice = advise({ avgDataMb3m: 12 * GB, avgVoiceMinutes3m: 200, dataQuotaMb: 15360 }, ["FAMILY-PLAN-169", "VOICE-ADDON-FAMILY"]);
    assert.ok(advice);
    assert.equal(advice.shared, true);
    assert.equal(advice.sharers, 4);
    assert.deepEqual([advice.current.monthlyFee, advice.current.dataQuotaMb, advice.current.voiceMinutes, advice.current.total], [42.25, 15360, 375 + 1000, 42.25]);
    assert.deepEqual(advice.options, []);
    assert.equal(advice.recommended, null);
    assert.equal(advice.monthlySaving, 0);
    assert.match(advice.summary, /全家享169元套餐（5G）由4人共享.*不提供个人改套餐建议/);
  });

  test("no advice without a main plan", () => {
    assert.equal(advise({ avgDataMb3m: GB, avgVoiceMinutes3m: 10, dataQuotaMb: 0 }, ["BB-300M"]), null);
  });
});

// ───────────────────────────── through the gateway ─────────────────────────────

interface ApiProduct {
  id: string;
  kind: string;
  network: string | null;
  monthlyFee: number;
  dataQuotaMb: number;
  voiceMinutes: number;
  dataOveragePerGb: number;
  voiceOveragePerMinute: number;
  requires: Array<{ id: string }>;
}
interface ApiCost {
  plan: { id: string; code: string; name: string };
  monthlyFee: number;
  dataOverage: number;
  voiceOverage: number;
  total: number;
  dataQuotaMb: number;
  dataQuotaGb: number;
  voiceMinutes: number;
  differenceYuan: number;
  coversUsage: boolean;
  gains: string[];
  losses: string[];
}
interface ApiCustomer {
  id: string;
  usage: { dataQuotaMb: number; voiceQuotaMinutes: number; avgDataMb3m: number; avgVoiceMinutes3m: number };
  subscriptions: Array<{ product: { id: string } }>;
  planAdvice: { current: ApiCost; options: ApiCost[]; recommended: ApiCost | null; monthlySaving: number; shared: boolean; sharers: number; summary: string } | null;
}

const COST = `plan { id code name } monthlyFee dataOverage voiceOverage total dataQuotaMb dataQuotaGb voiceMinutes differenceYuan coversUsage gains losses`;
const ADVICE_QUERY = `query($ids: [ID!]!) { customers(ids: $ids) {
  id usage { dataQuotaMb voiceQuotaMinutes avgDataMb3m avgVoiceMinutes3m } subscriptions { product { id } }
  planAdvice { current { ${COST} } options { ${COST} } recommended { ${COST} } monthlySaving shared sharers summary }
} }`;

/** Customers of the test data set picked by what the generator gave them (read-only: any id is fine). */
function pick(count: number, pred: (codes: string[], c: CustomerNode) => boolean): string[] {
  const opts = { seed: TEST_DATA.seed, customers: TEST_DATA.customers, asOf: new Date(TEST_DATA.asOf) };
  const out: string[] = [];
  for (let n = 1; n <= TEST_DATA.customers && out.length < count; n++) {
    const g = generateCustomerById(opts, customerId(n));
    if (g && pred(g.holdings.map((h) => catalogue.get(h.productId)?.code ?? ""), g.customer)) out.push(g.customer.id);
  }
  assert.equal(out.length, count, "the test data set has enough customers of this kind");
  return out;
}

/** The test's own arithmetic (not the module's): fee + exact overage, rounded to the fen. */
function expectedTotal(plan: ApiProduct, c: ApiCustomer, addOns: readonly ApiProduct[]): number {
  const dataQuota = plan.dataQuotaMb + addOns.filter((p) => p.kind === "DATA_ADDON").reduce((s, p) => s + p.dataQuotaMb, 0);
  const minutes = plan.voiceMinutes + addOns.filter((p) => p.kind === "VOICE_ADDON").reduce((s, p) => s + p.voiceMinutes, 0);
  const data = Math.round((Math.max(0, c.usage.avgDataMb3m - dataQuota) / 1024) * plan.dataOveragePerGb * 100);
  const voice = Math.round(Math.max(0, c.usage.avgVoiceMinutes3m - minutes) * plan.voiceOveragePerMinute * 100);
  return (Math.round(plan.monthlyFee * 100) + data + voice) / 100;
}

describe("Customer.planAdvice through the gateway", () => {
  let gw: TestGateway;
  let products: Map<string, ApiProduct>;

  before(async () => {
    gw = await startTestGateway();
    const res = await gw.raw<{ products: ApiProduct[] }>(
      `{ products { id kind network monthlyFee dataQuotaMb voiceMinutes dataOveragePerGb voiceOveragePerMinute requires { id } } }`,
    );
    products = new Map(dataOf(res).products.map((p) => [p.id, p]));
  });

  async function adviceOf(ids: string[]): Promise<ApiCustomer[]> {
    const res = await gw.raw<{ customers: Array<ApiCustomer | null> }>(ADVICE_QUERY, { ids });
    return dataOf(res).customers.map((c, i) => {
      assert.ok(c, `${ids[i]} exists`);
      return c;
    });
  }

  test("individual customers: the recommendation is the cheapest eligible plan, recomputed from the products query", async () => {
    const ids = pick(40, (codes) => codes.some((c) => c.startsWith("4G-PLAN") || c.startsWith("5G-PLAN")));
    const customers = await adviceOf(ids);
    let recommended = 0;
    let kept = 0;
    for (const c of customers) {
      const advice = c.planAdvice;
      assert.ok(advice, `${c.id} holds a plan`);
      const held = c.subscriptions.map((s) => products.get(s.product.id)).filter((p): p is ApiProduct => p !== undefined);
      const plan = held.find((p) => p.kind === "PLAN");
      assert.ok(plan);
      const addOns = held.filter((p) => p !== plan);
      const keptIds = new Set(addOns.map((p) => p.id));

      assert.equal(advice.shared, false);
      assert.equal(advice.current.plan.id, plan.id);
      assert.equal(advice.current.dataQuotaMb, c.usage.dataQuotaMb, `${c.id}: current quota is the customer's quota`);
      assert.equal(advice.current.voiceMinutes, c.usage.voiceQuotaMinutes);
      assert.equal(advice.current.total, expectedTotal(plan, c, addOns), `${c.id}: current total`);

      // Eligible: every other individual plan under which each held add-on still has a required product.
      const eligible = [...products.values()].filter(
        (p) => p.kind === "PLAN" && p.id !== plan.id && addOns.every((a) => a.requires.length === 0 || a.requires.some((r) => r.id === p.id || keptIds.has(r.id))),
      );
      assert.deepEqual(advice.options.map((o) => o.plan.id).sort(), eligible.map((p) => p.id).sort(), `${c.id}: eligible plans`);
      for (const o of advice.options) {
        const p = products.get(o.plan.id);
        assert.ok(p);
        assert.equal(o.total, expectedTotal(p, c, addOns), `${c.id} on ${o.plan.code}`);
        assert.equal(o.differenceYuan, Math.round((o.total - advice.current.total) * 100) / 100);
        assert.equal(o.dataQuotaGb, Math.round((o.dataQuotaMb / 1024) * 100) / 100);
      }
      const cheapest = Math.min(...advice.options.map((o) => o.total));
      if (advice.recommended) {
        recommended++;
        assert.equal(advice.recommended.total, cheapest, `${c.id}: the recommendation is the cheapest`);
        assert.ok(advice.current.total - cheapest >= 1 - 1e-9);
        assert.equal(advice.monthlySaving, Math.round((advice.current.total - cheapest) * 100) / 100);
        assert.equal(advice.recommended.plan.id, advice.options[0]?.plan.id);
        assert.ok(advice.summary.includes(`改用${advice.recommended.plan.name}`), advice.summary);
      } else {
        kept++;
        assert.ok(advice.current.total - cheapest < 1, `${c.id}: kept although a plan saves ${advice.current.total - cheapest}`);
        assert.equal(advice.monthlySaving, 0);
        assert.match(advice.summary, /建议保持当前套餐。$/);
      }
    }
    assert.ok(recommended > 0 && kept > 0, `the sample has both outcomes (recommended ${recommended}, kept ${kept})`);
  });

  test("a customer already on the best plan is told to keep it", async () => {
    // On the cheapest plan with no add-ons and usage within its quota: nothing costs less than its 18 yuan.
    const [light] = pick(1, (codes, c) => codes.length === 1 && codes[0] === "4G-PLAN-18" && c.avgDataMb3m <= 2048 && c.avgVoiceMinutes3m <= 50);
    assert.ok(light);
    const [c] = await adviceOf([light]);
    const advice = c?.planAdvice;
    assert.ok(advice);
    assert.equal(advice.current.total, 18);
    assert.equal(advice.current.coversUsage, true);
    assert.equal(advice.recommended, null);
    assert.equal(advice.monthlySaving, 0);
    assert.ok(advice.options.length > 0 && advice.options.every((o) => o.differenceYuan > 0));
    assert.match(advice.summary, /当前4G飞享18元套餐每月约18元，已是最划算的选择，建议保持当前套餐。$/);
  });

  test("a family-plan member: shared plan, their share of the quota, no individual alternatives", async () => {
    const ids = pick(3, (codes) => codes.some((c) => c.startsWith("FAMILY-PLAN")));
    for (const c of await adviceOf(ids)) {
      const advice = c.planAdvice;
      assert.ok(advice);
      const plan = products.get(advice.current.plan.id);
      assert.equal(plan?.kind, "FAMILY_PLAN");
      assert.equal(advice.shared, true);
      assert.ok(advice.sharers >= 1);
      assert.equal(advice.current.dataQuotaMb, c.usage.dataQuotaMb, `${c.id}: the share plus add-ons is the customer's quota`);
      assert.equal(advice.current.voiceMinutes, c.usage.voiceQuotaMinutes);
      assert.equal(advice.current.monthlyFee, Math.round((plan.monthlyFee / advice.sharers) * 100) / 100);
      assert.deepEqual(advice.options, []);
      assert.equal(advice.recommended, null);
      assert.equal(advice.monthlySaving, 0);
      assert.match(advice.summary, new RegExp(`由${advice.sharers}人共享`));
    }
  });

  test("a 5G data add-on holder is offered 5G plans only", async () => {
    const [holder] = pick(1, (codes) => codes.includes("DATA-ADDON-5G-40GB") && codes.some((c) => c.startsWith("5G-PLAN")));
    assert.ok(holder);
    const [c] = await adviceOf([holder]);
    const options = c?.planAdvice?.options ?? [];
    assert.ok(options.length > 0);
    for (const o of options) assert.equal(products.get(o.plan.id)?.network, "5G", `${o.plan.code} keeps the 5G add-on allowed`);
  });

  test("circle members (read without their profile) get the same advice as when asked directly", async () => {
    const [head] = pick(1, (codes) => codes.some((c) => c.startsWith("FAMILY-PLAN")));
    assert.ok(head);
    const res = await gw.raw<{ customer: { circle: Array<{ customer: { id: string; planAdvice: { summary: string; current: { total: number } } | null } }> } }>(
      `query($id: ID!) { customer(id: $id) { circle(limit: 5) { customer { id planAdvice { summary current { total } } } } } }`,
      { id: head },
    );
    const members = dataOf(res).customer.circle.map((m) => m.customer);
    assert.ok(members.length > 0);
    const direct = await adviceOf(members.map((m) => m.id));
    members.forEach((m, i) => {
      assert.ok(m.planAdvice, `${m.id} has advice through the circle`);
      assert.equal(m.planAdvice.summary, direct[i]?.planAdvice?.summary);
      assert.equal(m.planAdvice.current.total, direct[i]?.planAdvice?.current.total);
    });
  });

  test("advice for many customers costs one round trip for the customers and one for the product rules", async () => {
    const ids = pick(10, (codes) => codes.length > 1 && codes.some((c) => c.startsWith("4G-PLAN") || c.startsWith("5G-PLAN")));
    const res = await gw.raw(`query($ids: [ID!]!) { customers(ids: $ids) { id planAdvice { recommended { plan { id } } summary } } }`, { ids });
    dataOf(res);
    // The customers come from their live profiles: one statement while cold, none once warm (test/view-profile.test.ts).
    assert.ok(res.roundTrips >= 1 && res.roundTrips <= 2, `1 or 2 round trips, got ${res.roundTrips}`);
  });
});
