import { cacheLookups } from "./metrics";

/** A bound child of a labelled counter. */
type Counter = ReturnType<typeof cacheLookups.labels>;

/**
 * One value loaded on demand and kept for `ttlMs`: the in-process caches of data that changes
 * rarely but is read on every request (reference data, the marketing snapshot, the contact
 * policy, the propensity model).
 *
 * - Concurrent callers share one load; a failed load is not remembered, so the next call retries.
 * - Freshness counts from when the load started: the value is at least as new as that moment.
 * - `invalidate()` drops the value, and a load under way is not kept (it may have read before the
 *   change that invalidated it); callers already waiting on it still get its answer.
 * - Local writes: `set` stores a value the process knows to be current, `update` changes the
 *   value in place; either way a load under way is not kept, for the same reason.
 * - Two ways to serve an old value, for callers that prefer it to waiting or to an error:
 *   `staleWhileRevalidate` answers at once with it while a refresh runs in the background, and
 *   `staleOnError` answers with it when the refresh fails with an error it accepts. Either way the
 *   old value stays expired, so the next call tries again.
 */
export interface MemoOptions {
  /** Once a value was loaded, serve it when expired while one refresh runs in the background (and keep serving it if that fails). */
  staleWhileRevalidate?: boolean;
  /** When a load fails with an error this accepts, answer with the last value instead (if there is one). */
  staleOnError?: (error: unknown) => boolean;
  /** The cache's name in the metrics (c360_cache_requests_total{cache}); unnamed caches are not counted. */
  name?: string;
}

/** A lazily loaded value with a time to live; see the module comment for its rules. */
export class Memo<T> {
  private current: { value: T; expires: number } | undefined;
  private loading: Promise<T> | undefined;
  /** Bumped by every invalidate, set and update: a load that started before one of them is not kept. */
  private generation = 0;
  /** This cache's counters (hit, stale, miss), bound once; null when unnamed. */
  private readonly lookups: { hit: Counter; stale: Counter; miss: Counter } | null;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly options: MemoOptions = {},
  ) {
    const name = options.name;
    this.lookups = name ? { hit: cacheLookups.labels(name, "hit"), stale: cacheLookups.labels(name, "stale"), miss: cacheLookups.labels(name, "miss") } : null;
  }

  /** The value, loaded if there is none or it expired (see {@link MemoOptions} for when an old one is served). */
  get(): Promise<T> {
    const current = this.current;
    if (current && Date.now() < current.expires) {
      this.lookups?.hit.inc();
      return Promise.resolve(current.value);
    }
    const loading = this.loading ?? this.refresh();
    if (current && this.options.staleWhileRevalidate) {
      this.lookups?.stale.inc();
      // Nobody awaits the background refresh: its failure must not surface as an unhandled rejection.
      loading.catch(() => undefined);
      return Promise.resolve(current.value);
    }
    this.lookups?.miss.inc();
    return loading;
  }

  /** The value held now, fresh or not, without loading; undefined before the first load. */
  peek(): T | undefined {
    return this.current?.value;
  }

  /** Forgets the value; the next `get` loads again and waits for it. */
  invalidate(): void {
    this.generation += 1;
    this.current = undefined;
    this.loading = undefined;
  }

  /** Stores a value known to be current (this process just wrote it), fresh for `ttlMs`. */
  set(value: T): void {
    this.generation += 1;
    this.current = { value, expires: Date.now() + this.ttlMs };
  }

  /**
   * Applies a change this process made to the value held (if any) in place, without reloading.
   * A refresh under way may have read before the change, so it is not kept: the value stays as
   * old as it was, and an expired one is refreshed again by the next `get`.
   */
  update(change: (value: T) => void): void {
    if (!this.current) return;
    change(this.current.value);
    this.generation += 1;
  }

  private refresh(): Promise<T> {
    const generation = this.generation;
    const expires = Date.now() + this.ttlMs;
    const loading: Promise<T> = this.load()
      .then(
        (value) => {
          if (generation === this.generation) {
            this.current = { value, expires };
            return value;
          }
          // Overtaken by a local change: the value held now is the better answer, if there is one.
          return this.current?.value ?? value;
        },
        (error: unknown) => {
          if (this.current && this.options.staleOnError?.(error)) return this.current.value;
          throw error;
        },
      )
      .finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    this.loading = loading;
    return loading;
  }
}
