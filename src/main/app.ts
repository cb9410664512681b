import { DEFAULT_SHUTDOWN, type ShutdownConfig, DEFAULT_AUDIT, DEFAULT_DECISIONING, DEFAULT_LIMITS, type DecisioningConfig, DEFAULT_REALTIME, DEFAULT_WARM_UP, type WarmUpConfig, type AuditConfig, type Config, type DecisionWriterConfig, type LimitsConfig, type RealtimeConfig, type TagJobsConfig } from "../platform/config";
import { RateLimits } from "../auth/rate-limits";
import { TrustedDocuments } from "../auth/trusted-documents";
import type { Services } from "../server/context";
import { Graph, type GraphConnection } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import { wireServices } from "./wiring";
import { warmUp, type WarmUpOptions, type WarmUpReport } from "./warm-up";
import type { SnapshotConfig } from "../marketing/snapshots/service";
import type { CampaignWiring } from "../campaigns/config";
import type { WorkOrderConfig } from "../campaigns/work-orders";
import { TokenVerifier, type AuthConfig } from "../auth/tokens";
import type { Redis } from "ioredis";
import { createRedis } from "../platform/redis";
import { eventBacklog, onScrape, writeBehindBacklog } from "../platform/metrics";
import { startGateway, type RunningGateway } from "../server/server";
import type { DevToken } from "../server/pages";
import { buildGatewaySchema } from "../../schema/build";

/** A gateway process's moving parts, opened in order and closed in reverse. */
export interface App {
  gateway: RunningGateway;
  services: Services;
  /** Settles when the start-up warm-up is over and /readyz goes on to its usual checks (at once without one); never rejects. */
  warmedUp: Promise<WarmUpReport | null>;
  close(): Promise<void>;
}

