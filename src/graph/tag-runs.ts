import type { TagRunState, TagValueType } from "../domain/vocabulary";
import { int, type Cypher } from "../platform/neo4j";
import { scanConditions, type ScanCondition } from "./segments";

/**
 * Rule tags computed over the customers (src/tags/jobs.ts): the runs, their batches and the
 * customers' HAS_TAG edges they write, and the values imported for listed customers.
 *
 * A run is a `(:Tag)-[:RAN]->(:TagRun)` node holding its progress. Its cursor (the next customer
 * idx to evaluate) and its counts move in the same transaction as the batch's edges, and a batch
 * writes only when the cursor is where it starts: a batch is applied exactly once, whoever runs
 * it and however often a crashed run is resumed.
 */

/** A rule ready for Cypher: its conditions as scan conditions (src/segments/preview/plan.ts toScan). */
export interface RuleScan {
  tagId: string;
  valueType: TagValueType;
  /** FLAG: one; CATEGORY: one per value, first match wins; SCORE: one per weight. */
  conditions: readonly ScanCondition[];
  /** CATEGORY: the value of each condition. */
  values: readonly string[];
  /** SCORE: the weight of each condition (positive). */
  weights: readonly number[];
}

export interface TagRunRecord {
  id: string;
  tagId: string;
  version: number | null;
  trigger: string;
  requestedBy: string;
  state: TagRunState;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Customers evaluated so far, and in all (when it started). */
  done: number;
  total: number;
  /** Customers holding the tag when it finished. */
  holders: number | null;
  added: number;
  removed: number;
  /** Holders whose value or score changed. */
  changed: number;
  attempts: number;
  error: string | null;
  /** The idx the next batch starts at, and the idx past the last customer (internal). */
  cursor: number;
  end: number;
  /** The moment trajectory windows are measured back from, fixed for the whole run (ms). */
  asOfMs: number | null;
}

const RUN_PROJECTION = `r {.id, .tagId, .trigger, .requestedBy, .state, .done, .total, .added, .removed, .changed, .attempts, .cursor, .end,
  version: r.version, holders: r.holders, error: r.error, asOfMs: r.asOfMs,
  queuedAt: r.queuedAt.epochMillis, startedAt: r.startedAt.epochMillis, finishedAt: r.finishedAt.epochMillis}`;

type RawRun = Omit<TagRunRecord, "queuedAt" | "startedAt" | "finishedAt"> & { queuedAt: number; startedAt: number | null; finishedAt: number | null };

function toRun(r: RawRun): TagRunRecord {
  return {
    ...r,
    version: r.version ?? null,
    holders: r.holders ?? null,
    error: r.error ?? null,
    asOfMs: r.asOfMs ?? null,
    queuedAt: new Date(r.queuedAt),
    startedAt: r.startedAt === null || r.startedAt === undefined ? null : new Date(r.startedAt),
    finishedAt: r.finishedAt === null || r.finishedAt === undefined ? null : new Date(r.finishedAt),
  };
}

/** Records a queued run (nothing when a replica recorded it already: the job's id is one per tag). */
export async function recordQueuedRun(graph: Cypher, r: { id: string; tagId: string; trigger: string; requestedBy: string; at: Date }): Promise<void> {
  await graph.write(
    `MATCH (t:Tag {id: $tagId})
     MERGE (r:TagRun {id: $id})
     ON CREATE SET r.tagId = $tagId, r.trigger = $trigger, r.requestedBy = $requestedBy, r.state = 'QUEUED', r.queuedAt = datetime($at),
       r.done = 0, r.total = 0, r.added = 0, r.removed = 0, r.changed = 0, r.attempts = 0, r.cursor = 0, r.end = 0
     MERGE (t)-[:RAN]->(r)`,
    { ...r, at: r.at.toISOString() },
  );
}

export async function runsById(graph: Cypher, ids: readonly string[]): Promise<Map<string, TagRunRecord>> {
  const rows = await graph.read<{ r: RawRun }>(`UNWIND $ids AS id MATCH (r:TagRun {id: id}) RETURN ${RUN_PROJECTION} AS r`, { ids: [...new Set(ids)] });
  return new Map(rows.map((x) => [x.r.id, toRun(x.r)]));
}

