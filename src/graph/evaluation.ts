import { int, type Cypher } from "../platform/neo4j";
import type { ChannelCode } from "../domain/vocabulary";
import { inScope } from "./customer";
import type { CustomerScope } from "./records";

/**
 * The evaluation centre's statements (src/evaluation/): funnels and their uplift inputs grouped by
 * one dimension, the strategy cube, the counts campaign alerts are judged on, and the stored alerts
 * and reports. Every figure counts customers within `$scope` only (the customer is found through
 * its unique index, then filtered), so a region-limited principal's figures are its regions'.
 *
 * "Ordered" (the one outcome measurable for the control group, who are never contacted): the
 * customer came to hold the decision's product within the response window after the decision —
 * a SUBSCRIBES edge to it with `since` in [decision.at, decision.at + window]. An ACCEPTED answer
 * writes exactly such an edge (src/graph/decision.ts recordResponse), and so does a purchase the
 * customer made on their own.
 */

/** What the rows of an evaluation are grouped by. */
export const EVALUATION_DIMENSIONS = ["TOTAL", "CAMPAIGN", "STRATEGY_VERSION", "WAVE", "OFFER", "CHANNEL", "REGION", "TAG", "DAY"] as const;
export type EvaluationDimension = (typeof EVALUATION_DIMENSIONS)[number];

/**
 * Which decisions an evaluation adds up; every field narrows (absent: no narrowing). At least one
 * of `campaignIds`, `strategyId` or `fromMs` must be given, so every statement starts from an index.
 */
export interface EvaluationSelection {
  campaignIds?: readonly string[];
  /** Decisions of any campaign (not those of front-line requests or events): rankings. */
  campaignsOnly?: boolean;
  waveId?: string;
  strategyId?: string;
  strategyVersion?: number;
  offerId?: string;
  channel?: ChannelCode;
  /** A province, city or district id: customers living there. */
  regionId?: string;
  /** Customers holding at least one of these tags; with the TAG dimension, one row per tag. */
  tagIds?: readonly string[];
  /** Decisions made at or after (epoch ms). */
  fromMs?: number;
  /** Decisions made before (epoch ms). */
  toMs?: number;
}

/**
 * The funnel of one group, counted in customers: a customer with decisions in several waves of a
 * campaign counts once in the campaign's row (reached if any wave reached them) and once in each
 * wave's row. "Treated" are the targeted outside the control group (intent to treat: including
 * those the contact policy held back, so the comparison with the control group stays randomised).
 */
export interface FunnelCounts {
  key: string;
  targeted: number;
  heldOut: number;
  contacted: number;
  delivered: number;
  deliveryFailed: number;
  responded: number;
  accepted: number;
  orderedTreated: number;
  orderedControl: number;
  /** Sum over treated customers who ordered of the ordered decision's `value` (the offer's expected margin, yuan). */
  revenue: number;
  /** The same over control customers who ordered. */
  controlRevenue: number;
  /** Sum of the decisions' `value` over treated customers (their mean is the revenue per order when nobody ordered yet). */
  treatedValue: number;
  /** Customers who ordered on a RETENTION-scenario strategy, treated and control, and the monthly fees of what they ordered. */
  retainedTreated: number;
  retainedControl: number;
  retentionFeeTreated: number;
  retentionFeeControl: number;
}

/** The key of each dimension as Cypher over `d` (the decision) and `c` (its customer): a list, unwound (a customer holds several tags). */
const KEYS: Record<EvaluationDimension, string> = {
  TOTAL: "['ALL']",
  CAMPAIGN: "[d.campaignId]",
  STRATEGY_VERSION: "[d.strategyId + '@' + coalesce(toString(toInteger(d.strategyVersion)), '-')]",
  WAVE: "[d.waveId]",
  OFFER: "[d.offerId]",
  CHANNEL: "[d.channel]",
  // A district "R330102" lies in the city "R3301".
  REGION: "[left(c.regionId, 5)]",
  TAG: "[(c)-[:HAS_TAG]->(t:Tag) WHERE t.id IN $tagIds | t.id]",
  DAY: "[toString(date(d.at))]",
};

