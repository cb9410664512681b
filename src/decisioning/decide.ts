import { randomBytes } from "node:crypto";
import type DataLoader from "dataloader";
import { NotFoundError } from "../platform/errors";
import { decisionDuration, decisionsMade, secondsSince } from "../platform/metrics";
import type { DecisionInputRequest, DecisionInputs, DecisionWrite } from "../graph/decision";
import type { OfferRecord } from "../graph/marketing";
import type { ChannelCode, ProductKind } from "../domain/vocabulary";
import type { ChannelRecord, CustomerRecord, ProductRecord } from "../graph/records";
import { EVENT_CATALOGUE } from "../domain/events";
import type { ReferenceData } from "../customer360/reference";
import { campaignCandidates, collectCandidates, heldCandidate, type Candidate } from "./candidates";
import type { StoryHold } from "../domain/campaigns";
import type { TriggerContext } from "./trigger-match";
import type { ContactPolicy } from "../contact-policy/policy";
import { inControlGroup } from "./control-group";
import { segmentSubject } from "../segments/attributes";
import { explain, type Reason, type ScoreParts } from "./explain";
import { customerFeatures, graphFeatures } from "./features";
import { productsToJudge, type ActiveStrategy, type MarketingCatalogue, type MarketingSnapshot } from "../marketing/catalogue";
import { standardNormal, type PropensityEstimate, type PropensityModel } from "./propensity";

/**
 * One decision (DESIGN, "one decision"): candidates → eligibility (in the graph read) → contact
 * policy → score → arbitration → control groups → contact caps → written to the trajectory.
 *
 * Round trips for one customer: one read of its inputs (the live profile in Redis, or Neo4j on a
 * miss: customer, eligibility and graph signals together), one Redis script (the policy screen and
 * the caps' reservation together; a second only when a pick meets a cool-down; the model is a
 * per-process snapshot), one Neo4j write. Within a GraphQL request the reads and writes of many customers are batched.
 */

export interface DecisionContext {
  /** When the decision is made; defaults to now. Policy windows and validity are judged at this time. */
  at?: Date;
  /** Product kinds the current situation is about (the customer asked about data, browsed handsets). */
  productKinds?: readonly ProductKind[];
  /**
   * The offer goes to the customer unasked (an app push, a WeChat message). Outbound channels (SMS,
   * outbound calls) always are; otherwise the customer started the contact (called, opened the
   * app), so the red list, quiet hours and caps do not apply, only the black list and cool-downs.
   */
  push?: boolean;
  /**
   * The real-time event this decision is made for. Then only the event-triggered strategies it
   * fires propose (no upgrade-path, adoption or model candidates); without it, those strategies
   * take no part.
   */
  trigger?: TriggerContext;
  /**
   * Put the customer's campaign story hold first (./story.ts: one story on every channel). Default:
   * yes for decisions a channel asks for, no for event decisions (a push fired by an event is that
   * event's moment); the event processor asks for it where the customer is present after a service
   * (追尾 follow-ups).
   */
  story?: boolean;
  /** Only these event-triggered strategies may propose (the processor splits follow-ups from pushes); absent: every one the event fires. */
  strategyIds?: ReadonlySet<string>;
  /** Only offers of these products may be proposed (plan-query advice: the advised plan); absent: any. */
  productIds?: ReadonlySet<string>;
  /** Reasons the caller knows and the decision states first (the plan advice a plan-query offer matches). */
  reasons?: readonly Reason[];
  /**
   * A campaign wave's decision (src/campaigns/): only the campaign's strategy proposes (its offers
   * on the wave's channel, whether or not the strategy's own segment holds the customer: the
   * campaign's segment chose the audience), the control group is keyed by the campaign (the same
   * customers in every wave), and the decision id is `decisionId`, fixed per wave and customer, so a
   * retried batch decides, reserves caps and writes nobody twice.
   */
  campaign?: CampaignDecisionContext;
}

/** What a campaign wave tells the decider (see {@link DecisionContext.campaign}). */
export interface CampaignDecisionContext {
  campaignId: string;
  waveId: string;
  strategyId: string;
  /** The strategy version frozen when the campaign was approved. */
  strategyVersion: number;
  controlShare: number;
  /** The decision's id, deterministic per wave and customer. */
  decisionId: string;
}

