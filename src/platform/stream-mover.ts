import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { ChainableCommander, Redis } from "ioredis";
import type { z } from "zod";
import { ServiceUnavailableError } from "./errors";
import type { Logger } from "./logger";
import { writeBehindLag, writeBehindMoved } from "./metrics";
import { duplicateRedis, redisCall, unlessStopped } from "./redis";

/**
 * Every replica's mover of one Redis stream into the graph, in a consumer group (each stream entry
 * goes to one replica). The audit trail (src/audit/writer.ts) and the decisions written behind the
 * answer (src/decisioning/writer.ts) are both moved this way:
 *
 * - it reads what requests appended, gathers up to `batch` stream entries (waiting at most
 *   `lingerMs` after the first, so a quiet gateway still commits promptly and a busy one commits
 *   big batches), hands them all to `write` (ONE Neo4j transaction, idempotent by id), and only
 *   then acknowledges and deletes them, in one Redis round trip (with the domain's own clean-up);
 * - a replica killed between reading and committing leaves its entries pending in the group:
 *   every `claimAfterMs / 2` each mover claims entries pending longer than `claimAfterMs`
 *   (XAUTOCLAIM) and commits them. Written twice (a mover died after its commit, before its
 *   acknowledgement) is still written once: the writes merge on ids;
 * - a failed commit (Neo4j down) acknowledges nothing; the mover waits a second and reads its own
 *   pending entries again before taking new ones, so nothing is skipped;
 * - an entry the graph refuses for a reason that will not pass (a bug, not an outage) would stop
 *   the stream behind it: it is set aside on `parked` with the error, logged, and acknowledged,
 *   and the rest of its batch is written.
 */

/** A consumer name of its own for this process (each start is a new one; a clean stop removes it from the group). */
export function replicaConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export interface StreamMoverOptions<T> {
  /** What is moved, for log lines ("audit entries", "decisions"). */
  what: string;
  /** The stream's name in the metrics (c360_write_behind_*{stream}): a short constant, e.g. "decisions". */
  metric: string;
  stream: string;
  group: string;
  /** Where refused entries are set aside (a capped stream). */
  parked: string;
  /** This replica's name in the consumer group. */
  consumer: string;
  batch: number;
  lingerMs: number;
  claimAfterMs: number;
  /** Once per (re)connection, after the group exists: the graph's schema the writes need. */
  prepare: () => Promise<void>;
  /** A stream entry's content, or why it cannot be read (a bug in whatever appended it). */
  decode: (fields: Record<string, string>) => T | string;
  /** Writes the items of one batch in one transaction, idempotently. */
  write: (items: readonly T[]) => Promise<void>;
  /** Redis clean-up that goes with the acknowledgement, in the same round trip (committed items only). */
  acknowledged?: (multi: ChainableCommander, items: readonly T[]) => void;
}

export interface StreamMoverStats {
  /** Stream entries committed (a claimed batch written again counts again). */
  moved: number;
  /** Neo4j transactions. */
  batches: number;
  /** Stream entries claimed from movers that stopped without committing them. */
  claimed: number;
  /** Stream entries set aside as refused. */
  parked: number;
}

interface StreamEntry {
  entryId: string;
  fields: Record<string, string>;
  /** Deleted from the stream while pending here: whoever deleted it had committed it. */
  deleted?: boolean;
}

const BLOCK_MS = 1_000;
const RETRY_MS = 1_000;
/** Every this many claim passes, consumers of stopped replicas that hold nothing are removed from the group. */
const FORGET_EVERY = 100;
const FORGET_IDLE_MS = 3_600_000;
const PARKED_CAP = 10_000;

