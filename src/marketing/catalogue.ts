import type { Graph } from "../platform/neo4j";
import { Memo } from "../platform/cache";
import { listMarketing, type OfferRecord, type SegmentRecord, type StrategyRecord } from "../graph/marketing";
import type { ChannelCode } from "../domain/vocabulary";
import type { Logger } from "../platform/logger";
import type { EventType } from "../domain/events";
import type { ReferenceData } from "../customer360/reference";
import { compileSegment, segmentVocabulary, type CompiledSegment } from "../segments/expression";
import { compileTrigger } from "./trigger";

/** A strategy ready to decide with: its segment (and trigger condition) compiled once. */
export interface ActiveStrategy extends Omit<StrategyRecord, "trigger"> {
  segment: SegmentRecord;
  matcher: CompiledSegment | null;
  channelSet: ReadonlySet<ChannelCode>;
  /** Null for ordinary strategies. `condition` is null when it no longer compiles: the strategy then never fires. */
  trigger: { eventType: EventType; condition: CompiledSegment | null; maxDelaySeconds: number } | null;
}

/** Segments, offers and strategies as decisions use them. Immutable; replaced whole on refresh. */
export interface MarketingSnapshot {
  segments: Map<string, SegmentRecord>;
  offers: Map<string, OfferRecord>;
  strategies: Map<string, StrategyRecord>;
  /** ACTIVE strategies, compiled, by id. Validity windows are checked per decision (they depend on its time). */
  active: ActiveStrategy[];
  /**
   * ACTIVE offers by product id, for candidates no strategy put forward (upgrade paths, adoption,
   * the model). Offers that only event-triggered strategies propose are left out: a bill-payment
   * bonus belongs to the moment of the payment, not to any decision.
   */
  offersByProduct: Map<string, OfferRecord[]>;
  /** The products of ACTIVE offers (event offers included): what the graph is asked to judge eligibility for. */
  candidateProductIds: string[];
  /**
   * Per event type, the products of the offers its triggered strategies propose: all a decision
   * for that event can offer, so its graph read judges only these (a handful, not the catalogue).
   */
  triggeredProductIds: ReadonlyMap<EventType, string[]>;
}

/** The products whose eligibility a decision needs judged: those its event can offer, or every candidate. */
export function productsToJudge(snapshot: MarketingSnapshot, eventType: EventType | undefined): string[] {
  return eventType ? (snapshot.triggeredProductIds.get(eventType) ?? []) : snapshot.candidateProductIds;
}

/**
 * The marketing set-up of the gateway, read from the graph in one statement and kept per process
 * (they change by the hour, decisions happen by the millisecond). A change through the strategy
 * mutations invalidates it on every replica (src/platform/invalidation.ts); the TTL bounds staleness
 * if an invalidation is missed.
 */
export class MarketingCatalogue {
  private readonly memo: Memo<MarketingSnapshot>;

  constructor(
    private readonly graph: Graph,
    private readonly reference: ReferenceData,
    private readonly log: Logger,
    ttlMs = 60_000,
  ) {
    this.memo = new Memo(() => this.load(), ttlMs, { name: "marketing_catalogue" });
  }

  snapshot(): Promise<MarketingSnapshot> {
    return this.memo.get();
  }

  invalidate(): void {
    this.memo.invalidate();
  }

  private async load(): Promise<MarketingSnapshot> {
    const [records, products, tags] = await Promise.all([listMarketing(this.graph.session()), this.reference.products(), this.reference.tags()]);
    const vocabulary = segmentVocabulary(products, tags);
    const segments = new Map(records.segments.map((s) => [s.id, s]));
    const offers = new Map(records.offers.map((o) => [o.id, o]));
    const active: ActiveStrategy[] = [];
    for (const s of records.strategies) {
      const segment = segments.get(s.segmentId);
      if (s.status !== "ACTIVE" || !segment) continue;
      let matcher: CompiledSegment | null = null;
      try {
        matcher = compileSegment(segment.expression, vocabulary);
      } catch (error) {
        // A segment can stop compiling when a tag it names is taken offline: its strategy then targets nobody until fixed.
        this.log.warn({ strategy: s.code, segment: segment.code, err: error instanceof Error ? error.message : String(error) }, "segment expression no longer compiles; strategy paused");
      }
      let trigger: ActiveStrategy["trigger"] = null;
      if (s.trigger) {
        let condition: CompiledSegment | null = null;
        try {
          condition = compileTrigger(s.trigger.condition, vocabulary, s.trigger.eventType);
        } catch (error) {
          // As with segments: a tag the condition names was taken offline; the strategy fires for nobody until fixed.
          this.log.warn({ strategy: s.code, event: s.trigger.eventType, err: error instanceof Error ? error.message : String(error) }, "trigger condition no longer compiles; strategy paused");
        }
        trigger = { eventType: s.trigger.eventType, condition, maxDelaySeconds: s.trigger.maxDelaySeconds };
      }
      active.push({ ...s, segment, matcher, channelSet: new Set(s.channels), trigger });
    }
    const proposers = new Map<string, boolean[]>();
    for (const s of records.strategies) for (const id of s.offerIds) proposers.set(id, [...(proposers.get(id) ?? []), s.trigger !== null]);
    const eventOnly = (o: OfferRecord): boolean => proposers.get(o.id)?.every((triggered) => triggered) ?? false;
    const offersByProduct = new Map<string, OfferRecord[]>();
    const candidateProductIds = new Set<string>();
    for (const o of records.offers) {
      if (o.status !== "ACTIVE") continue;
      candidateProductIds.add(o.productId);
      if (!eventOnly(o)) offersByProduct.set(o.productId, [...(offersByProduct.get(o.productId) ?? []), o]);
    }
    const triggered = new Map<EventType, Set<string>>();
    for (const s of active) {
      if (!s.trigger) continue;
      const products = triggered.get(s.trigger.eventType) ?? new Set<string>();
      for (const id of s.offerIds) {
        const offer = offers.get(id);
        if (offer?.status === "ACTIVE") products.add(offer.productId);
      }
      triggered.set(s.trigger.eventType, products);
    }
    return {
      segments,
      offers,
      strategies: new Map(records.strategies.map((s) => [s.id, s])),
      active,
      offersByProduct,
      candidateProductIds: [...candidateProductIds].sort(),
      triggeredProductIds: new Map([...triggered].map(([type, ids]) => [type, [...ids].sort()])),
    };
  }
}
