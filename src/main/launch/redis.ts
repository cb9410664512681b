import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Logger } from "../../platform/logger";
import { freePort } from "./ports";
import { spawnUntilReady } from "./process";

export interface RunningRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Finds redis-server, installing Debian's package when we are root with apt-get; otherwise one sentence. */
export function ensureRedisInstalled(log: Logger): string {
  const found = which("redis-server");
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && which("apt-get")) {
    log.info("redis-server is missing; installing Debian's redis-server package");
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
      execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "redis-server"], { stdio: "inherit", env });
    } catch {
      // fall through to the sentence below
    }
    const installed = which("redis-server");
    if (installed) return installed;
  }
  throw new Error("redis-server was not found: install it (Debian: apt-get install redis-server) or set REDIS_URL to a running Redis.");
}

/** Starts a private redis-server on loopback, persisting to `dataDir` (counters survive restarts). */
export async function startRedis(opts: { dataDir: string; port?: number; log: Logger }): Promise<RunningRedis> {
  const binary = ensureRedisInstalled(opts.log);
  mkdirSync(opts.dataDir, { recursive: true });
  const port = opts.port || (await freePort());
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", resolve(opts.dataDir),
    "--save", "60 1",
    "--appendonly", "yes",
    "--appendfsync", "everysec",
    "--daemonize", "no",
    "--protected-mode", "yes",
  ];
  const proc = await spawnUntilReady("redis-server", binary, args, {
    ready: (line) => line.includes("Ready to accept connections"),
    parentDeath: "signal",
    timeoutMs: 30_000,
  });
  const url = `redis://127.0.0.1:${port}`;
  opts.log.info({ url, pid: proc.child.pid }, "Redis ready");
  return { url, pid: proc.child.pid ?? 0, stop: () => proc.stop(10_000) };
}

function which(cmd: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}
