import type { RequestScope } from "../customer360/scope";
import type { ReferenceData } from "../customer360/reference";
import type { MarketingStatus } from "../domain/vocabulary";
import DataLoader from "dataloader";
import { marketingVersions, type MarketingVersionRecord, type OfferRecord, type SegmentRecord, type StrategyRecord } from "../graph/marketing";
import type { Graph } from "../platform/neo4j";
import type { InvalidationBus } from "../platform/invalidation";
import type { Logger } from "../platform/logger";
import type { Approvals } from "../approval/service";
import { MarketingAdmin, type OfferChange, type Proposed, type SegmentChange, type StrategyChange } from "./admin";
import { MarketingCatalogue, type MarketingSnapshot } from "./catalogue";

/**
 * The marketing room's face: the strategy centre's segments, offers and strategies, read from the
 * per-process snapshot every decision uses, and changed through checked proposals that take effect
 * once approved (maker-checker, ./admin.ts), invalidating the snapshot on every replica.
 */
export class MarketingService {
  readonly catalogue: MarketingCatalogue;
  private readonly admin: MarketingAdmin;

  constructor(graph: Graph, reference: ReferenceData, bus: InvalidationBus, approvals: Approvals, log: Logger) {
    this.catalogue = new MarketingCatalogue(graph, reference, log);
    this.admin = new MarketingAdmin(reference, bus, approvals);
    bus.on("marketing", () => this.catalogue.invalidate());
    bus.on("reference", () => this.catalogue.invalidate());
  }

  /** The compiled snapshot decisions run on. */
  /** Per request: the version lists asked for in one request go in one statement per kind. */
  private readonly versionLoaders = new WeakMap<RequestScope, Record<"STRATEGY" | "OFFER", DataLoader<string, MarketingVersionRecord[]>>>();

  /** The applied versions of a strategy or offer, newest first (empty: never changed since seeded). */
  versions(scope: RequestScope, kind: "STRATEGY" | "OFFER", id: string): Promise<MarketingVersionRecord[]> {
    let loaders = this.versionLoaders.get(scope);
    if (!loaders) {
      const loader = (k: "STRATEGY" | "OFFER"): DataLoader<string, MarketingVersionRecord[]> =>
        new DataLoader(async (ids: readonly string[]) => {
          const found = await marketingVersions(scope.graph, k, ids);
          return ids.map((i) => found.get(i) ?? []);
        });
      loaders = { STRATEGY: loader("STRATEGY"), OFFER: loader("OFFER") };
      this.versionLoaders.set(scope, loaders);
    }
    return loaders[kind].load(id);
  }

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

  /**
   * Proposes creating (id null) or changing a strategy; `status` retires or reactivates it. Checked
   * now (BAD_USER_INPUT, NOT_FOUND), stored as a pending change, applied when an APPROVER approves
   * it. Returns the strategy as the change would make it, with the change.
   */
  proposeStrategy(scope: RequestScope, id: string | null, change: StrategyChange, status?: MarketingStatus): Promise<Proposed<StrategyRecord>> {
    return this.admin.proposeStrategy(scope, id, change, status);
  }

  /** As {@link proposeStrategy}, for an offer. */
  proposeOffer(scope: RequestScope, id: string | null, change: OfferChange, status?: MarketingStatus): Promise<Proposed<OfferRecord>> {
    return this.admin.proposeOffer(scope, id, change, status);
  }

  /** As {@link proposeStrategy}, for a segment (segments decide who gets offers, so they reach customers too). */
  proposeSegment(scope: RequestScope, id: string | null, change: SegmentChange): Promise<Proposed<SegmentRecord>> {
    return this.admin.proposeSegment(scope, id, change);
  }
}

function filterStatus<T extends { status: MarketingStatus }>(all: T[], status: MarketingStatus | null | undefined): T[] {
  return status ? all.filter((x) => x.status === status) : all;
}
