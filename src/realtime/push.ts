import type { ChannelCode } from "../domain/vocabulary";
import type { DecisionView } from "../decisioning/view";
import type { EventType } from "../domain/events";

/**
 * What a push carries, as it travels through Redis (pub/sub and the replay streams) to every
 * replica. The decision inside was made once, by the replica that processed the event; replicas
 * only route and render it.
 */

/** The event that caused a push. */
export interface EventRef {
  id: string;
  type: EventType;
  at: Date;
  /** When the gateway accepted it (its entry in the event stream). */
  acceptedAt: Date;
  /** In words, e.g. "流量使用（流量已用% 92）". */
  summary: string;
}

/** An offer pushed to a customer: liveOffers (that customer) and offerFeed (internal apps). */
export interface OfferPush {
  kind: "offer";
  customerId: string;
  /** The customer's district, for offerFeed's region filter. */
  regionId: string;
  channel: ChannelCode;
  event: EventRef;
  decision: DecisionView;
  /** Plan advice the offer matches (a PLAN_QUERY push: the advised plan's offer); absent on other pushes. */
  advice?: PushedAdvice;
}

/** The plan advice behind a plan-query push (src/advice/plan-advice.ts), in the push itself. */
export interface PushedAdvice {
  currentPlanId: string;
  currentPlanName: string;
  advisedPlanId: string;
  advisedPlanName: string;
  /** Yuan a month the advised plan saves at the customer's usage (fee + overage). */
  monthlySaving: number;
  currentMonthlyTotal: number;
  advisedMonthlyTotal: number;
  /** What the customer gets more of on the advised plan ("流量多5GB"). */
  gains: string[];
  /** One sentence an agent or the app can show. */
  summary: string;
}

/** The caller's view and offers, pushed to the agent a call connected to: deskFeed. */
export interface DeskPush {
  kind: "desk";
  agentId: string;
  callId: string | null;
  customerId: string;
  regionId: string;
  event: EventRef;
  /** One line an agent reads first, e.g. "张** · 138****0001 · 高价值客户 · ARPU ¥128 · 流失预警期 · 流量已用 93%". */
  headline: string;
  decisions: DecisionView[];
}

export type PushDraft = OfferPush | DeskPush;

/** A push as delivered: its cursor is its entry id in the push streams ("1732280000000-0"). */
export type Push = PushDraft & { cursor: string };

/** The JSON stored in the streams and published; Dates travel as ISO text. */
export function encodePush(p: PushDraft): string {
  return JSON.stringify(p);
}

const DATE_FIELDS = new Set(["at", "acceptedAt", "respondedAt"]);

/** A JSON.parse reviver for what the realtime pipeline stores: its time fields back to Dates. */
export function reviveDates(key: string, value: unknown): unknown {
  return DATE_FIELDS.has(key) && typeof value === "string" ? new Date(value) : value;
}

export function decodePush(cursor: string, json: string): Push {
  return { ...(JSON.parse(json, reviveDates) as PushDraft), cursor };
}

/** Stream entry ids ("<ms>-<seq>") in order; false when either is malformed. */
export const CURSOR = /^\d{1,16}-\d{1,16}$/;

export function cursorAfter(a: string, b: string): boolean {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const d = BigInt(am) - BigInt(bm);
  return d > 0n || (d === 0n && BigInt(as) > BigInt(bs));
}
