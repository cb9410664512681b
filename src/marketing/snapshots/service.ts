import { createHash, randomBytes } from "node:crypto";
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { RequestScope } from "../../customer360/scope";
import { customersAtIdx, type SampleMemberRecord as GraphMember } from "../../graph/segments";
import {
  completeSnapshot,
  ensureSnapshotSchema,
  failSnapshot,
  insertSnapshot,
  pruneSnapshots,
  scheduledSegments,
  snapshotMembers,
  snapshotProgress,
  snapshotSegment,
  snapshotsById,
  snapshotsOf,
  writeRefreshSchedule,
  type SnapshotRecord,
  type SnapshotTrigger,
} from "../../graph/snapshots";
import { BadUserInputError, NotFoundError, ServiceUnavailableError } from "../../platform/errors";
import { keys } from "../../platform/keys";
import type { Logger } from "../../platform/logger";
import type { Cypher, Graph } from "../../platform/neo4j";
import { redisCall } from "../../platform/redis";
import { membersOf } from "../../segments/preview/bits";
import type { SegmentPreviews } from "../../segments/preview/service";
import { shownMember, type SampleMemberRecord } from "../../segments/preview/service";
import { QueueConnections } from "../../platform/queue-connections";

export type { SnapshotRecord } from "../../graph/snapshots";

/**
 * Materialised segments: a snapshot of a segment's members, taken by `materializeSegment` or by the
 * segment's daily refresh schedule, kept durably in the graph as the bitmap of their customer idx
 * (src/graph/snapshots.ts says why a byte array and not relationships), paged and exported as CSV
 * masked by role and within the asker's region scope.
 *
 * Taking one is a BullMQ job (queue `snapshots`, keys under `<prefix>{bull}:snapshots:*`, see
 * src/platform/keys.ts): the mutation writes a RUNNING snapshot and queues its job; a worker on
 * any replica evaluates the expression into a Redis bitmap (src/segments/preview), stores the bytes
 * on the snapshot node and marks it READY in one statement. A replica that dies mid-job leaves the
 * job to BullMQ's stalled-job recovery, so a snapshot does not stay RUNNING for ever. Schedules are
 * BullMQ job schedulers with id `segment-<id>` (`upsertJobScheduler`): one per segment however
 * many replicas register it, and each run produces one job.
 */

/** Finished snapshots kept per segment: a month of daily refreshes. Older ones are deleted after each new one. */
export const KEEP_SNAPSHOTS = 30;
export const MAX_SNAPSHOT_PAGE = 100;
export const MAX_MEMBER_PAGE = 500;
/** Idx asked of the graph per statement while paging or exporting. */
const IDX_CHUNK = 1_000;
const QUEUE = keys.snapshotQueue.name();
/** How long a snapshot's evaluation stays in Redis before its bytes are read (they are read at once and dropped). */
const RESULT_TTL_MS = 120_000;
const DEFAULT_TIMEZONE = "Asia/Shanghai";
/** How long a shutdown waits for a running snapshot job (it is retried elsewhere if cut). */

export interface SnapshotConfig {
  /** Tests: schedules repeat every this many ms instead of daily at their hour. */
  scheduleEveryMs?: number;
  /** Start the worker that takes snapshots (default true). */
  worker?: boolean;
}

interface SnapshotJob {
  /** A snapshot already written as RUNNING (materializeSegment), or none: a scheduled run writes its own. */
  snapshotId?: string;
  segmentId: string;
}

