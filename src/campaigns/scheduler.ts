import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { CampaignHooks } from "../domain/campaigns";
import { dueReports, dueWaves, markReported } from "../graph/campaigns";
import { ServiceUnavailableError } from "../platform/errors";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import { redisCall } from "../platform/redis";
import type { CampaignConfig } from "./config";
import type { WaveRunner } from "./waves";
import { QueueConnections } from "../platform/queue-connections";

interface CampaignJob {
  waveId?: string;
  /** A report job's campaign. */
  campaignId?: string;
}

const TICK_SCHEDULER = "campaigns-tick";

/**
 * The durable scheduler (BullMQ, like the tag jobs and snapshots): a job scheduler `campaigns-tick`
 * runs a tick every `tickMs` on one replica; a tick reads the waves due by the injected clock and
 * adds a job `wave-<waveId>` for each. BullMQ refuses a second job with an id that exists, so a wave
 * is run by one replica at a time however many ticks saw it; the wave itself is resumable and
 * idempotent (./waves.ts), so a job retried after an outage (exponential backoff) or taken over after
 * its replica died (stalled-job recovery, `lockMs`) continues where the last commit left it.
 * Finished wave jobs are removed, so a paused wave's job can be added again once it is resumed.
 *
 * The same tick queues `report-<campaignId>` for each campaign whose report is due (the response
 * window after it ended, `reportDueAt` in the graph, so it survives restarts and follows the
 * injected clock). The job asks the evaluation centre for the report (idempotent) and then takes
 * the campaign off the due index; a failure is retried with backoff and by later ticks.
 */
export class CampaignScheduler {
  private queue: Queue<CampaignJob> | null = null;
  private worker: Worker<CampaignJob> | null = null;
  private readonly prefix: string;
  /** The deployment (Redis key prefix) whose campaigns this scheduler runs. */
  readonly deployment: string;
  private stopped = false;

  private readonly connections: QueueConnections;

  constructor(
    private readonly graph: Graph,
    redis: Redis,
    private readonly runner: WaveRunner,
    private readonly hooks: CampaignHooks,
    private readonly config: CampaignConfig,
    private readonly log: Logger,
  ) {
    this.connections = new QueueConnections(redis, log, "campaign queue");
    this.deployment = redis.options.keyPrefix ?? "";
    this.prefix = keys.snapshotQueue.prefix(this.deployment);
  }


  private jobs(): Queue<CampaignJob> {
    if (this.stopped) throw new ServiceUnavailableError("redis", "the gateway is shutting down, so the campaign queue is closed", "stopped");
    return (this.queue ??= new Queue<CampaignJob>(keys.campaigns.queue(), {
      connection: this.connections.open(false),
      prefix: this.prefix,
      defaultJobOptions: { attempts: this.config.attempts, backoff: { type: "exponential", delay: 2_000 }, removeOnComplete: true, removeOnFail: true },
    }));
  }

  /** Starts the worker and the tick's job scheduler (one however many replicas register it). */
  start(): void {
    this.stopped = false;
    this.jobs();
    if (!this.config.worker) return;
    this.worker = new Worker<CampaignJob>(keys.campaigns.queue(), (job) => this.process(job), {
      connection: this.connections.open(true),
      prefix: this.prefix,
      concurrency: 2,
      lockDuration: this.config.lockMs,
      stalledInterval: Math.max(1_000, Math.floor(this.config.lockMs / 2)),
      maxStalledCount: 5,
    });
    this.worker.on("error", (err: Error) => this.log.warn({ err: err.message }, "campaign worker error"));
    void redisCall(this.jobs().upsertJobScheduler(TICK_SCHEDULER, { every: this.config.tickMs }, { name: "tick", data: {} })).catch((error: unknown) =>
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "registering the campaign tick failed; waves start on launch, resume and the next start"),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connections.close(this.worker?.close(), this.queue?.close());
    this.worker = null;
    this.queue = null;
  }

  /**
   * Queues a job for every wave and every report due by the clock (tests call it after moving the
   * clock; the tick job calls it every `tickMs`). Returns the ids of the waves and the campaigns
   * whose reports were found due.
   */
  async tick(): Promise<string[]> {
    const session = this.graph.backgroundSession(30_000);
    const now = this.config.clock.now();
    const [waves, reports] = await Promise.all([dueWaves(session, now, this.deployment), dueReports(session, now, this.deployment)]);
    const queue = this.jobs();
    for (const w of waves) await redisCall(queue.add("wave", { waveId: w.waveId }, { jobId: `wave-${w.waveId}` }));
    for (const campaignId of reports) await redisCall(queue.add("report", { campaignId }, { jobId: `report-${campaignId}` }));
    return [...waves.map((w) => w.waveId), ...reports];
  }

  private async process(job: Job<CampaignJob>): Promise<void> {
    if (job.name === "tick") {
      await this.tick();
      return;
    }
    if (job.name === "report") {
      const campaignId = job.data.campaignId;
      if (!campaignId) return;
      await this.hooks.produceReport(campaignId);
      await markReported(this.graph.backgroundSession(30_000), campaignId, this.config.clock.now());
      this.log.info({ campaignId }, "campaign report produced");
      return;
    }
    const waveId = job.data.waveId;
    if (!waveId) return;
    await this.runner.run(waveId, (done, total) => job.updateProgress(total === 0 ? 1 : done / total));
  }
}
