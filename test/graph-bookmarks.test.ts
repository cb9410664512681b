import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { NextBestOffersDocument, RespondToOfferDocument, TrajectoryDocument } from "../schema/generated/operations";
import { decodeBookmarks, encodeBookmarks } from "../src/server/bookmarks";
import { operatorToken } from "./support/auth";
import { freshCustomer } from "./support/customers";
import { dataOf, startTestGateway, testServices, type TestGateway } from "./support/gateway";
import { print } from "graphql";

/**
 * A Neo4j cluster as far as Community allows: both replicas reach the one server through a
 * `neo4j://` routing URI (the driver asks it for a routing table, and sends reads to its readers),
 * and a client carries the bookmark of its write from one replica's answer to the other replica.
 */

const routing = (): ReturnType<typeof testServices>["neo4j"] => {
  const { neo4j } = testServices();
  return { ...neo4j, uri: neo4j.uri.replace(/^bolt:/, "neo4j:") };
};

describe("Neo4j routing and bookmarks", () => {
  let a: TestGateway;
  let b: TestGateway;
  let token: string;
  before(async () => {
    assert.match(routing().uri, /^neo4j:\/\//);
    [a, b] = await Promise.all([startTestGateway({ neo4j: routing() }), startTestGateway({ neo4j: routing() })]);
    token = await operatorToken();
  });

  const post = (gw: TestGateway, query: string, variables: Record<string, unknown>, bookmark?: string) =>
    fetch(gw.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...(bookmark ? { "x-graph-bookmark": bookmark } : {}) },
      body: JSON.stringify({ query, variables }),
    });

  test("a mutation's answer carries the bookmark; the other replica's read with it sees the write", async () => {
    const { customer } = await freshCustomer();
    const decision = dataOf(await a.request(NextBestOffersDocument, { customerId: customer.id, channel: "HOTLINE", limit: 3 })).nextBestOffers.find((d) => d.contacted);
    assert.ok(decision, "a presented decision");
    const answered = await post(a, print(RespondToOfferDocument), { decisionId: decision.id, outcome: "ACCEPTED" });
    const bookmark = answered.headers.get("x-graph-bookmark");
    assert.ok(bookmark, "the mutation's answer carries X-Graph-Bookmark");
    const bookmarks = decodeBookmarks(bookmark);
    assert.ok(bookmarks.length >= 1 && bookmarks.every((x) => x.length > 0));
    const read = await post(b, print(TrajectoryDocument), { id: customer.id, first: 50 }, bookmark);
    const body = (await read.json()) as { data: { customer: { contacts: { edges: Array<{ node: { decision: { id: string } | null; outcome: string | null; kind: string } }> } } }; errors?: unknown };
    assert.equal(body.errors, undefined);
    const answers = body.data.customer.contacts.edges.filter((e) => e.node.decision?.id === decision.id && e.node.outcome === "ACCEPTED");
    assert.ok(answers.length >= 1, "the other replica's read shows the answer");
    // A query's answer carries none: only writes hand out bookmarks.
    assert.equal(read.headers.get("x-graph-bookmark"), null);
  });

  test("a bookmark that is not one the gateway issued is BAD_USER_INPUT naming the header, and nothing runs", async () => {
    for (const bad of ["not base64 at all!", Buffer.from("{}").toString("base64url"), "x".repeat(5_000)]) {
      const res = await post(b, print(TrajectoryDocument), { id: "C0000001" }, bad);
      const body = (await res.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
      assert.equal(body.errors[0]?.extensions.code, "BAD_USER_INPUT", bad.slice(0, 20));
      assert.match(body.errors[0]?.message ?? "", /X-Graph-Bookmark/);
      assert.equal(body.data ?? null, null);
    }
    // Well formed for us, unknown to the database.
    const res = await post(b, print(TrajectoryDocument), { id: "C0000001" }, encodeBookmarks(["FB:not-a-bookmark"]));
    const body = (await res.json()) as { errors?: Array<{ message: string; extensions: { code: string } }> };
    assert.equal(body.errors?.[0]?.extensions.code, "BAD_USER_INPUT");
    assert.match(body.errors?.[0]?.message ?? "", /X-Graph-Bookmark/);
  });
});
