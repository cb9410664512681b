import type { Graph } from "../platform/neo4j";
import { listChannels, listProducts, listRegions, listTags } from "../graph/catalogue";
import type { ChannelCode } from "../domain/vocabulary";
import type { ChannelRecord, ProductRecord, RegionRecord, TagRecord } from "../graph/records";

/**
 * Reference data every request needs and that changes rarely (the seven channels, the province's
 * regions, the product catalogue, the tag library): read once per process and refreshed after
 * `ttlMs`, so the unified view spends no round trip and no payload on it. A failed load is not
 * remembered, so the next call retries. Changes made through the gateway later (tag publishing)
 * should call `invalidate()` on every replica.
 */
export class ReferenceData {
  private channelsMemo: Memo<Map<ChannelCode, ChannelRecord>> | undefined;
  private regionsMemo: Memo<Map<string, RegionRecord>> | undefined;
  private productsMemo: Memo<Map<string, ProductRecord>> | undefined;
  private tagsMemo: Memo<Map<string, TagRecord>> | undefined;

  constructor(
    private readonly graph: Graph,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  channels(): Promise<Map<ChannelCode, ChannelRecord>> {
    this.channelsMemo = this.fresh(this.channelsMemo, async () => {
      const list = await listChannels(this.graph.session());
      return new Map(list.map((c) => [c.code, c]));
    });
    return this.channelsMemo.value;
  }

  regions(): Promise<Map<string, RegionRecord>> {
    this.regionsMemo = this.fresh(this.regionsMemo, async () => {
      const list = await listRegions(this.graph.session());
      return new Map(list.map((r) => [r.id, r]));
    });
    return this.regionsMemo.value;
  }

  /** Products by id, in catalogue order (kind, then fee). */
  products(): Promise<Map<string, ProductRecord>> {
    this.productsMemo = this.fresh(this.productsMemo, async () => {
      const list = await listProducts(this.graph.session());
      return new Map(list.map((p) => [p.id, p]));
    });
    return this.productsMemo.value;
  }

  /** Every tag by id, whatever its status. */
  tags(): Promise<Map<string, TagRecord>> {
    this.tagsMemo = this.fresh(this.tagsMemo, async () => {
      const list = await listTags(this.graph.session());
      return new Map(list.map((t) => [t.id, t]));
    });
    return this.tagsMemo.value;
  }

  /** Forgets everything; the next request reads it again. */
  invalidate(): void {
    this.channelsMemo = this.regionsMemo = this.productsMemo = this.tagsMemo = undefined;
  }

  private fresh<T>(memo: Memo<T> | undefined, load: () => Promise<T>): Memo<T> {
    if (memo && Date.now() < memo.expires) return memo;
    const next: Memo<T> = { expires: Date.now() + this.ttlMs, value: load() };
    next.value.catch(() => {
      next.expires = 0;
    });
    return next;
  }
}

interface Memo<T> {
  expires: number;
  value: Promise<T>;
}