export interface DecisionRequest {
  customerId: string;
  channel: ChannelCode;
  limit: number;
  context?: DecisionContext;
}

/** A decision just made: its parts as objects (the stored form, DecisionView, names them by id). */
export interface Decision extends ScoreParts {
  id: string;
  customerId: string;
  offer: OfferRecord;
  strategy: ActiveStrategy | null;
  channel: ChannelRecord;
  at: Date;
  reasons: Reason[];
  controlGroup: boolean;
  contacted: boolean;
  /** The real-time event that fired the decision; null for ordinary decisions. */
  eventId: string | null;
  /** The model's predictors for this customer and offer, kept so the response teaches the model what it saw. */
  features: string[];
}

/** A ranked, eligible candidate before arbitration (also what evaluation compares against). */
export interface ScoredCandidate extends Candidate {
  features: string[];
  estimate: PropensityEstimate;
  score: number;
  priority: number;
  relevance: number;
  /**
   * Exploring (Thompson sampling): the propensity drawn from the model's belief for this
   * decision, which orders the candidates in place of `estimate.propensity`; `score` stays the
   * expected one. Absent when not exploring.
   */
  sampled?: number;
}

/** How the decider ranks. */
export interface DeciderOptions {
  /**
   * Thompson sampling in decisions (not in `rank`, which serves diagnostics and evaluation with
   * the expected order): candidates are ordered by a propensity drawn from the model's belief, so
   * new and uncertain offers get shown enough to be learned, and exploring fades as the belief
   * narrows. It only reorders candidates that eligibility already admitted; the contact policy
   * screens whatever is picked, as without it.
   */
  exploration: boolean;
}
/** What a decision needs per request: batched graph reads (see src/customer360/loaders.ts) and the writer. */
export interface DecisionScope {
  inputs: DataLoader<DecisionInputRequest, DecisionInputs | null, string>;
  /** Resolves when the decisions are durable and readable (queued for the graph behind the answer, see writer.ts). */
  write: (rows: readonly DecisionWrite[]) => Promise<void>;
  /**
   * Refuses (throws FORBIDDEN) a customer the asker may not decide for, once the decision's own
   * read has it (no round trip of its own) and before anything is reserved or written. Absent for
   * the gateway's own decisions (events).
   */
  admit?: (customer: CustomerRecord) => Promise<void>;
  /**
   * The customer's campaign story hold, if any (./story.ts): batched per request (one MGET for all
   * its customers) and read alongside the decision's graph read. Absent: holds are not consulted.
   */
  storyHold?: (customerId: string) => Promise<StoryHold | null>;
}

/** Responses a product kind's model needs before it proposes offers no rule or graph signal put forward. */
const MODEL_CANDIDATE_EVIDENCE = 200;

/** How much a candidate whose product kind matches the context counts more. */
const CONTEXT_RELEVANCE = 1.5;

export class Decider {
  constructor(
    private readonly reference: ReferenceData,
    private readonly marketing: MarketingCatalogue,
    readonly propensity: PropensityModel,
    readonly policy: ContactPolicy,
    readonly options: DeciderOptions = { exploration: false },
    /** Draws from N(0, 1) for Thompson sampling (a test may seed it). */
    private readonly normal: () => number = standardNormal,
  ) {}

  /** This decider with the contact policy's rehearsal view (src/contact-policy/policy.ts): its decisions reserve no caps. */
  rehearsal(): Decider {
    return new Decider(this.reference, this.marketing, this.propensity, this.policy.rehearsal(), this.options, this.normal);
  }

