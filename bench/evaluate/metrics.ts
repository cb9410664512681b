/**
 * What a policy's choices are worth to simulated customers. Expected, not sampled: every presented
 * offer counts with its true acceptance probability, so the figures do not wobble with the luck
 * of a draw and the same seed gives the same table.
 */

/** One presented offer: its true acceptance probability and the offer's value (yuan). */
export interface Shown {
  offerId: string;
  probability: number;
  value: number;
}

export interface PolicyMetrics {
  /** Customers with at least one eligible candidate (the others cannot be shown anything by any policy). */
  customers: number;
  offers: number;
  /** Mean acceptance probability over presented offers. */
  acceptanceRate: number;
  /** Share of customers shown an offer as likely to be accepted as their best eligible candidate. */
  hitRate: number;
  /** Expected acceptances per customer (offers per customer × acceptance rate). */
  acceptsPerCustomer: number;
  /** Expected value per customer (yuan): what our score optimises, probability × offer value. */
  valuePerCustomer: number;
  /** Offers by share of placements, most shown first. */
  offerMix: Array<{ offerId: string; share: number; acceptanceRate: number }>;
}

/** Probabilities this close count as equal (they are computed from the same affinity). */
const TIE = 1e-12;

export class PolicyTally {
  private customers = 0;
  private offers = 0;
  private probability = 0;
  private value = 0;
  private hits = 0;
  private readonly byOffer = new Map<string, { shown: number; probability: number }>();

  /** One customer: what was shown, and the best acceptance probability among all eligible candidates. */
  add(shown: readonly Shown[], bestProbability: number): void {
    this.customers += 1;
    let hit = false;
    for (const s of shown) {
      this.offers += 1;
      this.probability += s.probability;
      this.value += s.probability * s.value;
      if (s.probability >= bestProbability - TIE) hit = true;
      const o = this.byOffer.get(s.offerId) ?? { shown: 0, probability: 0 };
      o.shown += 1;
      o.probability += s.probability;
      this.byOffer.set(s.offerId, o);
    }
    if (hit) this.hits += 1;
  }

  summary(): PolicyMetrics {
    const per = (x: number, n: number): number => (n > 0 ? x / n : 0);
    return {
      customers: this.customers,
      offers: this.offers,
      acceptanceRate: per(this.probability, this.offers),
      hitRate: per(this.hits, this.customers),
      acceptsPerCustomer: per(this.probability, this.customers),
      valuePerCustomer: per(this.value, this.customers),
      offerMix: [...this.byOffer.entries()]
        .map(([offerId, o]) => ({ offerId, share: o.shown / Math.max(1, this.offers), acceptanceRate: o.probability / o.shown }))
        .sort((a, b) => b.share - a.share || (a.offerId < b.offerId ? -1 : 1)),
    };
  }
}

/**
 * How well a score orders one customer's candidates by true acceptance probability: the share of
 * candidate pairs with different probabilities that the score puts in the right order (ties in the
 * score count half). 0.5 is no better than chance, 1 is the truth's order.
 */
export class Concordance {
  private right = 0;
  private pairs = 0;

  add(candidates: ReadonlyArray<{ score: number; probability: number }>): void {
    for (let i = 0; i < candidates.length; i++) {
      for (let j = i + 1; j < candidates.length; j++) {
        const a = candidates[i] as { score: number; probability: number };
        const b = candidates[j] as { score: number; probability: number };
        if (Math.abs(a.probability - b.probability) <= TIE) continue;
        this.pairs += 1;
        const agree = (a.score - b.score) * (a.probability - b.probability);
        this.right += agree > 0 ? 1 : agree === 0 ? 0.5 : 0;
      }
    }
  }

  value(): number {
    return this.pairs > 0 ? this.right / this.pairs : 0.5;
  }
}

/** Mean predicted propensity against mean true acceptance probability, per product kind. */
export class Calibration {
  private readonly byKind = new Map<string, { n: number; predicted: number; truth: number }>();

  add(kind: string, predicted: number, truth: number): void {
    const k = this.byKind.get(kind) ?? { n: 0, predicted: 0, truth: 0 };
    k.n += 1;
    k.predicted += predicted;
    k.truth += truth;
    this.byKind.set(kind, k);
  }

  summary(): Array<{ kind: string; candidates: number; predicted: number; truth: number }> {
    return [...this.byKind.entries()]
      .map(([kind, k]) => ({ kind, candidates: k.n, predicted: k.predicted / k.n, truth: k.truth / k.n }))
      .sort((a, b) => b.candidates - a.candidates || (a.kind < b.kind ? -1 : 1));
  }
}
