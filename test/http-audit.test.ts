import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { serverAudits } from "graphql-http";
import { startTestGateway, type TestGateway } from "./support/gateway";

describe("GraphQL over HTTP compliance (graphql-http serverAudits)", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("no errors and no warnings against the running server", async () => {
    const problems: string[] = [];
    let ok = 0;
    for (const audit of serverAudits({ url: gw.url, fetchFn: fetch })) {
      const result = await audit.fn();
      if (result.status === "ok") ok += 1;
      if (result.status === "error" || result.status === "warn") problems.push(`${result.status}: ${audit.name}: ${result.reason}`);
    }
    assert.deepEqual(problems, []);
    assert.ok(ok >= 50, `expected most audits to pass, ${ok} did`);
  });
});
