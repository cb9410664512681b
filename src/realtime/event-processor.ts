import type { CallRegister } from "../customer360/calls";
import { maskMsisdn, maskName } from "../customer360/customer";
import type { Decision, DecisionScope } from "../decisioning/decide";
import type { DecisioningService } from "../decisioning/service";
import type { MarketingService } from "../marketing/service";
import type { ContactPolicy } from "../contact-policy/policy";
import { viewOfDecision } from "../decisioning/view";
import { NotFoundError } from "../platform/errors";
import type { DecisionInputs } from "../graph/decision";
import type { CustomerRecord } from "../graph/records";
import type { ChannelCode } from "../domain/vocabulary";
import { LIFECYCLE_STAGE_LABELS, VALUE_TIER_LABELS } from "../domain/labels";
import type { ReferenceData } from "../customer360/reference";
import { productsToJudge } from "../marketing/catalogue";
import { describeEvent, isCustomerChangeEvent, type CustomerChangeEventType, type EventType } from "../domain/events";
import type { CustomerChangeApplier } from "./customer-changes";
import type { GatewayEvent } from "./event-stream";
import type { EventRef, PushDraft, PushedAdvice } from "./push";
import type { RequestScope } from "../customer360/scope";
import type { AdviceService } from "../advice/service";
import type { PlanAdviceResult } from "../advice/plan-advice";
import type { ActiveStrategy } from "../marketing/catalogue";
import type { Reason } from "../decisioning/explain";
import { CHANNEL_CODES } from "../domain/vocabulary";
import type { DeliveryStatus } from "../domain/campaigns";

/** A desk update for a call that connected longer ago than this would arrive after the agent needed it. */
const DESK_MAX_DELAY_MS = 2 * 60_000;
/** Offers on an agent's desk when a call connects (the pull API's default). */
const DESK_OFFERS = 3;

/**
 * The scenario of follow-up strategies (追尾, issue 12 point 5): fired by a completed service (a
 * payment, a plan change, a repair), they offer once, on the channel where the service happened,
 * with the customer's campaign story hold first. Seeded in seeds/marketing.ts (ST23–ST25).
 */
export const FOLLOW_UP_SCENARIO = "FOLLOW_UP";
/**
 * The scenario of plan-advice strategies: fired by PLAN_QUERY, they offer only the plan that plan
 * advice (src/advice) recommends for the customer's usage, with the advice in the push. Seeded as ST26.
 */
export const PLAN_ADVICE_SCENARIO = "PLAN_ADVICE";


/**
 * What one event causes, decided once (by the replica that processes it), whatever the number of
 * subscribers: a call that connects is recorded as the agent's current call (what the agent may
 * see whole, src/customer360/calls.ts) and puts the caller's view and offers on the agent's desk;
 * a call that ends is recorded so; any other event runs the strategies it triggers, on the
 * channels they allow in the customer's order of preference, under the contact policy as a push
 * (caps, quiet hours and do-not-disturb apply). Every offer decided is written to the customer's
 * trajectory by the decision itself.
 *
 * An event that changes the customer (usage, a product ordered or cancelled, a profile change) is
 * applied to the graph first (./customer-changes.ts), so the strategies it triggers (a cross-sell
 * after an order) decide on the customer as changed.
 */
export class EventProcessor {
  constructor(
    /** Its decider (the service's own, or its rehearsal view for the warm-up: ./service.ts `rehearse`). */
    private readonly decisioning: Pick<DecisioningService, "decider">,
    private readonly marketing: MarketingService,
    private readonly policy: ContactPolicy,
    private readonly reference: ReferenceData,
    private readonly calls: CallRegister,
    /** Applies customer change events; without one (tools that only decide), they only trigger strategies. */
    private readonly changes: CustomerChangeApplier | null = null,
    /** Plan advice for PLAN_QUERY events; without it, plan-advice strategies fire nothing. */
    private readonly advice: AdviceService | null = null,
    /** Records a channel's DELIVERY_RECEIPT on its campaign decision (src/campaigns/); without one, receipts change nothing. */
    private readonly receipts: ((decisionId: string, status: DeliveryStatus, reason: string | null, at: Date) => Promise<unknown>) | null = null,
  ) {}

