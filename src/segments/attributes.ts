import { CHANNEL_CODES, LIFECYCLE_STAGES, MARKET_SEGMENTS, VALUE_TIERS } from "../domain/vocabulary";
import type { AttributeInfo, AttributeValue } from "../domain/attributes";
import type { CustomerRecord, ProductRecord, TagRecord } from "../graph/records";
import { isServedTag } from "../customer360/published";

/**
 * The customer attributes a segment expression can reference (see ./expression), and the
 * subject an expression is evaluated against: one customer's attributes, published tags and holdings,
 * computed once per decision and shared by every strategy's segment.
 */

/** Whatever the subject needs that is not on the customer record itself. */
export interface SubjectContext {
  /** Whether the customer belongs to a family group (MEMBER_OF a FAMILY group); unknown when omitted. */
  familyMember?: boolean;
}

interface AttributeDefinition extends AttributeInfo {
  of(c: CustomerRecord, context: SubjectContext): AttributeValue;
}

/** Percentage used of a quota, 0 when there is no quota (so "used ≥ 90%" never fires on nothing). */
function percent(used: number, quota: number): number {
  return quota > 0 ? (used / quota) * 100 : 0;
}

const DEFINITIONS = {
  segment: { type: "string", label: "客户市场", values: MARKET_SEGMENTS, description: "Market the customer belongs to.", of: (c) => c.segment },
  gender: { type: "string", label: "性别", values: ["F", "M"], description: "Gender on the registered ID.", of: (c) => c.gender },
  age: { type: "number", label: "年龄", description: "Age in whole years.", of: (c) => c.age },
  regionId: {
    type: "string",
    label: "常住区县",
    pattern: /^R\d{6}$/,
    description: 'District the customer lives in, e.g. "R330102".',
    of: (c) => c.regionId,
  },
  cityId: {
    type: "string",
    label: "归属地市",
    pattern: /^R\d{4}$/,
    description: 'City of that district (the first five characters of regionId), e.g. "R3301" for Hangzhou.',
    of: (c) => c.regionId.slice(0, 5),
  },
  tenureMonths: { type: "number", label: "在网月数", description: "Months since the customer joined.", of: (c) => c.tenureMonths },
  arpu: { type: "number", label: "ARPU", description: "Average monthly revenue over 3 months, yuan.", of: (c) => c.arpu },
  valueTier: { type: "string", label: "价值等级", values: VALUE_TIERS, description: "Value tier from ARPU.", of: (c) => c.valueTier },
  lifecycleStage: {
    type: "string",
    label: "生命周期阶段",
    values: LIFECYCLE_STAGES,
    description: "Lifecycle stage.",
    of: (c) => c.lifecycleStage,
  },
  creditScore: { type: "number", label: "信用分", description: "Credit score, 350..950.", of: (c) => c.creditScore },
  terminalModel: { type: "string", label: "终端型号", description: 'Model of the handset in use, e.g. "iPhone 15".', of: (c) => c.terminalModel },
  terminalAgeMonths: { type: "number", label: "终端使用月数", description: "Months the handset has been in use.", of: (c) => c.terminalAgeMonths },
  networkType: { type: "string", label: "终端网络", values: ["4G", "5G"], description: "Network the handset supports.", of: (c) => c.networkType },
  doNotDisturb: { type: "boolean", label: "免打扰", description: "On a do-not-disturb list.", of: (c) => c.doNotDisturb },
  dndList: {
    type: "string",
    label: "免打扰名单",
    values: ["RED", "BLACK"],
    description: "Which do-not-disturb list (RED: no outbound; BLACK: no marketing); none when not on one.",
    of: (c) => c.dndList,
  },
  dataUsedMb: { type: "number", label: "本月已用流量MB", description: "Data used this month, MB.", of: (c) => c.dataUsedMb },
  dataQuotaMb: { type: "number", label: "本月套内流量MB", description: "Data included this month (plan and add-ons), MB.", of: (c) => c.dataQuotaMb },
  dataUsedPercent: {
    type: "number",
    label: "本月流量使用率%",
    description: "Data used this month as a percentage of the quota (may exceed 100; 0 when there is no quota).",
    of: (c) => percent(c.dataUsedMb, c.dataQuotaMb),
  },
  voiceUsedMinutes: { type: "number", label: "本月已用语音分钟", description: "Outgoing call minutes this month.", of: (c) => c.voiceUsedMinutes },
  voiceQuotaMinutes: { type: "number", label: "本月套内语音分钟", description: "Call minutes included this month.", of: (c) => c.voiceQuotaMinutes },
  voiceUsedPercent: {
    type: "number",
    label: "本月语音使用率%",
    description: "Call minutes used this month as a percentage of the quota (may exceed 100; 0 when there is no quota).",
    of: (c) => percent(c.voiceUsedMinutes, c.voiceQuotaMinutes),
  },
  smsUsed: { type: "number", label: "本月短信条数", description: "SMS sent this month.", of: (c) => c.smsUsed },
  avgDataMb3m: { type: "number", label: "近3月月均流量MB", description: "Average monthly data over 3 months, MB.", of: (c) => c.avgDataMb3m },
  avgVoiceMinutes3m: {
    type: "number",
    label: "近3月月均通话分钟",
    description: "Average monthly outgoing call minutes over 3 months.",
    of: (c) => c.avgVoiceMinutes3m,
  },
  avgSms3m: { type: "number", label: "近3月月均短信条数", description: "Average monthly SMS over 3 months.", of: (c) => c.avgSms3m },
  roamingDays3m: { type: "number", label: "近3月漫游天数", description: "International roaming days in the last 3 months.", of: (c) => c.roamingDays3m },
  preferredChannel: {
    type: "string",
    label: "首选渠道",
    values: CHANNEL_CODES,
    description: "The customer's most preferred channel; none when unknown.",
    of: (c) => c.profile?.preferredChannels[0] ?? null,
  },
  familyMember: {
    type: "boolean",
    label: "家庭成员",
    description: "Belongs to a family group; unknown (matches no comparison) unless the caller supplies it.",
    of: (_c, context) => context.familyMember ?? null,
  },
} satisfies Record<string, AttributeDefinition>;

