import { getOperationAST, GraphQLError, parse, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from "graphql";
import { getVariableValues } from "graphql/execution/values";
import type { SubscribePayload } from "graphql-ws";
import type { WebSocket } from "ws";
import { authorizeOperation } from "../auth/policy";
import type { Principal } from "../auth/principal";
import { isRejectedValue, isStackOverflow, TOO_DEEP_MESSAGE, TOO_MANY_VARIABLE_ERRORS } from "./errors";

/**
 * The graphql-ws side of a request, made to answer as HTTP does: every refusal is an `error`
 * message whose errors carry the same `extensions.code` Apollo gives on HTTP, and no client
 * mistake reaches graphql-ws's catch-all (which logs a stack and closes the socket with 4500 and
 * the exception's text).
 */

/**
 * Closes a socket with 4400 (Bad Request) when its client sends a message only a server may send
 * (next, error, connection_ack): graphql-ws accepts their shape, then throws on them in its
 * dispatch, which reads as an internal error (close 4500, a stack in the log) instead of the
 * client's mistake. Installed on each socket before graphql-ws sees it, so the check comes first
 * and the message never reaches graphql-ws. Only a message that names one of those types anywhere
 * is parsed a second time (subscribes, pings and pongs are not).
 */
export function refuseServerMessages(socket: WebSocket): void {
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event === "message" && isServerMessage(args[0])) {
      socket.close(CLOSE_BAD_REQUEST, "Invalid message received: next, error and connection_ack are the server's");
      return true;
    }
    return emit(event, ...args);
  }) as typeof socket.emit;
}

/** graphql-ws's Bad Request. */
const CLOSE_BAD_REQUEST = 4400;

const SERVER_TYPE = /"(next|error|connection_ack)"/;

function isServerMessage(data: unknown): boolean {
  const text = String(data);
  if (!SERVER_TYPE.test(text)) return false;
  try {
    const type = (JSON.parse(text) as { type?: unknown } | null)?.type;
    return type === "next" || type === "error" || type === "connection_ack";
  } catch {
    return false; // not JSON: graphql-ws closes it with 4400 itself
  }
}

/**
 * Checks a subscribe message as Apollo checks an HTTP request, in the same order: parse
 * (GRAPHQL_PARSE_FAILED), validate (GRAPHQL_VALIDATION_FAILED, or BAD_USER_INPUT for a literal its
 * scalar rejects), pick the operation (OPERATION_RESOLUTION_FAILURE), authorize (UNAUTHENTICATED,
 * FORBIDDEN), coerce the variables (BAD_USER_INPUT). Returns the arguments to execute with, or
 * the errors to answer with.
 */
export function prepareOperation(schema: GraphQLSchema, principal: Principal, payload: SubscribePayload): ExecutionArgs | GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    if (error instanceof GraphQLError) return [coded(error, "GRAPHQL_PARSE_FAILED")];
    return [new GraphQLError(isStackOverflow(error) ? TOO_DEEP_MESSAGE : "The document could not be parsed; check its syntax.", { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
  }
  let invalid: readonly GraphQLError[];
  try {
    invalid = validate(schema, document);
  } catch (error) {
    if (!isStackOverflow(error)) throw error;
    return [new GraphQLError(TOO_DEEP_MESSAGE, { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })];
  }
  if (invalid.length > 0) {
    // As on HTTP (./errors.ts): a literal its scalar rejects is the caller's bad input.
    return invalid.map((e) => coded(e, isRejectedValue(e) ? "BAD_USER_INPUT" : "GRAPHQL_VALIDATION_FAILED"));
  }
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) {
    const message = payload.operationName
      ? `The document has no operation named "${payload.operationName.slice(0, 100)}".`
      : "The document has several operations: name the one to run in operationName.";
    return [new GraphQLError(message, { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } })];
  }
  const refused = authorizeOperation(principal, schema, document, payload.operationName, payload.variables);
  if (refused) return [refused];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 50 });
  if (coerced.errors) {
    return coerced.errors.map((e) => (e.message.startsWith("Too many errors processing variables") ? new GraphQLError(TOO_MANY_VARIABLE_ERRORS, { extensions: { code: "BAD_USER_INPUT" } }) : coded(e, "BAD_USER_INPUT")));
  }
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}

/** `error` with `code` added (graphql-js's own errors have none). */
function coded(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
