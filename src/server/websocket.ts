import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, execute, getOperationAST, specifiedRules, subscribe, validate, type DocumentNode, type ExecutionArgs, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import { getVariableValues } from "graphql/execution/values";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { ANONYMOUS, isAnonymous, type Principal } from "../auth/principal";
import type { RateLimits } from "../auth/rate-limits";
import type { TokenVerifier } from "../auth/tokens";
import type { TrustedDocuments } from "../auth/trusted-documents";
import { RequestAccess } from "../customer360/access";
import { CLOSE_FORBIDDEN, CLOSE_SERVICE_RESTART } from "../platform/close-codes";
import type { LimitsConfig } from "../platform/config";
import { BadUserInputError, GatewayError, QueryLimitError, TimeoutError } from "../platform/errors";
import { admitOperation } from "./admission";
import { operationDuration, secondsSince, socketsOpen, subscriptionsOpen } from "../platform/metrics";
import { traced, tracingOn } from "../platform/tracing";
import { operationLabel } from "./observability";
import { auditOnNext } from "./audit";
import { createContext, withRequestId, type GatewayContext, type Services } from "./context";
import type { Logger } from "../platform/logger";
import { isStackOverflow, publicError, TOO_DEEP_MESSAGE, TOO_MANY_VARIABLE_ERRORS } from "./errors";
import { hideSuggestions, parseLimited, queryLimitRules, withoutHttp } from "./limits";

/**
 * GraphQL over WebSocket (graphql-ws) on the HTTP server's `/graphql`, with the same guards as
 * HTTP. graphql-ws runs none of Apollo's plugins or validation rules, so `onSubscribe` does it all
 * and hands graphql-ws ready execution arguments: trusted documents, the token limit while
 * parsing, graphql's rules with the query limits, the permission matrix, the cost limit, the
 * principal's rate limits, then this socket's and this principal's operation caps. The socket
 * itself: messages over `wsMaxPayloadBytes` close it with 1009 unread (ws checks the frame's
 * declared length before buffering), and a browser page from a foreign Origin gets 403 on the
 * upgrade (cross-site WebSocket hijacking: the browser would send the victim's cookies along).
 *
 * Every refusal is an `error` message whose errors carry the code Apollo gives the same mistake on
 * HTTP, and every error sent (refusals, `next` payloads) goes through the one public face,
 * ./errors.ts `publicError`: no client mistake reaches graphql-ws's catch-all (which logs a stack
 * and closes the socket with 4500 and the exception's text).
 */
export interface SocketOptions {
  schema: GraphQLSchema;
  services: Services;
  tokens: TokenVerifier;
  limits: LimitsConfig;
  production: boolean;
  rateLimits: RateLimits;
  trusted: TrustedDocuments;
}

/** An operation running on a socket: what stops it, and whether it is a long-lived subscription. */
interface OpenOperation {
  controller: AbortController;
  timer: NodeJS.Timeout | undefined;
  subscription: boolean;
  /** performance.now() when its subscribe message arrived, and its labels in c360_graphql_operation_duration_seconds. */
  started: number;
  operation: string;
  type: string;
}

type SocketExtra = {
  principal?: Principal;
  /** The socket's id: an operation's log lines carry `reqId` "<socket id>:<operation id>". */
  socketId?: string;
  expiry?: NodeJS.Timeout;
  operations?: Map<string, OpenOperation>;
};

export interface AttachedSockets {
  wss: WebSocketServer;
  /** Closes every socket with 1012 (reconnect elsewhere) and stops the server. */
  dispose(): Promise<void>;
}

