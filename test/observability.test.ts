import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { gunzipSync } from "node:zlib";
import { before, describe, test } from "node:test";
import { print } from "graphql";
import { UnifiedViewDocument } from "../schema/generated/operations";
import { ConfigError, loadConfig } from "../src/platform/config";
import { PROJECT_ROOT } from "../src/platform/paths";
import { statementName } from "../src/platform/tracing";
import { tokenFor } from "./support/auth";
import { freshCustomer } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, postGraphQL, startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, processed, subscriptionsOn, testRedis } from "./support/live";
import { leftover } from "./support/leftovers";
import { startGatewayProcess } from "./support/process-gateway";

/**
 * Metrics (/metrics, Prometheus text) and traces (OTLP/HTTP to a receiver of this file's own),
 * from real requests on real gateways: the operation histogram by name, decisions, pushes and
 * events counted, Neo4j round trips, open subscriptions up and down, the access rule in
 * production, the Grafana dashboard's metrics all served; and one trace from the HTTP request
 * through the GraphQL operation to its Cypher statements and Redis commands, whose id the
 * gateway's log line carries.
 */

const UNIFIED_VIEW = print(UnifiedViewDocument);

let gw: TestGateway;

before(async () => {
  gw = await startTestGateway();
  await openPolicy(gw);
});

