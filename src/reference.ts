import type { Graph } from "./graph/db";
import { listChannels, listRegions } from "./graph/catalogue";
import type { ChannelCode } from "./graph/model";
import type { ChannelRecord, RegionRecord } from "./graph/records";

/**
 * Reference data every request needs and that almost never changes (the seven channels, the
 * province's regions): read once per process and refreshed after `ttlMs`, so the unified view
 * spends no round trip on it. A failed load is not remembered, so the next call retries.
 */
export class ReferenceData {
  private channelsMemo: Memo<Map<ChannelCode, ChannelRecord>> | undefined;
  private regionsMemo: Memo<Map<string, RegionRecord>> | undefined;

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
