import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { serverAudits } from "graphql-http";
import { operatorToken } from "./support/auth";
import { startTestGateway, type TestGateway } from "./support/gateway";

/** fetch with the operator's bearer token: the audits are about the protocol, not about who asks. */
async function withToken(input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${await operatorToken()}`);
  return fetch(input, { ...init, headers });
}

describe("GraphQL over HTTP compliance (graphql-http serverAudits)", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("no errors and no warnings against the running server", async () => {
    const problems: string[] = [];
    let ok = 0;
    for (const audit of serverAudits({ url: gw.url, fetchFn: withToken })) {
      const result = await audit.fn();
      if (result.status === "ok") ok += 1;
      if (result.status === "error" || result.status === "warn") problems.push(`${result.status}: ${audit.name}: ${result.reason}`);
    }
    assert.deepEqual(problems, []);
    assert.ok(ok >= 50, `expected most audits to pass, ${ok} did`);
  });
});
