import { pino, type DestinationStream, type Logger } from "pino";
import { requestContext } from "./request-context";
import { traceLogFields } from "./tracing";

export type { Logger };

/**
 * Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info, silent under tests).
 * A line written while serving a request carries its `reqId` (./request-context.ts), whichever
 * service wrote it; with tracing on (./tracing.ts), a line written inside a span carries its
 * `trace_id` and `span_id`. `destination`: somewhere else than stdout (tests read the lines).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info", destination?: DestinationStream): Logger {
  const options = { name, level, base: { service: name }, mixin: lineContext };
  return destination ? pino(options, destination) : pino(options);
}

/** A fresh object per line: pino merges the line's own fields into what the mixin returns. */
function lineContext(): Record<string, string> {
  const request = requestContext.getStore();
  return request ? { reqId: request.reqId, ...traceLogFields() } : traceLogFields();
}