export class StreamMover<T> {
  readonly stats: StreamMoverStats = { moved: 0, batches: 0, claimed: 0, parked: 0 };
  /** XREADGROUP BLOCK holds its connection: the mover reads on one of its own, opened by `start` and closed by `stop`. */
  private reader: Redis | null = null;
  /** Aborted by `stop`: a read is given up even when its connection cannot settle it (./redis.ts unlessStopped). */
  private stopping = new AbortController();
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private claimTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | null = null;
  private claimPasses = 0;
  private prepared = false;
  /** Called whenever a commit finished (tests and tools wait for the stream to drain). */
  private readonly committedListeners = new Set<() => void>();

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    readonly options: StreamMoverOptions<T>,
  ) {}

  /** Starts moving entries in the background (a gateway starts while Redis or Neo4j is down, and catches up when they are back). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.reader = duplicateRedis(this.redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true });
    this.reader.on("error", () => undefined);
    this.loop = this.readLoop();
    this.claimTimer = setInterval(() => void this.claim(), Math.max(50, Math.floor(this.options.claimAfterMs / 2)));
    // Background work never keeps a process alive on its own: a gateway is held by its server, a
    // tool or a test by its own work, and one that forgot to stop a mover still exits.
    this.claimTimer.unref();
  }

  /** Stops: what was gathered is committed first; entries still pending are claimed by another replica. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.claimTimer);
    this.stopping.abort();
    this.reader?.disconnect();
    await this.loop;
    await this.claiming;
    // Replicas come and go (each start is a new consumer name); a clean stop leaves no name behind.
    await this.leave().catch(() => undefined);
  }

  /** Entries appended and not yet committed by any mover (XLEN: committed entries are deleted). */
  async backlog(): Promise<number> {
    return redisCall(this.redis.xlen(this.options.stream));
  }

  /** Resolves once the stream holds nothing uncommitted (checked after each commit, and every `pollMs`). */
  async drained(pollMs = 50): Promise<void> {
    while ((await this.backlog()) > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.committedListeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        this.committedListeners.add(done);
      });
    }
  }

  private async readLoop(): Promise<void> {
    // This consumer's own pending entries first (after a failed commit), then new ones.
    let history = true;
    let failingSince: number | null = null;
    while (this.running) {
      try {
        await this.prepare();
        const entries = history ? await this.read("0", this.options.batch, null) : await this.gather();
        failingSince = null;
        if (history && entries.length === 0) {
          history = false;
          continue;
        }
        if (entries.length > 0) await this.commit(entries);
      } catch (error) {
        history = true;
        if (!this.running) break;
        if (error instanceof Error && error.message.includes("NOGROUP")) this.prepared = false;
        // Connecting at start-up fails a moment; say so only when it lasts.
        failingSince ??= Date.now();
        const level = Date.now() - failingSince > 5_000 ? "warn" : "debug";
        this.log[level]({ err: error instanceof Error ? error.message : String(error) }, `moving ${this.options.what} to the graph failed; they stay queued, retrying in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  /** The consumer group (from the stream's start: entries appended before any mover ran are moved too), then the domain's own preparation. */
  private async prepare(): Promise<void> {
    if (this.prepared) return;
    try {
      await redisCall(this.redis.xgroup("CREATE", this.options.stream, this.options.group, "0", "MKSTREAM"));
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("BUSYGROUP"))) throw error;
    }
    await this.options.prepare();
    this.prepared = true;
  }

  /** New entries: up to `batch`, waiting at most `lingerMs` for more once the first came. */
  private async gather(): Promise<StreamEntry[]> {
    const all = await this.read(">", this.options.batch, BLOCK_MS);
    if (all.length === 0 || this.options.lingerMs === 0) return all;
    const deadline = Date.now() + this.options.lingerMs;
    while (all.length < this.options.batch && this.running) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        all.push(...(await this.read(">", this.options.batch - all.length, left)));
      } catch {
        break; // stopping (the reader was disconnected), or Redis went: commit what was gathered
      }
    }
    return all;
  }

  private async read(from: ">" | "0", count: number, blockMs: number | null): Promise<StreamEntry[]> {
    const reader = this.reader;
    if (!reader) throw new Error(`the ${this.options.what} mover is not started`);
    const { stream, group, consumer } = this.options;
    // Stopping gives the read up (nothing read): what it would have delivered stays pending in the group, for a mover to claim.
    const reply = (await unlessStopped(
      blockMs === null
        ? reader.xreadgroup("GROUP", group, consumer, "COUNT", count, "STREAMS", stream, from)
        : reader.xreadgroup("GROUP", group, consumer, "COUNT", count, "BLOCK", Math.max(1, Math.round(blockMs)), "STREAMS", stream, from),
      this.stopping.signal,
    )) as Array<[string, Array<[string, string[] | null]>]> | null;
    // A history read lists entries deleted meanwhile with no fields: they were committed by whoever deleted them.
    return (reply?.[0]?.[1] ?? []).map(([entryId, raw]) => (raw === null ? { entryId, fields: {}, deleted: true } : { entryId, fields: fieldsOf(raw) }));
  }

  private async claim(): Promise<void> {
    if (this.claiming || !this.running || !this.prepared) return;
    this.claiming = (async () => {
      try {
        let cursor = "0-0";
        do {
          const [next, claimed] = (await redisCall(
            this.redis.xautoclaim(this.options.stream, this.options.group, this.options.consumer, this.options.claimAfterMs, cursor, "COUNT", this.options.batch),
          )) as [string, Array<[string, string[]] | null>];
          const entries = claimed.filter((e): e is [string, string[]] => e !== null).map(([entryId, raw]) => ({ entryId, fields: fieldsOf(raw) }));
          if (entries.length > 0) {
            this.log.info({ entries: entries.length }, `claimed ${this.options.what} a stopped or failing mover left uncommitted`);
            this.stats.claimed += entries.length;
            await this.commit(entries);
          }
          cursor = next;
        } while (cursor !== "0-0" && this.running);
        if (++this.claimPasses % FORGET_EVERY === 0) await this.forgetIdleConsumers();
      } catch (error) {
        this.log.warn({ err: error instanceof Error ? error.message : String(error) }, `claiming pending ${this.options.what} failed; retried on the next pass`);
      } finally {
        this.claiming = null;
      }
    })();
    await this.claiming;
  }

  /** Writes the entries in one transaction, then acknowledges and deletes them. */
  private async commit(entries: readonly StreamEntry[]): Promise<void> {
    const decoded = entries.filter((e) => !e.deleted).map((entry) => ({ entry, item: this.options.decode(entry.fields) }));
    const readable = decoded.filter((d): d is { entry: StreamEntry; item: T } => typeof d.item !== "string");
    const written: T[] = [];
    try {
      if (readable.length > 0) await this.options.write(readable.map((d) => d.item));
      this.stats.batches += 1;
      written.push(...readable.map((d) => d.item));
    } catch (error) {
      if (!isPermanent(error) || readable.length === 0) throw error;
      // The graph refused the batch for a reason that will not pass: find the entries at fault, write the rest.
      for (const d of readable) {
        try {
          await this.options.write([d.item]);
          this.stats.batches += 1;
          written.push(d.item);
        } catch (single) {
          if (!isPermanent(single)) throw single;
          await this.park(d.entry, single instanceof Error ? single.message : String(single));
        }
      }
    }
    for (const d of decoded) if (typeof d.item === "string") await this.park(d.entry, d.item);
    const ids = entries.map((e) => e.entryId);
    const multi = this.redis.multi().xack(this.options.stream, this.options.group, ...ids).xdel(this.options.stream, ...ids);
    if (written.length > 0) this.options.acknowledged?.(multi, written);
    await redisCall(multi.exec());
    this.stats.moved += written.length;
    // Appended (the entry id's time) to committed: how far the graph is behind the answers.
    const now = Date.now();
    const lag = writeBehindLag.labels(this.options.metric);
    for (const e of entries) lag.observe(Math.max(0, now - Number(e.entryId.slice(0, e.entryId.indexOf("-")))) / 1_000);
    writeBehindMoved.inc({ stream: this.options.metric }, written.length);
    for (const listener of [...this.committedListeners]) listener();
  }

  private async park(entry: StreamEntry, error: string): Promise<void> {
    this.stats.parked += 1;
    this.log.error({ entry: entry.entryId, error }, `a stream entry of ${this.options.what} cannot be written to the graph; set aside on ${this.options.parked} with its error`);
    await redisCall(
      this.redis.xadd(this.options.parked, "MAXLEN", "~", PARKED_CAP, "*", "entry", entry.entryId, "error", error.slice(0, 2_000), ...Object.entries(entry.fields).flat()),
    );
  }

  private async leave(): Promise<void> {
    const mine = (await redisCall(this.redis.xpending(this.options.stream, this.options.group, "-", "+", 1, this.options.consumer))) as unknown[];
    if (mine.length === 0) await redisCall(this.redis.xgroup("DELCONSUMER", this.options.stream, this.options.group, this.options.consumer));
  }

  /** Removes consumers of replicas long gone that hold no pending entry (their names would pile up in the group). */
  private async forgetIdleConsumers(): Promise<void> {
    const consumers = ((await redisCall(this.redis.xinfo("CONSUMERS", this.options.stream, this.options.group))) as unknown[]).map(fieldsOf);
    for (const c of consumers) {
      if (c.name && c.name !== this.options.consumer && Number(c.pending) === 0 && Number(c.idle) > FORGET_IDLE_MS) {
        await redisCall(this.redis.xgroup("DELCONSUMER", this.options.stream, this.options.group, c.name));
      }
    }
  }
}

/**
 * A stream entry's JSON field `name` checked against `schema`, or why it cannot be read (a bug in
 * whatever appended it: the mover parks such an entry with this text).
 */
export function jsonField<S extends z.ZodType>(fields: Record<string, string>, name: string, schema: S, what: string): z.infer<S> | string {
  const raw = fields[name];
  if (raw === undefined) return `the stream entry has no "${name}" field`;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return `"${name}" is not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return `"${name}" is not ${what}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
  return parsed.data;
}

/** A failure that retrying will not cure: neither Neo4j nor Redis being unavailable. */
function isPermanent(error: unknown): boolean {
  return !(error instanceof ServiceUnavailableError);
}

/** A flat [name, value, name, value, …] reply (or a RESP3 map) as an object. */
function fieldsOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === null || raw === undefined) return out;
  if (!Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = v === null || v === undefined ? "" : String(v);
    return out;
  }
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const v: unknown = raw[i + 1];
    out[String(raw[i])] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}