  /** `acceptedAt`: when the event stream took the event in. `request`: the batch's request scope (plan advice's batched reads). */
  async process(event: GatewayEvent, scope: DecisionScope, acceptedAt: Date, now: Date = new Date(), request?: RequestScope): Promise<PushDraft[]> {
    const ref: EventRef = { id: event.id, type: event.type, at: event.at, acceptedAt, summary: describeEvent(event.type, event.payload) };
    if (event.type === "HOTLINE_CALL_START") return this.desk(event, ref, scope, now);
    if (event.type === "DELIVERY_RECEIPT") {
      const reason = event.payload.reason === undefined || event.payload.reason === null ? null : String(event.payload.reason);
      await this.receipts?.(String(event.payload.decisionId), event.payload.status as DeliveryStatus, reason, event.at);
      return [];
    }
    if (event.type === "HOTLINE_CALL_END") await this.calls.end(String(event.payload.agentId), event.customerId, callIdOf(event), event.at);
    if (this.changes && isCustomerChangeEvent(event.type)) {
      const applied = await this.changes.apply(event as GatewayEvent & { type: CustomerChangeEventType });
      // The batch's loader may hold this customer as read before the change (an earlier event of theirs in the batch).
      if (applied.changed) scope.inputs.clearAll();
    }
    return this.triggered(event, ref, scope, now, request);
  }

  private async desk(event: GatewayEvent, ref: EventRef, scope: DecisionScope, now: Date): Promise<PushDraft[]> {
    const agentId = String(event.payload.agentId);
    const callId = callIdOf(event);
    // The decision below reads the same (same loader, same products): no extra round trip.
    const inputs = await this.inputs(event.customerId, scope);
    // Recorded before the desk update is published, so the agent's desk renders the caller unmasked.
    await this.calls.start({ agentId, customerId: event.customerId, msisdn: inputs.customer.msisdn, callId, startedAt: event.at }, now);
    if (now.getTime() - event.at.getTime() > DESK_MAX_DELAY_MS) return [];
    const decisions = await this.decisioning.decider.decide(scope, { customerId: event.customerId, channel: "HOTLINE", limit: DESK_OFFERS, context: { at: now } });
    return [
      {
        kind: "desk",
        agentId,
        callId,
        customerId: event.customerId,
        regionId: inputs.customer.regionId,
        event: ref,
        headline: headline(inputs.customer),
        decisions: decisions.filter(shown).map(viewOfDecision),
      },
    ];
  }

  /**
   * The strategies an event fires, in three kinds: follow-ups (追尾) decide once on the channel where
   * the service happened; plan-advice strategies decide the advised plan's offer; every other one
   * pushes on its push channels in the customer's order. Each kind decides with its own strategies only.
   */
  private async triggered(event: GatewayEvent, ref: EventRef, scope: DecisionScope, now: Date, request?: RequestScope): Promise<PushDraft[]> {
    const snapshot = await this.marketing.snapshot();
    const fired = snapshot.active.filter((s) => s.trigger?.eventType === event.type);
    if (fired.length === 0) return [];
    const followUps = fired.filter((s) => s.scenario === FOLLOW_UP_SCENARIO);
    const advised = fired.filter((s) => s.scenario === PLAN_ADVICE_SCENARIO);
    const others = fired.filter((s) => s.scenario !== FOLLOW_UP_SCENARIO && s.scenario !== PLAN_ADVICE_SCENARIO);
    const out: PushDraft[] = [];
    if (followUps.length > 0 && (await this.completedService(event))) out.push(...(await this.followUp(event, ref, scope, now, followUps)));
    if (advised.length > 0 && request && this.advice) out.push(...(await this.planQuery(event, ref, scope, now, advised, request)));
    if (others.length > 0) out.push(...(await this.pushes(event, ref, scope, now, others)));
    return out;
  }

