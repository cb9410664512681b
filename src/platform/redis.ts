import { Cluster, Redis, type ChainableCommander, type ClusterOptions, type RedisOptions } from "ioredis";
import { GatewayError, ServiceUnavailableError } from "./errors";

/** The scheme of a Redis Cluster URL: `redis+cluster://host:port,host:port/` (see ./config.ts REDIS_CLUSTER_NODES). */
export const CLUSTER_SCHEME = "redis+cluster:";

/** How a Redis Cluster URL names its seed nodes and credentials. */
export interface ClusterSeeds {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
}

/**
 * The seed nodes of a `redis+cluster://[user:password@]host:port,host:port[/]` URL, or null when
 * `url` is a single server's. Throws an error naming the bad part when the URL is malformed.
 */
export function clusterSeeds(url: string): ClusterSeeds | null {
  if (!url.startsWith(`${CLUSTER_SCHEME}//`)) return null;
  const rest = url.slice(CLUSTER_SCHEME.length + 2).replace(/\/+$/, "");
  const at = rest.lastIndexOf("@");
  const credentials = at >= 0 ? rest.slice(0, at) : "";
  const list = at >= 0 ? rest.slice(at + 1) : rest;
  const nodes = list.split(",").map((hostPort) => {
    const m = /^(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(hostPort.trim());
    if (!m) throw new Error(`Redis Cluster node "${hostPort}" in ${url.replace(/\/\/[^@/]*@/, "//…@")} is not host:port; give nodes as redis+cluster://host1:6379,host2:6379.`);
    return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  });
  const [username, password] = credentials.includes(":") ? [credentials.slice(0, credentials.indexOf(":")), credentials.slice(credentials.indexOf(":") + 1)] : ["", credentials];
  return { nodes, ...(username ? { username: decodeURIComponent(username) } : {}), ...(password ? { password: decodeURIComponent(password) } : {}) };
}

/** Whether `redis` is a Redis Cluster client (ioredis's `Cluster`, typed as `Redis` across the gateway: see {@link createRedis}). */
export function isCluster(redis: Redis): boolean {
  return (redis as Redis | Cluster).isCluster;
}

/** Under Cluster: how many replicas a durable write waits for, and how long at most (REDIS_CLUSTER_WAIT_REPLICAS, REDIS_CLUSTER_WAIT_MS). */
export interface ClusterDurability {
  replicas: number;
  timeoutMs: number;
}

/** One replica, half a second: a failover then loses no acknowledged event or decision, and a replica that lags costs at most that. */
export const DEFAULT_CLUSTER_DURABILITY: ClusterDurability = { replicas: 1, timeoutMs: 500 };

/**
 * The gateway's Redis connection. Commands fail at once while Redis is down (no offline queue)
 * so requests get SERVICE_UNAVAILABLE instead of hanging; the client keeps reconnecting in the
 * background and recovers by itself. All keys carry `keyPrefix` (see ./keys.ts for the scheme).
 *
 * A `redis+cluster://` URL gives ioredis's Cluster client instead. It is typed as `Redis`: both
 * are ioredis Commanders with the same commands and scripts, and every service takes the client
 * it is given; what differs (duplicating a connection, pub/sub, pipelines spanning nodes, waiting
 * for replicas) goes through the functions of this module and ./pubsub.ts, which ask
 * {@link isCluster}. Under Cluster a pipeline may name keys of any slot (see
 * {@link spreadPipelines}); a MULTI or a script must keep its keys in one slot (./keys.ts).
 */
export function createRedis(url: string, keyPrefix: string, durability: ClusterDurability = DEFAULT_CLUSTER_DURABILITY): Redis {
  const seeds = clusterSeeds(url);
  if (!seeds) {
    return new Redis(url, {
      keyPrefix,
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
  }
  const cluster = new Cluster(seeds.nodes, {
    keyPrefix,
    lazyConnect: false,
    // As for one server: fail fast while the cluster is unreachable. Commands to a node that is
    // failing over are held by ioredis (retryDelayOnFailover, maxRedirections) and retried once the
    // slots moved, so a failover shows as a short wait, then CLUSTERDOWN/timeout errors if it lasts.
    enableOfflineQueue: false,
    scaleReads: "master",
    maxRedirections: 16,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2_000,
    // No auto-pipelining: it builds its batches with client.pipeline(), which spreadPipelines
    // replaces. Commands written one after another without awaiting replies share the round trip anyway.
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    redisOptions: {
      connectTimeout: 2_000,
      maxRetriesPerRequest: 1,
      ...(seeds.username ? { username: seeds.username } : {}),
      ...(seeds.password ? { password: seeds.password } : {}),
    },
  });
  durabilities.set(cluster, durability);
  return spreadPipelines(cluster) as unknown as Redis;
}

const durabilities = new WeakMap<Cluster, ClusterDurability>();

/**
 * Options a duplicate connection differs by. Under Cluster, the connection-level ones go to every
 * node's connection and the client-level ones to the cluster client; keyPrefix only to the latter,
 * or node connections would prefix keys a second time.
 */
export type DuplicateOptions = Pick<RedisOptions, "keyPrefix" | "enableOfflineQueue" | "maxRetriesPerRequest" | "lazyConnect" | "autoResubscribe" | "connectionName">;

/** A new connection like `redis` (same server or cluster, timeouts, retries), differing by `overrides`. */
export function duplicateRedis(redis: Redis, overrides: DuplicateOptions): Redis {
  if (!isCluster(redis)) return redis.duplicate(overrides);
  const cluster = redis as unknown as Cluster;
  const { keyPrefix, enableOfflineQueue, lazyConnect, maxRetriesPerRequest, ...node } = overrides;
  const options: ClusterOptions = {
    ...(keyPrefix !== undefined ? { keyPrefix } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    redisOptions: { ...cluster.options.redisOptions, ...node, ...(maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest } : {}) },
  };
  const copy = cluster.duplicate([], options);
  durabilities.set(copy, durabilities.get(cluster) ?? DEFAULT_CLUSTER_DURABILITY);
  return spreadPipelines(copy) as unknown as Redis;
}

/**
 * Lets a Cluster client's `pipeline()` name keys of any slot. ioredis sends a Cluster pipeline to
 * one node and refuses one whose keys live on several ("All keys in the pipeline should belong to
 * the same slots allocation group"); the gateway's pipelines batch unrelated customers (profiles,
 * contact policies, story holds), which a cluster spreads over every node by design. So `exec`
 * first tries ioredis's own pipeline (one node: the realtime batches and the segment builds, whose
 * keys share a tag, stay one pipeline); when ioredis refuses it, before sending anything, each
 * command is sent on its own, at once, without awaiting the others: they share the round trip (in
 * order per node connection), and `exec` answers `[error, reply]` per command as a pipeline does.
 * A pipeline is not a transaction, so nothing is lost by the split. MULTI stays native (one slot,
 * or CROSSSLOT).
 */
function spreadPipelines(cluster: Cluster): Cluster {
  const native = cluster.pipeline.bind(cluster);
  nativePipelines.set(cluster, native);
  const client = cluster as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  cluster.pipeline = ((commands?: unknown[][]) => {
    const queued: Array<[string, unknown[]]> = (commands ?? []).map(([name, ...args]) => [String(name), args]);
    const pipeline: ChainableCommander = new Proxy({} as ChainableCommander, {
      get(_, property) {
        if (property === "length") return queued.length;
        if (property === "exec") {
          return async () => {
            const sent = queued.splice(0);
            const one = native(sent.map(([name, args]) => [name, ...args]));
            try {
              return await one.exec();
            } catch (error) {
              if (!(error instanceof Error) || !/should belong to the same slot/.test(error.message)) throw error;
            }
            return Promise.all(
              sent.map(([name, args]) =>
                client[name]!(...args).then(
                  (reply) => [null, reply],
                  (error: unknown) => [error instanceof Error ? error : new Error(String(error)), null],
                ),
              ),
            );
          };
        }
        if (typeof property !== "string" || typeof client[property] !== "function") return undefined;
        return (...args: unknown[]) => {
          queued.push([property, args]);
          return pipeline;
        };
      },
    });
    return pipeline;
  }) as Cluster["pipeline"];
  return cluster;
}

/** A Cluster client's own pipeline (one node, routed by its first key), kept for {@link waitForReplicas}. */
const nativePipelines = new WeakMap<Cluster, Cluster["pipeline"]>();

/**
 * Under Cluster, waits until replicas of the primary holding `key`'s slot have every write this
 * client sent it so far (WAIT, as many replicas and at most as long as the client's
 * {@link ClusterDurability} says), and answers how many did. Redis
 * replicates asynchronously: a write a primary acknowledged and then died with is lost when its
 * replica is promoted, so a write the gateway acknowledges as durable (an event accepted, a
 * decision queued) waits for a replica first. The WAIT rides a pipeline that ioredis routes by
 * `key` (the native one: its first keyed command decides the node), so it reaches that primary on
 * the very connection the write went through, one more round trip. One server (no replicas to
 * wait for) answers 0 at once, without a round trip. A replica short of the count is not an
 * error: the write is on the primary, as it would be without WAIT; the count is for the caller to log.
 */
export async function waitForReplicas(redis: Redis, key: string): Promise<number> {
  if (!isCluster(redis)) return 0;
  const cluster = redis as unknown as Cluster;
  const { replicas, timeoutMs } = durabilities.get(cluster) ?? DEFAULT_CLUSTER_DURABILITY;
  const native = nativePipelines.get(cluster);
  if (!native || replicas === 0) return 0;
  const replies = (await redisCall(native().exists(key).wait(replicas, timeoutMs).exec())) ?? [];
  const [, [error, confirmed] = [null, 0]] = replies;
  if (error) throw error;
  return Number(confirmed);
}

/** Resolves when Redis answers PING within `timeoutMs`; throws ServiceUnavailableError otherwise. */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new ServiceUnavailableError("redis", `it did not answer PING within ${timeoutMs} ms`, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `command`'s reply, or null once `stop` is aborted, whichever comes first. For loops that block on
 * a connection of their own (XREADGROUP BLOCK) and are stopped by disconnecting it: ioredis's
 * `disconnect()` while that connection waits to reconnect (status "reconnecting": Redis went away,
 * and may be back) only clears the reconnect timer, so the command waiting in its offline queue
 * never settles, and a loop awaiting it could never stop (nor the gateway that owns it).
 */
export function unlessStopped<T>(command: Promise<T>, stop: AbortSignal): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    const stopped = (): void => resolve(null);
    if (stop.aborted) stopped();
    else stop.addEventListener("abort", stopped, { once: true });
    command.then(
      (reply) => {
        stop.removeEventListener("abort", stopped);
        resolve(reply);
      },
      (error: unknown) => {
        stop.removeEventListener("abort", stopped);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Whether `error` is Redis's own reply to a command (a script's error, a wrong type: a bug to
 * report as is) rather than an outage. Under Cluster some replies are outages: the cluster is
 * down or failing over (CLUSTERDOWN, TRYAGAIN, MASTERDOWN), a node is loading or is a replica
 * that was a primary a moment ago (LOADING, READONLY), or slots moved more often than ioredis
 * follows (MOVED, ASK).
 */
export function isReplyBug(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== "ReplyError") return false;
  return !/^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING|READONLY|MOVED|ASK)\b/.test(error.message);
}

/**
 * Awaits a Redis command, turning a connection failure (Redis down, the offline queue refused)
 * into SERVICE_UNAVAILABLE. Redis's own replies (a script error) stay what they are: bugs, not outages.
 */
export async function redisCall<T>(command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    if (error instanceof GatewayError || isReplyBug(error)) throw error;
    throw new ServiceUnavailableError("redis", "it cannot be reached or did not answer in time", error instanceof Error ? error.message : String(error));
  }
}

/**
 * Releases the lease `key` only if `owner` still holds it, in one step: a lease that expired may be
 * another replica's by now, and a GET then DEL could delete theirs. Best effort (the lease's TTL
 * ends it anyway): a failure is swallowed.
 */
export async function releaseLease(redis: Redis, key: string, owner: string): Promise<void> {
  await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, owner).catch(() => undefined);
}

/**
 * MGET of `names` (keys without the client's prefix), in order. Under Cluster the keys of several
 * customers live on several nodes and one MGET would be refused (CROSSSLOT): each key is then read
 * with its own GET, all sent at once (one round trip's wait). One server keeps its one MGET.
 */
export function getMany(redis: Redis, names: readonly string[]): Promise<Array<string | null>> {
  if (names.length === 0) return Promise.resolve([]);
  if (!isCluster(redis)) return redis.mget(...names);
  return Promise.all(names.map((name) => redis.get(name)));
}

/**
 * Every key matching `pattern` (a SCAN pattern over whole key names, the client's prefix
 * included), as whole names. SCAN walks one server; under Cluster that is one node, so each
 * primary is walked in turn.
 */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const servers = isCluster(redis) ? (redis as unknown as Cluster).nodes("master") : [redis];
  const found: string[] = [];
  for (const server of servers) {
    let cursor = "0";
    do {
      const [next, names] = await redisCall(server.scan(cursor, "MATCH", pattern, "COUNT", 100));
      cursor = next;
      found.push(...names);
    } while (cursor !== "0");
  }
  return found;
}
