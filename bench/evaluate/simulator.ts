import type { HiddenPreferenceNode } from "../../src/graph/model";
import type { ProductKind, ResponseOutcome } from "../../src/domain/vocabulary";
import type { Rng } from "../../seeds/random";

/**
 * The simulated customer. The seed gives every customer a hidden affinity in [0, 1] per product
 * kind (seeds/generate.ts, never served by the API); the chance that they accept an offer depends
 * on that affinity alone, the same for every offer and strategy of the kind. Squaring makes the
 * few strong affinities count: a customer at 0.9 accepts 4× as often as one at 0.45.
 */
export const ACCEPT_SCALE = 0.6;

export const SIMULATOR_RULE = `P(accept) = ${ACCEPT_SCALE} · affinity², affinity = the customer's hidden affinity for the offer's product kind`;
export const OUTCOME_RULE = "otherwise DECLINED with share 0.3 + 0.4·(1 − affinity) of the rest, else IGNORED (as the seed's trajectory answers)";

export function acceptanceProbability(affinity: number): number {
  const a = Math.min(1, Math.max(0, affinity));
  return ACCEPT_SCALE * a * a;
}

/** The customer's affinity for a kind; 0 for a product of unknown kind (no such product is offered). */
export function affinityFor(pref: HiddenPreferenceNode, kind: ProductKind | undefined): number {
  return kind ? pref[kind] : 0;
}

/** One sampled answer: ACCEPTED with the acceptance probability; refusals split as in the seeded trajectory. */
export function sampleOutcome(rng: Rng, affinity: number): ResponseOutcome {
  if (rng.chance(acceptanceProbability(affinity))) return "ACCEPTED";
  return rng.chance(0.3 + 0.4 * (1 - affinity)) ? "DECLINED" : "IGNORED";
}

/**
 * Organic purchases: anyone (control group included, contacted or not) may come to hold a product
 * on their own within a campaign's response window, with a probability that rises with the same
 * hidden affinity at a twelfth of the acceptance scale. This is the base rate the control group
 * measures; a campaign's true uplift is what acceptance adds on top of it.
 */
export const ORGANIC_SCALE = 0.05;

export const ORGANIC_RULE = `P(buys on their own within the window) = ${ORGANIC_SCALE} · affinity², whether contacted or not`;

export function organicProbability(affinity: number): number {
  const a = Math.min(1, Math.max(0, affinity));
  return ORGANIC_SCALE * a * a;
}
