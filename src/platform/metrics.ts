import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The process's one Prometheus registry and every metric the gateway exports, by name (prefix
 * `c360_`), served at /metrics (src/server/metrics-endpoint.ts). Domain rooms call these objects and
 * never import prom-client themselves. Labels are closed sets (a channel code, an operation name
 * from the trusted-documents manifest, a stream's name) so a client cannot grow the series count.
 *
 * Everything here is in-process counting (a few hundred nanoseconds an update); anything that needs
 * a round trip (stream lengths in Redis) is read at scrape time by a {@link onScrape} probe, never on
 * the request path.
 */
export const registry = new Registry();

/**
 * METRICS=off (read once, at start): nothing is counted, the metrics below are no-ops and /metrics
 * answers 404. For measuring what metrics cost (bench/observability.ts) and for an operator who
 * wants none; on by default.
 */
export const metricsOn = process.env.METRICS !== "off";

// Node's own figures (CPU, heap, event-loop lag, GC), under the same prefix as the rest.
if (metricsOn) collectDefaultMetrics({ register: registry, prefix: "c360_" });

/** A child of a labelled metric, or an unlabelled one, that does nothing (METRICS=off). */
const NOOP_METRIC = { inc: () => undefined, dec: () => undefined, set: () => undefined, observe: () => undefined, reset: () => undefined, labels: () => NOOP_METRIC };

/** The metric `make` builds, or a no-op of the same face with METRICS=off. */
function metric<T>(make: () => T): T {
  return metricsOn ? make() : (NOOP_METRIC as unknown as T);
}

/** Latency buckets for whole operations (seconds): 5 ms … 10 s, the request deadline's order. */
const OPERATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Latency buckets for one statement or one decision: 0.5 ms … 5 s. */
const STATEMENT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
/** Lags behind the fact (seconds): 10 ms … 10 min. */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];

/** HTTP GraphQL requests being processed now (a Kubernetes HPA scales on this). */
export const httpInFlight = metric(() => new Gauge({ name: "c360_http_requests_in_flight", help: "HTTP GraphQL requests being processed now", registers: [registry] }));

/**
 * Whole GraphQL operations, from the request's arrival to its answer. `operation` is the
 * operation's name when the trusted-documents manifest knows it, else "other"; `type` query,
 * mutation or subscription (a subscription's set-up only); `transport` http or ws; `outcome` ok or
 * error (any error in the answer).
 */
export const operationDuration = metric(() => new Histogram({
  name: "c360_graphql_operation_duration_seconds",
  help: "GraphQL operations by name (known operations only, others as 'other'), type, transport and outcome",
  labelNames: ["operation", "type", "transport", "outcome"] as const,
  buckets: OPERATION_BUCKETS,
  registers: [registry],
}));

/** Offers decided (each placement one), by channel code. */
export const decisionsMade = metric(() => new Counter({ name: "c360_decisions_total", help: "Offers decided (placements), by channel", labelNames: ["channel"] as const, registers: [registry] }));

/** One decision run (rank, policy screen and reserve, write), by channel code. */
export const decisionDuration = metric(() => new Histogram({
  name: "c360_decision_duration_seconds",
  help: "Time to decide for one customer on one channel",
  labelNames: ["channel"] as const,
  buckets: STATEMENT_BUCKETS,
  registers: [registry],
}));

/** Pushes the event consumer published for routing to every replica, by kind (offer, desk, …). */
export const pushesPublished = metric(() => new Counter({ name: "c360_pushes_published_total", help: "Pushes published by this replica's event consumer, by kind", labelNames: ["kind"] as const, registers: [registry] }));

/** Pushes handed to a live subscription on this replica, by kind. */
export const pushesDelivered = metric(() => new Counter({ name: "c360_pushes_delivered_total", help: "Pushes delivered to subscriptions on this replica, by kind", labelNames: ["kind"] as const, registers: [registry] }));

/** Subscriptions closed because their client did not keep up (PUSH_BUFFER full). */
export const pushOverflows = metric(() => new Counter({ name: "c360_push_overflows_total", help: "Subscriptions closed because their push buffer overflowed", registers: [registry] }));

/** GraphQL subscriptions open on this replica now. */
export const subscriptionsOpen = metric(() => new Gauge({ name: "c360_subscriptions_open", help: "GraphQL subscriptions open on this replica", registers: [registry] }));

/** WebSocket connections open on this replica now (authenticated or not yet). */
export const socketsOpen = metric(() => new Gauge({ name: "c360_websocket_connections", help: "WebSocket connections open on this replica", registers: [registry] }));