/** Each tag's latest run (by the time it was queued). */
export async function lastRuns(graph: Cypher, tagIds: readonly string[]): Promise<Map<string, TagRunRecord>> {
  const rows = await graph.read<{ id: string; r: RawRun | null }>(
    `UNWIND $ids AS id MATCH (t:Tag {id: id})
     RETURN id, head(COLLECT { MATCH (t)-[:RAN]->(r:TagRun) RETURN ${RUN_PROJECTION} ORDER BY r.queuedAt DESC, r.id DESC LIMIT 1 }) AS r`,
    { ids: [...new Set(tagIds)] },
  );
  return new Map(rows.flatMap((x) => (x.r ? [[x.id, toRun(x.r)] as const] : [])));
}

/**
 * Starts a run, or resumes it after a crash: a QUEUED run becomes RUNNING from the first customer
 * (its extent and the moment its trajectory windows end fixed now); a RUNNING one keeps its cursor
 * and counts. Returns the run as it is then, or null when there is no such run.
 */
export async function startRun(
  graph: Cypher,
  r: { id: string; tagId: string; trigger: string; requestedBy: string; version: number; at: Date },
): Promise<TagRunRecord | null> {
  const rows = await graph.write<{ r: RawRun }>(
    `MATCH (t:Tag {id: $tagId})
     MERGE (r:TagRun {id: $id})
     ON CREATE SET r.tagId = $tagId, r.trigger = $trigger, r.requestedBy = $requestedBy, r.state = 'QUEUED', r.queuedAt = datetime($at),
       r.done = 0, r.total = 0, r.added = 0, r.removed = 0, r.changed = 0, r.attempts = 0, r.cursor = 0, r.end = 0
     MERGE (t)-[:RAN]->(r)
     WITH r
     CALL (r) {
       WITH r WHERE r.state = 'QUEUED'
       CALL () { MATCH (c:Customer) WHERE c.idx IS NOT NULL RETURN count(c) AS total, coalesce(max(c.idx), -1) + 1 AS end }
       SET r.state = 'RUNNING', r.startedAt = datetime($at), r.total = total, r.end = end, r.cursor = 0, r.version = $version, r.asOfMs = $asOfMs
     }
     SET r.attempts = r.attempts + CASE WHEN r.state = 'RUNNING' THEN 1 ELSE 0 END
     RETURN ${RUN_PROJECTION} AS r`,
    { ...r, version: int(r.version), at: r.at.toISOString(), asOfMs: int(r.at.getTime()) },
  );
  return rows[0] ? toRun(rows[0].r) : null;
}

/** The per-customer columns of rules `i`: whether held, value and score, from the conditions' booleans `m<i>_<k>`. */
function ruleColumns(rule: RuleScan, i: number, param: (value: unknown) => string): { held: string; value: string; score: string } {
  const m = (k: number): string => `m${i}_${k}`;
  switch (rule.valueType) {
    case "FLAG":
      return { held: m(0), value: "'true'", score: "1.0" };
    case "CATEGORY": {
      const value = `CASE ${rule.values.map((v, k) => `WHEN ${m(k)} THEN ${param(v)}`).join(" ")} ELSE null END`;
      return { held: `(${value}) IS NOT NULL`, value, score: "1.0" };
    }
    case "SCORE": {
      const total = rule.weights.reduce((a, b) => a + b, 0);
      const sum = rule.weights.map((w, k) => `CASE WHEN ${m(k)} THEN ${param(w)} ELSE 0.0 END`).join(" + ");
      const raw = `((${sum}) / ${param(total)})`;
      return { held: `${raw} > 0`, value: "'true'", score: `round(${raw}, 2)` };
    }
  }
}

/** The conditions of several rules as `WITH` columns over `c`, with their parameters. */
function compile(rules: readonly RuleScan[]): { matches: string; columns: Array<{ held: string; value: string; score: string }>; params: Record<string, unknown> } {
  const flat = rules.flatMap((r) => r.conditions);
  const { expressions, params } = scanConditions(flat);
  let n = 0;
  const param = (value: unknown): string => {
    const name = `r${n++}`;
    params[name] = value;
    return `$${name}`;
  };
  let k = 0;
  const matches: string[] = [];
  rules.forEach((rule, i) => rule.conditions.forEach((_, j) => matches.push(`${expressions[k++] as string} AS m${i}_${j}`)));
  return { matches: matches.join(", "), columns: rules.map((rule, i) => ruleColumns(rule, i, param)), params };
}

