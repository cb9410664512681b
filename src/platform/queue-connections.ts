import type { Redis } from "ioredis";
import type { Logger } from "./logger";
import { duplicateRedis } from "./redis";

/** How long a shutdown lets a job queue close gracefully before dropping its connections. */
const STOP_WAIT_MS = 5_000;

/**
 * The Redis connections a BullMQ queue and worker run on, and their capped shutdown. Each is a
 * duplicate of the gateway's client (so it keeps its connect timeout and retry strategy) without its
 * key prefix, which BullMQ refuses (it prefixes its keys itself). A graceful close QUITs Redis,
 * which waits for ever while Redis is away: {@link QueueConnections.close} waits a few seconds,
 * then drops the connections (a job cut off is taken over by another replica).
 */
export class QueueConnections {
  private connections: Redis[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    /** What the log calls these connections ("campaign queue"). */
    private readonly what: string,
  ) {}

  /** A connection for a worker (`blocking`: BullMQ needs maxRetriesPerRequest null and the offline queue) or a producer. */
  open(blocking: boolean): Redis {
    const c = duplicateRedis(this.redis, blocking ? { keyPrefix: "", maxRetriesPerRequest: null, enableOfflineQueue: true } : { keyPrefix: "" });
    c.on("error", (err: Error) => this.log.warn({ err: err.message }, `${this.what} redis connection error`));
    this.connections.push(c);
    return c;
  }

  /** Lets `closing` (the worker's and queue's close) settle for a few seconds at most, then disconnects every connection. */
  async close(...closing: Array<Promise<void> | undefined>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(closing), new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
    for (const c of this.connections) c.disconnect();
    this.connections = [];
  }
}
