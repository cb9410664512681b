import type { ScoredCandidate } from "../../src/decisioning/decide";
import { offerAvailable } from "../../src/decisioning/candidates";
import type { DecisionInputs } from "../../src/graph/decision";
import type { OfferRecord } from "../../src/graph/marketing";
import type { ChannelCode } from "../../src/domain/vocabulary";
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

/**
 * Every offer the customer could be shown if no strategy targeted anyone: active, valid, sold in
 * their region, with a creative for the channel, of a product the graph says they may take. No
 * strategy, so arbitration keeps one per product kind. Unscored: for the diagnostic policies that
 * do not use our scores (popularity, random, oracle), to see how much our candidate generation
 * narrows what any ranking can reach.
 */
export function untargetedCandidates(offers: Iterable<OfferRecord>, inputs: DecisionInputs, at: Date, channel: ChannelCode): ScoredCandidate[] {
  const out: ScoredCandidate[] = [];
  for (const offer of offers) {
    const signal = inputs.eligible.get(offer.productId);
    if (!signal || !offerAvailable(offer, at, inputs.customer.regionId, channel)) continue;
    out.push({
      offer,
      strategy: null,
      segmentBecause: [],
      upgradeFromProductId: null,
      familyHolders: signal.familyHolders,
      circleHolders: signal.circleHolders,
      modelProposed: false,
      features: [],
      estimate: { propensity: 0, prior: 0, evidence: 0, kindEvidence: 0, drivers: [], belief: { mean: 0, variance: 0, weight: 0 } },
      score: 0,
      priority: offer.priority,
      relevance: 1,
    });
  }
  return out.sort(byOffer);
}
