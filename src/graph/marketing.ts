import type { EventType } from "../domain/events";
import { int, type Cypher } from "../platform/neo4j";
import type { OfferNode, SegmentNode, StrategyNode } from "./model";
import type { ChannelCode, LifecycleStage, MarketingStatus } from "../domain/vocabulary";

/**
 * Segments, offers and strategies: written by the seed and the strategy mutations, read whole by
 * the marketing catalogue (src/marketing/catalogue.ts), which every decision uses.
 */

export interface SegmentRecord extends Omit<SegmentNode, "updatedAt"> {
  updatedAt: Date;
}

export interface OfferRecord extends Omit<OfferNode, "creatives" | "validFrom" | "validUntil" | "updatedAt" | "version"> {
  /** 1 until the first applied change; bumped by each. */
  version: number;
  creatives: Partial<Record<ChannelCode, string>>;
  validFrom: Date;
  validUntil: Date | null;
  updatedAt: Date;
}

/**
 * What makes a strategy event-triggered: it proposes its offers only when an event of `eventType`
 * arrives whose payload and customer satisfy `condition` (a segment expression that may also name
 * `event.<field>`; empty = always), and only while the event is at most `maxDelaySeconds` old.
 */
export interface StrategyTrigger {
  eventType: EventType;
  condition: string;
  maxDelaySeconds: number;
}

type TriggerProperties = "triggerEventType" | "triggerCondition" | "triggerMaxDelaySeconds";

export interface StrategyRecord extends Omit<StrategyNode, "validFrom" | "validUntil" | "updatedAt" | "version" | TriggerProperties> {
  /** 1 until the first applied change; bumped by each. */
  version: number;
  validFrom: Date;
  validUntil: Date | null;
  updatedAt: Date;
  segmentId: string;
  offerIds: string[];
  channels: ChannelCode[];
  /** Null: an ordinary strategy, a candidate in every decision whose customer its segment holds. */
  trigger: StrategyTrigger | null;
}

export interface MarketingRecords {
  segments: SegmentRecord[];
  offers: OfferRecord[];
  strategies: StrategyRecord[];
}

type Millis = number;
type RawOffer = Omit<OfferRecord, "creatives" | "validFrom" | "validUntil" | "updatedAt"> & { creatives: string; validFrom: Millis; validUntil: Millis | null; updatedAt: Millis };
type RawStrategy = Omit<StrategyRecord, "validFrom" | "validUntil" | "updatedAt" | "trigger"> &
  Partial<Pick<StrategyNode, TriggerProperties>> & { validFrom: Millis; validUntil: Millis | null; updatedAt: Millis };
type RawSegment = Omit<SegmentRecord, "updatedAt"> & { updatedAt: Millis };

const OFFER_PROJECTION = `o {.*, version: coalesce(o.version, 1), validFrom: o.validFrom.epochMillis, validUntil: o.validUntil.epochMillis, updatedAt: o.updatedAt.epochMillis}`;
const STRATEGY_PROJECTION = `s {.*, version: coalesce(s.version, 1), validFrom: s.validFrom.epochMillis, validUntil: s.validUntil.epochMillis, updatedAt: s.updatedAt.epochMillis,
  segmentId: head([(s)-[:TARGETS]->(g:Segment) | g.id]),
  offerIds: [(s)-[:PROPOSES]->(o:Offer) | o.id],
  channels: [(s)-[:USES]->(c:Channel) | c.code]}`;
const SEGMENT_PROJECTION = `g {.*, updatedAt: g.updatedAt.epochMillis}`;