export function attachWebSockets(http: Server, opts: SocketOptions): AttachedSockets {
  const { schema, services, limits } = opts;
  const rules = [...specifiedRules, ...queryLimitRules(opts.production)];
  // noServer: the upgrade listener is ours, so an error of the HTTP server (a busy port) reaches
  // `listen` instead of the WebSocket server, where graphql-ws would log it and start-up hang; and
  // so the Origin is checked before the handshake.
  const wss = new WebSocketServer({ noServer: true, path: "/graphql", maxPayload: limits.wsMaxPayloadBytes });
  http.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin, request, limits.allowedOrigins)) {
      services.log.warn({ origin, host: request.headers.host }, "WebSocket upgrade refused: origin not allowed");
      const body = `Origin ${origin} may not open a WebSocket here; allowed: ${limits.allowedOrigins?.join(", ") ?? "this host's own pages"} (ALLOWED_ORIGINS).`;
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      socketsOpen.inc();
      ws.once("close", () => socketsOpen.dec());
      refuseServerMessages(ws);
      explainFrameErrors(ws, limits.wsMaxPayloadBytes);
      wss.emit("connection", ws, request);
      // graphql-ws prints any socket error as "Internal error … check your implementation" and
      // closes with 1011; the errors a socket reports (an oversized message: ws has already closed
      // it with 1009 without reading it; a malformed frame) are the client's. Log them as such.
      ws.removeAllListeners("error");
      ws.on("error", (err: Error & { code?: string }) => services.log.info({ err: err.message, code: err.code }, "WebSocket closed for a protocol error of the client"));
    });
  });

  /** Subscriptions per principal on this replica, across its sockets. */
  const perPrincipal = new Map<string, number>();
  const release = (extra: SocketExtra, id: string, reason: () => Error): void => {
    const op = extra.operations?.get(id);
    if (!op) return;
    extra.operations?.delete(id);
    clearTimeout(op.timer);
    if (!op.controller.signal.aborted) op.controller.abort(reason());
    if (op.subscription) subscriptionsOpen.dec();
    if (op.subscription && extra.principal) {
      const left = (perPrincipal.get(extra.principal.id) ?? 1) - 1;
      if (left > 0) perPrincipal.set(extra.principal.id, left);
      else perPrincipal.delete(extra.principal.id);
    }
  };
  // Each result (a query's, or each push of a subscription) is audited as it goes out (./audit.ts).
  const audit = auditOnNext(services.auditTrail, services.log);
  const done = (): Error => new TimeoutError("The operation is over; nothing more is started for it.");
  const gone = (): Error => new TimeoutError("The socket closed before the operation finished; nothing more was started for it.");

  const toClient = (error: GraphQLError, log: Logger = services.log): GraphQLFormattedError => {
    const shown = publicError(error.toJSON(), error, log, opts.production);
    return shown.extensions ? { ...shown, extensions: withoutHttp(shown.extensions) } : shown;
  };

  const server = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema,
      // The token comes once, in connection_init; a socket whose token is missing or invalid is closed
      // with 4403 (Forbidden), and one whose token expires is closed with 4403 then, so the client
      // gets a fresh token and reconnects with `since`.
      onConnect: async (ctx) => {
        const extra = ctx.extra;
        extra.operations = new Map();
        extra.socketId = randomUUID();
        extra.socket.once("close", () => {
          clearTimeout(extra.expiry);
          for (const id of [...(extra.operations?.keys() ?? [])]) release(extra, id, gone);
        });
        try {
          const raw = ctx.connectionParams?.authorization;
          const principal = await opts.tokens.fromHeader(typeof raw === "string" ? raw : null);
          extra.principal = principal;
          // A session ADMIN can list and end (src/auth/sessions.ts).
          const session = opts.services.sessions.opened(principal, (code, reason) => extra.socket.close(code, reason));
          extra.socket.once("close", () => opts.services.sessions.closed(session));
          if (principal.expiresAt) {
            const socket = extra.socket;
            extra.expiry = setTimeout(() => socket.close(CLOSE_FORBIDDEN, "Forbidden: the token expired; get a new one and reconnect with since"), Math.max(0, principal.expiresAt.getTime() - Date.now()));
            extra.expiry.unref();
          }
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const started = performance.now();
        const extra = ctx.extra;
        const principal = extra.principal ?? ANONYMOUS;
        try {
          const operations = extra.operations ?? new Map<string, OpenOperation>();
          // graphql-ws registers the id before calling us, so this counts subscribes still being
          // checked too: a burst of them cannot all pass while the first ones await Redis.
          const open = Object.keys(ctx.subscriptions).length;
          if (open > limits.wsMaxOperationsPerSocket) {
            const max = limits.wsMaxOperationsPerSocket;
            throw new QueryLimitError("operationsPerSocket", `This socket already has ${open - 1} operations open, the limit (WS_MAX_SUBSCRIPTIONS); complete one first, or open another connection.`, max, open);
          }
          const text = opts.trusted.resolve(payload as typeof payload & { documentId?: unknown });
          if (text === undefined) throw new BadUserInputError('The subscribe message names no document: send "query" (its text) or "documentId" ("sha256:<hex>").', "query");
          if (!isAnonymous(principal)) {
            const untrusted = opts.trusted.refusal(principal, text);
            if (untrusted) throw untrusted;
          }
          let document: DocumentNode;
          try {
            document = parseLimited(text);
          } catch (error) {
            if (error instanceof GraphQLError && !(error instanceof GatewayError)) return [withCode(error, "GRAPHQL_PARSE_FAILED", opts.production)];
            // graphql-js recurses over the document: one nested too deep overflows the stack.
            if (isStackOverflow(error)) return [new GraphQLError(TOO_DEEP_MESSAGE, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
            throw error;
          }
          let invalid: readonly GraphQLError[];
          try {
            invalid = validate(schema, document, rules);
          } catch (error) {
            if (!isStackOverflow(error)) throw error;
            return [new GraphQLError(TOO_DEEP_MESSAGE, { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })];
          }
          if (invalid.length > 0) return invalid.map((e) => (e instanceof GatewayError ? forSocket(e) : withCode(e, "GRAPHQL_VALIDATION_FAILED", opts.production)));
          const operation = getOperationAST(document, payload.operationName);
          if (!operation) {
            // Apollo's code and sense for the same mistake on HTTP.
            const message = payload.operationName
              ? `The document has no operation named "${payload.operationName.slice(0, 100)}".`
              : "The document has several operations: name the one to run in operationName.";
            return [new GraphQLError(message, { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } })];
          }
          // Coerced before admission (which judges the coerced values), so a bad variable is
          // BAD_USER_INPUT in an error message, as on HTTP, where nothing runs for it either
          // (graphql-ws would answer it as a result without a code).
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 50 });
          if (coerced.errors) {
            return coerced.errors.map((e) => (e.message.startsWith("Too many errors processing variables") ? new GraphQLError(TOO_MANY_VARIABLE_ERRORS, { extensions: { code: "BAD_USER_INPUT" } }) : withCode(e, "BAD_USER_INPUT", opts.production)));
          }
          const subscription = operation.operation === "subscription";
          const principalFull = (): QueryLimitError | null => {
            const held = perPrincipal.get(principal.id) ?? 0;
            const max = limits.wsMaxSubscriptionsPerPrincipal;
            if (!subscription || isAnonymous(principal) || held < max) return null;
            return new QueryLimitError("subscriptionsPerPrincipal", `${principal.id} already holds ${held} subscriptions on this gateway, the limit (WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL); complete some first.`, max, held + 1);
          };
          // Checked before the rate limits are charged, and again after (that awaited Redis, and other sockets may have subscribed meanwhile).
          const full = principalFull();
          if (full) throw full;
          const refused = await admitOperation({ principal, access: new RequestAccess(principal, services.customers.calls), customers: services.customers, schema, document, operation, variables: payload.variables, coercedVariables: coerced.coerced, rateLimits: opts.rateLimits });
          if (refused) throw refused;
          const fullNow = principalFull();
          if (fullNow) throw fullNow;
          if (subscription) {
            perPrincipal.set(principal.id, (perPrincipal.get(principal.id) ?? 0) + 1);
            subscriptionsOpen.inc();
          }
          // A subscription lives as long as its client wants it; a query or mutation has the request deadline.
          const controller = new AbortController();
          const timer = subscription
            ? undefined
            : setTimeout(() => controller.abort(new TimeoutError(`The operation ran past its deadline of ${limits.requestTimeoutMs} ms (REQUEST_TIMEOUT_MS); nothing more was started for it. Retry, or ask for less.`)), limits.requestTimeoutMs);
          timer?.unref();
          operations.set(id, { controller, timer, subscription, started, operation: operationLabel(opts.trusted.operationNames, operation.name?.value), type: operation.operation });
          const args: ExecutionArgs = {
            schema,
            document,
            operationName: payload.operationName ?? null,
            variableValues: payload.variables ?? null,
            contextValue: withRequestId(createContext(services, principal, extra.socket, controller.signal), `${extra.socketId ?? "socket"}:${id.slice(0, 64)}`),
          };
          return args;
        } catch (error) {
          if (error instanceof GatewayError) return [forSocket(error)];
          throw error;
        }
      },
      // A query or mutation whose deadline passed (or whose socket went) answers with that error alone, not with what half-ran.
      onOperation: (ctx, id, _payload, _args, result) => {
        const op = ctx.extra.operations?.get(id);
        if (!op) return undefined;
        // A query's or mutation's whole time; a subscription's set-up (until its stream is open).
        const failed = "errors" in result && (result.errors?.length ?? 0) > 0;
        operationDuration.observe({ operation: op.operation, type: op.type, transport: "ws", outcome: failed ? "error" : "ok" }, secondsSince(op.started));
        if (op.subscription) return undefined;
        clearTimeout(op.timer);
        const reason: unknown = op.controller.signal.reason;
        return op.controller.signal.aborted && reason instanceof GatewayError ? { errors: [forSocket(reason)] } : result;
      },
      onComplete: (ctx, id) => release(ctx.extra, id, done),
      // Each result (each push of a subscription) is an audit entry of its own; what the socket is sent
      // goes through the one public face (./errors.ts), as Apollo's formatError on HTTP.
      onNext: (_ctx, _id, _payload, args, result) => {
        audit(args);
        // An unexpected error is logged with the operation's id.
        const log = (args.contextValue as GatewayContext).log;
        return result.errors ? { ...result, errors: result.errors.map((e) => toClient(e, log)) } : undefined;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => toClient(e)),
      // With tracing on, a span per operation (the socket's messages have no HTTP request around them).
      ...(tracingOn() ? { execute: tracedExecute, subscribe: tracedSubscribe } : {}),
      // An exception that still escapes closes the socket with 4500; its text must not be the reason.
      isProd: true,
      // After a replica restarts, its clients all reconnect at once; graphql-ws's 3 s for the handshake
      // is too short for a busy replica (it closes them with 4408 and they reconnect again, a storm).
      connectionInitWaitTimeout: 15_000,
    },
    wss,
    // graphql-ws's own keep-alive: a ping every WS_KEEPALIVE_MS; a socket whose pong has not come
    // back within as long again is terminated, so dead connections (a phone that lost signal) do not
    // hold subscriptions for ever, and proxies see traffic on idle ones.
    services.realtime.config.keepAliveMs,
  );

  return {
    wss,
    async dispose() {
      for (const client of wss.clients as Set<WebSocket>) client.close(CLOSE_SERVICE_RESTART, "gateway shutting down; reconnect");
      await server.dispose();
    },
  };
}

