import { describeEvent, eventAttributes, payloadAttributes, type EventType } from "../domain/events";
import type { SegmentSubject } from "../segments/attributes";
import type { TriggerContext } from "../decisioning/decide";
import type { ActiveStrategy } from "./catalogue";
import { compileSegment, type CompiledSegment, type SegmentVocabulary } from "../segments/expression";

/**
 * Strategy triggers (DOMAIN, "Real-time event marketing"): the vocabulary a trigger condition is
 * compiled against, and whether an event fires a strategy for a customer.
 */

/** Longest an event may wait and still fire: a day. Beyond that the moment is gone for any offer. */
export const MAX_TRIGGER_DELAY_SECONDS = 86_400;

export const TRIGGER_CONDITION_HELP =
  "Trigger condition: a segment expression over the customer (tags, attributes, holds(…)) that may also test the event's payload as " +
  'event.<field>, e.g. `event.percent >= 90 AND NOT holds(DATA_ADDON)` or `event.area IN ("AIRPORT", "TRAIN_STATION")`. ' +
  "Each EventType value's description lists its fields. Empty means every event of the type fires.";

/** A segment vocabulary whose attributes also hold the event type's payload fields (`event.percent`). */
export function triggerVocabulary(base: SegmentVocabulary, type: EventType): SegmentVocabulary {
  return { ...base, attributes: { ...base.attributes, ...eventAttributes(type) } };
}

/** Compiles a trigger condition; throws SegmentExpressionError (BAD_USER_INPUT, with the column) when wrong. */
export function compileTrigger(condition: string, base: SegmentVocabulary, type: EventType, argument = "trigger.condition"): CompiledSegment {
  return compileSegment(condition, triggerVocabulary(base, type), { argument });
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
