import type { Redis } from "ioredis";
import { redisCall } from "../platform/redis";
import { keys } from "../platform/keys";
import { Memo } from "../platform/cache";
import { defineScripts } from "../platform/scripts";

/**
 * The adaptive propensity model: Bayesian probit regression learned online by assumed-density
 * filtering (AdPredictor, Graepel et al., ICML 2010, as Bing's ads used it). Every feature value
 * ("arpu=3", "tag:TEL_DATA_HEAVY=1", the crosses below) has a weight with a Gaussian belief
 * N(mean, variance); a customer's score for an offer is the sum of the weights of its features,
 * P(accept) = Φ(Σmean / √(β² + Σvariance)), and one response moves every weight in play by a
 * closed-form step that grows with its uncertainty. Unlike the naive Bayes it replaces, it does not
 * count a signal twice when two correlated predictors carry it (the update shares the surprise out
 * among all weights in play), and it knows how unsure it is, which Thompson sampling uses (decide.ts).
 *
 * Two levels, summed: a model per product kind (every data add-on teaches the data add-on model;
 * all features, their crosses, the graph features) and a small residual per offer (its own bias and
 * graph features: what is specific to its price and creative). A new offer starts from its kind's
 * model, its residual at zero; a new kind starts from the marketers' prior (decide.ts), handed over
 * to the model as the kind's evidence grows (weight n/(n + 20)).
 *
 * State: one Redis hash per model (feature → "mean:variance", plus n and n1 counts), updated by one
 * Lua script per response that reads, updates and writes both levels atomically, so two replicas'
 * concurrent updates are serialised and none is lost, and a response is learned once (a marker per
 * decision id). Decisions read a per-process snapshot refreshed at most every `refreshMs`, so the
 * hot path spends no Redis round trip on the model; a replica sees another's learning within that
 * second, its own at once (the script returns the weights it wrote).
 */

/** β², the noise of one response around the score (AdPredictor's β = 1: scores are on the probit scale). */
const BETA2 = 1;
/** The kind's bias starts at Φ⁻¹(0.08) (a typical offer's answer rate), unsure by ±0.7. */
const KIND_BIAS: Prior = [-1.4, 0.5];
/** Every other weight of a kind model starts at 0 with this variance: ~20 of them in play, ±1 together. */
const KIND_FEATURE: Prior = [0, 0.05];
/** An offer's residual bias: offers of one kind differ less than kinds do. */
const OFFER_BIAS: Prior = [0, 0.1];
/** An offer's own graph-feature weights (its family and calling circle adoption). */
const OFFER_FEATURE: Prior = [0, 0.02];
/**
 * A feature only historical answers carry: the trajectory counts a click as interest and its
 * offers were made by other rules and channels, so its answer rate differs from a decision's; this
 * weight takes up the difference and leaves the bias to live answers.
 */
const HISTORY = "source=history";
const HISTORY_OFFSET: Prior = [0, 0.5];
/** Kind evidence at which the model and the marketers' prior weigh the same. */
const PRIOR_HALF_WEIGHT = 20;
/** How long a learned decision is remembered, so a repeated answer is not learned twice; answers come within weeks. */
const MARKER_TTL_SECONDS = 180 * 24 * 3600;
/** A feature whose weight multiplies the odds by at least this is a driver worth telling. */
const DRIVER_FACTOR = 1.5;

/** A Gaussian belief: [mean, variance]. */
type Prior = readonly [number, number];

/** One model: its weights and how many responses (n) and positive ones (n1) it has learned from. */
export interface ModelState {
  n: number;
  n1: number;
  weights: Map<string, [number, number]>;
}

/** Every model by id: offers by offer id, kinds as "kind:<KIND>". */
export type Models = Map<string, ModelState>;

export interface PropensityEstimate {
  /** The predictive P(accept): the model's, blended with the prior while its kind has little evidence. */
  propensity: number;
  prior: number;
  /** Responses the offer's model has seen. */
  evidence: number;
  /** Responses the model of the offer's product kind has seen (this offer's included). */
  kindEvidence: number;
  /** The features that raise this customer's odds most, with the factor (e.g. 2.4 = 2.4× the odds). */
  drivers: Array<{ feature: string; factor: number }>;
  /** The score's belief on the probit scale, Σmean and Σvariance, and the model's share against the prior (for Thompson sampling). */
  belief: { mean: number; variance: number; weight: number };
}

interface LearningRedis extends Redis {
  propensityLearn(marker: string, kindModel: string, offerModel: string, models: string, ...args: string[]): Promise<[number, number?, number?, string[]?, string[]?]>;
}

/** Model ids in the set of models: offers by id, kinds as "kind:<KIND>". */
const kindModelId = (kind: string): string => `kind:${kind}`;

/** Crossed features: pairs whose effect is not the sum of their parts (value tier × usage, age × handset). Per kind already, so every feature is crossed with the kind. */
const CROSSES: ReadonlyArray<readonly [string, string]> = [
  ["arpu", "dataSat"],
  ["network", "dataSat"],
  ["age", "terminalAge"],
  ["arpu", "tenure"],
  ["voiceSat", "segment"],
];

