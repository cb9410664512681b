import { int, type Cypher } from "../platform/neo4j";
import { INDICATOR_SEARCH_INDEX } from "./model";
import type { ChangeAction, MarketSegment, TagLogAction, TagScope, TagSource, TagStatus, TagValueType, TagVersionStatus } from "../domain/vocabulary";

/**
 * The tag library (标签库, src/tags/): tags with their versions, the publish log, statistics, and
 * the indicator search over tags, their values and the customer attributes.
 *
 * The `(:Tag)` node is what the rest of the gateway reads (reference data, HAS_TAG, segment
 * vocabularies): it carries the content of the version served, so publishing a version is one
 * write of that node and every reader switches at the commit. Versions live beside it as
 * `(:Tag)-[:VERSION]->(:TagVersion)`. At most one version is *open* (DRAFT or APPROVED: being
 * edited, awaiting approval, or approved and awaiting publication); a tag never published mirrors
 * its open version on the node, with status DRAFT or APPROVED, so it is listed as it will be.
 *
 * PENDING_APPROVAL is never stored: a DRAFT whose tag has an UPDATE or PROMOTE change pending
 * (the approval process's `pendingKey` "TAG:<id>", unique) is awaiting approval. A rejection or
 * a withdrawal thereby returns it to DRAFT without a write of the tag library's own.
 *
 * Every lifecycle write runs in one transaction that first takes the tag's write lock
 * ({@link lockTag}), so two of them on one tag run one after the other and each reads the state
 * the other committed.
 */

/** What a version defines (and, for the version served, what the Tag node carries). */
export interface TagContent {
  name: string;
  level1: string;
  level2: string;
  definition: string;
  market: MarketSegment;
  scope: TagScope;
  /** The city of a CITY tag; null for PROVINCE. */
  regionId: string | null;
  owner: string;
  /** How its values come (SEEDED for tags made before rule tags). */
  source: TagSource;
  /** A RULE tag's rule as canonical JSON (src/tags/rules.ts), compared as text; null for other sources. */
  rule: string | null;
}

/** A tag as the library lists it: the served content, its derived status and what is open. */
export interface LibraryTagRecord extends Omit<TagContent, "owner"> {
  id: string;
  code: string;
  valueType: TagValueType;
  /** Null on tags seeded before owners were recorded. */
  owner: string | null;
  /** PUBLISHED or OFFLINE once published; before that, its open version's status. */
  status: TagStatus;
  /** The version served; for a tag never published, its open version. */
  version: number;
  publishedAt: Date | null;
  /** The open version (DRAFT, PENDING_APPROVAL or APPROVED), if any. */
  open: { version: number; status: TagStatus } | null;
  /** The action of the change awaiting approval for this tag (a version's UPDATE or PROMOTE, or RETIRE: offlining), if any. */
  pendingAction: ChangeAction | null;
  /** Statistics as last refreshed ({@link refreshTagStatistics}); null before. */
  statsAt: Date | null;
  /** The latest time any customer's value of this tag was computed, when statistics were refreshed. */
  refreshedAt: Date | null;
  /** When a rule tag's job last finished a run (src/tags/jobs.ts); null before. */
  lastRunAt: Date | null;
  /** Customers holding the tag when its last run finished; null before. */
  lastRunHolders: number | null;
}

export interface TagVersionRecord extends TagContent {
  tagId: string;
  version: number;
  /** Derived like the tag's: a stored DRAFT with an approval pending reads PENDING_APPROVAL. */
  status: TagVersionStatus;
  revision: number;
  editors: string[];
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  note: string | null;
  changeId: string | null;
  approvedBy: string | null;
  approvedAt: Date | null;
  publishedBy: string | null;
  publishedAt: Date | null;
  /** False for the version a seeded tag has when the library has no record of it yet (it is read from the Tag node). */
  recorded: boolean;
}

export interface TagLogRecord {
  id: string;
  tagId: string;
  action: TagLogAction;
  version: number;
  by: string;
  at: Date;
  changeId: string | null;
  approvedBy: string | null;
  reason: string | null;
}

type Millis = number;
type Raw<T, K extends keyof T> = Omit<T, K> & { [P in K]: Millis | null };
type RawTag = Raw<LibraryTagRecord, "publishedAt" | "statsAt" | "refreshedAt" | "lastRunAt">;
type RawVersion = Raw<TagVersionRecord, "createdAt" | "updatedAt" | "approvedAt" | "publishedAt">;
type RawLog = Raw<TagLogRecord, "at">;

const date = (ms: Millis | null | undefined): Date | null => (ms === null || ms === undefined ? null : new Date(ms));

