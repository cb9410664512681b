import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../src/platform/paths";
import { startTestGateway, type TestGateway } from "./support/gateway";
import { TEST_AUTH_SECRET } from "./support/auth";

/**
 * The README's examples run verbatim: every ```sh block that calls curl is run as written by `sh`
 * against a real gateway, with one substitution, the test gateway's port for 4000. Each must answer
 * data and no errors. GraphQL shown any other way would not be run, so the README has none.
 */

const run = promisify(execFile);
const README = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

/** The fenced blocks of a Markdown text with their language tag. */
function fencedBlocks(markdown: string): Array<{ lang: string; body: string }> {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? "", body: m[2] ?? "" }));
}

const curlBlocks = fencedBlocks(README)
  .filter((b) => b.lang === "sh" && /\bcurl\b/.test(b.body))
  .map((b) => b.body);

describe("README examples", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  test("there are curl examples, and no GraphQL blocks that nothing runs", () => {
    assert.ok(curlBlocks.length > 0, "the README shows at least one curl example");
    assert.deepEqual(
      fencedBlocks(README).filter((b) => b.lang === "graphql" || b.lang === "gql"),
      [],
      "GraphQL examples go in curl commands (run here) or in schema/operations/ (sent by the tests)",
    );
  });

  for (const [i, block] of curlBlocks.entries()) {
    test(`curl example ${i + 1} runs verbatim and answers data without errors`, async () => {
      assert.equal((block.match(/\bcurl\b/g) ?? []).length, 1, "one request per block");
      assert.match(block, /localhost:4000\b/, "against the default port");
      const command = block.replaceAll("localhost:4000", `localhost:${gw.app.gateway.port}`);
      // The example mints its token with `npm run token`, signed with the secret the test gateway checks.
      const { stdout } = await run("sh", ["-c", command], { timeout: 120_000, cwd: PROJECT_ROOT, env: { ...process.env, AUTH_SECRET: TEST_AUTH_SECRET } });
      const body = JSON.parse(stdout) as { data?: Record<string, unknown> | null; errors?: unknown[] };
      assert.equal(body.errors, undefined, `no errors: ${stdout.slice(0, 500)}`);
      assert.ok(body.data && Object.values(body.data).some((v) => v !== null && !(Array.isArray(v) && v.length === 0)), `non-empty data: ${stdout.slice(0, 500)}`);
    });
  }
});
