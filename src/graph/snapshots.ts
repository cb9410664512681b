import { int, type Cypher } from "../platform/neo4j";

/**
 * Materialised segments: `(:Segment)-[:SNAPSHOT]->(:SegmentSnapshot)`. A snapshot keeps its members
 * as ONE byte-array property, `members`: the bitmap of their dense customer index (`Customer.idx`,
 * bit i = byte i>>3, most significant bit first, as Redis lays it out), not one relationship per
 * member. A million customers is 125 KB on one node, written in one statement and read in one;
 * a relationship per member would be a million writes per snapshot and as many deletions when it
 * is pruned. Paging reads the bytes and asks customers by idx (the unique `customer_idx` index).
 * The bitmap is immutable once READY, so campaigns can target a snapshot and get the same members.
 */

/** The constraint and index snapshots rely on (also run by `ensureSnapshotSchema` at start). */
export const SNAPSHOT_SCHEMA: readonly string[] = [
  "CREATE CONSTRAINT segment_snapshot_id IF NOT EXISTS FOR (s:SegmentSnapshot) REQUIRE s.id IS UNIQUE",
  "CREATE RANGE INDEX segment_snapshot_taken IF NOT EXISTS FOR (s:SegmentSnapshot) ON (s.segmentId, s.takenAt)",
];

export async function ensureSnapshotSchema(graph: Cypher): Promise<void> {
  for (const statement of SNAPSHOT_SCHEMA) await graph.write(statement);
}

export type SnapshotState = "RUNNING" | "READY" | "FAILED";
/** What started a snapshot: a person (materializeSegment) or the segment's refresh schedule. */
export type SnapshotTrigger = "MANUAL" | "SCHEDULE";

/** A snapshot without its members' bytes. */
export interface SnapshotRecord {
  id: string;
  segmentId: string;
  segmentCode: string;
  /** The expression as it was when the snapshot was taken, and its version (a hash of its text). */
  expression: string;
  version: string;
  trigger: SnapshotTrigger;
  requestedBy: string;
  takenAt: Date;
  finishedAt: Date | null;
  state: SnapshotState;
  /** 0..1 by stage: 0 queued, 0.2 evaluating, 0.6 stored in Redis and being written, 1 done. */
  progress: number;
  size: number;
  /** Customers in the index when it was taken (its share's denominator). */
  customers: number;
  error: string | null;
}

type RawSnapshot = Omit<SnapshotRecord, "takenAt" | "finishedAt"> & { takenAt: number; finishedAt: number | null };

const PROJECTION = `s {.id, .segmentId, .segmentCode, .expression, .version, .trigger, .requestedBy, .state, .progress, .size, .customers, .error,
  takenAt: s.takenAt.epochMillis, finishedAt: s.finishedAt.epochMillis}`;

function toSnapshot(s: RawSnapshot): SnapshotRecord {
  return { ...s, error: s.error ?? null, takenAt: new Date(s.takenAt), finishedAt: s.finishedAt === null ? null : new Date(s.finishedAt) };
}

/** The segment a snapshot is taken of, as it is now (null: no such segment). */
export interface SnapshotSegment {
  id: string;
  code: string;
  expression: string;
  /** The refresh schedule: the hour (0–23) each day in `refreshTimezone`, or null for none. */
  refreshHour: number | null;
  refreshTimezone: string | null;
}

export async function snapshotSegment(graph: Cypher, id: string): Promise<SnapshotSegment | null> {
  const rows = await graph.read<{ g: SnapshotSegment }>(
    `MATCH (g:Segment {id: $id}) RETURN g {.id, .code, .expression, refreshHour: g.refreshHour, refreshTimezone: g.refreshTimezone} AS g`,
    { id },
  );
  const g = rows[0]?.g;
  return g ? { ...g, refreshHour: g.refreshHour ?? null, refreshTimezone: g.refreshTimezone ?? null } : null;
}

/** Every segment with a refresh schedule (to re-register the schedules at start). */
export async function scheduledSegments(graph: Cypher): Promise<SnapshotSegment[]> {
  const rows = await graph.read<{ g: SnapshotSegment }>(
    `MATCH (g:Segment) WHERE g.refreshHour IS NOT NULL RETURN g {.id, .code, .expression, .refreshHour, .refreshTimezone} AS g`,
  );
  return rows.map((r) => r.g);
}

/** Sets (hour null: clears) a segment's refresh schedule; false when there is no such segment. */
export async function writeRefreshSchedule(graph: Cypher, id: string, hour: number | null, timezone: string | null): Promise<boolean> {
  const rows = await graph.write<{ id: string }>(`MATCH (g:Segment {id: $id}) SET g.refreshHour = $hour, g.refreshTimezone = $timezone RETURN g.id AS id`, {
    id,
    hour: hour === null ? null : int(hour),
    timezone,
  });
  return rows.length > 0;
}

