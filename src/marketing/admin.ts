import { BadUserInputError, ConstraintViolationError, NotFoundError } from "../platform/errors";
import type { Cypher } from "../platform/neo4j";
import {
  DEFAULT_TRIGGER_MAX_DELAY_SECONDS,
  listMarketing,
  writeOffer,
  writeSegment,
  writeStrategy,
  type MarketingRecords,
  type OfferRecord,
  type OfferWrite,
  type SegmentRecord,
  type SegmentWrite,
  type StrategyRecord,
  type StrategyTrigger,
  type StrategyWrite,
} from "../graph/marketing";
import { listProducts, listTags } from "../graph/catalogue";
import { CHANNEL_CODES, type ChangeKind, type ChannelCode, type LifecycleStage, type MarketingStatus } from "../domain/vocabulary";
import type { ChannelRecord, ProductRecord, RegionRecord, TagRecord } from "../graph/records";
import type { EventType } from "../domain/events";
import type { InvalidationBus } from "../platform/invalidation";
import type { ReferenceData } from "../customer360/reference";
import type { RequestScope } from "../customer360/scope";
import type { AppliedChange, Approvals, ChangeRecord } from "../approval/service";
import { intInRange } from "../platform/validate";
import { compileSegment, segmentVocabulary, type SegmentVocabulary } from "../segments/expression";
import { compileTrigger, MAX_TRIGGER_DELAY_SECONDS } from "./trigger";

/**
 * Creating, changing and retiring segments, offers and strategies, under maker-checker: they decide
 * what customers are offered and what agents read out, so a change takes effect only once a second
 * principal (an APPROVER) approves it (src/approval/).
 *
 * A proposal is checked whole against the graph's current state, exactly as a direct write was
 * (every BAD_USER_INPUT before anything is stored), then stored as a pending change; the caller
 * gets the target as the change would make it. Approval checks the change again against the state
 * at that moment (a tag taken offline meanwhile fails it) and writes it in the approval's
 * transaction; afterwards every replica drops its marketing cache, so the next decision anywhere
 * uses the change.
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

/** Longest strategy description: a paragraph for the strategy centre, not a document. */
const MAX_DESCRIPTION = 2_000;

/** Free text that may be empty, up to `max` characters. */
function optionalText(argument: string, value: string | null | undefined, max: number): string {
  const v = value?.trim() ?? "";
  if (v.length > max) fail(argument, `\`${argument}\` must be at most ${max} characters; got ${v.length}.`);
  return v;
}

