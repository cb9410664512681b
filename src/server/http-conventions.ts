import { randomUUID } from "node:crypto";
import compression from "compression";
import cors from "cors";
import type { RequestHandler } from "express";
import type { Principal } from "../auth/principal";
import type { Logger } from "../platform/logger";

/**
 * What client teams expect of an HTTP API besides GraphQL itself: a request id, an access log,
 * CORS for front ends on other origins, compressed answers, and answers no shared cache keeps.
 */

/** Paths a balancer or an orchestrator polls every few seconds: answered, but not written to the access log. */
const PROBES: ReadonlySet<string> = new Set(["/healthz", "/readyz"]);

/** An id a caller (a balancer, a front end) may hand in: short and printable, so it cannot forge log lines. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's id when it is usable as one, else a new UUID. */
export function requestIdFrom(given: string | string[] | undefined): string {
  const id = Array.isArray(given) ? given[0] : given;
  return id && CALLER_ID.test(id) ? id : randomUUID();
}

/** What {@link requestIds} leaves for the context factory (the request's child logger, ./context.ts). */
export interface RequestIdLocals {
  reqId: string;
}

/**
 * Gives the request its id (the caller's `X-Request-Id` if sane, else a new one), echoes it in the
 * answer's `X-Request-Id`, leaves it in res.locals for the request's logger (its error lines carry
 * `reqId`), and writes one access-log line when the answer is sent (or the client left before it,
 * `aborted`): method, path without the query string (a GET's query and variables can hold phone
 * numbers), status, milliseconds, the operation's name and who asked. Server errors log at warn, the rest at info (LOG_LEVEL=warn
 * leaves only those).
 *
 * Not an AsyncLocalStorage around the request, which would put the id on every line any service
 * writes: on Node 20 its promise hooks cost each decision about 0.3 ms of gateway CPU (9%; measured
 * with the decisions bench), more than the id is worth. With tracing on, OpenTelemetry pays that
 * price anyway, and every line inside a span carries the trace id (src/platform/tracing.ts).
 */
export function requestIds(log: Logger): RequestHandler {
  return (req, res, next) => {
    const reqId = requestIdFrom(req.headers["x-request-id"]);
    res.setHeader("X-Request-Id", reqId);
    (res.locals as RequestIdLocals).reqId = reqId;
    const path = req.path;
    if (!PROBES.has(path)) {
      const started = process.hrtime.bigint();
      // 'close' comes after the answer is sent, and also when the client went away before it.
      res.once("close", () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const principal = (res.locals as { principal?: Principal }).principal;
        const line = {
          reqId,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          operation: operationName(req.body, req.query),
          principal: principal?.id,
          ...(res.writableFinished ? {} : { aborted: true }),
        };
        if (res.statusCode >= 500) log.warn(line, "request");
        else log.info(line, "request");
      });
    }
    next();
  };
}

/** The operation's name as the client gave it (POST body or GET parameter), cut short; absent when none. */
function operationName(body: unknown, query: unknown): string | undefined {
  const fromBody = body && typeof body === "object" ? (body as { operationName?: unknown }).operationName : undefined;
  const given = fromBody ?? (query && typeof query === "object" ? (query as { operationName?: unknown }).operationName : undefined);
  return typeof given === "string" && given.length > 0 ? given.slice(0, 100) : undefined;
}

/** Headers a browser client on another origin may read from an answer. */
const EXPOSED_HEADERS = ["X-Request-Id", "X-Graph-Bookmark", "x-bolt-round-trips"];

/**
 * CORS for front ends served from another origin. The allowed origins are the WebSocket's
 * (ALLOWED_ORIGINS): unset, the answers carry no CORS header at all and only pages of the gateway's
 * own origin may call it (deny by default). No credentials: tokens travel in `Authorization`, not
 * in cookies. A preflight is answered here (204), before the body parser and the API.
 */
export function crossOrigin(allowed: readonly string[] | null): RequestHandler {
  const origins = new Set(allowed ?? []);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin)),
    methods: ["GET", "POST"],
    exposedHeaders: EXPOSED_HEADERS,
    // Browsers cache the preflight this long (Chromium caps it at 2 hours).
    maxAge: 600,
  });
}

/**
 * gzip or deflate (or brotli) per the client's Accept-Encoding, for answers over 1 KiB: a
 * unified view is about 10 KiB of JSON, which compresses to about a tenth. Clients that do not ask
 * (load generators, most server-side clients) get the plain bytes and pay nothing.
 */
export function compressed(): RequestHandler {
  return compression({ threshold: 1024 });
}

/**
 * GraphQL answers hold personal data: no cache, shared or private, keeps them (a GET is now served,
 * see docs/API.md "HTTP"), and `Vary` says the answer depends on who asks.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  res.vary("Authorization");
  next();
};
