import { ConfigError, shutdownGraceMs } from "./config";
import { StartupError } from "./errors";

type Stopper = () => Promise<void>;

/**
 * The signals that stop a command: SIGTERM (Docker, systemd, pm2, `kill`), SIGINT (Ctrl-C) and
 * SIGHUP (the terminal closed).
 */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * Runs a command-line entry point: stoppers registered along the way run one after the other, in
 * reverse order of registration (the gateway drains before the Redis and Neo4j it uses stop), on
 * SIGTERM, SIGINT, SIGHUP, failure or, with `exitWhenDone`, completion. A configuration or start-up
 * error prints its sentences without a stack trace. `main`'s second argument is aborted once
 * stopping has begun.
 *
 * A stop signal usually arrives more than once: Ctrl-C signals the whole foreground process group,
 * and the launcher above us (ops/bootstrap.mjs, npm) forwards the same signal again. Repeats are
 * therefore ignored while stopping rather than left to Node's default (exit at once), which would
 * cut the drain short.
 */
export function runMain(main: (onStop: (stop: Stopper) => void, stopping: AbortSignal) => Promise<void>, opts: { exitWhenDone?: boolean } = {}): void {
  // The longest a stop may take before the process exits regardless (SHUTDOWN_GRACE_MS, default
  // 25 s: under Kubernetes' default grace period of 30 s, which would SIGKILL us mid-flush).
  const stopLimitMs = shutdownGraceMs();
  const stoppers: Stopper[] = [];
  // Aborted when stopping begins, so a start-up still under way can give up instead of carrying on.
  const aborted = new AbortController();
  let stopping: Promise<void> | undefined;
  let exitCode: number | undefined;
  const stopAll = async (code: number): Promise<never> => {
    exitCode ??= code;
    aborted.abort();
    // One pass for every caller: a failure reported while a signal's stop is under way waits for it.
    stopping ??= (async () => {
      // pop(): a stopper registered while stopping (a start-up step finishing late) still runs.
      for (let stop = stoppers.pop(); stop; stop = stoppers.pop()) {
        await stop().catch((error: unknown) => console.error("while stopping:", error instanceof Error ? error.message : error));
      }
    })();
    // A stop is bounded, as an orchestrator's grace period is: what has not drained by then is
    // said on stderr and the process exits anyway (a step that never settles must not keep a
    // replica, or a test run waiting on it, alive for ever).
    const limit = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), stopLimitMs).unref());
    if ((await Promise.race([stopping, limit])) === "timeout") {
      console.error(`while stopping: not finished after ${stopLimitMs / 1000} s; exiting with what is still open`);
      exitCode = exitCode === 0 ? 1 : exitCode;
    }
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stopAll(0));
  main((stop) => stoppers.push(stop), aborted.signal).then(
    () => (opts.exitWhenDone ? stopAll(Number(process.exitCode ?? 0)) : undefined),
    (error: unknown) => {
      // Once a signal is stopping us, the start-up steps it interrupted fail; that is not news.
      if (stopping) return;
      if (error instanceof ConfigError || error instanceof StartupError) console.error(error.message);
      else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      void stopAll(error instanceof ConfigError ? 2 : 1);
    },
  );
}
