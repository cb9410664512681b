import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Logger } from "../../platform/logger";
import { PROJECT_ROOT } from "../../platform/paths";
import { freePort } from "./ports";
import { childStopper, spawnUntilReady, withParentDeathSignal, type OwnedProcess } from "./process";

const LAUNCHER_DIR = join(PROJECT_ROOT, "ops/neo4j");
const CLASSES = join(LAUNCHER_DIR, "target/classes");
const LIB = join(LAUNCHER_DIR, "target/lib");

/** Java flags Neo4j's own server sets; the embedded store needs the same reflective access. */
const JVM_OPENS = [
  "--add-opens=java.base/java.lang=ALL-UNNAMED",
  "--add-opens=java.base/java.nio=ALL-UNNAMED",
  "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
  "--add-opens=java.base/java.io=ALL-UNNAMED",
  "-Dio.netty.tryReflectionSetAccessible=true",
];

export interface Neo4jOptions {
  dataDir: string;
  /** 0 or omitted: a free port. */
  port?: number;
  pageCache: string; // e.g. "512m"
  heap: string; // e.g. "1g"
  log: Logger;
}

export interface RunningNeo4j {
  uri: string;
  pid: number;
  stop(): Promise<void>;
}

/** True when the launcher and Neo4j's jars (the Bolt server and the bulk importer among them) are on disk. */
export function neo4jInstalled(): boolean {
  if (!existsSync(CLASSES) || !existsSync(LIB)) return false;
  const jars = readdirSync(LIB);
  return jars.some((f) => f.startsWith("neo4j-bolt")) && jars.some((f) => f.startsWith("neo4j-import-tool"));
}

/**
 * Builds ops/neo4j with Maven: the first time this fetches Neo4j's jars from Maven Central
 * (about 150 MB), reporting progress every few files; later runs find them in ~/.m2 and target/.
 */
