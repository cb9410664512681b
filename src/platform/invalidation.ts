import { keys } from "./keys";
import type { PubSub } from "./pubsub";

export type InvalidationTopic = "reference" | "marketing";

/**
 * Tells every replica to drop a cache when this one changed what it holds (a strategy edited, a
 * tag published). Redis pub/sub on one channel, through the process's pub/sub connection; a
 * replica that misses a message (Redis down at that moment) still refreshes when its cache's TTL
 * runs out.
 */
export class InvalidationBus {
  private readonly handlers = new Map<InvalidationTopic, Array<() => void>>();

  constructor(private readonly pubsub: PubSub) {
    // Not awaited: until Redis confirms (or while it is down) the caches' TTLs bound staleness; the pub/sub owner subscribes again when Redis is back.
    pubsub.subscribe(keys.invalidation(), (topic) => this.drop(topic as InvalidationTopic)).catch(() => undefined);
  }

  on(topic: InvalidationTopic, handler: () => void): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  /** Drops the cache here at once and on every other replica within a Redis round trip. */
  async publish(topic: InvalidationTopic): Promise<void> {
    this.drop(topic);
    await this.pubsub.publish(keys.invalidation(), topic);
  }

  private drop(topic: InvalidationTopic): void {
    for (const handler of this.handlers.get(topic) ?? []) handler();
  }
}
