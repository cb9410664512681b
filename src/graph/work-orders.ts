import type { Team, WorkOrderFeedback, WorkOrderKind, WorkOrderStatus } from "../domain/campaigns";
import type { ChannelCode, ContactKind } from "../domain/vocabulary";
import { int, type Cypher, type Graph, type GraphSession } from "../platform/neo4j";
import { toDate } from "./records";

/**
 * The work-order pool in the graph: `(:WorkOrder)` nodes (src/graph/model.ts WorkOrderNode), one
 * per decision (uniqueness constraint on `decisionId`), plus the `team` the kind maps to, so the
 * pool an agent sees is one index seek on (team, status). Agents' interactions
 * (recordInteraction) are `(:Contact:Recorded)` entries of the trajectory.
 *
 * A claim that passed its due time has lapsed: it is OPEN again for every reader (the listing
 * computes that in the statement) and is written back as OPEN (claimedBy cleared, reassignments + 1)
 * by the next claim, report or the sweep, whichever comes first.
 */

export const WORK_ORDER_SCHEMA = [
  "CREATE CONSTRAINT work_order_id IF NOT EXISTS FOR (w:WorkOrder) REQUIRE w.id IS UNIQUE",
  "CREATE CONSTRAINT work_order_decision IF NOT EXISTS FOR (w:WorkOrder) REQUIRE w.decisionId IS UNIQUE",
  "CREATE INDEX work_order_team_status IF NOT EXISTS FOR (w:WorkOrder) ON (w.team, w.status)",
  "CREATE INDEX work_order_status_due IF NOT EXISTS FOR (w:WorkOrder) ON (w.status, w.dueAt)",
  "CREATE INDEX work_order_claimed_by IF NOT EXISTS FOR (w:WorkOrder) ON (w.claimedBy)",
  "CREATE INDEX work_order_customer IF NOT EXISTS FOR (w:WorkOrder) ON (w.customerId)",
] as const;

/** Creates the constraints and indexes (idempotent statements; once per process from the pool). */
export async function ensureWorkOrderSchema(graph: Graph): Promise<void> {
  const session = graph.backgroundSession(60_000);
  for (const statement of WORK_ORDER_SCHEMA) await session.write(statement);
}

/** A work order as read; times as Dates. `campaignId`/`waveId` are null for orders dispatched by hand. */
export interface WorkOrderRecord {
  id: string;
  decisionId: string;
  customerId: string;
  regionId: string;
  kind: WorkOrderKind;
  team: Team;
  campaignId: string | null;
  waveId: string | null;
  offerId: string;
  script: string;
  status: WorkOrderStatus;
  dueAt: Date;
  createdAt: Date;
  createdBy: string | null;
  claimedBy: string | null;
  claimedAt: Date | null;
  feedback: WorkOrderFeedback | null;
  feedbackAt: Date | null;
  callBackAt: Date | null;
  note: string | null;
  reassignments: number;
}

/** One order to create. */
export type WorkOrderRow = Pick<WorkOrderRecord, "id" | "decisionId" | "customerId" | "regionId" | "kind" | "team" | "campaignId" | "waveId" | "offerId" | "script" | "dueAt" | "createdBy" | "note">;

type RawOrder = Omit<WorkOrderRecord, "dueAt" | "createdAt" | "claimedAt" | "feedbackAt" | "callBackAt"> & {
  dueAt: number;
  createdAt: number;
  claimedAt: number | null;
  feedbackAt: number | null;
  callBackAt: number | null;
};

const PROJECTION = `w {.*, dueAt: w.dueAt.epochMillis, createdAt: w.createdAt.epochMillis, claimedAt: w.claimedAt.epochMillis,
  feedbackAt: w.feedbackAt.epochMillis, callBackAt: w.callBackAt.epochMillis}`;

const optDate = (ms: number | null | undefined): Date | null => (ms === null || ms === undefined ? null : toDate(ms));

function toOrder(w: RawOrder): WorkOrderRecord {
  return {
    id: w.id,
    decisionId: w.decisionId,
    customerId: w.customerId,
    regionId: w.regionId,
    kind: w.kind,
    team: w.team,
    campaignId: w.campaignId ?? null,
    waveId: w.waveId ?? null,
    offerId: w.offerId,
    script: w.script,
    status: w.status,
    dueAt: toDate(w.dueAt),
    createdAt: toDate(w.createdAt),
    createdBy: w.createdBy ?? null,
    claimedBy: w.claimedBy ?? null,
    claimedAt: optDate(w.claimedAt),
    feedback: w.feedback ?? null,
    feedbackAt: optDate(w.feedbackAt),
    callBackAt: optDate(w.callBackAt),
    note: w.note ?? null,
    reassignments: Number(w.reassignments ?? 0),
  };
}

