import type { DecisionInputs } from "../graph/decision";
import type { OfferRecord } from "../graph/marketing";
import type { ChannelCode } from "../domain/vocabulary";
import type { SegmentSubject } from "../segments/attributes";
import { matchTrigger, type TriggerContext, type TriggerMatch } from "./trigger-match";
import type { ActiveStrategy, MarketingSnapshot } from "../marketing/catalogue";
import type { StoryHold } from "../domain/campaigns";

/**
 * Where candidate offers come from (DESIGN, "one decision" step 1): the offers of active strategies
 * whose segment holds the customer (expert rules); offers one step up an upgrade path from a held
 * product; offers of products the customer's family or calling circle adopted; and, once the
 * propensity model knows a product kind well, any other eligible offer of that kind (the
 * operators' "customer → product" matching by machine learning: rules decide alone only until
 * the model has learned enough to propose beyond them). Event-triggered strategies take no part in
 * that: a decision made for an event (a push) has only the offers of the strategies the event fires,
 * and every other decision none of theirs. Every candidate here is
 * already eligible: its product passed the graph's checks, the offer is active, valid at `at`, sold
 * in the customer's region and has a creative for the channel.
 */
export interface Candidate {
  offer: OfferRecord;
  strategy: ActiveStrategy | null;
  /** Why the strategy's segment holds the customer (terms that matched). */
  segmentBecause: string[];
  /** The event that fired the strategy, and why its condition held; absent or null outside event decisions. */
  trigger?: TriggerMatch | null;
  /** The held product this offer upgrades, when it is on an upgrade path. */
  upgradeFromProductId: string | null;
  familyHolders: number;
  circleHolders: number;
  /** Proposed by the propensity model alone (no strategy, upgrade path or adoption put it here). */
  modelProposed: boolean;
  /** The customer's campaign story hold that puts this offer first on every channel (./story.ts); absent otherwise. */
  story?: StoryHold;
}

/**
 * The held offer of a story hold as a candidate on `channel`, or null when it is not eligible there
 * now: the offer is gone or not active/valid/sold in the region/without a creative for the channel,
 * or the graph no longer allows its product (the customer holds it already). The strategy's own
 * channel list and segment are not asked: the campaign chose the customer, and one story means
 * every channel. An existing candidate of the same offer is reused (the first found).
 */
export function heldCandidate(hold: StoryHold, marketing: MarketingSnapshot, inputs: DecisionInputs, channel: ChannelCode, at: Date, candidates: readonly Candidate[]): Candidate | null {
  const offer = marketing.offers.get(hold.offerId);
  if (!offer || !offerAvailable(offer, at, inputs.customer.regionId, channel)) return null;
  const signal = inputs.eligible.get(offer.productId);
  if (!signal) return null;
  const strategy = marketing.active.find((s) => s.id === hold.strategyId) ?? null;
  const existing = candidates.find((c) => c.offer.id === offer.id && (c.strategy?.id ?? null) === (strategy?.id ?? null)) ?? candidates.find((c) => c.offer.id === offer.id);
  const base: Candidate = existing ?? {
    offer,
    strategy,
    segmentBecause: [],
    trigger: null,
    upgradeFromProductId: null,
    familyHolders: signal.familyHolders,
    circleHolders: signal.circleHolders,
    modelProposed: false,
  };
  return { ...base, story: hold };
}

/** A candidate is a graph candidate when its product is held by this many calling-circle contacts (family: one is enough). */
const CIRCLE_ADOPTION_THRESHOLD = 2;

export function offerAvailable(offer: OfferRecord, at: Date, regionId: string, channel: ChannelCode): boolean {
  if (offer.status !== "ACTIVE") return false;
  if (offer.validFrom.getTime() > at.getTime()) return false;
  if (offer.validUntil && offer.validUntil.getTime() <= at.getTime()) return false;
  if (!offer.creatives[channel]) return false;
  // Offers name cities or districts; a district id ("R330106") starts with its city's ("R3301").
  return offer.regionIds.length === 0 || offer.regionIds.some((r) => regionId.startsWith(r));
}

function strategyLive(s: ActiveStrategy, at: Date, channel: ChannelCode): boolean {
  return s.channelSet.has(channel) && s.validFrom.getTime() <= at.getTime() && (!s.validUntil || s.validUntil.getTime() > at.getTime());
}

