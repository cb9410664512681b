import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { GraphQLInstrumentation } from "@opentelemetry/instrumentation-graphql";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type Sampler } from "@opentelemetry/sdk-trace";
import type { SpanAttributes, TracingHooks } from "./tracing-hooks";

/**
 * The OpenTelemetry SDK, loaded by ./tracing.ts only when tracing is on (a dynamic import: with
 * tracing off, none of these modules is required). Spans go in batches over OTLP/HTTP (JSON) to
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + /v1/traces (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), which the
 * exporter reads itself, with `OTEL_EXPORTER_OTLP_HEADERS` for a collector that wants a key.
 *
 * What is spanned, and what is not (the cost has to stay within a few percent of throughput):
 * - every incoming HTTP request (instrumentation-http), except /healthz, /readyz and /metrics,
 *   which probes and scrapers call every few seconds; W3C `traceparent` is honoured, so a
 *   caller's trace continues here;
 * - GraphQL parse, validate and execute (instrumentation-graphql), with NO span per resolver: a
 *   unified view answer has ~700 fields, and a span each would cost more than the request;
 *   the Cypher and Redis spans under `execute` say where its time went;
 * - every Redis command (instrumentation-ioredis), named by the command only: keys carry customer
 *   ids, and values are personal data;
 * - every Cypher statement (the one executor, src/platform/neo4j.ts: no instrumentation package
 *   covers neo4j-driver 6), named by the statement's short name (./tracing.ts statementName);
 * - every WebSocket operation (src/server/websocket.ts), one span per subscribe.
 */
export function startSdk(serviceName: string, env: NodeJS.ProcessEnv): TracingHooks {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || serviceName }),
    sampler: samplerOf(env),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batchOptionsOf(env) })],
  });
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ""),
        // The gateway's own outgoing HTTP (a JWKS fetch) only matters inside a request.
        requireParentforOutgoingSpans: true,
      }),
      new GraphQLInstrumentation({ ignoreResolveSpans: true, ignoreTrivialResolveSpans: true, mergeItems: true, allowValues: false }),
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  const tracer = trace.getTracer("c360-gateway");
  const kinds = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT, server: SpanKind.SERVER } as const;
  return {
    span: <T>(name: string, attributes: SpanAttributes, work: () => Promise<T>, kind: "internal" | "client" | "server" = "internal"): Promise<T> =>
      tracer.startActiveSpan(name, { kind: kinds[kind], attributes }, async (span) => {
        try {
          return await work();
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          if (error instanceof Error) span.recordException(error);
          throw error;
        } finally {
          span.end();
        }
      }),
    logFields: () => {
      const active = trace.getSpan(context.active());
      if (!active) return undefined;
      const { traceId, spanId } = active.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
}

/**
 * OpenTelemetry's standard OTEL_BSP_* variables (the SDK's 3.x line no longer reads them itself):
 * how long spans wait to be sent in a batch (default 5 s), the batch size, and the queue's cap (spans
 * beyond it are dropped, not held: a slow collector must not grow the gateway's memory).
 */
function batchOptionsOf(env: NodeJS.ProcessEnv): { scheduledDelayMillis?: number; maxExportBatchSize?: number; maxQueueSize?: number; exportTimeoutMillis?: number } {
  const positive = (raw: string | undefined): number | undefined => {
    const n = Number(raw);
    return raw && Number.isInteger(n) && n > 0 ? n : undefined;
  };
  const options = {
    scheduledDelayMillis: positive(env.OTEL_BSP_SCHEDULE_DELAY),
    maxExportBatchSize: positive(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
    maxQueueSize: positive(env.OTEL_BSP_MAX_QUEUE_SIZE),
    exportTimeoutMillis: positive(env.OTEL_BSP_EXPORT_TIMEOUT),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/** Probes and scrapes: frequent, and of no interest in a trace. */
const UNTRACED_PATHS = /^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * OpenTelemetry's standard OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG: the parent's decision
 * is followed (a caller that samples a trace gets it whole), and a root is sampled at the ratio
 * given (default: every one).
 */
function samplerOf(env: NodeJS.ProcessEnv): Sampler {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const root = /traceidratio$/.test(env.OTEL_TRACES_SAMPLER ?? "") && Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  const name = env.OTEL_TRACES_SAMPLER || "parentbased_always_on";
  return name.startsWith("parentbased") ? new ParentBasedSampler({ root }) : root;
}
