import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { Graph } from "../src/platform/neo4j";
import { createLogger } from "../src/platform/logger";
import { ensureServices } from "../src/main/launch/environment";
import { SeedConflictError, ensureMarketing, isSeeded, seedGraph, type SeedProgress } from "./index";
import { latestSeedRun } from "./load";
import type { Logger } from "../src/platform/logger";
import { parseFlags, wholeNumberFlag } from "../src/platform/cli-args";
import { runMain } from "../src/platform/run-main";

/**
 * `npm run seed -- --customers N --seed S [--as-of YYYY-MM-DD]`: seeds the development graph
 * (Neo4j launched unless NEO4J_URI is set). Idempotent: what is already there is skipped.
 *
 * `--if-empty` is what `npm start` runs before the gateway: the demo data set only into a graph
 * without customers (never into one that may be an operator's), then the demo marketing rows the
 * graph lacks. It is a separate process so that nothing the gateway runs imports the seeds.
 */

const USAGE = "usage: npm run seed -- [--customers N] [--seed S] [--as-of YYYY-MM-DD] [--if-empty]";
const MAX_CUSTOMERS = 10_000_000;

/** Parsed command line. */
export interface SeedArgs {
  customers: number;
  seed: number;
  asOf: Date | undefined;
  /** Seed only a graph without customers; then add the demo marketing rows it lacks. */
  ifEmpty: boolean;
}

/** Parses the command line, or returns the one sentence that says what is wrong with it. */
export function parseSeedArgs(argv: readonly string[]): SeedArgs | { error: string } {
  const ifEmpty = argv.includes("--if-empty");
  const parsed = parseFlags(argv.filter((a) => a !== "--if-empty"), ["customers", "seed", "as-of"], USAGE);
  if ("error" in parsed) return parsed;
  const { values } = parsed;
  const customers = wholeNumberFlag("customers", values.customers ?? "20000", 1, MAX_CUSTOMERS);
  if (typeof customers !== "number") return customers;
  const seed = wholeNumberFlag("seed", values.seed ?? "42", 0, 0xffffffff);
  if (typeof seed !== "number") return seed;
  let asOf: Date | undefined;
  if (values["as-of"] !== undefined) {
    const text = values["as-of"];
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    if (!m || !date || date.toISOString().slice(0, 10) !== text) return { error: `--as-of must be a calendar date written YYYY-MM-DD, not "${text}".` };
    asOf = date;
  }
  return { customers, seed, asOf, ifEmpty };
}

/** A progress bar per phase on a terminal; one plain line per tenth of each phase otherwise. */
function progressReporter(): { onProgress: (p: SeedProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bars = new MultiBar(
      { stream: process.stderr, format: " {phase} |{bar}| {percentage}% | {value}/{total} | {duration_formatted}", hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    const byPhase = new Map<string, SingleBar>();
    return {
      onProgress: (p) => {
        if (p.phase === "done") return;
        let bar = byPhase.get(p.phase);
        if (!bar) {
          bar = bars.create(p.total, 0, { phase: p.phase.padEnd(9) });
          byPhase.set(p.phase, bar);
        }
        bar.setTotal(p.total);
        bar.update(p.done, { phase: p.phase.padEnd(9) });
      },
      stop: () => bars.stop(),
    };
  }
  const last = new Map<string, number>();
  return {
    onProgress: (p) => {
      if (p.phase === "done") return;
      const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
      if (last.get(p.phase) === tenth) return;
      last.set(p.phase, tenth);
      console.error(`seeding ${p.phase}: ${tenth * 10}% (${p.done.toLocaleString("en")}/${p.total.toLocaleString("en")})`);
    },
    stop: () => undefined,
  };
}

const parsed = parseSeedArgs(process.argv.slice(2));
if ("error" in parsed) {
  console.error(parsed.error);
  process.exit(2);
}
const args = parsed;

runMain(
  async (onStop) => {
    const log = createLogger("seed", process.env.LOG_LEVEL ?? "warn");
    const services = await ensureServices({ profile: "dev", redis: false, log });
    onStop(() => services.stop());
    const graph = Graph.connect(services.neo4j);
    if (args.ifEmpty) {
      try {
        await seedIfEmpty(graph, args, log);
      } finally {
        await graph.close();
      }
      return;
    }
    const reporter = progressReporter();
    let conflict: string | null = null;
    try {
      const result = await seedGraph(graph, { customers: args.customers, seed: args.seed, asOf: args.asOf, onProgress: reporter.onProgress });
      reporter.stop();
      const seconds = result.ms / 1000;
      const fmt = (n: number): string => n.toLocaleString("en");
      const rate = result.written > 0 ? `${fmt(Math.round(result.written / Math.max(seconds, 0.001)))} customers/s` : "all were already there";
      console.error(
        `seeded ${fmt(result.customers)} customers (seed ${args.seed}, as of ${result.asOf.toISOString().slice(0, 10)}; ${fmt(result.written)} written now), ` +
          `${fmt(result.contacts)} contacts, ${fmt(result.relationships)} relationships in ${seconds.toFixed(1)} s (${rate})`,
      );
    } catch (error) {
      if (!(error instanceof SeedConflictError)) throw error;
      conflict = error.message;
    } finally {
      reporter.stop();
      await graph.close();
    }
    if (conflict !== null) {
      // Not a failure of the program but of the request: one sentence and the usage exit code.
      reporter.stop();
      console.error(conflict);
      await services.stop();
      process.exit(2);
    }
  },
  { exitWhenDone: true },
);

/** `--if-empty`: the demo data set into an empty graph, then the demo marketing rows it lacks. */
async function seedIfEmpty(graph: Graph, opts: SeedArgs, log: Logger): Promise<void> {
  if (!(await isSeeded(graph))) {
    console.error(`the graph is empty; seeding the demo data set (${opts.customers.toLocaleString("en")} customers, seed ${opts.seed})`);
    const reporter = progressReporter();
    try {
      const result = await seedGraph(graph, { customers: opts.customers, seed: opts.seed, asOf: opts.asOf, onProgress: reporter.onProgress });
      console.error(`demo data seeded: ${result.customers.toLocaleString("en")} customers in ${(result.ms / 1000).toFixed(1)} s`);
    } finally {
      reporter.stop();
    }
  } else if (!(await latestSeedRun(graph))) {
    // Never seed into a graph that already holds customers: it may be an operator's real one.
    log.warn("the graph holds customers but no completed seed run; if a seed was interrupted, `npm run seed` finishes it");
  }
  if (await ensureMarketing(graph)) console.error("added the demo segments, offers and strategies");
}
