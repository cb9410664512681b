import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

/** A server process the bench started and must stop. */
export interface ChildServer {
  name: string;
  /** The GraphQL endpoint, on 127.0.0.1. */
  url: string;
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Every child server started and not yet stopped, so a stop signal mid-scenario stops them all. */
const running = new Set<ChildServer>();

/** Stops every child server still running (scenarios stop their own; this is for SIGTERM, Ctrl-C, failures). */
export async function stopChildServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/**
 * Starts `node [nodeArgs] <script>` with `env` added and resolves when `healthUrl` answers 200. Its output
 * goes to our stderr, prefixed with its name, so the figures on stdout stay clean; the last lines
 * are kept to explain a failed start.
 */
export async function startChildServer(opts: {
  name: string;
  script: string;
  env: Record<string, string>;
  graphqlUrl: string;
  healthUrl: string;
  timeoutMs?: number;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
}): Promise<ChildServer> {
  const child = spawn(process.execPath, ["--enable-source-maps", ...(opts.nodeArgs ?? []), opts.script], {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const relay = (stream: NodeJS.ReadableStream | null): void => {
    if (!stream) return;
    createInterface({ input: stream }).on("line", (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      process.stderr.write(`[${opts.name}] ${line}\n`);
    });
  };
  relay(child.stdout);
  relay(child.stderr);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: ChildServer = {
    name: opts.name,
    url: opts.graphqlUrl,
    pid: child.pid,
    stop: async (graceMs) => {
      await stopChild(child, exited, graceMs);
      running.delete(server);
    },
  };
  running.add(server);

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${opts.name} exited before it answered (${spawnError?.message ?? `code ${child.exitCode ?? child.signalCode}`}). Its last output:\n${tail.join("\n")}`);
    }
    if (await answers(opts.healthUrl)) return server;
    if (Date.now() > deadline) {
      await server.stop(2_000);
      throw new Error(`${opts.name} did not answer ${opts.healthUrl} within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s. Its last output:\n${tail.join("\n")}`);
    }
    await sleep(200);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
