import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type RequestHandler, type Response } from "express";
import { GraphQLError, execute, getOperationAST, parse, specifiedRules, validate, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import { createContext, withRequestId, type GatewayContext, type Services } from "./context";
import { ANONYMOUS, isAnonymous, type Principal } from "../auth/principal";
import type { RateLimits } from "../auth/rate-limits";
import type { TokenVerifier } from "../auth/tokens";
import { ROUTER_KEY_HEADER, type TrustedDocuments } from "../auth/trusted-documents";
import type { LimitsConfig } from "../platform/config";
import { GatewayError, TimeoutError } from "../platform/errors";
import { pingRedis } from "../platform/redis";
import { admitOperation } from "./admission";
import { publicError } from "./errors";
import { internalErrors, requestErrors } from "./http-errors";
import { apolloLimits, parseLimited, queryLimitRules } from "./limits";
import { listen } from "./listen";
import { auditOnResponse, auditPersonalReads } from "./audit";
import { selectedCoordinates } from "./selection";
import { attachWebSockets } from "./websocket";
import { snapshotExport } from "./exports";
import { mountPages, type DevToken } from "./pages";
import { compressed, crossOrigin, noStore, requestIds, type RequestIdLocals } from "./http-conventions";
import type { Logger } from "../platform/logger";
import { bookmarkAnswers, clientBookmarks, type BookmarkLocals } from "./bookmarks";
import { metricsEndpoint, operationMetrics } from "./observability";
import { httpInFlight } from "../platform/metrics";

export interface GatewayOptions {
  schema: GraphQLSchema;
  services: Services;
  port: number;
  host: string;
  /** Checks bearer tokens on HTTP requests and in graphql-ws connection_init. */
  tokens: TokenVerifier;
  /** Deadlines, socket caps, origins (src/platform/config.ts). */
  limits: LimitsConfig;
  /** Per-principal budgets in Redis (src/auth/rate-limits.ts). */
  rateLimits: RateLimits;
  /** The trusted-documents manifest and mode (src/auth/trusted-documents.ts). */
  trusted: TrustedDocuments;
  /** NODE_ENV=production: no introspection, no field suggestions. */
  production: boolean;
  /** A start-up warm-up will run (src/main/warm-up.ts): /readyz answers 503 "warming" until {@link RunningGateway.warmed}. */
  warming?: boolean;
  /** Development only: the demo tokens for the pages' sign-in pickers and GraphiQL's headers (./pages.ts). */
  devTokens?: readonly DevToken[];
  /**
   * SHUTDOWN_DRAIN_DELAY_MS: how long {@link RunningGateway.close} keeps serving, with /readyz at
   * 503 "draining", before it stops accepting (default 0: at once). Only when /readyz was asked in
   * the last {@link READINESS_WATCHED_MS}: nobody balances on a replica whose readiness nobody reads.
   */
  drainDelayMs?: number;
  /** METRICS_TOKEN: the bearer token /metrics asks for (./observability.ts); unset: open in development, refused in production. */
  metricsToken?: string | undefined;
}

/**
 * A replica whose /readyz was asked within this long is behind a balancer or kubelet that routes
 * by it (HAProxy checks every second or two, a kubelet every 10 s by default), so a drain waits
 * for it to see "draining"; otherwise (a developer's `npm start`, a test's process) it does not.
 */
export const READINESS_WATCHED_MS = 60_000;

export interface RunningGateway {
  url: string;
  port: number;
  /** HTTP GraphQL requests being processed now (until Apollo has answered, whether or not the client is still there). */
  readonly inFlight: number;
  /**
   * The drain: /readyz answers 503 "draining" at once, serving goes on for the drain delay (when
   * readiness is watched) so the balancer moves new work elsewhere, then the listener closes,
   * requests in flight finish and sockets close with 1012 (reconnect elsewhere, with `since`).
   */
  close(): Promise<void>;
  /** Since when the replica drains (close was called), or null. */
  readonly drainingSince: Date | null;
  /** The warm-up is over (finished, failed or out of time): /readyz goes on to its usual checks. */
  warmed(): void;
  /**
   * Runs a query through Apollo as `principal` would over HTTP (parse, validation and plan caches,
   * admission, resolvers, loaders), for the warm-up: never audited, and only a query that writes
   * nothing (no nextBestOffers). Resolves with the answer's error messages (none: it ran clean).
   */
  rehearse(query: string, variables: Record<string, unknown>, principal: Principal): Promise<string[]>;
  /**
   * Renders a push as a subscription's socket would (the subscription document executed with the
   * push as its root value, as graphql-ws does per event), for the warm-up: never audited, sent nowhere.
   */
  rehearsePush(query: string, variables: Record<string, unknown>, push: unknown, principal: Principal): Promise<string[]>;
  /** Parses and validates a document as the WebSocket path does (subscriptions and mutations are warmed so, not run); its error messages. */
  check(query: string): string[];
}

export { CLOSE_SERVICE_RESTART } from "../platform/close-codes";

/** HTTP and WebSocket GraphQL on one port at /graphql, plus /healthz and /readyz. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { services } = opts;
  // Personal fields note their reads for the audit trail, on both transports (./audit.ts).
  const schema = auditPersonalReads(opts.schema);
  const app = express();
  // Express answers "X-Powered-By: Express" by default: it tells a scanner what to try, a client nothing.
  app.disable("x-powered-by");
  // First: everything after runs under the request's id (log lines, the access log, X-Request-Id).
  app.use(requestIds(services.log), compressed());
  const http: Server = createServer(app);

  const sockets = attachWebSockets(http, { ...opts, schema });
  const { validationRules, parseOptions } = apolloLimits(opts.production);
  // What the WebSocket path validates a subscribe with (./websocket.ts).
  const wsRules = [...specifiedRules, ...queryLimitRules(opts.production)];

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    // The process's stop is ours (src/platform/run-main.ts → App.close, which stops Apollo in its
    // turn): Apollo's own SIGTERM handler would start a second stop beside it, and the two waited on
    // each other until the stop's limit.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: formatError(services, opts.production),
    // Query limits (src/server/limits.ts), introspection refused in production among them.
    validationRules,
    parseOptions,
    introspection: true,
    // Ids are served from the trusted-documents manifest (the trustedDocuments middleware below),
    // not from a cache any client may fill; batches are refused (batchedRequests) before Apollo sees them.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    // Apollo's CSRF prevention refuses "simple" requests (a GET without a preflight-forcing header,
    // urql's default for short queries). Cross-site request forgery needs credentials the browser
    // adds on its own (cookies, HTTP auth); this gateway honours only a bearer token in
    // Authorization, which a page on another origin can send only after a CORS preflight we answer
    // for ALLOWED_ORIGINS alone. A forged simple request therefore arrives anonymous and is refused
    // UNAUTHENTICATED. Mutations and deciding queries stay off GET (Apollo, noWritesOverGet).
    csrfPrevention: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: http }),
      // Apollo's landing page loads from a CDN: a browser gets the bundled GraphiQL instead (./pages.ts).
      ApolloServerPluginLandingPageDisabled(),
      // A subgraph schema makes Apollo add federated tracing (ftv1: per-field timings for any caller that
      // sends the header, and the work of recording them on every such request). Traces are the
      // operator's tracing backend's (docs/OPERATIONS.md, "Federation"), not the caller's.
      ApolloServerPluginInlineTraceDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await sockets.dispose();
            },
          };
        },
      },
      roundTripHeader,
      bookmarkAnswers(services.graph),
      subscriptionsOverWebSocket,
      noWritesOverGet,
      admission(services, opts.rateLimits),
      deadlineAnswer,
      partialResultsAreOk,
      auditOnResponse(services.auditTrail),
      okStatusForJsonClients,
      errorsLoggedWithRequestId,
      operationMetrics(opts.trusted.operationNames, services.log),
    ],
  });
  await apollo.start();

  app.get("/metrics", metricsEndpoint(opts.metricsToken, opts.production));
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  // Readiness says which service is down, not why: a driver's message can name hosts, ports and
  // users. The reason goes to the log.
  let warmingSince: Date | null = opts.warming ? new Date() : null;
  let drainingSince: Date | null = null;
  let readinessAskedAt = 0;
  app.get("/readyz", async (_req, res) => {
    readinessAskedAt = Date.now();
    // Draining comes first: the balancer must stop sending new work here at once, while what is
    // in flight (and what arrives before it notices) is still served.
    if (drainingSince) {
      res.status(503).json({ status: "draining", since: drainingSince.toISOString() });
      return;
    }
    // Not ready while the hot paths are cold: a balancer sends the first requests elsewhere.
    if (warmingSince) {
      res.status(503).json({ status: "warming", since: warmingSince.toISOString() });
      return;
    }
    const [neo4j, redis] = await Promise.allSettled([withTimeout(services.graph.ping(), 1_500), pingRedis(services.redis, 1_500)]);
    for (const [service, result] of [["neo4j", neo4j], ["redis", redis]] as const) {
      if (result.status === "rejected") services.log.warn({ service, err: result.reason instanceof Error ? result.reason.message : String(result.reason) }, "readiness: a service is unavailable");
    }
    const state = { neo4j: describe(neo4j), redis: describe(redis) };
    const ready = neo4j.status === "fulfilled" && redis.status === "fulfilled";
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable", ...state });
  });
  // CSV exports stream for as long as the file takes: no request deadline, the client going away stops them
  app.get("/exports/snapshots/:file", crossOrigin(opts.limits.allowedOrigins), snapshotExport(services, opts.tokens));
  // The screens and, in development, GraphiQL for a browser's GET /graphql (before the API below).
  mountPages(app, { production: opts.production, ...(opts.devTokens ? { devTokens: opts.devTokens } : {}) });
  let inFlight = 0;
  const graphql = expressMiddleware(apollo, {
    // No header: anonymous, refused by the admission plugin with UNAUTHENTICATED (unless the
    // document does not even parse). A header that does not verify: UNAUTHENTICATED at once.
    context: async ({ res }) => {
      const { principal, authError, signal, bookmarks, bookmarkError, reqId } = res.locals as RequestLocals & BookmarkLocals & RequestIdLocals;
      if (authError) throw authError;
      if (bookmarkError) throw bookmarkError;
      return withRequestId(createContext(services, principal ?? ANONYMOUS, undefined, signal, bookmarks), reqId);
    },
  });
  app.use(
    "/graphql",
    crossOrigin(opts.limits.allowedOrigins),
    noStore,
    deadline(opts.limits.requestTimeoutMs),
    express.json({ limit: "1mb" }),
    batchedRequests,
    clientBookmarks,
    authenticate(opts.tokens),
    trustedDocuments(opts.trusted),
    async (req, res, next) => {
      inFlight += 1;
      httpInFlight.inc();
      try {
        await graphql(req, res, next);
      } finally {
        inFlight -= 1;
        httpInFlight.dec();
      }
    },
  );
  app.use(requestErrors, internalErrors(services.log));

  try {
    await listen(http, opts.port, opts.host);
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  const shownHost = opts.host === "0.0.0.0" || opts.host === "::" ? "localhost" : opts.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    get inFlight() {
      return inFlight;
    },
    get drainingSince() {
      return drainingSince;
    },
    close: async () => {
      drainingSince ??= new Date();
      const delay = opts.drainDelayMs ?? 0;
      if (delay > 0 && Date.now() - readinessAskedAt < READINESS_WATCHED_MS) {
        services.log.info({ drainDelayMs: delay }, "draining: /readyz answers 503 while the balancer moves new work elsewhere");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      // Apollo's drain plugin closes the listener and idle connections, waits for requests in
      // flight (forcing connections closed after its grace), and runs our drainServer above,
      // which closes every WebSocket with 1012 so clients resubscribe with `since` elsewhere.
      await apollo.stop();
    },
    warmed: () => {
      warmingSince = null;
    },
    rehearse: async (query, variables, principal) => {
      const document = parse(query);
      const writing = selectedCoordinates(schema, document, WRITING_QUERY_FIELDS);
      const operation = getOperationAST(document);
      if (operation?.operation !== "query" || writing.length > 0) throw new Error("only queries that write nothing are rehearsed");
      const contextValue: GatewayContext = { ...createContext(services, principal), rehearsal: true };
      const response = await apollo.executeOperation({ query, variables }, { contextValue });
      const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
      return errors.map((e) => e.message);
    },
    rehearsePush: async (query, variables, push, principal) => {
      const contextValue: GatewayContext = { ...createContext(services, principal), rehearsal: true };
      const result = await execute({ schema, document: parse(query), rootValue: push, contextValue, variableValues: variables });
      return (result.errors ?? []).map((e) => e.message);
    },
    check: (query) => {
      try {
        return validate(schema, parseLimited(query), wsRules).map((e) => e.message);
      } catch (error) {
        return [error instanceof Error ? error.message : String(error)];
      }
    },
  };
}

/** Reports the Bolt round trips a request cost, for benchmarks and operators (`x-bolt-round-trips`). */
const roundTripHeader: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        response.http.headers.set("x-bolt-round-trips", String(contextValue.graph.counter.queries));
      },
    };
  },
};