/** Everything, in one round trip. */
export async function listMarketing(graph: Cypher): Promise<MarketingRecords> {
  const rows = await graph.read<{ segments: RawSegment[]; offers: RawOffer[]; strategies: RawStrategy[] }>(
    `CALL () { MATCH (g:Segment) RETURN collect(${SEGMENT_PROJECTION}) AS segments }
     CALL () { MATCH (o:Offer) RETURN collect(${OFFER_PROJECTION}) AS offers }
     CALL () { MATCH (s:Strategy) RETURN collect(${STRATEGY_PROJECTION}) AS strategies }
     RETURN segments, offers, strategies`,
  );
  const row = rows[0] ?? { segments: [], offers: [], strategies: [] };
  return {
    segments: row.segments.map(toSegment).sort(byId),
    offers: row.offers.map(toOffer).sort(byId),
    strategies: row.strategies.map(toStrategy).sort(byId),
  };
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function toSegment(g: RawSegment): SegmentRecord {
  return { ...g, updatedAt: new Date(g.updatedAt) };
}

function toOffer(o: RawOffer): OfferRecord {
  return {
    ...o,
    creatives: JSON.parse(o.creatives) as OfferRecord["creatives"],
    regionIds: o.regionIds ?? [],
    validFrom: new Date(o.validFrom),
    validUntil: o.validUntil === null ? null : new Date(o.validUntil),
    updatedAt: new Date(o.updatedAt),
  };
}

function toStrategy(raw: RawStrategy): StrategyRecord {
  const { triggerEventType, triggerCondition, triggerMaxDelaySeconds, ...s } = raw;
  return {
    ...s,
    trigger: triggerEventType ? { eventType: triggerEventType, condition: triggerCondition ?? "", maxDelaySeconds: triggerMaxDelaySeconds ?? DEFAULT_TRIGGER_MAX_DELAY_SECONDS } : null,
    lifecycleStage: s.lifecycleStage ?? null,
    // Relationship order is not stored; sorted, a strategy reads the same on every replica.
    offerIds: [...s.offerIds].sort(),
    channels: [...s.channels].sort(),
    validFrom: new Date(s.validFrom),
    validUntil: s.validUntil === null ? null : new Date(s.validUntil),
    updatedAt: new Date(s.updatedAt),
  };
}

// ───────────────────────────── writes ─────────────────────────────

export interface SegmentWrite {
  id: string;
  code: string;
  name: string;
  expression: string;
}

export interface OfferWrite {
  id: string;
  code: string;
  name: string;
  productId: string;
  creatives: Partial<Record<ChannelCode, string>>;
  validFrom: Date;
  validUntil: Date | null;
  regionIds: string[];
  value: number;
  priority: number;
  basePropensity: number;
  status: MarketingStatus;
}

export interface StrategyWrite {
  id: string;
  code: string;
  name: string;
  businessLine: string;
  scenario: string;
  lifecycleStage: LifecycleStage | null;
  priority: number;
  validFrom: Date;
  validUntil: Date | null;
  controlShare: number;
  status: MarketingStatus;
  description: string;
  segmentId: string;
  offerIds: string[];
  channels: ChannelCode[];
  trigger: StrategyTrigger | null;
}

/** How old an event may be when processed and still fire a trigger, unless the strategy says otherwise. */
export const DEFAULT_TRIGGER_MAX_DELAY_SECONDS = 600;

export const offerParams = (o: OfferWrite): Record<string, unknown> => ({
  ...o,
  creatives: JSON.stringify(o.creatives),
  validFrom: o.validFrom.toISOString(),
  validUntil: o.validUntil?.toISOString() ?? null,
});

export const strategyParams = ({ trigger, ...s }: StrategyWrite): Record<string, unknown> => ({
  ...s,
  validFrom: s.validFrom.toISOString(),
  validUntil: s.validUntil?.toISOString() ?? null,
  // null removes the property: an untriggered strategy has none of the three
  triggerEventType: trigger?.eventType ?? null,
  triggerCondition: trigger?.condition ?? null,
  triggerMaxDelaySeconds: trigger ? int(trigger.maxDelaySeconds) : null,
});

export const SET_OFFER = `o.code = r.code, o.name = r.name, o.productId = r.productId, o.creatives = r.creatives,
  o.validFrom = datetime(r.validFrom), o.validUntil = CASE WHEN r.validUntil IS NULL THEN null ELSE datetime(r.validUntil) END,
  o.regionIds = r.regionIds, o.value = r.value, o.priority = r.priority, o.basePropensity = r.basePropensity,
  o.status = r.status, o.updatedAt = datetime()`;

export const SET_STRATEGY = `s.code = r.code, s.name = r.name, s.businessLine = r.businessLine, s.scenario = r.scenario,
  s.lifecycleStage = r.lifecycleStage, s.priority = r.priority, s.validFrom = datetime(r.validFrom),
  s.validUntil = CASE WHEN r.validUntil IS NULL THEN null ELSE datetime(r.validUntil) END,
  s.controlShare = r.controlShare, s.status = r.status, s.description = r.description,
  s.triggerEventType = r.triggerEventType, s.triggerCondition = r.triggerCondition, s.triggerMaxDelaySeconds = r.triggerMaxDelaySeconds,
  s.updatedAt = datetime()`;

/** Re-points a strategy's TARGETS, PROPOSES and USES to exactly what `r` names. */
export const LINK_STRATEGY = `
  WITH s, r
  CALL (s, r) {
    OPTIONAL MATCH (s)-[old:TARGETS|PROPOSES|USES]->()
    DELETE old
  }
  CALL (s, r) {
    MATCH (g:Segment {id: r.segmentId}) MERGE (s)-[:TARGETS]->(g)
  }
  CALL (s, r) {
    UNWIND r.offerIds AS offerId MATCH (o:Offer {id: offerId}) MERGE (s)-[:PROPOSES]->(o)
  }
  CALL (s, r) {
    UNWIND r.channels AS code MATCH (c:Channel {code: code}) MERGE (s)-[:USES]->(c)
  }`;

/**
 * How a marketing write finds its node: "create" makes a new one, and the id and code uniqueness
 * constraints refuse a concurrent create that chose the same id or code (the executor raises
 * ConstraintViolationError naming the property); "update" changes an existing one and never creates.
 */
export type WriteMode = "create" | "update";

function node(mode: WriteMode, variable: string, label: string, id: string): string {
  return mode === "create" ? `CREATE (${variable}:${label} {id: ${id}})` : `MATCH (${variable}:${label} {id: ${id}})`;
}

export async function writeSegment(graph: Cypher, s: SegmentWrite, mode: WriteMode): Promise<SegmentRecord> {
  const rows = await graph.write<{ g: RawSegment }>(
    `${node(mode, "g", "Segment", "$r.id")} SET g.code = $r.code, g.name = $r.name, g.expression = $r.expression, g.updatedAt = datetime()
     RETURN ${SEGMENT_PROJECTION} AS g`,
    { r: s },
  );
  return toSegment(must(rows[0]).g);
}

/**
 * Versions (issue 12 point 6). Before the first change of a node the seed wrote, its content as it
 * stood is kept as version 1 (`baselineVersion`, changeId null), so the decisions made with it can
 * still be read against what was run. Then the write makes its version: 1 for a new node, the
 * stored one plus one for an update, kept with the content written and the change that applied it.
 */
const baselineVersion = (v: string, label: "StrategyVersion" | "OfferVersion", idField: "strategyId" | "offerId"): string => `
  WITH *
  CALL (${v}) {
    WITH ${v} WHERE NOT $create AND NOT EXISTS { (${v})-[:VERSION]->() }
    CREATE (${v})-[:VERSION]->(:${label} {${idField}: ${v}.id, version: coalesce(${v}.version, 1), content: $previous, appliedAt: ${v}.updatedAt, changeId: null})
  }`;

const bumpVersion = (v: string, label: "StrategyVersion" | "OfferVersion", idField: "strategyId" | "offerId"): string => `
  SET ${v}.version = CASE WHEN $create THEN 1 ELSE coalesce(${v}.version, 1) + 1 END
  CREATE (${v})-[:VERSION]->(:${label} {${idField}: ${v}.id, version: ${v}.version, content: $content, appliedAt: ${v}.updatedAt, changeId: $changeId})`;

/** The stored content of a record as a version keeps it (times as ISO text). */
function versionContent(record: unknown): string {
  return JSON.stringify(record ?? null);
}

/** `previous`: the offer before this change (kept as version 1 when the seed wrote it and it never changed). */
export async function writeOffer(graph: Cypher, o: OfferWrite, mode: WriteMode, changeId: string, previous: OfferRecord | null = null): Promise<OfferRecord> {
  const rows = await graph.write<{ o: RawOffer }>(
    `WITH $r AS r
     MATCH (p:Product {id: r.productId})
     ${node(mode, "o", "Offer", "r.id")}
     ${baselineVersion("o", "OfferVersion", "offerId")}
     SET ${SET_OFFER}
     ${bumpVersion("o", "OfferVersion", "offerId")}
     WITH o, p
     CALL (o, p) { OPTIONAL MATCH (o)-[old:OF]->(other) WHERE other <> p DELETE old }
     MERGE (o)-[:OF]->(p)
     RETURN ${OFFER_PROJECTION} AS o`,
    { r: offerParams(o), create: mode === "create", content: versionContent(o), previous: versionContent(previous), changeId },
  );
  return toOffer(must(rows[0]).o);
}

/** `previous`: the strategy before this change (kept as version 1 when the seed wrote it and it never changed). */
export async function writeStrategy(graph: Cypher, s: StrategyWrite, mode: WriteMode, changeId: string, previous: StrategyRecord | null = null): Promise<StrategyRecord> {
  const rows = await graph.write<{ s: RawStrategy }>(
    `WITH $r AS r
     ${node(mode, "s", "Strategy", "r.id")}
     ${baselineVersion("s", "StrategyVersion", "strategyId")}
     SET ${SET_STRATEGY}
     ${bumpVersion("s", "StrategyVersion", "strategyId")}
     ${LINK_STRATEGY}
     RETURN ${STRATEGY_PROJECTION} AS s`,
    { r: strategyParams(s), create: mode === "create", content: versionContent({ ...s, offerIds: [...s.offerIds].sort(), channels: [...s.channels].sort() }), previous: versionContent(previous), changeId },
  );
  return toStrategy(must(rows[0]).s);
}

function must<T>(row: T | undefined): T {
  if (row === undefined) throw new Error("the write matched nothing; a referenced node vanished between validation and write");
  return row;
}

/** One applied version of a strategy or offer, newest first in {@link marketingVersions}. */
export interface MarketingVersionRecord {
  version: number;
  /** The strategy or offer as the version wrote it (the write's fields, times as ISO text). */
  content: Record<string, unknown>;
  appliedAt: Date;
  /** The approved change that applied it; null for the seeded content kept as version 1 at the first change. */
  changeId: string | null;
}

/** The applied versions of strategies or offers by id, newest first, one round trip for the batch. */
export async function marketingVersions(graph: Cypher, kind: "STRATEGY" | "OFFER", ids: readonly string[]): Promise<Map<string, MarketingVersionRecord[]>> {
  const [label, target] = kind === "STRATEGY" ? ["StrategyVersion", "Strategy"] : ["OfferVersion", "Offer"];
  const rows = await graph.read<{ id: string; versions: Array<{ version: number; content: string; appliedAt: number; changeId: string | null }> }>(
    `UNWIND $ids AS id
     MATCH (:${target} {id: id})-[:VERSION]->(v:${label})
     WITH id, v ORDER BY v.version DESC
     RETURN id, collect(v {.version, .content, .changeId, appliedAt: v.appliedAt.epochMillis}) AS versions`,
    { ids: [...new Set(ids)] },
  );
  return new Map(
    rows.map((r) => [r.id, r.versions.map((v) => ({ version: v.version, content: JSON.parse(v.content) as Record<string, unknown>, appliedAt: new Date(v.appliedAt), changeId: v.changeId ?? null }))]),
  );
}
