import type { Graph } from "../platform/neo4j";
import { Memo } from "../platform/cache";
import { listChannels, listProducts, listRegions, listTags, productRelations } from "../graph/catalogue";
import type { ChannelCode } from "../domain/vocabulary";
import type { ChannelRecord, ProductRecord, RegionRecord, TagRecord } from "../graph/records";

/**
 * The catalogue's product relations as eligibility reads them (src/customer360/profiles.ts): kind,
 * REQUIRES targets (alternatives), outgoing EXCLUDES and UPGRADES_TO, by product id.
 */
export interface ProductRelations {
  kind: ReadonlyMap<string, string>;
  requires: ReadonlyMap<string, readonly string[]>;
  excludes: ReadonlyMap<string, ReadonlySet<string>>;
  upgradesTo: ReadonlyMap<string, readonly string[]>;
}

/**
 * Reference data every request needs and that changes rarely (the seven channels, the province's
 * regions, the product catalogue, the tag library): read once per process and refreshed after
 * `ttlMs`, so the unified view spends no round trip and no payload on it. A failed load is not
 * remembered, so the next call retries. Changes made through the gateway later (tag publishing)
 * should call `invalidate()` on every replica.
 */
export class ReferenceData {
  private readonly channelsMemo: Memo<Map<ChannelCode, ChannelRecord>>;
  private readonly regionsMemo: Memo<Map<string, RegionRecord>>;
  private readonly productsMemo: Memo<Map<string, ProductRecord>>;
  private readonly tagsMemo: Memo<Map<string, TagRecord>>;
  private readonly relationsMemo: Memo<ProductRelations>;

  constructor(graph: Graph, ttlMs = 5 * 60_000) {
    this.channelsMemo = new Memo(async () => new Map((await listChannels(graph.session())).map((c) => [c.code, c])), ttlMs, { name: "channels" });
    this.regionsMemo = new Memo(async () => new Map((await listRegions(graph.session())).map((r) => [r.id, r])), ttlMs, { name: "regions" });
    this.productsMemo = new Memo(async () => new Map((await listProducts(graph.session())).map((p) => [p.id, p])), ttlMs, { name: "products" });
    this.tagsMemo = new Memo(async () => new Map((await listTags(graph.session())).map((t) => [t.id, t])), ttlMs, { name: "tags" });
    this.relationsMemo = new Memo(async () => {
      const rows = await productRelations(graph.session());
      return {
        kind: new Map(rows.map((r) => [r.id, r.kind])),
        requires: new Map(rows.map((r) => [r.id, r.requires])),
        excludes: new Map(rows.map((r) => [r.id, new Set(r.excludes)])),
        upgradesTo: new Map(rows.map((r) => [r.id, r.upgradesTo])),
      };
    }, ttlMs, { name: "product_relations" });
  }

  channels(): Promise<Map<ChannelCode, ChannelRecord>> {
    return this.channelsMemo.get();
  }

  regions(): Promise<Map<string, RegionRecord>> {
    return this.regionsMemo.get();
  }

  /** Products by id, in catalogue order (kind, then fee). */
  products(): Promise<Map<string, ProductRecord>> {
    return this.productsMemo.get();
  }

  /** Every tag by id, whatever its status. */
  tags(): Promise<Map<string, TagRecord>> {
    return this.tagsMemo.get();
  }

  /** The product relations eligibility is computed from (kind, REQUIRES, EXCLUDES, UPGRADES_TO). */
  relations(): Promise<ProductRelations> {
    return this.relationsMemo.get();
  }

  /** Forgets everything; the next request reads it again. */
  invalidate(): void {
    for (const memo of [this.channelsMemo, this.regionsMemo, this.productsMemo, this.tagsMemo, this.relationsMemo]) memo.invalidate();
  }
}
