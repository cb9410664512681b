import { int, type Cypher, type GraphSession } from "../platform/neo4j";
import type { CustomerNode, DecisionNode } from "./model";
import type { ResponseOutcome } from "../domain/vocabulary";
import { CUSTOMER_PROFILE_PROJECTION, inScope, withProfile, type RawProfile } from "./customer";
import type { CustomerRecord, CustomerScope } from "./records";

/**
 * The graph half of a decision: what the customer is, which candidate products the graph allows
 * (not held, REQUIRES met, no EXCLUDES) and what the family and calling circle adopted — for any
 * number of customers in one statement. Writing decisions, and the response that closes the loop.
 */

export interface DecisionInputRequest {
  customerId: string;
  /** Products of the offers that could be proposed; eligibility is decided for each. */
  productIds: readonly string[];
}

/** What the graph says about one candidate product for one customer. */
export interface ProductSignal {
  productId: string;
  /** Family members (excluding the customer) holding the product. */
  familyHolders: number;
  /** Calling-circle contacts holding it. */
  circleHolders: number;
}

export interface DecisionInputs {
  customer: CustomerRecord;
  /** Eligible candidate products only, with their adoption around the customer. */
  eligible: Map<string, ProductSignal>;
  /** Other members of the customer's family group (0 when none). */
  familySize: number;
  /** Distinct calling-circle contacts. */
  circleSize: number;
  /** [held product, product one step up its upgrade path] pairs. */
  upgrades: Array<[string, string]>;
}

const MAIN_PLAN_KINDS = ["PLAN", "FAMILY_PLAN"];

/**
 * Eligibility, per candidate product p, over the graph:
 *   - not held;
 *   - a main plan replaces the held one, so the held main plan does not count against it, but every
 *     held add-on must still find one of its REQUIRES targets afterwards;
 *   - REQUIRES targets are alternatives (any one held suffices); EXCLUDES is stored both ways.
 * Family and circle members' holdings are read once each (as lists of product ids), not once per
 * candidate product. The request is `req`: CUSTOMER_PROFILE_PROJECTION binds `r` to PREFERS, and a
 * request bound as `r` made every decision see no preferred channels.
 */
/**
 * For a bound customer `c`: `family` and `circle`, the holdings (lists of product ids) of each other
 * family member and each calling-circle contact. Shared with the live profile's statement
 * (./profiles.ts), so both paths count the same members.
 */
export const FAMILY_AND_CIRCLE_HOLDINGS = `CALL (c) {
    OPTIONAL MATCH (c)-[:MEMBER_OF]->(:Group {kind: 'FAMILY'})<-[:MEMBER_OF]-(m:Customer)
    WITH DISTINCT m WHERE m IS NOT NULL
    RETURN collect([(m)-[:SUBSCRIBES]->(p:Product) | p.id]) AS family
  }
  CALL (c) {
    OPTIONAL MATCH (c)-[:CALLS]-(m:Customer)
    WITH DISTINCT m WHERE m IS NOT NULL
    RETURN collect([(m)-[:SUBSCRIBES]->(p:Product) | p.id]) AS circle
  }`;

const DECISION_INPUTS = `
  UNWIND $requests AS req
  MATCH (c:Customer {id: req.customerId})
  ${FAMILY_AND_CIRCLE_HOLDINGS}
  CALL (c, req, family, circle) {
    WITH c, req, family, circle, [(c)-[:SUBSCRIBES]->(h:Product) | h] AS held
    UNWIND req.productIds AS pid
    MATCH (p:Product {id: pid})
    WITH c, family, circle, held, p, p.kind IN $mainKinds AS replacesPlan
    WITH family, circle, held, p, replacesPlan, [h IN held WHERE NOT (replacesPlan AND h.kind IN $mainKinds)] AS kept
    WHERE NOT p IN held
      AND (NOT EXISTS { (p)-[:REQUIRES]->() } OR EXISTS { MATCH (p)-[:REQUIRES]->(q) WHERE q IN kept })
      AND NOT EXISTS { MATCH (p)-[:EXCLUDES]->(x) WHERE x IN kept }
      AND (NOT replacesPlan OR all(h IN kept WHERE NOT EXISTS { (h)-[:REQUIRES]->() } OR EXISTS { MATCH (h)-[:REQUIRES]->(q) WHERE q = p OR q IN kept }))
    RETURN collect([p.id,
      size([holdings IN family WHERE p.id IN holdings]),
      size([holdings IN circle WHERE p.id IN holdings])]) AS eligible
  }
  WITH req, c, size(family) AS familySize, size(circle) AS circleSize, eligible,
       [(c)-[:SUBSCRIBES]->(h:Product)-[:UPGRADES_TO]->(u:Product) | [h.id, u.id]] AS upgrades
  ${CUSTOMER_PROFILE_PROJECTION}, familySize, circleSize, eligible, upgrades, req.i AS i`;

