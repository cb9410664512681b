import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type ErrorRequestHandler } from "express";
import { GraphQLError, parse, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { CLOSE_SERVICE_RESTART } from "../platform/close-codes";
import { createContext, type GatewayContext, type Services } from "./context";
import { authorizeOperation } from "../auth/policy";
import { ANONYMOUS, type Principal } from "../auth/principal";
import type { TokenVerifier } from "../auth/tokens";
import { CLOSE_FORBIDDEN } from "../platform/close-codes";
import { pingRedis } from "../platform/redis";
import { listen } from "./listen";
import { auditOnNext, auditOnResponse, auditPersonalReads } from "./audit";

export interface GatewayOptions {
  schema: GraphQLSchema;
  services: Services;
  port: number;
  host: string;
  /** Checks bearer tokens on HTTP requests and in graphql-ws connection_init. */
  tokens: TokenVerifier;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** Drains HTTP, closes sockets with 1012 (reconnect elsewhere), stops accepting work. */
  close(): Promise<void>;
}

export { CLOSE_SERVICE_RESTART } from "../platform/close-codes";

/** HTTP and WebSocket GraphQL on one port at /graphql, plus /healthz and /readyz. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { services } = opts;
  // Personal fields note their reads for the audit trail, on both transports (./audit.ts).
  const schema = auditPersonalReads(opts.schema);
  const auditNext = auditOnNext(services.auditTrail, services.log);
  const app = express();
  // Express answers "X-Powered-By: Express" by default: it tells a scanner what to try, a client nothing.
  app.disable("x-powered-by");
  const http: Server = createServer(app);

  // noServer: the upgrade listener is ours, so an error of the HTTP server (a busy port) reaches
  // `listen` below instead of the WebSocket server, where graphql-ws would log it and start-up hang.
  const wss = new WebSocketServer({ noServer: true, path: "/graphql" });
  http.on("upgrade", (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request)));
  const wsServer = useServer<Record<string, unknown> | undefined, { principal?: Principal; expiry?: NodeJS.Timeout }>(
    {
      schema,
      // The token comes once, in connection_init; a socket whose token is missing or invalid is closed
      // with 4403 (Forbidden), and one whose token expires is closed with 4403 then, so the client
      // gets a fresh token and reconnects with `since`.
      onConnect: async (ctx) => {
        try {
          const raw = ctx.connectionParams?.authorization;
          const principal = await opts.tokens.fromHeader(typeof raw === "string" ? raw : null);
          ctx.extra.principal = principal;
          if (principal.expiresAt) {
            const socket = ctx.extra.socket;
            ctx.extra.expiry = setTimeout(() => socket.close(CLOSE_FORBIDDEN, "Forbidden: the token expired; get a new one and reconnect with since"), Math.max(0, principal.expiresAt.getTime() - Date.now()));
            ctx.extra.expiry.unref();
            socket.once("close", () => clearTimeout(ctx.extra.expiry));
          }
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch {
          return undefined; // graphql-ws answers a syntax error itself
        }
        const refused = authorizeOperation(ctx.extra.principal ?? ANONYMOUS, schema, document, payload.operationName, payload.variables);
        return refused ? [refused] : undefined;
      },
      context: (ctx) => createContext(services, ctx.extra.principal ?? ANONYMOUS, ctx.extra.socket),
      // Each result (a query's, or each push of a subscription) is audited as it goes out.
      onNext: (_ctx, _id, _payload, args) => void auditNext(args),
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

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    formatError: formatError(services),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: http }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              for (const client of wss.clients) client.close(CLOSE_SERVICE_RESTART, "gateway shutting down; reconnect");
              await wsServer.dispose();
            },
          };
        },
      },
      roundTripHeader,
      subscriptionsOverWebSocket,
      authorization,
      auditOnResponse(services.auditTrail),
      okStatusForJsonClients,
    ],
  });
  await apollo.start();

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const [neo4j, redis] = await Promise.allSettled([withTimeout(services.graph.ping(), 1_500), pingRedis(services.redis, 1_500)]);
    const state = { neo4j: describe(neo4j), redis: describe(redis) };
    const ready = neo4j.status === "fulfilled" && redis.status === "fulfilled";
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable", ...state });
  });
  app.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    expressMiddleware(apollo, {
      // No header: anonymous, refused by the authorization plugin with UNAUTHENTICATED (unless the
      // document does not even parse). A header that does not verify: UNAUTHENTICATED at once.
      context: async ({ req }) => createContext(services, req.headers.authorization ? await opts.tokens.fromHeader(req.headers.authorization) : ANONYMOUS),
    }),
  );
  app.use(requestErrors);

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
    close: async () => {
      await apollo.stop();
    },
  };
}

/** A body that is not JSON (or too large) gets a GraphQL-shaped 400, not Express's HTML page. */
const requestErrors: ErrorRequestHandler = (error: { status?: number; type?: string; message?: string }, _req, res, next) => {
  if (res.headersSent || !error.status || error.status >= 500) return next(error);
  const message =
    error.type === "entity.parse.failed"
      ? "The request body is not valid JSON; send {\"query\": \"...\", \"variables\": {...}} with content-type application/json."
      : error.type === "entity.too.large"
        ? "The request body is larger than 1 MB; send smaller batches."
        : (error.message ?? "Bad request.");
  res.status(error.status).json({ errors: [{ message, extensions: { code: "BAD_REQUEST" } }] });
};

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

/** The policy (src/auth/policy.ts) before anything executes: the whole operation or nothing. */
const authorization: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, document, operationName, request, schema }) {
        const refused = authorizeOperation(contextValue.principal, schema, document, operationName, request.variables);
        if (refused) throw refused;
      },
    };
  },
};

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
 * A value in the document that its scalar rejects (a malformed DateTime literal) is the caller's
 * bad input, the same as a bad variable, not a malformed query: give both BAD_USER_INPUT.
 */
function formatError(services: Services) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? error.originalError : undefined;
    const code = formatted.extensions?.code;
    if (code === "GRAPHQL_VALIDATION_FAILED" && original && !(original instanceof GraphQLError && original.extensions?.code)) {
      return { ...formatted, extensions: { ...formatted.extensions, code: "BAD_USER_INPUT" } };
    }
    if (code === "INTERNAL_SERVER_ERROR") {
      services.log.error({ err: original ?? error, path: formatted.path }, "unexpected error in a resolver");
      return { ...formatted, message: "Internal error; it has been logged. Retry, and report it if it persists." };
    }
    return formatted;
  };
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

function describe(result: PromiseSettledResult<unknown>): string {
  return result.status === "fulfilled" ? "ok" : result.reason instanceof Error ? result.reason.message : String(result.reason);
}
