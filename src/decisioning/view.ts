import type { DecisionRecord } from "../graph/decision";
import type { ChannelCode, ResponseOutcome } from "../domain/vocabulary";
import type { Decision } from "./decide";
import type { Reason, ScoreParts } from "./explain";

/** The root value of the GraphQL Decision type, whether just made or read back from the graph. */
export interface DecisionView extends ScoreParts {
  id: string;
  customerId: string;
  offerId: string;
  strategyId: string | null;
  /** The strategy's version the decision came from; null without a strategy. */
  strategyVersion: number | null;
  /** The offer's version the decision came from (1 for decisions made before versions existed). */
  offerVersion: number;
  eventId: string | null;
  channel: ChannelCode;
  at: Date;
  reasons: Reason[];
  controlGroup: boolean;
  contacted: boolean;
  outcome: ResponseOutcome | null;
  respondedAt: Date | null;
  /** A campaign wave's decision: its campaign and wave, and what its channel reported (absent on a decision just made). */
  campaignId?: string | null;
  waveId?: string | null;
  deliveredAt?: Date | null;
  deliveryFailed?: string | null;
}

export function viewOfDecision(d: Decision): DecisionView {
  return {
    id: d.id,
    customerId: d.customerId,
    offerId: d.offer.id,
    strategyId: d.strategy?.id ?? null,
    strategyVersion: d.strategy?.version ?? null,
    offerVersion: d.offer.version,
    eventId: d.eventId,
    channel: d.channel.code,
    at: d.at,
    score: d.score,
    propensity: d.propensity,
    value: d.value,
    priority: d.priority,
    relevance: d.relevance,
    reasons: d.reasons,
    controlGroup: d.controlGroup,
    contacted: d.contacted,
    outcome: null,
    respondedAt: null,
  };
}

export function viewOfRecord(r: DecisionRecord): DecisionView {
  return {
    id: r.id,
    customerId: r.customerId,
    offerId: r.offerId,
    strategyId: r.strategyId ?? null,
    strategyVersion: r.strategyId ? (r.strategyVersion ?? 1) : null,
    offerVersion: r.offerVersion ?? 1,
    eventId: r.eventId,
    channel: r.channel,
    at: r.at,
    score: r.score,
    propensity: r.propensity,
    value: r.value,
    priority: r.priority,
    relevance: r.relevance,
    reasons: JSON.parse(r.reasons) as Reason[],
    controlGroup: r.controlGroup,
    contacted: r.contacted,
    outcome: r.outcome,
    respondedAt: r.respondedAt,
    campaignId: r.campaignId ?? null,
    waveId: r.waveId ?? null,
    deliveredAt: r.deliveredAt,
    deliveryFailed: r.deliveryFailed ?? null,
  };
}
