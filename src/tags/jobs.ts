import { randomBytes } from "node:crypto";
import DataLoader from "dataloader";
import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis as RedisClient } from "ioredis";
import { duplicateRedis } from "../platform/redis";
import { AuditCollector } from "../audit/collector";
import type { AuditService } from "../audit/service";
import { EVENT_PROCESSOR, type Principal } from "../auth/principal";
import type { ProfileInvalidator } from "../customer360/profiles";
import type { ReferenceData } from "../customer360/reference";
import type { RequestScope } from "../customer360/scope";
import { type RuleScan, firstUnknownCustomer, finishRun, importValues, lastRuns, noteRunError, publishedRuleTags, recordQueuedRun, refreshCustomers, removeValues, runBatch, runsById, startRun, type BatchResult, type ImportRow, type TagRunRecord } from "../graph/tag-runs";
import { refreshTagStatistics, tagsById, type LibraryTagRecord } from "../graph/tags";
import { BadUserInputError, ConflictError, NotFoundError, ServiceUnavailableError } from "../platform/errors";
import { DEFAULT_TAG_JOBS, type TagJobsConfig } from "../platform/config";
import type { InvalidationBus } from "../platform/invalidation";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Cypher, Graph } from "../platform/neo4j";
import type { CustomerChanges } from "../segments/preview/index";
import type { FieldGroup } from "../segments/preview/fields";
import type { SegmentPreviews } from "../segments/preview/service";
import { compileRule } from "./rules";
import type { TagService } from "./service";

/**
 * Rule tags computing themselves (标签自动计算), as BullMQ jobs on the gateway's Redis:
 *
 * - **one run at a time per tag across replicas**: every run of a tag is the job `run-<tagId>`;
 *   BullMQ adds a job whose id exists no second time, and one worker holds a job (a lock it renews).
 *   The daily schedule (a job scheduler per published rule tag) only *asks* for that job, so a
 *   scheduled and an on-demand run never overlap either.
 * - **the work**: customers in dense-idx ranges (`batch` per transaction): the rule's conditions are
 *   evaluated in the graph for the range and its HAS_TAG edges created, updated or deleted in the
 *   same statement, which moves the run's cursor (src/graph/tag-runs.ts). Why the graph and not the
 *   bitmaps: the edges must be written in the graph anyway (the batch's real work), so evaluating
 *   there costs no extra round trip and ships no member lists, reads the record rather than a
 *   derived copy that may be mid-build or seconds behind, and needs no segment index to be served.
 *   The bitmaps answer a *preview* in milliseconds; a job has minutes.
 * - **resumable**: a worker killed mid-run stops renewing its lock; another replica's stalled-job
 *   check puts the job back and it resumes at the cursor. A batch writes only where the cursor is,
 *   under the run's lock, so none is lost or applied twice.
 * - **retries** with exponential backoff; the last failure marks the run FAILED with its error.
 * - **at the end**: the holder count and lastRunAt on the tag, its statistics, its segment bitmaps
 *   refreshed, every replica told (reference data), and the run noted on the audit trail.
 *
 * Workers start with the gateway ({@link start}); tools that wire services without serving never
 * start them (and open no connection unless they ask for a run).
 */

/** Who the jobs act as, on the audit trail. */
export const TAG_JOBS: Principal = Object.freeze({ ...EVENT_PROCESSOR, id: "system:tag-jobs" });

/** Customers per statement, and rule tags per statement, of an incremental refresh. */
const REFRESH_CUSTOMERS = 500;
const REFRESH_TAGS = 20;
/** An import's rows at most. */
export const MAX_IMPORT = 10_000;
/** How long a shutdown waits for the queue to close before dropping its connections. */
const STOP_WAIT_MS = 5_000;
/** How long asking Redis for a job may take before the answer is SERVICE_UNAVAILABLE. */
const QUEUE_TIMEOUT_MS = 3_000;

interface RunData {
  tagId: string;
  runId: string;
  trigger: "DEMAND" | "SCHEDULE";
  requestedBy: string;
}

const jobIdOf = (tagId: string): string => `run-${tagId}`;
const schedulerIdOf = (tagId: string): string => `daily-${tagId}`;