/** Where the statement starts: the narrowest index the selection allows. */
function start(s: EvaluationSelection): string {
  if (s.campaignIds) return "MATCH (d:Decision) WHERE d.campaignId IN $campaignIds";
  if (s.strategyId !== undefined) return "MATCH (d:Decision) WHERE d.strategyId = $strategyId";
  if (s.campaignsOnly) return "MATCH (d:Decision) WHERE d.campaignId IS NOT NULL";
  return "MATCH (d:Decision) WHERE d.at >= datetime({epochMillis: $from})";
}

/** The per-decision part every statement shares: selection, scope, and whether the decision led to an order. */
function decisionsOf(s: EvaluationSelection): string {
  return `${start(s)}
    AND ($from IS NULL OR d.at >= datetime({epochMillis: $from}))
    AND ($to IS NULL OR d.at < datetime({epochMillis: $to}))
    AND ($campaignsOnly = false OR d.campaignId IS NOT NULL)
    AND ($waveId IS NULL OR d.waveId = $waveId)
    AND ($strategyId IS NULL OR d.strategyId = $strategyId)
    AND ($strategyVersion IS NULL OR d.strategyVersion = $strategyVersion)
    AND ($offerId IS NULL OR d.offerId = $offerId)
    AND ($channel IS NULL OR d.channel = $channel)
  MATCH (c:Customer {id: d.customerId})
  WHERE ${inScope("c")}
    AND ($regionId IS NULL OR c.regionId STARTS WITH $regionId)
    AND ($tagIds IS NULL OR EXISTS { MATCH (c)-[:HAS_TAG]->(t:Tag) WHERE t.id IN $tagIds })
  WITH d, c, EXISTS {
      MATCH (c)-[s:SUBSCRIBES]->(:Product {id: d.productId})
      WHERE s.since >= d.at AND s.since <= d.at + duration({days: $windowDays})
    } AS ordered`;
}

function params(s: EvaluationSelection, scope: CustomerScope, windowDays: number): Record<string, unknown> {
  return {
    scope,
    windowDays: int(windowDays),
    campaignIds: s.campaignIds ?? null,
    campaignsOnly: s.campaignsOnly ?? false,
    waveId: s.waveId ?? null,
    strategyId: s.strategyId ?? null,
    strategyVersion: s.strategyVersion === undefined ? null : int(s.strategyVersion),
    offerId: s.offerId ?? null,
    channel: s.channel ?? null,
    regionId: s.regionId ?? null,
    tagIds: s.tagIds ?? null,
    from: s.fromMs === undefined ? null : int(s.fromMs),
    to: s.toMs === undefined ? null : int(s.toMs),
  };
}

/**
 * The funnel counts of the selected decisions grouped by `by`, in one statement: the decisions
 * found through their index, their customers through theirs, then grouped twice (per customer
 * within a group, then per group). Rows ordered by key.
 */
export async function funnelCounts(graph: Cypher, selection: EvaluationSelection, by: EvaluationDimension, scope: CustomerScope, windowDays: number): Promise<FunnelCounts[]> {
  return graph.read<FunnelCounts>(funnelStatement(selection, by), funnelParams(selection, scope, windowDays));
}

/** The parameters of {@link funnelStatement}. */
export const funnelParams = params;

