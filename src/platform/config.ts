import { z } from "zod";

/** Gateway settings, read once from the environment and validated before anything starts. */
export interface Config {
  port: number;
  host: string;
  neo4j: { uri: string | undefined; username: string; password: string; database: string | undefined; readTimeoutMs: number };
  /** REDIS_URL, or `redis+cluster://…` built from REDIS_CLUSTER_NODES (see src/platform/redis.ts). */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** Under Redis Cluster: replicas a durable write waits for, and how long at most (REDIS_CLUSTER_WAIT_REPLICAS, REDIS_CLUSTER_WAIT_MS). */
  redisClusterDurability: { replicas: number; timeoutMs: number };
  logLevel: string;
  demo: { customers: number; seed: number };
  realtime: RealtimeConfig;
  audit: AuditConfig;
  /** Decisions written behind the answer (src/decisioning/writer.ts). */
  decisionWriter: DecisionWriterConfig;
  /** How decisions learn: exploration and the warm start (src/decisioning/). */
  decisioning: DecisioningConfig;
  /** Rule-tag jobs (src/tags/jobs.ts). */
  tagJobs: TagJobsConfig;
  /** How bearer tokens are checked; see src/auth/tokens.ts. Unset in development: `npm start` makes a secret. */
  auth: { secret: string | undefined; jwksUrl: string | undefined; issuer: string | undefined; audience: string | undefined };
  /** NODE_ENV=production: no development conveniences (a generated secret, printed tokens, introspection, field suggestions). */
  production: boolean;
  /** Deadlines, WebSocket caps, origins, trusted documents and rate limits (docs/SECURITY.md, "Limits"). */
  limits: LimitsConfig;
  /** The start-up warm-up of the hot paths (src/main/warm-up.ts). */
  warmUp: WarmUpConfig;
  /** How a stop signal drains the replica (src/server/server.ts, src/platform/run-main.ts). */
  shutdown: ShutdownConfig;
  /** METRICS_TOKEN: the bearer token /metrics asks for (src/server/observability.ts); unset: open in development, refused in production. */
  metricsToken: string | undefined;
}

/**
 * The drain on SIGTERM. /readyz answers 503 "draining" at once; for `drainDelayMs` (when a balancer
 * or kubelet has asked /readyz lately) the replica keeps serving so the balancer sees it and sends
 * new work elsewhere; then it stops accepting, finishes what is in flight, closes sockets with 1012
 * and flushes its write-behind. `graceMs` bounds the whole stop; the orchestrator's own limit
 * (Kubernetes' terminationGracePeriodSeconds) must be longer.
 */
export interface ShutdownConfig {
  /** SHUTDOWN_DRAIN_DELAY_MS: serving on, answered "draining" by /readyz, before the listener closes. */
  drainDelayMs: number;
  /** SHUTDOWN_GRACE_MS: the longest a stop may take before the process exits regardless. */
  graceMs: number;
}

export const DEFAULT_SHUTDOWN: Readonly<ShutdownConfig> = { drainDelayMs: 5_000, graceMs: 25_000 };

/**
 * SHUTDOWN_GRACE_MS as the process's stop limit (src/platform/run-main.ts reads it before the
 * configuration is loaded): a value loadConfig would refuse falls back to the default here, and
 * the start then fails on it with the configuration's message.
 */
export function shutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = Number(env.SHUTDOWN_GRACE_MS);
  return env.SHUTDOWN_GRACE_MS && Number.isInteger(raw) && raw >= 1_000 && raw <= 3_600_000 ? raw : DEFAULT_SHUTDOWN.graceMs;
}

/** The start-up warm-up: whether it runs (WARMUP) and how long it may hold /readyz at "warming" (WARMUP_MS). */
export interface WarmUpConfig {
  enabled: boolean;
  budgetMs: number;
}

export const DEFAULT_WARM_UP: Readonly<WarmUpConfig> = { enabled: true, budgetMs: 5_000 };

