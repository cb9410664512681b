import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Graph } from "../src/platform/neo4j";
import { TAGS } from "../seeds/catalogue";
import { customerId } from "../seeds/generate";
import { SeedConflictError, seedGraph } from "../seeds/index";
import { TEST_DATA } from "./support/data";
import { testGraph } from "./support/gateway";

/**
 * Counts of the seeded data set: customers C0000001 to the last seeded one and the contacts the seed
 * gave them, the catalogue's products and tags. Not counted: customers other test files add
 * meanwhile (./support/customers, under ids above these), the contacts decisions write (labelled
 * Decided) and the tags other files create in the tag library.
 */
async function seededCounts(graph: Graph): Promise<{ customers: number; contacts: number; products: number; tags: number }> {
  const rows = await graph.session().read<{ customers: number; contacts: number; products: number; tags: number }>(
    `CALL () { MATCH (c:Customer) WHERE c.id <= $last RETURN count(c) AS customers }
     CALL () { MATCH (c:Customer)-[:HAD]->(k:Contact) WHERE c.id <= $last AND NOT k:Decided RETURN count(k) AS contacts }
     CALL () { MATCH (p:Product) RETURN count(p) AS products }
     CALL () { MATCH (t:Tag) WHERE t.id IN $tagIds RETURN count(t) AS tags }
     RETURN customers, contacts, products, tags`,
    { last: customerId(TEST_DATA.customers), tagIds: TAGS.map((t) => t.id) },
  );
  return rows[0] ?? { customers: 0, contacts: 0, products: 0, tags: 0 };
}

describe("seeding the real graph", () => {
  let graph: Graph;
  before(() => {
    graph = testGraph();
  });

  test("holds exactly the data set `npm test` seeded", async () => {
    const counts = await seededCounts(graph);
    assert.equal(counts.customers, TEST_DATA.customers);
    assert.ok(counts.products >= 40);
    assert.ok(counts.tags >= 60);
    assert.ok(counts.contacts > 8 * TEST_DATA.customers, `about 11 contacts per customer, got ${counts.contacts}`);
  });

  test("re-running the same seed writes nothing and duplicates nothing", async () => {
    const before = await seededCounts(graph);
    const progress: string[] = [];
    const result = await seedGraph(graph, {
      customers: TEST_DATA.customers,
      seed: TEST_DATA.seed,
      asOf: new Date(TEST_DATA.asOf),
      onProgress: (p) => progress.push(p.phase),
    });
    assert.equal(result.written, 0);
    assert.deepEqual(await seededCounts(graph), before);
    assert.ok(progress.includes("customers") && progress.at(-1) === "done", "seeding reports its progress by phase");
  });

  test("another seed over this data set is refused, and nothing is written", async () => {
    const before = await seededCounts(graph);
    await assert.rejects(seedGraph(graph, { customers: 10, seed: TEST_DATA.seed + 1, asOf: new Date(TEST_DATA.asOf) }), SeedConflictError);
    assert.deepEqual(await seededCounts(graph), before);
  });
});
