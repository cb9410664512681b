import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Graph } from "../src/platform/neo4j";
import { datasetCounts } from "../bench/graph";
import { SeedConflictError, seedGraph } from "../seeds/index";
import { TEST_DATA } from "./support/data";
import { testServices } from "./support/gateway";

describe("seeding the real graph", () => {
  let graph: Graph;
  before(() => {
    graph = Graph.connect(testServices().neo4j);
  });
  after(() => graph.close());

  test("holds exactly the data set `npm test` seeded", async () => {
    const counts = await datasetCounts(graph.session());
    assert.equal(counts.customers, TEST_DATA.customers);
    assert.ok(counts.products >= 40);
    assert.ok(counts.tags >= 60);
    assert.ok(counts.contacts > 8 * TEST_DATA.customers, `about 11 contacts per customer, got ${counts.contacts}`);
  });

  test("re-running the same seed writes nothing and duplicates nothing", async () => {
    const before = await datasetCounts(graph.session());
    const progress: string[] = [];
    const result = await seedGraph(graph, {
      customers: TEST_DATA.customers,
      seed: TEST_DATA.seed,
      asOf: new Date(TEST_DATA.asOf),
      onProgress: (p) => progress.push(p.phase),
    });
    assert.equal(result.written, 0);
    assert.deepEqual(await datasetCounts(graph.session()), before);
    assert.ok(progress.includes("customers") && progress.at(-1) === "done", "seeding reports its progress by phase");
  });

  test("another seed over this data set is refused, and nothing is written", async () => {
    const before = await datasetCounts(graph.session());
    await assert.rejects(seedGraph(graph, { customers: 10, seed: TEST_DATA.seed + 1, asOf: new Date(TEST_DATA.asOf) }), SeedConflictError);
    assert.deepEqual(await datasetCounts(graph.session()), before);
  });
});
