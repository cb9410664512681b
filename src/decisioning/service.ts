import type { Redis } from "ioredis";
import type { ContactPolicy } from "../contact-policy/policy";
import type { ReferenceData } from "../customer360/reference";
import type { RequestScope } from "../customer360/scope";
import type { ChannelCode, ResponseOutcome } from "../domain/vocabulary";
import type { DecisionInputs, DecisionRecord } from "../graph/decision";
import type { MarketingService } from "../marketing/service";
import type { Graph } from "../platform/neo4j";
import { Decider, type Decision, type DecisionContext, type DecisionRequest, type DecisionScope, type ScoredCandidate } from "./decide";
import { PropensityModel } from "./propensity";
import { respondToOffer } from "./respond";
import { DecisionWriter } from "./writer";

/**
 * The decisioning room's face: next-best-offer decisions, the decisions made earlier, and the
 * answers that close the loop. Process-wide (the model snapshot and the group-commit writer are
 * shared); every call takes the request's scope, whose loaders batch the graph reads of all the
 * customers a request decides for.
 */
export class DecisioningService {
  readonly propensity: PropensityModel;
  readonly writer: DecisionWriter;
  readonly decider: Decider;

  constructor(
    graph: Graph,
    private readonly reference: ReferenceData,
    private readonly marketing: MarketingService,
    private readonly policy: ContactPolicy,
    redis: Redis,
  ) {
    this.propensity = new PropensityModel(redis);
    this.writer = new DecisionWriter(graph);
    this.decider = new Decider(reference, marketing.catalogue, this.propensity, policy);
  }

  /** The batched reads and the group-commit write a request's decisions share. */
  scope(scope: RequestScope): DecisionScope {
    return { inputs: scope.loaders.decisionInputs, write: (rows) => this.writer.write(rows, scope.graph.counter) };
  }

  /** Decides for one customer on one channel; the decisions are written before this resolves. */
  decide(scope: RequestScope, request: DecisionRequest): Promise<Decision[]> {
    return this.decider.decide(this.scope(scope), request);
  }

  /** Every eligible candidate, scored, best first; no policy, nothing written (evaluation and tests). */
  rank(scope: RequestScope, customerId: string, channel: ChannelCode, context: DecisionContext = {}): Promise<{ inputs: DecisionInputs; ranked: ScoredCandidate[] }> {
    return this.decider.rank(this.scope(scope), customerId, channel, context);
  }

  /** A decision made earlier, with its outcome once answered; null when unknown. */
  decision(scope: RequestScope, id: string): Promise<DecisionRecord | null> {
    return scope.loaders.decision.load(id);
  }

  /**
   * Records the customer's answer once (idempotent); contact policy and the model learn from it. The
   * answer that records the outcome changes the customer's record (ACCEPTED subscribes them): it is
   * noted for the audit trail with the outcome before and after; a repeat changes nothing and is not.
   */
  async respond(scope: RequestScope, decisionId: string, outcome: ResponseOutcome): Promise<DecisionRecord> {
    const [snapshot, products] = await Promise.all([this.marketing.snapshot(), this.reference.products()]);
    return respondToOffer(
      {
        graph: scope.graph,
        load: (id) => scope.loaders.decision.load(id),
        policy: this.policy,
        propensity: this.propensity,
        offerName: (id) => snapshot.offers.get(id)?.name ?? id,
        productKind: (id) => products.get(id)?.kind ?? "UNKNOWN",
        recorded: (d, previous) => {
          if (previous !== null) return;
          scope.audit.change({
            action: "respondToOffer",
            targetType: "Decision",
            targetId: d.id,
            customerId: d.customerId,
            before: { outcome: null, respondedAt: null },
            after: { outcome: d.outcome, respondedAt: d.respondedAt, offerId: d.offerId, productId: d.productId },
          });
        },
      },
      decisionId,
      outcome,
    );
  }
}