/** The prefix of the approval process's pendingKey for tags (src/graph/approval.ts targetKey("TAG", id)). */
const PENDING_PREFIX = "TAG:";

/**
 * With `t` bound: its open version, the action of its pending change, and the statuses derived
 * from them (`openStatus`, `status`). Two index lookups per tag (its VERSION relationships, the
 * pendingKey constraint).
 */
const DERIVE = `
  WITH *, head(COLLECT { MATCH (t)-[:VERSION]->(v:TagVersion) WHERE v.status IN ['DRAFT', 'APPROVED'] RETURN v ORDER BY v.version DESC }) AS open,
    head(COLLECT { MATCH (c:Change {pendingKey: $pendingPrefix + t.id}) RETURN c.action }) AS pendingAction
  WITH *, CASE WHEN open IS NULL THEN null
               WHEN open.status = 'DRAFT' AND pendingAction IN ['UPDATE', 'PROMOTE'] THEN 'PENDING_APPROVAL'
               ELSE open.status END AS openStatus
  WITH *, CASE WHEN t.status IN ['PUBLISHED', 'OFFLINE'] THEN t.status ELSE coalesce(openStatus, t.status) END AS status`;

const TAG_PROJECTION = `t {.id, .code, .name, .level1, .level2, .definition, .valueType, .scope, .version,
  market: coalesce(t.market, 'INDIVIDUAL'), regionId: t.regionId, owner: t.owner,
  status: status, pendingAction: pendingAction,
  open: CASE WHEN open IS NULL THEN null ELSE {version: open.version, status: openStatus} END,
  source: coalesce(t.source, 'SEEDED'), rule: t.rule, lastRunHolders: t.lastRunHolders,
  publishedAt: t.publishedAt.epochMillis, statsAt: t.statsAt.epochMillis, refreshedAt: t.refreshedAt.epochMillis, lastRunAt: t.lastRunAt.epochMillis}`;

function toTag(raw: RawTag): LibraryTagRecord {
  return {
    ...raw,
    regionId: raw.regionId ?? null,
    owner: raw.owner ?? null,
    publishedAt: date(raw.publishedAt),
    statsAt: date(raw.statsAt),
    refreshedAt: date(raw.refreshedAt),
    rule: raw.rule ?? null,
    lastRunAt: date(raw.lastRunAt),
    lastRunHolders: raw.lastRunHolders ?? null,
  };
}

const VERSION_PROJECTION = `v {.tagId, .version, .name, .level1, .level2, .definition, .market, .scope, .owner, .revision, .createdBy,
  regionId: v.regionId, source: coalesce(v.source, 'SEEDED'), rule: v.rule, editors: coalesce(v.editors, []), note: v.note, changeId: v.changeId, approvedBy: v.approvedBy, publishedBy: v.publishedBy,
  status: CASE WHEN v.status = 'DRAFT' AND pendingAction IN ['UPDATE', 'PROMOTE'] THEN 'PENDING_APPROVAL' ELSE v.status END,
  createdAt: v.createdAt.epochMillis, updatedAt: v.updatedAt.epochMillis, approvedAt: v.approvedAt.epochMillis, publishedAt: v.publishedAt.epochMillis,
  recorded: true}`;

function toVersion(raw: RawVersion): TagVersionRecord {
  return {
    ...raw,
    regionId: raw.regionId ?? null,
    rule: raw.rule ?? null,
    note: raw.note ?? null,
    changeId: raw.changeId ?? null,
    approvedBy: raw.approvedBy ?? null,
    publishedBy: raw.publishedBy ?? null,
    createdAt: new Date(raw.createdAt ?? 0),
    updatedAt: new Date(raw.updatedAt ?? 0),
    approvedAt: date(raw.approvedAt),
    publishedAt: date(raw.publishedAt),
  };
}

/** The version a seeded tag has, read from the Tag node (it has no version record until first changed). */
function unrecorded(t: LibraryTagRecord): TagVersionRecord {
  const at = t.publishedAt ?? new Date(0);
  return {
    tagId: t.id,
    version: t.version,
    name: t.name,
    level1: t.level1,
    level2: t.level2,
    definition: t.definition,
    market: t.market,
    scope: t.scope,
    regionId: t.regionId,
    owner: t.owner ?? "",
    source: t.source,
    rule: t.rule,
    status: t.status,
    revision: 1,
    editors: [],
    createdBy: "seed",
    createdAt: at,
    updatedAt: at,
    note: null,
    changeId: null,
    approvedBy: null,
    approvedAt: null,
    publishedBy: null,
    publishedAt: t.publishedAt,
    recorded: false,
  };
}

