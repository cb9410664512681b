import type { Redis } from "ioredis";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { AuditRecord } from "./entry";

/**
 * The request path's end of the audit trail: one XADD per request (or per push) onto the audit
 * stream, holding that request's record (all its entries, ./entry.ts) as one JSON field. The command is written to the
 * Redis connection before the response goes out but not awaited, so it costs the request no round
 * trip; commands of concurrent requests share the connection, pipelined. A process killed after
 * answering has already handed its entry to the kernel; Redis (appendonly) keeps it until a writer
 * (./writer.ts) has committed it to the graph.
 *
 * While Redis cannot be reached, the audit trail must not take the desk down: requests still
 * answer, and their entries wait in memory, in order, and are appended once Redis is back (retried
 * every `retryMs`). The wait is bounded (`maxBuffered` entries, AUDIT_BUFFER): beyond it new
 * entries are dropped and counted, and every drop is logged at error level (rate-limited), because
 * an audit gap is a compliance incident an operator must see. A process that stops (or dies) during
 * an outage loses what it still holds; a clean stop says how much.
 */

/** The stream field holding a request's record (JSON, see {@link AuditRecord}). */
export const ENTRIES_FIELD = "record";

export interface AuditLogOptions {
  /** Most entries held in memory while Redis is unreachable. */
  maxBuffered: number;
  /** Pause between attempts to append what is held. */
  retryMs: number;
}

export interface AuditLogStats {
  /** Entries accepted by Redis. */
  appended: number;
  /** Entries waiting in memory now. */
  held: number;
  /** Entries given up: the memory bound was reached, or the process stopped while holding them. */
  dropped: number;
}

interface Held {
  payload: string;
  count: number;
}

const DROP_REPORT_EVERY_MS = 10_000;
const CLOSE_FLUSH_MS = 2_000;

export class AuditLog {
  readonly stats: AuditLogStats = { appended: 0, held: 0, dropped: 0 };
  private held: Held[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private droppedUnreported = 0;
  private lastDropReport = 0;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly options: AuditLogOptions,
  ) {}

  /** Queues a request's record; never throws, never waits. */
  append(record: AuditRecord): void {
    const count = record.reads.length + record.changes.length;
    if (count === 0) return;
    const payload = JSON.stringify(record);
    // Entries held from an outage go first: a request during the catch-up waits its turn.
    if (this.held.length > 0) return this.hold({ payload, count });
    this.redis.xadd(keys.audit.stream(), "*", ENTRIES_FIELD, payload).then(
      () => void (this.stats.appended += count),
      (error: unknown) => this.hold({ payload, count }, error),
    );
  }

  /** Tries once more to append what is held (for a clean stop); logs what is lost. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.held.length > 0) {
      await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS).unref())]);
    }
    if (this.stats.held > 0) {
      this.stats.dropped += this.stats.held;
      this.log.error({ lost: this.stats.held }, "audit entries held during a Redis outage are lost: the gateway stopped before Redis came back");
      this.held = [];
      this.stats.held = 0;
    }
  }

  private hold(batch: Held, error?: unknown): void {
    if (this.stats.held + batch.count > this.options.maxBuffered) {
      this.stats.dropped += batch.count;
      this.droppedUnreported += batch.count;
      const now = Date.now();
      if (now - this.lastDropReport >= DROP_REPORT_EVERY_MS) {
        this.log.error(
          { dropped: this.droppedUnreported, droppedTotal: this.stats.dropped, held: this.stats.held, limit: this.options.maxBuffered },
          "AUDIT ENTRIES DROPPED: Redis has been unreachable and the in-memory audit buffer (AUDIT_BUFFER) is full; reads and changes are going unrecorded",
        );
        this.droppedUnreported = 0;
        this.lastDropReport = now;
      }
      return;
    }
    if (this.held.length === 0) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error ?? "") }, "audit stream unreachable; holding audit entries in memory until Redis is back");
    }
    this.held.push(batch);
    this.stats.held += batch.count;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.flushing || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, this.options.retryMs);
    this.retryTimer.unref();
  }

  /** Appends what is held, oldest first, pipelined; what fails stays (in order) for the next attempt. */
  private flush(): Promise<void> {
    return (this.flushing ??= (async () => {
      try {
        while (this.held.length > 0) {
          const batch = this.held.slice(0, 200);
          const results = await Promise.allSettled(batch.map((h) => this.redis.xadd(keys.audit.stream(), "*", ENTRIES_FIELD, h.payload)));
          const failed = batch.filter((_, i) => results[i]?.status === "rejected");
          const sent = batch.length - failed.length;
          const sentEntries = batch.reduce((n, h, i) => n + (results[i]?.status === "fulfilled" ? h.count : 0), 0);
          this.held.splice(0, batch.length, ...failed);
          this.stats.held -= sentEntries;
          this.stats.appended += sentEntries;
          if (failed.length > 0 || sent === 0) return;
        }
        this.log.info({ appended: this.stats.appended }, "audit stream reachable again; the entries held in memory are appended");
      } finally {
        this.flushing = null;
        if (this.held.length > 0) this.scheduleRetry();
      }
    })());
  }
}
