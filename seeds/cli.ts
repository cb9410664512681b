import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { Graph } from "../src/platform/neo4j";
import { createLogger } from "../src/platform/logger";
import { ensureServices } from "../src/main/launch/environment";
import { SeedConflictError, ensureMarketing, finishImport, isSeeded, seedGraph, startOfUtcDay, type FinishedImport, type SeedProgress } from "./index";
import { latestSeedRun } from "./load";
import { bulkSeed, type BulkSeedResult } from "./import";
import { neo4jInstalled, neo4jStoreIsFresh } from "../src/main/launch/neo4j";
import type { Logger } from "../src/platform/logger";
import { parseFlags, wholeNumberFlag } from "../src/platform/cli-args";
import { runMain } from "../src/platform/run-main";
import { PROJECT_ROOT } from "../src/platform/paths";
import { join, resolve } from "node:path";

/**
 * `npm run seed -- --customers N --seed S [--as-of YYYY-MM-DD] [--bolt]`: seeds the development
 * graph (Neo4j launched unless NEO4J_URI is set).
 *
 * Into a store that never started (a fresh checkout, an empty DATA_DIR) it loads in bulk: the data
 * set is written to CSV files and Neo4j's own importer builds the store before Neo4j starts
 * (./import), then the constraints, indexes and the rest are added through Bolt. Otherwise, or
 * with `--bolt`, it writes through Bolt: idempotent, what is already there is skipped, so it
 * extends a smaller data set of the same seed.
 *
 * `--if-empty` is what `npm start` runs before the gateway: finishes a bulk import of the demo data
 * set, or seeds it through Bolt into a graph without customers (never into one that may be an
 * operator's), then adds the demo marketing rows the graph lacks. `--into-store DIR` is its first
 * half, run by `npm start` before it launches Neo4j: the bulk import alone, into the store DIR
 * that never started. Both are separate processes so that nothing the gateway runs imports the seeds.
 */

const USAGE = "usage: npm run seed -- [--customers N] [--seed S] [--as-of YYYY-MM-DD] [--bolt] [--if-empty] [--into-store DIR]";
const MAX_CUSTOMERS = 10_000_000;

/** Parsed command line. */
export interface SeedArgs {
  customers: number;
  seed: number;
  asOf: Date | undefined;
  /** Seed only a graph without customers; then add the demo marketing rows it lacks. */
  ifEmpty: boolean;
  /** Write through Bolt even into a store the bulk importer could build. */
  bolt: boolean;
  /** Only the bulk import, into this store directory (which must never have started). */
  intoStore: string | undefined;
}

/** Parses the command line, or returns the one sentence that says what is wrong with it. */
export function parseSeedArgs(argv: readonly string[]): SeedArgs | { error: string } {
  const ifEmpty = argv.includes("--if-empty");
  const bolt = argv.includes("--bolt");
  const parsed = parseFlags(argv.filter((a) => a !== "--if-empty" && a !== "--bolt"), ["customers", "seed", "as-of", "into-store"], USAGE);
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
  const intoStore = values["into-store"];
  if (intoStore !== undefined && (bolt || ifEmpty)) return { error: `--into-store is the bulk import alone; it does not go with --bolt or --if-empty (${USAGE})` };
  return { customers, seed, asOf, ifEmpty, bolt, intoStore };
}

/** How each phase is named on screen; the importer's phases count percent, the others customers or steps. */
const PHASES: Record<Exclude<SeedProgress["phase"], "done">, { label: string; percent: boolean }> = {
  files: { label: "writing CSV files", percent: false },
  nodes: { label: "import: nodes", percent: true },
  relations: { label: "import: relationships", percent: true },
  linking: { label: "import: linking", percent: true },
  post: { label: "import: post-processing", percent: true },
  schema: { label: "constraints and indexes", percent: true },
  catalogue: { label: "catalogue", percent: false },
  customers: { label: "customers", percent: false },
};