// ───────────────────────────── reads ─────────────────────────────

/** Tags by id, as listed; ids that are not tags are missing from the map. */
export async function tagsById(graph: Cypher, ids: readonly string[]): Promise<Map<string, LibraryTagRecord>> {
  const rows = await graph.read<{ t: RawTag }>(
    `UNWIND $ids AS id MATCH (t:Tag {id: id}) ${DERIVE} RETURN ${TAG_PROJECTION} AS t`,
    { ids: [...new Set(ids)], pendingPrefix: PENDING_PREFIX },
  );
  return new Map(rows.map((r) => [r.t.id, toTag(r.t)]));
}

export async function tagByCode(graph: Cypher, code: string): Promise<LibraryTagRecord | null> {
  const rows = await graph.read<{ t: RawTag }>(`MATCH (t:Tag {code: $code}) ${DERIVE} RETURN ${TAG_PROJECTION} AS t`, { code, pendingPrefix: PENDING_PREFIX });
  return rows[0] ? toTag(rows[0].t) : null;
}

export interface TagPageRequest {
  status: TagStatus | null;
  level1: string | null;
  level2: string | null;
  scope: TagScope | null;
  regionId: string | null;
  valueType: TagValueType | null;
  /** Only these tags (a text search's hits); null: every tag. */
  ids: readonly string[] | null;
  /** Tags after this position in taxonomy order (level1, level2, code); null from the start. */
  after: [string, string, string] | null;
  /** Rows to return: the page size plus one, which only says whether there is more. */
  limit: number;
}

/**
 * A page of the library in taxonomy order (level1, level2, code) and how many tags match. The
 * status filter matches a tag's own status or its open version's, so DRAFT also lists published
 * tags with an edit in progress and PENDING_APPROVAL every tag with a version awaiting approval.
 */
export async function tagPage(graph: Cypher, r: TagPageRequest): Promise<{ items: LibraryTagRecord[]; total: number }> {
  const rows = await graph.read<{ items: RawTag[]; total: number }>(
    `MATCH (t:Tag)
     WHERE ($level1 IS NULL OR t.level1 = $level1) AND ($level2 IS NULL OR t.level2 = $level2) AND ($scope IS NULL OR t.scope = $scope)
       AND ($regionId IS NULL OR t.regionId = $regionId) AND ($valueType IS NULL OR t.valueType = $valueType) AND ($ids IS NULL OR t.id IN $ids)
     ${DERIVE}
     WITH * WHERE $status IS NULL OR status = $status OR openStatus = $status
     WITH t, status, openStatus, open, pendingAction ORDER BY t.level1, t.level2, t.code
     WITH collect(${TAG_PROJECTION}) AS matching
     RETURN size(matching) AS total,
       [x IN matching WHERE $after IS NULL OR x.level1 > $after[0] OR (x.level1 = $after[0] AND (x.level2 > $after[1] OR (x.level2 = $after[1] AND x.code > $after[2])))][0..$limit] AS items`,
    { ...r, limit: int(r.limit), pendingPrefix: PENDING_PREFIX },
  );
  const row = rows[0] ?? { items: [], total: 0 };
  return { items: row.items.map(toTag), total: row.total };
}

/**
 * Each tag's versions, newest first, at most `limit` per tag; the version a seeded tag has is
 * included (read from the Tag node) until the library records it.
 */
export async function tagVersions(graph: Cypher, ids: readonly string[], limit: number): Promise<Map<string, TagVersionRecord[]>> {
  const rows = await graph.read<{ t: RawTag; versions: RawVersion[] }>(
    `UNWIND $ids AS id MATCH (t:Tag {id: id}) ${DERIVE}
     RETURN ${TAG_PROJECTION} AS t,
       COLLECT { MATCH (t)-[:VERSION]->(v:TagVersion) RETURN ${VERSION_PROJECTION} ORDER BY v.version DESC LIMIT $limit } AS versions`,
    { ids: [...new Set(ids)], limit: int(limit), pendingPrefix: PENDING_PREFIX },
  );
  const out = new Map<string, TagVersionRecord[]>();
  for (const row of rows) {
    const tag = toTag(row.t);
    const versions = row.versions.map(toVersion);
    if (!versions.some((v) => v.version === tag.version)) {
      versions.push(unrecorded(tag));
      versions.sort((a, b) => b.version - a.version);
    }
    out.set(tag.id, versions.slice(0, limit));
  }
  return out;
}

