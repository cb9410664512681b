import type { Redis } from "ioredis";
import type { QueuedDecisions } from "../customer360/queued-decisions";
import { decodeRows } from "../customer360/queued-decisions";
import { writeDecisions, type DecisionWrite } from "../graph/decision";
import type { DecisionWriterConfig } from "../platform/config";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import { StreamMover, type StreamMoverStats } from "../platform/stream-mover";

export const DECISION_GROUP = "decision-writer";

export interface DecisionWriterOptions extends DecisionWriterConfig {
  /** This replica's name in the consumer group. */
  consumer: string;
}

/**
 * Decisions written behind the answer. A decision used to cost its request a Neo4j write
 * transaction (about half of a decision's time and of Neo4j's CPU): now the request appends its
 * rows to a durable Redis stream, readable at once (../customer360/queued-decisions.ts), and
 * answers; every replica's mover (../platform/stream-mover.ts, consumer group "decision-writer")
 * commits what was appended in batched UNWIND transactions. The graph's write is idempotent
 * (MERGE on the decision id), so a batch claimed from a replica killed mid-flush, or a decision
 * written first by its answer (respondToOffer), is written once.
 *
 * Redis is the durable half meanwhile (appendonly, as for the event and audit streams): a
 * decision is acknowledged to the caller only once Redis has it.
 */
export class DecisionWriter {
  private readonly mover: StreamMover<DecisionWrite[]>;

  constructor(
    redis: Redis,
    private readonly graph: Graph,
    log: Logger,
    private readonly queued: QueuedDecisions,
    options: DecisionWriterOptions,
  ) {
    this.mover = new StreamMover<DecisionWrite[]>(redis, log, {
      ...options,
      what: "decisions",
      metric: "decisions",
      stream: keys.decisions.stream(),
      group: DECISION_GROUP,
      parked: keys.decisions.parked(),
      // The graph's constraints and indexes are the gateway's start-up business (src/graph/schema.ts).
      prepare: () => Promise.resolve(),
      decode: decodeRows,
      write: (batches) => writeDecisions(graph.backgroundSession(30_000), batches.flat()),
      acknowledged: (multi, batches) => queued.forget(multi, batches.flat()),
    });
  }

  get stats(): StreamMoverStats {
    return this.mover.stats;
  }

  /** Queues the decisions for the graph; resolves once they are durable and readable (one Redis round trip). */
  write(rows: readonly DecisionWrite[]): Promise<void> {
    return this.queued.append(rows);
  }

  /**
   * Runs the graph write of `rows` in a transaction that is rolled back (the start-up warm-up): the
   * movers' statement is planned and executed, nothing kept and nothing queued.
   */
  async rehearse(rows: readonly DecisionWrite[]): Promise<void> {
    if (rows.length === 0) return;
    await this.graph.rehearse((tx) => writeDecisions(tx, rows));
  }

  /** Starts this replica's mover (it catches up on what is queued, whoever queued it). */
  start(): void {
    this.mover.start();
  }

  /** Stops the mover: what it gathered is committed first; what is left is another replica's (or the next start's). */
  stop(): Promise<void> {
    return this.mover.stop();
  }

  /** Decisions queued and not yet in the graph (stream entries). */
  backlog(): Promise<number> {
    return this.mover.backlog();
  }

  /** Resolves once every queued decision is in the graph (tools, evaluation, tests that read the graph directly). */
  drained(): Promise<void> {
    return this.mover.drained();
  }
}

