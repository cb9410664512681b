import { BadUserInputError, NotFoundError } from "../platform/errors";
import { recordResponse, type DecisionRecord, type ScopedDecision } from "../graph/decision";
import type { GraphSession } from "../platform/neo4j";
import type { ResponseOutcome } from "../domain/vocabulary";
import type { ContactPolicy } from "../contact-policy/policy";
import type { PropensityModel } from "./propensity";
import type { StoryHolds } from "./story";

const RESPONSE_SUMMARY: Record<ResponseOutcome, (offer: string) => string> = {
  ACCEPTED: (o) => `客户接受推荐，成功办理${o}`,
  DECLINED: (o) => `客户明确拒绝${o}推荐`,
  IGNORED: (o) => `客户未回应${o}推荐`,
  CLICKED: (o) => `客户点击查看${o}`,
};

/** Positive evidence for the model: an acceptance, or a click on a pushed offer (the web's "clicked"). */
const POSITIVE: ReadonlySet<ResponseOutcome> = new Set(["ACCEPTED", "CLICKED"]);

/**
 * Closes the loop on a decision: the response goes into the trajectory (and, on ACCEPTED, the
 * subscription into the graph) exactly once; then contact-policy cool-downs and the propensity
 * model learn from it. The Redis half is idempotent per decision id and runs on every call, so a
 * client that retries after a Redis outage completes what the first call could not.
 *
 * Only whoever the decision was made with may answer it (`authorize`, src/auth/scope.ts): a
 * stranger's ACCEPTED would subscribe the customer to a paid product and teach the model a lie.
 * A refusal happens before anything is written.
 */
export async function respondToOffer(
  deps: {
    graph: GraphSession;
    load: (id: string) => Promise<ScopedDecision | null>;
    /** Throws FORBIDDEN when the asker may not answer this decision. */
    authorize: (found: ScopedDecision) => Promise<void>;
    policy: ContactPolicy;
    propensity: PropensityModel;
    /** Releases the customer's campaign story hold the answer closes (the held decision, its offer or campaign). */
    story?: StoryHolds;
    offerName: (offerId: string) => string;
    productKind: (productId: string) => string;
    /** Told once the answer is in the graph, with the outcome it found there (null: this call recorded it; else a repeat). */
    recorded?: (decision: DecisionRecord, previous: ResponseOutcome | null) => void;
  },
  decisionId: string,
  outcome: ResponseOutcome,
  at: Date = new Date(),
): Promise<DecisionRecord> {
  const scoped = await deps.load(decisionId);
  if (!scoped) throw new NotFoundError(`There is no decision with id ${decisionId}; quote the id a nextBestOffers answer gave.`);
  await deps.authorize(scoped);
  const found = scoped.record;
  if (!found.contacted) {
    throw new BadUserInputError(`Decision ${decisionId} was made for a control-group customer and never presented, so it cannot be answered.`, "decisionId");
  }
  assertSameOutcome(found, outcome);
  // A decision still queued for the graph (written behind the answer) is written by this answer first.
  const written = await recordResponse(deps.graph, { decisionId, unflushed: scoped.unflushed, outcome, at, summary: RESPONSE_SUMMARY[outcome](deps.offerName(found.offerId)) });
  if (!written) throw new NotFoundError(`There is no decision with id ${decisionId}; quote the id a nextBestOffers answer gave.`);
  assertSameOutcome(written.decision, outcome);
  const d = written.decision;
  deps.recorded?.(d, written.previous);
  await Promise.all([
    deps.policy.recordResponse(d.customerId, d.offerId, outcome, d.respondedAt ?? at, d.id),
    deps.propensity.learn(d.id, d.offerId, deps.productKind(d.productId), d.features, POSITIVE.has(outcome)),
    // Any answer ends the story: the next ask on any channel ranks as usual again. Idempotent, so a retry completes it.
    deps.story?.release(d.customerId, { decisionId: d.id, offerId: d.offerId, campaignId: d.campaignId ?? null }),
  ]);
  return d;
}

function assertSameOutcome(d: DecisionRecord, outcome: ResponseOutcome): void {
  if (d.outcome !== null && d.outcome !== outcome) {
    throw new BadUserInputError(
      `Decision ${d.id} was already answered ${d.outcome}${d.respondedAt ? ` at ${d.respondedAt.toISOString()}` : ""}; a decision takes one outcome, so ${outcome} was not recorded.`,
      "outcome",
    );
  }
}