export function collectCandidates(
  marketing: MarketingSnapshot,
  inputs: DecisionInputs,
  subject: SegmentSubject,
  channel: ChannelCode,
  at: Date,
  /** True for product kinds the propensity model has learned enough about to propose offers of its own. */
  modelKnows: (productId: string) => boolean = () => false,
  /** The event this decision is made for; only the strategies it fires then propose. */
  event: TriggerContext | null = null,
): Candidate[] {
  const regionId = inputs.customer.regionId;
  const signal = (productId: string) => inputs.eligible.get(productId);
  const usable = (offer: OfferRecord | undefined): offer is OfferRecord =>
    offer !== undefined && signal(offer.productId) !== undefined && offerAvailable(offer, at, regionId, channel);
  const byKey = new Map<string, Candidate>();
  const add = (offer: OfferRecord, strategy: ActiveStrategy | null, because: string[], trigger: TriggerMatch | null = null): Candidate => {
    const key = `${offer.id}|${strategy?.id ?? ""}`;
    let c = byKey.get(key);
    if (!c) {
      const s = signal(offer.productId);
      c = {
        offer,
        strategy,
        segmentBecause: because,
        trigger,
        upgradeFromProductId: null,
        familyHolders: s?.familyHolders ?? 0,
        circleHolders: s?.circleHolders ?? 0,
        modelProposed: false,
      };
      byKey.set(key, c);
    }
    return c;
  };

  if (event) {
    for (const strategy of marketing.active) {
      if (!strategy.trigger || strategy.trigger.eventType !== event.type || !strategy.matcher || !strategyLive(strategy, at, channel)) continue;
      const match = strategy.matcher.evaluate(subject);
      if (!match.matched) continue;
      const fired = matchTrigger(strategy, subject, event, at);
      if (!fired) continue;
      for (const offerId of strategy.offerIds) {
        const offer = marketing.offers.get(offerId);
        if (usable(offer)) add(offer, strategy, match.because, fired);
      }
    }
    return [...byKey.values()];
  }

  for (const strategy of marketing.active) {
    if (strategy.trigger || !strategy.matcher || !strategyLive(strategy, at, channel)) continue;
    const match = strategy.matcher.evaluate(subject);
    if (!match.matched) continue;
    for (const offerId of strategy.offerIds) {
      const offer = marketing.offers.get(offerId);
      if (usable(offer)) add(offer, strategy, match.because);
    }
  }

  const candidatesOf = (productId: string): Candidate[] => [...byKey.values()].filter((c) => c.offer.productId === productId);

  for (const [fromId, toId] of inputs.upgrades) {
    const existing = candidatesOf(toId);
    const offers = existing.length > 0 ? existing : (marketing.offersByProduct.get(toId) ?? []).filter(usable).map((o) => add(o, null, []));
    for (const c of offers) c.upgradeFromProductId ??= fromId;
  }

  for (const s of inputs.eligible.values()) {
    if (s.familyHolders === 0 && s.circleHolders < CIRCLE_ADOPTION_THRESHOLD) continue;
    if (candidatesOf(s.productId).length > 0) continue;
    for (const o of (marketing.offersByProduct.get(s.productId) ?? []).filter(usable)) add(o, null, []);
  }

  for (const s of inputs.eligible.values()) {
    if (!modelKnows(s.productId) || candidatesOf(s.productId).length > 0) continue;
    for (const o of (marketing.offersByProduct.get(s.productId) ?? []).filter(usable)) add(o, null, []).modelProposed = true;
  }
  return [...byKey.values()];
}

/**
 * A campaign wave's candidates: the offers of the campaign's strategy alone, available to the
 * customer on the wave's channel. The strategy's own segment and trigger play no part (the
 * campaign's segment chose the audience); eligibility (the graph's checks) and availability do.
 */
export function campaignCandidates(marketing: MarketingSnapshot, inputs: DecisionInputs, channel: ChannelCode, at: Date, strategyId: string): Candidate[] {
  const strategy = marketing.active.find((s) => s.id === strategyId);
  if (!strategy) return [];
  const out: Candidate[] = [];
  for (const offerId of strategy.offerIds) {
    const offer = marketing.offers.get(offerId);
    const s = offer ? inputs.eligible.get(offer.productId) : undefined;
    if (!offer || !s || !offerAvailable(offer, at, inputs.customer.regionId, channel)) continue;
    out.push({ offer, strategy, segmentBecause: [], trigger: null, upgradeFromProductId: null, familyHolders: s.familyHolders, circleHolders: s.circleHolders, modelProposed: false });
  }
  return out;
}