/**
 * Creates the orders of a batch in one statement; an order for a decision that already has one is
 * left as it is (MERGE on the unique `decisionId`: a retried wave, or a second dispatch, makes no
 * second order), and the decision is marked with its order's id (`workOrderId`). Returns every
 * row's order as stored, with whether this call created it.
 */
export async function createWorkOrders(graph: Cypher, rows: readonly WorkOrderRow[], now: Date): Promise<Array<{ order: WorkOrderRecord; created: boolean }>> {
  if (rows.length === 0) return [];
  const result = await graph.write<{ order: RawOrder; created: boolean }>(
    `UNWIND $rows AS r
     MERGE (w:WorkOrder {decisionId: r.decisionId})
       ON CREATE SET w.id = r.id, w.customerId = r.customerId, w.regionId = r.regionId, w.kind = r.kind, w.team = r.team,
         w.campaignId = r.campaignId, w.waveId = r.waveId, w.offerId = r.offerId, w.script = r.script, w.status = 'OPEN',
         w.dueAt = datetime(r.dueAt), w.createdAt = datetime($now), w.createdBy = r.createdBy, w.note = r.note, w.reassignments = 0,
         w._new = true
     WITH w, coalesce(w._new, false) AS created
     REMOVE w._new
     // The decision knows its order: an answer given elsewhere closes it without a lookup for every other answer.
     WITH w, created
     OPTIONAL MATCH (d:Decision {id: w.decisionId})
     FOREACH (_ IN CASE WHEN d IS NULL THEN [] ELSE [1] END | SET d.workOrderId = w.id)
     RETURN ${PROJECTION} AS order, created`,
    { rows: rows.map((r) => ({ ...r, dueAt: r.dueAt.toISOString() })), now: now.toISOString() },
  );
  return result.map((r) => ({ order: toOrder(r.order), created: r.created }));
}

/** Orders by id (as stored; a lapsed claim still reads CLAIMED here: see {@link effective}). */
export async function workOrdersById(graph: Cypher, ids: readonly string[]): Promise<Map<string, WorkOrderRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await graph.read<{ order: RawOrder }>(`UNWIND $ids AS id MATCH (w:WorkOrder {id: id}) RETURN ${PROJECTION} AS order`, { ids: [...ids] });
  return new Map(rows.map((r) => [r.order.id, toOrder(r.order)]));
}

/** The order as every reader should see it at `now`: a claim past its due time has lapsed back to the pool. */
export function effective(order: WorkOrderRecord, now: Date): WorkOrderRecord {
  if (order.status !== "CLAIMED" || order.dueAt.getTime() >= now.getTime()) return order;
  return { ...order, status: "OPEN", claimedBy: null, claimedAt: null, reassignments: order.reassignments + 1 };
}

/** What a change of one order writes: the properties to set (null removes one). */
export type WorkOrderPatch = Partial<{
  status: WorkOrderStatus;
  claimedBy: string | null;
  claimedAt: Date | null;
  dueAt: Date;
  feedback: WorkOrderFeedback | null;
  feedbackAt: Date | null;
  callBackAt: Date | null;
  note: string | null;
  reassignments: number;
}>;

function patchParams(patch: WorkOrderPatch): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

const DATE_FIELDS = new Set(["claimedAt", "dueAt", "feedbackAt", "callBackAt"]);

/**
 * Changes one order atomically: locks it (a write to the node takes Neo4j's write lock, so a
 * second transaction waits and then reads what the first committed), reads it, asks `decide` for
 * the change (which may throw: the transaction rolls back and nothing is written), writes it.
 * Two agents claiming at once: the second reads the first's claim and is refused. Returns the
 * order before and after; null when there is no such order.
 */
export async function changeWorkOrder(
  graph: GraphSession,
  id: string,
  decide: (current: WorkOrderRecord) => WorkOrderPatch | null,
  /** Runs in the same transaction once the order is written (a trajectory contact the change brings): both commit, or neither. */
  also?: (tx: Cypher, before: WorkOrderRecord, after: WorkOrderRecord) => Promise<void>,
): Promise<{ before: WorkOrderRecord; after: WorkOrderRecord } | null> {
  return graph.transaction(async (tx) => {
    const [locked] = await tx.write<{ order: RawOrder }>(`MATCH (w:WorkOrder {id: $id}) SET w._lock = true RETURN ${PROJECTION} AS order`, { id });
    if (!locked) return null;
    const before = toOrder(locked.order);
    const patch = decide(before);
    const sets = Object.keys(patch ?? {}).map((k) => (DATE_FIELDS.has(k) ? `w.${k} = CASE WHEN $p.${k} IS NULL THEN null ELSE datetime($p.${k}) END` : `w.${k} = $p.${k}`));
    const [written] = await tx.write<{ order: RawOrder }>(
      `MATCH (w:WorkOrder {id: $id}) ${sets.length > 0 ? `SET ${sets.join(", ")}` : ""} REMOVE w._lock RETURN ${PROJECTION} AS order`,
      { id, p: patchParams(patch ?? {}) },
    );
    if (!written) throw new Error(`work order ${id} disappeared inside its own transaction`);
    const after = toOrder(written.order);
    if (also) await also(tx, before, after);
    return { before, after };
  });
}

