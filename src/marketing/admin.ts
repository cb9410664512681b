import { BadUserInputError, ConstraintViolationError, NotFoundError } from "../platform/errors";
import type { GraphSession } from "../platform/neo4j";
import {
  DEFAULT_TRIGGER_MAX_DELAY_SECONDS,
  listMarketing,
  writeOffer,
  writeSegment,
  writeStrategy,
  type WriteMode,
  type MarketingRecords,
  type OfferRecord,
  type OfferWrite,
  type SegmentRecord,
  type StrategyRecord,
  type StrategyTrigger,
  type StrategyWrite,
} from "../graph/marketing";
import { CHANNEL_CODES, type ChannelCode, type LifecycleStage } from "../domain/vocabulary";
import type { ChannelRecord } from "../graph/records";
import type { EventType } from "../domain/events";
import type { InvalidationBus } from "../platform/invalidation";
import type { ReferenceData } from "../customer360/reference";
import { intInRange } from "../platform/validate";
import { compileSegment, segmentVocabulary, type SegmentVocabulary } from "../segments/expression";
import { compileTrigger, MAX_TRIGGER_DELAY_SECONDS } from "./trigger";

/**
 * Creating, changing and retiring segments, offers and strategies. Every change is checked whole
 * against the graph's current state before one write; afterwards every replica drops its
 * marketing cache, so the next decision anywhere uses the change.
 */

export interface SegmentChange {
  code?: string | null;
  name?: string | null;
  expression?: string | null;
}

export interface OfferChange {
  code?: string | null;
  name?: string | null;
  productId?: string | null;
  creatives?: Array<{ channel: ChannelCode; text: string }> | null;
  validFrom?: Date | null;
  validUntil?: Date | null;
  regionIds?: string[] | null;
  value?: number | null;
  priority?: number | null;
  basePropensity?: number | null;
}

export interface StrategyChange {
  code?: string | null;
  name?: string | null;
  businessLine?: string | null;
  scenario?: string | null;
  lifecycleStage?: LifecycleStage | null;
  segmentId?: string | null;
  offerIds?: string[] | null;
  channels?: ChannelCode[] | null;
  priority?: number | null;
  validFrom?: Date | null;
  validUntil?: Date | null;
  controlShare?: number | null;
  description?: string | null;
  /** Given whole; undefined = unchanged, null = no longer triggered. */
  trigger?: TriggerChange | null;
}

export interface TriggerChange {
  eventType: EventType;
  /** Default "" (every event of the type). */
  condition?: string | null;
  /** Default DEFAULT_TRIGGER_MAX_DELAY_SECONDS. */
  maxDelaySeconds?: number | null;
}

/** <LINE>-<SCENARIO>-<STAGE>-<NNN>: upper-case words and a three-digit serial, e.g. MOB-RET-CHURN-001. */
const STRATEGY_CODE = /^[A-Z]{2,6}-[A-Z]{2,8}-[A-Z0-9]{2,8}-\d{3}$/;
const CODE = /^[A-Z0-9][A-Z0-9_-]{1,39}$/;

function fail(argument: string, message: string): never {
  throw new BadUserInputError(message, argument);
}

function text(argument: string, value: string | null | undefined, max: number): string {
  const v = value?.trim() ?? "";
  if (v.length === 0) fail(argument, `\`${argument}\` must not be empty.`);
  if (v.length > max) fail(argument, `\`${argument}\` must be at most ${max} characters; got ${v.length}.`);
  return v;
}

function code(argument: string, value: string | null | undefined, pattern: RegExp, example: string): string {
  const v = text(argument, value, 40);
  if (!pattern.test(v)) fail(argument, `\`${argument}\` "${v}" is not a valid code; use upper-case letters, digits and dashes like ${example}.`);
  return v;
}

