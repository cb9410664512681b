import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { AuditCollector } from "../audit/collector";
import type { AuditService } from "../audit/service";
import { EVENT_PROCESSOR, type Principal } from "../auth/principal";
import { lapseOverdueClaims, type WorkOrderRecord } from "../graph/work-orders";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import type { WorkOrderService } from "./work-orders";
import { QueueConnections } from "../platform/queue-connections";

/**
 * Returns lapsed claims to the pool: a BullMQ job scheduler (`sweep`, queue `work-orders`) that
 * fires every `sweepEveryMs`; BullMQ makes one job per tick however many replicas register the
 * scheduler, and one worker takes it. Listings and claims already treat a lapsed claim as OPEN, so
 * nobody waits for the sweep; it makes the graph say so (status, claimedBy, reassignments) for
 * the evaluation centre and the audit trail.
 */

/** Who the sweep acts as, on the audit trail. */
export const WORK_ORDER_SWEEP: Principal = Object.freeze({ ...EVENT_PROCESSOR, id: "system:work-order-sweep" });

/** Orders returned per statement; the sweep repeats while it finds a full batch. */
const SWEEP_BATCH = 500;
const QUEUE = keys.workOrderQueue.name();

export class WorkOrderSweep {
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private readonly prefix: string;

  private readonly connections: QueueConnections;

  constructor(
    private readonly graph: Graph,
    redis: Redis,
    private readonly orders: WorkOrderService,
    private readonly audit: AuditService | null,
    private readonly log: Logger,
  ) {
    this.connections = new QueueConnections(redis, log, "work-order sweep");
    this.prefix = keys.workOrderQueue.prefix(redis.options.keyPrefix ?? "");
  }

  /** Registers the scheduler (idempotent: one id) and starts this replica's worker unless the config says not to. */
  start(): void {
    const blocking = this.connections.open(true);
    this.queue = new Queue(QUEUE, { connection: this.connections.open(false), prefix: this.prefix, defaultJobOptions: { removeOnComplete: 100, removeOnFail: 100 } });
    if (this.orders.config.worker) {
      this.worker = new Worker(QUEUE, () => this.sweep().then(() => undefined), { connection: blocking, prefix: this.prefix, concurrency: 1 });
      this.worker.on("error", (err: Error) => this.log.warn({ err: err.message }, "work-order sweep worker error"));
    }
    this.queue
      .upsertJobScheduler("sweep", { every: this.orders.config.sweepEveryMs }, { name: "sweep" })
      .catch((error: unknown) => this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "registering the work-order sweep failed; claims still lapse on read and claim"));
  }

  /** Returns every claim past its due time (by the pool's clock) to the pool; the orders as they were. */
  async sweep(): Promise<WorkOrderRecord[]> {
    await this.orders.pool.ready();
    const session = this.graph.backgroundSession(60_000);
    const lapsed: WorkOrderRecord[] = [];
    for (;;) {
      const batch = await lapseOverdueClaims(session, this.orders.clock.now(), SWEEP_BATCH);
      lapsed.push(...batch);
      if (batch.length < SWEEP_BATCH) break;
    }
    if (lapsed.length > 0 && this.audit) {
      const collector = new AuditCollector();
      for (const o of lapsed) {
        collector.change({
          action: "lapseWorkOrder",
          targetType: "WorkOrder",
          targetId: o.id,
          customerId: o.customerId,
          before: { status: o.status, claimedBy: o.claimedBy, dueAt: o.dueAt, reassignments: o.reassignments },
          after: { status: "OPEN", claimedBy: null, reassignments: o.reassignments + 1 },
        });
      }
      this.audit.record(WORK_ORDER_SWEEP, collector, { name: "workOrderSweep", type: "MUTATION", transport: "HTTP", subscription: null });
    }
    return lapsed;
  }

  async stop(): Promise<void> {
    await this.connections.close(this.worker?.close(), this.queue?.close());
    this.worker = null;
    this.queue = null;
  }

}
