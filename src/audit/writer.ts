import type { Redis } from "ioredis";
import { z } from "zod";
import { writeAudit, type AuditWrites } from "../graph/audit";
import { ensureAuditSchema } from "../graph/schema";
import { ServiceUnavailableError } from "../platform/errors";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import { redisCall, unlessStopped } from "../platform/redis";
import { entryCount, OPERATION_TYPES, TRANSPORTS, writesOf } from "./entry";
import { ENTRIES_FIELD } from "./log";

/**
 * Every replica's mover of the audit stream into the graph, in the consumer group "audit-writer"
 * (each stream entry goes to one replica), like the event consumer (src/realtime/event-consumer.ts):
 *
 * - it reads what requests appended, gathers up to `batch` stream entries (waiting at most
 *   `lingerMs` after the first, so a quiet gateway still commits promptly and a busy one commits
 *   big batches), writes them all in ONE Neo4j transaction (a node per request that read personal
 *   data, one per change: src/graph/audit.ts), idempotent by id, and only then
 *   acknowledges and deletes them, in one Redis round trip;
 * - a replica killed between reading and committing leaves its entries pending in the group:
 *   every `claimAfterMs / 2` each writer claims entries pending longer than `claimAfterMs`
 *   (XAUTOCLAIM) and commits them. Written twice (a writer died after its commit, before its
 *   acknowledgement) is still written once: the graph merges on the request's and entries' ids;
 * - a failed commit (Neo4j down) acknowledges nothing; the writer waits a second and reads its own
 *   pending entries again before taking new ones, so nothing is skipped;
 * - a stream entry the graph refuses for a reason that will not pass (a bug, not an outage) would
 *   stop the trail behind it: it is set aside on `audit:parked` with the error, logged, and
 *   acknowledged, and the rest of its batch is written.
 */

export const AUDIT_GROUP = "audit-writer";

export interface AuditWriterOptions {
  /** This replica's name in the consumer group. */
  consumer: string;
  batch: number;
  lingerMs: number;
  claimAfterMs: number;
}

export interface AuditWriterStats {
  /** Audit entries committed, a request's read of each customer one (a claimed batch written again counts again). */
  written: number;
  /** Graph nodes committed: one per request that read personal data, one per change. */
  nodes: number;
  /** Neo4j transactions. */
  batches: number;
  /** Stream entries claimed from writers that stopped without committing them. */
  claimed: number;
  /** Stream entries set aside on audit:parked. */
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

const text = (max: number) => z.string().max(max);
const nullableText = text(10_000).nullable();
const recordSchema = z.object({
  request: text(100).min(1),
  at: z.iso.datetime({ offset: true }),
  principalId: text(500),
  principalRoles: z.array(text(50)).max(20),
  operation: text(500),
  operationType: z.enum(OPERATION_TYPES),
  transport: z.enum(TRANSPORTS),
  subscription: nullableText,
  // A request node keeps each customer's fields comma separated (src/graph/audit.ts): a name with a
  // comma (never a recorded name) would come back split, so such a record is parked, not altered.
  reads: z.array(z.tuple([text(200), z.array(text(200).regex(/^[^,]*$/, "a recorded field name holds no comma")).max(500), z.union([z.literal(0), z.literal(1)])])),
  changes: z.array(
    z.object({
      action: text(200),
      targetType: text(200),
      targetId: text(500),
      customerId: nullableText,
      // Optional: records queued by a gateway of the version before maker-checker carry neither.
      changeId: nullableText.optional(),
      proposedBy: nullableText.optional(),
      before: z.string().nullable(),
      after: z.string().nullable(),
    }),
  ),
});

export class AuditWriter {
  readonly stats: AuditWriterStats = { written: 0, nodes: 0, batches: 0, claimed: 0, parked: 0 };
  /** XREADGROUP BLOCK holds its connection: the writer reads on one of its own, opened by `start` and closed by `stop`. */
  private reader: Redis | null = null;
  /** Aborted by `stop`: a read is given up even when its connection cannot settle it (../platform/redis.ts unlessStopped). */
  private stopping = new AbortController();
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private claimTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | null = null;
  private claimPasses = 0;
  private prepared = false;

  constructor(
    private readonly redis: Redis,
    private readonly graph: Graph,
    private readonly log: Logger,
    readonly options: AuditWriterOptions,
  ) {}