function number(argument: string, value: number, min: number, max: number, minExclusive = false): number {
  if (!Number.isFinite(value) || value > max || (minExclusive ? value <= min : value < min)) {
    fail(argument, `\`${argument}\` must be ${minExclusive ? "greater than" : "at least"} ${min} and at most ${max}; got ${value}.`);
  }
  return value;
}

/** A field a create must give (an update keeps the current value). */
function required<T>(argument: string, value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) fail(argument, `\`${argument}\` is required when creating ${what}.`);
  return value;
}

function window(validFrom: Date, validUntil: Date | null): void {
  if (validUntil && validUntil.getTime() <= validFrom.getTime()) {
    fail("validUntil", `\`validUntil\` (${validUntil.toISOString()}) must be after \`validFrom\` (${validFrom.toISOString()}).`);
  }
}

function uniqueCode(records: ReadonlyArray<{ id: string; code: string }>, codeValue: string, selfId: string | null, what: string): void {
  const clash = records.find((r) => r.code === codeValue && r.id !== selfId);
  if (clash) fail("code", `${what} code ${codeValue} is already used by ${clash.id}; choose another code.`);
}

/** A trigger given in a change, checked whole: its condition compiles against the customer's attributes and the event type's payload fields, its delay is in range. */
function trigger(change: TriggerChange, vocabulary: SegmentVocabulary): StrategyTrigger {
  const condition = change.condition?.trim() ?? "";
  compileTrigger(condition, vocabulary, change.eventType, "trigger.condition");
  const maxDelaySeconds = intInRange("trigger.maxDelaySeconds", change.maxDelaySeconds ?? DEFAULT_TRIGGER_MAX_DELAY_SECONDS, 1, MAX_TRIGGER_DELAY_SECONDS);
  return { eventType: change.eventType, condition, maxDelaySeconds };
}

/** An event's offer is sent when the event happens, not waited for: a triggered strategy needs a channel that takes pushes. */
function pushable(t: StrategyTrigger, channels: readonly ChannelCode[], reference: ReadonlyMap<ChannelCode, ChannelRecord>): void {
  if (channels.some((c) => reference.get(c)?.push)) return;
  const push = CHANNEL_CODES.filter((c) => reference.get(c)?.push);
  fail(
    "channels",
    `A strategy triggered by ${t.eventType} events pushes its offer when the event happens, so it must use at least one channel that can receive a push (${push.join(", ")}); it uses only ${channels.join(", ")}.`,
  );
}

/** The next id in a family ("ST12" → "ST13"). */
function nextId(records: ReadonlyArray<{ id: string }>, prefix: string): string {
  let max = 0;
  for (const r of records) {
    const n = Number(r.id.slice(prefix.length));
    if (r.id.startsWith(prefix) && Number.isInteger(n)) max = Math.max(max, n);
  }
  return `${prefix}${String(max + 1).padStart(2, "0")}`;
}

/** Concurrent creates that chose the same next id: each retry takes the one after. */
const CREATE_ATTEMPTS = 10;

/**
 * Saves a change: an update in place, or a create under the next free id. Two operators creating at
 * once both see the same next id; the graph's uniqueness constraint refuses the second, which then
 * takes the id after (and a code taken meanwhile is the caller's BAD_USER_INPUT, as if checked first).
 */
async function save<T>(
  id: string | null,
  records: ReadonlyArray<{ id: string }>,
  prefix: string,
  what: string,
  codeValue: string,
  write: (id: string, mode: WriteMode) => Promise<T>,
): Promise<T> {
  if (id) return write(id, "update");
  let next = nextId(records, prefix);
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(next, "create");
    } catch (error) {
      const duplicate = error instanceof ConstraintViolationError ? error.property : null;
      if (duplicate === "code") fail("code", `${what} code ${codeValue} was just taken by another change; choose another code.`);
      if (duplicate !== "id" || attempt >= CREATE_ATTEMPTS) throw error;
      next = nextId([{ id: next }], prefix);
    }
  }
}

/** A save's result, with what the record was before (null for a create), for the audit trail. */
export interface Saved<T> {
  before: T | null;
  saved: T;
}