export type AttributeName = keyof typeof DEFINITIONS;

/** The attribute vocabulary of segment expressions, by name (lowerCamel). */
export const CUSTOMER_ATTRIBUTES: Readonly<Record<string, AttributeInfo>> = Object.freeze(
  Object.fromEntries(Object.entries(DEFINITIONS).map(([name, { of: _of, ...info }]) => [name, Object.freeze(info)])),
);

const ATTRIBUTE_ENTRIES = Object.entries(DEFINITIONS) as Array<[AttributeName, AttributeDefinition]>;

/**
 * A customer's attributes as segment expressions see them (missing ones null): what decisions
 * evaluate per customer and what the population bitmaps of segment previews hold, computed once, here.
 */
export function customerAttributes(customer: CustomerRecord, context: SubjectContext = {}): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  // `?? null`: Neo4j stores no null properties, so a customer read from the graph lacks dndList when off the lists
  for (const [name, def] of ATTRIBUTE_ENTRIES) attributes[name] = def.of(customer, context) ?? null;
  return attributes;
}

/** Everything a segment expression can look at for one customer. */
export interface SegmentSubject {
  attributes: Readonly<Record<string, AttributeValue>>;
  /** Tags the customer carries, by tag code (published tags only). */
  tags: ReadonlyMap<string, { value: string | null; score: number | null }>;
  /** Held products: their kinds and their business codes. */
  heldKinds: ReadonlySet<string>;
  heldCodes: ReadonlySet<string>;
}

/**
 * The subject of one customer read with its profile. `products` and `tags` are the reference data by
 * id (src/customer360/reference.ts); tags that are not served (isServedTag) are left out, as the read side hides them, and a
 * holding of a product missing from the catalogue is ignored.
 */
export function segmentSubject(
  customer: CustomerRecord,
  products: ReadonlyMap<string, ProductRecord>,
  tags: ReadonlyMap<string, TagRecord>,
  context: SubjectContext = {},
): SegmentSubject {
  const profile = customer.profile;
  if (!profile) throw new Error(`segmentSubject needs customer ${customer.id} read with its profile (holdings and tags)`);

  const attributes = customerAttributes(customer, context);

  const carried = new Map<string, { value: string | null; score: number | null }>();
  for (const t of profile.tags) {
    const tag = tags.get(t.tagId);
    if (tag && isServedTag(tag)) carried.set(tag.code, { value: t.value, score: t.score });
  }

  const heldKinds = new Set<string>();
  const heldCodes = new Set<string>();
  for (const h of profile.holdings) {
    const product = products.get(h.productId);
    if (!product) continue;
    heldKinds.add(product.kind);
    heldCodes.add(product.code);
  }
  return { attributes, tags: carried, heldKinds, heldCodes };
}