/** A progress bar per phase on a terminal; one plain line per tenth of each phase otherwise, with the seconds since `started`. */
function progressReporter(started = Date.now()): { onProgress: (p: SeedProgress) => void; stop: () => void } {
  const width = Math.max(...Object.values(PHASES).map((p) => p.label.length));
  if (process.stderr.isTTY) {
    const bars = new MultiBar(
      { stream: process.stderr, format: " {phase} |{bar}| {percentage}% | {counts} | {duration_formatted}", hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    const byPhase = new Map<string, SingleBar>();
    return {
      onProgress: (p) => {
        if (p.phase === "done") return;
        const { label, percent } = PHASES[p.phase];
        const payload = { phase: label.padEnd(width), counts: percent ? "" : `${p.done.toLocaleString("en")}/${p.total.toLocaleString("en")}` };
        let bar = byPhase.get(p.phase);
        if (!bar) {
          bar = bars.create(p.total, 0, payload);
          byPhase.set(p.phase, bar);
        }
        bar.setTotal(p.total);
        bar.update(p.done, payload);
      },
      stop: () => bars.stop(),
    };
  }
  const last = new Map<string, number>();
  return {
    onProgress: (p) => {
      if (p.phase === "done") return;
      const { label, percent } = PHASES[p.phase];
      // Tenths of the long phases; quarters of the importer's stages (four of them, each quick at demo sizes).
      const step = percent ? 2.5 : 1;
      const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total / step) * step : 10;
      if (last.get(p.phase) === tenth) return;
      last.set(p.phase, tenth);
      const counts = percent ? "" : ` (${p.done.toLocaleString("en")}/${p.total.toLocaleString("en")})`;
      console.error(`seeding, ${label}: ${tenth * 10}%${counts} [${((Date.now() - started) / 1000).toFixed(0)} s]`);
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
const fmt = (n: number): string => n.toLocaleString("en");
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

runMain(
  async (onStop) => {
    const started = Date.now();
    // Warnings only, unless Neo4j's jars are still to be fetched (first run): that can take minutes, and says how far it is.
    const log = createLogger("seed", process.env.LOG_LEVEL ?? (neo4jInstalled() ? "warn" : "info"));
    if (args.intoStore !== undefined) {
      await importIntoStore(args.intoStore, args, log, onStop);
      return;
    }
    const reporter = progressReporter(started);
    // Into a store that never started, the bulk import builds it before Neo4j starts; why it did
    // not is said in one line (the Bolt path is much slower at large sizes).
    let bulk: BulkSeedResult | null = null;
    const devStore = join(resolve(PROJECT_ROOT, process.env.DATA_DIR || ".data"), "dev", "neo4j");
    let boltBecause: string | null = args.bolt
      ? null
      : process.env.NEO4J_URI
        ? "NEO4J_URI names a server this command does not launch, so the importer cannot build its store"
        : `Neo4j already runs on ${devStore} (npm start or npm run services); to load in bulk, stop it, delete that directory (or use another DATA_DIR) and seed again`;
    const asOf = args.asOf ?? startOfUtcDay();
    const services = await ensureServices({
      profile: "dev",
      redis: false,
      log,
      beforeNeo4jStart: async (storeDir) => {
        boltBecause = null;
        if (args.bolt) return;
        if (!neo4jStoreIsFresh(storeDir)) {
          boltBecause = `the store in ${storeDir} has been started before and the bulk importer only builds a new one; to load in bulk, delete that directory (or use another DATA_DIR) and seed again`;
          return;
        }
        bulk = await bulkSeed({ storeDir, customers: args.customers, seed: args.seed, asOf, log, onProgress: reporter.onProgress, onStop });
      },
    });
    onStop(() => services.stop());
    const startedNeo4jAt = Date.now();
    const graph = Graph.connect(services.neo4j);
    if (args.ifEmpty) {
      try {
        await seedIfEmpty(graph, args, log, reporter);
      } finally {
        reporter.stop();
        await graph.close();
      }
      return;
    }
    let conflict: string | null = null;
    try {
      // A bulk import is finished here (or, when an earlier run was stopped after its import, by seedGraph).
      const finished = bulk ? await finishImport(graph, { onProgress: reporter.onProgress }) : null;
      if (bulk && finished) {
        reporter.stop();
        const b: BulkSeedResult = bulk;
        const total = Date.now() - started;
        console.error(
          `seeded ${fmt(b.customers)} customers (seed ${args.seed}, as of ${asOf.toISOString().slice(0, 10)}), ${fmt(b.contacts)} contacts, ${fmt(b.relationships)} relationships ` +
            `in ${secs(total)} with Neo4j's bulk importer: CSV files ${secs(b.generateMs)} (${fmt(Math.round(b.bytes / 1e6))} MB), import ${secs(b.importMs)}, ` +
            `Neo4j start ${secs(startedNeo4jAt - started - b.generateMs - b.importMs)}, constraints and indexes ${secs(finished.schemaMs)}, the rest ${secs(finished.ms - finished.schemaMs)} ` +
            `(${fmt(Math.round(b.customers / (total / 1000)))} customers/s)`,
        );
      } else {
        if (boltBecause !== null) console.error(`writing through Bolt (about 3 minutes per 100,000 new customers): ${boltBecause}.`);
        const result = await seedGraph(graph, { customers: args.customers, seed: args.seed, asOf: args.asOf, onProgress: reporter.onProgress });
        reporter.stop();
        const seconds = result.ms / 1000;
        const rate = result.written > 0 ? `${fmt(Math.round(result.written / Math.max(seconds, 0.001)))} customers/s` : "all were already there";
        console.error(
          `seeded ${fmt(result.customers)} customers (seed ${args.seed}, as of ${result.asOf.toISOString().slice(0, 10)}; ${fmt(result.written)} written now), ` +
            `${fmt(result.contacts)} contacts, ${fmt(result.relationships)} relationships in ${seconds.toFixed(1)} s through Bolt (${rate})`,
        );
      }
    } catch (error) {
      if (!(error instanceof SeedConflictError)) throw error;
      conflict = error.message;
    } finally {
      reporter.stop();
      await graph.close();
    }
    if (conflict !== null) {
      // Not a failure of the program but of the request: one sentence and the usage exit code.
      console.error(conflict);
      await services.stop();
      process.exit(2);
    }
  },
  { exitWhenDone: true },
);

/** `--into-store DIR`: the bulk import alone, into a store that never started (npm start runs it before launching Neo4j). */
async function importIntoStore(storeDir: string, opts: SeedArgs, log: Logger, onStop: (stop: () => Promise<void>) => void): Promise<void> {
  console.error(`a new store: importing the demo data set in bulk (${fmt(opts.customers)} customers, seed ${opts.seed})`);
  const reporter = progressReporter();
  try {
    const result = await bulkSeed({ storeDir, customers: opts.customers, seed: opts.seed, asOf: opts.asOf ?? startOfUtcDay(), log, onProgress: reporter.onProgress, onStop });
    reporter.stop();
    console.error(`demo data imported: ${fmt(result.customers)} customers, ${fmt(result.contacts)} contacts in ${secs(result.generateMs + result.importMs)} (CSV files ${secs(result.generateMs)}, import ${secs(result.importMs)})`);
  } finally {
    reporter.stop();
  }
}

/**
 * `--if-empty`: finishes a bulk import of the demo data set, or seeds it through Bolt into an
 * empty graph; then the demo marketing rows the graph lacks.
 */
async function seedIfEmpty(graph: Graph, opts: SeedArgs, log: Logger, reporter: { onProgress: (p: SeedProgress) => void; stop: () => void }): Promise<void> {
  const finished: FinishedImport | null = await finishImport(graph, { onProgress: reporter.onProgress });
  if (finished) {
    reporter.stop();
    console.error(`demo data ready: ${fmt(finished.customers)} customers; constraints and indexes in ${secs(finished.schemaMs)}`);
  } else if (!(await isSeeded(graph))) {
    console.error(`the graph is empty; seeding the demo data set through Bolt (${fmt(opts.customers)} customers, seed ${opts.seed})`);
    const result = await seedGraph(graph, { customers: opts.customers, seed: opts.seed, asOf: opts.asOf, onProgress: reporter.onProgress });
    reporter.stop();
    console.error(`demo data seeded: ${fmt(result.customers)} customers in ${secs(result.ms)}`);
  } else if (!(await latestSeedRun(graph))) {
    // Never seed into a graph that already holds customers: it may be an operator's real one.
    log.warn("the graph holds customers but no completed seed run; if a seed was interrupted, `npm run seed` finishes it");
  }
  if (await ensureMarketing(graph)) console.error("added the demo segments, offers and strategies");
}
