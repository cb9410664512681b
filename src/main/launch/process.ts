import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createInterface } from "node:readline";

/** A child process we started and own: stopped with SIGTERM, then SIGKILL if it lingers. */
export interface OwnedProcess {
  readonly child: ChildProcess;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `command` and resolves once a line of its output satisfies `ready`.
 * Rejects with the last lines it printed if it exits first or `timeoutMs` passes.
 */
export function spawnUntilReady(
  what: string,
  command: string,
  args: string[],
  options: SpawnOptions & { ready: (line: string) => boolean; timeoutMs: number; onLine?: (line: string) => void },
): Promise<OwnedProcess> {
  const { ready, timeoutMs, onLine, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], ...spawnOptions });
  const tail: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async (graceMs = 30_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };

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