/** The first value a list holds twice, if any. */
function repeated(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
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

/** What the checks read besides the marketing records: the reference data a change names. */
export interface CheckContext {
  products: ReadonlyMap<string, ProductRecord>;
  tags: ReadonlyMap<string, TagRecord>;
  regions: ReadonlyMap<string, RegionRecord>;
  channels: ReadonlyMap<ChannelCode, ChannelRecord>;
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

/** A change checked against a state: the whole target as the change makes it, and the target before it (undefined for a create). */
interface Checked<W, R> {
  write: Omit<W, "id">;
  existing: R | undefined;
}

/** Checks a segment change (id null: a create) against `all` and `ctx`; BAD_USER_INPUT naming the field, NOT_FOUND for an unknown id. */
export function checkSegment(all: MarketingRecords, ctx: CheckContext, id: string | null, change: SegmentChange): Checked<SegmentWrite, SegmentRecord> {
  const existing = id ? all.segments.find((s) => s.id === id) : undefined;
  if (id && !existing) throw new NotFoundError(`There is no segment with id ${id}.`);
  const codeValue = code("code", change.code ?? existing?.code, CODE, "HEAVY_DATA_USERS");
  uniqueCode(all.segments, codeValue, id, "Segment");
  const expression = change.expression ?? existing?.expression ?? "";
  compileSegment(expression, segmentVocabulary(ctx.products, ctx.tags), { argument: "expression" });
  const name = text("name", change.name ?? existing?.name, 100);
  return { existing, write: { code: codeValue, name, expression } };
}

/** Checks an offer change; `status` retires (or reactivates) it. */
export function checkOffer(all: MarketingRecords, ctx: CheckContext, id: string | null, change: OfferChange, status?: MarketingStatus): Checked<OfferWrite, OfferRecord> {
  const existing = id ? all.offers.find((o) => o.id === id) : undefined;
  if (id && !existing) throw new NotFoundError(`There is no offer with id ${id}.`);
  const codeValue = code("code", change.code ?? existing?.code, CODE, "OFF-DATA-10GB");
  uniqueCode(all.offers, codeValue, id, "Offer");
  const productId = change.productId ?? existing?.productId;
  if (!productId || !ctx.products.has(productId)) fail("productId", `\`productId\` ${productId ?? "(missing)"} is not a product of the catalogue; see the products query.`);
  const creatives: Partial<Record<ChannelCode, string>> = change.creatives ? {} : { ...existing?.creatives };
  for (const c of change.creatives ?? []) {
    if (creatives[c.channel]) fail("creatives", `\`creatives\` names channel ${c.channel} twice; give one creative per channel.`);
    creatives[c.channel] = text("creatives.text", c.text, 500);
  }
  if (Object.keys(creatives).length === 0) fail("creatives", "An offer needs a creative for at least one channel (SMS text, app banner or agent script).");
  const regionIds = change.regionIds ?? existing?.regionIds ?? [];
  // Stored on the offer and read into every replica's snapshot: each region once, so the list is
  // never longer than the province has regions (a 100,000-item list slowed every marketing read).
  if (regionIds.length > ctx.regions.size) fail("regionIds", `\`regionIds\` holds ${regionIds.length} ids, more than the ${ctx.regions.size} regions there are; name each city or district once.`);
  const unknownRegion = regionIds.find((r) => !ctx.regions.has(r));
  if (unknownRegion) fail("regionIds", `\`regionIds\` names ${unknownRegion}, which is not a region; use city ids like R3301 or district ids like R330106.`);
  const twiceRegion = repeated(regionIds);
  if (twiceRegion) fail("regionIds", `\`regionIds\` names ${twiceRegion} twice; name each region once.`);
  const validFrom = change.validFrom ?? existing?.validFrom ?? new Date();
  const validUntil = change.validUntil !== undefined ? change.validUntil : (existing?.validUntil ?? null);
  window(validFrom, validUntil);
  return {
    existing,
    write: {
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
    },
  };
}

/** Checks a strategy change; `status` retires (or reactivates) it. */
export function checkStrategy(all: MarketingRecords, ctx: CheckContext, id: string | null, change: StrategyChange, status?: MarketingStatus): Checked<StrategyWrite, StrategyRecord> {
  const existing = id ? all.strategies.find((s) => s.id === id) : undefined;
  if (id && !existing) throw new NotFoundError(`There is no strategy with id ${id}.`);
  const codeValue = code("code", change.code ?? existing?.code, STRATEGY_CODE, "MOB-RET-CHURN-001 (<LINE>-<SCENARIO>-<STAGE>-<NNN>)");
  uniqueCode(all.strategies, codeValue, id, "Strategy");
  const segmentId = change.segmentId ?? existing?.segmentId;
  if (!segmentId || !all.segments.some((s) => s.id === segmentId)) fail("segmentId", `\`segmentId\` ${segmentId ?? "(missing)"} is not a segment; create it first or see the segments query.`);
  const offerIds = change.offerIds ?? existing?.offerIds ?? [];
  if (offerIds.length === 0) fail("offerIds", "A strategy must propose at least one offer.");
  if (offerIds.length > all.offers.length) fail("offerIds", `\`offerIds\` holds ${offerIds.length} ids, more than the ${all.offers.length} offers there are; name each offer once.`);
  const twiceOffer = repeated(offerIds);
  if (twiceOffer) fail("offerIds", `\`offerIds\` names ${twiceOffer} twice; name each offer once.`);
  const offers = new Map(all.offers.map((o) => [o.id, o]));
  for (const offerId of offerIds) {
    const offer = offers.get(offerId);
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
    triggerValue = change.trigger === null ? null : trigger(change.trigger, segmentVocabulary(ctx.products, ctx.tags));
  }
  if (triggerValue) pushable(triggerValue, channels, ctx.channels);
  return {
    existing,
    write: {
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
      description: optionalText("description", change.description ?? existing?.description, MAX_DESCRIPTION),
      segmentId,
      offerIds,
      channels,
      trigger: triggerValue,
    },
  };
}

/** A target as a pending change would make it, with that change: what the proposing mutations return. */
export type Proposed<R> = R & { pendingChange: ChangeRecord };

type MarketingKind = Extract<ChangeKind, "SEGMENT" | "OFFER" | "STRATEGY">;

/** What a stored marketing change carries: the change as given (times as ISO strings). */
type Payload<C> = { [K in keyof C]?: unknown };

/** Each kind's id family, its noun, its check and its write. */
interface KindSpec<C, W extends { id: string; code: string }, R extends { id: string; code: string }> {
  kind: MarketingKind;
  noun: string;
  /** The audit trail's name for it. */
  targetType: "Segment" | "Offer" | "Strategy";
  prefix: string;
  records(all: MarketingRecords): readonly R[];
  check(all: MarketingRecords, ctx: CheckContext, id: string | null, change: C, status?: MarketingStatus): Checked<W, R>;
  /** Writes an approved change; `changeId` names it in the version it makes (strategies and offers). */
  write(tx: Cypher, w: W, mode: "create" | "update", changeId: string, previous: R | null): Promise<R>;
  /** The change back from its stored payload (ISO strings to Dates). */
  revive(payload: Payload<C>): C;
  /** `existing`: the target now (null for a create), so the preview shows the version the change would make. */
  preview(id: string, write: Omit<W, "id">, at: Date, existing: R | null): R;
}

/** The version the change would make: one more than the target's, 1 for a new one. */
const nextVersion = (existing: { version: number } | null): number => (existing ? existing.version + 1 : 1);

const reviveDates = <C>(payload: Payload<C>, fields: readonly string[]): C => {
  const change: Record<string, unknown> = { ...payload };
  for (const f of fields) if (typeof change[f] === "string") change[f] = new Date(change[f]);
  return change as C;
};

const SEGMENTS: KindSpec<SegmentChange, SegmentWrite, SegmentRecord> = {
  kind: "SEGMENT",
  noun: "segment",
  targetType: "Segment",
  prefix: "SG",
  records: (all) => all.segments,
  check: (all, ctx, id, change) => checkSegment(all, ctx, id, change),
  write: writeSegment,
  revive: (p) => p as SegmentChange,
  preview: (id, w, at) => ({ id, ...w, updatedAt: at }),
};

const OFFERS: KindSpec<OfferChange, OfferWrite, OfferRecord> = {
  kind: "OFFER",
  noun: "offer",
  targetType: "Offer",
  prefix: "OF",
  records: (all) => all.offers,
  check: checkOffer,
  write: writeOffer,
  revive: (p) => reviveDates<OfferChange>(p, ["validFrom", "validUntil"]),
  preview: (id, w, at, existing) => ({ id, ...w, updatedAt: at, version: nextVersion(existing) }),
};

const STRATEGIES: KindSpec<StrategyChange, StrategyWrite, StrategyRecord> = {
  kind: "STRATEGY",
  noun: "strategy",
  targetType: "Strategy",
  prefix: "ST",
  records: (all) => all.strategies,
  check: checkStrategy,
  write: writeStrategy,
  revive: (p) => reviveDates<StrategyChange>(p, ["validFrom", "validUntil"]),
  // Sorted as the graph reads them back (src/graph/marketing.ts), so the preview reads as the strategy will.
  preview: (id, w, at, existing) => ({ id, ...w, offerIds: [...w.offerIds].sort(), channels: [...w.channels].sort(), updatedAt: at, version: nextVersion(existing) }),
};

export class MarketingAdmin {
  constructor(
    private readonly reference: ReferenceData,
    private readonly bus: InvalidationBus,
    private readonly approvals: Approvals,
  ) {
    for (const spec of [SEGMENTS, OFFERS, STRATEGIES] as Array<KindSpec<unknown, { id: string; code: string }, { id: string; code: string }>>) {
      approvals.register({
        kind: spec.kind,
        noun: spec.noun,
        targetType: spec.targetType,
        deciders: ["APPROVER"],
        apply: (tx, change) => this.apply(spec, tx, change),
        applied: () => this.bus.publish("marketing"),
      });
    }
  }

  proposeSegment(scope: RequestScope, id: string | null, change: SegmentChange): Promise<Proposed<SegmentRecord>> {
    return this.propose(SEGMENTS, scope, id, change);
  }

  proposeOffer(scope: RequestScope, id: string | null, change: OfferChange, status?: MarketingStatus): Promise<Proposed<OfferRecord>> {
    return this.propose(OFFERS, scope, id, change, status);
  }

  proposeStrategy(scope: RequestScope, id: string | null, change: StrategyChange, status?: MarketingStatus): Promise<Proposed<StrategyRecord>> {
    return this.propose(STRATEGIES, scope, id, change, status);
  }

  /** The reference data as held (proposals: checked as a direct write always was). */
  private async cachedContext(): Promise<CheckContext> {
    const [products, tags, regions, channels] = await Promise.all([this.reference.products(), this.reference.tags(), this.reference.regions(), this.reference.channels()]);
    return { products, tags, regions, channels };
  }

  /**
   * The reference data as it is now, for an approval: the tag library and the catalogue read in the
   * approval's transaction (a tag taken offline a moment ago counts, whatever a cache holds).
   * Regions and channels change only with a new seed, so the cache is as good.
   */
  private async currentContext(tx: Cypher): Promise<CheckContext> {
    const [products, tags, regions, channels] = await Promise.all([listProducts(tx), listTags(tx), this.reference.regions(), this.reference.channels()]);
    return { products: new Map(products.map((p) => [p.id, p])), tags: new Map(tags.map((t) => [t.id, t])), regions, channels };
  }

  private async propose<C, W extends { id: string; code: string }, R extends { id: string; code: string }>(
    spec: KindSpec<C, W, R>,
    scope: RequestScope,
    id: string | null,
    change: C,
    status?: MarketingStatus,
  ): Promise<Proposed<R>> {
    const [all, ctx] = await Promise.all([listMarketing(scope.graph), this.cachedContext()]);
    const { write, existing } = spec.check(all, ctx, id, change, status);
    const pendingChange = await this.approvals.submit(scope, {
      kind: spec.kind,
      action: id === null ? "CREATE" : status === "RETIRED" ? "RETIRE" : "UPDATE",
      targetId: id,
      payload: change,
      newId: { prefix: spec.prefix, taken: spec.records(all).map((r) => r.id) },
      // A code the target does not hold yet is claimed until the change is decided.
      code: existing?.code === write.code ? null : write.code,
    });
    return { ...spec.preview(pendingChange.targetId, write, pendingChange.submittedAt, existing ?? null), pendingChange };
  }

  /** Applies an approved change in the approval's transaction: checked again against the state now, then written; returns the target before and after. */
  private async apply<C, W extends { id: string; code: string }, R extends { id: string; code: string }>(spec: KindSpec<C, W, R>, tx: Cypher, change: ChangeRecord): Promise<AppliedChange> {
    const [all, ctx] = await Promise.all([listMarketing(tx), this.currentContext(tx)]);
    const create = change.action === "CREATE";
    const status: MarketingStatus | undefined = change.action === "RETIRE" ? "RETIRED" : undefined;
    const { write, existing } = spec.check(all, ctx, create ? null : change.targetId, spec.revive(JSON.parse(change.payload) as Payload<C>), status);
    try {
      const after = await spec.write(tx, { ...write, id: change.targetId } as W, create ? "create" : "update", change.id, existing ?? null);
      return { before: existing ?? null, after };
    } catch (error) {
      // Taken by a write that bypassed the approval process (a seed): the change cannot apply as it stands.
      if (error instanceof ConstraintViolationError && (error.property === "code" || error.property === "id")) {
        const what = `${spec.noun.charAt(0).toUpperCase()}${spec.noun.slice(1)} ${error.property} ${error.property === "code" ? write.code : change.targetId}`;
        fail(error.property, `${what} was taken by another write meanwhile; reject this change and propose it again with another ${error.property}.`);
      }
      throw error;
    }
  }
}