/** Each tag's publish log, newest first, at most `limit` entries per tag. */
export async function tagLogs(graph: Cypher, ids: readonly string[], limit: number): Promise<Map<string, TagLogRecord[]>> {
  const rows = await graph.read<{ id: string; log: RawLog[] }>(
    `UNWIND $ids AS id MATCH (t:Tag {id: id})
     RETURN id, COLLECT { MATCH (t)-[:LOGGED]->(l:TagLog) WITH l ORDER BY l.id DESC LIMIT $limit
       RETURN l {.id, .tagId, .action, .version, .by, changeId: l.changeId, approvedBy: l.approvedBy, reason: l.reason, at: l.at.epochMillis} } AS log`,
    { ids: [...new Set(ids)], limit: int(limit) },
  );
  return new Map(
    rows.map((r) => [r.id, r.log.map((l) => ({ ...l, changeId: l.changeId ?? null, approvedBy: l.approvedBy ?? null, reason: l.reason ?? null, at: new Date(l.at ?? 0) }))]),
  );
}

/** Customers holding each tag now (its HAS_TAG degree: read from the node, no scan) and customers in all. */
export async function tagCoverage(graph: Cypher, ids: readonly string[]): Promise<{ total: number; customers: Map<string, number> }> {
  const rows = await graph.read<{ total: number; coverage: Array<{ id: string; n: number }> }>(
    `CALL () { MATCH (c:Customer) RETURN count(c) AS total }
     RETURN total, COLLECT { UNWIND $ids AS id MATCH (t:Tag {id: id}) RETURN {id: id, n: COUNT { (t)<-[:HAS_TAG]-() }} } AS coverage`,
    { ids: [...new Set(ids)] },
  );
  const row = rows[0] ?? { total: 0, coverage: [] };
  return { total: row.total, customers: new Map(row.coverage.map((c) => [c.id, c.n])) };
}

/** A category tag's values with the customers holding each when statistics were last refreshed, most held first. */
export async function tagValues(graph: Cypher, ids: readonly string[]): Promise<Map<string, Array<{ value: string; customers: number }>>> {
  const rows = await graph.read<{ id: string; values: Array<{ value: string; customers: number }> }>(
    `UNWIND $ids AS id
     RETURN id, COLLECT { MATCH (v:TagValue {tagId: id}) RETURN v {.value, .customers} ORDER BY v.customers DESC, v.value } AS values`,
    { ids: [...new Set(ids)] },
  );
  return new Map(rows.map((r) => [r.id, r.values]));
}

/** The highest number of the library's "T<n>" ids (0 in an empty library): new tags take the next. */
export async function highestTagNumber(graph: Cypher): Promise<number> {
  const rows = await graph.read<{ n: number | null }>(`MATCH (t:Tag) WHERE t.id =~ 'T[0-9]+' RETURN max(toInteger(substring(t.id, 1))) AS n`);
  return rows[0]?.n ?? 0;
}

// ───────────────────────────── lifecycle writes (inside one transaction) ─────────────────────────────

/** A tag's state under its write lock: the tag and its open version. Null when there is no such tag. */
export interface LockedTag {
  tag: LibraryTagRecord;
  open: TagVersionRecord | null;
  /** The highest version number the tag has (recorded or served). */
  latest: number;
}

/**
 * Takes the tag's write lock (held until the transaction ends), records the version a seeded tag
 * has if the library has no record of it, and then reads its state: Neo4j reads at read-committed
 * and locks a node only when the transaction first writes it, so the read must come after the
 * lock to see what a concurrent writer committed.
 */
export async function lockTag(tx: Cypher, id: string): Promise<LockedTag | null> {
  const locked = await tx.write<{ id: string }>(`MATCH (t:Tag {id: $id}) SET t.lock = true REMOVE t.lock RETURN t.id AS id`, { id });
  if (locked.length === 0) return null;
  await recordVersion(tx, id);
  const rows = await tx.read<{ t: RawTag; open: RawVersion | null; latest: number | null }>(
    `MATCH (t:Tag {id: $id}) ${DERIVE}
     RETURN ${TAG_PROJECTION} AS t,
       head(COLLECT { MATCH (t)-[:VERSION]->(v:TagVersion) WHERE v = open RETURN ${VERSION_PROJECTION} }) AS open,
       reduce(m = 0, n IN [(t)-[:VERSION]->(x:TagVersion) | x.version] | CASE WHEN n > m THEN n ELSE m END) AS latest`,
    { id, pendingPrefix: PENDING_PREFIX },
  );
  const row = rows[0];
  if (!row) return null;
  const tag = toTag(row.t);
  return { tag, open: row.open ? toVersion(row.open) : null, latest: Math.max(row.latest ?? 0, tag.version) };
}