/**
 * Subscriptions live on the WebSocket (graphql-ws) at the same path; over HTTP, graphql-js would run
 * the subscription field as a query and fail with INTERNAL_SERVER_ERROR and a logged stack trace.
 * It is the client's mistake of transport, not of its arguments, so it gets BAD_REQUEST (the code we
 * and Apollo give a malformed HTTP request) with status 400, which `okStatusForJsonClients` turns
 * into 200 for clients that accept only `application/json`, as for any other request error.
 */
const subscriptionsOverWebSocket: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ request }) {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== "subscription") return;
        const headers = request.http?.headers;
        const secure = headers?.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
        const where = `${secure ? "wss" : "ws"}://${headers?.get("host") ?? "localhost"}/graphql`;
        throw new GraphQLError(`Subscriptions are served over WebSocket (graphql-ws) at ${where}; HTTP serves queries and mutations.`, {
          extensions: { code: "BAD_REQUEST", http: { status: 400 } },
        });
      },
    };
  },
};

/**
 * What every operation passes before it executes (./admission.ts: permission matrix, cost limit,
 * rate limits), the same as on the WebSocket: the whole operation or nothing. A subscription is
 * left to subscriptionsOverWebSocket, and a request already past its deadline stops here.
 */
function admission(services: Services, rateLimits: RateLimits): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, operation, request, schema }) {
          if (contextValue.signal?.aborted) throw contextValue.signal.reason as Error;
          if (!operation || operation.operation === "subscription") return;
          const refused = await admitOperation({ principal: contextValue.principal, access: contextValue.access, customers: services.customers, schema, document, operation, variables: request.variables, rateLimits, signal: contextValue.signal });
          if (refused) throw refused;
        },
      };
    },
  };
}

