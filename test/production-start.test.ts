import assert from "node:assert/strict";
import { test } from "node:test";
import { testGraph } from "./support/gateway";
import { startGatewayProcess } from "./support/process-gateway";

/**
 * `npm start`'s entry point with NODE_ENV=production (src/main/start.ts, prepareOperatorGraph): the
 * graph is the operator's, so nothing of the demo is seeded; only the constraints and indexes the
 * gateway relies on are made sure of. Shown on the suite's graph: an index dropped before the start
 * is back, online, when the replica says it is ready, and the replica says it seeded nothing.
 */

/** A small index the gateway creates (src/graph/schema.ts) that no test depends on for speed. */
const INDEX = "region_level";

const indexState = async (): Promise<string | null> => {
  const rows = await testGraph().session().read<{ state: string }>("SHOW INDEXES YIELD name, state WHERE name = $name RETURN state", { name: INDEX });
  return rows[0]?.state ?? null;
};

test("a production start makes sure of the schema and seeds no demo data", async () => {
  await testGraph().session().write(`DROP INDEX ${INDEX} IF EXISTS`);
  try {
    assert.equal(await indexState(), null, "dropped before the start");
    const gateway = await startGatewayProcess({ NODE_ENV: "production" });
    assert.equal(await indexState(), "ONLINE", "the production start re-created the index and waited until it was online");
    const lines = gateway.logLines();
    assert.ok(
      lines.some((l) => l.includes("production: constraints and indexes in place; no demo data is seeded")),
      `the replica says it seeded nothing:\n${lines.slice(0, 20).join("\n")}`,
    );
    assert.ok(!lines.some((l) => l.includes("holds no customers")), "the suite's graph has customers: no warning");
    const ready = await fetch(gateway.url.replace(/\/graphql$/, "/readyz"));
    assert.equal(ready.status, 200);
  } finally {
    // Whatever happened above, the index is there for the rest of the suite.
    await testGraph().session().write(`CREATE RANGE INDEX ${INDEX} IF NOT EXISTS FOR (r:Region) ON (r.level)`);
  }
});