const contentParams = (c: TagContent): Record<string, unknown> => ({ ...c });

/** SET clauses copying content `$c` onto `x`. */
const setContent = (x: string): string =>
  `${x}.name = $c.name, ${x}.level1 = $c.level1, ${x}.level2 = $c.level2, ${x}.definition = $c.definition, ${x}.market = $c.market,
   ${x}.scope = $c.scope, ${x}.regionId = $c.regionId, ${x}.owner = $c.owner, ${x}.source = $c.source, ${x}.rule = $c.rule`;

export interface NewTag {
  id: string;
  code: string;
  valueType: TagValueType;
  content: TagContent;
  by: string;
  at: Date;
  note: string | null;
}

/**
 * Creates a tag (DRAFT, never served) with its version 1. The id and code uniqueness constraints
 * refuse a clash (ConstraintViolationError naming `id` or `code`).
 */
export async function insertTag(tx: Cypher, t: NewTag): Promise<void> {
  await tx.write(
    `CREATE (t:Tag {id: $id, code: $code, valueType: $valueType, status: 'DRAFT', version: 1, createdBy: $by, createdAt: datetime($at)})
     SET ${setContent("t")}
     CREATE (t)-[:VERSION]->(v:TagVersion {tagId: $id, version: 1, status: 'DRAFT', revision: 1, editors: [$by], createdBy: $by,
       createdAt: datetime($at), updatedAt: datetime($at)})
     SET ${setContent("v")}, v.note = $note`,
    { id: t.id, code: t.code, valueType: t.valueType, c: contentParams(t.content), by: t.by, at: t.at.toISOString(), note: t.note },
  );
}

/**
 * Records the version a seeded tag has (read so far from the Tag node: the seed writes no versions)
 * as a TagVersion, with the tag's status, so the versions that follow have their predecessor in
 * the library. Does nothing when it is recorded.
 */
async function recordVersion(tx: Cypher, id: string): Promise<void> {
  await tx.write(
    `MATCH (t:Tag {id: $id}) WHERE NOT EXISTS { (t)-[:VERSION]->(:TagVersion {version: t.version}) }
     CREATE (t)-[:VERSION]->(v:TagVersion {tagId: t.id, version: t.version, status: t.status, revision: 1, editors: [],
       createdBy: coalesce(t.createdBy, 'seed'), createdAt: coalesce(t.publishedAt, t.createdAt, datetime()), updatedAt: coalesce(t.publishedAt, t.createdAt, datetime())})
     SET v.name = t.name, v.level1 = t.level1, v.level2 = t.level2, v.definition = t.definition, v.market = coalesce(t.market, 'INDIVIDUAL'),
       v.scope = t.scope, v.regionId = t.regionId, v.owner = coalesce(t.owner, ''), v.source = coalesce(t.source, 'SEEDED'), v.rule = t.rule, v.publishedAt = t.publishedAt`,
    { id },
  );
}

export interface DraftWrite {
  tagId: string;
  version: number;
  content: TagContent;
  by: string;
  at: Date;
  note: string | null;
  /** A new version (revision 1) rather than another revision of the open draft. */
  create: boolean;
  /** The tag was never published: its node mirrors the draft. */
  mirror: boolean;
}

/** Writes a draft: a new version, or the next revision of the open one (its editors gain `by`). */
export async function writeDraft(tx: Cypher, d: DraftWrite): Promise<void> {
  const params = { tagId: d.tagId, version: int(d.version), c: contentParams(d.content), by: d.by, at: d.at.toISOString(), note: d.note };
  if (d.create) {
    await tx.write(
      `MATCH (t:Tag {id: $tagId})
       CREATE (t)-[:VERSION]->(v:TagVersion {tagId: $tagId, version: $version, status: 'DRAFT', revision: 1, editors: [$by], createdBy: $by,
         createdAt: datetime($at), updatedAt: datetime($at)})
       SET ${setContent("v")}, v.note = $note`,
      params,
    );
  } else {
    await tx.write(
      `MATCH (:Tag {id: $tagId})-[:VERSION]->(v:TagVersion {version: $version})
       SET ${setContent("v")}, v.note = coalesce($note, v.note), v.revision = v.revision + 1, v.updatedAt = datetime($at),
         v.editors = CASE WHEN $by IN v.editors THEN v.editors ELSE v.editors + $by END`,
      params,
    );
  }
  if (d.mirror) {
    await tx.write(`MATCH (t:Tag {id: $tagId}) SET ${setContent("t")}, t.version = $version, t.status = 'DRAFT'`, params);
  }
}

