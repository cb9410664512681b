import DataLoader from "dataloader";
import type { Redis } from "ioredis";
import type { StoryHold } from "../domain/campaigns";
import { covers, describeScope, respondDenial } from "../auth/scope";
import type { ContactPolicy } from "../contact-policy/policy";
import type { CallRegister } from "../customer360/calls";
import type { ProfileInvalidator } from "../customer360/profiles";
import type { ReferenceData } from "../customer360/reference";
import type { RequestScope } from "../customer360/scope";
import type { ChannelCode, ResponseOutcome } from "../domain/vocabulary";
import type { DecisionInputs, DecisionRecord, ScopedDecision } from "../graph/decision";
import type { MarketingService } from "../marketing/service";
import type { CustomerChanges } from "../segments/preview/index";
import { ForbiddenError } from "../platform/errors";
import type { GraphSession } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import { Decider, type DeciderOptions, type DecisionContext, type DecisionRequest, type DecisionScope, type ScoredCandidate } from "./decide";
import { DecideOnce, DEFAULT_ONCE, requestHash, type OnceOptions } from "./once";
import { PropensityModel } from "./propensity";
import { respondToOffer } from "./respond";
import { viewOfDecision, viewOfRecord, type DecisionView } from "./view";
import type { DecisionWriter } from "./writer";
import { StoryHolds } from "./story";
import { warmStart, type WarmStartOptions, type WarmStartReport } from "./warm-start";

/**
 * The decisioning room's face: next-best-offer decisions, the decisions made earlier, and the
 * answers that close the loop. Process-wide (the model snapshot and the group-commit writer are
 * shared, decisions are written behind the answer); every call takes the request's scope, whose loaders batch the graph reads of all the
 * customers a request decides for.
 */
export class DecisioningService {
  readonly propensity: PropensityModel;
  private readonly redis: Redis;
  readonly decider: Decider;
  readonly once: DecideOnce;
  readonly story: StoryHolds;
  /** The decider rehearsals use (made on first use): the contact policy's rehearsal view, no caps reserved. */
  private rehearsalDecider: Decider | undefined;
  /** Per request: its decisions' story-hold reads go in one MGET (no cache: a hold may be released mid-request). */
  private readonly holdLoaders = new WeakMap<RequestScope, DataLoader<string, StoryHold | null>>();
  /**
   * Who holds a work order for a decision (src/campaigns/work-orders.ts, set at wiring: the pool sits
   * above this room): an agent answers the decision of an order it holds, and an answer given
   * anywhere else closes the decision's open order (nobody calls a customer who already answered).
   */
  workOrderHolders: {
    holds(agentId: string, decisionId: string): Promise<boolean>;
    /** Never rejects: a failure leaves the order open, and its report later finds the decision answered. */
    answered(decisionId: string, outcome: ResponseOutcome, byAgentId: string | null): Promise<void>;
  } | null = null;

  constructor(
    private readonly reference: ReferenceData,
    private readonly marketing: MarketingService,
    private readonly policy: ContactPolicy,
    redis: Redis,
    /** Where decisions go: queued for the graph behind the answer (./writer.ts). */
    readonly writer: DecisionWriter,
    /** Agents' calls: an agent answers the decisions of customers it talked to. */
    private readonly calls: CallRegister | null = null,
    onceOptions: OnceOptions = DEFAULT_ONCE,
    /** Told when an answer changes a customer (an accepted offer adds a holding), so segment memberships follow within a second. */
    private readonly changes: CustomerChanges | null = null,
    /** Told, and awaited, when an answer changes what decisions read (an acceptance changes holdings). */
    private readonly profiles: ProfileInvalidator | null = null,
    /** Exploration (Thompson sampling) in decisions. */
    deciderOptions: DeciderOptions = { exploration: false },
  ) {
    this.redis = redis;
    this.propensity = new PropensityModel(redis);
    this.decider = new Decider(reference, marketing.catalogue, this.propensity, policy, deciderOptions);
    this.once = new DecideOnce(redis, onceOptions);
    this.story = new StoryHolds(redis);
  }

  /** When the propensity model is empty, learns the trajectory's historical answers once across replicas (./warm-start.ts). */
  warmStart(graph: GraphSession, log: Logger, opts: WarmStartOptions = {}): Promise<WarmStartReport> {
    return warmStart({ graph, redis: this.redis, reference: this.reference, propensity: this.propensity, log }, opts);
  }

  /** The batched reads and the group-commit write a request's decisions share, and who it may decide for. */
  scope(scope: RequestScope): DecisionScope {
    return {
      inputs: scope.loaders.decisionInputs,
      write: (rows) => this.writer.write(rows),
      storyHold: (customerId) => this.holdLoader(scope).load(customerId),
      admit: async (customer) => {
        if (!covers(await scope.access.decideScope(), customer)) {
          throw new ForbiddenError(`Customer ${customer.id} is outside the customers this token may decide for: ${describeScope(scope.principal)}. Nothing was decided.`);
        }
      },
    };
  }

  private holdLoader(scope: RequestScope): DataLoader<string, StoryHold | null> {
    let loader = this.holdLoaders.get(scope);
    if (!loader) {
      loader = new DataLoader((ids: readonly string[]) => this.story.read(ids), { cache: false });
      this.holdLoaders.set(scope, loader);
    }
    return loader;
  }

