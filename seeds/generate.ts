/**
 * Pure generation of the synthetic operator data set (no I/O).
 *
 * `generateChunks({ seed, customers, asOf })` yields chunks of whole cohorts with everything about
 * their customers; `generateCustomerById` regenerates one customer's full record, identical to what
 * the chunks produced for it. Customer Cn depends only on (seed, n, asOf) and on its cohort's
 * structure (see ./structure), so the first N customers of a larger data set equal a data set of N.
 */
import type { ContactNode, CustomerNode, GroupNode, HiddenPreferenceNode, ProductNode } from "../src/graph/model";
import type { ChannelCode, ContactKind, GroupKind, LifecycleStage, MarketSegment, ProductKind, ResponseOutcome } from "../src/domain/vocabulary";
import { CHANNEL_CODES, PRODUCT_KINDS } from "../src/domain/vocabulary";
import {
  TAGS,
  TERMINALS,
  arpuDrop,
  canHold,
  churnScore,
  districtById,
  isMainPlan,
  productByCode,
  productById,
  productsOfKind,
  upgradesOf,
  valueTierOf,
  type Behaviour,
  type District,
  type TagSubject,
  type Terminal,
} from "./catalogue";
import * as text from "./names";
import { clamp, hash32, rngFor, sigmoid, WeightedTable, type Rng } from "./random";
import {
  COHORT_SIZE,
  SALT,
  buildCohort,
  cohortOf,
  contactCount,
  contactsBefore,
  drawDistrict,
  drawDistrictIn,
  type Cohort,
  type Enterprise,
  type Family,
  type FamilyMember,
} from "./structure";

/** What a data set is generated from. */
export interface GenerateOptions {
  seed: number;
  customers: number;
  /** The moment the data set describes: contacts are in the six months before it, usage is for its month. */
  asOf: Date;
}

/** A product held since a moment (ISO-8601, UTC). */
export interface Holding {
  productId: string;
  since: string;
}

/** One HAS_TAG edge. */
export interface CustomerTag {
  tagId: string;
  value: string;
  score: number;
  at: string;
}

/** One MEMBER_OF edge. */
export interface Membership {
  groupId: string;
  kind: GroupKind;
  role: "HEAD" | "MEMBER";
}

/** One CALLS edge, between customer ids. */
export interface CallEdge {
  from: string;
  to: string;
  perMonth: number;
}

/** Everything the seed writes about one customer. */
export interface GeneratedCustomer {
  customer: CustomerNode;
  holdings: Holding[];
  tags: CustomerTag[];
  /** Preferred channels, rank 1 first (PREFERS rank = position + 1). */
  preferredChannels: ChannelCode[];
  memberships: Membership[];
  /** Every CALLS edge with this customer at either end. */
  calls: CallEdge[];
  /** Newest last; ids ascend with time. */
  contacts: ContactNode[];
  preference: HiddenPreferenceNode;
  /**
   * The deterministic part of each hidden affinity, a logit per product kind (what the customer's
   * attributes imply, before the private noise of sd {@link PREFERENCE_NOISE}); not written to the
   * graph. The evaluation's attribute oracle ranks by it: the best any model of the attributes could do.
   */
  preferenceLogits: Record<ProductKind, number>;
  /** Raw behaviour behind the Life & Internet tags; not written to the graph. */
  behaviour: Behaviour;
}

/** A slice of whole cohorts, ready to be written. */
export interface GeneratedChunk {
  index: number;
  /** Index (1-based) of the first and last customer in the chunk. */
  first: number;
  last: number;
  customers: GeneratedCustomer[];
  /** Groups with at least one member in the data set. */
  groups: GroupNode[];
  /** Each CALLS edge once. */
  calls: CallEdge[];
}

/**
 * Bumped whenever the same (seed, index, asOf) would generate different data: a graph seeded by
 * another version is not extended (chunks already there would be skipped and keep old data).
 */
export const GENERATOR_VERSION = 3;

/** Default customers per chunk: five cohorts. */
export const DEFAULT_CHUNK_SIZE = 5 * COHORT_SIZE;

/** Share of customers on a do-not-disturb list. */
export const DND_SHARE = 0.03;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const GB = 1024;

/** "C0000001" for customer index 1. */
export function customerId(index: number): string {
  return `C${String(index).padStart(7, "0")}`;
}

/** "K00000001" for contact number 1. */
export function contactId(n: number): string {
  return `K${String(n).padStart(8, "0")}`;
}