/** A run as the API shows it, with its tag. */
export type TagRunView = TagRunRecord;

export class TagJobs implements CustomerChanges {
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  /** The clients given to BullMQ (the worker's blocking one is BullMQ's own duplicate of its client). */
  private connections: RedisClient[] = [];
  private readonly config: TagJobsConfig;
  /** Per request (keyed by its loaders): the latest runs of the tags a response shows, in one read. */
  private readonly perRequest = new WeakMap<object, DataLoader<string, TagRunRecord | null>>();

  /** The live decision profiles: tag values written are invalidated before the write is answered (set at wiring). */
  profiles: ProfileInvalidator | null = null;

  constructor(
    private readonly graph: Graph,
    /** The gateway's client: its options (URL, credentials, key prefix) are the queue's. */
    private readonly redis: RedisClient,
    private readonly reference: ReferenceData,
    private readonly tags: TagService,
    private readonly previews: SegmentPreviews,
    private readonly bus: InvalidationBus,
    private readonly audit: AuditService,
    private readonly log: Logger,
    config: Partial<TagJobsConfig> = {},
  ) {
    this.config = { ...DEFAULT_TAG_JOBS, ...config };
    tags.onServedChange((id) => this.syncSchedule(id));
  }

  // ───────────────────────────── connections ─────────────────────────────

  /** BullMQ prefixes its keys itself (it refuses ioredis' keyPrefix): the gateway's prefix + "{jobs}". */
  private get prefix(): string {
    return `${this.redis.options.keyPrefix ?? ""}${keys.tags.jobsPrefix()}`;
  }

  /**
   * Connection options for BullMQ, which opens (and closes) its own clients from them: the
   * gateway's Redis without its key prefix (BullMQ prefixes its keys itself and refuses a client
   * that does too). Workers block and must wait out an outage (BullMQ requires
   * maxRetriesPerRequest null); the producer answers requests, so it gives up after one retry and
   * a request waits at most QUEUE_TIMEOUT_MS for it.
   */
  private connection(forWorker: boolean): RedisClient {
    const client = duplicateRedis(this.redis, {
      keyPrefix: "",
      maxRetriesPerRequest: forWorker ? null : 1,
      // Commands wait for the first connection (the producer is opened on first use); an outage
      // still answers within QUEUE_TIMEOUT_MS (see queued).
      enableOfflineQueue: true,
    });
    client.on("error", (err: Error) => this.log.debug({ err: err.message }, "tag jobs: redis connection error"));
    this.connections.push(client);
    return client;
  }

  private getQueue(): Queue {
    if (!this.queue) {
      this.queue = new Queue("tags", { connection: this.connection(false), prefix: this.prefix, skipWaitingForReady: true });
      this.queue.on("error", (err: Error) => this.log.debug({ err: err.message }, "tag jobs: queue error"));
    }
    return this.queue;
  }

