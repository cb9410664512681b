import { startTracing } from "../platform/tracing";

/**
 * Imported first by src/main/start.ts (before any other module), so that with
 * OTEL_EXPORTER_OTLP_ENDPOINT set the OpenTelemetry SDK instruments node:http, graphql and ioredis
 * before the gateway loads them (../platform/tracing.ts). With it unset this loads nothing more.
 */
startTracing("c360-gateway");