/** The inputs of each request, in the order asked (null for an unknown customer); one customer may be asked about different products. */
export async function decisionInputs(graph: GraphSession, requests: readonly DecisionInputRequest[]): Promise<Array<DecisionInputs | null>> {
  const rows = await graph.read<{
    c: CustomerNode & { profile: RawProfile };
    familySize: number;
    circleSize: number;
    eligible: Array<[string, number, number]>;
    upgrades: Array<[string, string]>;
    i: number;
  }>(
    DECISION_INPUTS,
    { requests: requests.map((r, i) => ({ customerId: r.customerId, productIds: r.productIds, i })), mainKinds: MAIN_PLAN_KINDS },
  );
  const out: Array<DecisionInputs | null> = requests.map(() => null);
  for (const row of rows) {
    out[row.i] = {
      customer: withProfile(row.c),
      familySize: row.familySize,
      circleSize: row.circleSize,
      upgrades: row.upgrades,
      eligible: new Map(row.eligible.map(([productId, familyHolders, circleHolders]) => [productId, { productId, familyHolders, circleHolders }])),
    };
  }
  return out;
}

/** A decision as written; `summary` is the trajectory line of its contact. */
export interface DecisionWrite extends Omit<DecisionNode, "at" | "outcome" | "respondedAt"> {
  at: Date;
  features: string[];
  summary: string;
}

export interface DecisionRecord extends Omit<DecisionNode, "at" | "respondedAt" | "deliveredAt"> {
  at: Date;
  respondedAt: Date | null;
  deliveredAt: Date | null;
  features: string[];
}

/** The contact id of a decision's OFFER_PRESENTED entry. */
export function presentedContactId(decisionId: string): string {
  return `K${decisionId}`;
}

/** The contact id of a decision's OFFER_RESPONSE entry. */
export function responseContactId(decisionId: string): string {
  return `K${decisionId}R`;
}

/**
 * Writes decisions in one transaction; a contacted decision also becomes an OFFER_PRESENTED
 * contact in the customer's trajectory (control-group decisions do not: nobody was contacted).
 * Contacts the gateway writes carry the extra label Decided, so the seeded history can be counted
 * apart from them from the count store.
 *
 * Idempotent and safe to run concurrently for the same decision: decisions are written behind the
 * answer (src/decisioning/writer.ts), so a batch may be written again by the replica that claims
 * it, or race the answer that writes its decision first (recordResponse). MERGE on the unique id
 * takes the constraint's lock, so exactly one statement creates the node and its contact.
 */
export async function writeDecisions(graph: Cypher, decisions: readonly DecisionWrite[]): Promise<void> {
  if (decisions.length === 0) return;
  await graph.write(
    `UNWIND $rows AS r
     MERGE (d:Decision {id: r.id})
       ON CREATE SET d += r.props, d.at = datetime(r.at), d.justWritten = true
     WITH d, r WHERE d.justWritten
     REMOVE d.justWritten
     WITH d, r WHERE r.props.contacted
     MATCH (c:Customer {id: r.props.customerId}), (ch:Channel {code: r.props.channel}), (p:Product {id: r.props.productId})
     CREATE (c)-[:HAD]->(k:Contact:Decided {id: r.contactId, customerId: r.props.customerId, at: d.at, channel: r.props.channel, kind: 'OFFER_PRESENTED',
       summary: r.summary, outcome: null, productId: r.props.productId, decisionId: r.id})-[:VIA]->(ch),
       (k)-[:ABOUT]->(p)`,
    { rows: decisions.map(decisionRow) },
  );
}