/** Events this replica's consumer finished with, by outcome (processed, duplicate, parked, failed: retried later). */
export const eventsHandled = metric(() => new Counter({ name: "c360_events_total", help: "Events handled by this replica's consumer, by outcome", labelNames: ["outcome"] as const, registers: [registry] }));

/** From an event's acceptance (its stream entry) to the end of its processing (pushes published, decisions queued). */
export const eventLag = metric(() => new Histogram({ name: "c360_event_lag_seconds", help: "Event acceptance to processed", buckets: LAG_BUCKETS, registers: [registry] }));

/** The event stream, read at scrape time: entries, pending (delivered, not acknowledged), lag (not yet delivered), parked. */
export const eventBacklog = metric(() => new Gauge({ name: "c360_event_backlog", help: "The event stream at scrape time: length, pending, lag (undelivered), parked", labelNames: ["state"] as const, registers: [registry] }));

/**
 * Bolt round trips (statements), by mode (read, write, tx: one statement of a transaction) and
 * work (request: requests and the event consumer; background: index builds and jobs).
 */
export const neo4jRoundTrips = metric(() => new Counter({ name: "c360_neo4j_round_trips_total", help: "Cypher statements sent to Neo4j, by mode and work", labelNames: ["mode", "work"] as const, registers: [registry] }));

/** Statements that failed, by Neo4j's code class (e.g. Neo.TransientError.Transaction) or "ServiceUnavailable" when the driver could not reach it. */
export const neo4jErrors = metric(() => new Counter({ name: "c360_neo4j_errors_total", help: "Cypher statements that failed, by Neo4j error code class", labelNames: ["code"] as const, registers: [registry] }));

/** One statement's time, sent to answered, by mode. */
export const neo4jDuration = metric(() => new Histogram({
  name: "c360_neo4j_statement_duration_seconds",
  help: "Cypher statement time, by mode",
  labelNames: ["mode"] as const,
  buckets: STATEMENT_BUCKETS,
  registers: [registry],
}));

/** In-process caches (src/platform/cache.ts Memo), by cache name and result (hit, stale: an old value served while refreshing, miss: waited for a load). */
export const cacheLookups = metric(() => new Counter({ name: "c360_cache_requests_total", help: "In-process cache lookups, by cache and result (hit, stale, miss)", labelNames: ["cache", "result"] as const, registers: [registry] }));

/** Write-behind streams (decisions, audit): entry appended to committed in Neo4j, per entry. */
export const writeBehindLag = metric(() => new Histogram({ name: "c360_write_behind_lag_seconds", help: "Write-behind entry appended to committed in Neo4j, by stream", labelNames: ["stream"] as const, buckets: LAG_BUCKETS, registers: [registry] }));

/** Write-behind entries appended and not yet committed by any replica, read at scrape time. */
export const writeBehindBacklog = metric(() => new Gauge({ name: "c360_write_behind_backlog", help: "Write-behind entries not yet committed, at scrape time, by stream", labelNames: ["stream"] as const, registers: [registry] }));

/** Write-behind entries committed, by stream. */
export const writeBehindMoved = metric(() => new Counter({ name: "c360_write_behind_committed_total", help: "Write-behind entries committed to Neo4j, by stream", labelNames: ["stream"] as const, registers: [registry] }));

/** Seconds since `startMs` (a `performance.now()` reading). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1_000;
}

/** A probe run before each scrape to read figures that live elsewhere (a stream's length in Redis). */
export type ScrapeProbe = () => Promise<void>;

const probes = new Set<ScrapeProbe>();

/** How long a scrape waits for its probes: Prometheus's own scrape timeout is 10 s by default. */
const PROBE_TIMEOUT_MS = 2_000;

/** Registers a probe run at every scrape; returns its removal (a gateway's close). */
export function onScrape(probe: ScrapeProbe): () => void {
  probes.add(probe);
  return () => probes.delete(probe);
}

/**
 * The exposition text: probes first (in parallel, each given {@link PROBE_TIMEOUT_MS}; one that
 * fails or is late leaves its gauges at their last values, so an outage of Redis does not fail the
 * scrape of everything else), then every metric.
 */
export async function scrape(): Promise<string> {
  await Promise.allSettled(
    [...probes].map((probe) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([probe(), new Promise<void>((resolve) => (timer = setTimeout(resolve, PROBE_TIMEOUT_MS)))]).finally(() => clearTimeout(timer));
    }),
  );
  return registry.metrics();
}

/** The content type of {@link scrape}'s text. */
export const METRICS_CONTENT_TYPE = registry.contentType;
