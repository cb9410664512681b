/**
 * The vocabulary campaigns, work orders, the evaluation centre and "one story across channels"
 * share (DESIGN.md "Campaigns"). It sits in the leaf layer because the rooms that use it sit at
 * different heights: decisioning reads a customer's story hold, campaigns run waves, work orders
 * close the loop, evaluation adds it all up.
 *
 * The stored shape (src/graph/model.ts has the node interfaces):
 *   (:Campaign {id, status, strategyId, strategyVersion, segmentId, snapshotId?, …})-[:HAS_WAVE]->(:Wave {id, campaignId, index, …})
 *   A wave's decisions are ordinary (:Decision) nodes carrying `campaignId`, `waveId`, `strategyVersion`,
 *   `offerVersion`, and once a channel reported back, `deliveredAt` / `deliveryFailed`. Control-group
 *   members get a decision too (controlGroup: true, contacted: false): the funnel's "held out".
 *   (:WorkOrder {id, decisionId, …}) per outbound call, store visit or account-manager follow-up.
 */

/** A campaign's lifecycle: DRAFT → SUBMITTED → APPROVED (maker-checker) → RUNNING ⇄ PAUSED → FINISHED; CANCELLED from any state before FINISHED. */
export const CAMPAIGN_STATUSES = ["DRAFT", "SUBMITTED", "APPROVED", "RUNNING", "PAUSED", "FINISHED", "CANCELLED"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Who a wave reaches, judged on the campaign's earlier waves. The first wave is always ALL. */
export const WAVE_AUDIENCES = ["ALL", "NOT_CONTACTED", "CONTACTED_NOT_RESPONDED", "RESPONDED_NOT_ORDERED"] as const;
export type WaveAudience = (typeof WAVE_AUDIENCES)[number];

export const WAVE_STATUSES = ["PLANNED", "SCHEDULED", "RUNNING", "DONE", "SKIPPED"] as const;
export type WaveStatus = (typeof WAVE_STATUSES)[number];

/** How often a campaign runs its waves again on a fresh look at its segment. */
export const CAMPAIGN_SCHEDULES = ["ONCE", "DAILY", "WEEKLY"] as const;
export type CampaignSchedule = (typeof CAMPAIGN_SCHEDULES)[number];

/**
 * Work orders: what a person does for a decision. An OUTBOUND_CALL wave makes OUTBOUND_CALL orders
 * (team OUTBOUND), a STORE wave STORE_VISIT orders (team STORE); a wave may ask for ACCOUNT_MANAGER
 * follow-ups instead (team ACCOUNT_MANAGER, enterprise and high-value customers).
 */
export const WORK_ORDER_KINDS = ["OUTBOUND_CALL", "STORE_VISIT", "ACCOUNT_MANAGER"] as const;
export type WorkOrderKind = (typeof WORK_ORDER_KINDS)[number];

export const WORK_ORDER_STATUSES = ["OPEN", "CLAIMED", "DONE", "CANCELLED"] as const;
export type WorkOrderStatus = (typeof WORK_ORDER_STATUSES)[number];

/**
 * An agent's report on a work order. ACCEPTED and DECLINED answer the decision (the same loop as
 * respondToOffer); REACHED notes contact without an answer yet; NOT_REACHED returns the order to
 * the pool; CALL_BACK sets a new due time.
 */
export const WORK_ORDER_FEEDBACK = ["REACHED", "NOT_REACHED", "ACCEPTED", "DECLINED", "CALL_BACK"] as const;
export type WorkOrderFeedback = (typeof WORK_ORDER_FEEDBACK)[number];

/** What a wave hands the work-order pool for each contacted member on a person-served channel. */
export interface WorkOrderRequest {
  decisionId: string;
  customerId: string;
  /** The customer's district ("R330102"): orders are claimed by agents whose regions cover it. */
  regionId: string;
  kind: WorkOrderKind;
  campaignId: string;
  waveId: string;
  offerId: string;
  /** The script the agent reads: the offer's creative for the wave's channel. */
  script: string;
  /** ISO-8601; overdue orders go back to the pool for reassignment. */
  dueAt: string;
}

/**
 * One story across channels (推荐策略唯一性): while a customer is in a running campaign's wave and
 * has not answered, every channel that asks gets this offer first. Stored in Redis under
 * `keys.campaigns.story(customerId)` as JSON with a TTL of the wave's response window; deleted
 * when the customer answers the decision (or any decision of that campaign).
 */
export interface StoryHold {
  campaignId: string;
  waveId: string;
  strategyId: string;
  offerId: string;
  decisionId: string;
  /** ISO-8601: when the hold lapses if the customer never answers. */
  until: string;
}

/** Per-channel outboxes: SMS, APP and WECHAT wave contacts go to a durable stream the channel system consumes. */
export const OUTBOX_CHANNELS = ["SMS", "APP", "WECHAT"] as const;
export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];

/** A channel's receipt for an outbox message, sent back as a DELIVERY_RECEIPT event (payload: decisionId, status, reason?). */
export const DELIVERY_STATUSES = ["DELIVERED", "FAILED"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What happens to a campaign that the evaluation centre listens to (wired in src/main/wiring.ts). */
export interface CampaignHooks {
  /** A wave made progress (a batch of members decided) or finished; alerts are checked behind it. */
  waveProgressed(campaignId: string, waveId: string): void;
  /**
   * How long after a campaign ends its report waits: the response window, so that the orders its
   * contacts bring within the window are in it (a report at the last wave would show almost none).
   */
  readonly reportDelayDays: number;
  /** The report is due (the campaign ended `reportDelayDays` ago): produce and store it, once, idempotently. */
  produceReport(campaignId: string): Promise<void>;
}

/**
 * The teams that work the pool (a token's `teams` claim, src/auth/tokens.ts): each work-order kind
 * is one team's. An agent sees and claims only its teams' orders, in the districts its regions cover.
 */
export const TEAMS = ["OUTBOUND", "STORE", "ACCOUNT_MANAGER"] as const;
export type Team = (typeof TEAMS)[number];

/** Which team works an order of each kind. */
export const WORK_ORDER_TEAM: Readonly<Record<WorkOrderKind, Team>> = Object.freeze({ OUTBOUND_CALL: "OUTBOUND", STORE_VISIT: "STORE", ACCOUNT_MANAGER: "ACCOUNT_MANAGER" });
