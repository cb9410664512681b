/**
 * The graph model: labels, relationship types and the properties stored on them.
 *
 * This is the one contract between the seed generator (which writes the graph) and the
 * read side (src/graph/*.ts, which serves it). Every property listed here is written by
 * the seed for every node of that label unless marked optional.
 *
 * Nodes
 *   (:Region   RegionNode)         province → city → district, (district)-[:PART_OF]->(city)-[:PART_OF]->(province)
 *   (:Product  ProductNode)        the catalogue
 *   (:Channel  ChannelNode)        the seven channels, keyed by `code`
 *   (:Tag      TagNode)            leaf tags of the three-level taxonomy, as served (the published version's content)
 *   (:TagVersion TagVersionNode)   one version of a tag's definition (src/tags/): drafts, approved, published, past
 *   (:StrategyVersion|:OfferVersion MarketingVersionNode)  one applied version of a strategy or offer (src/marketing/admin.ts)
 *   (:TagLog   TagLogNode)         the publish log: one entry per version published or tag taken offline
 *   (:TagValue TagValueNode)       a category tag's value with its customer count (statistics, for indicator search)
 *   (:Attribute AttributeIndicatorNode) / (:AttributeValue AttributeValueIndicatorNode)
 *                                  the customer attributes segment expressions test, and their enum values,
 *                                  mirrored from the code for indicator search (src/tags/indicators.ts)
 *   (:Customer CustomerNode)       attributes and this month's usage as properties
 *   (:Group    GroupNode)          families, V-nets, enterprises
 *   (:Contact  ContactNode)        one trajectory entry; those the gateway writes for decisions are also :Decided
 *   (:HiddenPreference HiddenPreferenceNode)  ground truth for evaluation; never linked, never served
 *   (:SeedRun  SeedRunNode)        one per completed seed run (idempotency and provenance)
 *   (:Sequence {name})             a lock node for allocating customers' dense `idx` (src/graph/segments.ts)
 *   (:Segment  SegmentNode)        a target group defined by an expression over tags and attributes
 *   (:Offer    OfferNode)          a proposal of one product, with a creative per channel
 *   (:Strategy StrategyNode)       who gets which offers on which channels (the strategy cube)
 *   (:Decision DecisionNode)       one next-best-offer answer; its contact, when there was one, carries its id
 *   (:Change   ChangeNode)         a proposed change to a segment, offer, strategy, tag or the contact policy
 *                                  (maker-checker); never linked: `kind` + `targetId` name its target
 *   (:Campaign CampaignNode)       a strategy version run over a segment on a schedule, in waves (src/campaigns/)
 *   (:Wave     WaveNode)           one wave of a campaign: channel, delay, audience, progress
 *   (:WorkOrder WorkOrderNode)     an outbound call, store visit or account-manager follow-up for a decision
 *
 * Relationships
 *   (Customer)-[:LIVES_IN]->(Region {level: DISTRICT})
 *   (Customer)-[:SUBSCRIBES {since: DateTime}]->(Product)
 *   (Customer)-[:CANCELLED {at: DateTime}]->(Product)    when billing last cancelled it (PRODUCT_CANCELLED, src/graph/changes.ts):
 *                                                         a tombstone against late orders; never read as a holding
 *   (Customer)-[:HAS_TAG {value: String, score: Float, at: DateTime}]->(Tag)
 *   (Customer)-[:PREFERS {rank: Int}]->(Channel)          rank 1 = most preferred
 *   (Customer)-[:MEMBER_OF {role: "HEAD"|"MEMBER"}]->(Group)
 *   (Customer)-[:CALLS {perMonth: Int}]->(Customer)       calling circle, directed caller → callee
 *   (Customer)-[:HAD]->(Contact)-[:VIA]->(Channel)
 *   (Contact)-[:ABOUT]->(Product)                          optional
 *   (Product)-[:UPGRADES_TO|REQUIRES|EXCLUDES]->(Product)
 *     REQUIRES targets are alternatives: met when the customer holds any one of them (IPTV needs
 *     one of the broadband products, an add-on some main plan). EXCLUDES is written both ways.
 *   (Region)-[:PART_OF]->(Region)
 *   (Tag)-[:VERSION]->(TagVersion), (Tag)-[:LOGGED]->(TagLog)
 *   (Strategy)-[:VERSION]->(StrategyVersion), (Offer)-[:VERSION]->(OfferVersion)
 *   (Offer)-[:OF]->(Product)
 *   (Strategy)-[:TARGETS]->(Segment), (Strategy)-[:PROPOSES]->(Offer), (Strategy)-[:USES]->(Channel)
 *   (Campaign)-[:RUNS]->(Strategy), (Campaign)-[:OVER]->(Segment), (Campaign)-[:HAS_WAVE]->(Wave)
 *     A strategy with trigger properties (StrategyNode) is event-triggered: it proposes only when its
 *     event arrives, never in an ordinary decision.
 *
 * Ids are strings and unique per label (uniqueness constraints); Channel is keyed by `code`.
 * Times are Neo4j DateTime values in UTC.
 */