export interface SnapshotConnection {
  edges: Array<{ cursor: string; node: SnapshotRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface MemberConnection {
  edges: Array<{ cursor: string; node: SnapshotMember }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A member as paged and exported: what a preview's sample shows, with its idx (the cursor). */
export type SnapshotMember = SampleMemberRecord & { idx: number };

export interface RefreshSchedule {
  hour: number;
  timezone: string;
}

export class SegmentSnapshots {
  private queue: Queue<SnapshotJob> | null = null;
  private worker: Worker<SnapshotJob> | null = null;
  /** The snapshot constraint and index, created once per process (idempotent statements). */
  private schema: Promise<void> | null = null;
  private readonly prefix: string;
  private stopped = false;

  private readonly connections: QueueConnections;

  constructor(
    private readonly graph: Graph,
    redis: Redis,
    private readonly previews: SegmentPreviews,
    private readonly log: Logger,
    private readonly config: SnapshotConfig = {},
  ) {
    this.connections = new QueueConnections(redis, log, "snapshot queue");
    // BullMQ does not support ioredis's keyPrefix: its own prefix carries the deployment's
    this.prefix = keys.snapshotQueue.prefix(redis.options.keyPrefix ?? "");
  }


  private jobs(): Queue<SnapshotJob> {
    // after stop, nothing opens a connection again (the schedules' registration may still be running)
    if (this.stopped) throw new ServiceUnavailableError("redis", "the gateway is shutting down, so the snapshot queue is closed", "stopped");
    return (this.queue ??= new Queue<SnapshotJob>(QUEUE, {
      connection: this.connections.open(false),
      prefix: this.prefix,
      defaultJobOptions: { attempts: 3, backoff: { type: "exponential", delay: 2_000 }, removeOnComplete: 1_000, removeOnFail: 1_000 },
    }));
  }

  /** Starts the worker and registers the schedules the graph holds (idempotent: a scheduler id is one per segment). */
  start(): void {
    this.stopped = false;
    // connected before the first materializeSegment needs it (its connection does not queue commands)
    this.jobs();
    if (this.config.worker ?? true) {
      this.worker = new Worker<SnapshotJob>(QUEUE, (job) => this.process(job), { connection: this.connections.open(true), prefix: this.prefix, concurrency: 2 });
      this.worker.on("error", (err: Error) => this.log.warn({ err: err.message }, "snapshot worker error"));
    }
    void (async () => {
      await this.ensureSchema();
      for (const g of await scheduledSegments(this.graph.backgroundSession(60_000))) await this.register(g.id, g.refreshHour as number, g.refreshTimezone ?? DEFAULT_TIMEZONE);
    })().catch((error: unknown) => this.log.warn({ err: message(error) }, "registering segment refresh schedules at start failed; setting a schedule registers it again"));
  }

  private ensureSchema(): Promise<void> {
    return (this.schema ??= ensureSnapshotSchema(this.graph.backgroundSession(60_000)).catch((error: unknown) => {
      this.schema = null;
      throw error;
    }));
  }

  /** Lets a running job finish (a few seconds at most), then disconnects: a Redis that is away cannot hold a shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.connections.close(this.worker?.close(), this.queue?.close());
    this.worker = null;
    this.queue = null;
  }

  // ───────────────────────────── taking snapshots ─────────────────────────────

  /** Writes a RUNNING snapshot of the segment and queues its job; NOT_FOUND for an unknown segment. */
  async materialize(scope: RequestScope, segmentId: string): Promise<SnapshotRecord> {
    await this.ensureSchema();
    const snapshot = await this.begin(scope.graph, segmentId, "MANUAL", scope.principal.id);
    await redisCall(this.jobs().add("materialize", { snapshotId: snapshot.id, segmentId }, { jobId: `snapshot-${snapshot.id}` }));
    scope.audit.change({ action: "CREATE", targetType: "SegmentSnapshot", targetId: snapshot.id, before: null, after: { segmentId, version: snapshot.version } });
    return snapshot;
  }

  private async begin(graph: Cypher, segmentId: string, trigger: SnapshotTrigger, requestedBy: string): Promise<SnapshotRecord> {
    const segment = await snapshotSegment(graph, segmentId);
    if (!segment) throw new NotFoundError(`There is no segment with id ${segmentId}; see the segments query.`);
    const snapshot = await insertSnapshot(graph, {
      id: `SS${Date.now().toString(36).toUpperCase()}${randomBytes(4).toString("hex").toUpperCase()}`,
      segmentId,
      expression: segment.expression,
      version: createHash("sha256").update(segment.expression).digest("hex").slice(0, 12),
      trigger,
      requestedBy,
      takenAt: new Date(),
    });
    if (!snapshot) throw new NotFoundError(`There is no segment with id ${segmentId}; it was deleted meanwhile.`);
    return snapshot;
  }

  /** A job: a scheduled run writes its snapshot first; then evaluate, store, prune. */
  private async process(job: Job<SnapshotJob>): Promise<void> {
    const session = this.graph.backgroundSession(120_000);
    let id = job.data.snapshotId;
    if (!id) {
      // a scheduled run; a retry of it reuses the snapshot its first attempt wrote
      id = (job.data.snapshotId = (await this.begin(session, job.data.segmentId, "SCHEDULE", "schedule")).id);
      await job.updateData(job.data);
    }
    try {
      await this.take(id, job.data.segmentId);
    } catch (error) {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await failSnapshot(session, id, message(error)).catch(() => undefined);
      throw error;
    }
  }

  /** Evaluates the snapshot's expression (as it was when the snapshot was written) and stores its members. */
  async take(id: string, segmentId: string): Promise<void> {
    const session = this.graph.backgroundSession(120_000);
    const snapshot = (await snapshotsById(session, [id])).get(id);
    if (!snapshot || snapshot.state === "READY") return;
    await snapshotProgress(session, id, 0.2);
    const checked = await this.previews.check({ expression: snapshot.expression });
    const planned = await this.previews.plan(checked, this.previews.asOf(null));
    const resultKey = keys.segments.result(`snapshot:${id}`);
    try {
      const result = await this.previews.index.evaluate(planned, resultKey, RESULT_TTL_MS);
      await snapshotProgress(session, id, 0.6);
      const bytes = await this.previews.index.store.bytes(resultKey);
      await completeSnapshot(session, id, { members: bytes, size: result.members, customers: result.customers });
    } finally {
      await this.previews.index.store.drop(resultKey).catch(() => undefined);
    }
    await pruneSnapshots(session, segmentId, KEEP_SNAPSHOTS);
  }

  // ───────────────────────────── schedules ─────────────────────────────

  /** Sets (hour null: removes) a segment's daily refresh; returns it. */
  async setSchedule(scope: RequestScope, segmentId: string, hour: number | null, timezone: string | null): Promise<RefreshSchedule | null> {
    if (hour !== null && (!Number.isInteger(hour) || hour < 0 || hour > 23)) throw new BadUserInputError(`\`hour\` must be a whole hour from 0 to 23, or null for no refresh; got ${hour}.`, "hour");
    const tz = timezone ?? DEFAULT_TIMEZONE;
    if (!validTimezone(tz)) throw new BadUserInputError(`\`timezone\` must be an IANA time zone such as "Asia/Shanghai"; got "${tz}".`, "timezone");
    const before = await snapshotSegment(scope.graph, segmentId);
    if (!before) throw new NotFoundError(`There is no segment with id ${segmentId}; see the segments query.`);
    // the schedule first: a graph that says "scheduled" while nothing runs would mislead more than the reverse
    if (hour === null) await redisCall(this.jobs().removeJobScheduler(schedulerId(segmentId)));
    else await this.register(segmentId, hour, tz);
    await writeRefreshSchedule(scope.graph, segmentId, hour, hour === null ? null : tz);
    const after = hour === null ? null : { hour, timezone: tz };
    scope.audit.change({ action: "SET", targetType: "SegmentSchedule", targetId: segmentId, before: before.refreshHour === null ? null : { hour: before.refreshHour, timezone: before.refreshTimezone }, after });
    return after;
  }

  private async register(segmentId: string, hour: number, timezone: string): Promise<void> {
    const every = this.config.scheduleEveryMs;
    await redisCall(
      this.jobs().upsertJobScheduler(schedulerId(segmentId), every ? { every } : { pattern: `0 ${hour} * * *`, tz: timezone }, { name: "refresh", data: { segmentId } }),
    );
  }

  // ───────────────────────────── reads ─────────────────────────────

  async snapshot(scope: RequestScope, id: string): Promise<SnapshotRecord | null> {
    return (await snapshotsById(scope.graph, [id])).get(id) ?? null;
  }

  /** A segment's snapshots newest first: its size over time. */
  async history(scope: RequestScope, segmentId: string, first: number, after: string | null): Promise<SnapshotConnection> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_SNAPSHOT_PAGE) throw new BadUserInputError(`\`first\` must be a whole number from 1 to ${MAX_SNAPSHOT_PAGE}; got ${first}.`, "first");
    const position = after ? decodeSnapshotCursor(after) : null;
    const rows = await snapshotsOf(scope.graph, segmentId, position, first + 1);
    const page = rows.slice(0, first);
    const edges = page.map((node) => ({ cursor: encode(["s", node.takenAt.getTime(), node.id]), node }));
    return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /** The refresh schedule of a segment, or null. */
  async schedule(scope: RequestScope, segmentId: string): Promise<RefreshSchedule | null> {
    const g = await snapshotSegment(scope.graph, segmentId);
    return g && g.refreshHour !== null ? { hour: g.refreshHour, timezone: g.refreshTimezone ?? DEFAULT_TIMEZONE } : null;
  }

  /** The members' idx of a READY snapshot, ascending; NOT_FOUND, or BAD_USER_INPUT while it is not ready. */
  async memberIdx(scope: RequestScope, id: string): Promise<{ snapshot: SnapshotRecord; idx: number[] }> {
    const snapshot = await this.snapshot(scope, id);
    if (!snapshot) throw new NotFoundError(`There is no segment snapshot ${id}; see a segment's snapshots.`);
    if (snapshot.state !== "READY") {
      throw new BadUserInputError(`Snapshot ${id} is ${snapshot.state}${snapshot.state === "RUNNING" ? ` (${Math.round(snapshot.progress * 100)}%); its members can be read once it is READY` : `: ${snapshot.error ?? "it failed"}; take another with materializeSegment`}.`, "id");
    }
    const bytes = (await snapshotMembers(scope.graph, id)) ?? Buffer.alloc(0);
    return { snapshot, idx: membersOf(bytes) };
  }

  /** A page of a snapshot's members in idx order, within the asker's scope, masked unless it may see them whole. */
  async members(scope: RequestScope, id: string, first: number, after: string | null): Promise<MemberConnection> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_MEMBER_PAGE) throw new BadUserInputError(`\`first\` must be a whole number from 1 to ${MAX_MEMBER_PAGE}; got ${first}.`, "first");
    const from = after === null ? -1 : decodeMemberCursor(after);
    const { idx } = await this.memberIdx(scope, id);
    const out: SnapshotMember[] = [];
    let hasNextPage = false;
    for await (const found of this.scoped(scope, idx, from, Math.max(first * 2, 100))) {
      for (const m of found) {
        if (out.length === first) {
          hasNextPage = true;
          break;
        }
        out.push(m);
      }
      if (hasNextPage) break;
    }
    const edges = out.map((node) => ({ cursor: encode(["m", node.idx]), node }));
    return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /**
   * Members after idx `from`, in idx order, within the asker's scope and masked for it, `chunk` idx
   * per statement. Used by paging and the CSV export.
   */
  async *scoped(scope: RequestScope, idx: readonly number[], from: number, chunk = IDX_CHUNK): AsyncGenerator<SnapshotMember[]> {
    const readScope = await scope.access.readScope();
    let start = lowerBound(idx, from + 1);
    while (start < idx.length) {
      const batch = idx.slice(start, start + chunk);
      start += batch.length;
      const found = await customersAtIdx(scope.graph, batch, readScope);
      yield Promise.all(found.map((c) => this.shown(scope, c)));
    }
  }

  private async shown(scope: RequestScope, c: GraphMember): Promise<SnapshotMember> {
    return { idx: c.idx, ...(await shownMember(scope, c)) };
  }
}

function schedulerId(segmentId: string): string {
  return `segment-${segmentId}`;
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The first position in ascending `xs` whose value is at least `x`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encode(value: unknown[]): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

function decode(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
  } catch {
    return null;
  }
}

function notOurs(cursor: string): never {
  throw new BadUserInputError(`\`after\` is not a cursor this API issued ("${cursor.slice(0, 40)}"); pass the \`endCursor\` of a previous page, or omit it to start from the beginning.`, "after");
}

function decodeSnapshotCursor(cursor: string): [number, string] {
  const v = decode(cursor);
  if (Array.isArray(v) && v[0] === "s" && typeof v[1] === "number" && typeof v[2] === "string") return [v[1], v[2]];
  return notOurs(cursor);
}

function decodeMemberCursor(cursor: string): number {
  const v = decode(cursor);
  if (Array.isArray(v) && v[0] === "m" && Number.isInteger(v[1]) && (v[1] as number) >= 0) return v[1] as number;
  return notOurs(cursor);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