  /**
   * Every eligible candidate for the customer on the channel, scored, best first; no policy,
   * nothing written. `explore`: ordered by Thompson draws (see {@link DeciderOptions}); default the expected order.
   */
  async rank(scope: DecisionScope, customerId: string, channel: ChannelCode, context: DecisionContext = {}, explore = false): Promise<{ inputs: DecisionInputs; ranked: ScoredCandidate[] }> {
    const at = context.at ?? new Date();
    const [snapshot, products, tags] = await Promise.all([this.marketing.snapshot(), this.reference.products(), this.reference.tags()]);
    // A campaign's decision judges its strategy's products only: a smaller read than an ordinary decision's.
    const judged = context.campaign ? campaignProducts(snapshot, context.campaign.strategyId) : productsToJudge(snapshot, context.trigger?.type);
    // A wave's own decision is the story; it does not read one.
    const storyRead = scope.storyHold && !context.campaign && (context.story ?? !context.trigger) ? scope.storyHold(customerId) : null;
    let inputs: DecisionInputs | null;
    let hold: StoryHold | null = null;
    if (!storyRead) {
      inputs = await scope.inputs.load({ customerId, productIds: judged });
    } else if (!context.trigger) {
      // Every active offer's product is judged already: the hold is read beside the graph read, no added wait.
      [inputs, hold] = await Promise.all([scope.inputs.load({ customerId, productIds: judged }), storyRead]);
    } else {
      // An event decision judges only its event's products: the held offer's must be added before the read.
      hold = await storyRead;
      const heldProduct = hold ? snapshot.offers.get(hold.offerId)?.productId : undefined;
      inputs = await scope.inputs.load({ customerId, productIds: heldProduct && !judged.includes(heldProduct) ? [...judged, heldProduct].sort() : judged });
    }
    if (!inputs) throw new NotFoundError(`There is no customer with id ${customerId}; check the id (customer ids look like C0000001).`);
    const subject = segmentSubject(inputs.customer, products, tags, { familyMember: inputs.familySize > 0 });
    const models = await this.propensity.models();
    const modelKnows = (productId: string): boolean => {
      const kind = products.get(productId)?.kind;
      return kind !== undefined && this.propensity.kindEvidence(models, kind) >= MODEL_CANDIDATE_EVIDENCE;
    };
    let candidates = context.campaign
      ? campaignCandidates(snapshot, inputs, channel, at, context.campaign.strategyId)
      : collectCandidates(snapshot, inputs, subject, channel, at, modelKnows, context.trigger ?? null);
    if (context.strategyIds) {
      const only = context.strategyIds;
      candidates = candidates.filter((c) => c.strategy !== null && only.has(c.strategy.id));
    }
    if (context.productIds) {
      const only = context.productIds;
      candidates = candidates.filter((c) => only.has(c.offer.productId));
    }
    const held = hold ? heldCandidate(hold, snapshot, inputs, channel, at, candidates) : null;
    if (held) candidates = [held, ...candidates.filter((c) => c.offer.id !== held.offer.id)];
    const base = customerFeatures(inputs.customer, new Set(subject.tags.keys()), subject.heldKinds);
    const kinds = context.productKinds ?? [];
    const ranked = candidates.map((c): ScoredCandidate => {
      const features = [...base, ...graphFeatures(inputs.eligible.get(c.offer.productId), inputs.familySize)];
      const product = products.get(c.offer.productId);
      const estimate = this.propensity.estimate(models, c.offer.id, product?.kind ?? "UNKNOWN", features, priorPropensity(c, inputs.familySize));
      const relevance = product && kinds.includes(product.kind) ? CONTEXT_RELEVANCE : 1;
      const priority = c.offer.priority * (c.strategy?.priority ?? 1);
      const scored: ScoredCandidate = { ...c, features, estimate, priority, relevance, score: estimate.propensity * c.offer.value * priority * relevance };
      if (explore) scored.sampled = this.propensity.sample(estimate, this.normal);
      return scored;
    });
    ranked.sort(byRank);
    // One story on every channel: the held offer leads whatever its score.
    const storyFirst = ranked.findIndex((c) => c.story !== undefined);
    if (storyFirst > 0) ranked.unshift(...ranked.splice(storyFirst, 1));
    return { inputs, ranked };
  }

  /** Decides for one customer on one channel: at most `limit` placements, written to the trajectory. */
  async decide(scope: DecisionScope, req: DecisionRequest): Promise<Decision[]> {
    const started = performance.now();
    const made = await this.decideUnmeasured(scope, req);
    // Counted once decided (a failed decision decided nothing); the time of failed ones is in the operation's.
    decisionDuration.observe({ channel: req.channel }, secondsSince(started));
    if (made.length > 0) decisionsMade.inc({ channel: req.channel }, made.length);
    return made;
  }

