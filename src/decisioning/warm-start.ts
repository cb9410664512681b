import type { Redis } from "ioredis";
import type { GraphSession } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import { keys } from "../platform/keys";
import { redisCall, releaseLease } from "../platform/redis";
import { decisionInputs } from "../graph/decision";
import { historicalResponses } from "../graph/history";
import type { ReferenceData } from "../customer360/reference";
import { segmentSubject } from "../segments/attributes";
import { customerFeatures, graphFeatures } from "./features";
import type { PropensityModel } from "./propensity";

/**
 * The warm start: an empty model learns the trajectory's historical answers to offers once, so the
 * first decisions already rank by what customers like them answered, instead of every kind from a
 * guessed prior. History names products, not offers, so it teaches the kind models; an offer's own
 * residual starts at zero and learns from live answers.
 *
 * One replica replays (a lock in Redis, renewed as it goes; the others keep deciding on the
 * prior meanwhile), and a done mark keeps it from running again. Every response is learned once
 * (a marker per response contact), so a replay cut short and started again adds nothing twice.
 * Features are the customer's as they are now (the trajectory keeps answers, not the customer as
 * they were): an approximation the live answers then correct.
 */

/** Customers whose decision inputs are read per statement. */
const BATCH = 200;
/** The lock lives this long without renewal: a replica that dies mid-replay hands over within it. */
const LOCK_MS = 60_000;

/** What a warm start did. */
export interface WarmStartReport {
  /** Why nothing was replayed, or null when it ran. */
  skipped: "done before" | "model not empty" | "another replica is replaying" | null;
  responses: number;
  learned: number;
  seconds: number;
}

export interface WarmStartOptions {
  /** Only these customers' history (a test's own). */
  only?: readonly string[];
  /** All but these customers' history (an evaluation's held-out customers). */
  exclude?: readonly string[];
  /** Stop between batches (the gateway is closing); what was learned stays and a later start goes on. */
  signal?: AbortSignal;
}

/** Replays the trajectory's answers into an empty model, once across replicas. Never learns a response twice. */
export async function warmStart(
  deps: { graph: GraphSession; redis: Redis; reference: ReferenceData; propensity: PropensityModel; log: Logger },
  opts: WarmStartOptions = {},
): Promise<WarmStartReport> {
  const started = Date.now();
  const report = (skipped: WarmStartReport["skipped"], responses = 0, learned = 0): WarmStartReport => ({ skipped, responses, learned, seconds: (Date.now() - started) / 1000 });
  const { redis, log } = deps;
  if ((await redisCall(redis.exists(keys.modelWarmed()))) === 1) return report("done before");
  const models = await deps.propensity.models();
  if ([...models.entries()].some(([id, m]) => id.startsWith("kind:") && m.n > 0)) return report("model not empty");
  const owner = `${process.pid}:${started}:${Math.random().toString(36).slice(2)}`;
  if ((await redisCall(redis.set(keys.modelWarmLock(), owner, "PX", LOCK_MS, "NX"))) !== "OK") return report("another replica is replaying");
  try {
    const history = await historicalResponses(deps.graph, opts);
    const [products, tags] = await Promise.all([deps.reference.products(), deps.reference.tags()]);
    log.info({ responses: history.length }, "propensity model empty: learning the trajectory's historical answers");
    const byCustomer = new Map<string, typeof history>();
    for (const r of history) {
      const answers = byCustomer.get(r.customerId);
      if (answers) answers.push(r);
      else byCustomer.set(r.customerId, [r]);
    }
    const customers = [...byCustomer.keys()];
    let learned = 0;
    let done = 0;
    let tenth = 0;
    for (let i = 0; i < customers.length; i += BATCH) {
      if (opts.signal?.aborted) {
        log.info({ learned, responses: history.length }, "warm start stopped; a later start goes on");
        return report(null, history.length, learned);
      }
      const batch = customers.slice(i, i + BATCH);
      const inputs = await decisionInputs(
        deps.graph,
        batch.map((customerId) => ({ customerId, productIds: [...new Set((byCustomer.get(customerId) ?? []).map((r) => r.productId))].sort() })),
      );
      const learning: Array<Promise<number | null>> = [];
      batch.forEach((customerId, j) => {
        const input = inputs[j];
        if (!input) return;
        const subject = segmentSubject(input.customer, products, tags, { familyMember: input.familySize > 0 });
        const base = customerFeatures(input.customer, new Set(subject.tags.keys()), subject.heldKinds);
        for (const r of byCustomer.get(customerId) ?? []) {
          const kind = products.get(r.productId)?.kind;
          if (!kind) continue;
          const features = [...base, ...graphFeatures(input.eligible.get(r.productId), input.familySize)];
          learning.push(deps.propensity.learnHistory(r.id, kind, features, r.outcome === "ACCEPTED" || r.outcome === "CLICKED"));
        }
      });
      // One client, so the calls go out pipelined and Redis applies them one by one.
      learned += (await Promise.all(learning)).filter((n) => n !== null).length;
      done += batch.length;
      await redisCall(redis.pexpire(keys.modelWarmLock(), LOCK_MS));
      const nowTenth = Math.floor((10 * done) / customers.length);
      if (nowTenth > tenth) {
        tenth = nowTenth;
        log.info({ percent: tenth * 10, customers: done, learned }, "warm start progress");
      }
    }
    await redisCall(redis.set(keys.modelWarmed(), new Date().toISOString()));
    log.info({ learned, responses: history.length, seconds: (Date.now() - started) / 1000 }, "warm start done");
    return report(null, history.length, learned);
  } finally {
    await releaseLease(redis, keys.modelWarmLock(), owner);
  }
}
