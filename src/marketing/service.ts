import type { RequestScope } from "../customer360/scope";
import type { ReferenceData } from "../customer360/reference";
import type { MarketingStatus } from "../domain/vocabulary";
import type { OfferRecord, SegmentRecord, StrategyRecord } from "../graph/marketing";
import type { Graph } from "../platform/neo4j";
import type { InvalidationBus } from "../platform/invalidation";
import type { Logger } from "../platform/logger";
import { MarketingAdmin, type OfferChange, type Saved, type SegmentChange, type StrategyChange } from "./admin";
import { MarketingCatalogue, type MarketingSnapshot } from "./catalogue";

/**
 * The marketing room's face: the strategy centre's segments, offers and strategies, read from the
 * per-process snapshot every decision uses, and changed through checked saves that invalidate the
 * snapshot on every replica.
 */
export class MarketingService {
  readonly catalogue: MarketingCatalogue;
  private readonly admin: MarketingAdmin;

  constructor(graph: Graph, reference: ReferenceData, bus: InvalidationBus, log: Logger) {
    this.catalogue = new MarketingCatalogue(graph, reference, log);
    this.admin = new MarketingAdmin(reference, bus);
    bus.on("marketing", () => this.catalogue.invalidate());
    bus.on("reference", () => this.catalogue.invalidate());
  }

  /** The compiled snapshot decisions run on. */
  snapshot(): Promise<MarketingSnapshot> {
    return this.catalogue.snapshot();
  }

  async strategies(status?: MarketingStatus | null): Promise<StrategyRecord[]> {
    return filterStatus([...(await this.snapshot()).strategies.values()], status);
  }

  async strategy(id: string): Promise<StrategyRecord | null> {
    return (await this.snapshot()).strategies.get(id) ?? null;
  }

  async offers(status?: MarketingStatus | null): Promise<OfferRecord[]> {
    return filterStatus([...(await this.snapshot()).offers.values()], status);
  }

  async offer(id: string): Promise<OfferRecord | null> {
    return (await this.snapshot()).offers.get(id) ?? null;
  }

  async segments(): Promise<SegmentRecord[]> {
    return [...(await this.snapshot()).segments.values()];
  }

  async segment(id: string): Promise<SegmentRecord | null> {
    return (await this.snapshot()).segments.get(id) ?? null;
  }

  /** Creates (id null) or changes a strategy; `status` retires or reactivates it. Noted for the audit trail with the strategy before and after. */
  async saveStrategy(scope: RequestScope, id: string | null, change: StrategyChange, status?: MarketingStatus): Promise<StrategyRecord> {
    return noted(scope, "Strategy", id, status, await this.admin.saveStrategy(scope.graph, id, change, status));
  }

  async saveOffer(scope: RequestScope, id: string | null, change: OfferChange, status?: MarketingStatus): Promise<OfferRecord> {
    return noted(scope, "Offer", id, status, await this.admin.saveOffer(scope.graph, id, change, status));
  }

  async saveSegment(scope: RequestScope, id: string | null, change: SegmentChange): Promise<SegmentRecord> {
    return noted(scope, "Segment", id, undefined, await this.admin.saveSegment(scope.graph, id, change));
  }
}

/** Notes a committed save on the request's audit collector ("createStrategy", "updateOffer", "retireStrategy", …) and returns the record. */
function noted<T extends { id: string }>(scope: RequestScope, type: "Strategy" | "Offer" | "Segment", id: string | null, status: MarketingStatus | undefined, result: Saved<T>): T {
  const verb = id === null ? "create" : status === "RETIRED" ? "retire" : "update";
  scope.audit.change({ action: `${verb}${type}`, targetType: type, targetId: result.saved.id, before: result.before, after: result.saved });
  return result.saved;
}

function filterStatus<T extends { status: MarketingStatus }>(all: T[], status: MarketingStatus | null | undefined): T[] {
  return status ? all.filter((x) => x.status === status) : all;
}
