import type { Redis } from "ioredis";
import { keys } from "./keys";

export type InvalidationTopic = "reference" | "marketing";

/**
 * Tells every replica to drop a cache when this one changed what it holds (a strategy edited, a
 * tag published). Redis pub/sub on one channel; a replica that misses a message (Redis down at
 * that moment) still refreshes when its cache's TTL runs out.
 */
export class InvalidationBus {
  private readonly subscriber: Redis;
  private readonly channel: string;
  private readonly handlers = new Map<InvalidationTopic, Array<() => void>>();

  constructor(private readonly redis: Redis) {
    // Pub/sub channels are not keys, so the client's key prefix is not applied: add it here so deployments sharing a Redis stay apart.
    this.channel = `${redis.options.keyPrefix ?? ""}${keys.invalidation()}`;
    this.subscriber = redis.duplicate({ enableOfflineQueue: true });
    this.subscriber.on("error", () => undefined);
    this.subscriber.on("message", (_channel: string, topic: string) => {
      for (const handler of this.handlers.get(topic as InvalidationTopic) ?? []) handler();
    });
    this.subscriber.subscribe(this.channel).catch(() => undefined);
  }

  on(topic: InvalidationTopic, handler: () => void): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  /** Drops the cache here at once and on every other replica within a Redis round trip. */
  async publish(topic: InvalidationTopic): Promise<void> {
    for (const handler of this.handlers.get(topic) ?? []) handler();
    await this.redis.publish(this.channel, topic);
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
