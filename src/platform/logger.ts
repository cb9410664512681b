import { pino, type Logger } from "pino";
import { traceLogFields } from "./tracing";

export type { Logger };

/**
 * Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info, silent under tests).
 * With tracing on (./tracing.ts), a line written inside a span carries its `trace_id` and `span_id`.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level, base: { service: name }, mixin: traceLogFields });
}
