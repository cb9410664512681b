import type { HiddenPreferenceNode } from "../../src/graph/model";
import type { ProductKind, ResponseOutcome } from "../../src/domain/vocabulary";
import { newcombeDifference, type Interval } from "../../src/evaluation/stats";
import type { Rng } from "../../seeds/random";
import { acceptanceProbability, affinityFor, organicProbability, sampleOutcome } from "./simulator";

/**
 * Point 8 of issue 12, the pieces that do not need a running campaign: simulated customers answer a
 * campaign's decisions from their hidden preferences (./simulator.ts), everybody may also buy on
 * their own, and the campaign's TRUE uplift is known from the same probabilities, to compare with
 * what the evaluation centre estimated from the graph (src/evaluation/).
 *
 * Truth: the mean, over the treated members, of P(order | treated) − P(order | not treated), where
 * P(order | treated) = 1 − (1 − P(accept))·(1 − P(organic)) for a contacted member and P(organic)
 * for one the contact policy held back, and P(order | not treated) = P(organic). The control group
 * is a random draw of the same members, so this is what the order-rate difference estimates.
 */

/** One member's decision in a campaign wave, as the evaluation needs it. */
export interface CampaignMember {
  decisionId: string;
  customerId: string;
  productId: string;
  kind: ProductKind | undefined;
  control: boolean;
  contacted: boolean;
}

/** What the simulated customer did. */
export interface SimulatedAnswer {
  decisionId: string;
  customerId: string;
  productId: string;
  /** The answer to a contacted decision (recorded with respondToOffer); null for members never contacted. */
  outcome: ResponseOutcome | null;
  /** Bought the product on their own within the window (written as a SUBSCRIBES edge). */
  organic: boolean;
  /** Came to hold the product within the window: accepted, or bought on their own. */
  ordered: boolean;
}

function affinity(prefs: ReadonlyMap<string, HiddenPreferenceNode>, m: CampaignMember): number {
  const pref = prefs.get(m.customerId);
  return pref ? affinityFor(pref, m.kind) : 0;
}

/** Every member's answer, drawn from its hidden affinity for the product's kind (members without a preference never buy). */
export function answerCampaign(members: readonly CampaignMember[], prefs: ReadonlyMap<string, HiddenPreferenceNode>, rng: Rng): SimulatedAnswer[] {
  return members.map((m) => {
    const a = affinity(prefs, m);
    const outcome = m.contacted && !m.control ? sampleOutcome(rng, a) : null;
    const organic = rng.chance(organicProbability(a));
    return { decisionId: m.decisionId, customerId: m.customerId, productId: m.productId, outcome, organic, ordered: organic || outcome === "ACCEPTED" };
  });
}

/** The campaign's true uplift in order rate (see above); null without treated members. */
export function trueUplift(members: readonly CampaignMember[], prefs: ReadonlyMap<string, HiddenPreferenceNode>): number | null {
  let sum = 0;
  let treated = 0;
  for (const m of members) {
    if (m.control) continue;
    treated += 1;
    const a = affinity(prefs, m);
    const organic = organicProbability(a);
    const ifTreated = m.contacted ? 1 - (1 - acceptanceProbability(a)) * (1 - organic) : organic;
    sum += ifTreated - organic;
  }
  return treated > 0 ? sum / treated : null;
}

/** The order-rate difference and its Newcombe interval from the answers themselves (what the evaluation centre should find in the graph). */
export function estimatedUplift(members: readonly CampaignMember[], answers: readonly SimulatedAnswer[]): { value: number; interval: Interval } | null {
  const ordered = new Set(answers.filter((a) => a.ordered).map((a) => a.decisionId));
  let n1 = 0;
  let x1 = 0;
  let n2 = 0;
  let x2 = 0;
  for (const m of members) {
    const o = ordered.has(m.decisionId) ? 1 : 0;
    if (m.control) {
      n2 += 1;
      x2 += o;
    } else {
      n1 += 1;
      x1 += o;
    }
  }
  const interval = newcombeDifference(x1, n1, x2, n2);
  return interval ? { value: x1 / n1 - x2 / n2, interval } : null;
}

/** The evaluation centre's estimate against the truth, in percentage points. */
export interface UpliftComparison {
  truth: number;
  estimate: number;
  lower: number;
  upper: number;
  /** estimate − truth, percentage points. */
  errorPoints: number;
  /** The truth lies within the estimate's 95% interval. */
  covered: boolean;
  /** |estimate − truth| ≤ 1 percentage point (the target). */
  withinOnePoint: boolean;
}

export function compareUplift(truth: number, estimate: { value: number; lower: number; upper: number }): UpliftComparison {
  const errorPoints = (estimate.value - truth) * 100;
  return {
    truth,
    estimate: estimate.value,
    lower: estimate.lower,
    upper: estimate.upper,
    errorPoints,
    covered: estimate.lower <= truth && truth <= estimate.upper,
    withinOnePoint: Math.abs(errorPoints) <= 1 + 1e-9,
  };
}
