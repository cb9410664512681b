import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PROJECT_ROOT } from "../src/platform/paths";
import { printGatewaySchema, printSubgraphSchema } from "../schema/print";

test("schema/schema.graphql is what the code-first schema prints (run `npm run schema` if not)", async () => {
  const committed = readFileSync(join(PROJECT_ROOT, "schema/schema.graphql"), "utf8");
  assert.equal(committed, await printGatewaySchema(), "schema/schema.graphql is stale: run `npm run schema` and commit it");
});

test("schema/subgraph.graphql is what the subgraph's _service answers (run `npm run schema` if not)", async () => {
  const committed = readFileSync(join(PROJECT_ROOT, "schema/subgraph.graphql"), "utf8");
  const sdl = await printSubgraphSchema();
  assert.equal(committed, sdl, "schema/subgraph.graphql is stale: run `npm run schema` and commit it");
  for (const [type, key] of [["Customer", "id"], ["Product", "id"], ["Channel", "code"], ["Offer", "id"]]) {
    assert.match(sdl, new RegExp(`type ${type}\\n  @key\\(fields: "${key}"\\)`), `${type} is no longer an entity keyed by ${key}`);
  }
});

test("the core contract's names are all present", async () => {
  const sdl = await printGatewaySchema();
  for (const name of [
    "customer(id: ID!): Customer",
    "customerByMsisdn(msisdn: String!): Customer",
    "customers(ids: [ID!]!): [Customer]!",
    "products(kind: ProductKind): [Product!]!",
    "channels: [Channel!]!",
    "type ContactConnection",
    "totalCount: Int!",
  ]) {
    assert.ok(sdl.includes(name), `the schema lost "${name}"`);
  }
  assert.match(sdl, /contacts\(\s*"""[^]*?first: Int! = 20[^]*?after: String[^]*?channels: \[ChannelCode!\][^]*?since: DateTime[^]*?until: DateTime[^]*?\): ContactConnection!/);
});
