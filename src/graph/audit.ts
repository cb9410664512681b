import { int, type GraphSession } from "../platform/neo4j";
import { toDate } from "./records";

/**
 * The audit trail in the graph, unlinked (an entry must outlive the customer, strategy or operator
 * it names, and linking would put every read on the hot customers' nodes as a lock):
 *
 * - the reads of one request (or one push) are ONE `(:AuditRequest)` node, keyed by the request's
 *   id, its customers a list with, position by position, the personal fields read of each (comma
 *   separated) and whether the whole MSISDN was shown. A unified view reads the customer and the
 *   circle members shown, so one node stands for six or more entries; the trail expands it back to
 *   one entry per customer ("<request>:<position>"), so what `auditTrail` answers is unchanged.
 *   The customer filter is served by the full-text index `audit_request_customers` over the list
 *   (keyword analyzer: each id one term; a range index on a list property serves no `IN`);
 *   principal, operation and time by range indexes on (principalId, at), (operation, at), (at).
 * - each change is one `(:AuditEntry {kind: "CHANGE"})`, id "<request>:<reads + n>" (changes are
 *   few, and maker-checker's filters on changeId and action need their own properties), as are
 *   the READ entries written one per customer before requests were (still served, same ids).
 *   Filters: range indexes on (changeId, at), (principalId, at), (customerId, at), (kind, at),
 *   (operation, at) and (at).
 *
 * Both are keyed by their id (uniqueness constraints), so a batch written twice (a writer that died
 * after its commit, before its acknowledgement) is written once.
 *
 *   (:AuditRequest {id, at: DateTime, principalId, principalRoles: [String], operation, operationType,
 *                   transport, subscription?, customerIds: [String], fields: [String], unmasked: [Boolean]})
 *   (:AuditEntry {id, kind: "READ"|"CHANGE", at: DateTime, principalId, principalRoles: [String],
 *                 operation, operationType, transport, subscription?, customerId?, fields: [String],
 *                 msisdnUnmasked, action?, targetType?, targetId?, changeId?, proposedBy?, before? (JSON), after? (JSON)})
 */

/** The full-text index over `AuditRequest.customerIds` (./schema.ts). */
export const AUDIT_CUSTOMER_INDEX = "audit_request_customers";

/** Who asked, how and when: what every audit write carries (times as ISO 8601 text). */
interface AuditWriteOrigin {
  at: string;
  principalId: string;
  principalRoles: string[];
  operation: string;
  operationType: string;
  transport: string;
  subscription: string | null;
}

/** One request's reads as the writer hands them over, one position per customer. */
export interface AuditRequestWrite extends AuditWriteOrigin {
  /** The request's id (its entries are "<id>:<position>"). */
  id: string;
  customerIds: string[];
  /** Per customer: the fields read, comma separated (recorded names hold no comma: ../audit/personal-data.ts). */
  fields: string[];
  /** Per customer: the whole MSISDN was shown. */
  unmasked: boolean[];
}