/** Marks a version DISCARDED: approved, never published, replaced by a newer draft. */
export async function discardVersion(tx: Cypher, tagId: string, version: number, at: Date): Promise<void> {
  await tx.write(`MATCH (:Tag {id: $tagId})-[:VERSION]->(v:TagVersion {version: $version}) SET v.status = 'DISCARDED', v.discardedAt = datetime($at)`, {
    tagId,
    version: int(version),
    at: at.toISOString(),
  });
}

/** Removes a draft version made a moment ago whose submission failed (nothing half-written stays). */
export async function deleteDraft(tx: Cypher, tagId: string, version: number): Promise<void> {
  await tx.write(`MATCH (:Tag {id: $tagId})-[:VERSION]->(v:TagVersion {version: $version, status: 'DRAFT', revision: 1}) DETACH DELETE v`, { tagId, version: int(version) });
}

/** An approved version: APPROVED with its approval (and the note it was submitted with); a tag never published reads APPROVED too. */
export async function approveVersion(tx: Cypher, a: { tagId: string; version: number; changeId: string; by: string; at: Date; note: string | null; mirror: boolean }): Promise<void> {
  await tx.write(
    `MATCH (t:Tag {id: $tagId})-[:VERSION]->(v:TagVersion {version: $version})
     SET v.status = 'APPROVED', v.changeId = $changeId, v.approvedBy = $by, v.approvedAt = datetime($at), v.note = coalesce($note, v.note)
     FOREACH (_ IN CASE WHEN $mirror THEN [1] ELSE [] END | SET t.status = 'APPROVED')`,
    { ...a, version: int(a.version), at: a.at.toISOString() },
  );
}

export type LogWrite = Omit<TagLogRecord, "tagId">;

const logParams = (l: LogWrite): Record<string, unknown> => ({ ...l, version: int(l.version), at: l.at.toISOString() });

const CREATE_LOG = `CREATE (t)-[:LOGGED]->(:TagLog {id: $log.id, tagId: t.id, action: $log.action, version: $log.version, by: $log.by, at: datetime($log.at),
  changeId: $log.changeId, approvedBy: $log.approvedBy, reason: $log.reason})`;

/**
 * Publishes an approved version, atomically: the version served until now becomes SUPERSEDED, this
 * one PUBLISHED, the Tag node takes its content (every reader switches at the commit), and the
 * publish log gains an entry.
 */
export async function publishVersion(tx: Cypher, tagId: string, version: number, log: LogWrite): Promise<void> {
  await tx.write(
    `MATCH (t:Tag {id: $tagId})-[:VERSION]->(v:TagVersion {version: $version})
     CALL (t, v) {
       MATCH (t)-[:VERSION]->(old:TagVersion {status: 'PUBLISHED'}) WHERE old <> v
       SET old.status = 'SUPERSEDED', old.supersededAt = datetime($log.at)
     }
     SET v.status = 'PUBLISHED', v.publishedBy = $log.by, v.publishedAt = datetime($log.at)
     SET t.name = v.name, t.level1 = v.level1, t.level2 = v.level2, t.definition = v.definition, t.market = v.market,
       t.scope = v.scope, t.regionId = v.regionId, t.owner = v.owner, t.source = coalesce(v.source, 'SEEDED'), t.rule = v.rule,
       t.version = v.version, t.status = 'PUBLISHED', t.publishedAt = datetime($log.at)
     REMOVE t.offlineAt
     WITH t
     ${CREATE_LOG}`,
    { tagId, version: int(version), log: logParams(log) },
  );
}

/** Takes a tag offline: the tag and the version it served become OFFLINE, and the log says who asked and who approved. */
export async function offlineTag(tx: Cypher, tagId: string, log: LogWrite): Promise<void> {
  await tx.write(
    `MATCH (t:Tag {id: $tagId})
     CALL (t) {
       MATCH (t)-[:VERSION]->(v:TagVersion {status: 'PUBLISHED'})
       SET v.status = 'OFFLINE'
     }
     SET t.status = 'OFFLINE', t.offlineAt = datetime($log.at)
     WITH t
     ${CREATE_LOG}`,
    { tagId, log: logParams(log) },
  );
}

// ───────────────────────────── statistics ─────────────────────────────

/**
 * Recomputes one tag's statistics from its HAS_TAG edges (one scan of them): the customers holding
 * it, the latest time a value was computed, and for a category tag its values with their counts
 * (the TagValue nodes the indicator search finds). Returns false when there is no such tag.
 */
