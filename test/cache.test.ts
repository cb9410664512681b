import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Memo } from "../src/platform/cache";

/**
 * The cache helper on its own (no services). Loads are deferreds the test settles, so each case
 * says exactly which load is running when; a TTL of 0 (always expired) or an hour (never, within a
 * test) replaces waiting for a clock.
 */

const HOUR = 3_600_000;

/** A load function whose calls the test settles one by one. */
class Loads<T> {
  readonly calls: Array<{ resolve: (value: T) => void; reject: (error: unknown) => void }> = [];

  readonly load = (): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      this.calls.push({ resolve, reject });
    });

  resolve(index: number, value: T): void {
    const call = this.calls[index];
    assert.ok(call, `load ${index} was never started (${this.calls.length} started)`);
    call.resolve(value);
  }

  reject(index: number, error: unknown): void {
    const call = this.calls[index];
    assert.ok(call, `load ${index} was never started (${this.calls.length} started)`);
    call.reject(error);
  }
}

/** Lets settled promises run their callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("Memo", () => {
  test("concurrent callers share one load, and the value is kept for the TTL", async () => {
    const loads = new Loads<string>();
    const memo = new Memo(loads.load, HOUR);
    const both = Promise.all([memo.get(), memo.get()]);
    assert.equal(loads.calls.length, 1);
    loads.resolve(0, "a");
    assert.deepEqual(await both, ["a", "a"]);
    assert.equal(await memo.get(), "a");
    assert.equal(loads.calls.length, 1, "no second load within the TTL");
    assert.equal(memo.peek(), "a");
  });

  test("an expired value is loaded again, and callers wait for it", async () => {
    const loads = new Loads<string>();
    const memo = new Memo(loads.load, 0);
    const first = memo.get();
    loads.resolve(0, "a");
    assert.equal(await first, "a");
    const second = memo.get();
    assert.equal(loads.calls.length, 2);
    loads.resolve(1, "b");
    assert.equal(await second, "b");
  });

  test("a failed load reaches every caller waiting on it and is not remembered: the next call loads again", async () => {
    const loads = new Loads<string>();
    const memo = new Memo(loads.load, HOUR);
    const waiting = [memo.get(), memo.get()];
    loads.reject(0, new Error("down"));
    for (const w of waiting) await assert.rejects(w, /down/);
    const retry = memo.get();
    assert.equal(loads.calls.length, 2);
    loads.resolve(1, "a");
    assert.equal(await retry, "a");
  });

  test("invalidate drops the value, and a load under way is not kept (its callers still get its answer)", async () => {
    const loads = new Loads<string>();
    const memo = new Memo(loads.load, HOUR);
    const first = memo.get();
    loads.resolve(0, "a");
    await first;
    memo.invalidate();
    assert.equal(memo.peek(), undefined);
    const during = memo.get();
    memo.invalidate(); // the change lands while the load reads
    const after = memo.get();
    assert.equal(loads.calls.length, 3, "a caller after the invalidation does not join the load that started before it");
    loads.resolve(1, "old");
    assert.equal(await during, "old");
    assert.equal(memo.peek(), undefined, "the overtaken load is not kept");
    loads.resolve(2, "new");
    assert.equal(await after, "new");
    assert.equal(await memo.get(), "new");
    assert.equal(loads.calls.length, 3);
  });

  test("set stores a value known to be current; a load that started before it is not kept", async () => {
    const loads = new Loads<number>();
    const memo = new Memo(loads.load, 0);
    const reading = memo.get();
    memo.set(2);
    loads.resolve(0, 1);
    assert.equal(await reading, 2, "the waiting caller gets the newer value");
    assert.equal(memo.peek(), 2);
    const fresh = new Memo(loads.load, HOUR);
    fresh.set(7);
    assert.equal(await fresh.get(), 7);
    assert.equal(loads.calls.length, 1, "a set value needs no load");
  });

  test("staleWhileRevalidate: an expired value is served at once while one refresh runs; a failed refresh keeps serving it", async () => {
    const loads = new Loads<string>();
    const memo = new Memo(loads.load, 0, { staleWhileRevalidate: true });
    const first = memo.get();
    loads.resolve(0, "a");
    assert.equal(await first, "a", "the first caller has nothing older, so it waits");
    assert.deepEqual(await Promise.all([memo.get(), memo.get()]), ["a", "a"]);
    assert.equal(loads.calls.length, 2, "one background refresh for both");
    loads.reject(1, new Error("down"));
    await settle();
    assert.equal(await memo.get(), "a", "a failed refresh leaves the old value served");
    assert.equal(loads.calls.length, 3, "and the next call refreshes again");
    loads.resolve(2, "b");
    await settle();
    assert.equal(memo.peek(), "b");
  });

  test("staleOnError: a failure the option accepts answers with the last value; any other failure is thrown", async () => {
    class Outage extends Error {}
    const loads = new Loads<string>();
    const memo = new Memo(loads.load, 0, { staleOnError: (error) => error instanceof Outage });
    const nothingYet = memo.get();
    loads.reject(0, new Outage("down"));
    await assert.rejects(nothingYet, Outage, "without a last value the failure stands");
    const first = memo.get();
    loads.resolve(1, "a");
    assert.equal(await first, "a");
    const duringOutage = memo.get();
    loads.reject(2, new Outage("down"));
    assert.equal(await duringOutage, "a");
    const bug = memo.get();
    loads.reject(3, new TypeError("bug"));
    await assert.rejects(bug, TypeError);
  });

  test("update changes the value in place; a refresh under way is not kept, so the next call refreshes again", async () => {
    const loads = new Loads<Map<string, number>>();
    const memo = new Memo(loads.load, 0, { staleWhileRevalidate: true });
    memo.update((m) => m.set("ignored", 1)); // nothing held yet: nothing to change
    const first = memo.get();
    loads.resolve(0, new Map([["n", 1]]));
    const counts = await first;
    assert.equal(await memo.get(), counts, "stale while the refresh runs");
    memo.update((m) => m.set("n", 2));
    loads.resolve(1, new Map([["n", 1]])); // read before the change
    await settle();
    assert.equal(memo.peek(), counts, "the overtaken refresh is not kept");
    assert.equal(memo.peek()?.get("n"), 2);
    await memo.get();
    assert.equal(loads.calls.length, 3, "still expired: the next call refreshes");
  });
});
