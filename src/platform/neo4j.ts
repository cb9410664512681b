import neo4j, { type Driver, Neo4jError, type ProfiledPlan } from "neo4j-driver";

export type { ProfiledPlan };
import { ServiceUnavailableError } from "./errors";

export interface GraphConnection {
  uri: string;
  username: string;
  password: string;
  /** Omit to use the server's default database. */
  database?: string | undefined;
}

/** Counts Bolt round trips (one per transaction run through a {@link GraphSession}). */
export interface QueryCounter {
  queries: number;
}

type Params = Record<string, unknown>;

/**
 * The driver sends JS numbers as floats; Cypher wants integers for LIMIT, epoch millis and the
 * like. Wrap such parameters with this.
 */
export function int(value: number): ReturnType<typeof neo4j.int> {
  return neo4j.int(value);
}

/** Neo4j codes that mean "the server is not there" rather than "your query is wrong". */
const UNAVAILABLE_CODES = new Set(["ServiceUnavailable", "SessionExpired", "Neo.TransientError.General.DatabaseUnavailable"]);

/**
 * The one database seam. Every Cypher statement in the gateway runs through `read` or `write`,
 * which pick the routing, count round trips and turn driver outages into SERVICE_UNAVAILABLE.
 */
export class Graph {
  private constructor(
    private readonly driver: Driver,
    private readonly database: string | undefined,
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
    return new Graph(driver, conn.database);
  }

  /** A view of this graph that counts its round trips into `counter` (one per request). */
  session(counter: QueryCounter = { queries: 0 }): GraphSession {
    return new GraphSession(this, counter);
  }

  /** Runs `PROFILE <cypher>` and returns Neo4j's profiled plan (operators with rows and db hits). */
  async profile(cypher: string, params: Params): Promise<ProfiledPlan> {
    try {
      const result = await this.driver.executeQuery(`PROFILE ${cypher}`, params, {
        routing: neo4j.routing.READ,
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
  async run<T>(mode: "READ" | "WRITE", cypher: string, params: Params): Promise<T[]> {
    try {
      if (mode === "READ") {
        const session = this.driver.session({ defaultAccessMode: neo4j.session.READ, ...(this.database ? { database: this.database } : {}) });
        try {
          const result = await session.run(cypher, params);
          return result.records.map((r) => r.toObject() as T);
        } finally {
          await session.close();
        }
      }
      const result = await this.driver.executeQuery(cypher, params, {
        routing: neo4j.routing.WRITE,
        ...(this.database ? { database: this.database } : {}),
      });
      return result.records.map((r) => r.toObject() as T);
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  /** Resolves when a query can be answered; throws ServiceUnavailableError otherwise. */
  async ping(): Promise<void> {
    await this.run("READ", "RETURN 1 AS ok", {});
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/** The per-request face of {@link Graph}: same driver, its own round-trip counter. */
export class GraphSession {
  constructor(
    private readonly graph: Graph,
    readonly counter: QueryCounter,
  ) {}

  read<T>(cypher: string, params: Params = {}): Promise<T[]> {
    this.counter.queries += 1;
    return this.graph.run<T>("READ", cypher, params);
  }

  write<T>(cypher: string, params: Params = {}): Promise<T[]> {
    this.counter.queries += 1;
    return this.graph.run<T>("WRITE", cypher, params);
  }

  profile(cypher: string, params: Params = {}): Promise<ProfiledPlan> {
    this.counter.queries += 1;
    return this.graph.profile(cypher, params);
  }
}

function mapDriverError(error: unknown): unknown {
  if (error instanceof Neo4jError && UNAVAILABLE_CODES.has(error.code)) {
    return new ServiceUnavailableError("neo4j", firstLine(error.message));
  }
  return error;
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.slice(0, 200) ?? message;
}
