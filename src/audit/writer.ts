import type { Redis } from "ioredis";
import { z } from "zod";
import { writeAudit, type AuditWrites } from "../graph/audit";
import { ensureAuditSchema } from "../graph/schema";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import { jsonField, StreamMover } from "../platform/stream-mover";
import { entryCount, OPERATION_TYPES, TRANSPORTS, writesOf } from "./entry";
import { ENTRIES_FIELD } from "./log";

/**
 * The audit stream's way into the graph: the shared stream mover (../platform/stream-mover.ts) in
 * the consumer group "audit-writer", each batch one transaction of a node per request that read
 * personal data and one per change (src/graph/audit.ts), merged on their ids so a batch written
 * twice is written once. Entries are checked against the record's schema first: one that does not
 * fit is parked on `audit:parked`, never altered.
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

/**
 * This replica's mover of the audit stream into the graph (../platform/stream-mover.ts: consumer
 * group "audit-writer", batches, claims from stopped replicas, parking of refused entries).
 */
export class AuditWriter {
  private readonly counts = { written: 0, nodes: 0 };
  private readonly mover: StreamMover<AuditWrites>;

  constructor(redis: Redis, graph: Graph, log: Logger, options: AuditWriterOptions) {
    this.mover = new StreamMover<AuditWrites>(redis, log, {
      ...options,
      what: "audit entries",
      metric: "audit",
      stream: keys.audit.stream(),
      group: AUDIT_GROUP,
      parked: keys.audit.parked(),
      prepare: () => ensureAuditSchema(graph.session()),
      decode,
      write: async (batch) => {
        await writeAudit(graph.session(), { requests: batch.flatMap((w) => w.requests), entries: batch.flatMap((w) => w.entries) });
        this.counts.nodes += batch.reduce((n, w) => n + w.requests.length + w.entries.length, 0);
        this.counts.written += batch.reduce((n, w) => n + entryCount(w), 0);
      },
    });
  }

  get stats(): AuditWriterStats {
    const { batches, claimed, parked } = this.mover.stats;
    return { ...this.counts, batches, claimed, parked };
  }

  /** Starts moving entries in the background (a gateway starts while Redis or Neo4j is down, and catches up when they are back). */
  start(): void {
    this.mover.start();
  }

  /** Stops: what was gathered is committed first; entries still pending are claimed by another replica. */
  stop(): Promise<void> {
    return this.mover.stop();
  }

  /** Audit entries appended and not yet committed by any replica's writer. */
  backlog(): Promise<number> {
    return this.mover.backlog();
  }
}

/** A stream entry's audit entries, or why they cannot be read (a bug in whatever appended them). */
function decode(fields: Record<string, string>): AuditWrites | string {
  const record = jsonField(fields, ENTRIES_FIELD, recordSchema, "an audit record");
  return typeof record === "string" ? record : writesOf(record);
}
