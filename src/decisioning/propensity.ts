import type { Redis } from "ioredis";
import { redisCall } from "../platform/redis";
import { keys } from "../platform/keys";
import { Memo } from "../platform/cache";
import { defineScripts } from "../platform/scripts";
import { FEATURE_CARDINALITY } from "./features";

/**
 * The adaptive propensity model: naive Bayes over the binned predictors of ./features.ts, learned
 * online from responses, at two levels: per product kind (every data add-on teaches the data
 * add-on model) and per offer. Its state is plain counts in one Redis hash per model ("n1", "n0",
 * "1|feature=value", "0|feature=value"), so every replica learns from every response, updates
 * commute, and a response is counted once (a marker per decision id).
 *
 * The estimate is hierarchical, each level taking over from the one above as its evidence grows:
 * prior (the offer's base rate adjusted for the customer, see decide.ts) → kind model, weight
 * n/(n + 30) → offer model, weight n/(n + 150). The kind level pools what offers of one product
 * family share (who wants more data), so a new offer starts from its family's knowledge and
 * sparse offers are not judged on a handful of answers; the offer level learns what is specific
 * to it (its price, its creative) once it has enough of its own.
 *
 * Decisions read a per-process snapshot of all counts, refreshed at most every `refreshMs`
 * (one second), so the hot path spends no Redis round trip on the model; a replica sees another's
 * learning within that second, its own at once (it adds what it counted to its snapshot too).
 */

const KIND_HALF_WEIGHT = 30;
const OFFER_HALF_WEIGHT = 150;
/** How long a counted decision is remembered, so a repeated answer is not counted twice; answers come within weeks. */
const MARKER_TTL_SECONDS = 180 * 24 * 3600;

export interface PropensityEstimate {
  propensity: number;
  prior: number;
  /** Responses the offer's model has seen. */
  evidence: number;
  /** Responses the model of the offer's product kind has seen (this offer's included). */
  kindEvidence: number;
  /** The features that raise this customer's odds most, with the factor (e.g. 2.4 = 2.4× the odds). */
  drivers: Array<{ feature: string; factor: number }>;
}

type Counts = Map<string, number>;

interface LearningRedis extends Redis {
  propensityLearn(marker: string, offerModel: string, kindModel: string, models: string, positive: string, offerModelId: string, kindModelId: string, ttl: string, ...features: string[]): Promise<number>;
}

/** Model ids in the set of models: offers by id, kinds as "kind:<KIND>". */
const kindModelId = (kind: string): string => `kind:${kind}`;

export class PropensityModel {
  /** Stale-while-revalidate: the hot path never waits for Redis once a snapshot exists. */
  private readonly snapshot: Memo<Map<string, Counts>>;

  constructor(
    private readonly redis: Redis,
    refreshMs = 1_000,
  ) {
    defineScripts(redis, [{ name: "propensityLearn", files: ["src/decisioning/scripts/learn.lua"], numberOfKeys: 4 }]);
    this.snapshot = new Memo(() => this.load(), refreshMs, { staleWhileRevalidate: true });
  }

  /** The counts of every offer with evidence; fresh within `refreshMs`. A stale snapshot is served while one refresh runs. */
  models(): Promise<Map<string, Counts>> {
    return this.snapshot.get();
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
    return models;
  }

  /** Responses the model of product kind `kind` has learned from. */
  kindEvidence(models: Map<string, Counts>, kind: string): number {
    const counts = models.get(kindModelId(kind));
    return (counts?.get("n1") ?? 0) + (counts?.get("n0") ?? 0);
  }

  /** The propensity of `offerId` (of product kind `kind`) for a customer with `features`, given the prior. Pure; microseconds. */
  estimate(models: Map<string, Counts>, offerId: string, kind: string, features: readonly string[], prior: number): PropensityEstimate {
    const kindLevel = naiveBayes(models.get(kindModelId(kind)), features);
    const offerLevel = naiveBayes(models.get(offerId), features);
    const wKind = kindLevel.n / (kindLevel.n + KIND_HALF_WEIGHT);
    const wOffer = offerLevel.n / (offerLevel.n + OFFER_HALF_WEIGHT);
    const family = (1 - wKind) * prior + wKind * kindLevel.p;
    const propensity = (1 - wOffer) * family + wOffer * offerLevel.p;
    const drivers = (wOffer > wKind ? offerLevel : kindLevel).drivers;
    return { propensity, prior, evidence: offerLevel.n, kindEvidence: kindLevel.n, drivers: drivers.slice(0, 3) };
  }

  /**
   * Counts one response: positive for ACCEPTED and CLICKED, negative for DECLINED and IGNORED.
   * Returns false when this decision was already counted.
   */
  async learn(decisionId: string, offerId: string, kind: string, features: readonly string[], positive: boolean): Promise<boolean> {
    const kindId = kindModelId(kind);
    const applied = await redisCall(
      (this.redis as LearningRedis).propensityLearn(
        keys.modelApplied(decisionId),
        keys.model(offerId),
        keys.model(kindId),
        keys.modelOffers(),
        positive ? "1" : "0",
        offerId,
        kindId,
        String(MARKER_TTL_SECONDS),
        ...features,
      ),
    );
    if (applied === 1) {
      // Counted into this process's snapshot at once; a refresh already reading may have missed it, so that refresh is not taken.
      this.snapshot.update((models) => {
        for (const id of [offerId, kindId]) count(models, id, positive, features);
      });
    }
    return applied === 1;
  }

  /** Forgets everything learned (evaluation runs start from a blank model). */
  async reset(): Promise<void> {
    const offerIds = await this.redis.smembers(keys.modelOffers());
    if (offerIds.length > 0) await this.redis.del(...offerIds.map((id) => keys.model(id)));
    await this.redis.del(keys.modelOffers());
    this.snapshot.invalidate();
  }
}

function count(models: Map<string, Counts>, id: string, positive: boolean, features: readonly string[]): void {
  const counts = models.get(id) ?? new Map<string, number>();
  models.set(id, counts);
  const y = positive ? "1" : "0";
  const bump = (field: string): void => void counts.set(field, (counts.get(field) ?? 0) + 1);
  bump(`n${y}`);
  for (const f of features) bump(`${y}|${f}`);
}

/** Naive Bayes with Laplace smoothing over one model's counts; p is 0.5 and n 0 when it has none. */
function naiveBayes(counts: Counts | undefined, features: readonly string[]): { p: number; n: number; drivers: Array<{ feature: string; factor: number }> } {
  const n1 = counts?.get("n1") ?? 0;
  const n0 = counts?.get("n0") ?? 0;
  if (!counts || n1 + n0 === 0) return { p: 0.5, n: 0, drivers: [] };
  let logit = Math.log((n1 + 1) / (n0 + 1));
  const drivers: Array<{ feature: string; factor: number }> = [];
  for (const f of features) {
    const k = FEATURE_CARDINALITY.get(f.slice(0, f.indexOf("="))) ?? 2;
    const contribution = Math.log(((counts.get(`1|${f}`) ?? 0) + 1) / (n1 + k)) - Math.log(((counts.get(`0|${f}`) ?? 0) + 1) / (n0 + k));
    logit += contribution;
    if (contribution > 0.4) drivers.push({ feature: f, factor: Math.exp(contribution) });
  }
  drivers.sort((a, b) => b.factor - a.factor);
  return { p: 1 / (1 + Math.exp(-logit)), n: n1 + n0, drivers };
}
