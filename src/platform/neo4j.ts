import neo4j, { type BookmarkManager, type Driver, Neo4jError, type ProfiledPlan } from "neo4j-driver";

export type { ProfiledPlan };
import { BadUserInputError, ConstraintViolationError, ServiceUnavailableError } from "./errors";
import { neo4jDuration, neo4jErrors, neo4jRoundTrips } from "./metrics";
import { tracedCypher } from "./tracing";

export interface GraphConnection {
  uri: string;
  username: string;
  password: string;
  /** Omit to use the server's default database. */
  database?: string | undefined;
  /**
   * Transaction timeout of reads (NEO4J_READ_TIMEOUT_MS, default {@link DEFAULT_READ_TIMEOUT_MS}):
   * the server ends a read that runs longer, so one slow statement cannot hold a pooled connection.
   */
  readTimeoutMs?: number | undefined;
}

/** Reads the server may run before it ends them (TransactionTimedOutClientConfiguration → SERVICE_UNAVAILABLE). */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;

/**
 * Statements sent to Neo4j by this process for requests and the event consumer, and how many have
 * come back (succeeded or failed); `background` counts those of background jobs apart (the segment
 * index's build and upkeep, src/segments/preview), which run on their own schedule.
 */
export interface GraphStats {
  started: number;
  settled: number;
  background: number;
}

/** Counts Bolt round trips (one per transaction run through a {@link GraphSession}). */
export interface QueryCounter {
  queries: number;
}

type Params = Record<string, unknown>;

/**
 * Something Cypher runs on: a request's {@link GraphSession} (each statement its own transaction)
 * or one {@link GraphSession.transaction} (every statement in one, committed together). Graph
 * modules take this, so the same statement can run alone or as part of a larger atomic change.
 */
export interface Cypher {
  read<T>(cypher: string, params?: Params): Promise<T[]>;
  write<T>(cypher: string, params?: Params): Promise<T[]>;
}

/**
 * The driver sends JS numbers as floats; Cypher wants integers for LIMIT, epoch millis and the
 * like. Wrap such parameters with this.
 */
export function int(value: number): ReturnType<typeof neo4j.int> {
  return neo4j.int(value);
}

/**
 * The one database seam. Every Cypher statement in the gateway runs through `read` or `write`,
 * which pick the routing, count round trips and map driver errors once (see {@link mapDriverError}).
 */
export class Graph {
  /** Process-wide counts of statements, for operators and for tests that check work stopped. */
  readonly stats: GraphStats = { started: 0, settled: 0, background: 0 };

  /**
   * Causal consistency on a Neo4j cluster (`neo4j://` routing: writes go to the leader, reads to
   * followers). Every statement of this process, read or write, passes through one bookmark
   * manager, so a read starts only on a member that has applied this process's latest write: a
   * replica reads its own writes. Another replica's reads see them when the client hands back the
   * answer's bookmark (X-Graph-Bookmark, src/server/bookmarks.ts). On one server a bookmark is a
   * number compared, nothing more.
   */
  private readonly bookmarks: BookmarkManager = neo4j.bookmarkManager();

  private constructor(
    private readonly driver: Driver,
    private readonly database: string | undefined,
    private readonly readTimeoutMs: number,
  ) {}

  static connect(conn: GraphConnection): Graph {
    const driver = neo4j.driver(conn.uri, neo4j.auth.basic(conn.username, conn.password), {
      disableLosslessIntegers: true,
      // Fail fast during an outage: front lines would rather see an error in two seconds than wait thirty.
      connectionTimeout: 2_000,
      connectionAcquisitionTimeout: 3_000,
      maxTransactionRetryTime: 1_000,
      maxConnectionPoolSize: 64,
      userAgent: "c360-gateway",
    });
    return new Graph(driver, conn.database, conn.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS);
  }

  /**
   * A view of this graph that counts its round trips into `counter` (one per request). With a
   * `signal`, the view refuses to start statements once it is aborted (the request's deadline
   * passed or its client went away), and a statement in flight then stops being waited for.
   */
  session(counter: QueryCounter = { queries: 0 }, signal?: AbortSignal, bookmarks?: readonly string[]): GraphSession {
    return new GraphSession(this, counter, signal, undefined, false, bookmarks);
  }