import type { CampaignSchedule, CampaignStatus, WaveAudience, WaveStatus, WorkOrderFeedback, WorkOrderKind, WorkOrderStatus } from "../domain/campaigns";
import type { EventType } from "../domain/events";
import type { ChangeAction, ChangeKind, ChangeStatus, ChannelCode, ContactKind, GroupKind, LifecycleStage, MarketSegment, MarketingStatus, ProductKind, RegionLevel, ResponseOutcome, TagLogAction, TagStatus, TagVersionStatus, ValueTier } from "../domain/vocabulary";

export interface RegionNode {
  id: string; // "R33" province, "R3301" city, "R330102" district
  name: string;
  level: RegionLevel;
}

export interface ProductNode {
  id: string; // "P001" …
  code: string; // business code, e.g. "5G-PLAN-128"
  name: string;
  kind: ProductKind;
  monthlyFee: number; // yuan per month; 0 for one-off products
  oneOffPrice: number; // yuan, handsets and hourly/roaming packs; 0 otherwise
  network: "4G" | "5G" | null; // plans; null where it does not apply
  dataQuotaMb: number; // included per month (per validity for packs); 0 if none
  voiceMinutes: number; // included per month; 0 if none
  smsCount: number;
  dataOveragePerGb: number; // yuan per GB beyond quota (plans); 0 otherwise
  voiceOveragePerMinute: number; // yuan per minute beyond quota (plans)
  validityHours: number; // packs: 1..720; 0 = monthly recurring
  description: string;
}

export interface ChannelNode {
  code: ChannelCode;
  name: string;
  outbound: boolean; // the operator initiates (SMS, OUTBOUND_CALL); DND red list blocks these
  hasAgent: boolean; // a person speaks to the customer (HOTLINE, OUTBOUND_CALL, STORE)
  push: boolean; // can be pushed to without the customer asking (SMS, OUTBOUND_CALL, APP, WECHAT)
}

export interface TagNode {
  id: string; // "T001" …
  code: string; // "TEL_DATA_HEAVY"; never changes (segment expressions name tags by code)
  name: string; // level-3 name, human readable
  level1: string; // "Basic" | "Telecom" | "Life & Internet" | "Value & Lifecycle"
  level2: string; // e.g. "Data usage"
  definition: string; // statistical definition (统计口径), one sentence
  valueType: "FLAG" | "CATEGORY" | "SCORE"; // never changes
  market: MarketSegment;
  scope: "PROVINCE" | "CITY";
  /** The city a CITY tag is defined for ("R3301"); absent for PROVINCE tags. */
  regionId?: string;
  /** Who answers for the tag's definition (a team or a person); absent on tags seeded before owners. */
  owner?: string;
  /**
   * The read side serves PUBLISHED only. Stored: DRAFT or APPROVED (never published yet: the tag's
   * only version), PUBLISHED, OFFLINE; PENDING_APPROVAL is derived (src/graph/tags.ts).
   */
  status: TagStatus;
  /** The version served (or, for a tag never published, its open version). */
  version: number;
  publishedAt?: string; // DateTime, when the version served was published
  /** Statistics (refreshTagStatistics): when computed, the customers holding it then, the latest time a customer's value was computed. */
  statsAt?: string;
  customers?: number;
  refreshedAt?: string;
}

/** One version of a tag (written by the gateway only; seeded tags get their first one when first edited). */
export interface TagVersionNode {
  tagId: string;
  version: number; // 1, 2, … per tag; (tagId, version) is unique
  name: string;
  level1: string;
  level2: string;
  definition: string;
  market: MarketSegment;
  scope: "PROVINCE" | "CITY";
  regionId?: string;
  owner: string;
  /** Stored: DRAFT, APPROVED, PUBLISHED, SUPERSEDED, DISCARDED, OFFLINE (PENDING_APPROVAL is derived). */
  status: TagVersionStatus;
  /** Counts edits of a draft: an approval applies only to the revision submitted. */
  revision: number;
  /** Everyone who wrote this version's content: none of them may approve it. */
  editors: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  note?: string; // what the version changes, in the author's words
  changeId?: string; // the approval
  approvedBy?: string;
  approvedAt?: string;
  publishedBy?: string;
  publishedAt?: string;
}