export class MarketingAdmin {
  constructor(
    private readonly reference: ReferenceData,
    private readonly bus: InvalidationBus,
  ) {}

  private current(graph: GraphSession): Promise<MarketingRecords> {
    return listMarketing(graph);
  }

  async saveSegment(graph: GraphSession, id: string | null, change: SegmentChange): Promise<Saved<SegmentRecord>> {
    const all = await this.current(graph);
    const existing = id ? all.segments.find((s) => s.id === id) : undefined;
    if (id && !existing) throw new NotFoundError(`There is no segment with id ${id}.`);
    const codeValue = code("code", change.code ?? existing?.code, CODE, "HEAVY_DATA_USERS");
    uniqueCode(all.segments, codeValue, id, "Segment");
    const expression = change.expression ?? existing?.expression ?? "";
    const [products, tags] = await Promise.all([this.reference.products(), this.reference.tags()]);
    compileSegment(expression, segmentVocabulary(products, tags), { argument: "expression" });
    const name = text("name", change.name ?? existing?.name, 100);
    const saved = await save(id, all.segments, "SG", "Segment", codeValue, (segmentId, mode) => writeSegment(graph, { id: segmentId, code: codeValue, name, expression }, mode));
    await this.bus.publish("marketing");
    return { before: existing ?? null, saved };
  }

  async saveOffer(graph: GraphSession, id: string | null, change: OfferChange, status?: OfferRecord["status"]): Promise<Saved<OfferRecord>> {
    const all = await this.current(graph);
    const existing = id ? all.offers.find((o) => o.id === id) : undefined;
    if (id && !existing) throw new NotFoundError(`There is no offer with id ${id}.`);
    const [products, regions] = await Promise.all([this.reference.products(), this.reference.regions()]);
    const codeValue = code("code", change.code ?? existing?.code, CODE, "OFF-DATA-10GB");
    uniqueCode(all.offers, codeValue, id, "Offer");
    const productId = change.productId ?? existing?.productId;
    if (!productId || !products.has(productId)) fail("productId", `\`productId\` ${productId ?? "(missing)"} is not a product of the catalogue; see the products query.`);
    const creatives: Partial<Record<ChannelCode, string>> = change.creatives ? {} : { ...existing?.creatives };
    for (const c of change.creatives ?? []) {
      if (creatives[c.channel]) fail("creatives", `\`creatives\` names channel ${c.channel} twice; give one creative per channel.`);
      creatives[c.channel] = text("creatives.text", c.text, 500);
    }
    if (Object.keys(creatives).length === 0) fail("creatives", "An offer needs a creative for at least one channel (SMS text, app banner or agent script).");
    const regionIds = change.regionIds ?? existing?.regionIds ?? [];
    const unknownRegion = regionIds.find((r) => !regions.has(r));
    if (unknownRegion) fail("regionIds", `\`regionIds\` names ${unknownRegion}, which is not a region; use city ids like R3301 or district ids like R330106.`);
    const validFrom = change.validFrom ?? existing?.validFrom ?? new Date();
    const validUntil = change.validUntil !== undefined ? change.validUntil : (existing?.validUntil ?? null);
    window(validFrom, validUntil);
    const write: Omit<OfferWrite, "id"> = {
      code: codeValue,
      name: text("name", change.name ?? existing?.name, 100),
      productId,
      creatives,
      validFrom,
      validUntil,
      regionIds,
      value: number("value", required("value", change.value ?? existing?.value, "an offer"), 0, 1_000_000),
      priority: number("priority", change.priority ?? existing?.priority ?? 1, 0, 10, true),
      basePropensity: number("basePropensity", change.basePropensity ?? existing?.basePropensity ?? 0.03, 0, 1, true),
      status: status ?? existing?.status ?? "ACTIVE",
    };
    const saved = await save(id, all.offers, "OF", "Offer", codeValue, (offerId, mode) => writeOffer(graph, { ...write, id: offerId }, mode));
    await this.bus.publish("marketing");
    return { before: existing ?? null, saved };
  }

