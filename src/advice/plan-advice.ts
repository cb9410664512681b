import type { CustomerNode } from "../graph/model";
import type { ProductRecord } from "../graph/records";

/**
 * Plan advice (套餐优化): what the customer's three-month average usage would cost on the plan
 * held and on every plan they could switch to, and which one to recommend. Pure: the caller
 * brings the catalogue and the REQUIRES rules of what the customer holds.
 *
 * The arithmetic is the seed generator's, so figures agree with the data set:
 * - Quota = the plan's quota (a family member: `floor(quota / members)`) plus held add-ons
 *   (DATA_ADDON data, VOICE_ADDON minutes, the family voice pack included, as the bill counts it).
 * - Data overage is charged on the exact excess (MB / 1024 × yuan per GB), not rounded up to whole
 *   GB; voice overage per exact minute. Each part is rounded to the fen, the total is their sum.
 * - Add-on fees are left out of every total: the add-ons are kept whichever plan, so they cost the
 *   same on both sides; only the quota they add matters. SMS has no overage price in the catalogue.
 *
 * Choices:
 * - Alternatives are individual PLANs the customer does not hold whose switch keeps every held
 *   product's requirement met (REQUIRES is any-of: some target must be the new plan or another
 *   product still held; e.g. the 5G data add-on rules out 4G plans). Main plans exclude each other,
 *   and a switch replaces the one held, so EXCLUDES needs no check.
 * - Best fit = lowest total (fee + overage), the customer's expected bill: a plan whose quota does
 *   not cover the usage wins only if it is cheaper even after its overage (`coversUsage` and the
 *   summary say so). Ties (same fen) go to more data, then more minutes. It is recommended only
 *   when it saves at least {@link MIN_SAVING_YUAN} a month; otherwise the advice is to keep the
 *   current plan, so `monthlySaving` is never negative: paying more for headroom is an upsell,
 *   which is the next-best-offer engine's job, not this comparison's.
 * - Family plans (全家享) are shared: one member's usage says nothing about the household's, and
 *   the plan is changed by the head for everyone. A member gets the cost of their share (the fee
 *   split evenly, the quota as the generator splits it), no alternatives and a summary saying so.
 *   The number of members is read back from the customer's quota (plan share = quota − add-ons).
 */

/** A saving smaller than this (yuan per month) is not worth a plan change. */
export const MIN_SAVING_YUAN = 1;

const MB_PER_GB = 1024;

/** The three-month averages the comparison is made on. */
export type PlanUsage = Pick<CustomerNode, "avgDataMb3m" | "avgVoiceMinutes3m">;

/** The customer fields plan advice reads. */
export type PlanCustomer = PlanUsage & Pick<CustomerNode, "dataQuotaMb">;

/** What a month of the given usage costs on one plan, in yuan. */
export interface MonthlyCost {
  plan: ProductRecord;
  /** The plan's fee; a family member's even share of it. */
  monthlyFee: number;
  dataOverage: number;
  voiceOverage: number;
  /** monthlyFee + dataOverage + voiceOverage (add-on fees excluded, see the module comment). */
  total: number;
  /** Data the customer would have: plan (share) plus held data add-ons. */
  dataQuotaMb: number;
  dataQuotaGb: number;
  /** Minutes the customer would have: plan (share) plus held voice add-ons. */
  voiceMinutes: number;
  smsCount: number;
  /** The quotas cover the average usage: no overage. */
  coversUsage: boolean;
}

/** One plan compared with the current one. */
export interface PlanCostComparison extends MonthlyCost {
  /** total − the current plan's total: negative saves money. 0 for the current plan. */
  differenceYuan: number;
  /** What the customer gets more of, in Chinese ("流量多5GB", "网络4G→5G"). */
  gains: string[];
  /** What the customer gives up, in Chinese ("通话少100分钟"). */
  losses: string[];
}

export interface PlanAdviceResult {
  current: PlanCostComparison;
  /** Eligible alternatives, cheapest first (ties: more data, more minutes). Empty on a family plan. */
  options: PlanCostComparison[];
  /** The plan to move to; null = keep the current plan. */
  recommended: PlanCostComparison | null;
  /** current.total − recommended.total; 0 when keeping. */
  monthlySaving: number;
  /** True on a family plan: the quota is shared and no individual advice is given. */
  shared: boolean;
  /** How many share the current plan (1 for an individual plan). */
  sharers: number;
  /** One Chinese sentence an agent can read out. */
  summary: string;
}

/** True for the products a customer holds exactly one of. */
export function isMainPlan(p: Pick<ProductRecord, "kind">): boolean {
  return p.kind === "PLAN" || p.kind === "FAMILY_PLAN";
}