/** One entry of a tag's publish log. */
export interface TagLogNode {
  id: string; // "TL" + time + random, sorts in time order
  tagId: string;
  action: TagLogAction;
  version: number;
  by: string; // who published, or who proposed the offlining
  at: string;
  changeId: string | null; // the approval behind it (null for versions seeded without one)
  approvedBy: string | null;
  reason?: string;
}

/** A category tag's value and how many customers held it when statistics were last computed. */
export interface TagValueNode {
  tagId: string;
  value: string;
  customers: number;
}

/**
 * A customer attribute segment expressions test (src/segments/attributes.ts), mirrored into the
 * graph so the indicator search ranks it with the tags in one full-text index. `code` is the
 * attribute's name as expressions write it ("arpu"), `name` its Chinese label.
 */
export interface AttributeIndicatorNode {
  code: string;
  name: string;
  definition: string;
  type: "number" | "string" | "boolean";
}

/** One value of an enumerated attribute ("CHURN_RISK" of lifecycleStage), with its label ("流失预警期") where it has one. */
export interface AttributeValueIndicatorNode {
  attribute: string;
  value: string;
  name: string;
}

export interface CustomerNode {
  id: string; // "C0000001", in generation order
  /**
   * The customer's place in the dense customer index (1, 2, …; unique), the bit that stands for it
   * in the segment bitmaps (src/segments/preview). The seed writes its customer number; customers
   * written otherwise get the next free one (assignCustomerIdx, src/graph/segments.ts), and the
   * index build assigns any still missing.
   */
  idx?: number;
  msisdn: string; // 11 digits, unique
  name: string;
  gender: "F" | "M";
  age: number;
  segment: MarketSegment;
  regionId: string; // district id (denormalised from LIVES_IN for filters)
  tenureMonths: number;
  arpu: number; // yuan, 3-month average monthly revenue
  valueTier: ValueTier;
  lifecycleStage: LifecycleStage;
  creditScore: number; // 350..950
  terminalModel: string;
  terminalAgeMonths: number;
  networkType: "4G" | "5G";
  doNotDisturb: boolean;
  dndList: "RED" | "BLACK" | null; // RED: no outbound; BLACK: excluded everywhere
  // this month's usage
  usageMonth: string; // "2026-11"
  dataUsedMb: number;
  dataQuotaMb: number;
  voiceUsedMinutes: number;
  voiceQuotaMinutes: number;
  smsUsed: number;
  // three-month averages
  avgDataMb3m: number;
  avgVoiceMinutes3m: number;
  avgSms3m: number;
  roamingDays3m: number;
  // Change events (src/graph/changes.ts) also write, to order late events (epoch ms, not served):
  // `usageAt` (when the usage report held was made) and `<attribute>ChangedAt` (when a
  // PROFILE_CHANGE last set it: valueTierChangedAt, creditScoreChangedAt, …).
}

/** The whole-number usage counters of a customer (this month and three-month averages). */
export const USAGE_COUNT_FIELDS = [
  "dataUsedMb",
  "dataQuotaMb",
  "voiceUsedMinutes",
  "voiceQuotaMinutes",
  "smsUsed",
  "avgDataMb3m",
  "avgVoiceMinutes3m",
  "avgSms3m",
  "roamingDays3m",
] as const satisfies ReadonlyArray<keyof CustomerNode>;

export interface GroupNode {
  id: string; // "G000001"
  kind: GroupKind;
  name: string;
}

export interface ContactNode {
  id: string; // "K00000001", in generation order
  customerId: string; // denormalised: the trajectory index is (customerId, at)
  at: string; // DateTime (UTC); serialised as ISO-8601 in this interface
  channel: ChannelCode; // denormalised from VIA for filtering without a hop
  kind: ContactKind;
  summary: string; // one short human-readable sentence
  outcome: ResponseOutcome | null;
  productId: string | null; // denormalised from ABOUT
}

/** Ground truth for evaluating recommendations: affinity in [0,1] per product kind. */
export type HiddenPreferenceNode = { customerId: string } & Record<ProductKind, number>;