  async saveStrategy(graph: GraphSession, id: string | null, change: StrategyChange, status?: StrategyRecord["status"]): Promise<Saved<StrategyRecord>> {
    const all = await this.current(graph);
    const existing = id ? all.strategies.find((s) => s.id === id) : undefined;
    if (id && !existing) throw new NotFoundError(`There is no strategy with id ${id}.`);
    const codeValue = code("code", change.code ?? existing?.code, STRATEGY_CODE, "MOB-RET-CHURN-001 (<LINE>-<SCENARIO>-<STAGE>-<NNN>)");
    uniqueCode(all.strategies, codeValue, id, "Strategy");
    const segmentId = change.segmentId ?? existing?.segmentId;
    if (!segmentId || !all.segments.some((s) => s.id === segmentId)) fail("segmentId", `\`segmentId\` ${segmentId ?? "(missing)"} is not a segment; create it first or see the segments query.`);
    const offerIds = change.offerIds ?? existing?.offerIds ?? [];
    if (offerIds.length === 0) fail("offerIds", "A strategy must propose at least one offer.");
    for (const offerId of offerIds) {
      const offer = all.offers.find((o) => o.id === offerId);
      if (!offer) fail("offerIds", `\`offerIds\` names ${offerId}, which is not an offer.`);
      if (offer.status !== "ACTIVE" && (status ?? existing?.status ?? "ACTIVE") === "ACTIVE") fail("offerIds", `Offer ${offerId} is retired; an active strategy can only propose active offers.`);
    }
    const channels = change.channels ?? existing?.channels ?? [];
    if (channels.length === 0) fail("channels", `A strategy must use at least one channel of ${CHANNEL_CODES.join(", ")}.`);
    if (new Set(channels).size !== channels.length) fail("channels", "`channels` names a channel twice; list each once.");
    const validFrom = change.validFrom ?? existing?.validFrom ?? new Date();
    const validUntil = change.validUntil !== undefined ? change.validUntil : (existing?.validUntil ?? null);
    window(validFrom, validUntil);
    // A kept trigger's condition is not recompiled (retiring must work even after a tag it names went offline),
    // but changed channels must still take pushes.
    let triggerValue: StrategyTrigger | null = existing?.trigger ?? null;
    if (change.trigger !== undefined) {
      const [products, tags] = await Promise.all([this.reference.products(), this.reference.tags()]);
      triggerValue = change.trigger === null ? null : trigger(change.trigger, segmentVocabulary(products, tags));
    }
    if (triggerValue) pushable(triggerValue, channels, await this.reference.channels());
    const write: Omit<StrategyWrite, "id"> = {
      code: codeValue,
      name: text("name", change.name ?? existing?.name, 100),
      businessLine: code("businessLine", change.businessLine ?? existing?.businessLine, CODE, "MOBILE"),
      scenario: code("scenario", change.scenario ?? existing?.scenario, CODE, "RETENTION"),
      lifecycleStage: change.lifecycleStage !== undefined ? change.lifecycleStage : (existing?.lifecycleStage ?? null),
      priority: number("priority", change.priority ?? existing?.priority ?? 1, 0, 10, true),
      validFrom,
      validUntil,
      controlShare: number("controlShare", change.controlShare ?? existing?.controlShare ?? 0.1, 0, 0.5),
      status: status ?? existing?.status ?? "ACTIVE",
      description: change.description ?? existing?.description ?? "",
      segmentId,
      offerIds,
      channels,
      trigger: triggerValue,
    };
    const saved = await save(id, all.strategies, "ST", "Strategy", codeValue, (strategyId, mode) => writeStrategy(graph, { ...write, id: strategyId }, mode));
    await this.bus.publish("marketing");
    return { before: existing ?? null, saved };
  }
}
