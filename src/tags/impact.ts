import type { MarketingRecords, OfferRecord, SegmentRecord, StrategyRecord } from "../graph/marketing";
import { tagCodesIn } from "../segments/expression";

/**
 * Lineage: what uses a tag. Segments name tags in their expressions, strategies target segments
 * (and event-triggered ones name tags in their trigger conditions), strategies propose offers;
 * campaigns (DESIGN.md "Campaigns": a strategy version × a segment × a schedule) will target
 * segments too. Read from the expressions themselves (parsed, src/segments/expression), so the
 * lineage cannot drift from what decisions evaluate: a segment names a tag exactly when its
 * expression does, whether or not the tag is served now.
 */

export const LINEAGE_KINDS = ["TAG", "SEGMENT", "STRATEGY", "OFFER", "CAMPAIGN"] as const;
export type LineageKind = (typeof LINEAGE_KINDS)[number];
/** USES: a segment's expression names the tag; TARGETS: a strategy's segment; TRIGGERED_BY: a trigger condition names the tag; PROPOSES: a strategy's offer. */
export const LINEAGE_RELATIONS = ["USES", "TARGETS", "TRIGGERED_BY", "PROPOSES"] as const;
export type LineageRelation = (typeof LINEAGE_RELATIONS)[number];

export interface LineageNode {
  id: string;
  kind: LineageKind;
  code: string;
  name: string;
  /** The node's own status: a tag's lifecycle status, ACTIVE or RETIRED for strategies and offers, ACTIVE for segments. */
  status: string;
}

export interface LineageEdge {
  /** The node that uses … */
  from: string;
  /** … this one. */
  to: string;
  relation: LineageRelation;
}

/** The marketing set-up indexed by the tags it names. */
export interface Lineage {
  records: MarketingRecords;
  /** Segments whose expression names the tag code. */
  segmentsByTag: ReadonlyMap<string, readonly SegmentRecord[]>;
  /** Strategies whose trigger condition names the tag code. */
  triggeredByTag: ReadonlyMap<string, readonly StrategyRecord[]>;
  strategiesBySegment: ReadonlyMap<string, readonly StrategyRecord[]>;
  offers: ReadonlyMap<string, OfferRecord>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function lineageOf(records: MarketingRecords): Lineage {
  const segmentsByTag = new Map<string, SegmentRecord[]>();
  for (const s of records.segments) for (const code of tagCodesIn(s.expression)) push(segmentsByTag, code, s);
  const triggeredByTag = new Map<string, StrategyRecord[]>();
  const strategiesBySegment = new Map<string, StrategyRecord[]>();
  for (const s of records.strategies) {
    push(strategiesBySegment, s.segmentId, s);
    if (s.trigger) for (const code of tagCodesIn(s.trigger.condition)) push(triggeredByTag, code, s);
  }
  return { records, segmentsByTag, triggeredByTag, strategiesBySegment, offers: new Map(records.offers.map((o) => [o.id, o])) };
}

/** What uses one tag, as a graph (nodes and edges, the tag first) and as lists by kind. */
export interface TagImpact {
  nodes: LineageNode[];
  edges: LineageEdge[];
  segments: SegmentRecord[];
  strategies: StrategyRecord[];
  offers: OfferRecord[];
  /**
   * Campaigns targeting those segments or running those strategies. There are no campaigns yet:
   * this is where they join, through {@link campaignsUsing}.
   */
  campaignIds: string[];
}

/**
 * The campaigns that use these segments or strategies. Campaigns do not exist yet (DESIGN.md
 * "Campaigns"); when they do, they join the lineage here: a CAMPAIGN node per campaign, with
 * TARGETS edges to its segment and RUNS edges to its strategy.
 */
function campaignsUsing(_segmentIds: readonly string[], _strategyIds: readonly string[]): string[] {
  return [];
}

export function impactOf(tag: { id: string; code: string; name: string; status: string }, lineage: Lineage): TagImpact {
  const nodes = new Map<string, LineageNode>([[tag.id, { id: tag.id, kind: "TAG", code: tag.code, name: tag.name, status: tag.status }]]);
  const edges: LineageEdge[] = [];
  const segments = [...(lineage.segmentsByTag.get(tag.code) ?? [])];
  const strategies = new Map<string, StrategyRecord>();
  for (const g of segments) {
    nodes.set(g.id, { id: g.id, kind: "SEGMENT", code: g.code, name: g.name, status: "ACTIVE" });
    edges.push({ from: g.id, to: tag.id, relation: "USES" });
    for (const s of lineage.strategiesBySegment.get(g.id) ?? []) {
      strategies.set(s.id, s);
      edges.push({ from: s.id, to: g.id, relation: "TARGETS" });
    }
  }
  for (const s of lineage.triggeredByTag.get(tag.code) ?? []) {
    strategies.set(s.id, s);
    edges.push({ from: s.id, to: tag.id, relation: "TRIGGERED_BY" });
  }
  const offers = new Map<string, OfferRecord>();
  for (const s of [...strategies.values()].sort(byId)) {
    nodes.set(s.id, { id: s.id, kind: "STRATEGY", code: s.code, name: s.name, status: s.status });
    for (const offerId of s.offerIds) {
      const o = lineage.offers.get(offerId);
      if (!o) continue;
      offers.set(o.id, o);
      edges.push({ from: s.id, to: o.id, relation: "PROPOSES" });
    }
  }
  for (const o of [...offers.values()].sort(byId)) nodes.set(o.id, { id: o.id, kind: "OFFER", code: o.code, name: o.name, status: o.status });
  const strategyList = [...strategies.values()].sort(byId);
  return {
    nodes: [...nodes.values()],
    edges,
    segments: segments.sort(byId),
    strategies: strategyList,
    offers: [...offers.values()].sort(byId),
    campaignIds: campaignsUsing(
      segments.map((g) => g.id),
      strategyList.map((s) => s.id),
    ),
  };
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The strategies a tag code reaches: those targeting segments that name it, and those triggered on conditions naming it (sorted ids). */
export function strategyIdsUsing(code: string, lineage: Lineage): string[] {
  const ids = new Set<string>();
  for (const g of lineage.segmentsByTag.get(code) ?? []) for (const s of lineage.strategiesBySegment.get(g.id) ?? []) ids.add(s.id);
  for (const s of lineage.triggeredByTag.get(code) ?? []) ids.add(s.id);
  return [...ids].sort();
}

/** Every tag code the marketing set-up names (in a segment or a trigger condition). */
export function referencedTagCodes(lineage: Lineage): string[] {
  return [...new Set([...lineage.segmentsByTag.keys(), ...lineage.triggeredByTag.keys()])].sort();
}