export interface SeedRunNode {
  id: string; // "seed-<seed>-<customers>"
  seed: number;
  customers: number;
  completedAt: string;
  /** The data set's asOf (DateTime): a re-run without --as-of reuses it, so contacts stay consistent. */
  asOf?: string;
  /** Version of the generator that wrote the data set; a different version refuses to extend it. */
  generatorVersion?: number;
}

export interface SegmentNode {
  id: string; // "SG01" …
  code: string; // "CHURN_RISK"
  name: string;
  /** A segment expression (src/segments/expression/), e.g. `TEL_DATA_SAT_HIGH AND arpu >= 50`. */
  expression: string;
  updatedAt: string;
}

export interface OfferNode {
  id: string; // "OF001" …
  code: string; // "OFF-DATA-10GB-RET"
  name: string;
  productId: string; // denormalised from OF
  /** JSON object: channel code → creative (SMS text, banner text, an agent's script). */
  creatives: string;
  validFrom: string; // DateTime
  validUntil: string | null; // DateTime; null = open-ended
  /** District or city ids the offer is sold in (a customer in a district of a listed city qualifies); empty = the whole province. */
  regionIds: string[];
  /** Expected margin over the offer's horizon, yuan. */
  value: number;
  /** Business lever, 1 = neutral. */
  priority: number;
  /** Acceptance rate expected before any evidence, 0..1. */
  basePropensity: number;
  status: MarketingStatus;
  updatedAt: string;
  /** Bumped by every applied change (src/marketing/admin.ts); absent (seeded, never changed) reads as 1. */
  version?: number;
}

export interface StrategyNode {
  id: string; // "ST001" …
  /** Structured code (策略编码): <business line>-<scenario>-<stage>-<nnn>, e.g. "MOB-RET-CHURN-001". */
  code: string;
  name: string;
  businessLine: string; // MOBILE, FAMILY, HOME, CONTENT, TERMINAL, ENTERPRISE
  scenario: string; // RETENTION, UPGRADE, CROSS_SELL, ACQUISITION, CARE
  lifecycleStage: LifecycleStage | null; // the cube's third axis; null = any stage
  priority: number;
  validFrom: string;
  validUntil: string | null;
  /** Share of targeted customers held out as a control group, 0..0.5. */
  controlShare: number;
  status: MarketingStatus;
  description: string;
  updatedAt: string;
  /**
   * An event-triggered strategy has all three trigger properties, any other none (src/graph/marketing.ts
   * StrategyTrigger): the event type that fires it, its condition (a segment expression that may name
   * `event.<field>`; "" = always) and how old, in seconds, an event may be when processed and still fire.
   */
  triggerEventType?: EventType;
  triggerCondition?: string;
  triggerMaxDelaySeconds?: number;
  /** Bumped by every applied change (src/marketing/admin.ts); absent (seeded, never changed) reads as 1. */
  version?: number;
}

/**
 * One applied version of a strategy or offer: `(Strategy)-[:VERSION]->(StrategyVersion)`,
 * `(Offer)-[:VERSION]->(OfferVersion)`. Written in the approval's transaction by the change that made
 * it; seeded content is version 1 and has no node until its first change (as with TagVersion).
 */
export interface MarketingVersionNode {
  /** strategyId on StrategyVersion, offerId on OfferVersion. */
  strategyId?: string;
  offerId?: string;
  version: number;
  /** JSON: the strategy or offer as this version wrote it (the write's fields). */
  content: string;
  appliedAt: string; // DateTime
  /** The approved change that applied it; absent on seeded content kept as version 1 at its first change. */
  changeId?: string;
}

export interface DecisionNode {
  id: string; // "D…"
  customerId: string;
  offerId: string;
  productId: string;
  strategyId: string | null;
  /** The real-time event that fired the decision (a push); absent on the node for ordinary decisions. */
  eventId: string | null;
  channel: ChannelCode;
  at: string;
  score: number;
  propensity: number;
  value: number;
  priority: number;
  relevance: number;
  /** JSON array of reasons ({kind, text}). */
  reasons: string;
  controlGroup: boolean;
  /** False for control-group decisions and when contact policy held the offer back. */
  contacted: boolean;
  outcome: ResponseOutcome | null;
  respondedAt: string | null;
  /** Set on the decisions of a campaign's wave (src/campaigns/); absent on every other decision. */
  campaignId?: string;
  waveId?: string;
  /** The versions of the strategy and offer the decision came from, so results belong to what was actually run. */
  strategyVersion?: number;
  offerVersion?: number;
  /** When the channel reported the message delivered (outbox channels; a datetime), or that it failed and why. */
  deliveredAt?: string;
  deliveryFailed?: string;
  /** The work order opened for this decision (a campaign's person-served wave, or dispatchWorkOrder). */
  workOrderId?: string;
}