  /** Starts moving entries in the background (a gateway starts while Redis or Neo4j is down, and catches up when they are back). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.reader = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true });
    this.reader.on("error", () => undefined);
    this.loop = this.readLoop();
    this.claimTimer = setInterval(() => void this.claim(), Math.max(50, Math.floor(this.options.claimAfterMs / 2)));
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
        this.log[level]({ err: error instanceof Error ? error.message : String(error) }, "moving audit entries to the graph failed; they stay queued, retrying in 1 s");
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /** The consumer group (from the stream's start: entries appended before any writer ran are moved too) and the graph's audit indexes. */
  private async prepare(): Promise<void> {
    if (this.prepared) return;
    try {
      await redisCall(this.redis.xgroup("CREATE", keys.audit.stream(), AUDIT_GROUP, "0", "MKSTREAM"));
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("BUSYGROUP"))) throw error;
    }
    await ensureAuditSchema(this.graph.session());
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
    if (!reader) throw new Error("the audit writer is not started");
    const stream = keys.audit.stream();
    // Stopping gives the read up (nothing read): what it would have delivered stays pending in the group, for a writer to claim.
    const reply = (await unlessStopped(
      blockMs === null
        ? reader.xreadgroup("GROUP", AUDIT_GROUP, this.options.consumer, "COUNT", count, "STREAMS", stream, from)
        : reader.xreadgroup("GROUP", AUDIT_GROUP, this.options.consumer, "COUNT", count, "BLOCK", Math.max(1, Math.round(blockMs)), "STREAMS", stream, from),
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
            this.redis.xautoclaim(keys.audit.stream(), AUDIT_GROUP, this.options.consumer, this.options.claimAfterMs, cursor, "COUNT", this.options.batch),
          )) as [string, Array<[string, string[]] | null>];
          const entries = claimed.filter((e): e is [string, string[]] => e !== null).map(([entryId, raw]) => ({ entryId, fields: fieldsOf(raw) }));
          if (entries.length > 0) {
            this.log.info({ entries: entries.length }, "claimed audit entries a stopped or failing writer left uncommitted");
            this.stats.claimed += entries.length;
            await this.commit(entries);
          }
          cursor = next;
        } while (cursor !== "0-0" && this.running);
        if (++this.claimPasses % FORGET_EVERY === 0) await this.forgetIdleConsumers();
      } catch (error) {
        this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "claiming pending audit entries failed; retried on the next pass");
      } finally {
        this.claiming = null;
      }
    })();
    await this.claiming;
  }

  /** Writes the entries' audit entries in one transaction, then acknowledges and deletes them. */
  private async commit(entries: readonly StreamEntry[]): Promise<void> {
    const decoded = entries.filter((e) => !e.deleted).map((entry) => ({ entry, rows: decode(entry) }));
    const readable = decoded.filter((d): d is { entry: StreamEntry; rows: AuditWrites } => typeof d.rows !== "string");
    try {
      await writeAudit(this.graph.session(), { requests: readable.flatMap((d) => d.rows.requests), entries: readable.flatMap((d) => d.rows.entries) });
      this.stats.batches += 1;
      this.stats.nodes += readable.reduce((n, d) => n + d.rows.requests.length + d.rows.entries.length, 0);
      this.stats.written += readable.reduce((n, d) => n + entryCount(d.rows), 0);
    } catch (error) {
      if (!isPermanent(error) || readable.length === 0) throw error;
      // The graph refused the batch for a reason that will not pass: find the entries at fault, write the rest.
      for (const d of readable) {
        try {
          await writeAudit(this.graph.session(), d.rows);
          this.stats.batches += 1;
          this.stats.nodes += d.rows.requests.length + d.rows.entries.length;
          this.stats.written += entryCount(d.rows);
        } catch (single) {
          if (!isPermanent(single)) throw single;
          await this.park(d.entry, single instanceof Error ? single.message : String(single));
        }
      }
    }
    for (const d of decoded) if (typeof d.rows === "string") await this.park(d.entry, d.rows);
    const ids = entries.map((e) => e.entryId);
    await redisCall(this.redis.multi().xack(keys.audit.stream(), AUDIT_GROUP, ...ids).xdel(keys.audit.stream(), ...ids).exec());
  }

  private async park(entry: StreamEntry, error: string): Promise<void> {
    this.stats.parked += 1;
    this.log.error({ entry: entry.entryId, error }, "an audit stream entry cannot be written to the graph; set aside on audit:parked with its error");
    await redisCall(
      this.redis.xadd(keys.audit.parked(), "MAXLEN", "~", PARKED_CAP, "*", "entry", entry.entryId, "error", error.slice(0, 2_000), ENTRIES_FIELD, entry.fields[ENTRIES_FIELD] ?? ""),
    );
  }

  private async leave(): Promise<void> {
    const mine = (await redisCall(this.redis.xpending(keys.audit.stream(), AUDIT_GROUP, "-", "+", 1, this.options.consumer))) as unknown[];
    if (mine.length === 0) await redisCall(this.redis.xgroup("DELCONSUMER", keys.audit.stream(), AUDIT_GROUP, this.options.consumer));
  }

  /** Removes consumers of replicas long gone that hold no pending entry (their names would pile up in the group). */
  private async forgetIdleConsumers(): Promise<void> {
    const consumers = ((await redisCall(this.redis.xinfo("CONSUMERS", keys.audit.stream(), AUDIT_GROUP))) as unknown[]).map(fieldsOf);
    for (const c of consumers) {
      if (c.name && c.name !== this.options.consumer && Number(c.pending) === 0 && Number(c.idle) > FORGET_IDLE_MS) {
        await redisCall(this.redis.xgroup("DELCONSUMER", keys.audit.stream(), AUDIT_GROUP, c.name));
      }
    }
  }
}

/** A stream entry's audit entries, or why they cannot be read (a bug in whatever appended them). */
function decode(entry: StreamEntry): AuditWrites | string {
  const raw = entry.fields[ENTRIES_FIELD];
  if (raw === undefined) return `the stream entry has no "${ENTRIES_FIELD}" field`;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return `"${ENTRIES_FIELD}" is not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) return `"${ENTRIES_FIELD}" is not an audit record: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
  return writesOf(parsed.data);
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
