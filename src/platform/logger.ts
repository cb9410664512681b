import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info, silent under tests). */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level, base: { service: name } });
}