/**
 * A campaign (src/campaigns/): a strategy version × a segment × a schedule × waves. Lifecycle in
 * src/domain/campaigns.ts. Written by the gateway only.
 */
export interface CampaignNode {
  id: string; // "CP" + base-36 time + random
  name: string;
  status: CampaignStatus;
  strategyId: string;
  /** The strategy version frozen at approval: every wave decides with it. */
  strategyVersion: number;
  segmentId: string;
  /** SNAPSHOT: members frozen at launch (a SegmentSnapshot); LIVE: the segment re-evaluated per wave. */
  membership: "SNAPSHOT" | "LIVE";
  snapshotId?: string;
  schedule: CampaignSchedule;
  startAt: string; // DateTime
  endAt?: string; // DateTime; a repeating campaign stops there
  /** At most this many contacts over the campaign (all waves); absent = no cap. */
  volumeCap?: number;
  /** Share of members held out in every wave (the same customers each time), 0..0.5. */
  controlShare: number;
  /** Principals told of alerts and the final report (token subjects). */
  owners: string[];
  /** Alert threshold: a wave's response rate below this once it has 200 contacts (0 = never). */
  alertResponseRate: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

/** One wave (the first is index 1 and reaches ALL). */
export interface WaveNode {
  id: string; // "<campaignId>-W<index>"
  campaignId: string;
  index: number;
  channel: ChannelCode;
  /** For person-served channels: which work orders it makes (OUTBOUND_CALL → OUTBOUND_CALL, STORE → STORE_VISIT unless ACCOUNT_MANAGER). */
  workOrderKind?: WorkOrderKind;
  /** Days after the previous wave started (0 for the first: at the campaign's start). */
  delayDays: number;
  audience: WaveAudience;
  status: WaveStatus;
  dueAt?: string; // DateTime
  startedAt?: string;
  finishedAt?: string;
  /** Progress: members to go through, done so far; and the funnel's first counts as the wave runs. */
  total: number;
  done: number;
  targeted: number;
  heldOut: number;
  contacted: number;
}

/** A work order (src/campaigns/work-orders.ts). */
export interface WorkOrderNode {
  id: string; // "WO" + base-36 time + random
  decisionId: string; // unique: one work order per decision
  customerId: string;
  regionId: string;
  kind: WorkOrderKind;
  campaignId: string;
  waveId: string;
  offerId: string;
  script: string;
  status: WorkOrderStatus;
  dueAt: string;
  createdAt: string;
  claimedBy?: string; // agent id
  claimedAt?: string;
  feedback?: WorkOrderFeedback;
  feedbackAt?: string;
  callBackAt?: string;
  note?: string;
  /** How many times it went back to the pool (overdue or not reached). */
  reassignments: number;
}

/**
 * A proposed change (src/graph/approval.ts, src/approval/): PENDING until another principal
 * approves or rejects it or its author withdraws it. Written by the gateway only.
 */
export interface ChangeNode {
  id: string; // "CH" + 9 base-36 digits of the submission time (ms) + 6 hex digits: sorts in submission order
  kind: ChangeKind;
  targetId: string; // the target's id (reserved for it by a CREATE); the contact policy's key for CONTACT_POLICY
  action: ChangeAction;
  payload: string; // JSON: the change as submitted
  author: string; // token subject
  submittedAt: string; // DateTime
  status: ChangeStatus;
  decidedBy?: string;
  decidedAt?: string; // DateTime
  reason?: string;
  /** "<KIND>:<targetId>" while PENDING (unique: one pending change per target). */
  pendingKey?: string;
  /** "<KIND>:<code>" while PENDING, when the change gives its target a new code (unique). */
  codeKey?: string;
  /** "<KIND>:<targetId>" on a CREATE, for good (unique: a reserved id is never handed out twice). */
  createsKey?: string;
}

/** Index and constraint names, so tests and tooling can refer to them. */
export const CONTACT_TRAJECTORY_INDEX = "contact_customer_at";
/** The full-text index (CJK analyzer) behind the indicator search: tags, their values, attributes and theirs. */
export const INDICATOR_SEARCH_INDEX = "indicator_search";
