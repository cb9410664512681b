import { int, type Cypher } from "../platform/neo4j";
import type { ChangeAction, ChangeKind, ChangeStatus } from "../domain/vocabulary";

/**
 * Proposed changes (maker-checker, src/approval/): one `(:Change)` node per proposal, written when
 * it is submitted and decided once. Three keys, each under a uniqueness constraint
 * (src/graph/schema.ts), make the rules of proposing atomic without reading first:
 *
 * - `pendingKey` "<KIND>:<targetId>", held while the change is PENDING: one pending change per target;
 * - `codeKey` "<KIND>:<code>", held while PENDING by a change that gives its target a new code: two
 *   pending changes cannot claim one code;
 * - `createsKey` "<KIND>:<targetId>", kept for good by a CREATE: the id it reserved is never handed
 *   out again, whatever the change's fate.
 *
 * Deciding takes the node's write lock before reading its status (see {@link decideChange}), so of
 * concurrent decisions on one change exactly one finds it PENDING.
 */

export interface ChangeRecord {
  id: string;
  kind: ChangeKind;
  /** The target's id; for a CREATE, the id reserved for it. */
  targetId: string;
  action: ChangeAction;
  /** The change as submitted, JSON (the fields given, as the mutation's input had them). */
  payload: string;
  /** The principal (token subject) who submitted it. */
  author: string;
  submittedAt: Date;
  status: ChangeStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** The decider's (or withdrawing author's) reason. */
  reason: string | null;
}

export interface ChangeInsert {
  id: string;
  kind: ChangeKind;
  targetId: string;
  action: ChangeAction;
  payload: string;
  author: string;
  submittedAt: Date;
  pendingKey: string;
  codeKey: string | null;
  createsKey: string | null;
}

type RawChange = Omit<ChangeRecord, "submittedAt" | "decidedAt"> & { submittedAt: number; decidedAt: number | null };

const PROJECTION = `c {.id, .kind, .targetId, .action, .payload, .author, .status, .decidedBy, .reason,
  submittedAt: c.submittedAt.epochMillis, decidedAt: c.decidedAt.epochMillis}`;

function toChange(raw: RawChange): ChangeRecord {
  return {
    ...raw,
    decidedBy: raw.decidedBy ?? null,
    reason: raw.reason ?? null,
    submittedAt: new Date(raw.submittedAt),
    decidedAt: raw.decidedAt === null || raw.decidedAt === undefined ? null : new Date(raw.decidedAt),
  };
}

/** The key a target's pending change holds. */
export const targetKey = (kind: ChangeKind, targetId: string): string => `${kind}:${targetId}`;

/**
 * Stores a new PENDING change. A uniqueness constraint refuses it when another pending change holds
 * its target or its code, or another CREATE reserved its target id: the executor raises
 * ConstraintViolationError naming the property (`pendingKey`, `codeKey`, `createsKey`, `id`).
 */
export async function insertChange(graph: Cypher, c: ChangeInsert): Promise<ChangeRecord> {
  const rows = await graph.write<{ c: RawChange }>(
    `CREATE (c:Change {id: $c.id, kind: $c.kind, targetId: $c.targetId, action: $c.action, payload: $c.payload, author: $c.author,
       submittedAt: datetime($c.submittedAt), status: 'PENDING', pendingKey: $c.pendingKey})
     SET c.codeKey = $c.codeKey, c.createsKey = $c.createsKey
     RETURN ${PROJECTION} AS c`,
    { c: { ...c, submittedAt: c.submittedAt.toISOString() } },
  );
  const row = rows[0];
  if (!row) throw new Error("CREATE returned no row");
  return toChange(row.c);
}

export async function changeById(graph: Cypher, id: string): Promise<ChangeRecord | null> {
  const rows = await graph.read<{ c: RawChange }>(`MATCH (c:Change {id: $id}) RETURN ${PROJECTION} AS c`, { id });
  return rows[0] ? toChange(rows[0].c) : null;
}

