import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFlags, wholeNumberFlag } from "../src/platform/cli-args";

describe("command-line flags (npm run seed, npm run evaluate)", () => {
  test("string flags, --help, and unknown flags answered with the usage", () => {
    assert.deepEqual(parseFlags(["--customers", "500", "--seed=7"], ["customers", "seed"], "usage: x"), { values: { customers: "500", seed: "7" } });
    assert.deepEqual(parseFlags(["-h"], ["customers"], "usage: x"), { error: "usage: x" });
    const unknown = parseFlags(["--bogus"], ["customers"], "usage: x");
    assert.ok("error" in unknown && unknown.error.includes("--bogus") && unknown.error.endsWith("(usage: x)"));
    assert.ok("error" in parseFlags(["stray"], ["customers"], "usage: x"), "no positionals");
  });

  test("whole numbers within a range, or a sentence naming the flag and the range", () => {
    assert.equal(wholeNumberFlag("test", " 42 ", 1, 100), 42);
    for (const bad of ["0", "101", "4.5", "-1", "x", ""]) {
      assert.deepEqual(wholeNumberFlag("test", bad, 1, 100), { error: `--test must be a whole number from 1 to 100, not "${bad}".` });
    }
  });
});