/**
 * Whether a browser page at `origin` may open a socket: one listed in ALLOWED_ORIGINS, or, when
 * none are listed, a page of this very host (as the client addressed it, or as a proxy forwarded it).
 */
function originAllowed(origin: string, request: IncomingMessage, allowed: readonly string[] | null): boolean {
  let normalized: URL;
  try {
    normalized = new URL(origin);
  } catch {
    return false;
  }
  if (allowed) return allowed.includes(normalized.origin);
  const forwarded = request.headers["x-forwarded-host"];
  const hosts = [request.headers.host, ...(typeof forwarded === "string" ? forwarded.split(",").map((h) => h.trim()) : [])];
  return hosts.includes(normalized.host);
}

/** The error as a socket client sees it: Apollo's `http` extension (status, headers) means nothing here. */
function forSocket(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes ?? null, extensions: withoutHttp(error.extensions) });
}

/** graphql's own parse and validation errors with the codes Apollo gives them over HTTP; suggestions hidden in production. */
function withCode(error: GraphQLError, code: string, production: boolean): GraphQLError {
  const message = production ? hideSuggestions(error.message) : error.message;
  return new GraphQLError(message, { nodes: error.nodes ?? null, source: error.source ?? null, positions: error.positions ?? null, extensions: { ...error.extensions, code } });
}

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

