import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { GraphConnection } from "../../src/platform/neo4j";
import { PROJECT_ROOT } from "../../src/platform/paths";
import { TEST_AUTH_SECRET } from "./auth";

/** A gateway in a process of its own (`npm start`'s entry point). */
export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** The Node inspector's address, when the process was started with `--inspect` (NODE_OPTIONS). */
  inspectorUrl: string | null;
  /** SIGTERM and wait: a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL: the replica dies mid-work. */
  kill(): Promise<void>;
  /** Its last log lines (stdout, up to 500), for tests of what it says. */
  logLines(): string[];
}

/**
 * Starts `npm start`'s entry point against `connections` with the suite's token secret and resolves
 * once it reports ready. Imports nothing of node:test, so command-line tools (`npm run fuzz`) use it
 * too; tests use ./process-gateway.ts, which stops the process with the test. `onSpawn` learns of
 * the child at once, so a caller can stop it even when it never gets ready.
 */
export async function spawnGatewayProcess(
  connections: { neo4j: GraphConnection; redisUrl: string; redisKeyPrefix: string },
  env: Record<string, string> = {},
  onSpawn: (gateway: Omit<GatewayProcess, "url">) => void = () => undefined,
): Promise<GatewayProcess> {
  const { neo4j, redisUrl, redisKeyPrefix } = connections;
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "dist/src/main/start.js")], {
    env: {
      ...process.env,
      AUTH_SECRET: TEST_AUTH_SECRET,
      NEO4J_URI: neo4j.uri,
      NEO4J_USERNAME: neo4j.username,
      NEO4J_PASSWORD: neo4j.password,
      ...(neo4j.database ? { NEO4J_DATABASE: neo4j.database } : {}),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  const lines: string[] = [];
  onSpawn({ child, stop, kill, inspectorUrl: null, logLines: () => [...lines] });
  let inspectorUrl: string | null = null;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the gateway process did not report ready within 60 s")), 60_000);
    let stderr = "";
    // Kept short: a long run writes on.
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1] ?? null;
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway process exited (${code}) before it was ready: ${stderr.slice(-2000)}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      if (lines.length > 500) lines.shift();
      // A stop step that does not settle is the replica's to explain: shown with the test's output.
      if (line.includes("stopping: still waiting")) console.error(`[gateway process ${child.pid}] ${line}`);
      const m = /"url":"(http:\/\/[^"]+)".*gateway ready/.exec(line);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1].replace("localhost", "127.0.0.1"));
      }
    });
  });
  return { url, child, stop, kill, inspectorUrl, logLines: () => [...lines] };
}