/**
 * The cost of a month of `usage` on `plan` with the add-ons held (products of other kinds in
 * `addOns` are ignored). `sharers` > 1 splits a family plan's fee and quota among its members.
 */
export function monthlyCost(plan: ProductRecord, usage: PlanUsage, addOns: readonly ProductRecord[], sharers = 1): MonthlyCost {
  const n = Math.max(1, Math.floor(sharers));
  const dataQuotaMb = Math.floor(plan.dataQuotaMb / n) + sumOf(addOns, (p) => (p.kind === "DATA_ADDON" ? p.dataQuotaMb : 0));
  const voiceMinutes = Math.floor(plan.voiceMinutes / n) + sumOf(addOns, (p) => (p.kind === "VOICE_ADDON" ? p.voiceMinutes : 0));
  const monthlyFee = yuan(plan.monthlyFee / n);
  const dataOverage = yuan((Math.max(0, usage.avgDataMb3m - dataQuotaMb) / MB_PER_GB) * plan.dataOveragePerGb);
  const voiceOverage = yuan(Math.max(0, usage.avgVoiceMinutes3m - voiceMinutes) * plan.voiceOveragePerMinute);
  return {
    plan,
    monthlyFee,
    dataOverage,
    voiceOverage,
    total: yuan(monthlyFee + dataOverage + voiceOverage),
    dataQuotaMb,
    dataQuotaGb: round(dataQuotaMb / MB_PER_GB, 2),
    voiceMinutes,
    smsCount: Math.floor(plan.smsCount / n),
    coversUsage: usage.avgDataMb3m <= dataQuotaMb && usage.avgVoiceMinutes3m <= voiceMinutes,
  };
}

/**
 * The held products whose REQUIRES rules decide which plans the customer may switch to: every
 * held product except the main plan; none on a family plan (no alternatives are offered there).
 */
export function productsToCheck(heldIds: readonly string[], products: ReadonlyMap<string, ProductRecord>): string[] {
  const held = heldIds.flatMap((id) => products.get(id) ?? []);
  if (held.some((p) => p.kind === "FAMILY_PLAN")) return [];
  return [...new Set(held.filter((p) => !isMainPlan(p)).map((p) => p.id))];
}

/**
 * Plan advice for one customer. `heldIds` are the products held; `requires` maps each id of
 * {@link productsToCheck} to its REQUIRES targets (any-of; missing or empty = no requirement).
 * Null when the customer holds no main plan.
 */
export function planAdvice(
  customer: PlanCustomer,
  heldIds: readonly string[],
  products: ReadonlyMap<string, ProductRecord>,
  requires: ReadonlyMap<string, readonly string[]>,
): PlanAdviceResult | null {
  const held = [...new Set(heldIds)].flatMap((id) => products.get(id) ?? []);
  const plan = held.find(isMainPlan);
  if (!plan) return null;
  const kept = held.filter((p) => !isMainPlan(p));

  if (plan.kind === "FAMILY_PLAN") {
    const sharers = familySharers(plan, customer, kept);
    const current = compare(monthlyCost(plan, customer, kept, sharers), null);
    return { current, options: [], recommended: null, monthlySaving: 0, shared: true, sharers, summary: sharedSummary(current, customer, sharers) };
  }

  const currentCost = monthlyCost(plan, customer, kept);
  const current = compare(currentCost, null);
  const keptIds = new Set(kept.map((p) => p.id));
  const options = [...products.values()]
    .filter((p) => p.kind === "PLAN" && p.id !== plan.id && allowsSwitchTo(p.id, keptIds, requires))
    .map((p) => compare(monthlyCost(p, customer, kept), currentCost))
    .sort(byBestFit);
  const best = options[0];
  const saving = best ? fen(current.total) - fen(best.total) : 0;
  const recommended = best && saving >= fen(MIN_SAVING_YUAN) ? best : null;
  const monthlySaving = recommended ? saving / 100 : 0;
  return {
    current,
    options,
    recommended,
    monthlySaving,
    shared: false,
    sharers: 1,
    summary: recommended ? switchSummary(current, recommended, monthlySaving, customer) : keepSummary(current, customer),
  };
}

/** True when every kept product still has one of its REQUIRES targets after moving to `planId`. */
function allowsSwitchTo(planId: string, keptIds: ReadonlySet<string>, requires: ReadonlyMap<string, readonly string[]>): boolean {
  for (const id of keptIds) {
    const targets = requires.get(id) ?? [];
    if (targets.length > 0 && !targets.some((t) => t === planId || keptIds.has(t))) return false;
  }
  return true;
}