/** Features the offer-level residual looks at besides its bias: what differs per product. */
const OFFER_LEVEL = new Set(["family", "circle"]);

/**
 * The kind model's features for a decision's stored features: a bias, the features, their crosses.
 * A tag counts by its presence only: 28 "tag absent" weights shared by nearly everyone would be 28
 * more biases, and the filter's diagonal belief would spread every update over them.
 */
export function kindFeatures(features: readonly string[]): string[] {
  const value = new Map<string, string>();
  const out = ["bias"];
  for (const f of features) {
    const at = f.indexOf("=");
    const name = f.slice(0, at);
    const v = f.slice(at + 1);
    value.set(name, v);
    if (!(v === "0" && name.startsWith("tag:"))) out.push(f);
  }
  for (const [a, b] of CROSSES) {
    const va = value.get(a);
    const vb = value.get(b);
    if (va !== undefined && vb !== undefined) out.push(`${a}×${b}=${va}×${vb}`);
  }
  return out;
}

/** The offer residual's features: its bias and the graph features. */
export function offerFeatures(features: readonly string[]): string[] {
  return ["bias", ...features.filter((f) => OFFER_LEVEL.has(f.slice(0, f.indexOf("="))))];
}

const kindPrior = (f: string): Prior => (f === "bias" ? KIND_BIAS : f === HISTORY ? HISTORY_OFFSET : KIND_FEATURE);
const offerPrior = (f: string): Prior => (f === "bias" ? OFFER_BIAS : OFFER_FEATURE);

export class PropensityModel {
  /** Stale-while-revalidate: the hot path never waits for Redis once a snapshot exists. */
  private readonly snapshot: Memo<Models>;

  constructor(
    private readonly redis: Redis,
    refreshMs = 1_000,
  ) {
    defineScripts(redis, [{ name: "propensityLearn", files: ["src/decisioning/scripts/learn.lua"], numberOfKeys: 4 }]);
    this.snapshot = new Memo(() => this.load(), refreshMs, { staleWhileRevalidate: true, name: "propensity_model" });
  }

  /** Every model with evidence; fresh within `refreshMs`. A stale snapshot is served while one refresh runs. */
  models(): Promise<Models> {
    return this.snapshot.get();
  }

