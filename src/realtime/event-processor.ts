import { maskMsisdn } from "../customer360/customer";
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
import { describeEvent, type EventType } from "../domain/events";
import type { GatewayEvent } from "./event-stream";
import type { EventRef, PushDraft } from "./push";

/** A desk update for a call that connected longer ago than this would arrive after the agent needed it. */
const DESK_MAX_DELAY_MS = 2 * 60_000;
/** Offers on an agent's desk when a call connects (the pull API's default). */
const DESK_OFFERS = 3;


/**
 * What one event causes, decided once (by the replica that processes it), whatever the number of
 * subscribers: a call that connects puts the caller's view and offers on the agent's desk; any
 * other event runs the strategies it triggers, on the channels they allow in the customer's order
 * of preference, under the contact policy as a push (caps, quiet hours and do-not-disturb apply).
 * Every offer decided is written to the customer's trajectory by the decision itself.
 */
export class EventProcessor {
  constructor(
    private readonly decisioning: DecisioningService,
    private readonly marketing: MarketingService,
    private readonly policy: ContactPolicy,
    private readonly reference: ReferenceData,
  ) {}

  /** `acceptedAt`: when the event stream took the event in. */
  async process(event: GatewayEvent, scope: DecisionScope, acceptedAt: Date, now: Date = new Date()): Promise<PushDraft[]> {
    const ref: EventRef = { id: event.id, type: event.type, at: event.at, acceptedAt, summary: describeEvent(event.type, event.payload) };
    if (event.type === "HOTLINE_CALL_START") return this.desk(event, ref, scope, now);
    return this.triggered(event, ref, scope, now);
  }

  private async desk(event: GatewayEvent, ref: EventRef, scope: DecisionScope, now: Date): Promise<PushDraft[]> {
    if (now.getTime() - event.at.getTime() > DESK_MAX_DELAY_MS) return [];
    const decisions = await this.decisioning.decider.decide(scope, { customerId: event.customerId, channel: "HOTLINE", limit: DESK_OFFERS, context: { at: now } });
    const inputs = await this.inputs(event.customerId, scope);
    return [
      {
        kind: "desk",
        agentId: String(event.payload.agentId),
        callId: event.payload.callId === null || event.payload.callId === undefined ? null : String(event.payload.callId),
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

/** Control-group decisions are recorded but never shown or sent. */
function shown(d: Decision): boolean {
  return d.contacted && !d.controlGroup;
}

/** The line an agent reads first when the call connects, e.g. "张** · 138****0001 · 中价值客户 · ARPU ¥68 · 成熟期 · 流量已用 42%". */
export function headline(c: Pick<CustomerRecord, "name" | "msisdn" | "valueTier" | "arpu" | "lifecycleStage" | "dataUsedMb" | "dataQuotaMb">): string {
  const usage = c.dataQuotaMb > 0 ? `流量已用 ${Math.round((c.dataUsedMb / c.dataQuotaMb) * 100)}%` : null;
  return [c.name, maskMsisdn(c.msisdn), `${VALUE_TIER_LABELS[c.valueTier]}客户`, `ARPU ¥${Math.round(c.arpu)}`, LIFECYCLE_STAGE_LABELS[c.lifecycleStage], usage]
    .filter((part): part is string => part !== null)
    .join(" · ");
}
