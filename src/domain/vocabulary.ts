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
] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

export const RESPONSE_OUTCOMES = ["ACCEPTED", "DECLINED", "IGNORED", "CLICKED"] as const;
export type ResponseOutcome = (typeof RESPONSE_OUTCOMES)[number];

export const GROUP_KINDS = ["FAMILY", "VNET", "ENTERPRISE"] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

export const TAG_STATUSES = ["DRAFT", "PENDING_APPROVAL", "APPROVED", "PUBLISHED", "OFFLINE"] as const;
export type TagStatus = (typeof TAG_STATUSES)[number];

export type RegionLevel = "PROVINCE" | "CITY" | "DISTRICT";

export const MARKETING_STATUSES = ["ACTIVE", "RETIRED"] as const;
export type MarketingStatus = (typeof MARKETING_STATUSES)[number];

/**
 * Maker-checker (src/approval/): a change that reaches customers is proposed by one principal and
 * takes effect only when another approves it. Kinds are what a change is to; the tag library and
 * campaigns add theirs.
 */
export const CHANGE_KINDS = ["SEGMENT", "OFFER", "STRATEGY", "CONTACT_POLICY"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** CREATE makes the target (under an id reserved when proposed), UPDATE and RETIRE change it, SET replaces a single value (the contact policy). */
export const CHANGE_ACTIONS = ["CREATE", "UPDATE", "RETIRE", "SET"] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** PENDING until an approver approves or rejects it, or its author withdraws it; decided changes never change again. */
export const CHANGE_STATUSES = ["PENDING", "APPROVED", "REJECTED", "WITHDRAWN"] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];