  private async load(): Promise<Models> {
    const ids = await redisCall(this.redis.smembers(keys.modelOffers()));
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.model(id));
    const results = ids.length > 0 ? ((await redisCall(pipeline.exec())) ?? []) : [];
    const models: Models = new Map();
    ids.forEach((id, i) => {
      const [error, hash] = results[i] ?? [null, {}];
      if (error) throw error;
      const state: ModelState = { n: 0, n1: 0, weights: new Map() };
      for (const [field, value] of Object.entries(hash as Record<string, string>)) {
        if (field === "n") state.n = Number(value);
        else if (field === "n1") state.n1 = Number(value);
        else setWeight(state, field, value);
      }
      models.set(id, state);
    });
    return models;
  }

  /** Responses the model of product kind `kind` has learned from. */
  kindEvidence(models: Models, kind: string): number {
    return models.get(kindModelId(kind))?.n ?? 0;
  }

  /** The propensity of `offerId` (of product kind `kind`) for a customer with `features`, given the prior. Pure; microseconds. */
  estimate(models: Models, offerId: string, kind: string, features: readonly string[], prior: number): PropensityEstimate {
    const kindModel = models.get(kindModelId(kind));
    const offerModel = models.get(offerId);
    const kf = kindFeatures(features);
    const of = offerFeatures(features);
    let mean = 0;
    let variance = 0;
    // Per feature: its weight in the summed score (kind + offer level), for the drivers.
    const contributions: Array<[string, number]> = [];
    for (const f of kf) {
      const [m, v] = kindModel?.weights.get(f) ?? kindPrior(f);
      mean += m;
      variance += v;
      if (f !== "bias" && m > 0.05) contributions.push([f, m]);
    }
    for (const f of of) {
      const [m, v] = offerModel?.weights.get(f) ?? offerPrior(f);
      mean += m;
      variance += v;
      if (f !== "bias" && m > 0.05) contributions.push([f, m]);
    }
    const n = kindModel?.n ?? 0;
    const weight = n / (n + PRIOR_HALF_WEIGHT);
    const sd = Math.sqrt(BETA2 + variance);
    const model = normalCdf(mean / sd);
    const propensity = (1 - weight) * prior + weight * model;
    const drivers: Array<{ feature: string; factor: number }> = [];
    if (n > 0) {
      // The factor falls with the weight, so the three largest weights are the only candidates: three Φ, not one per feature.
      const odds = (p: number): number => p / Math.max(1e-12, 1 - p);
      for (const [feature, m] of topByWeight(contributions, 3)) {
        const factor = odds(model) / odds(normalCdf((mean - m) / sd));
        if (factor >= DRIVER_FACTOR) drivers.push({ feature, factor });
      }
    }
    return { propensity, prior, evidence: offerModel?.n ?? 0, kindEvidence: n, drivers, belief: { mean, variance, weight } };
  }

  /**
   * Thompson sampling: one draw of the propensity from the model's belief (the weights drawn from
   * their Gaussians, summed: N(Σmean, Σvariance)), blended with the prior as the estimate is.
   * `normal` draws from N(0, 1).
   */
  sample(estimate: PropensityEstimate, normal: () => number): number {
    const { mean, variance, weight } = estimate.belief;
    const drawn = normalCdf((mean + Math.sqrt(variance) * normal()) / Math.sqrt(BETA2));
    return (1 - weight) * estimate.prior + weight * drawn;
  }

  /**
   * Learns one response: positive for ACCEPTED and CLICKED, negative for DECLINED and IGNORED.
   * Returns the kind model's response count after it (the order in which Redis applied it), or
   * null when this decision was learned from before.
   */
  async learn(decisionId: string, offerId: string, kind: string, features: readonly string[], positive: boolean): Promise<number | null> {
    return this.apply(keys.modelApplied(decisionId), kind, offerId, features, positive);
  }

  /**
   * Learns one historical response (the trajectory's, see ./warm-start.ts) into the kind model
   * only: history names products, not offers. Once per `responseId`.
   */
  async learnHistory(responseId: string, kind: string, features: readonly string[], positive: boolean): Promise<number | null> {
    return this.apply(keys.modelApplied(`history:${responseId}`), kind, null, [...features, HISTORY], positive);
  }

  private async apply(marker: string, kind: string, offerId: string | null, features: readonly string[], positive: boolean): Promise<number | null> {
    const kindId = kindModelId(kind);
    const kf = kindFeatures(features);
    const of = offerId ? offerFeatures(features) : [];
    const args: string[] = [positive ? "1" : "-1", kindId, offerId ?? "", String(MARKER_TTL_SECONDS), String(BETA2), String(kf.length)];
    for (const f of kf) args.push(f, ...kindPrior(f).map(String));
    for (const f of of) args.push(f, ...offerPrior(f).map(String));
    const reply = await redisCall(
      (this.redis as LearningRedis).propensityLearn(marker, keys.model(kindId), keys.model(offerId ?? kindId), keys.modelOffers(), ...args),
    );
    if (reply[0] !== 1) return null;
    const [, kindN = 0, offerN = 0, kindWritten = [], offerWritten = []] = reply;
    // Into this process's snapshot at once, exactly as Redis holds it; a refresh already reading may have missed it, so that refresh is not taken.
    this.snapshot.update((models) => {
      const into = (id: string, n: number, written: string[]): void => {
        const state = models.get(id) ?? { n: 0, n1: 0, weights: new Map() };
        models.set(id, state);
        state.n = n;
        if (positive) state.n1 += 1;
        for (let i = 0; i + 1 < written.length; i += 2) setWeight(state, written[i] as string, written[i + 1] as string);
      };
      into(kindId, kindN, kindWritten);
      if (offerId) into(offerId, offerN, offerWritten);
    });
    return kindN;
  }

  /** Forgets everything learned (evaluation runs start from a blank model). */
  async reset(): Promise<void> {
    const ids = await this.redis.smembers(keys.modelOffers());
    if (ids.length > 0) await this.redis.del(...ids.map((id) => keys.model(id)));
    await this.redis.del(keys.modelOffers(), keys.modelWarmed());
    this.snapshot.invalidate();
  }
}

/** The k entries of largest weight, largest first (a partial selection: k is 3, the list ~25 long). */
function topByWeight(entries: ReadonlyArray<[string, number]>, k: number): Array<[string, number]> {
  const top: Array<[string, number]> = [];
  for (const e of entries) {
    if (top.length === k && e[1] <= (top[k - 1] as [string, number])[1]) continue;
    let i = top.length;
    while (i > 0 && (top[i - 1] as [string, number])[1] < e[1]) i -= 1;
    top.splice(i, 0, e);
    if (top.length > k) top.pop();
  }
  return top;
}

function setWeight(state: ModelState, field: string, value: string): void {
  const at = value.indexOf(":");
  if (at > 0) state.weights.set(field, [Number(value.slice(0, at)), Number(value.slice(at + 1))]);
}

/** Φ, the standard normal CDF (erfc's Chebyshev fit, relative error < 1.2e-7; the Lua learner uses the same). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const u = 1 / (1 + 0.5 * z);
  const erfc =
    u *
    Math.exp(
      -z * z -
        1.26551223 +
        u * (1.00002368 + u * (0.37409196 + u * (0.09678418 + u * (-0.18628806 + u * (0.27886807 + u * (-1.13520398 + u * (1.48851587 + u * (-0.82215223 + u * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/** One draw from N(0, 1) (Box–Muller). */
export function standardNormal(): number {
  const u = 1 - Math.random();
  const v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
