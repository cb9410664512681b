import type { Redis } from "ioredis";
import type { DecisionScope } from "../decisioning/decide";
import type { DecisioningService } from "../decisioning/service";
import type { RequestScope } from "../customer360/scope";
import type { Graph } from "../platform/neo4j";
import { GatewayError, ServiceUnavailableError } from "../platform/errors";
import { knownCustomers } from "./ingest";
import type { DecisionWrite } from "../graph/decision";
import type { Logger } from "../platform/logger";
import { duplicateRedis, pingRedis, unlessStopped } from "../platform/redis";
import { eventLag, eventsHandled, pushesPublished } from "../platform/metrics";
import type { EventProcessor } from "./event-processor";
import { checkEvent, rawOfEntry } from "./event-input";
import { sourceOfEntry, type EventStream, type GatewayEvent, type StreamEntry } from "./event-stream";

export interface ConsumerOptions {
  /** This replica's name in the consumer group. */
  consumer: string;
  /** A pending entry idle this long is claimed again (its processing failed, or its consumer died). */
  retryAfterMs: number;
  /** Attempts before an event is parked. */
  maxAttempts: number;
  /** Entries per read, and most entries in flight. */
  batch: number;
  maxInFlight: number;
}

/** Counters for benchmarks and the pipeline status query. */
export interface ConsumerStats {
  processed: number;
  pushed: number;
  duplicates: number;
  parked: number;
  failures: number;
}

const BLOCK_MS = 1_000;
const OUTAGE_PROBE_MS = 1_000;
const TRIM_EVERY_MS = 10_000;

/**
 * This replica's consumer of the event stream. Reads new entries in the group, processes them
 * (several customers at once, one customer's events in order), and every `retryAfterMs / 2`
 * claims entries left pending too long. Only a finished event is acknowledged (EventStream.done, after its pushes and writes);
 * one that fails stays pending and is retried, and after `maxAttempts` it is parked. Events that
 * can never succeed (unknown customer, bad payload) are parked at once.
 */
