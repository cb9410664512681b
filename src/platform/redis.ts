import { Redis } from "ioredis";
import { GatewayError, ServiceUnavailableError } from "./errors";

/**
 * The gateway's Redis connection. Commands fail at once while Redis is down (no offline queue)
 * so requests get SERVICE_UNAVAILABLE instead of hanging; the client keeps reconnecting in the
 * background and recovers by itself. All keys carry `keyPrefix` (see ./keys.ts for the scheme).
 */
export function createRedis(url: string, keyPrefix: string): Redis {
  return new Redis(url, {
    keyPrefix,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
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
 * Awaits a Redis command, turning a connection failure (Redis down, the offline queue refused)
 * into SERVICE_UNAVAILABLE. Redis's own replies (a script error) stay what they are: bugs, not outages.
 */
export async function redisCall<T>(command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    if (error instanceof GatewayError || (error instanceof Error && error.name === "ReplyError")) throw error;
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