/**
 * Per-role budgets per minute, by role name, for RATE_LIMITS: e.g. "AGENT=600/120/120" is 600
 * reads, 120 decisions and 120 mutations a minute. Roles not named keep their defaults
 * (src/auth/rate-limits.ts); "off" turns rate limiting off.
 */
export type RateLimitSetting = "off" | Readonly<Record<string, { reads: number; decisions: number; mutations: number }>>;

/** What one request, socket or principal may take. */
export interface LimitsConfig {
  /** Deadline of an HTTP request and of each WebSocket query or mutation: REQUEST_TIMEOUT_MS. */
  requestTimeoutMs: number;
  /** Largest WebSocket message; a larger one closes the socket with 1009 unread: WS_MAX_PAYLOAD_BYTES. */
  wsMaxPayloadBytes: number;
  /** Operations (subscriptions, and queries while they run) open at once on one socket: WS_MAX_SUBSCRIPTIONS. */
  wsMaxOperationsPerSocket: number;
  /** Subscriptions one principal may hold across its sockets on this replica: WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL. */
  wsMaxSubscriptionsPerPrincipal: number;
  /** Browser origins allowed to open a WebSocket (ALLOWED_ORIGINS); null: the gateway's own host only. */
  allowedOrigins: readonly string[] | null;
  /** TRUSTED_DOCUMENTS: "enforce" runs only the documents of schema/persisted-documents.json for non-ADMIN principals. */
  trustedDocuments: "off" | "enforce";
  /**
   * FEDERATION_ROUTER_KEY: a secret the supergraph router sends in `x-federation-router-key`; with it,
   * the router's `_entities`/`_service` fetches pass TRUSTED_DOCUMENTS=enforce. Null: they are refused.
   */
  federationRouterKey: string | null;
  /** RATE_LIMITS: per-principal budgets in Redis, shared by replicas. */
  rateLimits: RateLimitSetting;
}

export const DEFAULT_LIMITS: Readonly<LimitsConfig> = {
  requestTimeoutMs: 10_000,
  wsMaxPayloadBytes: 256 * 1024,
  wsMaxOperationsPerSocket: 100,
  wsMaxSubscriptionsPerPrincipal: 500,
  allowedOrigins: null,
  trustedDocuments: "off",
  federationRouterKey: null,
  rateLimits: {},
};

/** Real time: the event consumer and the live sockets. */
export interface RealtimeConfig {
  /** A pending event idle this long is claimed again (failed, or its replica died): EVENT_RETRY_AFTER_MS. */
  retryAfterMs: number;
  /** Attempts before an event is parked: EVENT_MAX_ATTEMPTS. */
  maxAttempts: number;
  /** Pushes one subscription may have waiting before its socket is closed (4413): PUSH_BUFFER. */
  pushBuffer: number;
  /** WebSocket ping interval; a socket whose pong is not back within as long again is dropped: WS_KEEPALIVE_MS. */
  keepAliveMs: number;
  /**
   * How long after HOTLINE_CALL_START an agent sees its caller unmasked when no HOTLINE_CALL_END
   * comes: HOTLINE_CALL_WINDOW_MS (default 30 minutes).
   */
  callWindowMs: number;
}

export const DEFAULT_REALTIME: Readonly<RealtimeConfig> = { retryAfterMs: 15_000, maxAttempts: 5, pushBuffer: 256, keepAliveMs: 15_000, callWindowMs: 30 * 60_000 };

/** The audit trail: the writer that moves entries from Redis to Neo4j, and the buffer for Redis outages. */
export interface AuditConfig {
  /** Stream entries (one per request) the writer commits in one Neo4j transaction at most: AUDIT_BATCH. */
  batch: number;
  /** How long the writer gathers a batch after its first entry before committing it: AUDIT_LINGER_MS. */
  lingerMs: number;
  /** Entries delivered to a writer and not committed for this long are claimed by another (its replica died): AUDIT_CLAIM_AFTER_MS. */
  claimAfterMs: number;
  /** Most audit entries held in memory while Redis is unreachable; beyond, they are dropped and logged as errors: AUDIT_BUFFER. */
  buffer: number;
}

