import type { FuzzCase, GraphQLAnswer, HttpCase, WsCase } from "./generate";
import type { HttpResult, NoAnswer, WsResult } from "./transport";

/**
 * What an answer to a hostile request says about the gateway. Three classes:
 * - OK: data, no errors;
 * - a client error with a stable `extensions.code` the front lines can rely on (or a close code
 *   the graphql-ws protocol calls for);
 * - a FAILURE: INTERNAL_SERVER_ERROR, a 5xx, an error without a code, a stack trace or an internal
 *   message in the answer, a dropped connection the protocol does not call for, no answer in time.
 */

export type Outcome = { kind: "ok"; label: "OK" } | { kind: "client"; label: string } | { kind: "failure"; label: string; detail: string };

/** The codes a client can act on (docs/API.md), GraphQL's own, Apollo's request-level ones, and the limits'. */
export const CLIENT_CODES: ReadonlySet<string> = new Set([
  "BAD_USER_INPUT",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "RATE_LIMITED",
  "CONFLICT",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/**
 * Close codes that answer a client's mistake: graphql-ws's 4400 (bad message), 4401 (subscribe
 * before init), 4403 (no valid token), 4409 (id in use), 4429 (second init), and the size and
 * rate limits' 1009 (frame too big), 1008 (policy), 4413, 4429. Only counted as a client outcome
 * where the case expects it, except the limits' codes, which may answer any case.
 */
const LIMIT_CLOSES: ReadonlySet<number> = new Set([1008, 1009, 4413, 4429]);

/**
 * Text that must never reach a client: stack frames, file paths, runtime and driver messages.
 * Each is ignored when the request itself contained it (an answer may quote the caller's input).
 */
export const LEAK_MARKERS: ReadonlyArray<[string, RegExp]> = [
  ["stack frame", /\n\s+at \S|^\s{4}at /m],
  ["source path", /\.(ts|js|mjs|cjs):\d+/],
  ["node_modules", /node_modules/],
  ["build path", /\/(dist|src)\/[\w/-]+\.(js|ts)/],
  ["runtime message", /Cannot read propert|Cannot set propert|is not a function|is not iterable|Cannot convert|Maximum call stack|out of memory|Invalid string length|Invalid array length/],
  ["JS error name", /\b(TypeError|RangeError|ReferenceError|SyntaxError|AggregateError)\b/],
  ["undefined", /\bundefined\b/],
  ["[object Object]", /\[object Object\]/],
  ["Neo4j driver", /Neo4jError|Neo\.(ClientError|DatabaseError|TransientError)|neo4j-driver|Bolt|cypher/i],
  ["Redis", /ReplyError|WRONGTYPE|NOSCRIPT|ERR (wrong|unknown|syntax)|ioredis|EVALSHA/],
  ["socket error", /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EADDRINUSE/],
  ["JSON parser", /in JSON at position|Unexpected token|Unexpected end of JSON|Unexpected non-whitespace/],
  ["zlib", /incorrect header check|unexpected end of file|invalid (block type|distance|stored block)/i],
  ["Apollo internals", /req\.body|Context creation failed|Unexpected error processing request/],
  ["prototype pollution", /fuzzPolluted/],
];

function findLeak(answer: string, request: string): string | null {
  for (const [name, pattern] of LEAK_MARKERS) {
    const m = pattern.exec(answer);
    if (m && !request.includes(m[0])) return `${name}: …${answer.slice(Math.max(0, m.index - 60), m.index + 80)}…`;
  }
  return null;
}

/** The errors of a GraphQL answer, classified; null when all are fine (the label is the first code). */
function classifyErrors(errors: unknown, request: string): Outcome | null {
  if (errors === undefined) return null;
  if (!Array.isArray(errors) || errors.length === 0) return { kind: "failure", label: "MALFORMED_ERRORS", detail: `errors is ${JSON.stringify(errors)?.slice(0, 200)}` };
  let first: string | null = null;
  for (const e of errors as Array<{ message?: unknown; extensions?: Record<string, unknown> }>) {
    const code = e?.extensions?.code;
    const message = typeof e?.message === "string" ? e.message : "";
    if (e?.extensions && ("stacktrace" in e.extensions || "exception" in e.extensions)) return { kind: "failure", label: "STACKTRACE", detail: JSON.stringify(e.extensions).slice(0, 400) };
    if (typeof code !== "string") return { kind: "failure", label: "NO_CODE", detail: message.slice(0, 300) };
    if (code === "INTERNAL_SERVER_ERROR") return { kind: "failure", label: "INTERNAL_SERVER_ERROR", detail: message.slice(0, 300) };
    if (!CLIENT_CODES.has(code)) return { kind: "failure", label: `UNEXPECTED_CODE ${code}`, detail: message.slice(0, 300) };
    if (message.length === 0) return { kind: "failure", label: "NO_MESSAGE", detail: code };
    const leak = findLeak(message, request);
    if (leak) return { kind: "failure", label: "LEAK", detail: leak };
    first ??= code;
  }
  return { kind: "client", label: first as string };
}

export function classifyHttp(c: HttpCase, request: string, result: HttpResult | NoAnswer): Outcome {
  if ("error" in result) {
    if (result.error.startsWith("not sent")) return { kind: "client", label: "NOT_SENT" };
    return result.timedOut ? { kind: "failure", label: "TIMEOUT", detail: result.error } : { kind: "failure", label: "DROPPED", detail: result.error };
  }
  const text = result.body.toString("utf8");
  const leak = findLeak(text, request);
  if (leak) return { kind: "failure", label: "LEAK", detail: leak };
  if (result.status >= 500) return { kind: "failure", label: `HTTP_${result.status}`, detail: text.slice(0, 300) };
  // A rate limit says when to come back.
  if (result.status === 429 && !/^\d+$/.test(String(result.headers["retry-after"] ?? ""))) return { kind: "failure", label: "NO_RETRY_AFTER", detail: `429 without a Retry-After of whole seconds: ${text.slice(0, 200)}` };
  if (c.method === "HEAD") return result.status < 400 ? { kind: "ok", label: "OK" } : { kind: "client", label: `HTTP_${result.status}` };
  let answer: GraphQLAnswer;
  try {
    answer = JSON.parse(text) as GraphQLAnswer;
  } catch {
    if (result.truncated) return { kind: "failure", label: "ANSWER_TOO_LARGE", detail: `more than 4 MB in answer to one request (status ${result.status})` };
    if (c.rawAnswerOk && result.status >= 400) return { kind: "client", label: `HTTP_${result.status}` };
    return { kind: "failure", label: "NOT_GRAPHQL_JSON", detail: `status ${result.status}, content-type ${result.headers["content-type"] ?? "(none)"}: ${text.slice(0, 200)}` };
  }
  if (answer === null || typeof answer !== "object") return { kind: "failure", label: "NOT_GRAPHQL_JSON", detail: text.slice(0, 200) };
  const errors = classifyErrors(answer.errors, request);
  if (errors?.kind === "failure") return errors;
  if (result.status >= 400 && !errors) return { kind: "failure", label: "ERROR_STATUS_WITHOUT_ERRORS", detail: `status ${result.status}: ${text.slice(0, 200)}` };
  if (!errors && answer.data == null) return { kind: "failure", label: "NO_DATA_NO_ERRORS", detail: text.slice(0, 200) };
  const why = c.check?.(answer);
  if (why) return { kind: "failure", label: "WRONG_ANSWER", detail: why };
  return errors ?? { kind: "ok", label: "OK" };
}

export function classifyWs(c: WsCase, request: string, result: WsResult): Outcome {
  if (!result.opened) return { kind: "failure", label: "WS_UPGRADE_FAILED", detail: result.upgradeError ?? "the socket never opened" };
  const texts = [...result.texts, result.serverClose?.reason ?? ""].join("\n");
  const leak = findLeak(texts, request);
  if (leak) return { kind: "failure", label: "LEAK", detail: leak };
  let first: Outcome | null = null;
  for (const a of result.answers) {
    switch (a.type) {
      case "connection_ack":
      case "pong":
      case "ping":
      case "complete":
        break;
      case "next": {
        const payload = a.payload as GraphQLAnswer | undefined;
        const o = classifyErrors(payload?.errors, request);
        if (o?.kind === "failure") return o;
        first ??= o;
        break;
      }
      case "error": {
        const o = classifyErrors(a.payload, request);
        if (o?.kind === "failure") return o;
        first ??= o;
        break;
      }
      default:
        return { kind: "failure", label: "UNEXPECTED_MESSAGE", detail: JSON.stringify(a).slice(0, 300) };
    }
  }
  const close = result.serverClose;
  if (close) {
    if (c.expectClose?.includes(close.code) || LIMIT_CLOSES.has(close.code)) {
      if (!/\S/.test(close.reason)) return { kind: "failure", label: "CLOSE_WITHOUT_REASON", detail: `closed ${close.code}` };
      return { kind: "client", label: `WS_CLOSE_${close.code}` };
    }
    const what = close.code === 1006 ? "DROPPED" : `UNEXPECTED_CLOSE_${close.code}`;
    return { kind: "failure", label: what, detail: `closed ${close.code} "${close.reason}"${c.expectClose ? ` where the protocol calls for ${c.expectClose.join(" or ")}` : ""}` };
  }
  if (c.expectClose) return { kind: "failure", label: "NO_CLOSE", detail: `the socket stayed open where the protocol calls for ${c.expectClose.join(" or ")}` };
  if (result.unanswered.length > 0) return { kind: "failure", label: "NO_ANSWER", detail: `no answer to subscribe ${result.unanswered.map((id) => id.slice(0, 20)).join(", ")}` };
  const why = c.check?.(result.answers);
  if (why) return { kind: "failure", label: "WRONG_ANSWER", detail: why };
  return first ?? { kind: "ok", label: "OK" };
}

/** The text of a case's request, for telling echoes of the caller's input from leaks. */
export function requestText(c: FuzzCase): string {
  if (c.transport === "http") return `${decodeURIComponentSafe(c.path)}\n${Object.values(c.headers).join("\n")}\n${c.body ? (c.body.length > 8_000_000 ? "" : c.body.toString("utf8")) : ""}`;
  return `${JSON.stringify(c.initPayload ?? "")}\n${c.frames.map((f) => (typeof f === "string" ? f : f.toString("utf8"))).join("\n")}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return `${s}\n${decodeURIComponent(s)}`;
  } catch {
    return s;
  }
}

/** One outcome for a case sent several times (a flood): the first failure, else RATE_LIMITED if any answer was, else the first. */
export function worstOutcome(outcomes: readonly Outcome[]): Outcome {
  return outcomes.find((o) => o.kind === "failure") ?? outcomes.find((o) => o.label === "RATE_LIMITED") ?? outcomes.find((o) => o.kind === "client") ?? outcomes[0] ?? { kind: "ok", label: "OK" };
}