/** The pending change holding each of `keys` (pendingKey), where there is one. */
export async function pendingChangesByKey(graph: Cypher, keys: readonly string[]): Promise<Map<string, ChangeRecord>> {
  const rows = await graph.read<{ key: string; c: RawChange }>(
    `UNWIND $keys AS key MATCH (c:Change {pendingKey: key}) RETURN key, ${PROJECTION} AS c`,
    { keys: [...new Set(keys)] },
  );
  return new Map(rows.map((r) => [r.key, toChange(r.c)]));
}

/** The pending change holding a code claim, if any (to name it when a proposal is refused). */
export async function pendingChangeByCode(graph: Cypher, codeKey: string): Promise<ChangeRecord | null> {
  const rows = await graph.read<{ c: RawChange }>(`MATCH (c:Change {codeKey: $codeKey}) RETURN ${PROJECTION} AS c`, { codeKey });
  return rows[0] ? toChange(rows[0].c) : null;
}

/** Ids reserved by CREATE changes of `kind`, whatever became of them. */
export async function reservedTargetIds(graph: Cypher, kind: ChangeKind): Promise<string[]> {
  const rows = await graph.read<{ id: string }>(`MATCH (c:Change) WHERE c.createsKey STARTS WITH $prefix RETURN c.targetId AS id`, { prefix: `${kind}:` });
  return rows.map((r) => r.id);
}

export interface ChangeDecision {
  status: Exclude<ChangeStatus, "PENDING">;
  by: string;
  reason: string | null;
}

/**
 * Decides a change inside a transaction: PENDING → `status`, releasing its claims. Returns the
 * change as it is afterwards and whether this call decided it (false: it was no longer PENDING).
 *
 * Two statements, on purpose: Neo4j reads at read-committed and takes a node's write lock only
 * when the transaction first writes it, so a status read before that write could be stale (two
 * concurrent approvals would both see PENDING). The first statement takes the lock by writing a
 * marker; the second, run while the lock is held, reads the status as last committed, decides and
 * removes the marker. A concurrent decision waits for the lock and then finds the change decided.
 */
export async function decideChange(tx: Cypher, id: string, decision: ChangeDecision): Promise<{ decided: boolean; change: ChangeRecord } | null> {
  const locked = await tx.write<{ id: string }>(`MATCH (c:Change {id: $id}) SET c.lock = true RETURN c.id AS id`, { id });
  if (locked.length === 0) return null;
  const rows = await tx.write<{ decided: boolean; c: RawChange }>(
    `MATCH (c:Change {id: $id})
     REMOVE c.lock
     WITH c, c.status = 'PENDING' AS decided
     FOREACH (_ IN CASE WHEN decided THEN [1] ELSE [] END |
       SET c.status = $d.status, c.decidedBy = $d.by, c.decidedAt = datetime(), c.reason = $d.reason
       REMOVE c.pendingKey, c.codeKey)
     RETURN decided, ${PROJECTION} AS c`,
    { id, d: decision },
  );
  const row = rows[0];
  return row ? { decided: row.decided, change: toChange(row.c) } : null;
}

export interface ChangePageRequest {
  kind: ChangeKind | null;
  status: ChangeStatus | null;
  author: string | null;
  /** Changes with ids after this one ("" from the start); ids sort in submission order. */
  afterId: string;
  /** Rows to read: the page size plus one, which only says whether there is more. */
  limit: number;
}

/** One page of changes, oldest first, and how many match the filters in all. */
export async function changePage(graph: Cypher, r: ChangePageRequest): Promise<{ items: ChangeRecord[]; total: number }> {
  const filter = `($status IS NULL OR c.status = $status) AND ($kind IS NULL OR c.kind = $kind) AND ($author IS NULL OR c.author = $author)`;
  const rows = await graph.read<{ items: RawChange[]; total: number }>(
    `CALL () { MATCH (c:Change) WHERE ${filter} RETURN count(c) AS total }
     CALL () {
       MATCH (c:Change) WHERE c.id > $afterId AND ${filter}
       WITH c ORDER BY c.id LIMIT $limit
       RETURN collect(${PROJECTION}) AS items
     }
     RETURN items, total`,
    { kind: r.kind, status: r.status, author: r.author, afterId: r.afterId, limit: int(r.limit) },
  );
  const row = rows[0] ?? { items: [], total: 0 };
  return { items: row.items.map(toChange), total: row.total };
}
