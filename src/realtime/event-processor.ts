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
import type { EventRef, PushDraft } from "./push";
import type { DeliveryStatus } from "../domain/campaigns";

/** A desk update for a call that connected longer ago than this would arrive after the agent needed it. */
const DESK_MAX_DELAY_MS = 2 * 60_000;
/** Offers on an agent's desk when a call connects (the pull API's default). */
const DESK_OFFERS = 3;


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
    private readonly decisioning: DecisioningService,
    private readonly marketing: MarketingService,
    private readonly policy: ContactPolicy,
    private readonly reference: ReferenceData,
    private readonly calls: CallRegister,
    /** Applies customer change events; without one (tools that only decide), they only trigger strategies. */
    private readonly changes: CustomerChangeApplier | null = null,
    /** Records a channel's DELIVERY_RECEIPT on its campaign decision (src/campaigns/); without one, receipts change nothing. */
    private readonly receipts: ((decisionId: string, status: DeliveryStatus, reason: string | null, at: Date) => Promise<unknown>) | null = null,
  ) {}

  /** `acceptedAt`: when the event stream took the event in. */
  async process(event: GatewayEvent, scope: DecisionScope, acceptedAt: Date, now: Date = new Date()): Promise<PushDraft[]> {
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
    return this.triggered(event, ref, scope, now);
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

  private async triggered(event: GatewayEvent, ref: EventRef, scope: DecisionScope, now: Date): Promise<PushDraft[]> {
    const [snapshot, channels] = await Promise.all([this.marketing.snapshot(), this.reference.channels()]);
    const strategies = snapshot.active.filter((s) => s.trigger?.eventType === event.type);
    if (strategies.length === 0) return [];
    const allowed = [...new Set(strategies.flatMap((s) => s.channels))].filter((c) => channels.get(c)?.push === true);
    const inputs = await this.inputs(event.customerId, scope, event.type);
    const rules = await this.policy.current();
    const customer = inputs.customer;
    const order: ChannelCode[] = this.policy.channelOrder({ dndList: customer.dndList ?? null, preferredChannels: customer.profile?.preferredChannels ?? [] }, allowed, rules);
    const trigger = { eventId: event.id, type: event.type, payload: event.payload, at: event.at };
    for (const channel of order) {
      // A capped or quiet channel yields nothing; the next channel in the customer's order may still be open.
      const decided = await this.decisioning.decider.decide(scope, { customerId: event.customerId, channel, limit: 1, context: { at: now, push: true, trigger } });
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