export async function refreshTagStatistics(tx: Cypher, id: string): Promise<boolean> {
  const rows = await tx.write<{ id: string }>(
    `MATCH (t:Tag {id: $id})
     CALL (t) {
       OPTIONAL MATCH (t)<-[h:HAS_TAG]-()
       WITH h.value AS value, count(h) AS n, max(h.at) AS at
       RETURN sum(n) AS customers, max(at) AS refreshedAt, [g IN collect({value: value, n: n}) WHERE g.value IS NOT NULL AND g.n > 0] AS groups
     }
     SET t.customers = customers, t.refreshedAt = refreshedAt, t.statsAt = datetime()
     WITH t, CASE WHEN t.valueType = 'CATEGORY' THEN groups ELSE [] END AS held
     CALL (t, held) {
       UNWIND held AS g
       MERGE (v:TagValue {tagId: t.id, value: g.value}) SET v.customers = g.n
     }
     CALL (t, held) {
       MATCH (old:TagValue {tagId: t.id}) WHERE NOT old.value IN [g IN held | g.value]
       DETACH DELETE old
     }
     RETURN t.id AS id`,
    { id },
  );
  return rows.length > 0;
}

/** A tag's statistics computed elsewhere (the seed counts them as it generates customers). */
export interface TagStatisticsRow {
  id: string;
  customers: number;
  /** ISO-8601: the latest time a customer's value was computed; null when nobody holds it. */
  refreshedAt: string | null;
  /** A category tag's values and their customers; empty for other tags. */
  values: Array<{ value: string; customers: number }>;
}

/**
 * Writes tags' statistics as given, in one statement, exactly as {@link refreshTagStatistics}
 * would compute them from the edges: for a seed that counted them while generating, so a million
 * customers need no scan of their tags.
 */
export async function writeTagStatistics(graph: Cypher, rows: readonly TagStatisticsRow[]): Promise<void> {
  await graph.write(
    `UNWIND $rows AS r
     MATCH (t:Tag {id: r.id})
     SET t.customers = r.customers, t.refreshedAt = CASE WHEN r.refreshedAt IS NULL THEN null ELSE datetime(r.refreshedAt) END, t.statsAt = datetime()
     WITH t, CASE WHEN t.valueType = 'CATEGORY' THEN r.values ELSE [] END AS held
     CALL (t, held) {
       UNWIND held AS g
       MERGE (v:TagValue {tagId: t.id, value: g.value}) SET v.customers = g.customers
     }
     CALL (t, held) {
       MATCH (old:TagValue {tagId: t.id}) WHERE NOT old.value IN [g IN held | g.value]
       DETACH DELETE old
     }`,
    { rows: rows.map((r) => ({ ...r, customers: int(r.customers), values: r.values.map((v) => ({ value: v.value, customers: int(v.customers) })) })) },
  );
}

// ───────────────────────────── indicator search ─────────────────────────────

export interface AttributeIndicator {
  code: string;
  name: string;
  definition: string;
  type: string;
  values: Array<{ value: string; name: string }>;
}

/**
 * Mirrors the customer attributes (and their enumerated values) into the graph for the indicator
 * search: written as given, those no longer given removed. Idempotent; one statement, so a
 * gateway's start costs one round trip.
 */
export async function syncAttributeIndicators(graph: Cypher, attributes: readonly AttributeIndicator[]): Promise<void> {
  await graph.write(
    `UNWIND $attributes AS a
     MERGE (n:Attribute {code: a.code}) SET n.name = a.name, n.definition = a.definition, n.type = a.type
     WITH a
     CALL (a) {
       UNWIND a.values AS v
       MERGE (x:AttributeValue {attribute: a.code, value: v.value}) SET x.name = v.name
     }
     WITH count(*) AS _
     CALL () { MATCH (n:Attribute) WHERE NOT n.code IN $codes DETACH DELETE n }
     CALL () { MATCH (x:AttributeValue) WHERE NOT (x.attribute + ' ' + x.value) IN $values DETACH DELETE x }`,
    { attributes, codes: attributes.map((a) => a.code), values: attributes.flatMap((a) => a.values.map((v) => `${a.code} ${v.value}`)) },
  );
}

/** What an indicator search hit is: a tag, a category tag's value, a customer attribute, an enumerated attribute's value. */
export const INDICATOR_KINDS = ["TAG", "TAG_VALUE", "ATTRIBUTE", "ATTRIBUTE_VALUE"] as const;
export type IndicatorKind = (typeof INDICATOR_KINDS)[number];

