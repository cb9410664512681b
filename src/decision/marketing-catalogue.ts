import type { Graph } from "../graph/db";
import { listMarketing, type OfferRecord, type SegmentRecord, type StrategyRecord } from "../graph/marketing";
import type { ChannelCode } from "../graph/model";
import type { Logger } from "../logger";
import type { ReferenceData } from "../reference";
import { compileSegment, segmentVocabulary, type CompiledSegment } from "./segment-expression";

/** A strategy ready to decide with: its segment compiled once. */
export interface ActiveStrategy extends StrategyRecord {
  segment: SegmentRecord;
  matcher: CompiledSegment | null;
  channelSet: ReadonlySet<ChannelCode>;
}

/** Segments, offers and strategies as decisions use them. Immutable; replaced whole on refresh. */
export interface MarketingSnapshot {
  segments: Map<string, SegmentRecord>;
  offers: Map<string, OfferRecord>;
  strategies: Map<string, StrategyRecord>;
  /** ACTIVE strategies, compiled, by id. Validity windows are checked per decision (they depend on its time). */
  active: ActiveStrategy[];
  /** ACTIVE offers by product id. */
  offersByProduct: Map<string, OfferRecord[]>;
  /** The products of ACTIVE offers: what the graph is asked to judge eligibility for. */
  candidateProductIds: string[];
}

/**
 * The marketing set-up of the gateway, read from the graph in one statement and kept per process
 * (they change by the hour, decisions happen by the millisecond). A change through the strategy
 * mutations invalidates it on every replica (src/redis/invalidation.ts); the TTL bounds staleness
 * if an invalidation is missed.
 */
export class MarketingCatalogue {
  private memo: { expires: number; value: Promise<MarketingSnapshot> } | undefined;

  constructor(
    private readonly graph: Graph,
    private readonly reference: ReferenceData,
    private readonly log: Logger,
    private readonly ttlMs = 60_000,
  ) {}

  snapshot(): Promise<MarketingSnapshot> {
    if (this.memo && Date.now() < this.memo.expires) return this.memo.value;
    const memo = { expires: Date.now() + this.ttlMs, value: this.load() };
    memo.value.catch(() => {
      memo.expires = 0;
    });
    this.memo = memo;
    return memo.value;
  }

  invalidate(): void {
    this.memo = undefined;
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
      active.push({ ...s, segment, matcher, channelSet: new Set(s.channels) });
    }
    const offersByProduct = new Map<string, OfferRecord[]>();
    for (const o of records.offers) {
      if (o.status !== "ACTIVE") continue;
      offersByProduct.set(o.productId, [...(offersByProduct.get(o.productId) ?? []), o]);
    }
    return {
      segments,
      offers,
      strategies: new Map(records.strategies.map((s) => [s.id, s])),
      active,
      offersByProduct,
      candidateProductIds: [...offersByProduct.keys()].sort(),
    };
  }
}
