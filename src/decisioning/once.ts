import { createHash, randomBytes } from "node:crypto";
import DataLoader from "dataloader";
import type { ChainableCommander, Redis } from "ioredis";
import { ServiceUnavailableError } from "../platform/errors";
import { keys } from "../platform/keys";
import { isReplyBug, redisCall } from "../platform/redis";
import { defineScripts } from "../platform/scripts";

/**
 * Deciding is safe to repeat. A decision writes (the trajectory, contact caps), so a client's
 * refetch or retry, or 500 aliases of one field, must not decide again: the same request (same
 * principal, customer, channel, limit and context) within the window gets the same decisions back,
 * read from the graph by id, and writes nothing.
 *
 * Per request hash one Redis key holds first a lock (the claim deciding it), then the decision ids
 * for the window. Two identical requests at once: one claims and decides, the other waits for the
 * answer and reads it back; within one process they share the very promise, so a request with 500
 * identical aliases decides once and polls nothing. A claim whose decision fails lets go of the
 * lock, so a retry decides afresh; one whose process died is taken over when its lock expires.
 *
 * Claims made in the same tick (the 20 customers of one request's `customers { nextBestOffers }`)
 * go to Redis in one pipeline and come back together, so the decisions behind them still share
 * one graph read; answers are stored the same way.
 */

export interface OnceOptions {
  /** How long a request's answer is kept for repeats. */
  windowMs: number;
  /** How long a claim may decide before another may take over (a decision takes milliseconds). */
  lockMs: number;
}

export const DEFAULT_ONCE: Readonly<OnceOptions> = { windowMs: 5 * 60_000, lockMs: 10_000 };

const SCRIPTS = "src/decisioning/scripts";
const LOCK = "lock:";
/** Waiting for another claim's answer: first look after this, then back off to the most. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

interface OnceScripts {
  decideOnceRelease(key: string, lock: string): Promise<number>;
}

/** The scripts as pipeline commands. */
interface OncePipeline extends ChainableCommander {
  decideOnceClaim(key: string, lock: string, lockMs: number): OncePipeline;
  decideOnceSettle(key: string, lock: string, answer: string, windowMs: number): OncePipeline;
}

/** What identifies one decision request: its hash is the key its answer is kept under. */
export interface RequestIdentity {
  principalId: string;
  customerId: string;
  channel: string;
  limit: number;
  at: Date | null;
  productKinds: readonly string[];
  push: boolean;
}

/** The request's hash: the same for the same request, whatever the order of its product kinds. */
export function requestHash(r: RequestIdentity): string {
  const canonical = JSON.stringify([r.principalId, r.customerId, r.channel, r.limit, r.at?.toISOString() ?? null, [...new Set(r.productKinds)].sort(), r.push]);
  return createHash("sha256").update(canonical).digest("base64url");
}

export class DecideOnce {
  private readonly scripts: OnceScripts;
  /** Requests being decided or awaited in this process, by hash. */
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Claims (key, lock) of one tick, in one round trip: "" claimed, else the key's value. */
  private readonly claims: DataLoader<readonly [string, string], string>;
  /** Answers (key, lock, ids JSON) of one tick, in one round trip. */
  private readonly settles: DataLoader<readonly [string, string, string], number>;

  constructor(
    private readonly redis: Redis,
    readonly options: OnceOptions = DEFAULT_ONCE,
  ) {
    defineScripts(redis, [
      { name: "decideOnceClaim", files: [`${SCRIPTS}/once-claim.lua`], numberOfKeys: 1 },
      { name: "decideOnceSettle", files: [`${SCRIPTS}/once-settle.lua`], numberOfKeys: 1 },
      { name: "decideOnceRelease", files: [`${SCRIPTS}/once-release.lua`], numberOfKeys: 1 },
    ]);
    this.scripts = redis as unknown as OnceScripts;
    this.claims = new DataLoader((batch) => this.pipelined(batch, (p, [key, lock]) => p.decideOnceClaim(key, lock, this.options.lockMs)), { cache: false });
    this.settles = new DataLoader((batch) => this.pipelined(batch, (p, [key, lock, answer]) => p.decideOnceSettle(key, lock, answer, this.options.windowMs)), { cache: false });
  }

  /** Runs one script call per item in one pipeline; each item gets its own reply or error. */
  private async pipelined<K, V>(batch: readonly K[], add: (pipeline: OncePipeline, item: K) => void): Promise<Array<V | Error>> {
    const pipeline = this.redis.pipeline() as OncePipeline;
    for (const item of batch) add(pipeline, item);
    const replies = (await redisCall(pipeline.exec())) ?? [];
    return batch.map((_, i) => {
      const [error, value] = replies[i] ?? [new Error("Redis gave no reply for a pipelined command"), null];
      if (!error) return value as V;
      // A script's own error is a bug; anything else (the connection closed under the pipeline) is an outage.
      return isReplyBug(error) ? error : new ServiceUnavailableError("redis", error.message);
    });
  }

  /**
   * `decide` once per `hash` within the window; a repeat (here or on another replica) gets
   * `readBack` of the first one's decision ids. `decide` resolves with its result and the ids.
   */
  run<T>(hash: string, decide: () => Promise<{ result: T; ids: string[] }>, readBack: (ids: string[]) => Promise<T>): Promise<T> {
    const local = this.inflight.get(hash) as Promise<T> | undefined;
    if (local) return local;
    const run = this.claimOrWait(keys.decideOnce(hash), decide, readBack).finally(() => this.inflight.delete(hash));
    this.inflight.set(hash, run);
    return run;
  }

  private async claimOrWait<T>(key: string, decide: () => Promise<{ result: T; ids: string[] }>, readBack: (ids: string[]) => Promise<T>): Promise<T> {
    const lock = `${LOCK}${randomBytes(9).toString("base64url")}`;
    for (;;) {
      const seen = await this.claims.load([key, lock]);
      if (seen === "") {
        let decided: { result: T; ids: string[] };
        try {
          decided = await decide();
        } catch (error) {
          await redisCall(this.scripts.decideOnceRelease(key, lock)).catch(() => undefined);
          throw error;
        }
        // Not ours any more only when deciding outlived the lock (and another claim decided too): our answer still stands for us.
        await this.settles.load([key, lock, JSON.stringify(decided.ids)]);
        return decided.result;
      }
      const answer = seen.startsWith(LOCK) ? await this.answerOf(key) : seen;
      if (answer !== null) return readBack(JSON.parse(answer) as string[]);
      // The other claim let go (its decision failed) or its lock expired: claim again.
    }
  }

  /** Waits for another claim's answer; null when its lock went without one. */
  private async answerOf(key: string): Promise<string | null> {
    let wait = FIRST_POLL_MS;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(MAX_POLL_MS, wait * 2);
      const value = await redisCall(this.redis.get(key));
      if (value === null) return null;
      if (!value.startsWith(LOCK)) return value;
    }
  }
}
