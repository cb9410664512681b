import { setTimeout as delay } from "node:timers/promises";

export interface EventuallyOptions {
  /** What is awaited, for the time-out message: "events processed", "readiness after Neo4j returns". */
  what: string;
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** Pause between attempts; default 20 ms. */
  intervalMs?: number;
}

/**
 * Retries `check` (an assertion: it passes by not throwing) until it passes, and returns what it
 * returned. On time-out the last failure is thrown, its message prefixed with `what`, so the report
 * says both what was awaited and how far it got ("expected 1, got 2").
 *
 * For state that announces no change (a Redis hash, readiness, a replica's cache). Where there is
 * something to await (an event, a socket message, a `Collector` receiving N items), await it instead.
 */
export async function eventually<T>(check: () => T | Promise<T>, { what, timeoutMs = 10_000, intervalMs = 20 }: EventuallyOptions): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw timedOut(error, what, timeoutMs);
    }
    await delay(intervalMs);
  }
}

/** The last failure, named after what was awaited (an AssertionError keeps its actual and expected values). */
function timedOut(error: unknown, what: string, timeoutMs: number): Error {
  const prefix = `${what}: still failing after ${timeoutMs} ms`;
  if (error instanceof Error) {
    const original = error.message;
    error.message = `${prefix}: ${original}`;
    // The reporter prints the stack, which was written with the original message.
    if (error.stack && original) error.stack = error.stack.replace(original, error.message);
    return error;
  }
  return new Error(`${prefix}: ${String(error)}`);
}

/**
 * `promise`, or a failure naming `what` once `timeoutMs` pass: for awaiting an event (a socket
 * closing, a message) that a broken server might never send, without hanging the file.
 */
export async function within<T>(promise: Promise<T>, { what, timeoutMs = 10_000 }: Omit<EventuallyOptions, "intervalMs">): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