  /** A completed service: a payment, a repair or installation, or a main plan ordered (an add-on order is a sale, not a service). */
  private async completedService(event: GatewayEvent): Promise<boolean> {
    if (event.type === "BILL_PAYMENT" || event.type === "SERVICE_COMPLETED") return true;
    if (event.type !== "PRODUCT_ORDERED") return false;
    const products = await this.reference.products();
    const id = event.payload.productId;
    const code = event.payload.productCode;
    const product = typeof id === "string" ? products.get(id) : [...products.values()].find((p) => p.code === code);
    return product?.kind === "PLAN" || product?.kind === "FAMILY_PLAN";
  }

  /**
   * 追尾: right after a completed service, one follow-up offer on the channel where it happened (the
   * payload's channel, a store for an agent outlet, the app when the payload names none or names a
   * channel nobody is at, such as a bank). The customer is there (a store, the app they paid in):
   * a customer-initiated contact, so caps do not apply; the app fallback is a push under the policy.
   * The customer's campaign story hold, if any, comes first.
   */
  private async followUp(event: GatewayEvent, ref: EventRef, scope: DecisionScope, now: Date, strategies: readonly ActiveStrategy[]): Promise<PushDraft[]> {
    const { channel, present } = serviceChannel(event.payload.channel);
    const trigger = { eventId: event.id, type: event.type, payload: event.payload, at: event.at };
    const decided = await this.decisioning.decider.decide(scope, {
      customerId: event.customerId,
      channel,
      limit: 1,
      context: { at: now, push: !present, trigger, story: true, strategyIds: new Set(strategies.map((s) => s.id)) },
    });
    const inputs = await this.inputs(event.customerId, scope, event.type);
    return decided.filter(shown).map((d) => ({ kind: "offer", customerId: event.customerId, regionId: inputs.customer.regionId, channel, event: ref, decision: viewOfDecision(d) }));
  }

  /**
   * Plan query: plan advice for the customer's usage and, when it recommends a plan, that plan's
   * offer on the channel of the query (the customer is on the plan page: customer-initiated), with
   * the advice in the push and first among the decision's reasons. No advice, no push.
   */
  private async planQuery(event: GatewayEvent, ref: EventRef, scope: DecisionScope, now: Date, strategies: readonly ActiveStrategy[], request: RequestScope): Promise<PushDraft[]> {
    const inputs = await this.inputs(event.customerId, scope, event.type);
    const advice = await this.advice?.planAdvice(request, inputs.customer);
    if (!advice?.recommended) return [];
    const { channel } = serviceChannel(event.payload.channel);
    const pushed = pushedAdvice(advice);
    const trigger = { eventId: event.id, type: event.type, payload: event.payload, at: event.at };
    const reasons: Reason[] = [{ kind: "ADVICE", text: `套餐建议：${advice.summary}` }];
    const decided = await this.decisioning.decider.decide(scope, {
      customerId: event.customerId,
      channel,
      limit: 1,
      context: { at: now, push: false, trigger, strategyIds: new Set(strategies.map((s) => s.id)), productIds: new Set([advice.recommended.plan.id]), reasons },
    });
    return decided.filter(shown).map((d) => ({ kind: "offer", customerId: event.customerId, regionId: inputs.customer.regionId, channel, event: ref, decision: viewOfDecision(d), advice: pushed }));
  }