/** Connects to Neo4j and Redis and serves the schema; `close` drains and disconnects. */
export async function openApp(opts: {
  neo4j: GraphConnection;
  redisUrl: string;
  config: Pick<Config, "port" | "host" | "redisKeyPrefix"> & {
    /** Under Redis Cluster, what a durable write waits for (default: one replica, 500 ms). */
    redisClusterDurability?: Config["redisClusterDurability"];
    realtime?: Partial<RealtimeConfig>;
    audit?: Partial<AuditConfig>;
    auth: AuthConfig;
    limits?: Partial<LimitsConfig>;
    production?: boolean;
    /** Rule-tag jobs: tuning, and whether this replica runs a worker (default true). */
    tagJobs?: Partial<TagJobsConfig> & { worker?: boolean };
    /** Build the segment index in the background at start when none is served (default true; tests build it where they preview). */
    segmentIndexOnStart?: boolean;
    /** Segment snapshots: the worker, and (tests) a short schedule interval. */
    snapshots?: SnapshotConfig;
    /** Campaigns: the scheduler's clock and tuning (tests move the clock). */
    campaigns?: CampaignWiring;
    /** The work-order pool: claim hold of overdue orders, sweep interval, whether this replica runs the sweep. */
    workOrders?: Partial<WorkOrderConfig>;
    /** Decisions written behind the answer: batch, linger, claim after (tests shorten the claim). */
    decisionWriter?: Partial<DecisionWriterConfig>;
    /** Exploration and the model's warm start (DECISION_EXPLORATION on and MODEL_WARM_START off by default; test gateways turn both off unless a test asks). */
    decisioning?: Partial<DecisioningConfig>;
    /** The start-up warm-up (./warm-up.ts; WARMUP, WARMUP_MS) and, for tests, its customer, rounds and a gate; absent or disabled: none, ready at once. */
    warmUp?: Partial<WarmUpConfig> & Omit<WarmUpOptions, "budgetMs">;
    /** Development with the checkout's own secret: the demo tokens the pages' pickers and GraphiQL offer. */
    devTokens?: readonly DevToken[];
    /** The drain on a stop signal (SHUTDOWN_DRAIN_DELAY_MS; the grace is run-main's). Absent: no drain delay (tests' in-process gateways). */
    shutdown?: Partial<ShutdownConfig>;
    /** METRICS_TOKEN: the bearer token /metrics asks for; unset: open in development, refused in production. */
    metricsToken?: string | undefined;
  };
  log: Logger;
}): Promise<App> {
  const graph = Graph.connect(opts.neo4j);
  const redis = createRedis(opts.redisUrl, opts.config.redisKeyPrefix, opts.config.redisClusterDurability);
  redis.on("error", (err: Error) => opts.log.warn({ err: err.message }, "redis connection error"));
  const { worker: tagWorker = true, ...tagJobsConfig } = opts.config.tagJobs ?? {};
  const services = wireServices(graph, redis, opts.log, { ...DEFAULT_REALTIME, ...opts.config.realtime }, { ...DEFAULT_AUDIT, ...opts.config.audit }, opts.config.snapshots ?? {}, tagJobsConfig, opts.config.campaigns ?? {}, opts.config.workOrders ?? {}, {}, opts.config.decisionWriter ?? {}, opts.config.decisioning ?? {});
  const decisioningConfig = { ...DEFAULT_DECISIONING, ...opts.config.decisioning };
  const { realtime, pubsub, sessions, auditTrail } = services;
  const { enabled: warmUpEnabled = false, budgetMs = DEFAULT_WARM_UP.budgetMs, ...warmUpOptions } = opts.config.warmUp ?? {};
  const warming = warmUpEnabled ? new AbortController() : null;
  try {
    await connected(redis, REDIS_CONNECT_WAIT_MS);
    // Revocations load before the first token is checked.
    await sessions.start();
    const limits = { ...DEFAULT_LIMITS, ...opts.config.limits };
    const gateway = await startGateway({
      schema: await buildGatewaySchema(),
      services,
      port: opts.config.port,
      host: opts.config.host,
      tokens: new TokenVerifier(opts.config.auth, (subject, issuedAtMs) => sessions.isRevoked(subject, issuedAtMs)),
      limits,
      rateLimits: new RateLimits(redis, limits.rateLimits, opts.log),
      trusted: TrustedDocuments.load(limits.trustedDocuments, undefined, limits.federationRouterKey),
      production: opts.config.production ?? false,
      metricsToken: opts.config.metricsToken,
      warming: warming !== null,
      drainDelayMs: opts.config.shutdown ? { ...DEFAULT_SHUTDOWN, ...opts.config.shutdown }.drainDelayMs : 0,
      ...(opts.config.devTokens ? { devTokens: opts.config.devTokens } : {}),
    });
    const stopProbes = onScrape(() => observeBacklogs(services));
    realtime.start();
    services.tags.start();
    if (tagWorker) services.tagJobs.start();
    services.snapshots.start();
    services.campaigns.start();
    services.workOrderSweep.start();
    auditTrail.start();
    services.decisioning.writer.start();
    // Behind the listening socket: decisions use the prior until the model has learned the history.
    const warmStarting = new AbortController();
    const warmStarted = decisioningConfig.warmStart
      ? services.decisioning.warmStart(graph.session(), opts.log, { signal: warmStarting.signal }).then(
          (r) => void (r.skipped ? opts.log.debug({ skipped: r.skipped }, "model warm start not needed") : undefined),
          (error: unknown) => opts.log.warn({ err: error instanceof Error ? error.message : String(error) }, "model warm start failed; the model learns from live answers"),
        )
      : Promise.resolve();
    // builds the segment bitmaps in the background when none are served (a preview starts the build too)
    if (opts.config.segmentIndexOnStart ?? true) services.segments.index.start();
    // Behind the listening socket: /healthz answers at once, /readyz says "warming" until it is over.
    const warm = warming ? warmUp(services, gateway, opts.log, { ...warmUpOptions, budgetMs }, warming.signal) : null;
    const warmedUp = warm
      ? warm.report
          .catch((error: unknown) => {
            opts.log.warn({ err: error instanceof Error ? error.message : String(error) }, "warm-up failed; the gateway turns ready all the same");
            return null;
          })
          .finally(() => gateway.warmed())
      : Promise.resolve(null);
    let closing: Promise<void> | undefined;
    return {
      gateway,
      services,
      warmedUp,
      close: () =>
        (closing ??= (async () => {
          // A warm-up still running starts no further step; the one in flight settles before
          // anything closes under it (past the budget the report settled long ago, but a step may
          // still be in flight). Its budget bounds that wait too: a close is never held longer.
          warming?.abort();
          await warmedUp;
          if (warm) await settledWithin(warm.settled, budgetMs);
          // Each step is named: one that has not settled after 5 s says so (a stop is bounded by
          // src/platform/run-main.ts; this says what it was waiting for).
          const step = async (name: string, work: () => Promise<unknown> | unknown): Promise<void> => {
            const slow = setTimeout(() => opts.log.warn({ step: name }, "stopping: still waiting for this step after 5 s"), 5_000).unref();
            try {
              await work();
            } finally {
              clearTimeout(slow);
            }
          };
          stopProbes();
          await step("http and websocket", () => gateway.close());
          warmStarting.abort();
          await step("model warm start", () => warmStarted);
          services.campaignHooks.close();
          await step("tag jobs", () => services.tagJobs.stop());
          await step("event consumer", () => realtime.stop());
          await step("snapshots", () => services.snapshots.stop());
          await step("campaigns", () => services.campaigns.stop());
          await step("work-order sweep", () => services.workOrderSweep.stop());
          // After the last decision: what this replica gathered is committed; the rest waits in the stream for any replica.
          await step("decision writer", () => services.decisioning.writer.stop());
          // After the last request: what it noted is on the stream (or held, and tried once more).
          await step("audit writer", () => auditTrail.stop());
          sessions.stop();
          pubsub.close();
          redis.disconnect();
          await step("neo4j", () => graph.close());
        })()),
    };
  } catch (error) {
    await services.tagJobs.stop();
    await services.campaigns.stop();
    await services.workOrderSweep.stop();
    sessions.stop();
    pubsub.close();
    redis.disconnect();
    await graph.close();
    throw error;
  }
}