/** One sample of the exposition text: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus's text format (the lines prom-client writes: no timestamps, no escapes in our label values). */
function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) types.set(type[1], type[2]);
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m?.[1] && m[3], `an exposition line that does not parse: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) labels[k as string] = v as string;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

async function scrape(target: TestGateway | string = gw, token?: string): Promise<Sample[]> {
  const res = await fetch(metricsUrl(target), token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text()).samples;
}

function metricsUrl(target: TestGateway | string): string {
  return `${new URL(typeof target === "string" ? target : target.url).origin}/metrics`;
}

describe("metrics", () => {
  test("an operation is timed under its name (a name outside the manifest as 'other'), and its Bolt round trips are counted", async () => {
    const { customer } = await freshCustomer();
    // A first view fills the reference data's caches (a cold fill is a miss, and lookups made while it
    // runs wait for it): the measured view below then finds them filled.
    dataOf(await gw.raw(UNIFIED_VIEW, { id: customer.id }));
    const before = await scrape();
    const res = await fetch(gw.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await tokenFor({})}` },
      body: JSON.stringify({ query: UNIFIED_VIEW, variables: { id: customer.id } }),
    });
    const body = (await res.json()) as { data?: { customer?: { id: string } }; errors?: unknown };
    assert.equal(body.data?.customer?.id, customer.id, JSON.stringify(body.errors));
    const trips = Number(res.headers.get("x-bolt-round-trips"));
    assert.ok(trips >= 1, `the view read the graph (x-bolt-round-trips ${trips})`);
    // A client's own name is not a label: it would let any client add series.
    dataOf(await gw.raw(`query MadeUpByAClient${process.pid} { __typename }`));
    const after = await scrape();

    const count = "c360_graphql_operation_duration_seconds_count";
    const view = { operation: "UnifiedView", type: "query", transport: "http", outcome: "ok" };
    assert.equal(total(after, count, view) - total(before, count, view), 1, "one UnifiedView timed");
    assert.ok(total(after, "c360_graphql_operation_duration_seconds_sum", view) > total(before, "c360_graphql_operation_duration_seconds_sum", view));
    assert.equal(total(after, count, { operation: "other", transport: "http" }) - total(before, count, { operation: "other", transport: "http" }), 1, "the unknown name counted as other");
    assert.ok(!after.some((s) => s.labels.operation?.startsWith("MadeUpByAClient")), "no series carries the client's own name");
    // The buckets are cumulative: the +Inf bucket holds every observation.
    assert.equal(total(after, "c360_graphql_operation_duration_seconds_bucket", { ...view, le: "+Inf" }), total(after, count, view));

    // Other tests of this process may run statements meanwhile: at least the request's own.
    const reads = total(after, "c360_neo4j_round_trips_total") - total(before, "c360_neo4j_round_trips_total");
    assert.ok(reads >= trips, `round trips counted ${reads}, the request alone made ${trips}`);
    assert.ok(total(after, "c360_neo4j_statement_duration_seconds_count", { mode: "read" }) > total(before, "c360_neo4j_statement_duration_seconds_count", { mode: "read" }));
    // The gauge a Kubernetes HPA scales on is there, and nothing is in flight between requests.
    assert.ok(after.some((s) => s.name === "c360_http_requests_in_flight"));
    assert.equal(total(after, "c360_http_requests_in_flight"), 0);
    // The reference data's caches are looked up on every view.
    assert.ok(total(after, "c360_cache_requests_total", { result: "hit" }) > 0, "cache hits counted");
  });

  test("a live event: the subscription gauge goes up and down, decisions, the push, the event's lag and the write-behind are counted", async () => {
    const agentId = `A${process.pid}-obs`;
    const caller = (await freshCustomer()).customer.id;
    const before = await scrape();
    const live = new LiveClient(gw.url, tokenFor({ agentId }));
    const desk = live.subscribe<{ deskFeed: { customerId: string } }>(`subscription ($agentId: ID!) { deskFeed(agentId: $agentId) { cursor customerId offers { id } } }`, { agentId });
    await subscriptionsOn(gw, 1);
    const subscribed = await scrape();
    assert.equal(total(subscribed, "c360_subscriptions_open") - total(before, "c360_subscriptions_open"), 1, "one more subscription open");
    assert.ok(total(subscribed, "c360_websocket_connections") >= 1);

    const call = eventId("obs-call");
    assert.equal((await ingest(gw, [{ id: call, customerId: caller, type: "HOTLINE_CALL_START", payload: { agentId, callId: "OBS-1" } }])).accepted, 1);
    const [push] = await desk.atLeast(1);
    assert.equal(push?.deskFeed.customerId, caller);
    await processed(testRedis(), [call]);
    // The decisions go to the graph behind the push: wait for their commit rather than for a time.
    await eventually(async () => assert.ok(total(await scrape(), "c360_write_behind_committed_total", { stream: "decisions" }) > total(before, "c360_write_behind_committed_total", { stream: "decisions" })), {
      what: "the event's decisions committed by the write-behind",
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => total(after, name, labels) - total(before, name, labels);
    assert.ok(delta("c360_decisions_total", { channel: "HOTLINE" }) >= 1, "the desk's hotline offers were decided");
    assert.ok(delta("c360_decision_duration_seconds_count", { channel: "HOTLINE" }) >= 1);
    assert.equal(delta("c360_pushes_published_total", { kind: "desk" }), 1, "one desk push published");
    assert.equal(delta("c360_pushes_delivered_total", { kind: "desk" }), 1, "and delivered to the one subscription");
    assert.ok(delta("c360_events_total", { outcome: "processed" }) >= 1);
    assert.ok(delta("c360_event_lag_seconds_count") >= 1, "the event's lag observed");
    assert.ok(delta("c360_write_behind_lag_seconds_count", { stream: "decisions" }) >= 1, "the decisions' write-behind lag observed");
    // The backlogs are read from Redis at scrape time.
    assert.ok(after.some((s) => s.name === "c360_event_backlog" && s.labels.state === "length"));
    assert.ok(after.some((s) => s.name === "c360_write_behind_backlog" && s.labels.stream === "decisions"));

    await live.close();
    await subscriptionsOn(gw, 0);
    assert.equal(total(await scrape(), "c360_subscriptions_open"), total(before, "c360_subscriptions_open"), "the subscription gauge is back down");
  });

  test("a decision over HTTP counts its offers on its channel", async () => {
    const { customer } = await freshCustomer();
    const before = await scrape();
    const offers = dataOf(await gw.raw<{ nextBestOffers: Array<{ id: string }> }>(`query NextBestOffers($c: ID!) { nextBestOffers(customerId: $c, channel: APP, limit: 3) { id } }`, { c: customer.id })).nextBestOffers;
    const after = await scrape();
    assert.equal(total(after, "c360_decisions_total", { channel: "APP" }) - total(before, "c360_decisions_total", { channel: "APP" }), offers.length);
    assert.equal(total(after, "c360_graphql_operation_duration_seconds_count", { operation: "NextBestOffers" }) - total(before, "c360_graphql_operation_duration_seconds_count", { operation: "NextBestOffers" }), 1);
  });

  test("in production /metrics is refused without METRICS_TOKEN, and with one only to its bearer", async () => {
    const closed = await startTestGateway({ production: true });
    const refused = await fetch(metricsUrl(closed));
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /set METRICS_TOKEN/);

    const token = randomBytes(16).toString("hex");
    const guarded = await startTestGateway({ production: true, metricsToken: token });
    const anonymous = await fetch(metricsUrl(guarded));
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get("www-authenticate"), 'Bearer realm="metrics"');
    // A gateway token (even an ADMIN's) is not the metrics token.
    assert.equal((await fetch(metricsUrl(guarded), { headers: { authorization: `Bearer ${await tokenFor({ roles: ["ADMIN"] })}` } })).status, 401);
    assert.ok((await scrape(guarded, token)).some((s) => s.name === "c360_http_requests_in_flight"));
  });

  test("METRICS_TOKEN and METRICS are checked at start, each bad value in a sentence", () => {
    assert.throws(() => loadConfig({ METRICS_TOKEN: "short" }), (error: unknown) => error instanceof ConfigError && error.problems.some((p) => /METRICS_TOKEN must be at least 16 printable characters/.test(p)));
    assert.throws(() => loadConfig({ METRICS: "maybe" }), (error: unknown) => error instanceof ConfigError && error.problems.some((p) => /METRICS must be "on" or "off"/.test(p)));
    assert.equal(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).metricsToken, "0123456789abcdef");
    assert.equal(loadConfig({}).metricsToken, undefined);
  });

  test("every metric the Grafana dashboard queries is served", async () => {
    const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, "ops/grafana/c360-gateway.json"), "utf8")) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const used = new Set(dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\bc360_\w+/g)].map((m) => m[0])));
    assert.ok(used.size >= 15, `the dashboard queries ${used.size} metrics`);
    const res = await fetch(metricsUrl(gw));
    const { types } = parseMetrics(await res.text());
    // A histogram is queried through its series (_bucket, _sum, _count), a metric without samples yet still has its TYPE line.
    const served = new Set([...types].flatMap(([name, type]) => (type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])));
    const missing = [...used].filter((name) => !served.has(name));
    assert.deepEqual(missing, [], `the dashboard queries metrics /metrics does not serve: ${missing.join(", ")}`);
    for (const name of types.keys()) assert.ok(name.startsWith("c360_"), `every metric has the c360_ prefix: ${name}`);
  });
});