  private async pushes(event: GatewayEvent, ref: EventRef, scope: DecisionScope, now: Date, strategies: readonly ActiveStrategy[]): Promise<PushDraft[]> {
    const channels = await this.reference.channels();
    const allowed = [...new Set(strategies.flatMap((s) => s.channels))].filter((c) => channels.get(c)?.push === true);
    const inputs = await this.inputs(event.customerId, scope, event.type);
    const rules = await this.policy.current();
    const customer = inputs.customer;
    const order: ChannelCode[] = this.policy.channelOrder({ dndList: customer.dndList ?? null, preferredChannels: customer.profile?.preferredChannels ?? [] }, allowed, rules);
    const trigger = { eventId: event.id, type: event.type, payload: event.payload, at: event.at };
    for (const channel of order) {
      // A capped or quiet channel yields nothing; the next channel in the customer's order may still be open.
      const decided = await this.decisioning.decider.decide(scope, {
        customerId: event.customerId,
        channel,
        limit: 1,
        context: { at: now, push: true, trigger, strategyIds: new Set(strategies.map((s) => s.id)) },
      });
      if (decided.length === 0) continue;
      return decided.filter(shown).map((d) => ({ kind: "offer", customerId: customer.id, regionId: customer.regionId, channel, event: ref, decision: viewOfDecision(d) }));
    }
    return [];
  }

  /** The decision's own read (same loader, same products asked): no extra round trip. `eventType` for a triggered decision, none for the desk's. */
  private async inputs(customerId: string, scope: DecisionScope, eventType?: EventType): Promise<DecisionInputs> {
    const snapshot = await this.marketing.snapshot();
    const inputs = await scope.inputs.load({ customerId, productIds: productsToJudge(snapshot, eventType) });
    if (!inputs) throw new NotFoundError(`There is no customer with id ${customerId}; check the event's customerId.`);
    return inputs;
  }
}

/**
 * Where a service happened, as a channel offers can be made on: the payload's channel when it is
 * one the customer is at (an agent outlet counts as a store); otherwise (none given, a bank, an
 * autopay, a technician's visit) the app, where the offer is a push.
 */
export function serviceChannel(given: string | number | boolean | null | undefined): { channel: ChannelCode; present: boolean } {
  if (given === "AGENT") return { channel: "STORE", present: true };
  if (typeof given === "string" && given !== "SMS" && given !== "OUTBOUND_CALL" && (CHANNEL_CODES as readonly string[]).includes(given)) return { channel: given as ChannelCode, present: true };
  return { channel: "APP", present: false };
}

/** The advice as a push carries it. */
function pushedAdvice(a: PlanAdviceResult): PushedAdvice {
  const advised = a.recommended ?? a.current;
  return {
    currentPlanId: a.current.plan.id,
    currentPlanName: a.current.plan.name,
    advisedPlanId: advised.plan.id,
    advisedPlanName: advised.plan.name,
    monthlySaving: a.monthlySaving,
    currentMonthlyTotal: a.current.total,
    advisedMonthlyTotal: advised.total,
    gains: advised.gains,
    summary: a.summary,
  };
}

function callIdOf(event: GatewayEvent): string | null {
  return event.payload.callId === null || event.payload.callId === undefined ? null : String(event.payload.callId);
}

/** Control-group decisions are recorded but never shown or sent. */
function shown(d: Decision): boolean {
  return d.contacted && !d.controlGroup;
}

/**
 * The line an agent reads first when the call connects, e.g. "张* · 138****0001 · 中价值客户 · ARPU ¥68 ·
 * 成熟期 · 流量已用 42%": name and number masked unless `unmasked` (the push keeps the masked line;
 * the agent on the call sees it rendered whole, see DeskUpdate.headline).
 */
export function headline(c: Pick<CustomerRecord, "name" | "msisdn" | "valueTier" | "arpu" | "lifecycleStage" | "dataUsedMb" | "dataQuotaMb">, unmasked = false): string {
  const usage = c.dataQuotaMb > 0 ? `流量已用 ${Math.round((c.dataUsedMb / c.dataQuotaMb) * 100)}%` : null;
  return [unmasked ? c.name : maskName(c.name), unmasked ? c.msisdn : maskMsisdn(c.msisdn), `${VALUE_TIER_LABELS[c.valueTier]}客户`, `ARPU ¥${Math.round(c.arpu)}`, LIFECYCLE_STAGE_LABELS[c.lifecycleStage], usage]
    .filter((part): part is string => part !== null)
    .join(" · ");
}
