import { pino, type DestinationStream, type Logger } from "pino";
import { requestContext } from "./request-context";

export type { Logger };

/**
 * Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info, silent under tests).
 * A line written while serving a request carries its `reqId` (./request-context.ts), whichever
 * service wrote it. `destination`: somewhere else than stdout (tests read the lines).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info", destination?: DestinationStream): Logger {
  const options = { name, level, base: { service: name }, mixin: () => requestContext.getStore() ?? {} };
  return destination ? pino(options, destination) : pino(options);
}
