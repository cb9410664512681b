import type { Redis } from "ioredis";
import type { StoryHold } from "../domain/campaigns";
import { keys } from "../platform/keys";
import { getMany, redisCall } from "../platform/redis";
import { defineScripts } from "../platform/scripts";

/**
 * One story across channels (推荐策略唯一性, issue 12 point 5): while a customer is in a running
 * campaign's wave, the campaigns service keeps a {@link StoryHold} in Redis under
 * `keys.campaigns.story(customerId)` with a PX TTL (the wave's response window). Every channel that
 * asks for offers puts the held offer first while it is still eligible there; the customer's answer
 * to the held decision, or to any decision of that offer or campaign, releases the hold.
 *
 * This module is the decisioning side: reading holds (one MGET for a batch of customers) and
 * releasing them. The campaigns service writes them.
 */
export class StoryHolds {
  constructor(private readonly redis: Redis) {
    defineScripts(redis, [{ name: "storyRelease", files: ["src/decisioning/scripts/story-release.lua"], numberOfKeys: 1 }]);
  }

  /**
   * The holds of `customerIds`, in order (null: none, expired or unreadable), in one round trip.
   * A hold whose `until` has passed counts as none even if Redis has not expired it yet.
   */
  async read(customerIds: readonly string[], at: Date = new Date()): Promise<Array<StoryHold | null>> {
    if (customerIds.length === 0) return [];
    const values = await redisCall(getMany(this.redis, customerIds.map((id) => keys.campaigns.story(id))));
    return values.map((v) => parseHold(v, at));
  }

  /**
   * Releases the customer's hold when `answered` closes it (the held decision, or a decision of the
   * held offer or campaign); true when one was released. Atomic compare-and-delete: a hold a later
   * wave wrote for another offer is kept.
   */
  async release(customerId: string, answered: { decisionId: string; offerId: string; campaignId?: string | null }): Promise<boolean> {
    const released = await redisCall(
      (this.redis as unknown as { storyRelease(key: string, ...args: string[]): Promise<number> }).storyRelease(
        keys.campaigns.story(customerId),
        answered.decisionId,
        answered.offerId,
        answered.campaignId ?? "",
      ),
    );
    return released === 1;
  }
}

/** A stored hold, or null when absent, malformed (not the contract's shape) or lapsed at `at`. */
export function parseHold(value: string | null | undefined, at: Date): StoryHold | null {
  if (!value) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const h = raw as Record<string, unknown>;
  const fields = ["campaignId", "waveId", "strategyId", "offerId", "decisionId", "until"] as const;
  if (!fields.every((f) => typeof h[f] === "string")) return null;
  const hold = h as unknown as StoryHold;
  const until = Date.parse(hold.until);
  if (!Number.isFinite(until) || until <= at.getTime()) return null;
  return hold;
}
