import type { Graph, QueryCounter } from "../platform/neo4j";
import { writeDecisions, type DecisionWrite } from "../graph/decision";

interface Pending {
  rows: readonly DecisionWrite[];
  counter: QueryCounter;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for decisions across requests: while one transaction is being written, the
 * decisions arriving meanwhile wait and go together in the next. Idle, a decision is written at
 * once (no added latency); under load, transactions grow instead of multiplying, which is what a
 * write-ahead log on a 2-core machine wants. Each request still waits for its own rows to be
 * committed: a decision id is never handed out before it can be answered.
 */
export class DecisionWriter {
  private queue: Pending[] = [];
  private writing = false;

  constructor(private readonly graph: Graph) {}

  write(rows: readonly DecisionWrite[], counter: QueryCounter): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, counter, resolve, reject });
      // Rows decided in the same turn of the event loop (a batch of customers) join one transaction.
      if (!this.writing) {
        this.writing = true;
        queueMicrotask(() => void this.flush());
      }
    });
  }

  /** Runs the write of `rows` in a transaction that is rolled back (the start-up warm-up): planned and executed, nothing kept. */
  async rehearse(rows: readonly DecisionWrite[]): Promise<void> {
    if (rows.length === 0) return;
    await this.graph.rehearse((tx) => writeDecisions(tx, rows));
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await writeDecisions(this.graph.session(), batch.flatMap((p) => p.rows));
        // One round trip for each request that waited on it, however many of its decisions it carried.
        for (const counter of new Set(batch.map((p) => p.counter))) counter.queries += 1;
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.writing = false;
  }
}