/**
 * A request whose deadline passed (or whose client went away) while it ran answers with that
 * error alone (TIMEOUT, 504), not with the half it managed: its graph session refused whatever
 * it would have started next.
 */
const deadlineAnswer: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        const reason: unknown = contextValue.signal?.aborted ? contextValue.signal.reason : undefined;
        if (!(reason instanceof GatewayError)) return;
        response.body = { kind: "single", singleResult: { errors: [{ message: reason.message, extensions: { code: reason.code } }] } };
        response.http.status = 504;
      },
    };
  },
};

/**
 * An answer with data is a 200, whatever its errors (GraphQL over HTTP: a response whose `data` is
 * present and not null MUST be 2xx). Apollo takes the status of a field's error (FORBIDDEN is 403)
 * even when the rest of the operation answered: `customers(ids:)` with one id out of scope, or a
 * router's `_entities` fetch with one entity out of scope, whose 403 a supergraph router reads as
 * a failed fetch and drops the entities that did resolve. Refusals of the whole operation (no
 * data) keep their status: 401, 403, 429, 504.
 */
const partialResultsAreOk: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== "single" || response.body.singleResult.data == null) return;
        if ((response.http.status ?? 200) >= 400) response.http.status = 200;
      },
    };
  },
};

/** Fields of queries that write (deciding writes the offers to the trajectory and spends contact caps). */
const WRITING_QUERY_FIELDS: ReadonlySet<string> = new Set(["Query.nextBestOffers", "Customer.nextBestOffers"]);