  private async decideUnmeasured(scope: DecisionScope, req: DecisionRequest): Promise<Decision[]> {
    const at = req.context?.at ?? new Date();
    const [{ inputs, ranked }, channels, products, tags] = await Promise.all([
      this.rank(scope, req.customerId, req.channel, { ...req.context, at }, this.options.exploration),
      this.reference.channels(),
      this.reference.products(),
      this.reference.tags(),
    ]);
    const channel = channels.get(req.channel);
    if (!channel) throw new Error(`channel ${req.channel} is missing from the graph's reference data`);
    const customer = inputs.customer;
    await scope.admit?.(customer);
    // Most events fire nothing for most customers: no policy round trip for them.
    if (ranked.length === 0) return [];

    const policyOptions = { customerInitiated: !(channel.outbound || req.context?.push === true) };
    // A held offer was already given to this customer in the campaign's wave (only contacted members
    // get a hold): the strategy's own hold-out does not take it back on another channel.
    const campaign = req.context?.campaign;
    const plan = (from: readonly ScoredCandidate[]): Array<{ c: ScoredCandidate; id: string; control: boolean }> =>
      arbitrate(from, req.limit, products).map((c) => ({
        c,
        id: campaign?.decisionId ?? newDecisionId(),
        control: campaign
          ? inControlGroup(campaign.campaignId, customer.id, campaign.controlShare)
          : c.story === undefined && c.strategy !== null && inControlGroup(c.strategy.id, customer.id, c.strategy.controlShare),
      }));
    // Picked as if nothing cools down, then screened and reserved in one round trip; only a pick met
    // by a cool-down is arbitrated again without the cooling offers, and reserved in a second.
    let decided = plan(ranked);
    let toContact = decided.filter((d) => !d.control);
    const { screen, reserved } = await this.policy.screenAndReserve(
      { id: customer.id, dndList: customer.dndList },
      req.channel,
      [...new Set(ranked.map((c) => c.offer.id))],
      { offerIds: decided.map((d) => d.c.offer.id), decisionIds: toContact.map((d) => d.id) },
      at,
      policyOptions,
    );
    if (screen.blocked) return [];
    let granted: number;
    if (reserved) {
      granted = reserved.granted;
    } else {
      decided = plan(ranked.filter((c) => !screen.coolingDown.has(c.offer.id)));
      toContact = decided.filter((d) => !d.control);
      granted = toContact.length > 0 ? (await this.policy.reserve(customer.id, req.channel, toContact.map((d) => d.id), at, policyOptions)).granted : 0;
    }
    const contacted = new Set(toContact.slice(0, granted).map((d) => d.id));
    const kept = decided.filter((d) => d.control || contacted.has(d.id));

    const tagNames = new Map([...tags.values()].map((t) => [t.code, t.name]));
    const tagName = (code: string): string | undefined => tagNames.get(code);
    const decisions = kept.map(({ c, id, control }): Decision => {
      const parts = { score: c.score, propensity: c.estimate.propensity, value: c.offer.value, priority: c.priority, relevance: c.relevance };
      return {
        id,
        customerId: customer.id,
        offer: c.offer,
        strategy: c.strategy,
        channel,
        at,
        ...parts,
        reasons: [
          ...(c.story ? [storyReason(c.story, c.offer)] : []),
          ...(req.context?.reasons ?? []),
          ...explain({ candidate: c, parts, estimate: c.estimate, sampled: c.sampled, products, familySize: inputs.familySize, tagName, contextKinds: req.context?.productKinds ?? [], controlGroup: control }),
        ],
        controlGroup: control,
        contacted: !control,
        eventId: req.context?.trigger?.eventId ?? null,
        features: c.features,
      };
    });
    await scope.write(decisions.map((d) => ({ ...toWrite(d, req.context?.trigger), ...(campaign ? { campaignId: campaign.campaignId, waveId: campaign.waveId, strategyVersion: campaign.strategyVersion } : {}) })));
    return decisions;
  }
}

/** Why a held offer comes first: the campaign wave the customer is in, and that every channel tells the same story. */
export function storyReason(hold: StoryHold, offer: OfferRecord): Reason {
  return {
    kind: "STORY",
    text: `营销活动 ${hold.campaignId}（波次 ${hold.waveId}）进行中：各渠道统一推荐${offer.name}，客户答复前不换口径。In campaign ${hold.campaignId}'s wave ${hold.waveId}: one story on every channel until the customer answers.`,
  };
}