/**
 * What a customer's rule result does to its edge `h` (bound, maybe null) to tag `t`: creates,
 * updates or deletes it, with `held`, `value`, `score` bound; leaves `had`, `held` and `differs`.
 */
const APPLY = `
  WITH *, h IS NOT NULL AS had, h IS NOT NULL AND (coalesce(h.value, '') <> coalesce(value, '') OR coalesce(h.score, -1.0) <> coalesce(score, -1.0)) AS differs
  FOREACH (_ IN CASE WHEN held AND NOT had THEN [1] ELSE [] END | CREATE (c)-[:HAS_TAG {value: value, score: score, at: datetime($at)}]->(t))
  FOREACH (_ IN CASE WHEN held AND differs THEN [1] ELSE [] END | SET h.value = value, h.score = score, h.at = datetime($at))
  FOREACH (_ IN CASE WHEN had AND NOT held THEN [1] ELSE [] END | DELETE h)`;

/** One batch's outcome. */
export interface BatchResult {
  /** False when the cursor was elsewhere (another worker applied this batch): nothing was written. */
  applied: boolean;
  run: TagRunRecord | null;
  /** Customers whose value of the tag was added, changed or removed by this batch (their decision profiles are stale). */
  changedIds: string[];
}

/**
 * Evaluates the rule for the customers with idx in [from, to) and writes their edges, moving the
 * run's cursor to `to` in the same transaction. The run's node is locked first, so two workers
 * on one batch apply it once.
 */
export async function runBatch(tx: Cypher, runId: string, rule: RuleScan, from: number, to: number, at: Date): Promise<BatchResult> {
  await tx.write(`MATCH (r:TagRun {id: $runId}) SET r.lock = true REMOVE r.lock`, { runId });
  const { matches, columns, params } = compile([rule]);
  const col = columns[0] as { held: string; value: string; score: string };
  const rows = await tx.write<{ r: RawRun; changedIds: string[] }>(
    `MATCH (r:TagRun {id: $runId}) WHERE r.state = 'RUNNING' AND r.cursor = $from
     MATCH (t:Tag {id: $tagId})
     CALL (t) {
       MATCH (c:Customer) WHERE c.idx >= $from AND c.idx < $to
       WITH t, c, ${matches}
       WITH t, c, ${col.held} AS held, ${col.value} AS value, ${col.score} AS score
       OPTIONAL MATCH (c)-[h:HAS_TAG]->(t)
       ${APPLY}
       RETURN count(c) AS done, sum(CASE WHEN held AND NOT had THEN 1 ELSE 0 END) AS added,
         sum(CASE WHEN had AND NOT held THEN 1 ELSE 0 END) AS removed, sum(CASE WHEN held AND differs THEN 1 ELSE 0 END) AS changed,
         collect(CASE WHEN held <> had OR (held AND differs) THEN c.id END) AS changedIds
     }
     SET r.cursor = $to, r.done = r.done + done, r.added = r.added + added, r.removed = r.removed + removed, r.changed = r.changed + changed
     RETURN ${RUN_PROJECTION} AS r, changedIds`,
    { ...params, runId, tagId: rule.tagId, from: int(from), to: int(to), at: at.toISOString() },
  );
  return rows[0] ? { applied: true, run: toRun(rows[0].r), changedIds: rows[0].changedIds } : { applied: false, run: (await runsById(tx, [runId])).get(runId) ?? null, changedIds: [] };
}

/** Ends a run: SUCCEEDED with the tag's holders counted (also noted on the tag), or FAILED with its error. */
export async function finishRun(graph: Cypher, runId: string, outcome: { state: "SUCCEEDED" } | { state: "FAILED"; error: string }, at: Date): Promise<TagRunRecord | null> {
  const rows = await graph.write<{ r: RawRun }>(
    `MATCH (t:Tag)-[:RAN]->(r:TagRun {id: $runId})
     SET r.state = $state, r.finishedAt = datetime($at), r.error = $error
     WITH t, r
     CALL (t, r) {
       WITH t, r WHERE $state = 'SUCCEEDED'
       WITH t, r, COUNT { (t)<-[:HAS_TAG]-() } AS holders
       SET r.holders = holders, t.lastRunAt = datetime($at), t.lastRunHolders = holders
     }
     RETURN ${RUN_PROJECTION} AS r`,
    { runId, state: outcome.state, error: outcome.state === "FAILED" ? outcome.error : null, at: at.toISOString() },
  );
  return rows[0] ? toRun(rows[0].r) : null;
}

