import type { Redis } from "ioredis";
import { inRegions } from "../auth/regions";
import type { ChannelCode } from "../domain/vocabulary";
import type { Logger } from "../platform/logger";
import type { PubSub } from "../platform/pubsub";
import { CLOSE_SERVICE_RESTART, CLOSE_SLOW_CONSUMER } from "../platform/close-codes";
import { redisCall } from "../platform/redis";
import { keys } from "../platform/keys";
import { pushOverflows, pushesDelivered } from "../platform/metrics";
import { decodePush, type Push } from "./push";
import { Subscriber } from "./subscriber";

/**
 * What a subscription receives; filtering happens here, on the server, before anything is
 * rendered. A feed's `regions` are those its principal may see: a push of a customer outside them
 * is dropped for that subscriber, live and in replay alike (null: every region).
 */
export type Route =
  | { kind: "customer"; customerId: string; channel: ChannelCode | null }
  | { kind: "agent"; agentId: string }
  | { kind: "feed"; channel: ChannelCode | null; regionId: string | null; regions: readonly string[] | null };

/** Entries read per XRANGE page while replaying. */
const REPLAY_PAGE = 500;

/**
 * This replica's end of the push fan-out. Every push is published once on one Redis channel; each
 * replica receives all of them and routes each to its own subscribers through in-memory indexes
 * (customer → subscribers, agent → subscribers, feed subscribers with their filters). One channel
 * means one SUBSCRIBE per replica, confirmed before the first client is served, so a replay that
 * starts after it cannot miss a push; per-customer channels would need a confirmed SUBSCRIBE per
 * client before its replay.
 */
export class PushHub {
  private readonly byCustomer = new Map<string, Set<Registration>>();
  private readonly byAgent = new Map<string, Set<Registration>>();
  private readonly feed = new Set<Registration>();
  private readonly onPush = (message: string): void => this.route(message);
  /** Subscribers cut off for reading too slowly. */
  readonly stats = { overflows: 0 };

  constructor(
    private readonly pubsub: PubSub,
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly capacity: number,
  ) {
    // Pushes published while the channel is down never reach this replica: its subscribers are told to
    // reconnect with `since`, and catch up from the replay streams, rather than silently miss them.
    pubsub.onLost(() => this.dropAll(CLOSE_SERVICE_RESTART, "push feed interrupted; reconnect with since=<last cursor>"));
  }

  /** Subscribes to the push channel; resolves once Redis confirmed it. While the channel is down, fails fast (and is tried again on the next call). */
  start(): Promise<void> {
    return this.pubsub.subscribe(keys.push.channel(), this.onPush);
  }

  /** Open subscriptions on this replica. */
  get size(): number {
    let n = this.feed.size;
    for (const set of this.byCustomer.values()) n += set.size;
    for (const set of this.byAgent.values()) n += set.size;
    return n;
  }

  /**
   * A live subscription: first the pushes after `since` from the route's replay stream, then live
   * ones, in cursor order without repeats. It is registered before its replay is read, so nothing
   * published meanwhile is missed. `drop(code, reason)` closes the client's socket: when it reads
   * too slowly (4413), or when this replica's push channel broke (1012).
   */
  async subscribe(route: Route, since: string | null, drop: (code: number, reason: string) => void): Promise<Subscriber> {
    await this.start();
    const index = this.indexOf(route);
    let registration: Registration | null = null;
    const subscriber = new Subscriber(
      this.capacity,
      (buffered) => {
        this.stats.overflows += 1;
        pushOverflows.inc();
        this.log.warn({ route, buffered }, "subscriber too slow; closing its socket");
        drop(CLOSE_SLOW_CONSUMER, `too slow: ${buffered} pushes waiting; reconnect with since=<last cursor>`);
      },
      () => registration && index.remove(registration),
      since,
      since === null ? null : this.replay(route, since),
    );
    registration = { route, subscriber, drop };
    index.add(registration);
    return subscriber;
  }

  /** Ends every subscription on this replica and closes their sockets with `code`. */
  private dropAll(code: number, reason: string): void {
    const all = [...this.feed, ...[...this.byCustomer.values(), ...this.byAgent.values()].flatMap((set) => [...set])];
    if (all.length > 0) this.log.warn({ subscriptions: all.length, code }, "push channel lost; closing subscribers' sockets so they reconnect with since");
    for (const r of all) {
      r.subscriber.cancel();
      r.drop(code, reason);
    }
  }

  private async *replay(route: Route, since: string): AsyncGenerator<Push> {
    const stream = route.kind === "customer" ? keys.push.customer(route.customerId) : route.kind === "agent" ? keys.push.agent(route.agentId) : keys.push.all();
    let from = since;
    for (;;) {
      const page = await redisCall(this.redis.xrange(stream, `(${from}`, "+", "COUNT", REPLAY_PAGE));
      for (const [cursor, fields] of page) {
        const json = fields[1];
        if (json === undefined) continue;
        const push = decodePush(cursor, json);
        if (matches(route, push)) yield push;
        from = cursor;
      }
      if (page.length < REPLAY_PAGE) return;
    }
  }

  private route(message: string): void {
    const bar = message.indexOf("|");
    let push: Push;
    try {
      push = decodePush(message.slice(0, bar), message.slice(bar + 1));
    } catch (error) {
      this.log.error({ err: error instanceof Error ? error.message : String(error) }, "undecodable push on the push channel");
      return;
    }
    const targets = push.kind === "desk" ? this.byAgent.get(push.agentId) : this.byCustomer.get(push.customerId);
    for (const r of targets ?? []) this.deliver(r, push);
    if (push.kind === "offer") for (const r of this.feed) this.deliver(r, push);
  }

  private deliver(r: Registration, push: Push): void {
    if (!matches(r.route, push)) return;
    DELIVERED[push.kind].inc();
    r.subscriber.offer(push);
  }

  private indexOf(route: Route): { add(r: Registration): void; remove(r: Registration): void } {
    if (route.kind === "feed") return { add: (r) => this.feed.add(r), remove: (r) => this.feed.delete(r) };
    const [map, id] = route.kind === "customer" ? [this.byCustomer, route.customerId] : [this.byAgent, route.agentId];
    return {
      add: (r) => map.set(id, (map.get(id) ?? new Set()).add(r)),
      remove: (r) => {
        const set = map.get(id);
        set?.delete(r);
        if (set?.size === 0) map.delete(id);
      },
    };
  }
}

interface Registration {
  route: Route;
  subscriber: Subscriber;
  drop: (code: number, reason: string) => void;
}

/** Whether a push belongs to a route (the index already matched the customer or agent). */
function matches(route: Route, push: Push): boolean {
  switch (route.kind) {
    case "agent":
      return push.kind === "desk" && push.agentId === route.agentId;
    case "customer":
      return push.kind === "offer" && push.customerId === route.customerId && (route.channel === null || push.channel === route.channel);
    case "feed":
      // Regions nest by id: a district ("R330106") starts with its city's id ("R3301").
      return (
        push.kind === "offer" &&
        (route.channel === null || push.channel === route.channel) &&
        (route.regionId === null || push.regionId.startsWith(route.regionId)) &&
        (route.regions === null || inRegions(push.regionId, route.regions))
      );
  }
}

/** Pushes delivered, by kind: the counter's children bound once (this runs per push per subscriber). */
const DELIVERED: Record<Push["kind"], ReturnType<typeof pushesDelivered.labels>> = { offer: pushesDelivered.labels("offer"), desk: pushesDelivered.labels("desk") };
