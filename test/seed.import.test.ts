import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import neo4j, { isInt, type Driver } from "neo4j-driver";
import { Graph } from "../src/platform/neo4j";
import { PROJECT_ROOT } from "../src/platform/paths";
import { createLogger } from "../src/platform/logger";
import { neo4jStoreIsFresh, startNeo4j, type RunningNeo4j } from "../src/main/launch/neo4j";
import { generateSteps } from "../seeds/generate";
import { finishImport, seedGraph } from "../seeds/index";
import { StoreNotFreshError, bulkSeed } from "../seeds/import";
import { leftover, teardown } from "./support/leftovers";
import { within } from "./support/eventually";
import { testServices } from "./support/gateway";

/**
 * The bulk import (seeds/import.ts: CSV files and Neo4j's importer) against the Bolt writer
 * (seeds/load.ts): the same data set loaded both ways into two throw-away Neo4j stores must be the
 * same graph, node for node and edge for edge, every property with its type.
 */

const DATA = { customers: 1_500, seed: 11, asOf: new Date("2026-10-01T00:00:00.000Z") };
const log = createLogger("seed-import-test", "silent");
const dir = mkdtempSync(join(tmpdir(), "c360-seed-import-"));
teardown("the stores' directory", () => rmSync(dir, { recursive: true, force: true }));

/** Properties a write sets to the moment it runs (`datetime()`): present on both sides, equal on neither. */
const WRITTEN_AT = new Set(["updatedAt", "statsAt", "completedAt"]);

/** A value written with its type: an Integer is not a Float of the same value, a string not a datetime. */
function canon(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (isInt(v)) return `int:${v.toString()}`;
  if (typeof v === "number") return `float:${v}`;
  if (typeof v === "string") return `str:${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `bool:${v}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (typeof v === "object" && v.constructor?.name) return `${v.constructor.name}:${String(v)}`;
  return `?:${String(v)}`;
}

function canonProps(props: Record<string, unknown>): string {
  return Object.keys(props)
    .sort()
    .map((k) => `${k}=${WRITTEN_AT.has(k) ? "<now>" : canon(props[k])}`)
    .join(" ");
}

/** The whole graph as sorted lines: every node (labels and properties), every relationship between node keys. */
async function dump(driver: Driver): Promise<{ nodes: string[]; relationships: string[]; labels: Record<string, number>; types: Record<string, number> }> {
  const session = driver.session();
  try {
    const keyOf = new Map<string, string>();
    const keys = new Set<string>();
    const nodes: string[] = [];
    const labels: Record<string, number> = {};
    const nodeRows = await session.run("MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props");
    for (const r of nodeRows.records) {
      const ls = (r.get("labels") as string[]).sort().join(":");
      const props = r.get("props") as Record<string, unknown>;
      const key = `${ls}|${String(props.id ?? props.code ?? props.customerId ?? `${String(props.tagId)}/${String(props.value)}`)}`;
      assert.ok(!keys.has(key), `node key ${key} is not unique`);
      keys.add(key);
      keyOf.set(r.get("id") as string, key);
      nodes.push(`${ls} ${canonProps(props)}`);
      labels[ls] = (labels[ls] ?? 0) + 1;
    }
    const relationships: string[] = [];
    const types: Record<string, number> = {};
    const relRows = await session.run("MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, properties(r) AS props, elementId(b) AS b");
    for (const r of relRows.records) {
      const type = r.get("type") as string;
      relationships.push(`${keyOf.get(r.get("a") as string)} -[${type} ${canonProps(r.get("props") as Record<string, unknown>)}]-> ${keyOf.get(r.get("b") as string)}`);
      types[type] = (types[type] ?? 0) + 1;
    }
    return { nodes: nodes.sort(), relationships: relationships.sort(), labels, types };
  } finally {
    await session.close();
  }
}

/** Lines in `a` and not in `b` (as multisets), at most `limit`. */
function missingFrom(a: readonly string[], b: readonly string[], limit = 5): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else if (out.push(x) >= limit) break;
  }
  return out;
}

function assertSameLines(what: string, bulk: readonly string[], bolt: readonly string[]): void {
  const onlyBulk = missingFrom(bulk, bolt);
  const onlyBolt = missingFrom(bolt, bulk);
  assert.ok(
    onlyBulk.length === 0 && onlyBolt.length === 0,
    `${what} differ (${bulk.length} imported, ${bolt.length} through Bolt).\nOnly imported:\n  ${onlyBulk.join("\n  ")}\nOnly through Bolt:\n  ${onlyBolt.join("\n  ")}`,
  );
}

async function launch(name: string): Promise<{ storeDir: string; neo4j: RunningNeo4j; driver: Driver }> {
  const storeDir = join(dir, name);
  const running = leftover(`Neo4j ${name}`, await startNeo4j({ dataDir: storeDir, heap: "512m", pageCache: "128m", log }), (n) => n.stop());
  const driver = leftover(`driver ${name}`, neo4j.driver(running.uri, neo4j.auth.basic("neo4j", "")), (d) => d.close());
  return { storeDir, neo4j: running, driver };
}