/** Notes a failed attempt's error on a run that will be tried again. */
export async function noteRunError(graph: Cypher, runId: string, error: string): Promise<void> {
  await graph.write(`MATCH (r:TagRun {id: $runId}) SET r.error = $error`, { runId, error });
}

/**
 * Re-evaluates rules for the given customers and writes their edges, in one statement for all
 * the rules given; returns the ids of customers whose edges changed.
 */
export async function refreshCustomers(graph: Cypher, rules: readonly RuleScan[], customerIds: readonly string[], at: Date): Promise<string[]> {
  if (rules.length === 0 || customerIds.length === 0) return [];
  const { matches, columns, params } = compile(rules);
  const results = columns.map((c, i) => `{tagId: $tagIds[${i}], held: ${c.held}, value: ${c.value}, score: ${c.score}}`).join(", ");
  const rows = await graph.write<{ ids: string[] }>(
    `UNWIND $ids AS id
     MATCH (c:Customer {id: id})
     WITH c, ${matches}
     UNWIND [${results}] AS x
     MATCH (t:Tag {id: x.tagId})
     WITH c, t, x.held AS held, x.value AS value, x.score AS score
     OPTIONAL MATCH (c)-[h:HAS_TAG]->(t)
     ${APPLY}
     WITH c, held, had, differs WHERE held <> had OR (held AND differs)
     RETURN collect(DISTINCT c.id) AS ids`,
    { ...params, ids: [...new Set(customerIds)], tagIds: rules.map((r) => r.tagId), at: at.toISOString() },
  );
  return rows[0]?.ids ?? [];
}

/** A row of an import, checked. */
export interface ImportRow {
  customerId: string;
  value: string;
  score: number;
}

/** The index of the first row naming no customer, or null when all exist. */
export async function firstUnknownCustomer(graph: Cypher, customerIds: readonly string[]): Promise<number | null> {
  const rows = await graph.read<{ i: number }>(
    `UNWIND range(0, size($ids) - 1) AS i
     OPTIONAL MATCH (c:Customer {id: $ids[i]})
     WITH i, c WHERE c IS NULL
     RETURN i ORDER BY i LIMIT 1`,
    { ids: customerIds },
  );
  return rows[0]?.i ?? null;
}

/** Writes imported values (edges created or updated); returns how many edges were created and updated. */
export async function importValues(tx: Cypher, tagId: string, rows: readonly ImportRow[], at: Date): Promise<{ added: number; updated: number }> {
  const result = await tx.write<{ added: number; updated: number }>(
    `MATCH (t:Tag {id: $tagId})
     UNWIND $rows AS row
     MATCH (c:Customer {id: row.customerId})
     OPTIONAL MATCH (c)-[h:HAS_TAG]->(t)
     WITH t, c, h, row, true AS held, row.value AS value, row.score AS score
     ${APPLY}
     RETURN sum(CASE WHEN NOT had THEN 1 ELSE 0 END) AS added, sum(CASE WHEN had AND differs THEN 1 ELSE 0 END) AS updated`,
    { tagId, rows, at: at.toISOString() },
  );
  return result[0] ?? { added: 0, updated: 0 };
}

/** Removes listed customers' values of a tag; returns how many edges went. */
export async function removeValues(tx: Cypher, tagId: string, customerIds: readonly string[]): Promise<number> {
  const rows = await tx.write<{ n: number }>(
    `MATCH (t:Tag {id: $tagId})
     UNWIND $ids AS id
     MATCH (:Customer {id: id})-[h:HAS_TAG]->(t)
     DELETE h
     RETURN count(*) AS n`,
    { tagId, ids: [...new Set(customerIds)] },
  );
  return rows[0]?.n ?? 0;
}

/** The tags whose rule the jobs run: published RULE tags, with what compiling their rule needs. */
export async function publishedRuleTags(graph: Cypher): Promise<Array<{ id: string; code: string; valueType: TagValueType; rule: string; version: number }>> {
  return graph.read(`MATCH (t:Tag {status: 'PUBLISHED', source: 'RULE'}) WHERE t.rule IS NOT NULL RETURN t.id AS id, t.code AS code, t.valueType AS valueType, t.rule AS rule, t.version AS version`);
}
