import { cursorAfter, type Push } from "./push";

/**
 * One subscription's queue between the replica's router and graphql-ws: pushes wait here while
 * the client reads. graphql-ws awaits each socket write, so a client that reads slowly backs the
 * queue up; past `capacity` the subscriber is cut off (`onOverflow` closes its socket with a code
 * that says so) instead of letting memory grow. The client reconnects with `since` and catches up
 * from the replay stream.
 *
 * Pushes arrive both from the replay stream and live; a push at or before the last cursor handed
 * out is dropped, so the switch from replay to live neither repeats nor skips.
 */
export class Subscriber implements AsyncIterableIterator<Push> {
  private readonly buffer: Push[] = [];
  private waiting: ((result: IteratorResult<Push>) => void) | null = null;
  private done = false;
  private last: string | null;

  constructor(
    private readonly capacity: number,
    private readonly onOverflow: (buffered: number) => void,
    private readonly onEnd: () => void,
    since: string | null = null,
  ) {
    this.last = since;
  }

  /** Queues a push for the client; false when the subscriber is gone (ended or cut off). */
  offer(push: Push): boolean {
    if (this.done) return false;
    if (this.last !== null && !cursorAfter(push.cursor, this.last)) return true;
    this.last = push.cursor;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: push, done: false });
      return true;
    }
    this.buffer.push(push);
    if (this.buffer.length > this.capacity) {
      const buffered = this.buffer.length;
      this.end();
      this.onOverflow(buffered);
      return false;
    }
    return true;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  next(): Promise<IteratorResult<Push>> {
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<Push>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Push> {
    return this;
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.buffer.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    this.onEnd();
  }
}

/** WebSocket close code for a subscriber that read too slowly: its buffer filled. Clients reconnect with `since` and catch up from the replay stream. */
export const CLOSE_SLOW_CONSUMER = 4413;