  /**
   * Decides for one customer on one channel; the decisions are written before this resolves. Safe
   * to repeat (./once.ts): the same request of the same principal within 5 minutes returns the same
   * decisions, read back from the graph, and writes nothing.
   */
  decide(scope: RequestScope, request: DecisionRequest): Promise<DecisionView[]> {
    const decideNow = async (): Promise<{ result: DecisionView[]; ids: string[] }> => {
      const made = await this.decider.decide(this.scope(scope), request);
      return { result: made.map(viewOfDecision), ids: made.map((d) => d.id) };
    };
    const context = request.context ?? {};
    // An event's decisions are made once per event by the pipeline's own bookkeeping.
    if (context.trigger) return decideNow().then((d) => d.result);
    const hash = requestHash({
      principalId: scope.principal.id,
      customerId: request.customerId,
      channel: request.channel,
      limit: request.limit,
      at: context.at ?? null,
      productKinds: context.productKinds ?? [],
      push: context.push === true,
    });
    return this.once.run(hash, decideNow, (ids) => this.readBack(scope, ids));
  }

  /**
   * A decision rehearsed for the start-up warm-up (src/main/warm-up.ts): the reads, the policy
   * screen, scoring and explanation of {@link decide}, with no caps reserved, no repeat bookkeeping,
   * and the write run in a transaction that is rolled back. Nothing of it stays anywhere.
   */
  async rehearse(scope: RequestScope, request: DecisionRequest): Promise<DecisionView[]> {
    this.rehearsalDecider ??= this.decider.rehearsal();
    const made = await this.rehearsalDecider.decide({ ...this.scope(scope), write: (rows) => this.writer.rehearse(rows) }, request);
    return made.map(viewOfDecision);
  }

  /** The decisions a repeated request made the first time, as the asker may read them now. */
  private async readBack(scope: RequestScope, ids: readonly string[]): Promise<DecisionView[]> {
    const found = await scope.loaders.decision.loadMany(ids);
    return found.flatMap((d) => {
      if (d instanceof Error) throw d;
      if (!d) return [];
      return [viewOfRecord(this.readable(scope, d))];
    });
  }

  private readable(scope: RequestScope, d: ScopedDecision): DecisionRecord {
    if (!d.visible) throw new ForbiddenError(`Decision ${d.record.id} is about customer ${d.record.customerId}, outside what this token may read: ${describeScope(scope.principal)}.`);
    return d.record;
  }

  /** Every eligible candidate, scored, best first; no policy, nothing written (evaluation and tests). */
  rank(scope: RequestScope, customerId: string, channel: ChannelCode, context: DecisionContext = {}): Promise<{ inputs: DecisionInputs; ranked: ScoredCandidate[] }> {
    return this.decider.rank(this.scope(scope), customerId, channel, context);
  }

  /** A decision made earlier, with its outcome once answered; null when unknown, FORBIDDEN when its customer is outside what the asker may read. */
  async decision(scope: RequestScope, id: string): Promise<DecisionRecord | null> {
    const d = await scope.loaders.decision.load(id);
    return d ? this.readable(scope, d) : null;
  }

  /**
   * Records the customer's answer once (idempotent); contact policy and the model learn from it.
   * Only whoever the decision was made with may answer it (src/auth/scope.ts, respondDenial):
   * anyone else is FORBIDDEN and nothing is written. The answer that records the outcome changes the
   * customer's record (ACCEPTED subscribes them): it is noted for the audit trail with the outcome
   * before and after; a repeat changes nothing and is not.
   */
  async respond(scope: RequestScope, decisionId: string, outcome: ResponseOutcome): Promise<DecisionRecord> {
    const [snapshot, products] = await Promise.all([this.marketing.snapshot(), this.reference.products()]);
    const calls = this.calls;
    const answered = await respondToOffer(
      {
        graph: scope.graph,
        load: (id) => scope.loaders.decision.load(id),
        authorize: async ({ record, regionId }) => {
          const why = await respondDenial(scope.principal, { id: record.id, customerId: record.customerId, channel: record.channel, regionId }, (agentId, customerId) =>
            calls ? calls.talkedTo(agentId, customerId) : Promise.resolve(false),
          (agentId, id) => (this.workOrderHolders ? this.workOrderHolders.holds(agentId, id) : Promise.resolve(false)),
          );
          if (why) throw new ForbiddenError(why);
        },
        policy: this.policy,
        propensity: this.propensity,
        story: this.story,
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
    if (outcome === "ACCEPTED") {
      // Before the answer: the next decision for this customer (or its family and circle) must not see the old holdings.
      await this.profiles?.invalidate([answered.customerId]);
      // An acceptance subscribed the customer (and may have dropped what the product excludes): behind the answer.
      this.changes?.changed([answered.customerId], ["holdings"]);
    }
    // Only decisions with a work order; `answered` logs its own failures and never rejects.
    if (answered.workOrderId) await this.workOrderHolders?.answered(answered.id, answered.outcome ?? outcome, scope.principal.agentId);
    return answered;
  }
}
