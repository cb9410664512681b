import { describeEvent, payloadAttributes, type EventPayload, type EventType } from "../domain/events";
import type { ActiveStrategy } from "../marketing/catalogue";
import type { SegmentSubject } from "../segments/attributes";

/**
 * Whether a real-time event fires an event-triggered strategy for a customer (DOMAIN, "Real-time
 * event marketing"), and the TRIGGER reason that says why. The condition was compiled with the
 * strategy (src/marketing/trigger.ts).
 */

/** A real-time event as a decision sees it. */
export interface TriggerContext {
  eventId: string;
  type: EventType;
  payload: EventPayload;
  /** When the event happened; a trigger's maxDelaySeconds is measured from it to the decision time. */
  at: Date;
}

/** Why an event fired a strategy, as the TRIGGER reason tells it. */
export interface TriggerMatch {
  eventId: string;
  type: EventType;
  /** The event in words, e.g. "流量使用（流量已用% 92）". */
  event: string;
  /** The facts that made the condition true; empty when the condition is "always". */
  because: string[];
}

/**
 * Whether `event` fires `strategy` for the customer `subject` at decision time `at`: the event is of
 * the strategy's type and young enough, and the condition holds for the customer and the payload.
 * The strategy's segment is the caller's to check.
 */
export function matchTrigger(strategy: ActiveStrategy, subject: SegmentSubject, event: TriggerContext, at: Date): TriggerMatch | null {
  const trigger = strategy.trigger;
  if (!trigger?.condition || trigger.eventType !== event.type) return null;
  if (at.getTime() - event.at.getTime() > trigger.maxDelaySeconds * 1000) return null;
  const match = trigger.condition.evaluate({ ...subject, attributes: { ...subject.attributes, ...payloadAttributes(event.payload) } });
  if (!match.matched) return null;
  const always = trigger.condition.source.trim() === "";
  return { eventId: event.eventId, type: event.type, event: describeEvent(event.type, event.payload), because: always ? [] : match.because };
}

/** The TRIGGER reason's text: `事件触发：流量使用（流量已用% 92）；条件：流量已用% 92 ≥ 90，未持有 DATA_ADDON`. */
export function describeTrigger(m: TriggerMatch): string {
  return `事件触发：${m.event}${m.because.length > 0 ? `；条件：${m.because.join("，")}` : ""}`;
}