  /** Asks the queue, failing fast with SERVICE_UNAVAILABLE when Redis does not answer. */
  private async queued<T>(what: string, call: (queue: Queue) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(this.getQueue()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${QUEUE_TIMEOUT_MS} ms`)), QUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      throw new ServiceUnavailableError("redis", `the tag job queue cannot be reached, so ${what} failed and nothing was queued; try again once Redis is back`, message(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts this replica's worker and puts the schedules in line with the published rule tags. */
  start(): void {
    if (this.worker) return;
    this.worker = new Worker("tags", (job: Job) => this.process(job), {
      connection: this.connection(true),
      prefix: this.prefix,
      concurrency: 1,
      lockDuration: this.config.lockMs,
      stalledInterval: Math.max(1_000, Math.floor(this.config.lockMs / 2)),
      maxStalledCount: 3,
    });
    this.worker.on("error", (err: Error) => this.log.warn({ err: err.message }, "tag jobs: worker error"));
    void this.syncSchedules().catch((error: unknown) => this.log.warn({ err: message(error) }, "tag jobs: could not align the daily schedules at start; each publish aligns its own"));
  }

  /** Stops the worker (its job, if any, is released: another replica resumes it) and the queue. */
  async stop(): Promise<void> {
    const worker = this.worker;
    const queue = this.queue;
    this.worker = null;
    this.queue = null;
    // A graceful close QUITs Redis, which waits for ever while Redis is away: a shutdown waits a few
    // seconds for it, then drops the connections (a job cut off is resumed elsewhere at its cursor).
    const connections = this.connections;
    this.connections = [];
    const closed = Promise.allSettled([worker?.close(), queue?.close()]);
    if (await settlesWithin(closed, STOP_WAIT_MS)) {
      for (const c of connections) c.disconnect();
      return;
    }
    this.log.warn({}, "tag jobs: Redis did not let the queue close in time; its connections are dropped");
    for (const c of connections) c.disconnect();
    await settlesWithin(Promise.allSettled([worker?.disconnect(), queue?.disconnect()]), STOP_WAIT_MS);
  }

  /** Closes the worker at once, without letting its job finish: what a crash looks like to the others (tests). */
  async kill(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.close(true).catch(() => undefined);
  }

  // ───────────────────────────── asking ─────────────────────────────

  /** Runs a published rule tag now (or answers the run already queued or running for it). */
  async runTag(scope: RequestScope, tagId: string): Promise<TagRunRecord> {
    const tag = await this.runnable(scope.graph, tagId);
    const run = await this.enqueue(tag, "DEMAND", scope.principal.id);
    scope.audit.change({ action: "runTag", targetType: "Tag", targetId: tagId, before: null, after: { runId: run.id, state: run.state } });
    return run;
  }

  private async runnable(graph: Cypher, tagId: string): Promise<LibraryTagRecord> {
    const tag = (await tagsById(graph, [tagId])).get(tagId);
    if (!tag) throw new NotFoundError(`There is no tag with id ${tagId}; see the tags query.`);
    if (tag.status !== "PUBLISHED") {
      throw new ConflictError(`Tag ${tag.code} is ${tag.status.toLowerCase()}; only a published tag runs${tag.status === "OFFLINE" ? " (an offline tag never runs)" : ": publish it first"}.`);
    }
    if (tag.source !== "RULE" || !tag.rule) {
      throw new BadUserInputError(`Tag ${tag.code} is ${tag.source}: only a RULE tag's values are computed by a run${tag.source === "IMPORTED" ? "; import its values with importTagValues" : ""}.`, "id");
    }
    return tag;
  }

  private async enqueue(tag: LibraryTagRecord, trigger: RunData["trigger"], by: string): Promise<TagRunRecord> {
    const data: RunData = { tagId: tag.id, runId: runId(), trigger, requestedBy: by };
    const runIdNow = await this.queued("queuing the run", async (queue) => {
      const job = await queue.add("run", data, {
        jobId: jobIdOf(tag.id),
        attempts: this.config.attempts,
        backoff: { type: "exponential", delay: 2_000 },
        removeOnComplete: true,
        removeOnFail: true,
      });
      // A run queued or running already keeps its id: the job id is one per tag, and BullMQ
      // ignores an add whose id exists (the job it returns carries our data, so read the stored one).
      const stored = job.id ? await queue.getJob(job.id) : undefined;
      return (stored?.data as RunData | undefined)?.runId ?? data.runId;
    });
    await recordQueuedRun(this.graph.session(), { id: runIdNow, tagId: tag.id, trigger, requestedBy: by, at: new Date() });
    const run = (await runsById(this.graph.session(), [runIdNow])).get(runIdNow);
    if (!run) throw new NotFoundError(`Run ${runIdNow} of tag ${tag.code} was not recorded; ask again.`);
    return run;
  }

  /** A tag's latest run (batched per request); null before its first. */
  lastRun(scope: RequestScope, tagId: string): Promise<TagRunRecord | null> {
    let loader = this.perRequest.get(scope.loaders);
    if (!loader) {
      const graph = scope.graph;
      loader = new DataLoader(async (ids: readonly string[]) => {
        const found = await lastRuns(graph, ids);
        return ids.map((id) => found.get(id) ?? null);
      });
      this.perRequest.set(scope.loaders, loader);
    }
    return loader.load(tagId);
  }

  async run(scope: RequestScope, id: string): Promise<TagRunRecord | null> {
    return (await runsById(scope.graph, [id])).get(id) ?? null;
  }