/**
 * The prior before an offer has evidence: the offer's base rate, raised for a customer a strategy
 * targets, whose family or calling circle adopted the product, or who is one step below it on an
 * upgrade path. Logit adjustments, so the result stays a probability.
 */
export function priorPropensity(c: Candidate, familySize: number): number {
  const base = Math.min(0.95, Math.max(0.001, c.offer.basePropensity));
  let logit = Math.log(base / (1 - base));
  if (c.strategy) logit += 0.5;
  if (familySize > 0) logit += (1.2 * c.familyHolders) / familySize;
  logit += 0.25 * Math.min(c.circleHolders, 4);
  if (c.upgradeFromProductId) logit += 0.3;
  return 1 / (1 + Math.exp(-logit));
}

/** What orders a candidate: its score, or with exploration the score its drawn propensity would give. */
function orderKey(c: ScoredCandidate): number {
  return c.sampled === undefined ? c.score : c.sampled * c.offer.value * c.priority * c.relevance;
}

/** Best first; ties go to the higher business priority, then the lower offer id, then strategy id: the same answer every time. */
function byRank(a: ScoredCandidate, b: ScoredCandidate): number {
  return orderKey(b) - orderKey(a) || b.priority - a.priority || cmp(a.offer.id, b.offer.id) || cmp(a.strategy?.id ?? "", b.strategy?.id ?? "");
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Fills up to `limit` placements from the ranking: one strategy per placement (推荐策略唯一性: a
 * strategy speaks through its best offer only), one offer per product kind (two plans or two
 * broadband speeds at once would contradict each other), and each product once.
 * Offers without a strategy (upgrade paths, graph adoption) compete like one strategy per kind.
 */
export function arbitrate(ranked: readonly ScoredCandidate[], limit: number, products: ReadonlyMap<string, ProductRecord>): ScoredCandidate[] {
  const picks: ScoredCandidate[] = [];
  const strategies = new Set<string>();
  const kinds = new Set<string>();
  for (const c of ranked) {
    if (picks.length >= limit) break;
    const kind = products.get(c.offer.productId)?.kind ?? c.offer.productId;
    const group = c.strategy?.id ?? `organic:${kind}`;
    if (strategies.has(group) || kinds.has(kind)) continue;
    strategies.add(group);
    kinds.add(kind);
    picks.push(c);
  }
  return picks;
}

/** The products of a strategy's offers, sorted (part of the inputs loader's key, so equal for every member). */
function campaignProducts(snapshot: MarketingSnapshot, strategyId: string): string[] {
  const strategy = snapshot.active.find((s) => s.id === strategyId);
  const ids = new Set<string>();
  for (const offerId of strategy?.offerIds ?? []) {
    const offer = snapshot.offers.get(offerId);
    if (offer) ids.add(offer.productId);
  }
  return [...ids].sort();
}

function newDecisionId(): string {
  return `D${Date.now().toString(36).toUpperCase()}${randomBytes(5).toString("hex").toUpperCase()}`;
}

function toWrite(d: Decision, event: TriggerContext | undefined): DecisionWrite {
  const fired = event ? `，${EVENT_CATALOGUE[event.type].label}触发` : "";
  return {
    id: d.id,
    customerId: d.customerId,
    offerId: d.offer.id,
    productId: d.offer.productId,
    strategyId: d.strategy?.id ?? null,
    // The versions of the marketing snapshot this decision was made with.
    ...(d.strategy ? { strategyVersion: d.strategy.version } : {}),
    offerVersion: d.offer.version,
    eventId: d.eventId,
    channel: d.channel.code,
    at: d.at,
    score: d.score,
    propensity: d.propensity,
    value: d.value,
    priority: d.priority,
    relevance: d.relevance,
    reasons: JSON.stringify(d.reasons),
    controlGroup: d.controlGroup,
    contacted: d.contacted,
    features: d.features,
    summary: d.controlGroup ? `对照组：${d.offer.name}（未触达）` : `推荐${d.offer.name}${d.strategy ? `（${d.strategy.name}${fired}）` : ""}`,
  };
}