/** The statement behind {@link funnelCounts} (exported so a test can check its plan starts from an index). */
export function funnelStatement(selection: EvaluationSelection, by: EvaluationDimension): string {
  return `${decisionsOf(selection)}
     WITH d, c, ordered,
       EXISTS { MATCH (st:Strategy {id: d.strategyId}) WHERE st.scenario = 'RETENTION' } AS retention
     WITH d, c, ordered,
       CASE WHEN ordered AND retention THEN head(COLLECT { MATCH (p:Product {id: d.productId}) RETURN p.monthlyFee }) END AS retentionFee
     UNWIND ${KEYS[by]} AS key
     WITH key, d, ordered, retentionFee WHERE key IS NOT NULL
     WITH key, d.customerId AS customerId,
       max(CASE WHEN d.controlGroup THEN 1 ELSE 0 END) AS control,
       max(CASE WHEN d.contacted THEN 1 ELSE 0 END) AS contacted,
       max(CASE WHEN d.deliveredAt IS NOT NULL THEN 1 ELSE 0 END) AS delivered,
       max(CASE WHEN d.deliveryFailed IS NOT NULL THEN 1 ELSE 0 END) AS failed,
       max(CASE WHEN d.outcome IS NOT NULL THEN 1 ELSE 0 END) AS responded,
       max(CASE WHEN d.outcome = 'ACCEPTED' THEN 1 ELSE 0 END) AS accepted,
       max(CASE WHEN ordered THEN 1 ELSE 0 END) AS ordered,
       max(CASE WHEN ordered THEN d.value END) AS orderValue,
       avg(d.value) AS value,
       max(retentionFee) AS retentionFee
     WITH key,
       count(*) AS targeted,
       sum(control) AS heldOut,
       sum(CASE WHEN control = 0 THEN contacted ELSE 0 END) AS contacted,
       sum(CASE WHEN control = 0 THEN delivered ELSE 0 END) AS delivered,
       sum(CASE WHEN control = 0 THEN failed ELSE 0 END) AS deliveryFailed,
       sum(CASE WHEN control = 0 THEN responded ELSE 0 END) AS responded,
       sum(CASE WHEN control = 0 THEN accepted ELSE 0 END) AS accepted,
       sum(CASE WHEN control = 0 THEN ordered ELSE 0 END) AS orderedTreated,
       sum(CASE WHEN control = 1 THEN ordered ELSE 0 END) AS orderedControl,
       sum(CASE WHEN control = 0 THEN coalesce(orderValue, 0) ELSE 0 END) AS revenue,
       sum(CASE WHEN control = 1 THEN coalesce(orderValue, 0) ELSE 0 END) AS controlRevenue,
       sum(CASE WHEN control = 0 THEN coalesce(value, 0) ELSE 0 END) AS treatedValue,
       sum(CASE WHEN control = 0 AND retentionFee IS NOT NULL THEN 1 ELSE 0 END) AS retainedTreated,
       sum(CASE WHEN control = 1 AND retentionFee IS NOT NULL THEN 1 ELSE 0 END) AS retainedControl,
       sum(CASE WHEN control = 0 THEN coalesce(retentionFee, 0) ELSE 0 END) AS retentionFeeTreated,
       sum(CASE WHEN control = 1 THEN coalesce(retentionFee, 0) ELSE 0 END) AS retentionFeeControl
     RETURN key, targeted, heldOut, contacted, delivered, deliveryFailed, responded, accepted, orderedTreated, orderedControl,
       toFloat(revenue) AS revenue, toFloat(controlRevenue) AS controlRevenue, toFloat(treatedValue) AS treatedValue,
       retainedTreated, retainedControl, toFloat(retentionFeeTreated) AS retentionFeeTreated, toFloat(retentionFeeControl) AS retentionFeeControl
     ORDER BY key`;
}

/** One cell of the strategy cube, counted in decisions (a strategy decides for a customer many times outside campaigns). */
export interface CubeCounts {
  businessLine: string;
  scenario: string;
  lifecycleStage: string;
  /** ACTIVE strategies of the cell now. */
  activeStrategies: number;
  decisions: number;
  controlDecisions: number;
  contacted: number;
  ordersTreated: number;
  ordersControl: number;
}

/** Decisions without a strategy (the model's own picks) and strategies for any stage land under these names. */
export const NO_STRATEGY = "NONE";
export const ANY_STAGE = "ANY";

/**
 * The strategy cube over decisions made in [fromMs, toMs): business line × scenario × lifecycle
 * stage, with the ACTIVE strategies of each cell; one statement (both halves in subqueries).
 */
export async function cubeCounts(graph: Cypher, fromMs: number, toMs: number, scope: CustomerScope, windowDays: number): Promise<{ active: Array<[string, string, string, number]>; cells: CubeCounts[] }> {
  const rows = await graph.read<{ active: Array<[string, string, string, number]>; cells: CubeCounts[] }>(
    `CALL () {
       MATCH (s:Strategy) WHERE s.status = 'ACTIVE'
       WITH s.businessLine AS bl, s.scenario AS sc, coalesce(s.lifecycleStage, '${ANY_STAGE}') AS st, count(*) AS n
       RETURN collect([bl, sc, st, n]) AS active
     }
     CALL () {
       ${decisionsOf({ fromMs })}
       OPTIONAL MATCH (s:Strategy {id: d.strategyId})
       WITH coalesce(s.businessLine, '${NO_STRATEGY}') AS businessLine, coalesce(s.scenario, '${NO_STRATEGY}') AS scenario,
         CASE WHEN s IS NULL THEN '${NO_STRATEGY}' ELSE coalesce(s.lifecycleStage, '${ANY_STAGE}') END AS lifecycleStage, d, ordered
       WITH businessLine, scenario, lifecycleStage,
         count(*) AS decisions,
         sum(CASE WHEN d.controlGroup THEN 1 ELSE 0 END) AS controlDecisions,
         sum(CASE WHEN d.contacted THEN 1 ELSE 0 END) AS contacted,
         sum(CASE WHEN ordered AND NOT d.controlGroup THEN 1 ELSE 0 END) AS ordersTreated,
         sum(CASE WHEN ordered AND d.controlGroup THEN 1 ELSE 0 END) AS ordersControl
       RETURN collect({businessLine: businessLine, scenario: scenario, lifecycleStage: lifecycleStage, activeStrategies: 0, decisions: decisions,
         controlDecisions: controlDecisions, contacted: contacted, ordersTreated: ordersTreated, ordersControl: ordersControl}) AS cells
     }
     RETURN active, cells`,
    params({ fromMs, toMs }, scope, windowDays),
  );
  return rows[0] ?? { active: [], cells: [] };
}