/**
 * Gives the closes ws makes by itself a reason. On a frame it will not read (over `maxPayload`,
 * checked against the frame's declared length before buffering: 1009; a text message that is not
 * UTF-8: 1007; a malformed frame: 1002) ws closes with the bare code, leaving the client to guess
 * which limit it hit. Its receiver calls the socket's own `close`, so the reason is added there.
 */
export function explainFrameErrors(socket: WebSocket, maxPayload: number): void {
  const reasons: Readonly<Record<number, string>> = {
    1002: "Protocol error: a malformed WebSocket frame",
    1007: "A text message that is not valid UTF-8",
    1009: `Message over ${maxPayload} bytes (WS_MAX_PAYLOAD_BYTES); send smaller ones`,
  };
  const close = socket.close.bind(socket);
  socket.close = ((code?: number, reason?: string | Buffer): void => {
    const why = code !== undefined && (reason === undefined || reason.length === 0) ? reasons[code] : undefined;
    close(code, why ?? reason);
  }) as typeof socket.close;
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

/** The span of one WebSocket operation: `graphql.ws <type> <name>`, a root (or the caller's trace, were it propagated). */
function operationSpan<T>(args: ExecutionArgs, run: () => Promise<T>): Promise<T> {
  const operation = getOperationAST(args.document, args.operationName);
  const type = operation?.operation ?? "unknown";
  const name = operation?.name?.value ?? "anonymous";
  return traced(`graphql.ws ${type} ${name}`, { "graphql.operation.type": type, "graphql.operation.name": name, "network.transport": "websocket" }, run, "server");
}

/** graphql-ws's execute, in a span (only installed with tracing on). */
function tracedExecute(args: ExecutionArgs): Promise<Awaited<ReturnType<typeof execute>>> {
  return operationSpan(args, async () => execute(args));
}

/** graphql-ws's subscribe, in a span covering its set-up (only installed with tracing on). */
function tracedSubscribe(args: ExecutionArgs): Promise<Awaited<ReturnType<typeof subscribe>>> {
  return operationSpan(args, async () => subscribe(args));
}
