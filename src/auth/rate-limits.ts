import type { Redis } from "ioredis";
import { RLWrapperTimeouts, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitSetting } from "../platform/config";
import { ForbiddenError, RateLimitedError } from "../platform/errors";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import { ROLES, isRole, type Principal, type Role } from "./principal";

/**
 * Per-principal rate limits, counted in Redis so every replica spends from one budget
 * (rate-limiter-flexible's RateLimiterRedis: one Lua script, one round trip per budget charged,
 * charged in parallel). Three budgets per minute, because their costs differ by orders of
 * magnitude: reads (each query or subscription), decisions (each decision an operation would
 * make, see ./cost.ts: a graph read, a Redis script and a trajectory write), and mutations.
 *
 * Redis down: each replica goes on counting in memory with the same budgets (the insurance
 * limiter), so an outage of the counter does not take the API down with it, and a flood is still
 * held per replica (at most replicas × budget in total while it lasts). Failing closed would turn
 * every Redis blip into an outage of reads that do not need Redis at all; decisions need Redis
 * anyway and fail with SERVICE_UNAVAILABLE until it is back.
 */

export type Budget = "reads" | "decisions" | "mutations";
export type RoleBudgets = Readonly<Record<Budget, number>>;

/**
 * Defaults per role, per minute. A desk (AGENT) is a person: a caller every minute or two, each
 * with a unified view, a few trajectory pages and offers; 600 reads leave room for a busy shift
 * and bursts, 120 decisions for re-asking on several channels. The app (APP) is one customer's
 * phone. A SERVICE is a feed or an internal app: campaigns and pushes decide in bulk. MARKETER and
 * APPROVER read and change strategies; they do not decide. ADMIN operates the gateway.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<Role, RoleBudgets>> = {
  AGENT: { reads: 600, decisions: 120, mutations: 120 },
  APP: { reads: 120, decisions: 30, mutations: 30 },
  MARKETER: { reads: 600, decisions: 0, mutations: 120 },
  APPROVER: { reads: 300, decisions: 0, mutations: 60 },
  SERVICE: { reads: 6_000, decisions: 6_000, mutations: 1_200 },
  ADMIN: { reads: 1_200, decisions: 600, mutations: 300 },
};

/** The window every budget is counted over. */
export const RATE_WINDOW_SECONDS = 60;

/** What one operation spends from each budget. */
export type Usage = Partial<Record<Budget, number>>;

export class RateLimits {
  private readonly budgets: Readonly<Record<Role, RoleBudgets>>;
  /** One limiter per budget and allowance: the Redis counter is the principal's, the allowance its roles'. */
  private readonly limiters = new Map<string, RLWrapperTimeouts>();

  /**
   * @param setting RATE_LIMITS: "off", or per-role overrides of {@link DEFAULT_RATE_LIMITS}
   * @throws Error naming the role when an override names one no token carries
   */
  constructor(
    private readonly redis: Redis,
    setting: RateLimitSetting,
    private readonly log: Logger,
  ) {
    this.enabled = setting !== "off";
    const overrides = setting === "off" ? {} : setting;
    for (const role of Object.keys(overrides)) {
      if (!isRole(role)) throw new Error(`RATE_LIMITS names role "${role}", which no token carries; roles are ${ROLES.join(", ")}.`);
    }
    this.budgets = { ...DEFAULT_RATE_LIMITS, ...(overrides as Partial<Record<Role, RoleBudgets>>) };
  }

  readonly enabled: boolean;

  /** The allowance of `principal` per minute in each budget: the most generous of its roles. */
  allowance(principal: Principal): RoleBudgets {
    const allowance = { reads: 0, decisions: 0, mutations: 0 };
    for (const role of principal.roles) {
      const b = this.budgets[role];
      for (const k of ["reads", "decisions", "mutations"] as const) allowance[k] = Math.max(allowance[k], b[k]);
    }
    return allowance;
  }

  /**
   * Spends `usage` from `principal`'s budgets, all at once; throws {@link RateLimitedError}
   * (RATE_LIMITED, retryAfterSeconds) naming the first budget that is spent, or FORBIDDEN when the
   * principal's roles have no allowance at all in it. Principals without a role (the gateway's own)
   * are not limited.
   */
  async charge(principal: Principal, usage: Usage): Promise<void> {
    if (!this.enabled || principal.roles.size === 0) return;
    const allowance = this.allowance(principal);
    const charges = (Object.entries(usage) as Array<[Budget, number]>).filter(([, n]) => n > 0);
    const outcomes = await Promise.all(
      charges.map(async ([budget, points]) => {
        if (allowance[budget] === 0) return { budget, points, refused: null };
        try {
          await this.limiter(budget, allowance[budget]).consume(principal.id, points);
          return null;
        } catch (error) {
          if (error instanceof RateLimiterRes) return { budget, points, refused: error };
          // Neither Redis nor the insurance limiter answered: count nothing rather than refuse.
          this.log.warn({ err: error instanceof Error ? error.message : String(error), budget }, "rate limiter unavailable; the request is let through");
          return null;
        }
      }),
    );
    const over = outcomes.find((o) => o !== null);
    if (!over) return;
    // A refused operation does not run, so it spends nothing: give back what this charge counted
    // (the refused budgets' counters were raised too). A flood stays refused: its counter stays full.
    await Promise.all(
      charges.map(([budget, points]) => (allowance[budget] === 0 ? undefined : this.limiter(budget, allowance[budget]).reward(principal.id, points).catch(() => undefined))),
    );
    const { budget, points, refused } = over;
    const per = `${allowance[budget]} ${budget} a minute`;
    if (!refused) {
      // No allowance at all is not a matter of waiting: a MARKETER selecting Customer.nextBestOffers
      // under a customer it may read would decide and write, which its roles may not.
      throw new ForbiddenError(`This token's roles (${[...principal.roles].join(", ")}) may make no ${budget}; the operation would make ${points}. Leave out the fields that make them (nextBestOffers decides and writes).`);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
    throw new RateLimitedError(
      `Rate limit reached: ${principal.id} may make ${per} across all replicas, and this operation would make ${points} more. Retry in ${retryAfterSeconds} s.`,
      retryAfterSeconds,
      budget,
    );
  }

  private limiter(budget: Budget, points: number): RLWrapperTimeouts {
    const id = `${budget}:${points}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const redis = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: keys.rateLimit(budget),
        points,
        duration: RATE_WINDOW_SECONDS,
        // The client has no offline queue: while Redis is down, go to the memory limiter at once.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: keys.rateLimit(budget), points, duration: RATE_WINDOW_SECONDS }),
      });
      // A Redis that is up but does not answer (overloaded, a network that drops packets) must not
      // hold every request: after CHARGE_TIMEOUT_MS the memory limiter answers instead.
      limiter = new RLWrapperTimeouts({ limiter: redis, timeoutMs: CHARGE_TIMEOUT_MS });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

/** How long a charge waits for Redis before the per-replica memory limiter decides. */
const CHARGE_TIMEOUT_MS = 300;
