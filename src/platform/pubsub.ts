import { Redis, type Cluster } from "ioredis";
import { ServiceUnavailableError } from "./errors";
import type { Logger } from "./logger";
import { isCluster, redisCall } from "./redis";

/**
 * The process's one Redis pub/sub connection. A connection in subscriber mode can do nothing
 * else, so it is a second connection beside the command client; every module that listens on a
 * channel (cache invalidation, the push fan-out) registers a handler here instead of opening its
 * own.
 *
 * What listeners can rely on:
 * - `subscribe` resolves once Redis confirmed the SUBSCRIBE on the current connection: a message
 *   published after that reaches the handler. While the connection is down it fails fast with
 *   SERVICE_UNAVAILABLE rather than wait for Redis.
 * - A connection that drops loses every message published until it is back. `onLost` listeners
 *   hear of it when it drops (the push hub tells its subscribers to reconnect and replay); on
 *   reconnecting, every channel with handlers is subscribed again, whether or not anybody asks,
 *   so a channel first asked for during an outage is listened to once Redis is back.
 * - Channel names carry the client's key prefix (pub/sub channels are not keys, so the client
 *   does not add it): deployments sharing one Redis stay apart.
 *
 * Under Redis Cluster the channels are classic (SUBSCRIBE/PUBLISH), not sharded: a cluster
 * forwards every PUBLISH over its bus to every node, primaries and replicas alike, so one
 * connection to any node hears every channel, and a script may PUBLISH from whichever shard
 * runs it. Sharded pub/sub (SPUBLISH) would pin each channel to the shard of its slot: the
 * gateway's channels are few and every replica listens to all of them, so it would save nothing
 * and add a connection per shard. The connection goes to one node (not through ioredis's Cluster
 * subscriber, which moves to another node silently when its node dies, so nobody would learn that
 * messages were lost); when that node goes away, `onLost` listeners hear of it as of any drop,
 * and the connection moves to another node of the cluster and subscribes everything again. They
 * hear of it too when any primary goes away (see the constructor): what it was publishing may be lost.
 */
export class PubSub {
  /** Null under Cluster until the cluster client first knows its nodes. */
  private connection: Redis | null = null;
  /** Under Cluster, resolves once the first node connection exists (or the pub/sub was closed). */
  private firstNode: Promise<void> = Promise.resolve();
  /** Handlers by channel as sent to Redis (prefixed). */
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  /** Per channel, the SUBSCRIBE sent on the current connection (pending or confirmed); cleared when it drops. */
  private readonly subscribed = new Map<string, Promise<void>>();
  private readonly lostListeners = new Set<() => void>();
  /** Whether the connection reached "ready" since it last dropped: only then is something lost when it drops. */
  private wasReady = false;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {
    // The offline queue lets a SUBSCRIBE asked for while the first connection is still being made
    // wait for it; later outages fail fast (see `confirm`). Resubscribing is ours, not ioredis's:
    // it only resubscribes channels it saw confirmed, and we must know when each is confirmed again.
    if (!isCluster(redis)) {
      this.connection = this.attach(redis.duplicate({ enableOfflineQueue: true, autoResubscribe: false }));
    } else {
      this.firstNode = this.moveToNode();
      // A primary sends a PUBLISH to the other nodes over the cluster bus after it has answered and
      // replicated the command (a script's XADD and its PUBLISH alike). Killed in between, it
      // takes the message with it while its replica, promoted, holds the push as sent: no node
      // hears it again. So a primary leaving the client's pool (its connection ended: dead, or
      // no longer a primary) is a possible loss for every listener, as a dropped connection is.
      (redis as unknown as Cluster).on("-node", (node: Redis, key: string) => {
        if (this.closed || node.options.readOnly) return;
        this.log.warn({ node: key }, "a Redis primary left the cluster client; messages it was publishing may be lost");
        this.lost();
      });
    }
  }

  private lost(): void {
    for (const listener of this.lostListeners) listener();
  }

  private attach(connection: Redis): Redis {
    // The command client reports the same outage; one warning per failed reconnect is enough.
    connection.on("error", () => undefined);
    connection.on("message", (channel: string, message: string) => this.deliver(channel, message));
    connection.on("ready", () => {
      this.wasReady = true;
      for (const channel of this.handlers.keys()) this.confirm(channel).catch(() => undefined);
    });
    connection.on("close", () => {
      if (connection !== this.connection) return;
      this.subscribed.clear();
      if (!this.wasReady) return;
      this.wasReady = false;
      this.lost();
    });
    return connection;
  }

  /** Which node is tried next, from a random start so replicas spread over the nodes; turns on, so the next connection goes to another one (the one just lost may be dead for good). */
  private nodeTurn = Math.floor(Math.random() * 1_000);
  private closed = false;