/** The movers of decisions from their Redis stream into Neo4j (src/decisioning/writer.ts). */
export interface DecisionWriterConfig {
  /** Stream entries (a request's or an event's decisions each) per Neo4j transaction at most: DECISION_WRITE_BATCH. */
  batch: number;
  /** How long a mover gathers after the first entry before committing: DECISION_WRITE_LINGER_MS. */
  lingerMs: number;
  /** Entries delivered to a mover and not committed for this long are claimed by another (its replica died): DECISION_WRITE_CLAIM_AFTER_MS. */
  claimAfterMs: number;
}

/**
 * Big batches under load (one transaction for many requests' decisions), a short linger so an idle
 * gateway's decision reaches the graph within a tenth of a second, and claims of a dead replica's
 * entries after ten seconds.
 */
export const DEFAULT_DECISION_WRITER: Readonly<DecisionWriterConfig> = { batch: 500, lingerMs: 50, claimAfterMs: 10_000 };

/** How decisions learn, from DECISION_EXPLORATION and MODEL_WARM_START ("on" or "off"). */
export interface DecisioningConfig {
  /** Thompson sampling orders each decision's eligible candidates (src/decisioning/decide.ts). */
  exploration: boolean;
  /** At start, an empty propensity model learns the trajectory's historical answers once (src/decisioning/warm-start.ts). */
  warmStart: boolean;
}

/**
 * Exploration on: a model that never explores stops learning about what it ranks low. The warm
 * start off until it earns its place: on the seeded history it lowered acceptance after learning
 * (`npm run evaluate`: 14.6% against 15.7% from a blank model, bench/BENCHMARKS.md), as most
 * historical positives are clicks on offers the seed's own rules chose. An operator whose
 * trajectory holds real answers turns it on (MODEL_WARM_START=on) and checks it with the same command.
 */
export const DEFAULT_DECISIONING: Readonly<DecisioningConfig> = { exploration: true, warmStart: false };

/** Rule-tag jobs' tuning (src/tags/jobs.ts), from TAG_JOB_* variables. */
export interface TagJobsConfig {
  /** Customers (an idx range) per batch transaction. */
  batch: number;
  /** A pause between batches, ms: leaves the graph to live traffic during a long run (0: none). */
  pauseMs: number;
  /** A worker's lock on its job: a killed worker's job is taken over this long after its last renewal. */
  lockMs: number;
  /** Attempts of a failing run, the first included (then it is FAILED). */
  attempts: number;
  /** The daily run, as cron (minute hour day month weekday) in `timezone`. */
  dailyAt: string;
  timezone: string;
}

export const DEFAULT_TAG_JOBS: Readonly<TagJobsConfig> = { batch: 5_000, pauseMs: 0, lockMs: 30_000, attempts: 3, dailyAt: "0 2 * * *", timezone: "Asia/Shanghai" };

export const DEFAULT_AUDIT: Readonly<AuditConfig> = { batch: 200, lingerMs: 500, claimAfterMs: 30_000, buffer: 50_000 };