export class EventConsumer {
  readonly stats: ConsumerStats = { processed: 0, pushed: 0, duplicates: 0, parked: 0, failures: 0 };
  /** XREADGROUP BLOCK holds its connection: the consumer reads on one of its own, opened by `start` and closed by `stop`. */
  private reader: Redis | null = null;
  /** Aborted by `stop`: the read in progress is given up even when its connection cannot settle it (../platform/redis.ts unlessStopped). */
  private stopping = new AbortController();
  private running = false;
  private loops: Promise<void>[] = [];
  private inFlight = 0;
  private readonly idle = new Set<() => void>();
  /** Entry ids being processed here. */
  private readonly working = new Set<string>();
  /** The last event of each customer in flight: the next one of that customer waits for it. */
  private readonly tails = new Map<string, Promise<void>>();
  /** The last failure per entry, for parking when the event's own state cannot be read (a fallback; another replica's failures are in the state). */
  private readonly failures = new Map<string, string>();
  /** Set when processing met an outage: reading and claiming wait until Neo4j and Redis answer again, so events are not spent (and parked) on retries that cannot succeed. */
  private outage = false;
  private claimTimer: NodeJS.Timeout | undefined;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: EventStream,
    private readonly processor: EventProcessor,
    /** Opens the scope a batch of events is decided in: the same factory a GraphQL request's context comes from. */
    private readonly openScope: () => RequestScope,
    /** Probed while waiting out an outage. */
    private readonly graph: Graph,
    private readonly decisioning: DecisioningService,
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly options: ConsumerOptions,
  ) {}

  /** Starts in the background: while Redis is unreachable the loop keeps retrying, so a gateway starts without it. */
  start(): void {
    if (this.running) return;
    this.running = true;
    // A connection of its own each time: stop() disconnected the last one to interrupt its read.
    const reader = duplicateRedis(this.redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true });
    reader.on("error", () => undefined);
    this.reader = reader;
    this.stopping = new AbortController();
    this.loops = [this.readLoop(reader, this.stopping.signal)];
    const claimEvery = Math.max(50, Math.floor(this.options.retryAfterMs / 2));
    this.claimTimer = setInterval(() => void this.claim(), claimEvery);
    this.trimTimer = setInterval(() => void this.stream.trim().catch(() => undefined), TRIM_EVERY_MS);
    // Background timers never keep a process alive on their own (the gateway's server does).
    this.claimTimer.unref();
    this.trimTimer.unref();
  }

  /** Stops reading and waits for the events in flight to finish (their entries are then acknowledged). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.claimTimer);
    clearInterval(this.trimTimer);
    this.stopping.abort();
    this.reader?.disconnect();
    this.reader = null;
    await Promise.all(this.loops);
    await this.drained();
    // Replicas come and go (each start is a new consumer name); a clean stop leaves no name behind in the group.
    await this.stream.leave(this.options.consumer).catch(() => undefined);
  }

  private async readLoop(reader: Redis, stop: AbortSignal): Promise<void> {
    let grouped = false;
    let failingSince: number | null = null;
    while (this.running) {
      try {
        if (!grouped) {
          await this.stream.ensureGroup();
          grouped = true;
        }
        await this.roomFor(this.options.batch);
        if (!this.running) break;
        const entries = await unlessStopped(this.stream.read(reader, this.options.consumer, this.options.batch, BLOCK_MS), stop);
        if (entries === null) break;
        failingSince = null;
        if (entries.length > 0) this.dispatch(entries.map((e) => ({ ...e, deliveries: 1 })));
      } catch (error) {
        if (!this.running) break;
        if (error instanceof Error && error.message.includes("NOGROUP")) grouped = false;
        // Connecting at start-up fails a moment; say so only when it lasts.
        failingSince ??= Date.now();
        const level = Date.now() - failingSince > 5_000 ? "warn" : "debug";
        this.log[level]({ err: error instanceof Error ? error.message : String(error) }, "reading the event stream failed; retrying in 1 s");
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
  }

  private claiming = false;

  private async claim(): Promise<void> {
    if (this.claiming || !this.running || this.inFlight >= this.options.maxInFlight) return;
    this.claiming = true;
    try {
      if (!(await this.servicesUp())) return;
      const entries = await this.stream.claimStale(this.options.consumer, this.options.retryAfterMs, this.options.batch, this.working);
      const poisoned = entries.filter((e) => e.deliveries > this.options.maxAttempts);
      for (const e of poisoned) {
        const error = (e.fields.id ? await this.stream.lastError(sourceOfEntry(e.fields), e.fields.id) : null) ?? this.failures.get(e.entryId) ?? "processing did not finish (its replica stopped)";
        await this.park(e, `gave up after ${e.deliveries - 1} attempts: ${error}`, e.deliveries - 1);
      }
      const retry = entries.filter((e) => e.deliveries <= this.options.maxAttempts);
      if (retry.length > 0) this.dispatch(retry);
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "claiming stale events failed");
    } finally {
      this.claiming = false;
    }
  }

  /** Starts processing a read's entries: they share one decision scope (one graph read for all their customers). */
  private dispatch(entries: ReadonlyArray<StreamEntry & { deliveries: number }>): void {
    const request = this.openScope();
    const scope: DecisionScope = this.decisioning.scope(request);
    const checked = entries.map((entry) => ({ entry, raw: rawOfEntry(entry.fields) }));
    // Entries ingestEvents wrote were checked at the door; a feed's are checked here, their customers in one read
    // (the live profiles; the graph only for customers without one).
    const unchecked = checked.filter((c) => c.entry.fields.checked !== "1" && !("unreadable" in c.raw)).map((c) => String((c.raw as { customerId?: unknown }).customerId ?? ""));
    const known = unchecked.length > 0 ? knownCustomers(request, unchecked).then((found) => new Set(found.keys())) : Promise.resolve(new Set<string>());
    // Awaited only by the entries that need it; a failure reaches those (and is retried), not the process.
    known.catch(() => undefined);
    for (const { entry, raw } of checked) {
      this.inFlight += 1;
      this.working.add(entry.entryId);
      const key = "unreadable" in raw ? entry.entryId : String(raw.customerId ?? entry.entryId);
      const previous = this.tails.get(key) ?? Promise.resolve();
      const run = previous.then(() => this.handle(entry, raw, known, scope, request));
      const tail = run.finally(() => {
        this.inFlight -= 1;
        this.working.delete(entry.entryId);
        if (this.tails.get(key) === tail) this.tails.delete(key);
        if (this.inFlight <= this.options.maxInFlight - this.options.batch || this.inFlight === 0) for (const wake of this.idle) wake();
      });
      this.tails.set(key, tail);
    }
  }

  private async handle(entry: StreamEntry & { deliveries: number }, raw: ReturnType<typeof rawOfEntry>, known: Promise<Set<string>>, scope: DecisionScope, request: RequestScope): Promise<void> {
    let event: GatewayEvent | undefined;
    const attempts = entry.deliveries;
    try {
      if ("unreadable" in raw) return await this.park(entry, raw.unreadable, 0);
      const checked = checkEvent(raw, sourceOfEntry(entry.fields), new Date(entryTime(entry)));
      if (!checked.ok) return await this.park(entry, `${checked.problem.field}: ${checked.problem.message}`, 0);
      event = checked.event;
      const begin = await this.stream.begin(event.source, event.id, entry.entryId, this.options.retryAfterMs);
      if (begin.status === "DUPLICATE") {
        this.stats.duplicates += 1;
        eventsHandled.inc({ outcome: "duplicate" });
        return await this.stream.ack(entry.entryId);
      }
      // Another replica is still on it (slower than retryAfterMs, but alive): it acknowledges the entry when done.
      if (begin.status === "BUSY") return;
      let outcome = begin.pushed;
      if (!outcome) {
        if (entry.fields.checked !== "1" && !(await known).has(event.customerId)) {
          return await this.park(entry, `customerId: there is no customer with id ${event.customerId}`, attempts);
        }
        // The decisions are written after the push goes out (EventStream.publish keeps them until then).
        const writes: DecisionWrite[] = [];
        const deferred: DecisionScope = { inputs: scope.inputs, write: async (rows) => void writes.push(...rows), ...(scope.storyHold ? { storyHold: scope.storyHold } : {}) };
        outcome = { pushes: await this.processor.process(event, deferred, new Date(entryTime(entry)), new Date(), request), writes };
        if (outcome.pushes.length > 0 || writes.length > 0) await this.stream.publish(event.source, event.id, outcome);
      }
      if (outcome.writes.length > 0) await scope.write(outcome.writes);
      await this.stream.done(event.source, event.id, entry.entryId);
      this.failures.delete(entry.entryId);
      this.stats.processed += 1;
      eventsHandled.inc({ outcome: "processed" });
      eventLag.observe(Math.max(0, Date.now() - entryTime(entry)) / 1_000);
      if (!begin.pushed) {
        this.stats.pushed += outcome.pushes.length;
        for (const push of outcome.pushes) pushesPublished.inc({ kind: push.kind });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof GatewayError && (error.extensions.code === "BAD_USER_INPUT" || error.extensions.code === "NOT_FOUND");
      if (error instanceof ServiceUnavailableError) this.outage = true;
      try {
        if (permanent) return await this.park(entry, message, attempts);
        this.stats.failures += 1;
        eventsHandled.inc({ outcome: "failed" });
        if (this.failures.size > 10_000) this.failures.clear();
        this.failures.set(entry.entryId, message);
        this.log.warn({ event: event?.id, entry: entry.entryId, attempts, err: message }, "event processing failed; it will be retried");
        if (event) await this.stream.recordFailure(event.source, event.id, `attempt ${attempts}: ${message}`);
      } catch {
        // Redis is down: the entry stays pending and is claimed again once it is back.
      }
    }
  }

  /** True unless an outage was seen and Neo4j or Redis still does not answer (probed at most once per call). */
  private async servicesUp(): Promise<boolean> {
    if (!this.outage) return true;
    try {
      await Promise.all([
        Promise.race([this.graph.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), OUTAGE_PROBE_MS))]),
        pingRedis(this.redis, OUTAGE_PROBE_MS),
      ]);
      this.outage = false;
      this.log.info("Neo4j and Redis answer again; event processing resumes");
      return true;
    } catch {
      return false;
    }
  }

  private async park(entry: StreamEntry, error: string, attempts: number): Promise<void> {
    this.stats.parked += 1;
    eventsHandled.inc({ outcome: "parked" });
    this.failures.delete(entry.entryId);
    this.log.warn({ entry: entry.entryId, event: entry.fields.id, error }, "event parked");
    await this.stream.park(entry, error, attempts);
  }

  private roomFor(n: number): Promise<void> {
    if (this.inFlight + n <= this.options.maxInFlight) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.idle.delete(wake);
        resolve();
      };
      this.idle.add(wake);
    });
  }

  private drained(): Promise<void> {
    return Promise.all([...this.tails.values()]).then(() => undefined);
  }
}

/** When the stream accepted an entry (its id's milliseconds): events are judged against that, not against a late retry's clock. */
function entryTime(entry: StreamEntry): number {
  return Number(entry.entryId.split("-")[0]);
}
