import type { ScoredCandidate } from "../../src/decision/decide";
import type { Rng } from "../../seeds/random";

/**
 * The policies we compare against, as orderings of the same eligible candidates our ranking
 * produced; each ordering then goes through the same arbitration (one strategy per placement, one
 * offer per product kind), so only the choice differs, never the rules.
 */

/** Most accepted products first (global counts, the same for every customer); ties by offer id, not by our score. */
export function byPopularity(ranked: readonly ScoredCandidate[], accepted: ReadonlyMap<string, number>): ScoredCandidate[] {
  const count = (c: ScoredCandidate): number => accepted.get(c.offer.productId) ?? 0;
  return [...ranked].sort((a, b) => count(b) - count(a) || byOffer(a, b));
}

/** A seeded random order (sorted by offer first, so the shuffle does not inherit our ranking's order). */
export function shuffled(ranked: readonly ScoredCandidate[], rng: Rng): ScoredCandidate[] {
  return rng.shuffle([...ranked].sort(byOffer));
}

/** Highest true acceptance probability first: what a policy that knew the hidden preferences would show (an upper bound). */
export function byTruth(ranked: readonly ScoredCandidate[], probability: (c: ScoredCandidate) => number): ScoredCandidate[] {
  return [...ranked].sort((a, b) => probability(b) - probability(a) || byOffer(a, b));
}

/** Our model's propensity alone, without the offer's value and business priority: how well the model itself ranks. */
export function byPropensity(ranked: readonly ScoredCandidate[]): ScoredCandidate[] {
  return [...ranked].sort((a, b) => b.estimate.propensity - a.estimate.propensity || byOffer(a, b));
}

function byOffer(a: ScoredCandidate, b: ScoredCandidate): number {
  const x = `${a.offer.id}|${a.strategy?.id ?? ""}`;
  const y = `${b.offer.id}|${b.strategy?.id ?? ""}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
