import { GraphQLError } from "graphql";

/** The `extensions.code` values front lines can rely on (docs/API.md). */
export type ErrorCode = "BAD_USER_INPUT" | "NOT_FOUND" | "UNAUTHENTICATED" | "FORBIDDEN" | "SERVICE_UNAVAILABLE";

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

/** A backing service (Neo4j, Redis) cannot be reached; clients may retry, preferably elsewhere. */
export class ServiceUnavailableError extends GatewayError {
  readonly code = "SERVICE_UNAVAILABLE" as const;
  constructor(readonly service: "neo4j" | "redis", detail: string) {
    super(`${service === "neo4j" ? "The graph database" : "Redis"} is unavailable: ${detail}. Retry shortly.`, "SERVICE_UNAVAILABLE", {
      service,
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