/** One change entry (or, before requests were written whole, one read) as the writer hands it over. */
export interface AuditEntryWrite extends AuditWriteOrigin {
  id: string;
  kind: string;
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

/** What a batch of stream entries writes: a node per request that read personal data, one per change. */
export interface AuditWrites {
  requests: AuditRequestWrite[];
  entries: AuditEntryWrite[];
}

/** An entry of the trail as it is served (a request's read expanded, or an entry node). */
export type AuditEntryRecord = Omit<AuditEntryWrite, "at"> & { at: Date };

/**
 * Writes a batch in one statement (one transaction), each node once: idempotent by id, a node
 * already in the graph is left as it is. A busy desk's batch (hundreds of requests) is one commit.
 */
export async function writeAudit(graph: GraphSession, writes: AuditWrites): Promise<void> {
  const { requests, entries } = writes;
  if (requests.length === 0 && entries.length === 0) return;
  await graph.write(
    `CALL () {
       UNWIND $requests AS r
       MERGE (q:AuditRequest {id: r.id})
       ON CREATE SET q += r {.principalId, .principalRoles, .operation, .operationType, .transport, .subscription, .customerIds, .fields, .unmasked},
                     q.at = datetime(r.at)
     }
     CALL () {
       UNWIND $entries AS r
       MERGE (a:AuditEntry {id: r.id})
       ON CREATE SET a += r {.kind, .principalId, .principalRoles, .operation, .operationType, .transport, .subscription, .customerId,
                             .fields, .msisdnUnmasked, .action, .targetType, .targetId, .changeId, .proposedBy, .before, .after},
                     a.at = datetime(r.at)
     }`,
    { requests, entries },
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

/** The filters that can start the search of entry nodes from an index of their own, most selective first. */
const ANCHORS = ["changeId", "customerId", "principalId", "operation", "kind"] as const;
/** The same for request nodes (the customer filter is served by the full-text index instead). */
const REQUEST_ANCHORS = ["principalId", "operation"] as const;

/** What an entry is served as, from an entry node `a`. */
const ENTRY_MAP = `a {.id, .kind, .principalId, .principalRoles, .operation, .operationType, .transport, .subscription, .customerId,
               .fields, .msisdnUnmasked, .action, .targetType, .targetId, .changeId, .proposedBy, .before, .after, at: a.at.epochMillis}`;
/** The same for the read of position `i` (entry id `id`) of a request node `r`. */
const READ_MAP = `{id: id, kind: 'READ', principalId: r.principalId, principalRoles: r.principalRoles, operation: r.operation,
               operationType: r.operationType, transport: r.transport, subscription: r.subscription, customerId: r.customerIds[i],
               fields: CASE r.fields[i] WHEN '' THEN [] ELSE split(r.fields[i], ',') END, msisdnUnmasked: r.unmasked[i],
               action: null, targetType: null, targetId: null, changeId: null, proposedBy: null, before: null, after: null, at: r.at.epochMillis}`;
const IN_RANGE = (v: string): string => `${v}.at >= datetime({epochMillis: $sinceMs}) AND ${v}.at <= datetime({epochMillis: $upperMs})`;

/**
 * A page of entries matching every given filter, newest first (by time, then entry id), in one
 * statement: the newest `limit` entry nodes and the newest requests' reads, merged.
 *
 * Each part seeks the index of the most selective filter given backwards from the page's upper
 * bound and stops after `limit` rows (ORDER BY names the index's keys), so a page costs its size,
 * not the trail's length; the other filters are checked on the rows read. The hint asks for a
 * seek, not just the index: given the index alone, the planner has chosen a scan of all of it
 * (then filtered) when its statistics say it is nearly empty, e.g. the change index beside 50,000
 * reads, or any index freshly created, and a scan's cost grows with the trail. Requests are taken
 * `limit + 1` (each holds at least one read; the one the cursor points into may hold fewer past
 * it). With a customer filter, the requests that read the customer come from the full-text index,
 * all of them in the page's time range (Lucene answers by term, not in time order): that part
 * costs the customer's reads in the range, not the trail's length.
 */
export async function auditPage(graph: GraphSession, request: AuditPageRequest): Promise<AuditEntryRecord[]> {
  const { cypher, params } = auditPageStatement(request);
  const rows = await graph.read<{ a: Omit<AuditEntryRecord, "at"> & { at: number } }>(cypher, params);
  return rows.map(({ a }) => ({
    ...a,
    subscription: a.subscription ?? null,
    customerId: a.customerId ?? null,
    fields: a.fields ?? [],
    msisdnUnmasked: a.msisdnUnmasked ?? false,
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

/** The statement of {@link auditPage} (exported for the test that profiles it: a page reads about its size from the indexes). */
export function auditPageStatement(request: AuditPageRequest): { cypher: string; params: Record<string, unknown> } {
  const parts = [entryPart(request)];
  // Requests hold reads only: no part of a CHANGE, action or maker-checker filter.
  if ((request.kind === null || request.kind === "READ") && request.action === null && request.changeId === null) parts.push(requestPart(request));
  return {
    cypher: `CALL () {
       ${parts.join("\n       UNION ALL\n       ")}
     }
     WITH a ORDER BY a.at DESC, a.id DESC LIMIT $limit
     RETURN a`,
    params: {
      ...request,
      sinceMs: int(request.sinceMs),
      upperMs: int(request.upperMs),
      cursorAtMs: request.cursorAtMs === null ? null : int(request.cursorAtMs),
      limit: int(request.limit),
      requestLimit: int(request.limit + 1),
      customerIndex: AUDIT_CUSTOMER_INDEX,
      customerQuery: request.customerId === null ? null : luceneTerm(request.customerId),
    },
  };
}

function entryPart(request: AuditPageRequest): string {
  const anchor = ANCHORS.find((name) => request[name] !== null) ?? null;
  const filters = (["principalId", "customerId", "kind", "operation", "action", "changeId"] as const).filter((name) => request[name] !== null).map((name) => `AND a.${name} = $${name}`);
  const order = anchor ? `a.${anchor} DESC, a.at DESC, a.id DESC` : "a.at DESC, a.id DESC";
  return `MATCH (a:AuditEntry)
       USING INDEX SEEK a:AuditEntry(${anchor ? `${anchor}, at` : "at"})
       WHERE ${IN_RANGE("a")}
         AND ($cursorAtMs IS NULL OR a.at < datetime({epochMillis: $cursorAtMs}) OR a.id < $cursorId)
         ${filters.join(" ")}
       WITH a ORDER BY ${order} LIMIT $limit
       RETURN ${ENTRY_MAP} AS a`;
}

function requestPart(request: AuditPageRequest): string {
  const filters = (["principalId", "operation"] as const).filter((name) => request[name] !== null).map((name) => `AND r.${name} = $${name}`);
  // An entry id "<request>:<i>" below the cursor's needs "<request>:" below it too: a request cannot hold any otherwise.
  const cursor = (id: string): string => `($cursorAtMs IS NULL OR r.at < datetime({epochMillis: $cursorAtMs}) OR ${id} < $cursorId)`;
  const expand = `UNWIND range(0, size(r.customerIds) - 1) AS i
       WITH r, i, r.id + ':' + toString(i) AS id`;
  if (request.customerId !== null) {
    return `CALL db.index.fulltext.queryNodes($customerIndex, $customerQuery) YIELD node AS r
       WHERE ${IN_RANGE("r")} AND ${cursor("r.id + ':'")} ${filters.join(" ")}
       ${expand}
       WHERE r.customerIds[i] = $customerId AND ${cursor("id")}
       WITH r, i, id ORDER BY r.at DESC, id DESC LIMIT $limit
       RETURN ${READ_MAP} AS a`;
  }
  const anchor = REQUEST_ANCHORS.find((name) => request[name] !== null) ?? null;
  const order = anchor ? `r.${anchor} DESC, r.at DESC, r.id DESC` : "r.at DESC, r.id DESC";
  return `MATCH (r:AuditRequest)
       USING INDEX SEEK r:AuditRequest(${anchor ? `${anchor}, at` : "at"})
       WHERE ${IN_RANGE("r")} AND ${cursor("r.id + ':'")} ${filters.join(" ")}
       WITH r ORDER BY ${order} LIMIT $requestLimit
       ${expand}
       WHERE ${cursor("id")}
       RETURN ${READ_MAP} AS a`;
}

/** A Lucene query for exactly `value` as one term (the index's keyword analyzer keeps each id whole). */
function luceneTerm(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}