const intIn = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return fallback;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer from ${min} to ${max}; got "${raw}".` });
        return z.NEVER;
      }
      return n;
    });

const uriWith = (name: string, schemes: string[]) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return undefined;
      const scheme = /^([a-z0-9+]+):\/\//.exec(raw)?.[1];
      if (!scheme || !schemes.includes(scheme)) {
        ctx.addIssue({ code: "custom", message: `${name} must be a URI starting with ${schemes.map((s) => `${s}://`).join(", ")}; got "${raw}".` });
        return z.NEVER;
      }
      return raw;
    });

const origins = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === "") return null;
    const list: string[] = [];
    for (const item of raw.split(",").map((o) => o.trim()).filter(Boolean)) {
      let origin: string | undefined;
      try {
        origin = new URL(item).origin;
      } catch {
        origin = undefined;
      }
      if (!origin || origin === "null" || !/^https?:\/\//.test(item)) {
        ctx.addIssue({ code: "custom", message: `ALLOWED_ORIGINS must be comma-separated origins such as "https://desk.example.com"; "${item}" is not one.` });
        return z.NEVER;
      }
      list.push(origin);
    }
    return list;
  });

const rateLimits = z
  .string()
  .optional()
  .transform((raw, ctx): RateLimitSetting => {
    if (raw === undefined || raw.trim() === "" || raw.trim() === "on") return {};
    if (raw.trim() === "off") return "off";
    const budgets: Record<string, { reads: number; decisions: number; mutations: number }> = {};
    for (const item of raw.split(",").map((o) => o.trim()).filter(Boolean)) {
      const m = /^([A-Z]+)=(\d+)\/(\d+)\/(\d+)$/.exec(item);
      if (!m) {
        ctx.addIssue({ code: "custom", message: `RATE_LIMITS must be "off" or ROLE=reads/decisions/mutations per minute, comma-separated (e.g. "AGENT=600/120/120"); got "${item}".` });
        return z.NEVER;
      }
      budgets[m[1] as string] = { reads: Number(m[2]), decisions: Number(m[3]), mutations: Number(m[4]) };
    }
    return budgets;
  });

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const envSchema = z.object({
  PORT: intIn("PORT", 0, 65535, 4000),
  HOST: z.string().default("0.0.0.0"),
  NEO4J_URI: uriWith("NEO4J_URI", ["bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"]),
  NEO4J_USERNAME: z.string().default("neo4j"),
  NEO4J_PASSWORD: z.string().default(""),
  NEO4J_DATABASE: z.string().optional(),
  REDIS_URL: uriWith("REDIS_URL", ["redis", "rediss", "redis+cluster"]),
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return undefined;
      const nodes = raw.split(",").map((n) => n.trim());
      const bad = nodes.filter((n) => !/^(\[[^\]]+\]|[^:/\s]+):\d{1,5}$/.test(n));
      if (bad.length > 0) {
        ctx.addIssue({ code: "custom", message: `REDIS_CLUSTER_NODES must be host:port pairs separated by commas, e.g. "10.0.0.1:6379,10.0.0.2:6379"; "${bad.join('", "')}" is not.` });
        return z.NEVER;
      }
      return nodes;
    }),
  REDIS_CLUSTER_WAIT_REPLICAS: intIn("REDIS_CLUSTER_WAIT_REPLICAS", 0, 5, 1),
  REDIS_CLUSTER_WAIT_MS: intIn("REDIS_CLUSTER_WAIT_MS", 1, 10_000, 500),
  REDIS_KEY_PREFIX: z
    .string()
    .default("c360:")
    .refine((p) => /^[A-Za-z0-9_.:-]+:$/.test(p), { message: 'REDIS_KEY_PREFIX must be letters, digits, "_", ".", "-" or ":" ending with ":", e.g. "c360:" or "c360:staging:".' }),
  LOG_LEVEL: z
    .string()
    .default("info")
    .refine((l) => (LEVELS as readonly string[]).includes(l), { message: `LOG_LEVEL must be one of ${LEVELS.join(", ")}.` }),
  SEED_CUSTOMERS: intIn("SEED_CUSTOMERS", 1, 10_000_000, 20_000),
  SEED: intIn("SEED", 0, 2 ** 31 - 1, 42),
  EVENT_RETRY_AFTER_MS: intIn("EVENT_RETRY_AFTER_MS", 100, 3_600_000, DEFAULT_REALTIME.retryAfterMs),
  EVENT_MAX_ATTEMPTS: intIn("EVENT_MAX_ATTEMPTS", 1, 100, DEFAULT_REALTIME.maxAttempts),
  PUSH_BUFFER: intIn("PUSH_BUFFER", 1, 100_000, DEFAULT_REALTIME.pushBuffer),
  WS_KEEPALIVE_MS: intIn("WS_KEEPALIVE_MS", 1_000, 600_000, DEFAULT_REALTIME.keepAliveMs),
  HOTLINE_CALL_WINDOW_MS: intIn("HOTLINE_CALL_WINDOW_MS", 1_000, 24 * 3_600_000, DEFAULT_REALTIME.callWindowMs),
  AUDIT_BATCH: intIn("AUDIT_BATCH", 1, 10_000, DEFAULT_AUDIT.batch),
  AUDIT_LINGER_MS: intIn("AUDIT_LINGER_MS", 0, 600_000, DEFAULT_AUDIT.lingerMs),
  AUDIT_CLAIM_AFTER_MS: intIn("AUDIT_CLAIM_AFTER_MS", 100, 3_600_000, DEFAULT_AUDIT.claimAfterMs),
  DECISION_WRITE_BATCH: intIn("DECISION_WRITE_BATCH", 1, 10_000, DEFAULT_DECISION_WRITER.batch),
  DECISION_WRITE_LINGER_MS: intIn("DECISION_WRITE_LINGER_MS", 0, 60_000, DEFAULT_DECISION_WRITER.lingerMs),
  DECISION_WRITE_CLAIM_AFTER_MS: intIn("DECISION_WRITE_CLAIM_AFTER_MS", 100, 3_600_000, DEFAULT_DECISION_WRITER.claimAfterMs),
  DECISION_EXPLORATION: z.enum(["on", "off"], { message: 'DECISION_EXPLORATION must be "on" or "off".' }).default("on"),
  MODEL_WARM_START: z.enum(["on", "off"], { message: 'MODEL_WARM_START must be "on" or "off".' }).default("off"),
  AUDIT_BUFFER: intIn("AUDIT_BUFFER", 0, 10_000_000, DEFAULT_AUDIT.buffer),
  AUTH_SECRET: z
    .string()
    .optional()
    .refine((s) => s === undefined || s === "" || s.length >= 32, { message: "AUTH_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)." }),
  AUTH_JWKS_URL: uriWith("AUTH_JWKS_URL", ["https", "http"]),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  NODE_ENV: z.string().optional(),
  NEO4J_READ_TIMEOUT_MS: intIn("NEO4J_READ_TIMEOUT_MS", 100, 600_000, 5_000),
  REQUEST_TIMEOUT_MS: intIn("REQUEST_TIMEOUT_MS", 100, 600_000, DEFAULT_LIMITS.requestTimeoutMs),
  WS_MAX_PAYLOAD_BYTES: intIn("WS_MAX_PAYLOAD_BYTES", 1_024, 16 * 1024 * 1024, DEFAULT_LIMITS.wsMaxPayloadBytes),
  WS_MAX_SUBSCRIPTIONS: intIn("WS_MAX_SUBSCRIPTIONS", 1, 100_000, DEFAULT_LIMITS.wsMaxOperationsPerSocket),
  WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL: intIn("WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL", 1, 1_000_000, DEFAULT_LIMITS.wsMaxSubscriptionsPerPrincipal),
  ALLOWED_ORIGINS: origins,
  TRUSTED_DOCUMENTS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "" || raw === "off") return "off" as const;
      if (raw === "enforce") return "enforce" as const;
      ctx.addIssue({ code: "custom", message: `TRUSTED_DOCUMENTS must be "off" or "enforce"; got "${raw}".` });
      return z.NEVER;
    }),
  FEDERATION_ROUTER_KEY: z
    .string()
    .optional()
    .refine((s) => s === undefined || s === "" || s.length >= 32, { message: "FEDERATION_ROUTER_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`), or unset." }),
  RATE_LIMITS: rateLimits,
  WARMUP: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "" || raw === "on") return true;
      if (raw === "off") return false;
      ctx.addIssue({ code: "custom", message: `WARMUP must be "on" or "off"; got "${raw}".` });
      return z.NEVER;
    }),
  WARMUP_MS: intIn("WARMUP_MS", 100, 600_000, DEFAULT_WARM_UP.budgetMs),
  SHUTDOWN_DRAIN_DELAY_MS: intIn("SHUTDOWN_DRAIN_DELAY_MS", 0, 600_000, DEFAULT_SHUTDOWN.drainDelayMs),
  SHUTDOWN_GRACE_MS: intIn("SHUTDOWN_GRACE_MS", 1_000, 3_600_000, DEFAULT_SHUTDOWN.graceMs),
  TAG_JOB_BATCH: intIn("TAG_JOB_BATCH", 1, 100_000, DEFAULT_TAG_JOBS.batch),
  TAG_JOB_PAUSE_MS: intIn("TAG_JOB_PAUSE_MS", 0, 60_000, DEFAULT_TAG_JOBS.pauseMs),
  TAG_JOB_LOCK_MS: intIn("TAG_JOB_LOCK_MS", 1_000, 600_000, DEFAULT_TAG_JOBS.lockMs),
  TAG_JOB_ATTEMPTS: intIn("TAG_JOB_ATTEMPTS", 1, 20, DEFAULT_TAG_JOBS.attempts),
  TAG_JOB_DAILY_AT: z
    .string()
    .default(DEFAULT_TAG_JOBS.dailyAt)
    .refine((c) => /^\S+( \S+){4}$/.test(c.trim()), { message: 'TAG_JOB_DAILY_AT must be a cron pattern of five fields (minute hour day month weekday), e.g. "0 2 * * *".' }),
  TAG_JOB_TIMEZONE: z.string().default(DEFAULT_TAG_JOBS.timezone),
  // Read by src/platform/metrics.ts itself when it loads (its metrics are module constants); checked here so a typo fails the start.
  METRICS: z.enum(["on", "off"], { message: 'METRICS must be "on" or "off".' }).optional(),
  METRICS_TOKEN: z
    .string()
    .optional()
    .refine((s) => s === undefined || s === "" || /^[\x21-\x7e]{16,}$/.test(s), { message: "METRICS_TOKEN must be at least 16 printable characters without spaces (e.g. `openssl rand -hex 16`)." }),
});

