import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/** What every log line written while serving one request carries (src/platform/logger.ts's mixin). */
export interface RequestContext {
  /** The caller's `X-Request-Id` when it is a sane one, else a fresh UUID; echoed in the answer's header. */
  reqId: string;
}

/**
 * The request a piece of work belongs to, carried through awaits by Node's AsyncLocalStorage: the
 * services log through one process-wide logger, so a child logger per request (pino-http's way)
 * would not reach the lines they write; a store every async continuation inherits does.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** An id a caller (a balancer, a front end) may hand in: short and printable, so it cannot forge log lines. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's id when it is usable as one, else a new UUID. */
export function requestIdFrom(given: string | string[] | undefined): string {
  const id = Array.isArray(given) ? given[0] : given;
  return id && CALLER_ID.test(id) ? id : randomUUID();
}