  /** When the tag's daily run is due next; null when it has no schedule. */
  async nextRunAt(tagId: string): Promise<Date | null> {
    const scheduler = await this.queued("reading the schedule", (queue) => queue.getJobScheduler(schedulerIdOf(tagId)));
    return scheduler?.next ? new Date(scheduler.next) : null;
  }

  // ───────────────────────────── schedules ─────────────────────────────

  /** A published rule tag runs daily; any other tag (offline, or published without a rule) has no schedule. */
  async syncSchedule(tagId: string): Promise<void> {
    const tag = (await tagsById(this.graph.session(), [tagId])).get(tagId);
    const scheduled = tag !== undefined && tag.status === "PUBLISHED" && tag.source === "RULE" && tag.rule !== null;
    await this.queued("aligning the schedule", async (queue) => {
      if (scheduled) {
        await queue.upsertJobScheduler(schedulerIdOf(tagId), { pattern: this.config.dailyAt, tz: this.config.timezone }, { name: "tick", data: { tagId } });
      } else {
        await queue.removeJobScheduler(schedulerIdOf(tagId));
      }
    });
  }

  /** Every published rule tag has its schedule and no other tag has one. */
  private async syncSchedules(): Promise<void> {
    const tags = await publishedRuleTags(this.graph.session());
    // stopped meanwhile (a gateway closed right after it started): opening the queue now would hold the process
    if (this.worker === null) return;
    const wanted = new Set(tags.map((t) => schedulerIdOf(t.id)));
    const queue = this.getQueue();
    for (const s of await queue.getJobSchedulers()) {
      if (s.key && !wanted.has(s.key)) await queue.removeJobScheduler(s.key);
    }
    for (const t of tags) await this.syncSchedule(t.id);
  }

  // ───────────────────────────── the worker ─────────────────────────────

  private async process(job: Job): Promise<void> {
    if (job.name === "tick") {
      // The schedule asks for the tag's one run job, which never overlaps one running.
      const tagId = (job.data as { tagId: string }).tagId;
      try {
        await this.enqueue(await this.runnable(this.graph.session(), tagId), "SCHEDULE", TAG_JOBS.id);
      } catch (error) {
        if (error instanceof ConflictError || error instanceof BadUserInputError || error instanceof NotFoundError) {
          await this.syncSchedule(tagId);
          return;
        }
        throw error;
      }
      return;
    }
    const data = job.data as RunData;
    try {
      await this.execute(job, data);
    } catch (error) {
      const last = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const why = message(error);
      if (last) await finishRun(this.graph.session(), data.runId, { state: "FAILED", error: why }, new Date()).catch(() => undefined);
      else await noteRunError(this.graph.session(), data.runId, `attempt ${job.attemptsMade + 1} failed (tried again): ${why}`).catch(() => undefined);
      this.log.warn({ tag: data.tagId, run: data.runId, err: why, last }, "tag run failed");
      throw error;
    }
  }