  /**
   * The bookmarks of this process's latest writes: handed to a client after a mutation, so that its
   * next read, on whichever replica, waits for them (see {@link Graph.session}'s `bookmarks`).
   */
  async lastBookmarks(): Promise<string[]> {
    return [...(await this.bookmarks.getBookmarks())];
  }

  /**
   * A session for background work whose reads may take longer than a request's (building the
   * segment index from every customer, a graph predicate over a million): each read may run
   * `readTimeoutMs` before the server ends it. Its statements count in `stats.background`.
   */
  backgroundSession(readTimeoutMs: number): GraphSession {
    return new GraphSession(this, { queries: 0 }, undefined, readTimeoutMs, true);
  }

  /** Runs `PROFILE <cypher>` and returns Neo4j's profiled plan (operators with rows and db hits). */
  async profile(cypher: string, params: Params): Promise<ProfiledPlan> {
    try {
      const result = await this.driver.executeQuery(`PROFILE ${cypher}`, params, {
        routing: neo4j.routing.READ,
        bookmarkManager: this.bookmarks,
        ...(this.database ? { database: this.database } : {}),
      });
      if (!result.summary.profile) throw new Error("Neo4j returned no profile for a PROFILE query");
      return result.summary.profile;
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  /**
   * Reads run as auto-commit transactions: RUN and PULL go out together, one network round trip,
   * where a managed transaction adds BEGIN and COMMIT. A read has nothing to roll back, and we
   * would rather fail fast than retry. Writes run in managed transactions with the driver's retries.
   */
  async run<T>(mode: "READ" | "WRITE", cypher: string, params: Params, readTimeoutMs: number = this.readTimeoutMs, background = false, bookmarks?: readonly string[]): Promise<T[]> {
    (background ? BACKGROUND_TRIPS : REQUEST_TRIPS)[mode].inc();
    if (background) {
      this.stats.background += 1;
      return tracedCypher(mode, cypher, this.database, () => this.execute(mode, cypher, params, readTimeoutMs, bookmarks));
    }
    this.stats.started += 1;
    try {
      return await tracedCypher(mode, cypher, this.database, () => this.execute(mode, cypher, params, readTimeoutMs, bookmarks));
    } finally {
      this.stats.settled += 1;
    }
  }

  private async execute<T>(mode: "READ" | "WRITE", cypher: string, params: Params, readTimeoutMs: number, bookmarks?: readonly string[]): Promise<T[]> {
    const started = performance.now();
    try {
      if (mode === "READ") {
        const session = this.driver.session({
          defaultAccessMode: neo4j.session.READ,
          bookmarkManager: this.bookmarks,
          // A client's bookmark from another replica's answer, on top of this process's own.
          ...(bookmarks && bookmarks.length > 0 ? { bookmarks: [...bookmarks] } : {}),
          ...(this.database ? { database: this.database } : {}),
        });
        try {
          const result = await session.run(cypher, params, { timeout: readTimeoutMs });
          return result.records.map((r) => r.toObject() as T);
        } finally {
          await session.close();
        }
      }
      const result = await this.driver.executeQuery(cypher, params, {
        routing: neo4j.routing.WRITE,
        bookmarkManager: this.bookmarks,
        ...(this.database ? { database: this.database } : {}),
      });
      return result.records.map((r) => r.toObject() as T);
    } catch (error) {
      countError(error);
      throw mapDriverError(error);
    } finally {
      DURATIONS[mode].observe((performance.now() - started) / 1_000);
    }
  }

  /**
   * Runs `work` in one write transaction: every statement it runs on the {@link Cypher} it is given
   * commits together, or none does (an error thrown by `work`, ours or the driver's, rolls it all
   * back and is rethrown, mapped). The driver retries `work` whole on a transient error (a
   * deadlock, a leader switch) within `maxTransactionRetryTime`, so `work` must not have effects
   * outside the transaction that a retry would repeat, or must make them idempotent.
   */
  async transaction<T>(work: (tx: Cypher) => Promise<T>, onStatement: () => void = () => undefined): Promise<T> {
    const session = this.driver.session({ defaultAccessMode: neo4j.session.WRITE, bookmarkManager: this.bookmarks, ...(this.database ? { database: this.database } : {}) });
    try {
      return await session.executeWrite(async (tx) => {
        const run = async <R>(cypher: string, params: Params = {}): Promise<R[]> => {
          onStatement();
          TRANSACTION_TRIPS.inc();
          const started = performance.now();
          try {
            const result = await tracedCypher("WRITE", cypher, this.database, async () => await tx.run(cypher, params));
            return result.records.map((r) => r.toObject() as R);
          } catch (error) {
            countError(error);
            // A constraint violation is the caller's to give a meaning (as outside a transaction); every
            // other driver error stays as it came, so the driver can tell which ones to retry.
            const mapped = mapDriverError(error);
            throw mapped instanceof ConstraintViolationError ? mapped : error;
          } finally {
            TRANSACTION_DURATION.observe((performance.now() - started) / 1_000);
          }
        };
        return work({ read: run, write: run });
      });
    } catch (error) {
      throw mapDriverError(error);
    } finally {
      await session.close();
    }
  }

  /**
   * Runs `work` in one write transaction that is always rolled back: its statements are planned and
   * executed for real (the plans land in Neo4j's cache, the code paths get hot) and nothing of them
   * stays. For the start-up warm-up (src/main/warm-up.ts) of statements that write.
   */
  async rehearse<T>(work: (tx: Cypher) => Promise<T>): Promise<T> {
    let result: { value: T } | undefined;
    try {
      await this.transaction(async (tx) => {
        result = { value: await work(tx) };
        // Thrown out of the transaction function so the driver rolls back (it retries transient errors only).
        throw ROLLED_BACK;
      });
    } catch (error) {
      if (error !== ROLLED_BACK || !result) throw error;
    }
    if (!result) throw new Error("a rehearsed transaction ended without running its work");
    return result.value;
  }

  /** Resolves when a query can be answered; throws ServiceUnavailableError otherwise. */
  async ping(): Promise<void> {
    await this.run("READ", "RETURN 1 AS ok", {});
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/**
 * The per-request face of {@link Graph}: same driver, its own round-trip counter, and the
 * request's abort signal. Once the signal is aborted no statement starts (the signal's reason,
 * a typed GatewayError, is thrown instead), and a statement in flight is no longer waited for: the
 * caller gets the reason at once while the statement ends on the server (reads within their
 * transaction timeout) and its connection goes back to the pool. A write in flight may still
 * commit; it is one statement, whole or not at all.
 */
export class GraphSession implements Cypher {
  constructor(
    private readonly graph: Graph,
    readonly counter: QueryCounter,
    readonly signal?: AbortSignal,
    /** Overrides the graph's read timeout (background work only: see Graph.backgroundSession). */
    private readonly readTimeoutMs?: number,
    private readonly background = false,
    /** Bookmarks the client handed in (X-Graph-Bookmark): this session's reads wait for those writes. */
    private readonly bookmarks?: readonly string[],
  ) {}

  read<T>(cypher: string, params: Params = {}): Promise<T[]> {
    return this.guard(() => this.graph.run<T>("READ", cypher, params, this.readTimeoutMs, this.background, this.bookmarks));
  }

  write<T>(cypher: string, params: Params = {}): Promise<T[]> {
    return this.guard(() => this.graph.run<T>("WRITE", cypher, params, undefined, this.background));
  }

  profile(cypher: string, params: Params = {}): Promise<ProfiledPlan> {
    return this.guard(() => this.graph.profile(cypher, params));
  }

  private guard<T>(start: () => Promise<T>): Promise<T> {
    const signal = this.signal;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.counter.queries += 1;
    const work = start();
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** {@link Graph.transaction}, counting each statement as a round trip of this session. */
  transaction<T>(work: (tx: Cypher) => Promise<T>): Promise<T> {
    return this.graph.transaction(work, () => {
      this.counter.queries += 1;
    });
  }
}

// The metrics' children bound once: labelled lookups hash their labels on every call, and these run per statement.
const REQUEST_TRIPS = { READ: neo4jRoundTrips.labels("read", "request"), WRITE: neo4jRoundTrips.labels("write", "request") };
const BACKGROUND_TRIPS = { READ: neo4jRoundTrips.labels("read", "background"), WRITE: neo4jRoundTrips.labels("write", "background") };
const TRANSACTION_TRIPS = neo4jRoundTrips.labels("tx", "request");
const DURATIONS = { READ: neo4jDuration.labels("read"), WRITE: neo4jDuration.labels("write") };
const TRANSACTION_DURATION = neo4jDuration.labels("tx");

/**
 * Counts a failed statement by its Neo4j code's class (`Neo.TransientError.Transaction`: a bounded
 * set), or by the driver's own code when it has no class (ServiceUnavailable, SessionExpired).
 */
function countError(error: unknown): void {
  if (!(error instanceof Neo4jError)) return void neo4jErrors.inc({ code: "other" });
  const code = error.code.startsWith("Neo.") ? error.code.split(".").slice(0, 3).join(".") : POOL_MESSAGES.test(error.message) ? "Pool" : error.code || "N/A";
  neo4jErrors.inc({ code: code.length > 60 ? "other" : code });
}

/** Thrown by {@link Graph.rehearse}'s transaction function to roll it back; never leaves it. */
const ROLLED_BACK = new Error("rolled back on purpose (a rehearsal)");

/** Neo4j codes that mean "the server is not there" rather than "your query is wrong". */
const UNAVAILABLE_CODES = new Set(["ServiceUnavailable", "SessionExpired", "Neo.TransientError.General.DatabaseUnavailable"]);

/**
 * Transactions the server ended before they finished: timed out (`TransactionTimedOut`, and
 * `…TimedOutClientConfiguration` when the client set the timeout), or terminated by an operator or
 * a shutdown (the driver reports 5.x's `Neo.TransientError.Transaction.Terminated` and
 * `LockClientStopped` as ClientErrors, see neo4j-driver-bolt-connection's response handler).
 */
const ENDED_TRANSACTION = /^Neo\.ClientError\.Transaction\.(TransactionTimedOut\w*|Terminated|LockClientStopped)$/;

/**
 * The driver raises these without a server code ("N/A"): every connection of the pool stayed busy
 * (or none could be opened) for `connectionAcquisitionTimeout`, or the driver was closed under the
 * request (the gateway shutting down).
 */
const POOL_MESSAGES = /^(Connection acquisition timed out|Pool is closed)/;

/**
 * Every driver error the gateway knows, mapped once, here. Callers see typed errors only:
 * - Neo4j unreachable (ServiceUnavailable, SessionExpired, DatabaseUnavailable), no pooled
 *   connection free in time, a transaction the server timed out or terminated, and any other
 *   transient error (deadlock, lock timeout, memory pressure, a leader switch) that outlived the
 *   driver's own retries → {@link ServiceUnavailableError} (SERVICE_UNAVAILABLE: retry shortly);
 * - a constraint the write would break → {@link ConstraintViolationError}, with the label and
 *   property parsed from Neo4j's message, for the caller to give a meaning.
 * Anything else (a Cypher syntax error: a bug) is returned as it came.
 */
export function mapDriverError(error: unknown): unknown {
  if (!(error instanceof Neo4jError)) return error;
  const { code } = error;
  const detail = firstLine(error.message);
  if (UNAVAILABLE_CODES.has(code)) return new ServiceUnavailableError("neo4j", "it cannot be reached", `${code}: ${detail}`);
  if (POOL_MESSAGES.test(error.message)) {
    return new ServiceUnavailableError("neo4j", "it is busy or unreachable, no connection to it could be had in time", detail);
  }
  if (code === "Neo.ClientError.Schema.ConstraintValidationFailed") {
    const [, label = null] = /(?:label|type) `([^`]+)`/.exec(error.message) ?? [];
    const [, property = null] = /propert(?:y|ies) \(?`([^`]+)`/.exec(error.message) ?? [];
    return new ConstraintViolationError(label, property, detail);
  }
  if (code === "Neo.ClientError.Transaction.InvalidBookmark" || code === "Neo.ClientError.Transaction.InvalidBookmarkMixture") {
    return new BadUserInputError("The graph bookmark (X-Graph-Bookmark) is not one the database issued; send back the header of an earlier answer unchanged, or none.", "X-Graph-Bookmark");
  }
  if (ENDED_TRANSACTION.test(code)) {
    return new ServiceUnavailableError("neo4j", "it ended the transaction before it finished (timed out or terminated)", `${code}: ${detail}`);
  }
  if (code.startsWith("Neo.TransientError.")) {
    return new ServiceUnavailableError("neo4j", "it is busy, the request failed for a transient reason", `${code}: ${detail}`);
  }
  return error;
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.slice(0, 200) ?? message;
}
