import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Logger } from "../../platform/logger";
import { PROJECT_ROOT } from "../../platform/paths";
import { freePort } from "./ports";
import { spawnUntilReady, type OwnedProcess } from "./process";

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

/** True when the launcher and Neo4j's jars are on disk. */
export function neo4jInstalled(): boolean {
  return existsSync(CLASSES) && existsSync(LIB) && readdirSync(LIB).some((f) => f.startsWith("neo4j-bolt"));
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