/** The customer index of "C0000042", or null when the id is not of that form. */
export function customerIndex(id: string): number | null {
  const m = /^C(\d{7,})$/.exec(id);
  if (!m?.[1]) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

/** Customer numbers below this are the seed's own and are their dense index too. */
const MAX_SEEDED_INDEX = 100_000_000;

/**
 * The dense index (`Customer.idx`, the bit of the segment bitmaps) the seed gives a customer: its
 * customer number. Customers written under other ids (test support's fresh customers, numbered from
 * 1,000,000,000) get none here and the next free one when written (src/graph/segments.ts).
 */
export function seededCustomerIdx(id: string): number | null {
  const n = customerIndex(id);
  return n !== null && n < MAX_SEEDED_INDEX ? n : null;
}

// China Mobile number ranges.
const MSISDN_PREFIXES = ["134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159", "178", "182", "183", "184", "187", "188", "195", "198"] as const;

/**
 * A unique 11-digit number for customer `index`: the prefix cycles through the ranges and the
 * eight-digit rest is an affine bijection of the quotient mod 10^8, so distinct indices never collide
 * (up to 21·10^8 customers), while neighbours look unrelated.
 */
export function msisdnFor(seed: number, index: number): string {
  const i = index - 1;
  const prefix = MSISDN_PREFIXES[i % MSISDN_PREFIXES.length] as string;
  const q = Math.floor(i / MSISDN_PREFIXES.length);
  // An odd multiplier not divisible by 5 is invertible mod 10^8.
  let a = (hash32(seed, SALT.msisdn) % 49_999_999) * 2 + 1;
  if (a % 5 === 0) a += 2;
  const b = hash32(seed, SALT.msisdn, 1) % 100_000_000;
  const rest = (Number((BigInt(a) * BigInt(q)) % 100_000_000n) + b) % 100_000_000;
  return prefix + String(rest).padStart(8, "0");
}

/** The start of the UTC day of `now`: the default asOf. */
export function startOfUtcDay(now: Date = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** `date` moved by whole calendar months (UTC). */
export function addMonths(date: Date | number, months: number): number {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

/** The six-month contact window [start, asOf). */
export function contactWindow(asOf: Date): { start: number; end: number } {
  return { start: addMonths(asOf, -6), end: asOf.getTime() };
}

function validate(opts: GenerateOptions): void {
  if (!Number.isSafeInteger(opts.customers) || opts.customers < 1) throw new RangeError(`customers must be a positive integer, got ${opts.customers}`);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff) throw new RangeError(`seed must be an integer in 0..4294967295, got ${opts.seed}`);
  if (!(opts.asOf instanceof Date) || Number.isNaN(opts.asOf.getTime())) throw new RangeError("asOf must be a valid date");
}

/**
 * The data set in chunks of whole cohorts (memory stays bounded by the chunk size).
 * `chunkSize` is rounded up to a multiple of the cohort size.
 */
export function* generateChunks(opts: GenerateOptions, chunkSize: number = DEFAULT_CHUNK_SIZE): Generator<GeneratedChunk> {
  const cohortsPerChunk = Math.max(1, Math.ceil(chunkSize / COHORT_SIZE));
  let pending: GeneratedChunk[] = [];
  let index = 0;
  for (const step of generateSteps(opts)) {
    if (step === null) continue;
    pending.push(step);
    if (pending.length === cohortsPerChunk) {
      yield joinChunks(pending, index++);
      pending = [];
    }
  }
  if (pending.length > 0) yield joinChunks(pending, index);
}

/** Customers between the pauses of {@link generateSteps}. */
export const STEP_CUSTOMERS = 100;

/** Cohorts `from` (inclusive) to `to` (exclusive) of a data set: a part several workers can generate side by side. */
export interface CohortRange {
  from: number;
  to: number;
}

/** How many cohorts a data set of `customers` customers has. */
export function cohortCount(customers: number): number {
  return Math.ceil(customers / COHORT_SIZE);
}

/**
 * The data set one cohort at a time, with a `null` after every {@link STEP_CUSTOMERS} customers:
 * a caller that writes while it generates can let its I/O run at each pause. With `range`, only
 * those cohorts, exactly as the whole run generates them.
 */
export function* generateSteps(opts: GenerateOptions, range?: CohortRange): Generator<GeneratedChunk | null> {
  validate(opts);
  const ctx = new Context(opts);
  const cohorts = Math.ceil(opts.customers / COHORT_SIZE);
  const from = Math.max(0, range?.from ?? 0);
  const to = Math.min(cohorts, range?.to ?? cohorts);
  // Contact ids continue from the customers before the range: a range generates what the whole run would.
  let contactSeq = from === 0 ? 0 : contactsBefore(opts.seed, from * COHORT_SIZE + 1);
  for (let c = from; c < to; c++) {
    const cohort = buildCohort(opts.seed, c, opts.customers);
    const customers: GeneratedCustomer[] = [];
    const names = new Map<number, string>();
    for (let n = cohort.first; n <= cohort.last; n++) {
      const g = ctx.customer(cohort, n, contactSeq);
      contactSeq += g.contacts.length;
      customers.push(g);
      names.set(n, g.customer.name);
      if (customers.length % STEP_CUSTOMERS === 0) yield null;
    }
    const calls = cohort.calls.map((l) => ({ from: customerId(l.from), to: customerId(l.to), perMonth: l.perMonth }));
    yield { index: c, first: cohort.first, last: cohort.last, customers, groups: cohortGroups(cohort, names), calls };
  }
}

function joinChunks(chunks: readonly GeneratedChunk[], index: number): GeneratedChunk {
  const first = chunks[0];
  if (chunks.length === 1 && first) return { ...first, index };
  return {
    index,
    first: first?.first ?? 0,
    last: chunks[chunks.length - 1]?.last ?? 0,
    customers: chunks.flatMap((c) => c.customers),
    groups: chunks.flatMap((c) => c.groups),
    calls: chunks.flatMap((c) => c.calls),
  };
}

/**
 * Regenerates one customer's full record exactly as {@link generateChunks} produced it
 * (attributes, holdings, tags, preferred channels, memberships, calls, contacts, hidden preference),
 * or null when `id` is not a customer of this data set.
 */
export function generateCustomerById(opts: GenerateOptions, id: string): GeneratedCustomer | null {
  validate(opts);
  const n = customerIndex(id);
  if (n === null || n > opts.customers) return null;
  const cohort = buildCohort(opts.seed, cohortOf(n), opts.customers);
  return new Context(opts).customer(cohort, n, contactsBefore(opts.seed, n));
}

/**
 * Customers `indices` of a data set (any order, any cohorts), each exactly as
 * {@link generateCustomerById} regenerates it, with the groups they are members of, named as the
 * seed names them: rows for writing a few customers on their own, as tests do with customers of
 * the data set's extension beyond what was seeded. Each cohort is built once. A customer's `calls`
 * still lists its edges to customers left out; the writer drops an edge whose other end is absent.
 */
export function generateCustomers(opts: GenerateOptions, indices: readonly number[]): { customers: GeneratedCustomer[]; groups: GroupNode[] } {
  validate(opts);
  const ctx = new Context(opts);
  const cohorts = new Map<number, Cohort>();
  const cohortFor = (n: number): Cohort => {
    const c = cohortOf(n);
    let cohort = cohorts.get(c);
    if (!cohort) cohorts.set(c, (cohort = buildCohort(opts.seed, c, opts.customers)));
    return cohort;
  };
  // Contact ids continue from the customers before: counted on from the previous index, not from the cohort's start each time.
  let at = { index: 0, before: 0 };
  const contactsUpTo = (n: number): number => {
    if (cohortOf(n) !== cohortOf(at.index) || n < at.index) at = { index: n, before: contactsBefore(opts.seed, n) };
    for (; at.index < n; at.index++) at.before += contactCount(opts.seed, at.index);
    return at.before;
  };
  const byIndex = new Map<number, GeneratedCustomer>();
  for (const n of [...indices].sort((a, b) => a - b)) {
    if (!Number.isSafeInteger(n) || n < 1 || n > opts.customers) throw new RangeError(`customer index ${n} is not in a data set of ${opts.customers} customers`);
    byIndex.set(n, ctx.customer(cohortFor(n), n, contactsUpTo(n)));
  }
  const customers = indices.map((n) => byIndex.get(n) as GeneratedCustomer);
  const wanted = new Set(customers.flatMap((g) => g.memberships.map((m) => m.groupId)));
  const groups: GroupNode[] = [];
  for (const cohort of cohorts.values()) {
    // A family is named after its head, who may not be among the customers asked for.
    const names = new Map([...byIndex].map(([n, g]) => [n, g.customer.name]));
    for (const f of cohort.families) {
      const head = f.existing[0];
      if (head && wanted.has(f.groupId) && !names.has(head.index)) names.set(head.index, ctx.customer(cohort, head.index, contactsBefore(opts.seed, head.index)).customer.name);
    }
    groups.push(...cohortGroups(cohort, names).filter((g) => wanted.has(g.id)));
  }
  return { customers, groups };
}

/** The groups of a cohort that have members in the data set, named after their head or firm. */
function cohortGroups(cohort: Cohort, names: ReadonlyMap<number, string>): GroupNode[] {
  const out: GroupNode[] = [];
  for (const e of cohort.enterprises) {
    if (e.members.length > 0) out.push({ id: e.groupId, kind: "ENTERPRISE", name: e.name });
  }
  for (const e of cohort.enterprises) {
    if (e.vnetMembers.length > 0) out.push({ id: e.vnetGroupId, kind: "VNET", name: e.vnetName });
  }
  for (const f of cohort.families) {
    const head = f.existing[0];
    if (head) out.push({ id: f.groupId, kind: "FAMILY", name: `${names.get(head.index) ?? head.surname}家庭` });
  }
  return out;
}

// ───────────────────────────── one customer ─────────────────────────────

const AGE_BANDS = new WeightedTable(
  [
    [16, 24],
    [25, 34],
    [35, 44],
    [45, 54],
    [55, 64],
    [65, 82],
  ] as const,
  [0.11, 0.21, 0.21, 0.19, 0.15, 0.13],
);

/** Shared, per-run values and the per-customer pipeline. */
class Context {
  readonly seed: number;
  readonly asOf: Date;
  readonly asOfMs: number;
  readonly window: { start: number; end: number };
  readonly usageMonth: string;
  /** Share of the usage month elapsed at asOf, in (0, 1]. */
  readonly monthFraction: number;
  readonly tagAt: string;

  constructor(opts: GenerateOptions) {
    this.seed = opts.seed;
    this.asOf = new Date(opts.asOf.getTime());
    this.asOfMs = this.asOf.getTime();
    this.window = contactWindow(this.asOf);
    // The usage month is the one holding the last instant before asOf: at a month's first midnight it is the month just ended.
    const lastInstant = new Date(this.asOfMs - 1);
    const y = lastInstant.getUTCFullYear();
    const m = lastInstant.getUTCMonth();
    this.usageMonth = `${y}-${String(m + 1).padStart(2, "0")}`;
    const monthStart = Date.UTC(y, m, 1);
    const monthEnd = Date.UTC(y, m + 1, 1);
    this.monthFraction = (this.asOfMs - monthStart) / (monthEnd - monthStart);
    // Tags come from the nightly batch that ran six hours before asOf.
    this.tagAt = new Date(this.asOfMs - 6 * HOUR).toISOString();
  }

  customer(cohort: Cohort, n: number, contactsBeforeN: number): GeneratedCustomer {
    const rng = rngFor(this.seed, SALT.customer, n);
    const id = customerId(n);
    const family = cohort.familyOf.get(n) ?? null;
    const member = family?.members.find((m) => m.index === n) ?? null;
    const enterprise = cohort.enterpriseOf.get(n) ?? null;
    const demo = demographics(rng, family, member, enterprise);
    const district = demo.district;
    const tenureMonths = drawTenure(rng, demo.age);
    const joinMs = this.joinMs(rng, tenureMonths);
    const latent = drawLatent(rng, demo.age, demo.gender, enterprise !== null, district);
    const behaviour = drawBehaviour(rng, demo.age, demo.gender, enterprise !== null, tenureMonths, district, latent);
    const { terminal, terminalAgeMonths } = drawTerminal(rng, demo.age, latent.budget, this.asOf);
    const dataAppetiteMb = appetiteMb(rng, behaviour);

    const mainPlan = family?.familyPlanCode ? productByCode(family.familyPlanCode) : choosePlan(rng, latent.budget, dataAppetiteMb, demo.age, terminal);
    const sharers = family?.familyPlanCode ? family.members.length : 1;
    const planDataMb = Math.floor(mainPlan.dataQuotaMb / sharers);
    const planMinutes = Math.floor(mainPlan.voiceMinutes / sharers);
    const { preference, logits: preferenceLogits } = this.preference(n, id, {
      age: demo.age,
      mainPlan,
      family,
      member,
      enterprise,
      terminal,
      terminalAgeMonths,
      behaviour,
      roamingDays3m: latent.roamingDays3m,
      dataSat: dataAppetiteMb / Math.max(1, planDataMb),
      voiceSat: latent.voiceAppetite / Math.max(1, planMinutes),
      dataAppetiteMb,
    });

    const holdings = this.holdings(rng, {
      joinMs,
      tenureMonths,
      mainPlan,
      family,
      member,
      planDataMb,
      planMinutes,
      dataAppetiteMb,
      voiceAppetite: latent.voiceAppetite,
      budget: latent.budget,
      behaviour,
      preference,
      terminal,
      terminalAgeMonths,
      roamingDays3m: latent.roamingDays3m,
    });
    const held = holdings.map((h) => ({ product: productById(h.productId), since: h.since }));
    const dataQuotaMb = planDataMb + sum(held, (h) => (h.product.kind === "DATA_ADDON" ? h.product.dataQuotaMb : 0));
    const voiceQuotaMinutes = planMinutes + sum(held, (h) => (h.product.kind === "VOICE_ADDON" ? h.product.voiceMinutes : 0));

    // People who would use far more than their quota hold back: above 115% only a quarter of the excess is used.
    const softCap = (want: number, quota: number): number => (want > 1.15 * quota ? 1.15 * quota + (want - 1.15 * quota) / 4 : want);
    const avgDataMb3m = Math.max(10, Math.round(softCap(dataAppetiteMb, dataQuotaMb)));
    const avgVoiceMinutes3m = Math.max(0, Math.round(softCap(latent.voiceAppetite, Math.max(50, voiceQuotaMinutes))));
    const avgSms3m = Math.round(latent.smsAppetite);
    const thisMonth = (avg: number, sd: number): number => Math.max(0, Math.round(avg * this.monthFraction * rng.logNormal(1, sd)));
    const dataUsedMb = thisMonth(avgDataMb3m, 0.3);
    const voiceUsedMinutes = thisMonth(avgVoiceMinutes3m, 0.3);
    const smsUsed = thisMonth(avgSms3m, 0.4);

    const overage =
      (Math.max(0, avgDataMb3m - dataQuotaMb) / GB) * mainPlan.dataOveragePerGb + Math.max(0, avgVoiceMinutes3m - voiceQuotaMinutes) * mainPlan.voiceOveragePerMinute;
    // Mobile ARPU, as operators report it: household broadband and IPTV are billed to the home account.
    // A shared family plan is billed mostly to the head (60%); the other members split the rest.
    const planShare = sharers === 1 ? 1 : member?.relation === "HEAD" ? 0.6 : 0.4 / (sharers - 1);
    const recurring = sum(held, (h) =>
      isMainPlan(h.product) ? h.product.monthlyFee * planShare : h.product.kind === "BROADBAND" || h.product.kind === "IPTV" ? 0 : h.product.monthlyFee,
    );
    const packs = (latent.roamingDays3m * 25) / 3 + latent.packSpend;
    // Half the base is on a promotion (存费送费, 合约优惠): revenue is below list price.
    const discount = rng.chance(0.5) ? rng.uniform(0.6, 0.95) : 1;
    const arpu = round2(Math.max(8, (recurring + overage + packs) * discount * rng.logNormal(1, 0.15)));
    const arpuPrev = drawArpuPrev(rng, arpu);
    const contractEndDays = this.contractEnd(rng, holdings);
    behaviour.arpuPrev = arpuPrev;
    behaviour.contractEndDays = contractEndDays;

    const doNotDisturb = rng.chance(DND_SHARE);
    const dndList = doNotDisturb ? (rng.chance(0.85) ? "RED" : "BLACK") : null;
    const preferredChannels = drawPreferredChannels(rng, demo.age);
    const creditScore = Math.round(clamp(rng.normal(590 + Math.min(tenureMonths, 240) * 0.6 + Math.min(arpu, 300) * 0.35, 70), 350, 950));
    const networkType = mainPlan.network === "5G" && terminal.is5G ? "5G" : "4G";
    const segment: MarketSegment = family ? "FAMILY" : enterprise ? "ENTERPRISE" : "INDIVIDUAL";

    const customer: CustomerNode = {
      id,
      msisdn: msisdnFor(this.seed, n),
      name: demo.name,
      gender: demo.gender,
      age: demo.age,
      segment,
      regionId: district.id,
      tenureMonths,
      arpu,
      valueTier: valueTierOf(arpu),
      lifecycleStage: "MATURE", // decided below, once contacts are known
      creditScore,
      terminalModel: terminal.model,
      terminalAgeMonths,
      networkType,
      doNotDisturb,
      dndList,
      usageMonth: this.usageMonth,
      dataUsedMb,
      dataQuotaMb,
      voiceUsedMinutes,
      voiceQuotaMinutes,
      smsUsed,
      avgDataMb3m,
      avgVoiceMinutes3m,
      avgSms3m,
      roamingDays3m: latent.roamingDays3m,
    };

    const contacts = this.contacts(n, contactsBeforeN, {
      customer,
      holdings: held,
      mainPlan,
      preference,
      preferredChannels,
      complaintProne: latent.complaintProne || arpuDrop({ customer, behaviour }) >= 0.3,
    });

    const memberships: Membership[] = [];
    if (family && member) memberships.push({ groupId: family.groupId, kind: "FAMILY", role: member.relation === "HEAD" ? "HEAD" : "MEMBER" });
    if (enterprise) {
      memberships.push({ groupId: enterprise.groupId, kind: "ENTERPRISE", role: enterprise.members[0] === n ? "HEAD" : "MEMBER" });
      if (enterprise.vnetMembers.includes(n)) memberships.push({ groupId: enterprise.vnetGroupId, kind: "VNET", role: enterprise.vnetMembers[0] === n ? "HEAD" : "MEMBER" });
    }
    const links = cohort.callsOf.get(n) ?? [];
    const calls = links.map((l) => ({ from: customerId(l.from), to: customerId(l.to), perMonth: l.perMonth }));

    const subject: TagSubject = {
      customer,
      asOf: this.asOf,
      mainPlan,
      holdings: held,
      terminal,
      behaviour,
      family:
        family && member
          ? {
              groupId: family.groupId,
              role: member.relation === "HEAD" ? "HEAD" : "MEMBER",
              size: family.existing.length,
              memberAges: family.existing.map((m) => m.age),
              broadband: family.broadbandCode !== null,
            }
          : null,
      enterprise: enterprise ? { groupId: enterprise.groupId, role: enterprise.members[0] === n ? "HEAD" : "MEMBER" } : null,
      vnets: enterprise && enterprise.vnetMembers.includes(n) ? [vnetCalls(n, enterprise, links)] : [],
      contacts,
      preferredChannels,
    };
    customer.lifecycleStage = lifecycleOf(tenureMonths, churnScore(subject), arpu, arpuPrev);

    const tags: CustomerTag[] = [];
    for (const t of TAGS) {
      const hit = t.evaluate(subject);
      if (hit) tags.push({ tagId: t.id, value: hit.value, score: hit.score, at: this.tagAt });
    }

    return { customer, holdings, tags, preferredChannels, memberships, calls, contacts, preference, preferenceLogits, behaviour };
  }

  /** Join moment: `tenureMonths` whole months before asOf, plus up to four weeks. */
  private joinMs(rng: Rng, tenureMonths: number): number {
    const base = addMonths(this.asOf, -tenureMonths);
    return Math.min(this.asOfMs - HOUR, base - rng.uniform(0, 27 * DAY));
  }

  /** A moment about `monthsAgo` months before asOf, never before joining, never after asOf. */
  private since(rng: Rng, joinMs: number, monthsAgo: number): string {
    const t = addMonths(this.asOf, -monthsAgo) - rng.uniform(HOUR, 25 * DAY);
    return new Date(clamp(t, joinMs, this.asOfMs - HOUR)).toISOString();
  }

  private preference(n: number, customerIdValue: string, f: PreferenceFeatures): { preference: HiddenPreferenceNode; logits: Record<ProductKind, number> } {
    const rng = rngFor(this.seed, SALT.preference, n);
    const z = preferenceScores(f);
    const out = { customerId: customerIdValue } as HiddenPreferenceNode;
    for (const kind of PRODUCT_KINDS) out[kind] = Math.round(sigmoid(z[kind] + rng.normal(0, PREFERENCE_NOISE)) * 1000) / 1000;
    return { preference: out, logits: z };
  }

  private holdings(rng: Rng, h: HoldingInputs): Holding[] {
    const out: Holding[] = [];
    const heldIds = new Set<string>();
    const add = (p: ProductNode, since: string): void => {
      if (heldIds.has(p.id) || !canHold(p.id, heldIds)) return;
      heldIds.add(p.id);
      out.push({ productId: p.id, since });
    };
    const monthsAgo = (max: number): number => rng.int(0, Math.max(0, Math.min(max, h.tenureMonths)));
    const aff = h.preference;

    // Main plan: family plans start when the family took them (or when the member joined).
    const planMonths = h.family?.familyPlanCode
      ? Math.min(h.family.familyPlanMonthsAgo, h.tenureMonths)
      : rng.chance(0.35)
        ? h.tenureMonths
        : Math.floor(h.tenureMonths * Math.pow(rng.next(), 0.7));
    add(h.mainPlan, planMonths >= h.tenureMonths ? new Date(h.joinMs).toISOString() : this.since(rng, h.joinMs, planMonths));

    // Household broadband and IPTV sit with the family head; others decide alone.
    if (h.family && h.member) {
      if (h.member.relation === "HEAD" && h.family.broadbandCode) {
        add(productByCode(h.family.broadbandCode), this.since(rng, h.joinMs, Math.min(h.family.broadbandMonthsAgo, h.tenureMonths)));
        if (h.family.iptvCode) add(productByCode(h.family.iptvCode), this.since(rng, h.joinMs, Math.min(h.family.iptvMonthsAgo, h.tenureMonths)));
      }
    } else if (rng.chance(0.15 + 0.4 * aff.BROADBAND)) {
      const bb = productByCode(rng.weighted(["BB-100M", "BB-300M", "BB-1000M"], [0.4, 0.4, h.budget > 120 ? 0.4 : 0.15]));
      add(bb, this.since(rng, h.joinMs, monthsAgo(96)));
      if (rng.chance(0.1 + 0.4 * aff.IPTV)) add(productByCode(rng.chance(0.7) ? "IPTV-BASIC" : "IPTV-4K"), this.since(rng, h.joinMs, monthsAgo(48)));
    }

    // Data add-on when the plan falls short of what the customer wants to use.
    const gap = h.dataAppetiteMb - h.planDataMb;
    if (rng.chance(gap > -0.1 * h.planDataMb ? 0.3 + 0.5 * aff.DATA_ADDON : 0.1 + 0.2 * aff.DATA_ADDON)) {
      const code =
        gap > 20 * GB && h.mainPlan.network === "5G" ? "DATA-ADDON-5G-40GB" : gap > 10 * GB ? "DATA-ADDON-20GB" : gap > 5 * GB ? "DATA-ADDON-10GB" : "DATA-ADDON-5GB";
      add(productByCode(code), this.since(rng, h.joinMs, monthsAgo(18)));
    }
    if (rng.chance(h.voiceAppetite > h.planMinutes ? 0.2 + 0.5 * aff.VOICE_ADDON : 0.04 + 0.1 * aff.VOICE_ADDON)) {
      add(productByCode(h.voiceAppetite - h.planMinutes > 150 ? "VOICE-ADDON-300" : "VOICE-ADDON-100"), this.since(rng, h.joinMs, monthsAgo(24)));
    }
    if (h.mainPlan.kind === "FAMILY_PLAN" && rng.chance(0.35)) add(productByCode("VOICE-ADDON-FAMILY"), this.since(rng, h.joinMs, monthsAgo(36)));

    // Content memberships follow the matching habits.
    const b = h.behaviour;
    const contentPull = 0.5 + aff.CONTENT;
    if (rng.chance(clamp(0.15 + 0.02 * b.longVideoHours, 0, 0.7) * contentPull)) {
      add(productByCode(rng.chance(0.55) ? "CNT-MIGU-VIDEO" : "CNT-TENCENT-VIDEO"), this.since(rng, h.joinMs, monthsAgo(30)));
    }
    if (rng.chance(clamp(0.1 + 0.02 * b.musicHours, 0, 0.6) * contentPull)) add(productByCode("CNT-MIGU-MUSIC"), this.since(rng, h.joinMs, monthsAgo(30)));
    if (rng.chance(0.3 * contentPull)) add(productByCode("CNT-CLOUD-DRIVE"), this.since(rng, h.joinMs, monthsAgo(30)));
    if (rng.chance(clamp(0.02 * b.readingHours, 0, 0.5) * contentPull)) add(productByCode("CNT-MIGU-READ"), this.since(rng, h.joinMs, monthsAgo(30)));

    // A handset bought from the operator on contract, when the current phone is one it sells.
    if (h.terminal.productCode && h.terminalAgeMonths <= 24 && h.terminalAgeMonths <= h.tenureMonths && rng.chance(0.75)) {
      add(productByCode(h.terminal.productCode), this.since(rng, h.joinMs, h.terminalAgeMonths));
    }

    // Packs are held only while valid, so only recent purchases count.
    if (rng.chance(0.02 + 0.08 * aff.HOURLY_PACK)) {
      const pack = rng.pick(productsOfKind("HOURLY_PACK"));
      add(pack, this.packSince(rng, h.joinMs, pack));
    }
    if (h.roamingDays3m > 0 && rng.chance(0.12 + 0.2 * aff.ROAMING_PACK)) {
      const pack = rng.pick(productsOfKind("ROAMING_PACK"));
      add(pack, this.packSince(rng, h.joinMs, pack));
    }
    return out;
  }

  private packSince(rng: Rng, joinMs: number, pack: ProductNode): string {
    return new Date(Math.max(joinMs, this.asOfMs - rng.uniform(0.05, 0.95) * pack.validityHours * HOUR)).toISOString();
  }

  /** Days until a handset contract (24 months) or a minimum-spend contract ends; null when none runs. */
  private contractEnd(rng: Rng, holdings: readonly Holding[]): number | null {
    const handset = holdings.find((h) => productById(h.productId).kind === "HANDSET");
    const minimumSpend = rng.chance(0.15) ? rng.int(1, 730) : null;
    if (handset) {
      const ends = addMonths(new Date(handset.since), 24);
      const days = Math.ceil((ends - this.asOfMs) / DAY);
      if (days > 0) return minimumSpend === null ? days : Math.min(days, minimumSpend);
    }
    return minimumSpend;
  }

  private contacts(n: number, before: number, c: ContactInputs): ContactNode[] {
    const rng = rngFor(this.seed, SALT.contacts, n);
    const total = contactCount(this.seed, n);
    const { start, end } = this.window;
    const dnd = c.customer.dndList;
    const customerIdValue = c.customer.id;
    const items: { t: number; item: Omit<ContactNode, "id" | "at"> }[] = [];
    const push = (at: number, channel: ChannelCode, kind: ContactKind, summary: string, product: ProductNode | null, outcome: ResponseOutcome | null = null): void => {
      items.push({ t: at, item: { customerId: customerIdValue, channel, kind, summary, outcome, productId: product?.id ?? null } });
    };
    const heldIds = new Set(c.holdings.map((h) => h.product.id));
    let remaining = total;

    // Recent holdings were ordered in the window: either at a counter or by answering an offer.
    const recent = c.holdings.filter((h) => Date.parse(h.since) >= start).sort((a, b) => Date.parse(b.since) - Date.parse(a.since));
    for (const h of recent) {
      if (remaining <= 0) break;
      const at = Date.parse(h.since);
      if (remaining >= 2 && dnd !== "BLACK" && rng.chance(0.4)) {
        const channel = offerChannel(rng, c.preferredChannels, dnd);
        push(Math.max(start, at - responseDelay(rng, channel)), channel, "OFFER_PRESENTED", text.offerPresented(channel, h.product), h.product);
        push(at, channel, "OFFER_RESPONSE", text.offerResponse("ACCEPTED", h.product), h.product, "ACCEPTED");
        remaining -= 2;
      } else {
        const newCustomer = isMainPlan(h.product) && c.customer.tenureMonths <= 6;
        push(at, inboundChannel(rng, "HANDLING", c.preferredChannels), "HANDLING", text.handlingOrder(h.product, newCustomer), h.product);
        remaining -= 1;
      }
    }

    const complaintWeight = c.complaintProne ? 0.22 : 0.035;
    while (remaining > 0) {
      const at = this.daytime(rng, start, end);
      const roll = rng.weighted(["CONSULTATION", "HANDLING", "COMPLAINT", "OFFER"] as const, [0.34, 0.14, complaintWeight, dnd === "BLACK" ? 0 : 0.44]);
      if (roll === "OFFER") {
        const offer = pickOffer(rng, c, heldIds);
        if (offer) {
          const channel = offerChannel(rng, c.preferredChannels, dnd);
          push(at, channel, "OFFER_PRESENTED", text.offerPresented(channel, offer), offer);
          remaining -= 1;
          if (remaining > 0 && rng.chance(0.7)) {
            const outcome = drawOutcome(rng, offer, c.preference[offer.kind], channel);
            const answeredAt = at + (outcome === "IGNORED" ? 3 * DAY : responseDelay(rng, channel));
            if (answeredAt < end) {
              push(answeredAt, channel, "OFFER_RESPONSE", text.offerResponse(outcome, offer), offer, outcome);
              remaining -= 1;
            }
          }
          continue;
        }
      }
      if (roll === "COMPLAINT") {
        const about = rng.chance(0.6) ? pickHeld(rng, c.holdings, (p) => p.kind !== "HANDSET") : null;
        push(at, inboundChannel(rng, "COMPLAINT", c.preferredChannels), "COMPLAINT", text.complaint(rng, about), about);
      } else if (roll === "HANDLING") {
        const notHeld = productsOfKind("CONTENT").filter((p) => !heldIds.has(p.id));
        const cancelled = notHeld.length > 0 && rng.chance(0.2) ? rng.pick(notHeld) : null;
        if (cancelled) {
          push(at, inboundChannel(rng, "HANDLING", c.preferredChannels), "HANDLING", text.handlingCancel(cancelled), cancelled);
        } else {
          push(at, inboundChannel(rng, "HANDLING", c.preferredChannels), "HANDLING", text.handlingPlain(rng), null);
        }
      } else {
        const channel = inboundChannel(rng, "CONSULTATION", c.preferredChannels);
        const r = rng.next();
        if (r < 0.4) push(at, channel, "CONSULTATION", text.consultPlain(rng), null);
        else if (r < 0.75) {
          const p = pickHeld(rng, c.holdings, () => true) ?? c.mainPlan;
          push(at, channel, "CONSULTATION", text.consultHeld(rng, p), p);
        } else {
          // People ask about what they like: the kind is drawn by hidden affinity.
          const p = pickInterest(rng, c, heldIds);
          if (p) push(at, channel, "CONSULTATION", text.consultInterest(p), p);
          else push(at, channel, "CONSULTATION", text.consultPlain(rng), null);
        }
      }
      remaining -= 1;
    }

    // Stable sort: contacts at the same moment keep the order they happened in (offer before answer).
    items.sort((a, b) => a.t - b.t);
    return items.map(({ t, item }, i) => ({ id: contactId(before + i + 1), customerId: item.customerId, at: new Date(t).toISOString(), channel: item.channel, kind: item.kind, summary: item.summary, outcome: item.outcome, productId: item.productId }));
  }

  /** A moment in [start, end) during Beijing business hours (08:00–21:59 CST = 00:00–13:59 UTC). */
  private daytime(rng: Rng, start: number, end: number): number {
    const days = Math.max(1, Math.floor((end - start) / DAY));
    const dayStart = Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth(), new Date(start).getUTCDate()) + rng.int(0, days - 1) * DAY;
    const t = dayStart + rng.int(0, 13) * HOUR + rng.int(0, 59) * MINUTE + rng.int(0, 59) * 1000;
    return clamp(t, start, end - MINUTE);
  }
}

// ───────────────────────────── attribute draws ─────────────────────────────

interface Demographics {
  name: string;
  gender: "F" | "M";
  age: number;
  district: District;
}

function demographics(rng: Rng, family: Family | null, member: FamilyMember | null, enterprise: Enterprise | null): Demographics {
  if (family && member) {
    return { name: member.surname + text.givenName(rng, member.gender, member.age), gender: member.gender, age: member.age, district: districtById(family.districtId) };
  }
  let age: number;
  let gender: "F" | "M";
  let district: District;
  if (enterprise) {
    age = Math.round(clamp(rng.normal(38, 9), 22, 60));
    gender = rng.chance(0.55) ? "M" : "F";
    district = rng.chance(0.75) ? drawDistrictIn(rng, enterprise.cityId) : drawDistrict(rng);
  } else {
    const [lo, hi] = rng.fromTable(AGE_BANDS);
    age = rng.int(lo, hi);
    gender = rng.chance(0.5) ? "M" : "F";
    district = drawDistrict(rng);
  }
  return { name: text.surname(rng) + text.givenName(rng, gender, age), gender, age, district };
}

/** Whole months on the network: 7% joined within half a year; the rest spread out to 25 years. */
function drawTenure(rng: Rng, age: number): number {
  const max = Math.max(1, Math.min(300, (age - 6) * 12));
  if (rng.chance(0.07)) return Math.min(max, rng.int(0, 6));
  return Math.min(max, 7 + Math.round(rng.gamma(1.6, 40)));
}

interface Latent {
  budget: number;
  voiceAppetite: number;
  smsAppetite: number;
  roamingDays3m: number;
  complaintProne: boolean;
  packSpend: number;
}

function drawLatent(rng: Rng, age: number, gender: "F" | "M", enterprise: boolean, district: District): Latent {
  const budgetAge = age < 22 ? 0.6 : age < 30 ? 0.9 : age < 50 ? 1.15 : age < 60 ? 0.95 : 0.6;
  const budget = rng.logNormal(24 * budgetAge * (enterprise ? 1.35 : 1) * (district.kind === "URBAN" ? 1.05 : 0.9), 0.55);
  const voiceAge = age < 25 ? 0.45 : age < 60 ? 1 : 0.8;
  const voiceAppetite = rng.logNormal(170 * voiceAge * (enterprise ? 2.2 : 1) * (gender === "M" ? 1.1 : 0.95), 0.8);
  const smsAppetite = rng.logNormal(14 * (enterprise ? 1.5 : 1) * (age >= 55 ? 1.6 : 1), 0.9);
  const roamP = 0.035 + (enterprise ? 0.08 : 0) + (budget > 150 ? 0.1 : 0);
  const roamingDays3m = rng.chance(roamP) ? 1 + rng.poisson(rng.chance(0.3) ? 12 : 3) : 0;
  const complaintProne = rng.chance(0.1);
  const packSpend = rng.chance(0.15) ? rng.uniform(3, 20) : 0;
  return { budget, voiceAppetite, smsAppetite, roamingDays3m, complaintProne, packSpend };
}

function drawBehaviour(rng: Rng, age: number, gender: "F" | "M", enterprise: boolean, tenure: number, district: District, latent: Latent): Behaviour {
  const young = age < 30;
  // Light users barely touch mobile data (feature-phone habits, Wi-Fi at home): common among the old.
  const light = rng.chance(age >= 65 ? 0.5 : age >= 55 ? 0.3 : 0.06) ? 0.08 : 1;
  const ageVideo = (age < 35 ? 1.4 : age < 55 ? 1 : 0.55) * light;
  const working = age >= 22 && age <= 60;
  const shortVideoHours = round1(rng.logNormal(24 * ageVideo, 0.8));
  const longVideoHours = round1(rng.logNormal(7 * (age < 45 ? 1.2 : 0.8), 0.95));
  const gameHours = round1((rng.chance(young ? 0.5 : age < 45 ? 0.2 : 0.06) ? rng.logNormal(20, 0.8) : rng.logNormal(1, 1)) * light);
  const musicHours = round1(rng.logNormal(age < 40 ? 7 : 3.5, 1) * light);
  const readingHours = round1(rng.logNormal(age >= 40 ? 4 : 3, 1.1));
  const shoppingSessions = Math.round(rng.logNormal(18 * (gender === "F" ? 1.4 : 0.9) * (age >= 65 ? 0.4 : 1), 0.8));
  const financeSessions = Math.round(rng.logNormal(6 * (latent.budget > 100 ? 2 : 1), 1));
  const driver = gender === "M" && working && rng.chance(0.06);
  const navigationHours = round1(driver ? rng.logNormal(95, 0.3) : rng.logNormal(5, 0.9));
  const commuteDays = working && rng.chance(enterprise ? 0.75 : 0.5) ? rng.int(14, 23) : rng.int(0, 12);
  const domesticTripDays3m = rng.poisson(enterprise ? 4.5 : latent.budget > 120 ? 2.5 : 1);
  const airportVisits3m = rng.poisson((enterprise ? 1 : 0.25) + (latent.roamingDays3m > 0 ? 1.5 : 0));
  const businessDistrictVisits = rng.poisson(young ? 5 : age < 60 ? 3.5 : 1.5);
  const westLakeVisits3m = district.cityId === "R3301" ? rng.poisson(1.8) : 0;
  const awayNights = rng.chance(0.04) ? rng.int(15, 30) : rng.int(0, 5);
  const campusDays = age >= 17 && age <= 23 && !enterprise && rng.chance(0.45) ? rng.int(10, 25) : rng.int(0, 3);
  const fetionDays = tenure >= 120 && rng.chance(0.05) ? rng.int(1, 20) : 0;
  return {
    shortVideoHours,
    longVideoHours,
    gameHours,
    musicHours,
    readingHours,
    shoppingSessions,
    financeSessions,
    navigationHours,
    commuteDays,
    domesticTripDays3m,
    airportVisits3m,
    businessDistrictVisits,
    westLakeVisits3m,
    awayNights,
    campusDays,
    fetionDays,
    arpuPrev: 0,
    contractEndDays: null,
  };
}

/** Monthly mobile data the customer would use: video dominates (≈250 MB per short-video hour off Wi-Fi). */
function appetiteMb(rng: Rng, b: Behaviour): number {
  const apps = b.shortVideoHours * 250 + b.longVideoHours * 400 + b.gameHours * 70 + b.musicHours * 35 + b.navigationHours * 30;
  const base = rng.logNormal(b.shortVideoHours < 3 ? 250 : 1200, 0.7);
  return apps + base;
}

const RELEASE_MONTH = new Map(
  TERMINALS.map((t) => {
    const [y, m] = t.released.split("-").map(Number);
    return [t, (y ?? 0) * 12 + (m ?? 1) - 1] as const;
  }),
);

function monthsSince(t: Terminal, asOf: Date): number {
  return asOf.getUTCFullYear() * 12 + asOf.getUTCMonth() - (RELEASE_MONTH.get(t) ?? 0);
}

const BRAND_WEIGHT: Record<string, number> = { 华为: 1.35, 苹果: 1.0, 小米: 0.9, OPPO: 0.8, vivo: 0.9, 荣耀: 0.7, 中兴: 0.3 };

function drawTerminal(rng: Rng, age: number, budget: number, asOf: Date): { terminal: Terminal; terminalAgeMonths: number } {
  let terminalAgeMonths = Math.round(rng.gamma(2, age >= 60 ? 16 : 10.5));
  const fits = TERMINALS.filter((t) => monthsSince(t, asOf) >= terminalAgeMonths);
  const pool = fits.length > 0 ? fits : TERMINALS.filter((t) => monthsSince(t, asOf) >= 0);
  const candidates = pool.length > 0 ? pool : TERMINALS;
  const weights = candidates.map((t) => {
    const priceFit = Math.exp(-1.1 * Math.abs(Math.log(t.price / (budget * 45))));
    const elderFit = age >= 60 ? (t.elder ? 4 : 0.5) : t.model.includes("守护宝") ? 0.02 : 1;
    const apple = t.brand === "苹果" && age < 35 ? 1.5 : 1;
    return priceFit * elderFit * apple * (BRAND_WEIGHT[t.brand] ?? 1);
  });
  const terminal = rng.weighted(candidates, weights);
  terminalAgeMonths = Math.max(0, Math.min(terminalAgeMonths, monthsSince(terminal, asOf)));
  return { terminal, terminalAgeMonths };
}

const PLANS = productsOfKind("PLAN");

/** The individual plan whose fee best fits the budget and whose quota best fits the appetite. */
function choosePlan(rng: Rng, budget: number, appetite: number, age: number, terminal: Terminal): ProductNode {
  const weights = PLANS.map((p) => {
    const fee = -1.6 * Math.abs(Math.log(p.monthlyFee / budget));
    const quota = -0.9 * Math.abs(Math.log(p.dataQuotaMb / Math.max(512, appetite)));
    const network = p.network === "5G" ? (terminal.is5G ? (age >= 60 ? 0.8 : 2.5) : 0.15) : 1;
    return Math.exp(1.6 * (fee + quota)) * network;
  });
  return rng.weighted(PLANS, weights);
}

function drawArpuPrev(rng: Rng, arpu: number): number {
  const r = rng.next();
  if (r < 0.12) return round2(arpu / (1 - rng.uniform(0.15, 0.65))); // ARPU fell
  if (r < 0.24) return round2(arpu * rng.uniform(0.55, 0.9)); // ARPU grew
  return round2(arpu * rng.logNormal(1, 0.05));
}

/** NEW, CHURN_RISK, DECLINE, GROWTH, MATURE, decided in that order (see the VAL_LIFECYCLE tag's definition). */
function lifecycleOf(tenure: number, churn: number, arpu: number, arpuPrev: number): LifecycleStage {
  if (tenure <= 6) return "NEW";
  if (churn >= 0.4) return "CHURN_RISK";
  if (arpuPrev > 0 && arpu <= 0.85 * arpuPrev) return "DECLINE";
  if (tenure <= 36 || (arpuPrev > 0 && arpu >= 1.1 * arpuPrev)) return "GROWTH";
  return "MATURE";
}

const CHANNEL_AGE_WEIGHTS: Record<ChannelCode, readonly [number, number, number]> = {
  // young (<35), middle (35–59), old (60+)
  APP: [5, 4, 1],
  WECHAT: [3, 3, 1.5],
  WEB: [1, 1, 0.3],
  HOTLINE: [1.2, 2.5, 4],
  STORE: [0.8, 1.5, 3.5],
  SMS: [0.8, 1.5, 2.5],
  OUTBOUND_CALL: [0.2, 0.3, 0.8],
};

function drawPreferredChannels(rng: Rng, age: number): ChannelCode[] {
  const band = age < 35 ? 0 : age < 60 ? 1 : 2;
  const pool = [...CHANNEL_CODES];
  const out: ChannelCode[] = [];
  while (out.length < 3 && pool.length > 0) {
    const weights = pool.map((c) => CHANNEL_AGE_WEIGHTS[c][band]);
    const pick = rng.weighted(pool, weights);
    out.push(pick);
    pool.splice(pool.indexOf(pick), 1);
  }
  return out;
}

// ───────────────────────────── hidden preference ─────────────────────────────

interface PreferenceFeatures {
  age: number;
  mainPlan: ProductNode;
  family: Family | null;
  member: FamilyMember | null;
  enterprise: Enterprise | null;
  terminal: Terminal;
  terminalAgeMonths: number;
  behaviour: Behaviour;
  roamingDays3m: number;
  dataSat: number;
  voiceSat: number;
  dataAppetiteMb: number;
}

const ind = (b: boolean): number => (b ? 1 : 0);

/** The sd of each customer's private noise on the affinity's logit: what no attribute tells. */
export const PREFERENCE_NOISE = 0.7;

/** The deterministic part of each affinity (a logit); noise is added per customer. */
function preferenceScores(f: PreferenceFeatures): Record<ProductKind, number> {
  const b = f.behaviour;
  const familyAges = f.family?.members.map((m) => m.age) ?? [];
  const dataSat = clamp(f.dataSat - 0.8, -1, 1.5);
  return {
    PLAN: -0.8 + 1.6 * dataSat + 0.9 * ind(f.mainPlan.network === "4G" && f.terminal.is5G) + 0.3 * ind(f.age < 30),
    FAMILY_PLAN:
      -1.6 + 2.0 * ind(f.family !== null && f.family.familyPlanCode === null) + 0.6 * ind(f.age >= 30 && f.age <= 55) - 1.2 * ind(f.mainPlan.kind === "FAMILY_PLAN"),
    DATA_ADDON: -1.2 + 1.8 * dataSat + 0.6 * ind(f.dataAppetiteMb >= 20 * GB),
    VOICE_ADDON: -1.6 + 1.5 * clamp(f.voiceSat - 0.8, -1, 1.5) + 0.5 * ind(f.enterprise !== null),
    HOURLY_PACK: -1.4 + 0.8 * ind(f.age < 30) + 0.8 * ind(f.dataSat > 0.9) + 0.4 * ind(b.commuteDays >= 16) + 0.4 * ind(b.gameHours >= 25),
    ROAMING_PACK: -2.2 + 0.9 * Math.sqrt(f.roamingDays3m) + 0.6 * ind(b.airportVisits3m >= 3) + 0.4 * ind(f.enterprise !== null),
    BROADBAND:
      -0.8 + 1.2 * ind(f.member?.relation === "HEAD" && f.family?.broadbandCode === null) + 0.5 * ind(f.age >= 25 && f.age <= 50) + 0.5 * ind(b.longVideoHours >= 20),
    IPTV: -1.4 + 0.9 * ind(f.family?.broadbandCode != null) + 0.7 * ind(familyAges.some((a) => a < 18 || a >= 65)) + 0.6 * ind(b.longVideoHours >= 20) + 0.4 * ind(f.age >= 55),
    HANDSET: -1.6 + 0.05 * (f.terminalAgeMonths - 18) + 0.7 * ind(!f.terminal.is5G) + 0.3 * ind(f.terminal.price >= 4000),
    CONTENT: -1.3 + 0.035 * (b.longVideoHours + b.musicHours + b.readingHours - 20) + 0.4 * ind(f.age < 35),
  };
}

// ───────────────────────────── holdings and contacts helpers ─────────────────────────────

interface HoldingInputs {
  joinMs: number;
  tenureMonths: number;
  mainPlan: ProductNode;
  family: Family | null;
  member: FamilyMember | null;
  planDataMb: number;
  planMinutes: number;
  dataAppetiteMb: number;
  voiceAppetite: number;
  budget: number;
  behaviour: Behaviour;
  preference: HiddenPreferenceNode;
  terminal: Terminal;
  terminalAgeMonths: number;
  roamingDays3m: number;
}

interface ContactInputs {
  customer: CustomerNode;
  holdings: readonly { product: ProductNode; since: string }[];
  mainPlan: ProductNode;
  preference: HiddenPreferenceNode;
  preferredChannels: readonly ChannelCode[];
  complaintProne: boolean;
}

const INBOUND_BASE: Record<"CONSULTATION" | "HANDLING" | "COMPLAINT", Partial<Record<ChannelCode, number>>> = {
  CONSULTATION: { HOTLINE: 3.5, APP: 2.5, WECHAT: 1.5, WEB: 0.5, STORE: 2 },
  HANDLING: { STORE: 3.5, APP: 3.5, HOTLINE: 1.5, WEB: 0.5, WECHAT: 1 },
  COMPLAINT: { HOTLINE: 7, STORE: 1.5, APP: 1, WECHAT: 0.5 },
};
const OFFER_BASE: Partial<Record<ChannelCode, number>> = { SMS: 3, OUTBOUND_CALL: 2, APP: 2.5, WECHAT: 1, HOTLINE: 1, STORE: 0.5, WEB: 0.3 };
const PREF_BOOST = [3, 2, 1.5];

function channelWeight(base: Partial<Record<ChannelCode, number>>, prefs: readonly ChannelCode[], code: ChannelCode): number {
  const w = base[code] ?? 0;
  const rank = prefs.indexOf(code);
  return rank >= 0 ? w * (PREF_BOOST[rank] ?? 1) : w;
}

function inboundChannel(rng: Rng, kind: "CONSULTATION" | "HANDLING" | "COMPLAINT", prefs: readonly ChannelCode[]): ChannelCode {
  return rng.weighted(CHANNEL_CODES, CHANNEL_CODES.map((c) => channelWeight(INBOUND_BASE[kind], prefs, c)));
}

/** Offer channels; a RED-listed customer gets no SMS or outbound calls. */
function offerChannel(rng: Rng, prefs: readonly ChannelCode[], dnd: CustomerNode["dndList"]): ChannelCode {
  return rng.weighted(CHANNEL_CODES, CHANNEL_CODES.map((c) => (dnd === "RED" && (c === "SMS" || c === "OUTBOUND_CALL") ? 0 : channelWeight(OFFER_BASE, prefs, c))));
}

/** How long after an offer the answer comes: in the call for agents, minutes to days for pushes. */
function responseDelay(rng: Rng, channel: ChannelCode): number {
  switch (channel) {
    case "OUTBOUND_CALL":
    case "HOTLINE":
    case "STORE":
      return rng.uniform(1, 5) * MINUTE;
    case "SMS":
      return rng.uniform(5 * MINUTE, 2 * DAY);
    default:
      return rng.uniform(MINUTE, 3 * HOUR);
  }
}

const OFFER_KINDS = new WeightedTable<ProductKind>(
  ["DATA_ADDON", "CONTENT", "PLAN", "BROADBAND", "HANDSET", "HOURLY_PACK", "IPTV", "VOICE_ADDON", "FAMILY_PLAN", "ROAMING_PACK"],
  [3, 2, 2, 1.2, 1, 1, 0.8, 0.8, 0.8, 0.5],
);

/** Products of `kind` the customer could take now; a main plan may replace the current one. */
function eligible(kind: ProductKind, c: ContactInputs, heldIds: ReadonlySet<string>): ProductNode[] {
  if (kind === "PLAN" || kind === "FAMILY_PLAN") {
    const others = new Set(heldIds);
    others.delete(c.mainPlan.id);
    const ladder = kind === "PLAN" ? upgradesOf(c.mainPlan.id).map(productById) : productsOfKind("FAMILY_PLAN");
    return ladder.filter((p) => p.kind === kind && !heldIds.has(p.id) && canHold(p.id, others));
  }
  return productsOfKind(kind).filter((p) => !heldIds.has(p.id) && canHold(p.id, heldIds));
}

function pickOffer(rng: Rng, c: ContactInputs, heldIds: ReadonlySet<string>): ProductNode | null {
  for (let attempt = 0; attempt < 4; attempt++) {
    const options = eligible(rng.fromTable(OFFER_KINDS), c, heldIds);
    if (options.length > 0) return rng.pick(options);
  }
  return null;
}

function pickInterest(rng: Rng, c: ContactInputs, heldIds: ReadonlySet<string>): ProductNode | null {
  const kind = rng.weighted(PRODUCT_KINDS, PRODUCT_KINDS.map((k) => Math.pow(c.preference[k], 2) + 0.02));
  const options = eligible(kind, c, heldIds);
  return options.length > 0 ? rng.pick(options) : null;
}

function pickHeld(rng: Rng, holdings: readonly { product: ProductNode }[], pred: (p: ProductNode) => boolean): ProductNode | null {
  const options = holdings.filter((h) => pred(h.product));
  return options.length > 0 ? rng.pick(options).product : null;
}

/**
 * The answer to an offer of a product not held now: packs may have been bought and used up; for
 * everything else, interest rises and refusals fall with the customer's hidden affinity. A person
 * offering in a call or at a counter gets an answer on the spot; pushed offers may be clicked or ignored.
 */
function drawOutcome(rng: Rng, offer: ProductNode, affinity: number, channel: ChannelCode): ResponseOutcome {
  if ((offer.kind === "HOURLY_PACK" || offer.kind === "ROAMING_PACK") && rng.chance(0.05 + 0.45 * affinity * affinity)) return "ACCEPTED";
  if (channel === "HOTLINE" || channel === "STORE" || channel === "OUTBOUND_CALL") return "DECLINED";
  const click = 0.05 + 0.35 * affinity;
  const decline = (1 - click) * (0.3 + 0.4 * (1 - affinity));
  return rng.weighted(["CLICKED", "DECLINED", "IGNORED"] as const, [click, decline, 1 - click - decline]);
}

/** Outgoing calls from `n` to the other members of its enterprise's V-net. */
function vnetCalls(n: number, enterprise: Enterprise, links: readonly { from: number; to: number; perMonth: number }[]): { groupId: string; callsPerMonth: number; callees: number } {
  const members = new Set(enterprise.vnetMembers);
  let callsPerMonth = 0;
  let callees = 0;
  for (const l of links) {
    if (l.from === n && members.has(l.to)) {
      callsPerMonth += l.perMonth;
      callees += 1;
    }
  }
  return { groupId: enterprise.vnetGroupId, callsPerMonth, callees };
}

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  let s = 0;
  for (const t of items) s += f(t);
  return s;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
