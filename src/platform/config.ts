import { z } from "zod";

/** Gateway settings, read once from the environment and validated before anything starts. */
export interface Config {
  port: number;
  host: string;
  neo4j: { uri: string | undefined; username: string; password: string; database: string | undefined };
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  logLevel: string;
  demo: { customers: number; seed: number };
  realtime: RealtimeConfig;
  audit: AuditConfig;
  /** How bearer tokens are checked; see src/auth/tokens.ts. Unset in development: `npm start` makes a secret. */
  auth: { secret: string | undefined; jwksUrl: string | undefined; issuer: string | undefined; audience: string | undefined };
  /** NODE_ENV=production: no development conveniences (a generated secret, printed tokens). */
  production: boolean;
}

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
}

export const DEFAULT_REALTIME: Readonly<RealtimeConfig> = { retryAfterMs: 15_000, maxAttempts: 5, pushBuffer: 256, keepAliveMs: 15_000 };

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

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const envSchema = z.object({
  PORT: intIn("PORT", 0, 65535, 4000),
  HOST: z.string().default("0.0.0.0"),
  NEO4J_URI: uriWith("NEO4J_URI", ["bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"]),
  NEO4J_USERNAME: z.string().default("neo4j"),
  NEO4J_PASSWORD: z.string().default(""),
  NEO4J_DATABASE: z.string().optional(),
  REDIS_URL: uriWith("REDIS_URL", ["redis", "rediss"]),
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
  AUDIT_BATCH: intIn("AUDIT_BATCH", 1, 10_000, DEFAULT_AUDIT.batch),
  AUDIT_LINGER_MS: intIn("AUDIT_LINGER_MS", 0, 600_000, DEFAULT_AUDIT.lingerMs),
  AUDIT_CLAIM_AFTER_MS: intIn("AUDIT_CLAIM_AFTER_MS", 100, 3_600_000, DEFAULT_AUDIT.claimAfterMs),
  AUDIT_BUFFER: intIn("AUDIT_BUFFER", 0, 10_000_000, DEFAULT_AUDIT.buffer),
  AUTH_SECRET: z
    .string()
    .optional()
    .refine((s) => s === undefined || s === "" || s.length >= 32, { message: "AUTH_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)." }),
  AUTH_JWKS_URL: uriWith("AUTH_JWKS_URL", ["https", "http"]),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  NODE_ENV: z.string().optional(),
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
  const production = e.NODE_ENV === "production";
  if (production && !e.AUTH_SECRET && !e.AUTH_JWKS_URL) {
    throw new ConfigError(["In production set AUTH_JWKS_URL (your identity provider's keys) or AUTH_SECRET (32+ characters): the gateway does not serve without a way to check tokens."]);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    neo4j: { uri: e.NEO4J_URI, username: e.NEO4J_USERNAME, password: e.NEO4J_PASSWORD, database: e.NEO4J_DATABASE || undefined },
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    logLevel: e.LOG_LEVEL,
    demo: { customers: e.SEED_CUSTOMERS, seed: e.SEED },
    auth: { secret: e.AUTH_SECRET || undefined, jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER || undefined, audience: e.AUTH_AUDIENCE || undefined },
    production,
    realtime: { retryAfterMs: e.EVENT_RETRY_AFTER_MS, maxAttempts: e.EVENT_MAX_ATTEMPTS, pushBuffer: e.PUSH_BUFFER, keepAliveMs: e.WS_KEEPALIVE_MS },
    audit: { batch: e.AUDIT_BATCH, lingerMs: e.AUDIT_LINGER_MS, claimAfterMs: e.AUDIT_CLAIM_AFTER_MS, buffer: e.AUDIT_BUFFER },
  };
}