/** A campaign as the alerts and the report need it. */
export interface CampaignFacts {
  id: string;
  name: string;
  status: string;
  owners: string[];
  controlShare: number;
  alertResponseRate: number;
}

/** What one wave's decisions come to so far (every customer, whatever the asker's scope: alerts are about the campaign). */
export interface WaveCounts {
  waveId: string;
  decided: number;
  control: number;
  contacted: number;
  responded: number;
  /** Decided, outside the control group, not contacted: the contact policy held them back. */
  heldBack: number;
  deliveryFailed: number;
}

/** The campaign's facts and its waves' counts in one statement; null when there is no such campaign. */
export async function campaignWaveCounts(graph: Cypher, campaignId: string): Promise<{ campaign: CampaignFacts; waves: WaveCounts[] } | null> {
  const rows = await graph.read<{ campaign: CampaignFacts; waves: WaveCounts[] }>(
    `MATCH (cp:Campaign {id: $id})
     CALL (cp) {
       MATCH (d:Decision) WHERE d.campaignId = cp.id
       WITH d.waveId AS waveId, count(*) AS decided,
         sum(CASE WHEN d.controlGroup THEN 1 ELSE 0 END) AS control,
         sum(CASE WHEN d.contacted THEN 1 ELSE 0 END) AS contacted,
         sum(CASE WHEN d.contacted AND d.outcome IS NOT NULL THEN 1 ELSE 0 END) AS responded,
         sum(CASE WHEN NOT d.controlGroup AND NOT d.contacted THEN 1 ELSE 0 END) AS heldBack,
         sum(CASE WHEN d.deliveryFailed IS NOT NULL THEN 1 ELSE 0 END) AS deliveryFailed
       ORDER BY waveId
       RETURN collect({waveId: waveId, decided: decided, control: control, contacted: contacted, responded: responded, heldBack: heldBack, deliveryFailed: deliveryFailed}) AS waves
     }
     RETURN cp {.id, .name, .status, owners: coalesce(cp.owners, []), controlShare: coalesce(cp.controlShare, 0.0),
       alertResponseRate: coalesce(cp.alertResponseRate, 0.0)} AS campaign, waves`,
    { id: campaignId },
  );
  return rows[0] ?? null;
}

/** The campaign's facts alone (who owns it), or null. */
export async function campaignFacts(graph: Cypher, campaignId: string): Promise<CampaignFacts | null> {
  const rows = await graph.read<{ campaign: CampaignFacts }>(
    `MATCH (cp:Campaign {id: $id})
     RETURN cp {.id, .name, .status, owners: coalesce(cp.owners, []), controlShare: coalesce(cp.controlShare, 0.0), alertResponseRate: coalesce(cp.alertResponseRate, 0.0)} AS campaign`,
    { id: campaignId },
  );
  return rows[0]?.campaign ?? null;
}

/** Which campaigns exist among `ids`. */
export async function existingCampaigns(graph: Cypher, ids: readonly string[]): Promise<Set<string>> {
  const rows = await graph.read<{ id: string }>("MATCH (cp:Campaign) WHERE cp.id IN $ids RETURN cp.id AS id", { ids });
  return new Set(rows.map((r) => r.id));
}

/** An alert raised while a campaign runs; `id` = campaign × kind × wave, so it is raised once. */
export interface CampaignAlertRecord {
  id: string;
  campaignId: string;
  waveId: string;
  kind: string;
  message: string;
  observed: number;
  threshold: number;
  at: number; // epoch ms
}