/**
 * A GET must not write: browsers, proxies and prefetchers send GETs on their own, and Apollo's CSRF
 * prevention lets one through with a mere `apollo-require-preflight` header. Apollo already keeps
 * mutations off GET; queries that write (nextBestOffers) are refused here, before anything runs,
 * with BAD_REQUEST (status 400) saying to use POST.
 */
const noWritesOverGet: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ request }) {
    if (request.http?.method !== "GET") return {};
    return {
      async didResolveOperation({ document, schema }) {
        const writing = selectedCoordinates(schema, document, WRITING_QUERY_FIELDS);
        if (writing.length === 0) return;
        throw new GraphQLError(`${writing.join(" and ")} decides and writes the offers to the trajectory, so it is not served over HTTP GET; send the request with POST.`, {
          extensions: { code: "BAD_REQUEST", http: { status: 400 } },
        });
      },
    };
  },
};

/**
 * Gives each HTTP request an abort signal (res.locals.signal, carried into the request scope):
 * aborted with TIMEOUT when REQUEST_TIMEOUT_MS passes, or when the client closes the connection
 * before the answer is written. The graph session then refuses new statements.
 */
function deadline(ms: number): RequestHandler {
  return (_req, res, next) => {
    const controller = new AbortController();
    (res.locals as RequestLocals).signal = controller.signal;
    const timer = setTimeout(() => controller.abort(new TimeoutError(`The request ran past its deadline of ${ms} ms (REQUEST_TIMEOUT_MS); nothing more was started for it. Retry, or ask for less.`)), ms);
    timer.unref();
    res.once("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished && !controller.signal.aborted) controller.abort(new TimeoutError("The client went away before the answer; nothing more was started for it."));
    });
    next();
  };
}

