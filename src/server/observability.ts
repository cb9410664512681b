import { timingSafeEqual } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import type { RequestHandler } from "express";
import type { Logger } from "../platform/logger";
import { METRICS_CONTENT_TYPE, metricsOn, operationDuration, scrape, secondsSince } from "../platform/metrics";
import type { GatewayContext } from "./context";

/** An operation's label in the metrics: its name when the trusted-documents manifest knows it, else "other" (bounded cardinality). */
export function operationLabel(known: ReadonlySet<string>, name: string | null | undefined): string {
  return name && known.has(name) ? name : "other";
}

/**
 * Times every HTTP GraphQL operation (from Apollo's start of the request: the body parsed and the
 * token checked, to the answer) into c360_graphql_operation_duration_seconds, and writes one debug
 * line per operation (name, type, outcome, ms, Bolt round trips; with tracing on it carries the
 * trace id). The warm-up's rehearsals are not counted.
 */
export function operationMetrics(known: ReadonlySet<string>, log: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ contextValue, operation, operationName, response }) {
          if (contextValue.rehearsal) return;
          const type = operation?.operation ?? "unknown";
          const failed = response.body.kind === "single" && (response.body.singleResult.errors?.length ?? 0) > 0;
          const seconds = secondsSince(started);
          operationDuration.observe({ operation: operationLabel(known, operationName), type, transport: "http", outcome: failed ? "error" : "ok" }, seconds);
          log.debug({ operation: operationName ?? null, type, outcome: failed ? "error" : "ok", ms: Math.round(seconds * 10_000) / 10, boltRoundTrips: contextValue.graph.counter.queries }, "graphql operation");
        },
      };
    },
  };
}

/**
 * GET /metrics, Prometheus's text format. Who may read it (docs/OPERATIONS.md, "Metrics"):
 * - METRICS_TOKEN set: only a request with `Authorization: Bearer <METRICS_TOKEN>` (Prometheus's
 *   `authorization.credentials_file`), in any mode;
 * - unset, in development: anyone who can reach the port;
 * - unset, in production: nobody (403 saying to set it): figures of traffic and backlogs are for
 *   operators, and a gateway port is usually public.
 */
export function metricsEndpoint(token: string | undefined, production: boolean): RequestHandler {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return async (req, res, next) => {
    try {
      if (!metricsOn) {
        res.status(404).type("text/plain").send("Metrics are off on this gateway (METRICS=off); unset METRICS to serve them.\n");
        return;
      }
      if (!expected && production) {
        res.status(403).type("text/plain").send("Metrics are not served in production without METRICS_TOKEN: set METRICS_TOKEN on the gateway and send it as \"Authorization: Bearer <token>\".\n");
        return;
      }
      if (expected) {
        const given = Buffer.from(req.headers.authorization ?? "");
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          res.status(401).set("WWW-Authenticate", 'Bearer realm="metrics"').type("text/plain").send("Metrics need \"Authorization: Bearer <METRICS_TOKEN>\"; the header was missing or held another token.\n");
          return;
        }
      }
      const text = await scrape();
      res.status(200).set("Content-Type", METRICS_CONTENT_TYPE).send(text);
    } catch (error) {
      next(error);
    }
  };
}
