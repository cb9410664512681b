import { eventAttributes, type EventType } from "../domain/events";
import { compileSegment, type CompiledSegment, type SegmentVocabulary } from "../segments/expression";

/**
 * Strategy triggers (DOMAIN, "Real-time event marketing"): the vocabulary a trigger condition is
 * compiled against. Whether an event fires a strategy for a customer is decided in
 * src/decisioning/trigger-match.ts.
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
