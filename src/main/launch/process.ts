import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createInterface } from "node:readline";

/** A child process we started and own: stopped with SIGTERM, then SIGKILL if it lingers. */
export interface OwnedProcess {
  readonly child: ChildProcess;
  stop(graceMs?: number): Promise<void>;
}

/**
 * How a launched service learns that we died without stopping it (SIGKILL, a crash), so it does
 * not live on as an orphan holding its port and its store:
 * - `stdin`: it exits by itself on EOF of the stdin we hold open (Neo4j's launcher does);
 * - `signal`: the kernel sends it SIGTERM when we exit (`setpriv --pdeathsig`, util-linux), for
 *   programs that cannot watch stdin (redis-server).
 */
export type ParentDeathGuard = "stdin" | "signal";

/**
 * Spawns `command` and resolves once a line of its output satisfies `ready`.
 * Rejects with the last lines it printed if it exits first or `timeoutMs` passes.
 *
 * The service runs in a process group of its own (`detached`): Ctrl-C signals the terminal's whole
 * foreground group at once, and Redis or Neo4j must not stop before the gateway using them has
 * drained. Only `stop()` (run by our stop hooks, in order) stops it, or `parentDeath` when we die.
 */
export function spawnUntilReady(
  what: string,
  command: string,
  args: string[],
  options: SpawnOptions & { ready: (line: string) => boolean; timeoutMs: number; parentDeath: ParentDeathGuard; onLine?: (line: string) => void },
): Promise<OwnedProcess> {
  const { ready, timeoutMs, onLine, parentDeath, ...spawnOptions } = options;
  const [file, argv] = parentDeath === "signal" ? withParentDeathSignal(command, args) : [command, args];
  const child = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"], ...spawnOptions, detached: true });
  const stop = childStopper(child);
  const tail: string[] = [];

  return new Promise<OwnedProcess>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      void stop(2_000);
      reject(new Error(`${what} ${reason}. Its last output:\n${tail.join("\n")}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    const watch = (stream: NodeJS.ReadableStream | null): void => {
      if (!stream) return;
      createInterface({ input: stream }).on("line", (line) => {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        onLine?.(line);
        if (!settled && ready(line)) {
          settled = true;
          clearTimeout(timer);
          resolve({ child, stop });
        }
      });
    };
    watch(child.stdout);
    watch(child.stderr);
    child.once("error", (error) => fail(`could not be started (${error.message})`));
    child.once("exit", (code, signal) => fail(`exited before it was ready (code ${code ?? "none"}, signal ${signal ?? "none"})`));
  });
}

/**
 * Stops `child` with SIGTERM and resolves once it has exited; SIGKILL after `graceMs` (default
 * 30 s) if it lingers. Safe to call more than once and after the child has exited.
 */
export function childStopper(child: ChildProcess): (graceMs?: number) => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return async (graceMs = 30_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
  };
}

let setprivPath: string | null | undefined;

/**
 * `command args` run through `setpriv --pdeathsig SIGTERM`, which sets the parent-death signal and
 * then execs the command in place (same pid, so `stop()` still signals the service itself). Where
 * setpriv is missing (not Linux, no util-linux) the command runs as is: it is then stopped by our
 * stop hooks only, and survives a SIGKILL of this process.
 */
export function withParentDeathSignal(command: string, args: string[]): [string, string[]] {
  if (setprivPath === undefined) {
    try {
      const found = execFileSync("sh", ["-c", "command -v setpriv"], { encoding: "utf8" }).trim();
      // --pdeathsig arrived in util-linux 2.33 (2018); an older setpriv would refuse the flag.
      const help = found ? execFileSync(found, ["--help"], { encoding: "utf8" }) : "";
      setprivPath = help.includes("--pdeathsig") ? found : null;
    } catch {
      setprivPath = null;
    }
  }
  return setprivPath ? [setprivPath, ["--pdeathsig", "SIGTERM", "--", command, ...args]] : [command, args];
}