/** Who may see what in a listing: built by the service from the principal. */
export interface WorkOrderVisibility {
  /** Supervisors (MARKETER, ADMIN, SERVICE): every order in `regions` (null: every region). */
  all: { regions: string[] | null } | null;
  /** Agents: OPEN orders of these teams in these regions, and their own (`agentId`). */
  pool: { teams: Team[]; regions: string[] } | null;
  agentId: string | null;
}

export interface WorkOrderFilter {
  status: WorkOrderStatus | null;
  kind: WorkOrderKind | null;
  mine: boolean;
  overdue: boolean | null;
  /** Resume after this (dueAt ms, id). */
  after: { dueMs: number; id: string } | null;
  first: number;
}

/**
 * A page of the orders a principal may see, earliest due first, with lapsed claims shown as OPEN
 * (computed here, not written: a read writes nothing). One statement; `first + 1` rows tell whether
 * there is a next page.
 */
export async function listWorkOrders(graph: Cypher, visibility: WorkOrderVisibility, filter: WorkOrderFilter, now: Date): Promise<WorkOrderRecord[]> {
  const rows = await graph.read<{ order: RawOrder }>(
    `MATCH (w:WorkOrder)
     WHERE ($kind IS NULL OR w.kind = $kind)
       AND ($after IS NULL OR w.dueAt > datetime({epochMillis: $after.dueMs}) OR (w.dueAt = datetime({epochMillis: $after.dueMs}) AND w.id > $after.id))
     WITH w, (w.status = 'CLAIMED' AND w.dueAt < datetime({epochMillis: $now})) AS lapsed
     WITH w, lapsed, CASE WHEN lapsed THEN 'OPEN' ELSE w.status END AS status, CASE WHEN lapsed THEN null ELSE w.claimedBy END AS claimedBy
     WHERE ($status IS NULL OR status = $status)
       AND (NOT $mine OR (claimedBy IS NOT NULL AND claimedBy = $agentId))
       AND ($overdue IS NULL OR ((status IN ['OPEN', 'CLAIMED'] AND w.dueAt < datetime({epochMillis: $now})) = $overdue))
       AND (
         ($all IS NOT NULL AND ($all.regions IS NULL OR any(r IN $all.regions WHERE w.regionId STARTS WITH r)))
         OR ($pool IS NOT NULL AND status = 'OPEN' AND w.team IN $pool.teams AND any(r IN $pool.regions WHERE w.regionId STARTS WITH r))
         OR ($agentId IS NOT NULL AND claimedBy = $agentId)
       )
     WITH w, lapsed, status, claimedBy ORDER BY w.dueAt, w.id LIMIT $limit
     RETURN w {.*, status: status, claimedBy: claimedBy, claimedAt: CASE WHEN lapsed THEN null ELSE w.claimedAt.epochMillis END,
       reassignments: w.reassignments + CASE WHEN lapsed THEN 1 ELSE 0 END,
       dueAt: w.dueAt.epochMillis, createdAt: w.createdAt.epochMillis, feedbackAt: w.feedbackAt.epochMillis, callBackAt: w.callBackAt.epochMillis} AS order`,
    {
      kind: filter.kind,
      status: filter.status,
      mine: filter.mine,
      overdue: filter.overdue,
      after: filter.after ? { dueMs: int(filter.after.dueMs), id: filter.after.id } : null,
      now: int(now.getTime()),
      all: visibility.all,
      pool: visibility.pool,
      agentId: visibility.agentId,
      limit: int(filter.first + 1),
    },
  );
  return rows.map((r) => toOrder(r.order));
}

/**
 * Returns every claim past its due time to the pool (OPEN, claimedBy cleared, reassignments + 1),
 * at most `limit` per call (the sweep calls again while it finds some). Returns the orders as they were.
 */
export async function lapseOverdueClaims(graph: Cypher, now: Date, limit: number): Promise<WorkOrderRecord[]> {
  const rows = await graph.write<{ order: RawOrder }>(
    `MATCH (w:WorkOrder) WHERE w.status = 'CLAIMED' AND w.dueAt < datetime({epochMillis: $now})
     WITH w ORDER BY w.dueAt LIMIT $limit
     WITH w, ${PROJECTION} AS before
     SET w.status = 'OPEN', w.claimedBy = null, w.claimedAt = null, w.reassignments = w.reassignments + 1
     RETURN before AS order`,
    { now: int(now.getTime()), limit: int(limit) },
  );
  return rows.map((r) => toOrder(r.order));
}