/** Members sharing a family plan, read back from the customer's quota (plan share = quota − data add-ons). */
function familySharers(plan: ProductRecord, customer: PlanCustomer, addOns: readonly ProductRecord[]): number {
  const shareMb = customer.dataQuotaMb - sumOf(addOns, (p) => (p.kind === "DATA_ADDON" ? p.dataQuotaMb : 0));
  return shareMb > 0 && plan.dataQuotaMb > 0 ? Math.max(1, Math.round(plan.dataQuotaMb / shareMb)) : 1;
}

/** A cost with its difference and changes against `base` (null: the cost is the base itself). */
function compare(cost: MonthlyCost, base: MonthlyCost | null): PlanCostComparison {
  if (!base) return { ...cost, differenceYuan: 0, gains: [], losses: [] };
  const gains: string[] = [];
  const losses: string[] = [];
  const change = (delta: number, more: string, less: string): void => {
    if (delta > 0) gains.push(more);
    else if (delta < 0) losses.push(less);
  };
  const dataGb = round((cost.dataQuotaMb - base.dataQuotaMb) / MB_PER_GB, 1);
  change(dataGb, `流量多${num(dataGb)}GB`, `流量少${num(-dataGb)}GB`);
  const minutes = cost.voiceMinutes - base.voiceMinutes;
  change(minutes, `通话多${minutes}分钟`, `通话少${-minutes}分钟`);
  const sms = cost.smsCount - base.smsCount;
  change(sms, `短信多${sms}条`, `短信少${-sms}条`);
  if (cost.plan.network !== base.plan.network && cost.plan.network && base.plan.network) {
    change(cost.plan.network === "5G" ? 1 : -1, `网络${base.plan.network}→${cost.plan.network}`, `网络${base.plan.network}→${cost.plan.network}`);
  }
  return { ...cost, differenceYuan: (fen(cost.total) - fen(base.total)) / 100, gains, losses };
}

/** Cheapest first; on the same fen, more data, then more minutes, then the lower fee. */
function byBestFit(a: MonthlyCost, b: MonthlyCost): number {
  return (
    fen(a.total) - fen(b.total) ||
    b.dataQuotaMb - a.dataQuotaMb ||
    b.voiceMinutes - a.voiceMinutes ||
    a.monthlyFee - b.monthlyFee ||
    (a.plan.id < b.plan.id ? -1 : a.plan.id > b.plan.id ? 1 : 0)
  );
}

function usagePhrase(u: PlanUsage): string {
  return `按近三月平均用量（流量${num(round(u.avgDataMb3m / MB_PER_GB, 1))}GB、通话${Math.round(u.avgVoiceMinutes3m)}分钟）`;
}

function costPhrase(c: MonthlyCost): string {
  const overage = yuan(c.dataOverage + c.voiceOverage);
  return overage > 0 ? `每月约${num(c.total)}元（含超套费${num(overage)}元）` : `每月约${num(c.total)}元`;
}

function switchSummary(current: PlanCostComparison, to: PlanCostComparison, saving: number, u: PlanUsage): string {
  const gains = to.gains.length > 0 ? `，${to.gains.join("、")}` : "";
  const losses = to.losses.length > 0 ? `，但${to.losses.join("、")}` : "";
  return `${usagePhrase(u)}，当前${current.plan.name}${costPhrase(current)}，改用${to.plan.name}${costPhrase(to)}，每月可省${num(saving)}元${gains}${losses}。`;
}

function keepSummary(current: PlanCostComparison, u: PlanUsage): string {
  return `${usagePhrase(u)}，当前${current.plan.name}${costPhrase(current)}，已是最划算的选择，建议保持当前套餐。`;
}

function sharedSummary(current: PlanCostComparison, u: PlanUsage, sharers: number): string {
  return (
    `客户的${current.plan.name}由${sharers}人共享，个人分摊流量${num(round(current.dataQuotaMb / MB_PER_GB, 1))}GB、通话${current.voiceMinutes}分钟，` +
    `${usagePhrase(u)}${costPhrase(current)}；共享套餐需由户主按全家用量调整，不提供个人改套餐建议。`
  );
}

function sumOf<T>(items: readonly T[], f: (item: T) => number): number {
  return items.reduce((s, x) => s + f(x), 0);
}

/** Yuan rounded to the fen. */
function yuan(x: number): number {
  return round(x, 2);
}

/** Yuan as whole fen, for exact comparisons. */
function fen(x: number): number {
  return Math.round(x * 100);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round((x + Number.EPSILON) * f) / f;
}

/** A number as people write it: no trailing zeros ("23.5", "78"). */
function num(x: number): string {
  return String(round(x, 2));
}
