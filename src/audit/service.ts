import type { Redis } from "ioredis";
import type { Principal } from "../auth/principal";
import { auditPage } from "../graph/audit";
import type { AuditConfig } from "../platform/config";
import type { Logger } from "../platform/logger";
import type { Graph, GraphSession } from "../platform/neo4j";
import { replicaConsumerName } from "../platform/stream-mover";
import type { AuditCollector } from "./collector";
import type { OperationInfo } from "./entry";
import { AuditLog } from "./log";
import { auditPageRequest, toAuditConnection, type AuditConnectionRoot, type AuditFilter } from "./trail";
import { AuditWriter } from "./writer";

/**
 * The audit room's face: requests' entries onto the stream (`record`, at the end of each request
 * or push), this replica's writer that moves them into the graph, and the trail for ADMIN.
 *
 * The path of an entry: resolvers and services note reads and changes on the request's collector
 * (./collector.ts) → the transport drains it once when the request ends (HTTP) or a push is sent
 * (WebSocket) → one XADD, not awaited (./log.ts) → a writer in some replica commits batches to
 * Neo4j and only then acknowledges (./writer.ts) → `auditTrail`.
 */
export class AuditService {
  readonly log: AuditLog;
  readonly writer: AuditWriter;

  constructor(redis: Redis, graph: Graph, log: Logger, config: AuditConfig) {
    this.log = new AuditLog(redis, log, { maxBuffered: config.buffer, retryMs: 1_000 });
    this.writer = new AuditWriter(redis, graph, log, {
      consumer: replicaConsumerName(),
      batch: config.batch,
      lingerMs: config.lingerMs,
      claimAfterMs: config.claimAfterMs,
    });
  }

  /** Appends what `collector` noted as `principal`'s `operation` (one stream entry); nothing when it noted nothing. Never throws, never waits. */
  record(principal: Principal, collector: AuditCollector, operation: OperationInfo): void {
    const record = collector.drain(principal, operation);
    if (record) this.log.append(record);
  }

  /** One page of the trail, newest first, filtered (BAD_USER_INPUT for a bad page size, range or cursor). */
  async trail(graph: GraphSession, filter: AuditFilter | null | undefined, first: number, after: string | null | undefined): Promise<AuditConnectionRoot> {
    const request = auditPageRequest(filter, first, after);
    return toAuditConnection(await auditPage(graph, request), request);
  }

  /** Starts this replica's writer. */
  start(): void {
    this.writer.start();
  }

  /** After the last request: appends what is held from an outage (if Redis is back), then stops the writer. */
  async stop(): Promise<void> {
    await this.log.close();
    await this.writer.stop();
  }
}