/**
 * Closes the decision's order when its decision was answered elsewhere: OPEN, or CLAIMED by an
 * agent other than `byAgentId` (the holder reports on its own order). CANCELLED with `note` saying
 * why; returns the order before, or null when there was nothing to close.
 */
export async function closeAnsweredOrder(graph: Cypher, decisionId: string, byAgentId: string | null, note: string, now: Date): Promise<WorkOrderRecord | null> {
  const [row] = await graph.write<{ order: RawOrder }>(
    `MATCH (w:WorkOrder {decisionId: $decisionId}) WHERE w.status = 'OPEN' OR (w.status = 'CLAIMED' AND w.claimedBy <> coalesce($byAgentId, ''))
     WITH w, ${PROJECTION} AS before
     SET w.status = 'CANCELLED', w.note = $note, w.feedbackAt = datetime({epochMillis: $now})
     RETURN before AS order`,
    { decisionId, byAgentId, note, now: int(now.getTime()) },
  );
  return row ? toOrder(row.order) : null;
}

/** Whether the agent holds a claim on the decision's order at `now` (CLAIMED by it, not past due). */
export async function holdsDecision(graph: Cypher, agentId: string, decisionId: string, now: Date): Promise<boolean> {
  const [row] = await graph.read<{ holds: boolean }>(
    `OPTIONAL MATCH (w:WorkOrder {decisionId: $decisionId})
     RETURN w IS NOT NULL AND w.status = 'CLAIMED' AND w.claimedBy = $agentId AND w.dueAt >= datetime({epochMillis: $now}) AS holds`,
    { decisionId, agentId, now: int(now.getTime()) },
  );
  return row?.holds === true;
}

/**
 * The customer's district (null: no such customer) and whether the agent works an order of theirs:
 * holds a claim on one now, or reported on one within `sinceMs` (a note after the call is part of
 * the job). One statement.
 */
export async function interactionFacts(graph: Cypher, customerId: string, agentId: string | null, now: Date, sinceMs: number): Promise<{ regionId: string | null; works: boolean }> {
  const [row] = await graph.read<{ regionId: string | null; works: boolean }>(
    `OPTIONAL MATCH (c:Customer {id: $customerId})
     RETURN c.regionId AS regionId, $agentId IS NOT NULL AND EXISTS {
       MATCH (w:WorkOrder {customerId: $customerId}) WHERE w.claimedBy = $agentId
         AND ((w.status = 'CLAIMED' AND w.dueAt >= datetime({epochMillis: $now})) OR w.feedbackAt >= datetime({epochMillis: $since}))
     } AS works`,
    { customerId, agentId, now: int(now.getTime()), since: int(now.getTime() - sinceMs) },
  );
  return { regionId: row?.regionId ?? null, works: row?.works === true };
}

/** One interaction to write into a customer's trajectory. */
export interface InteractionRow {
  id: string;
  customerId: string;
  at: Date;
  channel: ChannelCode;
  kind: ContactKind;
  summary: string;
  productId: string | null;
  decisionId: string | null;
  workOrderId: string | null;
  recordedBy: string;
}

/**
 * Writes an interaction as a trajectory contact `(:Customer)-[:HAD]->(:Contact:Recorded)-[:VIA]->(:Channel)`
 * (and `-[:ABOUT]->(:Product)` when it names one), in one statement. False when the customer,
 * channel or product is not in the graph (nothing written).
 */
export async function writeInteraction(graph: Cypher, row: InteractionRow): Promise<boolean> {
  const rows = await graph.write<{ id: string }>(
    `MATCH (c:Customer {id: $r.customerId}), (ch:Channel {code: $r.channel})
     OPTIONAL MATCH (p:Product {id: $r.productId})
     WITH c, ch, p WHERE $r.productId IS NULL OR p IS NOT NULL
     CREATE (c)-[:HAD]->(k:Contact:Recorded {id: $r.id, customerId: $r.customerId, at: datetime($r.at), channel: $r.channel, kind: $r.kind,
       summary: $r.summary, outcome: null, productId: $r.productId, decisionId: $r.decisionId, workOrderId: $r.workOrderId, recordedBy: $r.recordedBy})-[:VIA]->(ch)
     FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | CREATE (k)-[:ABOUT]->(p))
     RETURN k.id AS id`,
    { r: { ...row, at: row.at.toISOString() } },
  );
  return rows.length === 1;
}