/** A decision's row for {@link writeDecisions}: the node's properties (nulls are not stored), its time and its contact. */
function decisionRow(d: DecisionWrite): { id: string; at: string; summary: string; contactId: string; props: Record<string, unknown> } {
  const props: Record<string, unknown> = {
    customerId: d.customerId, offerId: d.offerId, productId: d.productId, strategyId: d.strategyId, eventId: d.eventId, channel: d.channel,
    score: d.score, propensity: d.propensity, value: d.value, priority: d.priority, relevance: d.relevance, reasons: d.reasons, features: d.features,
    controlGroup: d.controlGroup, contacted: d.contacted, strategyVersion: d.strategyVersion ?? null, offerVersion: d.offerVersion ?? null,
    campaignId: d.campaignId ?? null, waveId: d.waveId ?? null,
  };
  return { id: d.id, at: d.at.toISOString(), summary: d.summary, contactId: presentedContactId(d.id), props };
}

/** The write without its trajectory line (a record has none). */
function withoutSummary(d: DecisionWrite): Omit<DecisionWrite, "summary"> {
  const copy: Partial<DecisionWrite> = { ...d };
  delete copy.summary;
  return copy as Omit<DecisionWrite, "summary">;
}

/** A decision as it reads before the graph has it (written behind the answer): unanswered, undelivered. */
export function recordOfWrite(d: DecisionWrite): DecisionRecord {
  return toDecision({ ...withoutSummary(d), outcome: null, at: d.at.getTime(), respondedAt: null, deliveredAt: null });
}

type RawDecision = Omit<DecisionRecord, "at" | "respondedAt" | "deliveredAt"> & { at: number; respondedAt: number | null; deliveredAt?: number | null };

const DECISION_PROJECTION = `d {.*, at: d.at.epochMillis, respondedAt: d.respondedAt.epochMillis, deliveredAt: d.deliveredAt.epochMillis}`;

function toDecision(d: RawDecision): DecisionRecord {
  return {
    ...d,
    outcome: d.outcome ?? null,
    // a null property is not stored: ordinary decisions have no eventId on the node
    eventId: d.eventId ?? null,
    features: d.features ?? [],
    // Decisions made before strategies and offers were versioned came from their first version.
    offerVersion: d.offerVersion ?? 1,
    ...(d.strategyId ? { strategyVersion: d.strategyVersion ?? 1 } : {}),
    at: new Date(d.at),
    respondedAt: d.respondedAt === null || d.respondedAt === undefined ? null : new Date(d.respondedAt),
    deliveredAt: d.deliveredAt === null || d.deliveredAt === undefined ? null : new Date(d.deliveredAt),
  };
}

/** A decision as read, with whether its customer lies within the asker's scope and where that customer lives. */
export interface ScopedDecision {
  record: DecisionRecord;
  /** The customer lies within the scope the statement was given. */
  visible: boolean;
  /** The customer's district; null when the customer is gone. */
  regionId: string | null;
  /** Set while the decision is queued for the graph (written behind the answer): an answer writes it first. */
  unflushed?: DecisionWrite;
}

/** Where a decision's customer lives and whether the asker's scope covers it, by decision id. */
export interface DecisionScopeRow {
  /** The decision as the graph has it; null while it is still queued for the graph. */
  record: DecisionRecord | null;
  visible: boolean;
  regionId: string | null;
}

/**
 * Decisions by id, one round trip for the batch, each with whether its customer lies within
 * `scope` (the customer found through its unique index). The decision itself is returned either
 * way: answering one (respondToOffer) has rules of its own (src/auth/scope.ts). `queued` names the
 * customers of decisions still queued for the graph (id → customer id): the same statement scopes
 * them, so a decision reads the same before and after it is flushed.
 */
export async function decisionsByIds(graph: GraphSession, ids: readonly string[], scope: CustomerScope, queued: ReadonlyMap<string, string> = new Map()): Promise<Map<string, DecisionScopeRow>> {
  const rows = await graph.read<{ id: string; d: RawDecision | null; regionId: string | null; visible: boolean }>(
    `UNWIND $asks AS a
     OPTIONAL MATCH (d:Decision {id: a.id})
     WITH a, d WHERE d IS NOT NULL OR a.customerId IS NOT NULL
     OPTIONAL MATCH (c:Customer {id: coalesce(d.customerId, a.customerId)})
     RETURN a.id AS id, CASE WHEN d IS NULL THEN null ELSE ${DECISION_PROJECTION} END AS d, c.regionId AS regionId, coalesce(${inScope("c")}, false) AS visible`,
    { asks: [...new Set(ids)].map((id) => ({ id, customerId: queued.get(id) ?? null })), scope },
  );
  return new Map(rows.map((r) => [r.id, { record: r.d ? toDecision(r.d) : null, visible: r.visible, regionId: r.regionId ?? null }]));
}