describe("the bulk import builds the graph the Bolt writer builds", () => {
  let imported: Awaited<ReturnType<typeof launch>>;
  let written: Awaited<ReturnType<typeof launch>>;
  let importResult: Awaited<ReturnType<typeof bulkSeed>>;

  before(async () => {
    // Imported: CSV files and the importer into a store that never started, then Neo4j and the finish.
    const storeDir = join(dir, "imported");
    assert.ok(neo4jStoreIsFresh(storeDir));
    importResult = await bulkSeed({ storeDir, ...DATA, log, heap: "512m", offHeap: "1g", workers: 2 });
    imported = await launch("imported");
    const graphA = Graph.connect({ uri: imported.neo4j.uri, username: "neo4j", password: "" });
    try {
      const finished = await finishImport(graphA);
      assert.equal(finished?.customers, DATA.customers);
      assert.equal(await finishImport(graphA), null, "a finished import is not finished twice");
    } finally {
      await graphA.close();
    }
    // Through Bolt, into a store of its own.
    written = await launch("bolt");
    const graphB = Graph.connect({ uri: written.neo4j.uri, username: "neo4j", password: "" });
    try {
      await seedGraph(graphB, DATA);
    } finally {
      await graphB.close();
    }
  });

  test("the same nodes and relationships of each kind, with every property and its type", async () => {
    const [a, b] = await Promise.all([dump(imported.driver), dump(written.driver)]);
    assert.deepEqual(a.labels, b.labels, "nodes per label");
    assert.deepEqual(a.types, b.types, "relationships per type");
    assert.equal(a.labels.Customer, DATA.customers);
    assert.equal(a.labels.SeedImport, undefined, "the import's marker is gone once finished");
    assertSameLines("nodes", a.nodes, b.nodes);
    assertSameLines("relationships", a.relationships, b.relationships);
    // The totals the import reports are the graph's.
    assert.equal(a.labels.Contact, importResult.contacts);
  });

  test("the imported store has the constraints and indexes of the schema, online", async () => {
    const query = "SHOW INDEXES YIELD name, state RETURN name, state ORDER BY name";
    const [a, b] = await Promise.all([imported.driver.executeQuery(query), written.driver.executeQuery(query)]);
    const rows = (r: typeof a): string[] => r.records.map((x) => `${String(x.get("name"))} ${String(x.get("state"))}`);
    assert.deepEqual(rows(a), rows(b));
    assert.ok(rows(a).every((r) => r.endsWith(" ONLINE")));
  });

  test("a store that has been started is never overwritten by an import", async () => {
    assert.equal(neo4jStoreIsFresh(imported.storeDir), false);
    await assert.rejects(bulkSeed({ storeDir: imported.storeDir, ...DATA, log }), (error: unknown) => {
      assert.ok(error instanceof StoreNotFreshError);
      assert.match(error.message, /has been started before.*--bolt.*delete/s);
      return true;
    });
  });

  test("re-seeding the imported graph through Bolt writes nothing: every chunk is complete", async () => {
    const graph = Graph.connect({ uri: imported.neo4j.uri, username: "neo4j", password: "" });
    try {
      const result = await seedGraph(graph, DATA);
      assert.equal(result.written, 0);
    } finally {
      await graph.close();
    }
  });
});

describe("generating a range of cohorts", () => {
  test("generates exactly what the whole run generates for them (contact ids included)", () => {
    const opts = { seed: 5, customers: 2_600, asOf: DATA.asOf };
    const whole = [...generateSteps(opts)].filter((s) => s !== null);
    const parts = [...generateSteps(opts, { from: 0, to: 1 }), ...generateSteps(opts, { from: 1, to: 3 })].filter((s) => s !== null);
    assert.equal(parts.length, 3);
    assert.deepEqual(JSON.stringify(parts), JSON.stringify(whole));
  });
});

describe("the first npm start on a new store", () => {
  test("imports the demo data set in bulk before Neo4j starts, then serves it", async () => {
    // start.js as `npm start` runs it, with a DATA_DIR of its own and no NEO4J_URI: it launches Neo4j.
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(dir, "start"), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SEED_CUSTOMERS: "1000", REDIS_URL: testServices().redisUrl };
    delete env.NEO4J_URI;
    delete env.NEO4J_USERNAME;
    delete env.NEO4J_PASSWORD;
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "dist/src/main/start.js")], { env, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    leftover("npm start", child, async (c) => {
      if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
      await exited;
    });
    const lines: string[] = [];
    const ready = new Promise<string>((resolve, reject) => {
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on("line", (line) => {
          lines.push(line);
          const url = /"msg":"gateway ready/.test(line) ? /"url":"([^"]+)"/.exec(line)?.[1] : undefined;
          if (url) resolve(url);
        });
      }
      void exited.then((code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${lines.join("\n")}`)));
    });
    // The ready promise rejects with the output if npm start exits first; a hang ends here.
    const url = await within(ready, { what: "npm start to be ready", timeoutMs: 240_000 });
    const said = lines.join("\n");
    assert.match(said, /importing the demo data set in bulk \(1,000 customers/);
    assert.match(said, /demo data ready: 1,000 customers/);
    assert.doesNotMatch(said, /seeding the demo data set through Bolt/);
    const ok = await fetch(new URL("/readyz", url));
    assert.equal(ok.status, 200);
    child.kill("SIGTERM");
    // Bounded: a stop that hangs fails here instead of holding the whole run open.
    assert.equal(await within(exited, { what: "npm start to stop on SIGTERM", timeoutMs: 60_000 }), 0);
  });
});
