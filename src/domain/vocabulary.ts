/**
 * The words the whole gateway shares (DOMAIN.md "Words to use in code"): channels, product kinds,
 * market segments, value tiers, lifecycle stages, contact kinds, response outcomes, statuses.
 * A leaf: imports nothing of ours, so every layer can use it without a cycle.
 */

export const PRODUCT_KINDS = [
  "PLAN",
  "FAMILY_PLAN",
  "DATA_ADDON",
  "VOICE_ADDON",
  "HOURLY_PACK",
  "ROAMING_PACK",
  "BROADBAND",
  "IPTV",
  "HANDSET",
  "CONTENT",
] as const;
export type ProductKind = (typeof PRODUCT_KINDS)[number];

export const CHANNEL_CODES = ["HOTLINE", "APP", "WEB", "SMS", "OUTBOUND_CALL", "STORE", "WECHAT"] as const;
export type ChannelCode = (typeof CHANNEL_CODES)[number];

export const MARKET_SEGMENTS = ["INDIVIDUAL", "FAMILY", "ENTERPRISE"] as const;
export type MarketSegment = (typeof MARKET_SEGMENTS)[number];

export const VALUE_TIERS = ["LOW", "MEDIUM", "HIGH", "PREMIUM"] as const;
export type ValueTier = (typeof VALUE_TIERS)[number];

export const LIFECYCLE_STAGES = ["NEW", "GROWTH", "MATURE", "DECLINE", "CHURN_RISK"] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const CONTACT_KINDS = [
  "CONSULTATION", // asked something (bill, plan, coverage)
  "HANDLING", // business handled: order, change, cancellation
  "COMPLAINT",
  "OFFER_PRESENTED",
  "OFFER_RESPONSE", // the customer answered an offer; `outcome` says how
  "NOTE", // an agent's note (recordInteraction), or a work order's call that reached the customer without an answer
] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

export const RESPONSE_OUTCOMES = ["ACCEPTED", "DECLINED", "IGNORED", "CLICKED"] as const;
export type ResponseOutcome = (typeof RESPONSE_OUTCOMES)[number];

export const GROUP_KINDS = ["FAMILY", "VNET", "ENTERPRISE"] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

/**
 * A tag's lifecycle (标签生命周期, src/tags/): DRAFT → PENDING_APPROVAL → APPROVED → PUBLISHED → OFFLINE.
 * Only PUBLISHED tags are served (src/customer360/published.ts). PENDING_APPROVAL is never stored:
 * it is a DRAFT with a change awaiting approval (src/approval/), so a rejection or a withdrawal
 * needs no write of its own to put the draft back.
 */
export const TAG_STATUSES = ["DRAFT", "PENDING_APPROVAL", "APPROVED", "PUBLISHED", "OFFLINE"] as const;
export type TagStatus = (typeof TAG_STATUSES)[number];

/**
 * The status of one version of a tag: the lifecycle's, plus SUPERSEDED (it was published and a
 * later version replaced it) and DISCARDED (approved but never published: an edit replaced it).
 */
export const TAG_VERSION_STATUSES = [...TAG_STATUSES, "SUPERSEDED", "DISCARDED"] as const;
export type TagVersionStatus = (typeof TAG_VERSION_STATUSES)[number];

/** The first level of the tag taxonomy: the four tag families of DOMAIN.md (basic, telecom, life/internet, value/lifecycle). */
export const TAG_LEVEL1S = ["Basic", "Telecom", "Life & Internet", "Value & Lifecycle"] as const;
export type TagLevel1 = (typeof TAG_LEVEL1S)[number];

/** FLAG: carried or not; CATEGORY: one value of a set (年龄段 "25-34岁"); SCORE: a strength in [0, 1]. */
export const TAG_VALUE_TYPES = ["FLAG", "CATEGORY", "SCORE"] as const;
export type TagValueType = (typeof TAG_VALUE_TYPES)[number];

/**
 * How a tag's values come: SEEDED (written by the seed or an outside process, as before rule tags),
 * RULE (computed from an expression by the tag jobs, src/tags/jobs.ts), IMPORTED (given for listed
 * customers by importTagValues).
 */
export const TAG_SOURCES = ["SEEDED", "RULE", "IMPORTED"] as const;
export type TagSource = (typeof TAG_SOURCES)[number];

/** The states of a rule tag's run. */
export const TAG_RUN_STATES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"] as const;
export type TagRunState = (typeof TAG_RUN_STATES)[number];

/** Who a tag is defined for: the whole province, or one city (a city branch's own tag, promotable to the province). */
export const TAG_SCOPES = ["PROVINCE", "CITY"] as const;
export type TagScope = (typeof TAG_SCOPES)[number];

/** What the publish log records: a version published, a city tag's version published province-wide, the tag taken offline. */
export const TAG_LOG_ACTIONS = ["PUBLISH", "PROMOTE", "OFFLINE"] as const;
export type TagLogAction = (typeof TAG_LOG_ACTIONS)[number];

export type RegionLevel = "PROVINCE" | "CITY" | "DISTRICT";

export const MARKETING_STATUSES = ["ACTIVE", "RETIRED"] as const;
export type MarketingStatus = (typeof MARKETING_STATUSES)[number];

/**
 * Maker-checker (src/approval/): a change that reaches customers is proposed by one principal and
 * takes effect only when another approves it. Kinds are what a change is to; the tag library and
 * campaigns add theirs.
 */
export const CHANGE_KINDS = ["SEGMENT", "OFFER", "STRATEGY", "CONTACT_POLICY", "TAG", "CAMPAIGN"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * CREATE makes the target (under an id reserved when proposed), UPDATE and RETIRE change it, SET
 * replaces a single value (the contact policy), PROMOTE widens a city tag to the province.
 */
export const CHANGE_ACTIONS = ["CREATE", "UPDATE", "RETIRE", "SET", "PROMOTE"] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** PENDING until an approver approves or rejects it, or its author withdraws it; decided changes never change again. */
export const CHANGE_STATUSES = ["PENDING", "APPROVED", "REJECTED", "WITHDRAWN"] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];