export interface ResponseWrite {
  decisionId: string;
  /** The decision itself when it is still queued for the graph: written first, in the answer's transaction. */
  unflushed?: DecisionWrite | undefined;
  outcome: ResponseOutcome;
  at: Date;
  summary: string;
}

/**
 * Records a response once. The first statement takes the decision's write lock, so of two
 * concurrent different answers exactly one wins; `previous` tells the caller whether this call
 * applied it (null) or found an answer already there.
 *
 * On ACCEPTED the customer subscribes to the product and, since an accepted upgrade replaces what
 * it excludes (a plan, a broadband speed, an IPTV package), drops the held products it EXCLUDES.
 */
export async function recordResponse(graph: GraphSession, r: ResponseWrite): Promise<{ decision: DecisionRecord; previous: ResponseOutcome | null } | null> {
  const { unflushed } = r;
  const rows = unflushed
    ? await graph.transaction(async (tx) => {
        await writeDecisions(tx, [unflushed]);
        return respond(tx, r);
      })
    : await respond(graph, r);
  const row = rows[0];
  return row ? { decision: toDecision(row.d), previous: row.previous ?? null } : null;
}

function respond(graph: Cypher, r: ResponseWrite): Promise<Array<{ d: RawDecision; previous: ResponseOutcome | null }>> {
  return graph.write<{ d: RawDecision; previous: ResponseOutcome | null }>(
    `MATCH (d:Decision {id: $id})
     SET d.responseLock = true
     WITH d, d.outcome AS previous
     CALL (d, previous) {
       WITH d WHERE previous IS NULL
       SET d.outcome = $outcome, d.respondedAt = datetime($at)
       WITH d
       MATCH (c:Customer {id: d.customerId}), (ch:Channel {code: d.channel}), (p:Product {id: d.productId})
       CREATE (c)-[:HAD]->(k:Contact:Decided {id: $contactId, customerId: d.customerId, at: datetime($at), channel: d.channel, kind: 'OFFER_RESPONSE',
         summary: $summary, outcome: $outcome, productId: d.productId, decisionId: d.id})-[:VIA]->(ch),
         (k)-[:ABOUT]->(p)
       WITH c, p WHERE $outcome = 'ACCEPTED'
       CALL (c, p) {
         OPTIONAL MATCH (c)-[old:SUBSCRIBES]->(:Product)-[:EXCLUDES]->(p)
         DELETE old
       }
       MERGE (c)-[s:SUBSCRIBES]->(p) ON CREATE SET s.since = datetime($at)
     }
     REMOVE d.responseLock
     RETURN ${DECISION_PROJECTION} AS d, previous`,
    { id: r.decisionId, outcome: r.outcome, at: r.at.toISOString(), summary: r.summary, contactId: responseContactId(r.decisionId) },
  );
}

/** What decisions of one strategy came to over a window (tag evaluation). */
export interface StrategyOutcomeRow {
  strategyId: string;
  /** Decisions presented to the customer (contacted): control-group decisions and those the contact policy held back are not offers made. */
  decisions: number;
  /** Of those, answered (any outcome). */
  responses: number;
  /** Of those, ACCEPTED. */
  accepted: number;
}

/**
 * Outcomes per strategy of the decisions made since `sinceMs`, for all `strategyIds` in one
 * statement (a seek per strategy on `decision_strategy`, then the window).
 */
export async function strategyOutcomes(graph: Cypher, strategyIds: readonly string[], sinceMs: number): Promise<Map<string, StrategyOutcomeRow>> {
  if (strategyIds.length === 0) return new Map();
  const rows = await graph.read<StrategyOutcomeRow>(
    `UNWIND $ids AS sid
     CALL (sid) {
       MATCH (d:Decision {strategyId: sid}) WHERE d.at >= datetime({epochMillis: $since}) AND d.contacted
       RETURN count(d) AS decisions, count(d.outcome) AS responses, count(CASE WHEN d.outcome = 'ACCEPTED' THEN 1 END) AS accepted
     }
     RETURN sid AS strategyId, decisions, responses, accepted`,
    { ids: [...new Set(strategyIds)], since: int(sinceMs) },
  );
  return new Map(rows.map((r) => [r.strategyId, r]));
}
