import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { ConstraintViolationError, GatewayError, ServiceUnavailableError } from "../platform/errors";
import type { Logger } from "../platform/logger";
import { hideSuggestions, tokenLimitError, withoutHttp } from "./limits";

/**
 * What a client sees of an error, on HTTP (Apollo's `formatError`) and on WebSocket (graphql-ws's
 * `onNext` and `onError`) alike: a typed `extensions.code` and a sentence it can act on. Anything
 * that is not one of ours or graphql's own account of the request (a driver error, a bug, a
 * runtime message) becomes INTERNAL_SERVER_ERROR with a fixed sentence, and is logged here with its
 * stack; its text never reaches the client. A query limit keeps its own code (Apollo relabels every
 * validation rule's error GRAPHQL_VALIDATION_FAILED), as does the parser's token limit, and in
 * production graphql's "Did you mean …?" suggestions are dropped (they spell out the schema).
 */

/** The sentence every unexpected error reads as. */
export const INTERNAL_MESSAGE = "Internal error; it has been logged. Retry, and report it if it persists.";

/** The sentence of a document graphql-js could not parse or check because it recursed too deep. */
export const TOO_DEEP_MESSAGE =
  "The document is nested too deeply to be read (selections, lists or objects inside each other thousands of levels); flatten it and send it again.";

/**
 * The client's view of one error. `formatted` is the error as the transport would send it (Apollo
 * has already given it a code; graphql-ws has not), `error` the error itself.
 */
export function publicError(formatted: GraphQLFormattedError, error: unknown, log: Logger, production = false): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  const code = formatted.extensions?.code;
  if (code === "GRAPHQL_PARSE_FAILED") {
    const tooLong = tokenLimitError(original ?? error);
    if (tooLong) return { message: tooLong.message, extensions: withoutHttp(tooLong.extensions) };
  }
  if (code === "GRAPHQL_VALIDATION_FAILED" && original instanceof GatewayError) {
    return { ...formatted, extensions: { ...formatted.extensions, code: original.code } };
  }
  if (production && code === "GRAPHQL_VALIDATION_FAILED") formatted = { ...formatted, message: hideSuggestions(formatted.message) };
  // graphql-js recurses over the document when parsing and checking it: a document nested tens of
  // thousands of levels deep overflows the stack, and the RangeError's text is not the caller's answer.
  if (isStackOverflow(rootCause(error))) {
    const phase = code === "GRAPHQL_PARSE_FAILED" ? "GRAPHQL_PARSE_FAILED" : "GRAPHQL_VALIDATION_FAILED";
    return { message: TOO_DEEP_MESSAGE, extensions: { code: phase } };
  }
  // graphql-js gives up on variables after 50 errors with an error of no code, which Apollo takes for an internal one.
  if (error instanceof GraphQLError && !error.path && !original && error.message.startsWith("Too many errors processing variables")) {
    return { message: TOO_MANY_VARIABLE_ERRORS, extensions: { code: "BAD_USER_INPUT" } };
  }
  // Apollo's own refusals of a request (a persisted-query hash that does not match the query)
  // carry an HTTP 4xx status but no code: they are the client's, not internal.
  if (code === "INTERNAL_SERVER_ERROR" && error instanceof GraphQLError && !error.path && !original && requestStatus(error) !== null) {
    return { message: error.message, extensions: { code: "BAD_REQUEST" } };
  }
  const cause = rootCause(error);
  if (cause instanceof ServiceUnavailableError || cause instanceof ConstraintViolationError) {
    // The driver's own text stays here, for operators.
    log.warn({ code, detail: cause.detail, path: formatted.path }, cause.message);
  }
  if (typeof code !== "string" || code === "INTERNAL_SERVER_ERROR") {
    log.error({ err: original ?? error, path: formatted.path }, "unexpected error in a resolver");
    return { message: INTERNAL_MESSAGE, ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: "INTERNAL_SERVER_ERROR" } };
  }
  // graphql-js quotes a rejected value whole ("Int cannot represent non-integer value: <1 MB of text>"):
  // the sentence is what helps, the echo of the caller's own megabyte is not.
  if (formatted.message.length > MAX_MESSAGE) return { ...formatted, message: `${formatted.message.slice(0, MAX_MESSAGE)}… (${formatted.message.length} characters, cut)` };
  return formatted;
}

/** Longest error message sent: a sentence and the start of what it quotes. */
const MAX_MESSAGE = 1_000;

/** The sentence of variables graphql-js stopped checking after 50 errors. */
export const TOO_MANY_VARIABLE_ERRORS = "The variables have more than 50 errors (the first ones are reported above); correct them and send the request again.";

/** The 4xx status an error of Apollo's request handling asks for, if any. */
function requestStatus(error: GraphQLError): number | null {
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === "number" && status >= 400 && status < 500 ? status : null;
}

/** The innermost error behind wrappers (Apollo wraps graphql-js's, which wraps the thrown one). */
function rootCause(error: unknown): unknown {
  let e = error;
  for (let i = 0; i < 5 && e instanceof GraphQLError && e.originalError; i++) e = e.originalError;
  return e;
}

/** True for the RangeError V8 throws when the stack overflows. */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}