/** Thrown when the environment is invalid: one sentence per bad value, no stack trace needed. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => i.message));
  const e = parsed.data;
  if (e.NEO4J_URI && !e.NEO4J_PASSWORD && env.NEO4J_PASSWORD === undefined) {
    // An external server nearly always needs credentials; say so now rather than on the first query.
    throw new ConfigError(["NEO4J_PASSWORD must be set when NEO4J_URI points at your own Neo4j server (set it to an empty string if auth is disabled)."]);
  }
  if (e.AUDIT_LINGER_MS >= e.AUDIT_CLAIM_AFTER_MS) {
    // Another writer would claim a batch while its writer is still gathering it.
    throw new ConfigError([`AUDIT_LINGER_MS (${e.AUDIT_LINGER_MS}) must be less than AUDIT_CLAIM_AFTER_MS (${e.AUDIT_CLAIM_AFTER_MS}).`]);
  }
  if (e.DECISION_WRITE_LINGER_MS >= e.DECISION_WRITE_CLAIM_AFTER_MS) {
    throw new ConfigError([`DECISION_WRITE_LINGER_MS (${e.DECISION_WRITE_LINGER_MS}) must be less than DECISION_WRITE_CLAIM_AFTER_MS (${e.DECISION_WRITE_CLAIM_AFTER_MS}).`]);
  }
  if (e.REDIS_CLUSTER_NODES && e.REDIS_URL) {
    throw new ConfigError([`Set REDIS_URL (one server, or redis+cluster://…) or REDIS_CLUSTER_NODES (a cluster's nodes), not both: REDIS_URL is "${e.REDIS_URL.replace(/\/\/[^@/]*@/, "//…@")}" and REDIS_CLUSTER_NODES "${e.REDIS_CLUSTER_NODES.join(",")}".`]);
  }
  if (e.SHUTDOWN_DRAIN_DELAY_MS >= e.SHUTDOWN_GRACE_MS) {
    // The drain would use up the whole stop before in-flight work and the write-behind get their turn.
    throw new ConfigError([`SHUTDOWN_DRAIN_DELAY_MS (${e.SHUTDOWN_DRAIN_DELAY_MS}) must be less than SHUTDOWN_GRACE_MS (${e.SHUTDOWN_GRACE_MS}); leave at least REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS}) between them for requests in flight.`]);
  }
  const production = e.NODE_ENV === "production";
  if (production && !e.AUTH_SECRET && !e.AUTH_JWKS_URL) {
    throw new ConfigError(["In production set AUTH_JWKS_URL (your identity provider's keys) or AUTH_SECRET (32+ characters): the gateway does not serve without a way to check tokens."]);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    neo4j: { uri: e.NEO4J_URI, username: e.NEO4J_USERNAME, password: e.NEO4J_PASSWORD, database: e.NEO4J_DATABASE || undefined, readTimeoutMs: e.NEO4J_READ_TIMEOUT_MS },
    redisUrl: e.REDIS_CLUSTER_NODES ? `redis+cluster://${e.REDIS_CLUSTER_NODES.join(",")}` : e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisClusterDurability: { replicas: e.REDIS_CLUSTER_WAIT_REPLICAS, timeoutMs: e.REDIS_CLUSTER_WAIT_MS },
    logLevel: e.LOG_LEVEL,
    demo: { customers: e.SEED_CUSTOMERS, seed: e.SEED },
    auth: { secret: e.AUTH_SECRET || undefined, jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER || undefined, audience: e.AUTH_AUDIENCE || undefined },
    production,
    limits: {
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
      wsMaxOperationsPerSocket: e.WS_MAX_SUBSCRIPTIONS,
      wsMaxSubscriptionsPerPrincipal: e.WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL,
      allowedOrigins: e.ALLOWED_ORIGINS,
      trustedDocuments: e.TRUSTED_DOCUMENTS,
      federationRouterKey: e.FEDERATION_ROUTER_KEY || null,
      rateLimits: e.RATE_LIMITS,
    },
    realtime: { retryAfterMs: e.EVENT_RETRY_AFTER_MS, maxAttempts: e.EVENT_MAX_ATTEMPTS, pushBuffer: e.PUSH_BUFFER, keepAliveMs: e.WS_KEEPALIVE_MS, callWindowMs: e.HOTLINE_CALL_WINDOW_MS },
    audit: { batch: e.AUDIT_BATCH, lingerMs: e.AUDIT_LINGER_MS, claimAfterMs: e.AUDIT_CLAIM_AFTER_MS, buffer: e.AUDIT_BUFFER },
    decisionWriter: { batch: e.DECISION_WRITE_BATCH, lingerMs: e.DECISION_WRITE_LINGER_MS, claimAfterMs: e.DECISION_WRITE_CLAIM_AFTER_MS },
    decisioning: { exploration: e.DECISION_EXPLORATION === "on", warmStart: e.MODEL_WARM_START === "on" },
    warmUp: { enabled: e.WARMUP, budgetMs: e.WARMUP_MS },
    shutdown: { drainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS, graceMs: e.SHUTDOWN_GRACE_MS },
    metricsToken: e.METRICS_TOKEN || undefined,
    tagJobs: {
      batch: e.TAG_JOB_BATCH,
      pauseMs: e.TAG_JOB_PAUSE_MS,
      lockMs: e.TAG_JOB_LOCK_MS,
      attempts: e.TAG_JOB_ATTEMPTS,
      dailyAt: e.TAG_JOB_DAILY_AT.trim(),
      timezone: e.TAG_JOB_TIMEZONE,
    },
  };
}