/**
 * Reads the backlogs that live in Redis for a scrape (/metrics): the event stream's length,
 * pending, undelivered lag and parked entries, and the write-behind streams' uncommitted entries.
 * One that cannot be read keeps its last value (the scrape of everything else goes on).
 */
async function observeBacklogs(services: Services): Promise<void> {
  const [pipeline, decisions, audit] = await Promise.allSettled([services.realtime.pipeline(), services.decisioning.writer.backlog(), services.auditTrail.writer.backlog()]);
  if (pipeline.status === "fulfilled") {
    const { length, pending, lag, parked } = pipeline.value;
    eventBacklog.set({ state: "length" }, length);
    eventBacklog.set({ state: "pending" }, pending);
    // Redis before 7 does not know a group's lag: left out rather than shown as zero.
    if (lag !== null) eventBacklog.set({ state: "lag" }, lag);
    eventBacklog.set({ state: "parked" }, parked);
  }
  if (decisions.status === "fulfilled") writeBehindBacklog.set({ stream: "decisions" }, decisions.value);
  if (audit.status === "fulfilled") writeBehindBacklog.set({ stream: "audit" }, audit.value);
}

/** Resolves when `settled` does or after `ms`, whichever is first; leaves no timer behind. */
async function settledWithin(settled: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** How long start-up waits for Redis before serving anyway (requests needing it then fail fast until it is back). */
const REDIS_CONNECT_WAIT_MS = 3_000;

/**
 * Resolves once the client is connected, or after `ms` in any case: without an offline queue, a
 * request arriving in the milliseconds before the first connection would otherwise fail with
 * SERVICE_UNAVAILABLE although Redis is up.
 */
function connected(redis: Redis, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    redis.once("ready", done);
    function done(): void {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    }
  });
}