/**
 * Stores alerts not raised before and returns those this call created: the unique id makes "once
 * per campaign × kind × wave" hold across replicas (MERGE takes the constraint's lock; `nonce`
 * tells this call's creations from a concurrent one's).
 */
export async function createAlerts(graph: Cypher, alerts: readonly CampaignAlertRecord[], nonce: string): Promise<CampaignAlertRecord[]> {
  if (alerts.length === 0) return [];
  return graph.write<CampaignAlertRecord>(
    `UNWIND $alerts AS a
     MERGE (x:CampaignAlert {id: a.id})
       ON CREATE SET x.campaignId = a.campaignId, x.waveId = a.waveId, x.kind = a.kind, x.message = a.message,
         x.observed = a.observed, x.threshold = a.threshold, x.at = datetime({epochMillis: a.at}), x.nonce = $nonce
     WITH x WHERE x.nonce = $nonce
     RETURN x.id AS id, x.campaignId AS campaignId, x.waveId AS waveId, x.kind AS kind, x.message AS message,
       x.observed AS observed, x.threshold AS threshold, x.at.epochMillis AS at`,
    { alerts: alerts.map((a) => ({ ...a, at: int(a.at) })), nonce },
  );
}

/** A campaign's alerts, oldest first. */
export async function campaignAlerts(graph: Cypher, campaignId: string): Promise<CampaignAlertRecord[]> {
  return graph.read<CampaignAlertRecord>(
    `MATCH (x:CampaignAlert {campaignId: $id})
     RETURN x.id AS id, x.campaignId AS campaignId, x.waveId AS waveId, x.kind AS kind, x.message AS message,
       x.observed AS observed, x.threshold AS threshold, x.at.epochMillis AS at
     ORDER BY x.at, x.id`,
    { id: campaignId },
  );
}

/** A stored evaluation report: the body is the evaluation as JSON. */
export interface StoredReport {
  campaignId: string;
  producedAt: number; // epoch ms
  body: string;
}

export async function readReport(graph: Cypher, campaignId: string): Promise<StoredReport | null> {
  const rows = await graph.read<StoredReport>(
    "MATCH (r:EvaluationReport {campaignId: $id}) RETURN r.campaignId AS campaignId, r.producedAt.epochMillis AS producedAt, r.body AS body",
    { id: campaignId },
  );
  return rows[0] ?? null;
}

/** Stores the campaign's report unless one exists (the unique campaignId decides between replicas); returns the one stored and whether this call stored it. */
export async function storeReport(graph: Cypher, report: StoredReport, nonce: string): Promise<{ report: StoredReport; created: boolean }> {
  const rows = await graph.write<StoredReport & { created: boolean }>(
    `MERGE (r:EvaluationReport {campaignId: $campaignId})
       ON CREATE SET r.producedAt = datetime({epochMillis: $producedAt}), r.body = $body, r.nonce = $nonce
     RETURN r.campaignId AS campaignId, r.producedAt.epochMillis AS producedAt, r.body AS body, r.nonce = $nonce AS created`,
    { campaignId: report.campaignId, producedAt: int(report.producedAt), body: report.body, nonce },
  );
  const row = rows[0] as StoredReport & { created: boolean };
  return { report: { campaignId: row.campaignId, producedAt: row.producedAt, body: row.body }, created: row.created };
}

/** Constraints and indexes of the evaluation centre (merged into src/graph/schema.ts SCHEMA). */
export const EVALUATION_SCHEMA: readonly string[] = [
  // A campaign's decisions (funnels, alerts, reports) and rankings over every campaign's.
  "CREATE RANGE INDEX decision_campaign IF NOT EXISTS FOR (d:Decision) ON (d.campaignId)",
  // The cube and any evaluation over a time range.
  "CREATE RANGE INDEX decision_at IF NOT EXISTS FOR (d:Decision) ON (d.at)",
  "CREATE CONSTRAINT campaign_alert_id IF NOT EXISTS FOR (x:CampaignAlert) REQUIRE x.id IS UNIQUE",
  "CREATE RANGE INDEX campaign_alert_campaign IF NOT EXISTS FOR (x:CampaignAlert) ON (x.campaignId)",
  "CREATE CONSTRAINT evaluation_report_campaign IF NOT EXISTS FOR (r:EvaluationReport) REQUIRE r.campaignId IS UNIQUE",
];