/** A span as OTLP/HTTP JSON carries it (the fields this file reads). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }>;
}

/** A small OTLP/HTTP receiver (JSON protocol): keeps every span POSTed to /v1/traces. */
async function otlpReceiver(): Promise<{ endpoint: string; spans: OtlpSpan[]; requests: number }> {
  const received = { spans: [] as OtlpSpan[], requests: 0, endpoint: "" };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      received.requests += 1;
      const raw = Buffer.concat(chunks);
      const text = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      assert.match(req.headers["content-type"] ?? "", /application\/json/, "the exporter speaks OTLP/HTTP JSON");
      const body = JSON.parse(text) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) received.spans.push(...(ss.spans ?? []));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  leftover("OTLP receiver", server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  received.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return received;
}

function attribute(span: OtlpSpan, key: string): string | undefined {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? String(value.intValue) : value?.boolValue !== undefined ? String(value.boolValue) : undefined);
}

/** The span's ancestors within `spans`, nearest first. */
function ancestors(span: OtlpSpan, spans: readonly OtlpSpan[]): OtlpSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: OtlpSpan[] = [];
  for (let parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; parent; parent = parent.parentSpanId ? byId.get(parent.parentSpanId) : undefined) chain.push(parent);
  return chain;
}

/** instrumentation-graphql's execution span: named "<type> <name>", with the operation's type as an attribute (parse and validate have none). */
function isExecute(span: OtlpSpan): boolean {
  return attribute(span, "graphql.operation.type") !== undefined && !span.name.startsWith("graphql.");
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

describe("traces", () => {
  test("one trace holds the HTTP request, the GraphQL operation, its Cypher statements and Redis commands, parent to child; the log line carries its id", async () => {
    const receiver = await otlpReceiver();
    const replica = await startGatewayProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "100", LOG_LEVEL: "debug" });
    const lines: string[] = [];
    createInterface({ input: replica.child.stdout! }).on("line", (line) => lines.push(line));
    const { customer } = await freshCustomer();
    // The caller's own trace continues in the gateway (W3C traceparent): its id finds this request's spans.
    const traceId = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const res = await fetch(replica.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await tokenFor({})}`, traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ query: UNIFIED_VIEW, variables: { id: customer.id } }),
    });
    const body = (await res.json()) as { data?: { customer?: { id: string } }; errors?: unknown };
    assert.equal(body.data?.customer?.id, customer.id, JSON.stringify(body.errors));

    const ours = (): OtlpSpan[] => receiver.spans.filter((s) => s.traceId === traceId);
    const cypherOf = (spans: readonly OtlpSpan[]): OtlpSpan[] => spans.filter((s) => attribute(s, "db.system") === "neo4j");
    const redisOf = (spans: readonly OtlpSpan[]): OtlpSpan[] => spans.filter((s) => (attribute(s, "db.system") ?? attribute(s, "db.system.name")) === "redis");
    const spans = await eventually(
      () => {
        const mine = ours();
        // The HTTP span ends last (when the answer is sent), so it may come in a later export batch.
        const served = mine.some((s) => s.kind === SPAN_KIND_SERVER && s.parentSpanId === callerSpan);
        assert.ok(served && mine.some(isExecute) && cypherOf(mine).length > 0 && redisOf(mine).length > 0, `spans so far: ${mine.map((s) => `${s.name}(${s.kind})`).join(", ")}`);
        return mine;
      },
      { what: "the request's spans at the OTLP receiver", timeoutMs: 20_000, intervalMs: 100 },
    );

    const http = spans.find((s) => s.kind === SPAN_KIND_SERVER && s.parentSpanId === callerSpan);
    assert.ok(http, `an HTTP server span, child of the caller's: ${spans.map((s) => `${s.name}(${s.kind})`).join(", ")}`);
    assert.match(http.name, /^POST/);
    const execute = spans.find(isExecute);
    assert.ok(execute);
    assert.equal(execute.name, "query UnifiedView");
    assert.ok(ancestors(execute, spans).includes(http), "the operation's execution runs under the HTTP span");
    assert.equal(attribute(execute, "graphql.operation.name"), "UnifiedView");
    for (const step of ["graphql.parse", "graphql.validate"]) assert.ok(spans.find((s) => s.name === step && ancestors(s, spans).includes(http)), `${step} under the HTTP span`);
    // No span per resolver: a view has hundreds of fields.
    assert.ok(!spans.some((s) => s.name.startsWith("graphql.resolve")), "no resolver spans");

    const cypher = cypherOf(spans);
    for (const span of cypher) {
      assert.equal(span.kind, SPAN_KIND_CLIENT);
      assert.ok(ancestors(span, spans).includes(http), `Cypher span ${span.name} is in the request's tree`);
      // Named, never the text with values.
      assert.match(attribute(span, "db.statement") ?? "", /^[A-Z]+( [A-Za-z0-9_]+)? #[0-9a-f]{8}$/);
      assert.doesNotMatch(JSON.stringify(span.attributes), new RegExp(customer.id));
    }
    assert.ok(
      cypher.some((s) => ancestors(s, spans).includes(execute)),
      "a Cypher statement of the view runs under the operation's execution",
    );
    const redis = redisOf(spans);
    for (const span of redis) {
      assert.ok(ancestors(span, spans).includes(http), `Redis span ${span.name} is in the request's tree`);
      // Commands by name only: keys carry customer ids.
      assert.doesNotMatch(JSON.stringify(span.attributes), new RegExp(customer.id));
    }

    // The operation's log line (debug) was written inside the request: it carries the trace's id.
    const logged = await eventually(
      () => {
        const line = lines.find((l) => l.includes('"msg":"graphql operation"') && l.includes(`"trace_id":"${traceId}"`));
        assert.ok(line, `a log line with trace_id ${traceId}`);
        return JSON.parse(line) as { operation: string; span_id: string };
      },
      { what: "the operation's log line", timeoutMs: 15_000 },
    );
    assert.equal(logged.operation, "UnifiedView");
    assert.ok(spans.some((s) => s.spanId === logged.span_id), "its span_id is one of the trace's spans");
  });

  test("a WebSocket operation gets a span of its own, with the operation's statements under it", async () => {
    const receiver = await otlpReceiver();
    const replica = await startGatewayProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "100" });
    const { customer } = await freshCustomer();
    const live = new LiveClient(replica.url);
    const view = live.subscribe<{ customer: { id: string } }>(UNIFIED_VIEW, { id: customer.id });
    const [answer] = await view.atLeast(1);
    assert.equal(answer?.customer.id, customer.id);
    const spans = await eventually(
      () => {
        const ws = receiver.spans.find((s) => s.name === "graphql.ws query UnifiedView");
        assert.ok(ws, `spans so far: ${[...new Set(receiver.spans.map((s) => s.name))].join(", ")}`);
        const trace = receiver.spans.filter((s) => s.traceId === ws.traceId);
        assert.ok(trace.some((s) => attribute(s, "db.system") === "neo4j"));
        return trace;
      },
      { what: "the WebSocket operation's spans", timeoutMs: 20_000, intervalMs: 100 },
    );
    const ws = spans.find((s) => s.name === "graphql.ws query UnifiedView");
    assert.ok(ws);
    assert.equal(ws.kind, SPAN_KIND_SERVER);
    for (const span of spans.filter((s) => attribute(s, "db.system") === "neo4j")) assert.ok(ancestors(span, spans).includes(ws), `${span.name} runs under the WebSocket operation's span`);
  });

  test("off by default: a gateway without OTEL_EXPORTER_OTLP_ENDPOINT has not loaded the SDK", async () => {
    // This process's test gateway runs without it: not one module of the SDK is in its require cache.
    assert.ok(gw);
    const loaded = Object.keys(require.cache).filter((path) => /[\\/]@opentelemetry[\\/](sdk-trace|exporter-trace-otlp-http|instrumentation)/.test(path));
    assert.deepEqual(loaded, []);
    const response = await postGraphQL<{ __typename: string }>(gw.url, "{ __typename }");
    assert.equal(response.data?.__typename, "Query");
  });

  test("statement names are short and stable, and tell statements apart", () => {
    const a = statementName("MATCH (c:Customer {id: $id}) RETURN c");
    assert.match(a, /^MATCH Customer #[0-9a-f]{8}$/);
    assert.equal(statementName("MATCH (c:Customer {id: $id}) RETURN c"), a);
    assert.notEqual(statementName("MATCH (c:Customer {id: $id}) RETURN c.name"), a);
    assert.match(statementName("// why\nUNWIND $rows AS row MERGE (d:Decision {id: row.id})"), /^UNWIND Decision #/);
  });
});
