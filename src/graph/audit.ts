import { int, type GraphSession } from "../platform/neo4j";
import { toDate } from "./records";

/**
 * The audit trail in the graph: one `(:AuditEntry)` per entry, unlinked (an entry must outlive
 * the customer, strategy or operator it names, and linking would put every read on the hot
 * customers' nodes as a lock), keyed by its id (uniqueness constraint `audit_entry_id`) so a batch
 * written twice (a writer that died after its commit, before its acknowledgement) is written once.
 * Filters are served by range indexes on (changeId, at), (principalId, at), (customerId, at),
 * (kind, at), (operation, at) and (at) (./schema.ts), each read backwards for newest first.
 *
 *   (:AuditEntry {id, kind: "READ"|"CHANGE", at: DateTime, principalId, principalRoles: [String],
 *                 operation, operationType, transport, subscription?, customerId?, fields: [String],
 *                 msisdnUnmasked, action?, targetType?, targetId?, changeId?, proposedBy?, before? (JSON), after? (JSON)})
 */

/** One entry as the writer hands it over: times as ISO 8601 text. */
export interface AuditEntryWrite {
  id: string;
  kind: string;
  at: string;
  principalId: string;
  principalRoles: string[];
  operation: string;
  operationType: string;
  transport: string;
  subscription: string | null;
  customerId: string | null;
  fields: string[];
  msisdnUnmasked: boolean;
  action: string | null;
  targetType: string | null;
  targetId: string | null;
  /** Maker-checker: the change (CH…) proposed, decided or applied. */
  changeId: string | null;
  /** Maker-checker: who proposed it. */
  proposedBy: string | null;
  before: string | null;
  after: string | null;
}

export type AuditEntryRecord = Omit<AuditEntryWrite, "at"> & { at: Date };

/** Writes entries, each once (idempotent by id: an entry already in the graph is left as it is). */
export async function writeAuditEntries(graph: GraphSession, rows: readonly AuditEntryWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await graph.write(
    `UNWIND $rows AS r
     MERGE (a:AuditEntry {id: r.id})
     ON CREATE SET a += r {.kind, .principalId, .principalRoles, .operation, .operationType, .transport, .subscription, .customerId,
                           .fields, .msisdnUnmasked, .action, .targetType, .targetId, .changeId, .proposedBy, .before, .after},
                   a.at = datetime(r.at)`,
    { rows },
  );
}

/** One page of the trail, newest first. Times are epoch milliseconds. */
export interface AuditPageRequest {
  principalId: string | null;
  customerId: string | null;
  kind: string | null;
  operation: string | null;
  action: string | null;
  changeId: string | null;
  sinceMs: number;
  /** Inclusive upper bound of this page: min(until, the cursor's time). */
  upperMs: number;
  cursorAtMs: number | null;
  cursorId: string | null;
  /** Page size + 1, so the caller learns whether there is a next page. */
  limit: number;
}

/** The filters that can start the search from an index of their own, most selective first. */
const ANCHORS = ["changeId", "customerId", "principalId", "operation", "kind"] as const;

/**
 * A page of entries matching every given filter. The statement seeks the index of the most
 * selective filter given (change, customer, principal, operation, kind; else time alone) backwards from the
 * page's upper bound and stops after `limit` rows (ORDER BY names the index's keys), so a page
 * costs its size, not the trail's length; the other filters are checked on the rows read. The
 * hint asks for a seek, not just the index: given the index alone, the planner has chosen a scan
 * of all of it (then filtered) when its statistics say it is nearly empty, e.g. the change index
 * beside 50,000 reads, or any index freshly created, and a scan's cost grows with the trail.
 */
export async function auditPage(graph: GraphSession, request: AuditPageRequest): Promise<AuditEntryRecord[]> {
  const { cypher, params } = auditPageStatement(request);
  const rows = await graph.read<{ a: Omit<AuditEntryRecord, "at"> & { at: number } }>(cypher, params);
  return rows.map(({ a }) => ({
    ...a,
    subscription: a.subscription ?? null,
    customerId: a.customerId ?? null,
    fields: a.fields ?? [],
    action: a.action ?? null,
    targetType: a.targetType ?? null,
    targetId: a.targetId ?? null,
    changeId: a.changeId ?? null,
    proposedBy: a.proposedBy ?? null,
    before: a.before ?? null,
    after: a.after ?? null,
    at: toDate(a.at),
  }));
}

/** The statement of {@link auditPage} (exported for the test that profiles it: a page reads about its size from the index). */
export function auditPageStatement(request: AuditPageRequest): { cypher: string; params: Record<string, unknown> } {
  const anchor = ANCHORS.find((name) => request[name] !== null) ?? null;
  const filters = (["principalId", "customerId", "kind", "operation", "action", "changeId"] as const).filter((name) => request[name] !== null).map((name) => `AND a.${name} = $${name}`);
  const order = anchor ? `a.${anchor} DESC, a.at DESC, a.id DESC` : "a.at DESC, a.id DESC";
  return {
    cypher: `MATCH (a:AuditEntry)
     USING INDEX SEEK a:AuditEntry(${anchor ? `${anchor}, at` : "at"})
     WHERE a.at >= datetime({epochMillis: $sinceMs}) AND a.at <= datetime({epochMillis: $upperMs})
       AND ($cursorAtMs IS NULL OR a.at < datetime({epochMillis: $cursorAtMs}) OR a.id < $cursorId)
       ${filters.join(" ")}
     WITH a ORDER BY ${order} LIMIT $limit
     RETURN a {.id, .kind, .principalId, .principalRoles, .operation, .operationType, .transport, .subscription, .customerId,
               .fields, .msisdnUnmasked, .action, .targetType, .targetId, .changeId, .proposedBy, .before, .after, at: a.at.epochMillis} AS a`,
    params: {
      ...request,
      sinceMs: int(request.sinceMs),
      upperMs: int(request.upperMs),
      cursorAtMs: request.cursorAtMs === null ? null : int(request.cursorAtMs),
      limit: int(request.limit),
    },
  };
}