export interface IndicatorRow {
  kind: IndicatorKind;
  /** The tag's code or the attribute's name. */
  code: string;
  /** The tag's name or the attribute's label. */
  name: string;
  value: string | null;
  /** An attribute value's label ("流失预警期"). */
  valueLabel: string | null;
  description: string;
  level1: string | null;
  level2: string | null;
  /** FLAG, CATEGORY, SCORE for tags; number, string, boolean for attributes. */
  valueType: string;
  tagId: string | null;
  status: TagStatus | null;
  /** Customers holding the tag (or the value) when statistics were last refreshed. */
  customers: number | null;
  score: number;
  /** 0: the code typed exactly; 1: the name or value typed exactly; 2: the rest, by score. */
  tier: number;
}

export interface IndicatorQuery {
  /** A Lucene query (src/tags/search.ts builds it from what was typed). */
  lucene: string;
  /** What was typed, trimmed: equal to a code (case aside), a name or a value, it ranks first. */
  text: string;
  kinds: readonly IndicatorKind[] | null;
  includeUnserved: boolean;
  /** Hits read from the index before filtering and ranking. */
  window: number;
  first: number;
}

/**
 * The indicator search: the full-text index's hits, ranked by tier (exact code, then exact name or
 * value) and then by Lucene's score, filtered by kind and, unless asked otherwise, to what a
 * segment may use now (published tags and their values, every attribute).
 */
export async function searchIndicators(graph: Cypher, q: IndicatorQuery): Promise<IndicatorRow[]> {
  return graph.read<IndicatorRow>(
    `CALL db.index.fulltext.queryNodes($index, $lucene, {limit: $window}) YIELD node, score
     WITH node, score, CASE WHEN node:Tag THEN 'TAG' WHEN node:TagValue THEN 'TAG_VALUE' WHEN node:Attribute THEN 'ATTRIBUTE' ELSE 'ATTRIBUTE_VALUE' END AS kind
     WHERE $kinds IS NULL OR kind IN $kinds
     OPTIONAL MATCH (owner:Tag {id: node.tagId})
     OPTIONAL MATCH (attribute:Attribute {code: node.attribute})
     WITH node, score, kind, CASE kind WHEN 'TAG' THEN node WHEN 'TAG_VALUE' THEN owner END AS t,
       CASE kind WHEN 'ATTRIBUTE' THEN node WHEN 'ATTRIBUTE_VALUE' THEN attribute END AS a
     WHERE (t IS NOT NULL OR a IS NOT NULL) AND ($includeUnserved OR t IS NULL OR t.status = 'PUBLISHED')
     ${DERIVE}
     WITH node, score, kind, t, a, status,
       CASE WHEN kind IN ['TAG', 'ATTRIBUTE'] AND toUpper(node.code) = toUpper($text) THEN 0
            WHEN node.name = $text OR node.value = $text THEN 1 ELSE 2 END AS tier
     ORDER BY tier, score DESC, coalesce(t.code, a.code), node.value
     LIMIT $first
     RETURN kind, coalesce(t.code, a.code) AS code, coalesce(t.name, a.name) AS name, node.value AS value,
       CASE kind WHEN 'ATTRIBUTE_VALUE' THEN node.name END AS valueLabel,
       coalesce(t.definition, a.definition, '') AS description, t.level1 AS level1, t.level2 AS level2,
       coalesce(t.valueType, a.type) AS valueType, t.id AS tagId, status,
       CASE kind WHEN 'TAG' THEN t.customers WHEN 'TAG_VALUE' THEN node.customers END AS customers, score, tier`,
    {
      index: INDICATOR_SEARCH_INDEX,
      lucene: q.lucene,
      text: q.text,
      kinds: q.kinds,
      includeUnserved: q.includeUnserved,
      window: int(q.window),
      first: int(q.first),
      pendingPrefix: PENDING_PREFIX,
    },
  );
}

/** Ids of the tags a library text filter finds (at most `limit`), whatever their rank. */
export async function tagIdsMatching(graph: Cypher, lucene: string, limit: number): Promise<string[]> {
  const rows = await graph.read<{ id: string }>(
    `CALL db.index.fulltext.queryNodes($index, $lucene, {limit: $limit}) YIELD node
     WITH node WHERE node:Tag OR node:TagValue
     RETURN DISTINCT coalesce(node.tagId, node.id) AS id`,
    { index: INDICATOR_SEARCH_INDEX, lucene, limit: int(limit) },
  );
  return rows.map((r) => r.id);
}

/** Every tag's id, code, name and status (the library's verdict filter). */
export async function allTagCodes(graph: Cypher): Promise<Array<{ id: string; code: string; name: string; status: string }>> {
  return graph.read(`MATCH (t:Tag) RETURN t.id AS id, t.code AS code, t.name AS name, t.status AS status`);
}
