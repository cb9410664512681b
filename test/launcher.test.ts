import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, afterEach, describe, test } from "node:test";
import { PROJECT_ROOT } from "../src/platform/paths";
import { testServices } from "./support/gateway";

/**
 * The real launchers (`npm start`'s and `npm run services`' compiled entry points) as child
 * processes, signalled the way Docker, systemd and a terminal do. They use this run's Neo4j
 * (NEO4J_URI) but launch a Redis of their own (REDIS_URL unset; launching one is cheap), with
 * their data in a temporary DATA_DIR, so the developer's .data/dev is left alone.
 */

const START = join(PROJECT_ROOT, "dist/src/main/start.js");
const SERVICES = join(PROJECT_ROOT, "dist/src/main/services.js");
const dataDir = mkdtempSync(join(tmpdir(), "c360-launcher-"));
const launched: Launched[] = [];

/**
 * Kills what a test left running: its launchers (their group when launched as one) and the Redis
 * servers they reported, by pid. The parent-death signal alone is not enough: it is a SIGTERM, and
 * a Redis whose final save fails (its directory removed below) refuses to stop on it; one left
 * running would be taken over by the next test's launcher ("using the Redis already running") and
 * keep a client of this file, and so the whole run, open forever.
 */
async function killLeftovers(): Promise<void> {
  for (const l of launched.splice(0)) {
    if (l.child.exitCode === null && l.child.signalCode === null) l.kill("SIGKILL");
    await l.exited;
    for (const pid of l.redisPids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

// Each test starts from nothing of the one before, pass or fail.
afterEach(killLeftovers);

after(async () => {
  await killLeftovers();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A launcher process, its output lines (stdout and stderr, in arrival order) and its exit. */
class Launched {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly child: ChildProcess,
    private readonly group: boolean,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        for (const wake of [...this.waiters]) wake();
      });
    }
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Signals the process, or its whole process group (what a terminal's Ctrl-C does) when launched as a group. */
  kill(signal: NodeJS.Signals): void {
    if (this.group && this.child.pid) process.kill(-this.child.pid, signal);
    else this.child.kill(signal);
  }

  /** The first line (already seen or to come) matching `pattern`; fails if the process exits first. */
  line(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${this.lines.join("\n")}`)), timeoutMs);
      const check = (): void => {
        const found = this.lines.find((l) => pattern.test(l));
        if (found !== undefined) finish(null, found);
        else if (this.child.exitCode !== null || this.child.signalCode !== null) finish(new Error(`exited before printing ${pattern}; output:\n${this.lines.join("\n")}`));
      };
      const finish = (error: Error | null, found?: string): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        if (error) reject(error);
        else resolve(found as string);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** Pids of the Redis servers this launcher reported starting ("Redis ready"). */
  redisPids(): number[] {
    return this.lines.filter((l) => l.includes('"msg":"Redis ready"')).flatMap((l) => {
      const pid = Number(/"pid":(\d+)/.exec(l)?.[1]);
      return Number.isInteger(pid) && pid > 0 ? [pid] : [];
    });
  }

  /** Index of the first line matching `pattern`, or -1. */
  indexOf(pattern: RegExp): number {
    return this.lines.findIndex((l) => pattern.test(l));
  }

  exit(timeoutMs = 30_000): Promise<Exit> {
    return within(this.exited, timeoutMs, () => `the launcher to exit; output:\n${this.lines.join("\n")}`);
  }
}

function launch(script: string, env: Record<string, string>, opts: { group?: boolean } = {}): Launched {
  const { neo4j } = testServices();
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.REDIS_URL; // launch a Redis of its own
  const child = spawn(process.execPath, [script], {
    env: {
      ...base,
      NEO4J_URI: neo4j.uri,
      NEO4J_USERNAME: neo4j.username,
      NEO4J_PASSWORD: neo4j.password,
      DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SEED_CUSTOMERS: "50",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // A process group of its own, so the test can signal the group as a terminal would, not itself.
    detached: opts.group ?? false,
  });
  const l = new Launched(child, opts.group ?? false);
  launched.push(l);
  return l;
}

/** The first JSON log line whose msg matches, parsed. */
async function logLine(l: Launched, msg: RegExp): Promise<Record<string, unknown>> {
  const line = await l.line(new RegExp(`"msg":"${msg.source}`));
  return JSON.parse(line) as Record<string, unknown>;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** True when nothing accepts connections on 127.0.0.1:`port`. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The process group of a live process, from /proc (Linux). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after "(comm)": state, ppid, pgrp, …
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** Starts `npm start`'s entry point and waits until its gateway answers; returns its ports and Redis pid. */
async function startGatewayLauncher(opts: { group?: boolean } = {}): Promise<{ l: Launched; gatewayPort: number; redisPort: number; redisPid: number }> {
  const l = launch(START, {}, opts);
  const redis = await logLine(l, /Redis ready/);
  const ready = await logLine(l, /gateway ready/);
  const gatewayPort = portOf(String(ready.url));
  const health = await fetch(`http://127.0.0.1:${gatewayPort}/healthz`);
  assert.equal(health.status, 200);
  return { l, gatewayPort, redisPort: portOf(String(redis.url)), redisPid: Number(redis.pid) };
}

/** The gateway drained before the Redis it uses was stopped. */
function assertStoppedInOrder(l: Launched): void {
  const draining = l.indexOf(/"msg":"stopping: draining/);
  const drained = l.indexOf(/"msg":"gateway stopped"/);
  const redis = l.indexOf(/"msg":"stopping Redis"/);
  assert.ok(draining >= 0 && drained > draining, `the gateway drained; output:\n${l.lines.join("\n")}`);
  assert.ok(redis > drained, `Redis stopped after the gateway drained; output:\n${l.lines.join("\n")}`);
}

describe("launchers stop their whole tree on a signal", () => {
  test("npm start's entry point, SIGTERM (Docker, systemd, pm2): the gateway drains, then its Redis stops; both ports close", async () => {
    const { l, gatewayPort, redisPort } = await startGatewayLauncher();
    l.kill("SIGTERM");
    assert.deepEqual(await l.exit(), { code: 0, signal: null });
    assertStoppedInOrder(l);
    assert.equal(await refused(gatewayPort), true, "the gateway's port is closed");
    assert.equal(await refused(redisPort), true, "the launched Redis is stopped");
  });

  test("Ctrl-C (SIGINT to the whole foreground group): Redis is outside that group and stops only after the gateway drained", async () => {
    const { l, gatewayPort, redisPort, redisPid } = await startGatewayLauncher({ group: true });
    const launcherGroup = processGroup(l.child.pid ?? 0);
    assert.notEqual(processGroup(redisPid), launcherGroup, "Redis runs in a process group of its own, which a terminal's Ctrl-C does not reach");
    l.kill("SIGINT");
    assert.deepEqual(await l.exit(), { code: 0, signal: null });
    assertStoppedInOrder(l);
    assert.equal(await refused(gatewayPort), true);
    assert.equal(await refused(redisPort), true);
  });

  test("npm run services' entry point killed outright (SIGKILL): the Redis it launched does not outlive it", async () => {
    const l = launch(SERVICES, {});
    const redisPort = portOf((await l.line(/^REDIS_URL=/)).slice("REDIS_URL=".length));
    // A client connection: Redis closes it when it shuts down, an event to wait on.
    const client = connect(redisPort, "127.0.0.1");
    try {
      await new Promise<void>((resolve, reject) => client.once("connect", resolve).once("error", reject));
      const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
      client.on("error", () => undefined);
      l.kill("SIGKILL");
      await l.exit();
      // Not our child any more: the kernel sends it SIGTERM (its parent-death signal) and it shuts down.
      await within(closed, 10_000, `Redis on port ${redisPort} to go with its launcher`);
      assert.equal(await refused(redisPort), true, "Redis does not outlive its launcher");
    } finally {
      // An open client would keep this file's process, and the run, alive when the test fails.
      client.destroy();
    }
  });

  test("npm start on a busy port exits at once, non-zero, with one sentence naming the port, before launching anything", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const started = Date.now();
      const l = launch(START, { PORT: String(port) });
      const { code } = await l.exit(10_000);
      assert.notEqual(code, 0);
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      assert.ok(
        l.lines.includes(`Port ${port} is already in use (another gateway?); stop it or set PORT to a free port.`),
        `output:\n${l.lines.join("\n")}`,
      );
      assert.equal(l.indexOf(/Redis ready|EADDRINUSE|^\s+at /), -1, "nothing launched, no stack trace");
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