/** A RUNNING snapshot of a segment (its members come with {@link completeSnapshot}); null when the segment is gone. */
export async function insertSnapshot(
  graph: Cypher,
  s: { id: string; segmentId: string; expression: string; version: string; trigger: SnapshotTrigger; requestedBy: string; takenAt: Date },
): Promise<SnapshotRecord | null> {
  const rows = await graph.write<{ s: RawSnapshot }>(
    `MATCH (g:Segment {id: $r.segmentId})
     CREATE (g)-[:SNAPSHOT]->(s:SegmentSnapshot {id: $r.id, segmentId: g.id, segmentCode: g.code, expression: $r.expression, version: $r.version,
       trigger: $r.trigger, requestedBy: $r.requestedBy, takenAt: datetime({epochMillis: $takenAt}), finishedAt: null,
       state: 'RUNNING', progress: 0.0, size: 0, customers: 0, error: null})
     RETURN ${PROJECTION} AS s`,
    { r: { id: s.id, segmentId: s.segmentId, expression: s.expression, version: s.version, trigger: s.trigger, requestedBy: s.requestedBy }, takenAt: int(s.takenAt.getTime()) },
  );
  return rows[0] ? toSnapshot(rows[0].s) : null;
}

export async function snapshotProgress(graph: Cypher, id: string, progress: number): Promise<void> {
  await graph.write(`MATCH (s:SegmentSnapshot {id: $id}) WHERE s.state = 'RUNNING' SET s.progress = $progress`, { id, progress });
}

/** Stores the members and marks the snapshot READY, in one statement (never a READY snapshot without its members). */
export async function completeSnapshot(graph: Cypher, id: string, r: { members: Buffer; size: number; customers: number }): Promise<void> {
  await graph.write(
    `MATCH (s:SegmentSnapshot {id: $id})
     SET s.members = $members, s.size = $size, s.customers = $customers, s.state = 'READY', s.progress = 1.0, s.finishedAt = datetime()`,
    { id, members: new Int8Array(r.members.buffer, r.members.byteOffset, r.members.byteLength), size: int(r.size), customers: int(r.customers) },
  );
}

export async function failSnapshot(graph: Cypher, id: string, error: string): Promise<void> {
  await graph.write(`MATCH (s:SegmentSnapshot {id: $id}) WHERE s.state <> 'READY' SET s.state = 'FAILED', s.error = $error, s.finishedAt = datetime()`, { id, error });
}

/**
 * Deletes a segment's finished snapshots beyond the newest `keep` (RUNNING ones are left to
 * finish). Returns how many were deleted.
 */
export async function pruneSnapshots(graph: Cypher, segmentId: string, keep: number): Promise<number> {
  const rows = await graph.write<{ n: number }>(
    `MATCH (s:SegmentSnapshot {segmentId: $segmentId}) WHERE s.state <> 'RUNNING'
     WITH s ORDER BY s.takenAt DESC, s.id DESC SKIP $keep
     DETACH DELETE s RETURN count(*) AS n`,
    { segmentId, keep: int(keep) },
  );
  return rows[0]?.n ?? 0;
}

export async function snapshotsById(graph: Cypher, ids: readonly string[]): Promise<Map<string, SnapshotRecord>> {
  const rows = await graph.read<{ s: RawSnapshot }>(`UNWIND $ids AS id MATCH (s:SegmentSnapshot {id: id}) RETURN ${PROJECTION} AS s`, { ids: [...new Set(ids)] });
  return new Map(rows.map((r) => [r.s.id, toSnapshot(r.s)]));
}

/** A segment's snapshots newest first, after (takenAt ms, id) when given, at most `limit`. */
export async function snapshotsOf(graph: Cypher, segmentId: string, after: [number, string] | null, limit: number): Promise<SnapshotRecord[]> {
  const rows = await graph.read<{ s: RawSnapshot }>(
    `MATCH (s:SegmentSnapshot {segmentId: $segmentId})
     WHERE $after IS NULL OR s.takenAt < datetime({epochMillis: $after[0]}) OR (s.takenAt = datetime({epochMillis: $after[0]}) AND s.id < $after[1])
     RETURN ${PROJECTION} AS s ORDER BY s.takenAt DESC, s.id DESC LIMIT $limit`,
    { segmentId, after: after ? [int(after[0]), after[1]] : null, limit: int(limit) },
  );
  return rows.map((r) => toSnapshot(r.s));
}

/** A READY snapshot's members bitmap (null: no such snapshot, or not READY). */
export async function snapshotMembers(graph: Cypher, id: string): Promise<Buffer | null> {
  const rows = await graph.read<{ members: Int8Array | Uint8Array | null }>(`MATCH (s:SegmentSnapshot {id: $id}) WHERE s.state = 'READY' RETURN s.members AS members`, { id });
  const bytes = rows[0]?.members;
  if (bytes === undefined || bytes === null) return rows.length > 0 ? Buffer.alloc(0) : null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