/** A JSON array body is a batch: refused, one operation per request (each gets its own limits, deadline and rate-limit charge). */
const batchedRequests: RequestHandler = (req, res, next) => {
  if (!Array.isArray(req.body)) return next();
  sendErrors(res, 400, `Batched requests (a JSON array of ${req.body.length} operations) are not accepted; send one operation per request (HTTP/2 or keep-alive makes that cheap).`, "BAD_REQUEST");
};

/** What the middlewares below leave for the context factory. */
interface RequestLocals {
  signal?: AbortSignal;
  principal?: Principal;
  /** The token did not verify: the context factory throws it, so Apollo answers UNAUTHENTICATED (401). */
  authError?: unknown;
}

/** Verifies the bearer token once, before the document is looked at (trusted documents depend on who asks). */
function authenticate(tokens: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const locals = res.locals as RequestLocals;
    try {
      locals.principal = req.headers.authorization ? await tokens.fromHeader(req.headers.authorization) : ANONYMOUS;
    } catch (error) {
      locals.authError = error;
    }
    next();
  };
}

/**
 * Trusted documents, before Apollo sees the request. A document id (`{"documentId":
 * "sha256:<hex>"}` or Apollo's `extensions.persistedQuery.sha256Hash`, in a POST body) becomes the
 * manifest's text, in either mode; an unknown one is PERSISTED_QUERY_NOT_FOUND. With
 * TRUSTED_DOCUMENTS=enforce a principal without ADMIN gets FORBIDDEN (403) for any other text,
 * before it is parsed (a supergraph router's `_entities`/`_service` fetch passes with the router
 * key: src/auth/trusted-documents.ts). Anonymous callers go on to UNAUTHENTICATED, which tells them more.
 */
function trustedDocuments(trusted: TrustedDocuments): RequestHandler {
  return (req, res, next) => {
    const locals = res.locals as RequestLocals;
    const body = req.body as { query?: unknown; documentId?: unknown; extensions?: Record<string, unknown> } | undefined;
    try {
      if (body && typeof body === "object" && (body.documentId !== undefined || body.extensions?.persistedQuery)) {
        body.query = trusted.resolve(body);
        delete body.documentId;
        if (body.extensions) delete body.extensions.persistedQuery;
      }
      const text = body && typeof body === "object" ? body.query : (req.query as Record<string, unknown>).query;
      const principal = locals.principal ?? ANONYMOUS;
      if (typeof text === "string" && !locals.authError && !isAnonymous(principal)) {
        const refused = trusted.refusal(principal, text, req.headers[ROUTER_KEY_HEADER]);
        if (refused) throw refused;
      }
      next();
    } catch (error) {
      if (!(error instanceof GatewayError)) return next(error);
      const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 400;
      sendErrors(res, status, error.message, error.code);
    }
  };
}

/** A GraphQL-shaped error answer from outside Apollo. */
function sendErrors(res: Response, status: number, message: string, code: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/**
 * GraphQL over HTTP: a client that only accepts `application/json` expects 200 even when the
 * document does not parse or validate (the errors are in the body); 4xx is for
 * `application/graphql-response+json` clients. Apollo answers 400 to both, so we fix the former.
 */
const okStatusForJsonClients: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ request }) {
    const accept = request.http?.headers.get("accept") ?? "";
    if (accept.includes("application/graphql-response+json")) return {};
    return {
      async willSendResponse({ response }) {
        if (response.http.status === 400 && response.body.kind === "single" && response.body.singleResult.errors) {
          response.http.status = 200;
        }
      },
    };
  },
};

/**
 * The request's logger of each error it met: Apollo's formatError is given the error, not the
 * request, so the request notes its logger here first, and formatError logs an unexpected error
 * with the request's id (./context.ts withRequestId).
 */
const errorLogs = new WeakMap<object, Logger>();

const errorsLoggedWithRequestId: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ contextValue, errors }) {
        for (const error of errors) errorLogs.set(error, contextValue.log);
      },
    };
  },
};

/** Every error Apollo answers with, as the client may see it (./errors.ts; the same face as on WebSocket). */
function formatError(services: Services, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError =>
    publicError(formatted, error, (typeof error === "object" && error !== null ? errorLogs.get(error) : undefined) ?? services.log, production);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}

function describe(result: PromiseSettledResult<unknown>): "ok" | "unavailable" {
  return result.status === "fulfilled" ? "ok" : "unavailable";
}
