import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { eventually, within } from "./support/eventually";
import { leftover, Leftovers, teardown } from "./support/leftovers";

// The test support's own contracts: everything else leans on them.

describe("leftovers", () => {
  const closed: string[] = [];
  teardown("the file-scope witness", () => closed.push("file"));

  test("what a test opens is registered…", () => {
    for (const name of ["first", "second", "third"]) leftover(name, name, (n) => closed.push(n));
    const twice = leftover("closed early", { closes: 0 }, (r) => (r.closes += 1));
    twice.closes += 1; // as if the test closed it itself; the teardown must not make it 2…
    closed.push(`early:${twice.closes}`);
  });

  test("…and closed right after that test, newest first, each once; the file's wait for the file", () => {
    assert.deepEqual(closed, ["early:1", "third", "second", "first"]);
  });

  test("a failing disposal does not stop the others; the failures come together at the end", async () => {
    const list = new Leftovers();
    const ran: string[] = [];
    list.add("a", "a", (x) => ran.push(x));
    list.add("the broken one", "b", () => {
      throw new Error("boom");
    });
    list.add("the other broken one", "c", () => Promise.reject(new Error("bang")));
    list.add("d", "d", (x) => ran.push(x));
    await assert.rejects(list.dispose(), (error: AggregateError) => {
      assert.match(error.message, /2 leftovers failed to close: closing the other broken one failed: bang; closing the broken one failed: boom/);
      assert.equal(error.errors.length, 2);
      return true;
    });
    assert.deepEqual(ran, ["d", "a"]);
    await list.dispose(); // emptied: nothing runs twice
    assert.deepEqual(ran, ["d", "a"]);
  });

  after(() => assert.ok(!closed.includes("file"), "file-scope leftovers outlive the file's describe blocks"));
});

describe("eventually", () => {
  test("retries a failing assertion until it passes and returns its value", async () => {
    let calls = 0;
    const value = await eventually(
      () => {
        calls += 1;
        assert.ok(calls >= 3, "not yet");
        return calls;
      },
      { what: "the third call", intervalMs: 1 },
    );
    assert.equal(value, 3);
  });

  test("on time-out throws the last assertion error, named after what was awaited", async () => {
    let n = 0;
    await assert.rejects(
      eventually(() => assert.equal((n += 1) > 0 ? "seen" : "", "wanted"), { what: "the thing", timeoutMs: 30, intervalMs: 5 }),
      (error: Error) => {
        assert.equal(error.name, "AssertionError");
        assert.match(error.message, /^the thing: still failing after 30 ms: /);
        assert.match(error.stack ?? "", /the thing: still failing/);
        return true;
      },
    );
  });

  test("within: a promise that settles in time, or a failure naming what never came", async () => {
    assert.equal(await within(Promise.resolve(7), { what: "seven" }), 7);
    await assert.rejects(within(new Promise(() => undefined), { what: "a close", timeoutMs: 20 }), /a close: did not happen within 20 ms/);
  });
});