  /**
   * Under Cluster, connects to a node of the cluster (once the cluster client is ready, so it knows
   * the cluster's nodes), and again to another node whenever that connection ends, after a short
   * pause so a cluster that is down altogether is not hammered.
   */
  private async moveToNode(): Promise<void> {
    const cluster = this.redis as unknown as Cluster;
    for (;;) {
      if (cluster.status !== "ready") await new Promise((resolve) => cluster.once("ready", resolve));
      if (this.closed) return;
      const node = await this.pickNode();
      if (this.closed) return;
      if (node) {
        this.connection = this.attach(this.nodeConnection(node));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }

  /**
   * The node to listen on next: a replica (the cluster's CLUSTER SLOTS names them; the client,
   * reading from primaries only, does not connect to them), else a primary the client knows. With
   * reads on the primaries, replicas have little else to do, and delivering every message to every
   * gateway replica is work. Taken in turn from a random start, so gateway replicas spread and a
   * connection that ended goes elsewhere (its node may be dead for good).
   */
  private async pickNode(): Promise<{ host: string; port: number } | null> {
    const cluster = this.redis as unknown as Cluster;
    let replicas: Array<{ host: string; port: number }> = [];
    try {
      const slots = await cluster.cluster("SLOTS");
      const seen = new Set<string>();
      replicas = slots.flatMap(([, , , ...copies]) => copies.map(([host, port]) => ({ host, port: Number(port) }))).filter((n) => !seen.has(`${n.host}:${n.port}`) && Boolean(seen.add(`${n.host}:${n.port}`)));
    } catch {
      // The cluster did not answer: the primaries the client knows.
    }
    const candidates = replicas.length > 0 ? replicas : cluster.nodes("master").map((n) => ({ host: n.options.host ?? "127.0.0.1", port: n.options.port ?? 6379 }));
    return candidates[this.nodeTurn++ % candidates.length] ?? null;
  }

  /** A connection to `node` that does not reconnect by itself: when it ends, the next goes to another node. */
  private nodeConnection(node: { host: string; port: number }): Redis {
    const cluster = this.redis as unknown as Cluster;
    const connection = new Redis({
      ...cluster.options.redisOptions,
      host: node.host,
      port: node.port,
      keyPrefix: "",
      enableOfflineQueue: true,
      autoResubscribe: false,
      retryStrategy: () => null,
    });
    connection.once("end", () => {
      if (this.closed || connection !== this.connection) return;
      setTimeout(() => void this.moveToNode(), 200).unref();
    });
    return connection;
  }

  /** A channel's name as sent to Redis (for a script that PUBLISHes itself). */
  channel(name: string): string {
    return `${this.redis.options.keyPrefix ?? ""}${name}`;
  }

  /**
   * Calls `onMessage` with every message on channel `name` from now on, and resolves once Redis
   * confirmed the subscription (again, after a dropped connection). Calling it again with the same
   * handler adds nothing; it only waits for the confirmation. Fails fast with SERVICE_UNAVAILABLE
   * while the connection is down (the handler stays registered, and is subscribed once it is back).
   */
  subscribe(name: string, onMessage: (message: string) => void): Promise<void> {
    const channel = this.channel(name);
    const handlers = this.handlers.get(channel) ?? new Set();
    this.handlers.set(channel, handlers.add(onMessage));
    return this.confirm(channel);
  }

  /** Calls `listener` each time messages may have been lost: the connection dropped after it was up (those published until it is back are), or under Cluster a primary went away. */
  onLost(listener: () => void): void {
    this.lostListeners.add(listener);
  }

  /** Publishes `message` on channel `name` (through the command client: a subscriber connection cannot publish). */
  async publish(name: string, message: string): Promise<void> {
    await redisCall(this.redis.publish(this.channel(name), message));
  }

  /** The node the connection is to (`host:port`), or null before the first one: for logs and tests. */
  get endpoint(): string | null {
    return this.connection ? `${this.connection.options.host}:${this.connection.options.port}` : null;
  }

  /** Closes the connection; `onLost` listeners hear of it as of any drop. */
  close(): void {
    this.closed = true;
    this.connection?.disconnect();
  }

  private confirm(channel: string): Promise<void> {
    const sent = this.subscribed.get(channel);
    if (sent) return sent;
    if (!this.connection) {
      if (this.closed) return Promise.reject(new ServiceUnavailableError("redis", "the pub/sub connection is closed"));
      return this.firstNode.then(() => this.confirm(channel));
    }
    const status = this.connection.status;
    if (status === "reconnecting" || status === "close" || status === "end") {
      return Promise.reject(new ServiceUnavailableError("redis", status === "end" && this.closed ? "the pub/sub connection is closed" : "the pub/sub connection is reconnecting"));
    }
    const subscribing: Promise<void> = redisCall(this.connection.subscribe(channel)).then(
      () => undefined,
      (error: unknown) => {
        if (this.subscribed.get(channel) === subscribing) this.subscribed.delete(channel);
        throw error;
      },
    );
    this.subscribed.set(channel, subscribing);
    return subscribing;
  }

  private deliver(channel: string, message: string): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (error) {
        // One listener's bug must neither starve the others nor reach ioredis's reply parser.
        this.log.error({ channel, err: error instanceof Error ? error.message : String(error) }, "pub/sub handler failed");
      }
    }
  }
}
