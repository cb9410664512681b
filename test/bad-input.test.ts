import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { TrajectoryDocument, UnifiedViewDocument } from "../schema/generated/operations";
import { startTestGateway, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { tokenFor } from "./support/auth";

function onlyError(res: GraphQLResponse<unknown>): { message: string; code: string | undefined } {
  assert.equal(res.errors?.length, 1, `expected one error, got ${JSON.stringify(res.errors)}`);
  const error = res.errors[0]!;
  return { message: error.message, code: error.extensions?.code };
}

describe("bad input gets BAD_USER_INPUT with a message a person can act on", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("first: 1000 names the allowed range", async () => {
    const { message, code } = onlyError(await gw.request(TrajectoryDocument, { id: "C0000001", first: 1000 }));
    assert.equal(code, "BAD_USER_INPUT");
    assert.match(message, /`first` must be between 1 and 100; got 1000/);
  });

  test("first: 0 and negative values are refused too", async () => {
    for (const first of [0, -5]) {
      assert.equal(onlyError(await gw.request(TrajectoryDocument, { id: "C0000001", first })).code, "BAD_USER_INPUT");
    }
  });

  test("a malformed cursor", async () => {
    for (const after of ["not-a-cursor!", Buffer.from("12:").toString("base64url"), "x".repeat(500)]) {
      const { message, code } = onlyError(await gw.request(TrajectoryDocument, { id: "C0000001", after }));
      assert.equal(code, "BAD_USER_INPUT");
      assert.match(message, /`after` is not a cursor this API issued/);
    }
  });

  test("a malformed date, as a variable or as a literal", async () => {
    const variable = onlyError(await gw.request(TrajectoryDocument, { id: "C0000001", since: "yesterday" }));
    assert.equal(variable.code, "BAD_USER_INPUT");
    assert.match(variable.message, /since/);
    // A literal is part of the document: GraphQL's own validation code, as the spec and Apollo say.
    const literal = onlyError(await gw.raw(`{ customer(id: "C0000001") { contacts(since: "2026-13-45") { totalCount } } }`));
    assert.equal(literal.code, "GRAPHQL_VALIDATION_FAILED");
    assert.match(literal.message, /DateTime/);
  });

  test("since after until", async () => {
    const { message, code } = onlyError(
      await gw.request(TrajectoryDocument, { id: "C0000001", since: "2026-10-01T00:00:00Z", until: "2026-09-01T00:00:00Z" }),
    );
    assert.equal(code, "BAD_USER_INPUT");
    assert.match(message, /is after `until`/);
  });

  test("a malformed MSISDN; an unknown one is null", async () => {
    const bad = onlyError(await gw.raw(`{ customerByMsisdn(msisdn: "12ab") { id } }`));
    assert.equal(bad.code, "BAD_USER_INPUT");
    assert.match(bad.message, /11-digit mobile number/);
    // Any number but the current caller's is FORBIDDEN without pii:read (test/scoping.test.ts): ask with it.
    const unknown = await gw.raw(`{ customerByMsisdn(msisdn: "10000000000") { id } }`, undefined, await tokenFor({ permissions: ["pii:read"] }));
    assert.deepEqual(unknown.data, { customerByMsisdn: null });
    assert.equal(unknown.errors, undefined);
  });

  test("an unknown id is null, not an error", async () => {
    const res = await gw.request(UnifiedViewDocument, { id: "C9999999" });
    assert.deepEqual(res.data, { customer: null });
    assert.equal(res.errors, undefined);
  });

  test("too many ids in one request", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `C${String(i + 1).padStart(7, "0")}`);
    const { message, code } = onlyError(await gw.raw(`query ($ids: [ID!]!) { customers(ids: $ids) { id } }`, { ids }));
    assert.equal(code, "BAD_USER_INPUT");
    assert.match(message, /at most 100 items; got 101/);
  });

  test("circle limit out of range", async () => {
    const { code, message } = onlyError(await gw.raw(`{ customer(id: "C0000001") { circle(limit: 500) { strength } } }`));
    assert.equal(code, "BAD_USER_INPUT");
    assert.match(message, /`limit` must be between 1 and 50; got 500/);
  });
});
