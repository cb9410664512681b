import type { Redis } from "ioredis";
import { redisCall } from "../redis/client";
import { keys } from "../redis/keys";
import { FEATURE_CARDINALITY } from "./features";

/**
 * The adaptive propensity model: naive Bayes per offer over the binned predictors of
 * ./features.ts, learned online from responses. Its state is plain counts in one Redis hash per
 * offer ("n1", "n0", "1|feature=value", "0|feature=value"), so every replica learns from every
 * response, updates commute, and a response is counted once (a marker per decision id).
 *
 * Before an offer has evidence, the prior (the offer's base rate adjusted for the customer, see
 * decide.ts) is the answer; as responses arrive the model takes over smoothly: with n responses
 * the estimate is (1 − w)·prior + w·model, w = n / (n + EVIDENCE_HALF_WEIGHT).
 *
 * Decisions read a per-process snapshot of all counts, refreshed at most every `refreshMs`
 * (one second), so the hot path spends no Redis round trip on the model; a replica sees another's
 * learning within that second, its own at once (it adds what it counted to its snapshot too).
 */

const EVIDENCE_HALF_WEIGHT = 30;
/** A response arriving later than this after its decision is no longer counted twice-proof; decisions are answered within weeks. */
const MARKER_TTL_SECONDS = 180 * 24 * 3600;

export interface PropensityEstimate {
  propensity: number;
  prior: number;
  /** Responses the offer's model has seen. */
  evidence: number;
  /** The features that raise this customer's odds most, with the factor (e.g. 2.4 = 2.4× the odds). */
  drivers: Array<{ feature: string; factor: number }>;
}

type Counts = Map<string, number>;

const LEARN_SCRIPT = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) == false then return 0 end
redis.call('HINCRBY', KEYS[2], 'n' .. ARGV[1], 1)
for i = 4, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[1] .. '|' .. ARGV[i], 1) end
redis.call('SADD', KEYS[3], ARGV[2])
return 1`;

interface LearningRedis extends Redis {
  propensityLearn(marker: string, model: string, offers: string, positive: string, offerId: string, ttl: string, ...features: string[]): Promise<number>;
}

export class PropensityModel {
  private snapshot: { at: number; models: Map<string, Counts> } | null = null;
  private refreshing: Promise<Map<string, Counts>> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly refreshMs = 1_000,
  ) {
    if (!("propensityLearn" in redis)) redis.defineCommand("propensityLearn", { numberOfKeys: 3, lua: LEARN_SCRIPT });
  }

  /** The counts of every offer with evidence; fresh within `refreshMs`. A stale snapshot is served while one refresh runs. */
  async models(): Promise<Map<string, Counts>> {
    const now = Date.now();
    if (this.snapshot && now - this.snapshot.at < this.refreshMs) return this.snapshot.models;
    const refresh = this.refreshing ?? (this.refreshing = this.load().finally(() => (this.refreshing = null)));
    if (this.snapshot) {
      refresh.catch(() => undefined);
      return this.snapshot.models;
    }
    return refresh;
  }

  private async load(): Promise<Map<string, Counts>> {
    const offerIds = await redisCall(this.redis.smembers(keys.modelOffers()));
    const pipeline = this.redis.pipeline();
    for (const id of offerIds) pipeline.hgetall(keys.model(id));
    const results = offerIds.length > 0 ? ((await redisCall(pipeline.exec())) ?? []) : [];
    const models = new Map<string, Counts>();
    offerIds.forEach((id, i) => {
      const [error, hash] = results[i] ?? [null, {}];
      if (error) throw error;
      const counts: Counts = new Map();
      for (const [field, value] of Object.entries(hash as Record<string, string>)) counts.set(field, Number(value));
      models.set(id, counts);
    });
    this.snapshot = { at: Date.now(), models };
    return models;
  }


  /** The propensity of `offerId` for a customer with `features`, given the prior. Pure; microseconds. */
  estimate(models: Map<string, Counts>, offerId: string, features: readonly string[], prior: number): PropensityEstimate {
    const counts = models.get(offerId);
    const n1 = counts?.get("n1") ?? 0;
    const n0 = counts?.get("n0") ?? 0;
    const n = n1 + n0;
    if (!counts || n === 0) return { propensity: prior, prior, evidence: 0, drivers: [] };
    let logit = Math.log((n1 + 1) / (n0 + 1));
    const drivers: Array<{ feature: string; factor: number }> = [];
    for (const f of features) {
      const k = FEATURE_CARDINALITY.get(f.slice(0, f.indexOf("="))) ?? 2;
      const contribution = Math.log(((counts.get(`1|${f}`) ?? 0) + 1) / (n1 + k)) - Math.log(((counts.get(`0|${f}`) ?? 0) + 1) / (n0 + k));
      logit += contribution;
      if (contribution > 0.4) drivers.push({ feature: f, factor: Math.exp(contribution) });
    }
    const model = 1 / (1 + Math.exp(-logit));
    const w = n / (n + EVIDENCE_HALF_WEIGHT);
    drivers.sort((a, b) => b.factor - a.factor);
    return { propensity: (1 - w) * prior + w * model, prior, evidence: n, drivers: drivers.slice(0, 3) };
  }

  /**
   * Counts one response: positive for ACCEPTED and CLICKED, negative for DECLINED and IGNORED.
   * Returns false when this decision was already counted.
   */
  async learn(decisionId: string, offerId: string, features: readonly string[], positive: boolean): Promise<boolean> {
    const applied = await redisCall(
      (this.redis as LearningRedis).propensityLearn(
      keys.modelApplied(decisionId),
      keys.model(offerId),
      keys.modelOffers(),
      positive ? "1" : "0",
      offerId,
      String(MARKER_TTL_SECONDS),
        ...features,
      ),
    );
    if (applied === 1 && this.snapshot) {
      const models = this.snapshot.models;
      const counts = models.get(offerId) ?? new Map<string, number>();
      models.set(offerId, counts);
      const y = positive ? "1" : "0";
      const bump = (field: string): void => void counts.set(field, (counts.get(field) ?? 0) + 1);
      bump(`n${y}`);
      for (const f of features) bump(`${y}|${f}`);
    }
    return applied === 1;
  }

  /** Forgets everything learned (evaluation runs start from a blank model). */
  async reset(): Promise<void> {
    const offerIds = await this.redis.smembers(keys.modelOffers());
    if (offerIds.length > 0) await this.redis.del(...offerIds.map((id) => keys.model(id)));
    await this.redis.del(keys.modelOffers());
    this.snapshot = null;
  }
}