export async function installNeo4j(log: Logger): Promise<void> {
  if (neo4jInstalled()) return;
  log.info({ dir: LAUNCHER_DIR }, "fetching Neo4j from Maven Central (first run only)");
  const child = spawn("mvn", ["-B", "package"], { cwd: LAUNCHER_DIR, stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  let files = 0;
  let bytes = 0;
  createInterface({ input: child.stdout }).on("line", (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    const downloaded = /Downloaded from \S+: \S+ \(([\d.]+) (kB|MB|B)/.exec(line);
    if (downloaded) {
      files += 1;
      const size = Number(downloaded[1]);
      bytes += downloaded[2] === "MB" ? size * 1e6 : downloaded[2] === "kB" ? size * 1e3 : size;
      if (files % 25 === 0) log.info({ files, mb: Math.round(bytes / 1e6) }, "fetching Neo4j: files downloaded");
    }
  });
  createInterface({ input: child.stderr }).on("line", (line) => tail.push(line));
  const code = await new Promise<number | null>((done) => child.once("exit", done).once("error", () => done(-1)));
  if (code !== 0 || !neo4jInstalled()) {
    throw new Error(
      `Building the Neo4j launcher failed (mvn exit ${code ?? "signal"}). Check that Java 17+ and Maven are installed and Maven Central is reachable, or set NEO4J_URI to an existing server. Maven said:\n${tail.join("\n")}`,
    );
  }
  log.info({ files, mb: Math.round(bytes / 1e6) }, "Neo4j fetched and launcher built");
}

/** Starts embedded Neo4j Community with Bolt on loopback; resolves when it answers. */
export async function startNeo4j(opts: Neo4jOptions): Promise<RunningNeo4j> {
  await installNeo4j(opts.log);
  mkdirSync(opts.dataDir, { recursive: true });
  const port = opts.port || (await freePort());
  const args = [
    `-Xms${opts.heap}`,
    `-Xmx${opts.heap}`,
    "-XX:+UseG1GC",
    ...JVM_OPENS,
    "-cp",
    `${CLASSES}:${LIB}/*`,
    "gateway.ops.Neo4jLauncher",
    "--data",
    resolve(opts.dataDir),
    "--port",
    String(port),
    "--page-cache",
    opts.pageCache,
  ];
  opts.log.info({ port, dataDir: opts.dataDir, heap: opts.heap, pageCache: opts.pageCache }, "starting Neo4j");
  const started = Date.now();
  const proc: OwnedProcess = await spawnUntilReady("Neo4j", "java", args, {
    ready: (line) => line.startsWith("NEO4J_READY "),
    // The launcher exits on EOF of its stdin (ops/neo4j Neo4jLauncher.exitWhenParentGoes).
    parentDeath: "stdin",
    timeoutMs: 180_000,
  });
  const uri = `bolt://127.0.0.1:${port}`;
  opts.log.info({ uri, ms: Date.now() - started }, "Neo4j ready");
  return { uri, pid: proc.child.pid ?? 0, stop: () => proc.stop(60_000) };
}

// ───────────────────────────── bulk import ─────────────────────────────

/**
 * True when no Neo4j has ever started on the launcher data directory `dataDir`: it has no system
 * database (the first start creates it). Such a store may be (re)built by the bulk importer; a
 * store that has been started may hold someone's data and is never overwritten. A directory an
 * interrupted import left behind counts as fresh: the next import overwrites it.
 */
export function neo4jStoreIsFresh(dataDir: string): boolean {
  return !existsSync(join(dataDir, "data/databases/system"));
}

/** One group of node files (the header in the first) and the labels its nodes get. */
export interface ImportNodes {
  labels: readonly string[];
  files: readonly string[];
}

/** One group of relationship files (the header in the first) and their type. */
export interface ImportRelationships {
  type: string;
  files: readonly string[];
}

/** The importer's four stages, in order, as it names them. */
export const IMPORT_STAGES = ["Node import", "Relationship import", "Relationship linking", "Post processing"] as const;
export type ImportStage = (typeof IMPORT_STAGES)[number];

export interface ImportOptions {
  /** The launcher data directory (`--data` of Neo4jLauncher) whose default database the import builds. */
  dataDir: string;
  nodes: readonly ImportNodes[];
  relationships: readonly ImportRelationships[];
  /** JVM heap of the importer, e.g. "1g". */
  heap: string;
  /** Off-heap memory the importer may use for its caches, e.g. "2g" (its own default is 90% of free memory). */
  offHeap: string;
  log: Logger;
  /** Called as each stage moves (percent 0..100). */
  onProgress?: (stage: ImportStage, percent: number) => void;
  /** Registers the importer's stop (a SIGTERM to the caller stops it first). */
  onStop?: (stop: () => Promise<void>) => void;
}

export interface ImportSummary {
  nodes: number;
  relationships: number;
  properties: number;
  ms: number;
}

/**
 * Builds the default database of `dataDir` from CSV files with Neo4j's own bulk importer
 * (`neo4j-admin database import full`, run from the jars of ops/neo4j: `org.neo4j.cli.AdminTool`).
 * Only for a store {@link neo4jStoreIsFresh} says is fresh: it overwrites the database files.
 * The store has no constraints or indexes afterwards; whoever starts it creates them.
 */
export async function importNeo4jStore(opts: ImportOptions): Promise<ImportSummary> {
  if (!neo4jStoreIsFresh(opts.dataDir)) {
    throw new Error(`The Neo4j store in ${opts.dataDir} has been started before and may hold data; the bulk importer only builds a store that never started. Remove the directory (with Neo4j stopped) to rebuild it.`);
  }
  await installNeo4j(opts.log);
  mkdirSync(opts.dataDir, { recursive: true });
  const report = join(opts.dataDir, "import.report");
  const args = [
    `-Xms${opts.heap}`,
    `-Xmx${opts.heap}`,
    "-XX:+UseG1GC",
    ...JVM_OPENS,
    "-cp",
    `${CLASSES}:${LIB}/*`,
    "org.neo4j.cli.AdminTool",
    "database",
    "import",
    "full",
    // The database name first: the file lists after --nodes/--relationships take every word that follows.
    "neo4j",
    "--overwrite-destination=true",
    `--max-off-heap-memory=${opts.offHeap}`,
    `--report-file=${report}`,
    // Bad data is a bug in the generator: stop at the first bad entry rather than skip it.
    "--bad-tolerance=0",
    ...opts.nodes.map((n) => `--nodes=${n.labels.join(":")}=${n.files.join(",")}`),
    ...opts.relationships.map((r) => `--relationships=${r.type}=${r.files.join(",")}`),
  ];
  const [file, argv] = withParentDeathSignal("java", args);
  opts.log.info({ dataDir: opts.dataDir, heap: opts.heap, offHeap: opts.offHeap }, "bulk import: starting neo4j-admin database import full");
  const started = Date.now();
  // NEO4J_HOME is the launcher's data directory: the importer then writes data/databases/neo4j and
  // data/transactions/neo4j exactly where the embedded server (DatabaseManagementServiceBuilder) looks.
  // No neo4j.conf: the defaults lay the store out as the launcher does.
  const env: NodeJS.ProcessEnv = { ...process.env, NEO4J_HOME: resolve(opts.dataDir) };
  delete env.NEO4J_CONF;
  const child = spawn(file, argv, { cwd: opts.dataDir, env, stdio: ["ignore", "pipe", "pipe"] });
  opts.onStop?.(() => childStopper(child)(10_000));
  const tail: string[] = [];
  const summary = { nodes: 0, relationships: 0, properties: 0 };
  let stage: ImportStage | null = null;
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    const stageLine = /^\(\d\/\d\) (.+?) \d{4}-\d{2}-\d{2}/.exec(line);
    const named = IMPORT_STAGES.find((s) => s === stageLine?.[1]);
    if (named) {
      stage = named;
      opts.onProgress?.(stage, 0);
      return;
    }
    const percent = /\s(\d{1,3})% ∆/.exec(line);
    if (percent && stage) opts.onProgress?.(stage, Number(percent[1]));
    const count = /^\s+(\d+) (nodes|relationships|properties)$/.exec(line);
    if (count?.[1] && count[2]) summary[count[2] as keyof typeof summary] = Number(count[1]);
  };
  createInterface({ input: child.stdout }).on("line", onLine);
  createInterface({ input: child.stderr }).on("line", onLine);
  const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)).once("error", () => done(-1)));
  if (code !== 0) {
    const bad = existsSync(report) ? `; the importer's report of bad entries is in ${report}` : "";
    throw new Error(`Neo4j's bulk importer failed (exit ${code ?? "signal"})${bad}. Its last output:\n${tail.join("\n")}`);
  }
  rmSync(report, { force: true });
  const ms = Date.now() - started;
  opts.log.info({ ...summary, ms }, "bulk import: done");
  return { ...summary, ms };
}
