import { pino, type DestinationStream, type Logger } from "pino";
import { traceLogFields } from "./tracing";

export type { Logger };

/**
 * Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info, silent under tests).
 * With tracing on (./tracing.ts), a line written inside a span carries its `trace_id` and `span_id`.
 * A request's own lines (its errors, its access-log line) carry its `reqId` through the request's
 * child logger (src/server/context.ts). `destination`: somewhere else than stdout (tests read the lines).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info", destination?: DestinationStream): Logger {
  const options = { name, level, base: { service: name }, mixin: traceLogFields };
  return destination ? pino(options, destination) : pino(options);
}
