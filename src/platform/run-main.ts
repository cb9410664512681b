import { ConfigError } from "./config";

type Stopper = () => Promise<void>;

/**
 * Runs a command-line entry point: stoppers registered along the way run in reverse on SIGINT,
 * SIGTERM or failure; a configuration error prints its sentences without a stack trace.
 */
export function runMain(main: (onStop: (stop: Stopper) => void) => Promise<void>, opts: { exitWhenDone?: boolean } = {}): void {
  const stoppers: Stopper[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      for (const stop of stoppers.reverse()) {
        await stop().catch((error: unknown) => console.error("while stopping:", error instanceof Error ? error.message : error));
      }
    }
    process.exit(code);
  };
  process.once("SIGINT", () => void stopAll(0));
  process.once("SIGTERM", () => void stopAll(0));
  main((stop) => stoppers.push(stop)).then(
    () => (opts.exitWhenDone ? stopAll(Number(process.exitCode ?? 0)) : undefined),
    (error: unknown) => {
      if (error instanceof ConfigError) console.error(error.message);
      else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      void stopAll(error instanceof ConfigError ? 2 : 1);
    },
  );
}