  private async execute(job: Job, data: RunData): Promise<void> {
    const graph = this.graph.session();
    let tag: LibraryTagRecord;
    try {
      tag = await this.runnable(graph, data.tagId);
    } catch (error) {
      throw new UnrecoverableError(message(error));
    }
    let run: TagRunRecord | null = await startRun(graph, { id: data.runId, tagId: tag.id, trigger: data.trigger, requestedBy: data.requestedBy, version: tag.version, at: new Date() });
    if (!run) throw new UnrecoverableError(`run ${data.runId} of tag ${tag.code} has no record`);
    if (run.state === "SUCCEEDED" || run.state === "FAILED") return;
    const [vocabulary, products] = await Promise.all([this.previews.vocabulary(), this.reference.products()]);
    let rule: RuleScan;
    try {
      rule = compileRule({ id: tag.id, code: tag.code, valueType: tag.valueType, rule: tag.rule as string }, vocabulary, products, run.asOfMs ?? Date.now());
    } catch (error) {
      throw new UnrecoverableError(`the rule of tag ${tag.code} no longer checks: ${message(error)}`);
    }
    while (run.cursor < run.end) {
      const from = run.cursor;
      const to = Math.min(run.end, from + this.config.batch);
      const result: BatchResult = await this.graph.transaction((tx) => runBatch(tx, data.runId, rule, from, to, new Date()));
      if (!result.run) throw new UnrecoverableError(`run ${data.runId} of tag ${tag.code} disappeared`);
      run = result.run;
      // Tag values are what decisions read: the customers' own profiles go (no neighbours: adoption counts are holdings).
      await this.profiles?.invalidate(result.changedIds, { neighbours: false });
      if (run.state !== "RUNNING") return; // finished or failed elsewhere
      await job.updateProgress({ done: run.done, total: run.total });
      if (this.config.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, this.config.pauseMs));
    }
    const finished = await finishRun(graph, data.runId, { state: "SUCCEEDED" }, new Date());
    await refreshTagStatistics(graph, tag.id).catch((error: unknown) => this.log.warn({ tag: tag.code, err: message(error) }, "tag run: statistics not refreshed"));
    this.tags.refreshBitmaps(tag.code);
    await this.bus.publish("reference").catch((error: unknown) => this.log.warn({ tag: tag.code, err: message(error) }, "tag run: telling the replicas failed; their reference data expires"));
    const collector = new AuditCollector();
    collector.change({
      action: "tagRun",
      targetType: "Tag",
      targetId: tag.id,
      before: null,
      after: { runId: data.runId, version: tag.version, trigger: data.trigger, requestedBy: data.requestedBy, holders: finished?.holders, added: finished?.added, removed: finished?.removed, changed: finished?.changed },
    });
    this.audit.record(TAG_JOBS, collector, { name: "tagRun", type: "MUTATION", transport: "HTTP", subscription: null });
  }

  // ───────────────────────────── incremental ─────────────────────────────

  /**
   * Re-evaluates the published rule tags for these customers only (one statement per batch of
   * tags and customers) and writes their edges, then tells the segment index which changed.
   * Behind the caller's answer; failures are logged (the next daily run repairs them).
   */
  changed(ids: readonly string[], _groups?: readonly FieldGroup[]): void {
    this.refresh(ids).catch((error: unknown) => this.log.warn({ customers: ids.length, err: message(error) }, "tag jobs: refreshing customers' rule tags failed; their next run repairs it"));
  }

  /** {@link changed}, awaited: the ids of customers whose rule tags changed. */
  async refresh(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const graph = this.graph.session();
    const [tags, vocabulary, products] = await Promise.all([publishedRuleTags(graph), this.previews.vocabulary(), this.reference.products()]);
    const now = Date.now();
    const rules = tags.flatMap((t) => {
      try {
        return [compileRule(t, vocabulary, products, now)];
      } catch (error) {
        this.log.warn({ tag: t.code, err: message(error) }, "tag jobs: a rule no longer checks; skipped in the refresh");
        return [];
      }
    });
    const changed = new Set<string>();
    for (let i = 0; i < ids.length; i += REFRESH_CUSTOMERS) {
      const customers = ids.slice(i, i + REFRESH_CUSTOMERS);
      for (let j = 0; j < rules.length; j += REFRESH_TAGS) {
        for (const id of await refreshCustomers(graph, rules.slice(j, j + REFRESH_TAGS), customers, new Date())) changed.add(id);
      }
    }
    if (changed.size > 0) {
      await this.profiles?.invalidate([...changed], { neighbours: false });
      this.previews.index.changed([...changed], ["tags"]);
    }
    return [...changed];
  }

  // ───────────────────────────── imports ─────────────────────────────

  /** Sets listed customers' values of an IMPORTED tag, all or nothing (at most {@link MAX_IMPORT} rows). */
  async importValues(
    scope: RequestScope,
    tagId: string,
    values: ReadonlyArray<{ customerId: string; value?: string | null; score?: number | null }>,
  ): Promise<{ tag: LibraryTagRecord; rows: number; added: number; updated: number }> {
    const tag = await this.importable(scope, tagId);
    if (values.length === 0 || values.length > MAX_IMPORT) throw new BadUserInputError(`\`values\` must hold 1 to ${MAX_IMPORT} rows per call; got ${values.length}. Send larger imports in batches.`, "values");
    const seen = new Map<string, number>();
    const rows: ImportRow[] = values.map((v, i) => {
      const where = `values[${i}]`;
      const customerId = v.customerId?.trim() ?? "";
      if (!customerId) throw new BadUserInputError(`${where}.customerId is empty; every row names a customer.`, where);
      const earlier = seen.get(customerId);
      if (earlier !== undefined) throw new BadUserInputError(`${where} names customer ${customerId} again (as values[${earlier}] did); one row per customer.`, where);
      seen.set(customerId, i);
      if (tag.valueType === "FLAG") return { customerId, value: "true", score: 1 };
      if (tag.valueType === "CATEGORY") {
        const value = v.value?.trim() ?? "";
        if (!value || value.length > 40) throw new BadUserInputError(`${where}.value must be the category (1 to 40 characters) of CATEGORY tag ${tag.code}; got ${JSON.stringify(v.value ?? null)}.`, where);
        return { customerId, value, score: 1 };
      }
      const score = v.score;
      if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 1) {
        throw new BadUserInputError(`${where}.score must be a number from 0 to 1 for SCORE tag ${tag.code}; got ${JSON.stringify(score ?? null)}.`, where);
      }
      return { customerId, value: "true", score };
    });
    const unknown = await firstUnknownCustomer(scope.graph, rows.map((r) => r.customerId));
    if (unknown !== null) {
      throw new NotFoundError(`values[${unknown}] names customer ${rows[unknown]?.customerId}, who does not exist; nothing was imported. Fix or drop that row and send the batch again.`);
    }
    const result = await scope.graph.transaction((tx) => importValues(tx, tag.id, rows, new Date()));
    await this.profiles?.invalidate(rows.map((r) => r.customerId), { neighbours: false });
    scope.audit.change({ action: "importTagValues", targetType: "Tag", targetId: tag.id, before: null, after: { rows: rows.length, ...result } });
    this.afterValues(tag, rows.map((r) => r.customerId));
    return { tag, rows: rows.length, ...result };
  }

  /** Removes listed customers' values of an IMPORTED tag (at most {@link MAX_IMPORT}). */
  async removeValues(scope: RequestScope, tagId: string, customerIds: readonly string[]): Promise<{ tag: LibraryTagRecord; removed: number }> {
    const tag = await this.importable(scope, tagId);
    if (customerIds.length === 0 || customerIds.length > MAX_IMPORT) throw new BadUserInputError(`\`customerIds\` must hold 1 to ${MAX_IMPORT} ids per call; got ${customerIds.length}.`, "customerIds");
    const removed = await scope.graph.transaction((tx) => removeValues(tx, tag.id, customerIds));
    await this.profiles?.invalidate(customerIds, { neighbours: false });
    scope.audit.change({ action: "removeTagValues", targetType: "Tag", targetId: tag.id, before: null, after: { customers: customerIds.length, removed } });
    this.afterValues(tag, customerIds);
    return { tag, removed };
  }

  private async importable(scope: RequestScope, tagId: string): Promise<LibraryTagRecord> {
    const tag = (await tagsById(scope.graph, [tagId])).get(tagId);
    if (!tag) throw new NotFoundError(`There is no tag with id ${tagId}; see the tags query.`);
    if (tag.source !== "IMPORTED") throw new BadUserInputError(`Tag ${tag.code} is ${tag.source}; values are imported only into an IMPORTED tag${tag.source === "RULE" ? " (a RULE tag computes its own: runTag)" : ""}.`, "tagId");
    if (tag.status === "OFFLINE") throw new ConflictError(`Tag ${tag.code} is offline; it takes no values.`);
    return tag;
  }

  /** After an import: the segment bitmaps of these customers, and the tag's statistics, behind the answer. */
  private afterValues(tag: LibraryTagRecord, ids: readonly string[]): void {
    this.previews.index.changed(ids, ["tags"]);
    refreshTagStatistics(this.graph.session(), tag.id).catch((error: unknown) => this.log.warn({ tag: tag.code, err: message(error) }, "tag import: statistics not refreshed"));
  }
}

function runId(): string {
  return `TR${Date.now().toString(36).toUpperCase().padStart(9, "0")}${randomBytes(3).toString("hex").toUpperCase()}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether `promise` settles within `ms` (the timer does not hold the process). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
