import { cursorAfter, type Push } from "./push";

/**
 * One subscription's queue between the replica's router and graphql-ws. First it hands out what
 * the client missed (the replay, read page by page only as fast as the client takes it), then the
 * live pushes, which wait here while the client reads. graphql-ws awaits each socket write, so a
 * client that reads slowly backs the queue up; past `capacity` live pushes the subscriber is cut
 * off (`onOverflow` closes its socket with a code that says so) instead of letting memory grow.
 * The client reconnects with `since` and catches up from the replay stream.
 *
 * A push at or before the last cursor handed out is dropped, so the switch from replay to live
 * (which overlap: the subscriber is registered before the replay is read) neither repeats nor skips.
 */
export class Subscriber implements AsyncIterableIterator<Push> {
  private readonly buffer: Push[] = [];
  private waiting: ((result: IteratorResult<Push>) => void) | null = null;
  private done = false;
  private last: string | null;
  private replay: AsyncIterator<Push> | null;

  constructor(
    private readonly capacity: number,
    private readonly onOverflow: (buffered: number) => void,
    private readonly onEnd: () => void,
    since: string | null = null,
    replay: AsyncIterable<Push> | null = null,
  ) {
    this.last = since;
    this.replay = replay ? replay[Symbol.asyncIterator]() : null;
  }

  /** Queues a live push for the client (nothing, once the subscriber has ended). */
  offer(push: Push): void {
    if (this.done) return;
    if (this.waiting && !this.replay) {
      if (!this.isNew(push)) return;
      const resolve = this.waiting;
      this.waiting = null;
      resolve(this.handOut(push));
      return;
    }
    this.buffer.push(push);
    if (this.buffer.length > this.capacity) {
      const buffered = this.buffer.length;
      this.end();
      this.onOverflow(buffered);
    }
  }

  /** Ends the subscription from the server's side (the caller closes the client's socket). */
  cancel(): void {
    this.end();
  }

  async next(): Promise<IteratorResult<Push>> {
    for (;;) {
      if (this.done) return { value: undefined, done: true };
      if (this.replay) {
        const r = await this.replay.next().catch((error: unknown) => {
          this.end();
          throw error;
        });
        if (r.done) this.replay = null;
        else if (this.isNew(r.value)) return this.handOut(r.value);
        continue;
      }
      const value = this.buffer.shift();
      if (value) {
        if (this.isNew(value)) return this.handOut(value);
        continue;
      }
      return new Promise((resolve) => (this.waiting = resolve));
    }
  }

  return(): Promise<IteratorResult<Push>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Push> {
    return this;
  }

  private isNew(push: Push): boolean {
    return this.last === null || cursorAfter(push.cursor, this.last);
  }

  private handOut(push: Push): IteratorResult<Push> {
    this.last = push.cursor;
    return { value: push, done: false };
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.buffer.length = 0;
    void this.replay?.return?.();
    this.replay = null;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    this.onEnd();
  }
}
