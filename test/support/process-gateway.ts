import { TEST_AUTH_SECRET } from "./auth";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../../src/platform/paths";
import { testServices } from "./gateway";
import { leftover } from "./leftovers";

/** A gateway in a process of its own (`npm start`'s entry point), sharing this test's Neo4j, Redis and key prefix: another replica. */
export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM and wait: a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL: the replica dies mid-work. */
  kill(): Promise<void>;
}

/** Starts `npm start`'s entry point as another replica; stopped with the test (or file) that started it, even when it never got ready. */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const { neo4j, redisUrl } = testServices();
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "dist/src/main/start.js")], {
    env: {
      ...process.env,
      AUTH_SECRET: TEST_AUTH_SECRET,
      NEO4J_URI: neo4j.uri,
      NEO4J_USERNAME: neo4j.username,
      NEO4J_PASSWORD: neo4j.password,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `test:${process.pid}:`,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      // As for in-process test gateways (./gateway.ts): deadlines are tested where a test sets one.
      REQUEST_TIMEOUT_MS: "60000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  leftover("gateway process", child, stop);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the gateway process did not report ready within 60 s")), 60_000);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway process exited (${code}) before it was ready: ${stderr.slice(-2000)}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /"url":"(http:\/\/[^"]+)".*gateway ready/.exec(line);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1].replace("localhost", "127.0.0.1"));
      }
    });
  });
  return {
    url,
    child,
    stop,
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
