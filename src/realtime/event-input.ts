import { editDistance } from "../platform/edit-distance";
import { DEDUP_WINDOW_MS, type GatewayEvent } from "./event-stream";
import { EVENT_TYPES, isEventType, PayloadError, validatePayload } from "../domain/events";

/** An event as it arrives (from ingestEvents or a stream entry), nothing trusted yet. */
export interface RawEvent {
  id?: unknown;
  customerId?: unknown;
  type?: unknown;
  at?: unknown;
  payload?: unknown;
}

/** Why one event was refused: a GraphQL-style code, the field, and what to do. */
export interface EventProblem {
  code: "BAD_USER_INPUT" | "NOT_FOUND" | "FORBIDDEN";
  field: string;
  message: string;
}

export type Checked = { ok: true; event: GatewayEvent } | { ok: false; problem: EventProblem };

const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const CUSTOMER_ID = /^C\d{7,}$/;
/** Clocks of feeds drift; an event this far in the future is a bad timestamp, not drift. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Checks the shape of one event: id, customer id format, type, time and payload. Whether the
 * customer exists is a graph question, asked for a whole batch at once by the caller. `source` is
 * who sent it (the namespace of its id).
 */
export function checkEvent(raw: RawEvent, source: string, now: Date = new Date()): Checked {
  const bad = (field: string, message: string): Checked => ({ ok: false, problem: { code: "BAD_USER_INPUT", field, message } });
  const { id, customerId, type } = raw;
  if (typeof id !== "string" || !EVENT_ID.test(id)) {
    return bad("id", `id must be 1–128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit, unique per event (it deduplicates resends); got ${show(id)}`);
  }
  if (typeof customerId !== "string" || !CUSTOMER_ID.test(customerId)) {
    return bad("customerId", `customerId must be a customer id such as C0000001; got ${show(customerId)}`);
  }
  if (typeof type !== "string" || !isEventType(type)) {
    return bad("type", `type must be one of ${EVENT_TYPES.join(", ")}; got ${show(type)}${suggestType(type)}`);
  }
  const at = raw.at === undefined || raw.at === null || raw.at === "" ? now : raw.at instanceof Date ? raw.at : typeof raw.at === "string" ? new Date(raw.at) : new Date(NaN);
  if (Number.isNaN(at.getTime())) return bad("at", `at must be an ISO 8601 time such as 2026-11-22T09:30:00+08:00; got ${show(raw.at)}`);
  if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    return bad("at", `at ${at.toISOString()} is more than 5 minutes in the future (now ${now.toISOString()}); check the feed's clock and time zone`);
  }
  if (at.getTime() < now.getTime() - DEDUP_WINDOW_MS) {
    return bad("at", `at ${at.toISOString()} is older than 7 days, beyond the window in which resends are recognised; such events are not accepted`);
  }
  try {
    return { ok: true, event: { source, id, customerId, type, at, payload: validatePayload(type, raw.payload) } };
  } catch (error) {
    if (error instanceof PayloadError) return bad(error.field, error.message);
    throw error;
  }
}

/** The fields of a stream entry as a raw event (the payload is JSON text there). */
export function rawOfEntry(fields: Record<string, string>): RawEvent | { unreadable: string } {
  let payload: unknown = undefined;
  if (fields.payload !== undefined && fields.payload !== "") {
    try {
      payload = JSON.parse(fields.payload);
    } catch {
      return { unreadable: `payload is not valid JSON: ${fields.payload.slice(0, 80)}` };
    }
  }
  return { id: fields.id, customerId: fields.customerId, type: fields.type, at: fields.at, payload };
}

function suggestType(type: unknown): string {
  if (typeof type !== "string") return "";
  const upper = type.toUpperCase().replace(/[\s-]+/g, "_");
  let best: { type: string; distance: number } | null = null;
  for (const t of EVENT_TYPES) {
    const distance = editDistance(upper, t, 3);
    if (distance <= 3 && (!best || distance < best.distance)) best = { type: t, distance };
  }
  return best ? `; did you mean ${best.type}?` : "";
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return `"${v.slice(0, 60)}"`;
  return JSON.stringify(v)?.slice(0, 60) ?? String(v);
}
