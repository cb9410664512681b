import { GraphQLError } from "graphql";

/**
 * The `extensions.code` values front lines can rely on (docs/API.md). CONFLICT is what a
 * graph constraint violation reads as when no caller gave it a meaning of its own. RATE_LIMITED:
 * the principal spent its budget (retry after `retryAfterSeconds`); TIMEOUT: the request ran past
 * its deadline; PERSISTED_QUERY_NOT_FOUND: a document id the gateway does not know (the code
 * Apollo clients already understand).
 */
export type ErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "SERVICE_UNAVAILABLE"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "TIMEOUT"
  | "PERSISTED_QUERY_NOT_FOUND";

/** Base of every error the gateway raises on purpose: a message a person can act on and a typed code. */
export abstract class GatewayError extends GraphQLError {
  abstract readonly code: ErrorCode;
  protected constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

/** An argument is outside its contract. `argument` names it so clients can point at the field. */
export class BadUserInputError extends GatewayError {
  readonly code = "BAD_USER_INPUT" as const;
  constructor(message: string, argument?: string) {
    super(message, "BAD_USER_INPUT", argument ? { argument } : {});
  }
}

export class NotFoundError extends GatewayError {
  readonly code = "NOT_FOUND" as const;
  constructor(message: string) {
    super(message, "NOT_FOUND");
  }
}

/**
 * The request is valid but the state it acts on does not allow it now: a change already decided, a
 * target that already has a change awaiting approval. The message says what stands in the way and
 * how to clear it.
 */
export class ConflictError extends GatewayError {
  readonly code = "CONFLICT" as const;
  constructor(message: string) {
    super(message, "CONFLICT");
  }
}

/** No valid token came with the request: the client should (re)authenticate. HTTP 401. */
export class UnauthenticatedError extends GatewayError {
  readonly code = "UNAUTHENTICATED" as const;
  constructor(message: string) {
    super(message, "UNAUTHENTICATED", { http: { status: 401 } });
  }
}

/** The principal may not do this; the message says what would allow it. HTTP 403. */
export class ForbiddenError extends GatewayError {
  readonly code = "FORBIDDEN" as const;
  constructor(message: string) {
    super(message, "FORBIDDEN", { http: { status: 403 } });
  }
}

/**
 * A backing service (Neo4j, Redis) cannot be reached; clients may retry, preferably elsewhere.
 * The message says what happened in our words; the driver's own text (host names, ports, pool
 * sizes, server codes) is kept in `detail` for the log and never sent to a client.
 */
export class ServiceUnavailableError extends GatewayError {
  readonly code = "SERVICE_UNAVAILABLE" as const;
  /**
   * @param reason what happened, for the client ("it cannot be reached")
   * @param detail the driver's account, for the log only
   */
  constructor(
    readonly service: "neo4j" | "redis",
    reason: string,
    readonly detail?: string,
  ) {
    super(`${service === "neo4j" ? "The graph database" : "Redis"} is unavailable: ${reason.replace(/\.+$/, "")}. Retry shortly.`, "SERVICE_UNAVAILABLE", {
      service,
    });
  }
}

/** Which limit an operation broke (docs/SECURITY.md, "Limits"). */
export type QueryLimit = "depth" | "aliases" | "directives" | "tokens" | "cost" | "operationsPerSocket" | "subscriptionsPerPrincipal";

/**
 * The operation is larger than the gateway serves: too deep, too many aliases or directives, too
 * many tokens, or too costly (see src/auth/cost.ts); or its socket (or principal) already holds as
 * many operations as it may. Refused before anything runs; BAD_USER_INPUT with `limit` (which
 * one), `max` and, where known, `found`, so a client can tell which to shrink.
 */
export class QueryLimitError extends GatewayError {
  readonly code = "BAD_USER_INPUT" as const;
  constructor(
    readonly limit: QueryLimit,
    message: string,
    max: number,
    found?: number,
  ) {
    super(message, "BAD_USER_INPUT", { limit, max, ...(found !== undefined ? { found } : {}), http: { status: 400 } });
  }
}

/**
 * The principal spent its budget for this kind of operation (reads, decisions or mutations) in
 * the current window. Over HTTP: status 429 with a Retry-After header; over WebSocket the error
 * on the subscribe. `retryAfterSeconds` says when the budget has room again.
 */
export class RateLimitedError extends GatewayError {
  readonly code = "RATE_LIMITED" as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    budget: string,
  ) {
    // Apollo merges `http.headers` (any Map of name → value) into the response head, then strips `http`.
    super(message, "RATE_LIMITED", { retryAfterSeconds, budget, http: { status: 429, headers: new Map([["retry-after", String(retryAfterSeconds)]]) } });
  }
}

/**
 * The request ran past its deadline (REQUEST_TIMEOUT_MS), or its client went away: nothing more
 * was started for it. HTTP 504: the gateway did not get its answer in time; retry, or ask for less.
 */
export class TimeoutError extends GatewayError {
  readonly code = "TIMEOUT" as const;
  constructor(message: string) {
    super(message, "TIMEOUT", { http: { status: 504 } });
  }
}

/** A document id (`documentId` or Apollo's `persistedQuery.sha256Hash`) that is not in the trusted-documents manifest. */
export class PersistedQueryNotFoundError extends GatewayError {
  readonly code = "PERSISTED_QUERY_NOT_FOUND" as const;
  constructor(message: string) {
    super(message, "PERSISTED_QUERY_NOT_FOUND", { http: { status: 400 } });
  }
}

/**
 * The graph refused a write because it would break a constraint (a uniqueness constraint: another
 * node already holds the value; an existence or type constraint). Raised by the Neo4j executor
 * (src/platform/neo4j.ts), never by hand: what it means is the caller's to decide (a code taken
 * meanwhile is the user's BAD_USER_INPUT, an id taken by a concurrent create a reason to take the
 * next one), so callers test `error instanceof ConstraintViolationError && error.property === "code"`.
 * One that escapes reads as CONFLICT: the change clashes with data already in the graph.
 */
export class ConstraintViolationError extends GatewayError {
  readonly code = "CONFLICT" as const;
  /**
   * @param label the node label (or relationship type) the constraint is on; null when Neo4j's message did not name one
   * @param property the (first) property the constraint is on; null when Neo4j's message did not name one
   * @param detail Neo4j's own sentence, e.g. "Node(42) already exists with label `Strategy` and property `code` = 'X'":
   *   for the log only (it names internal node ids), the message says the same in our words
   */
  constructor(
    readonly label: string | null,
    readonly property: string | null,
    readonly detail: string,
  ) {
    const what = label && property ? `${label}.${property}` : (label ?? property ?? "the data");
    const clash = /already exists/.test(detail)
      ? `another ${label ?? "node"} already has this ${property ?? "value"}`
      : /must have/.test(detail)
        ? `a required property${property ? ` (${property})` : ""} is missing`
        : "the graph refused the write";
    super(`The change conflicts with a constraint on ${what}: ${clash}. Use a different value, or change the existing one instead.`, "CONFLICT", {
      ...(label ? { label } : {}),
      ...(property ? { property } : {}),
    });
  }
}

/**
 * A reason the process cannot start that the operator fixes outside the code (a port already in
 * use, an address the host does not have). Not a GraphQL error: the command-line runner prints its
 * one sentence, without a stack trace, and exits non-zero.
 */
export class StartupError extends Error {
  override readonly name = "StartupError";
}
