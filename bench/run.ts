/**
 * `npm run bench`: the unified view of one customer under load, our gateway against the Neo4j
 * GraphQL Library over the same seeded graph.
 *
 * 1. Neo4j and Redis for the bench profile (data kept in .data/bench), seeded unless the data set
 *    is already there.
 * 2. Both servers as child processes on free ports, so neither shares the load generator's
 *    event loop (they do share the machine's cores, as they would share a node).
 * 3. Their answers compared on a sample of customers, then each warmed up and driven at a fixed
 *    concurrency for a fixed time with a seeded random mix of customers.
 * 4. One printout (bench/report.ts) on stdout; progress goes to stderr.
 * Everything started here is stopped at the end, on failure and on Ctrl-C (src/cli/run-main.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { runMain } from "../src/cli/run-main";
import { PROJECT_ROOT } from "../src/paths";
import { ensureServices } from "../src/services/environment";
import { freePort } from "../src/services/ports";
import { rngFor } from "../seeds/random";
import { startChildServer } from "./children";
import { compareAnswers } from "./compare";
import { customerId, ensureDataset } from "./dataset";
import { recordComparison, recordInterference, recordSetting, recordUnifiedView } from "./figures";
import type { LoadTarget } from "./load";
import { combineSlices, measureSlice, type Slice } from "./measure";
import { parseBenchOptions, USAGE } from "./options";
import { BenchReport } from "./report";
import { libraryTarget, ourTarget } from "./targets";

/** Salts for the bench's own random streams, apart from the seed's. */
const LOAD_STREAM = 0xbe4c;
const WARMUP_STREAM = 0xbe4d;
const COMPARE_STREAM = 0xc0de;
/** Pause after each measured slice (see there). */
const SETTLE_MS = 1_000;

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : "– ms");

runMain(
  async (onStop) => {
    const parsed = parseBenchOptions(process.argv.slice(2));
    if (parsed === "help") {
      console.log(USAGE);
      return;
    }
    const opts = parsed;
    // Service logs go to stderr with the progress lines; stdout carries only the figures.
    const log = pino({ name: "bench", level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));

    say("starting Neo4j and Redis (profile bench, data in .data/bench)…");
    const services = await ensureServices({ profile: "bench", log });
    onStop(() => services.stop());
    const redisUrl = services.redisUrl;
    if (!redisUrl) throw new Error("the bench needs Redis, and ensureServices returned none");

    const dataset = await ensureDataset(services.neo4j, opts, say);

    const neo4jEnv: Record<string, string> = {
      NEO4J_URI: services.neo4j.uri,
      NEO4J_USERNAME: services.neo4j.username,
      NEO4J_PASSWORD: services.neo4j.password,
      ...(services.neo4j.database ? { NEO4J_DATABASE: services.neo4j.database } : {}),
    };
    const ourPort = await freePort();
    say(`starting our gateway on port ${ourPort}…`);
    const gateway = await startChildServer({
      name: "gateway",
      script: join(PROJECT_ROOT, "dist/src/cli/start.js"),
      env: { ...neo4jEnv, REDIS_URL: redisUrl, PORT: String(ourPort), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
      graphqlUrl: `http://127.0.0.1:${ourPort}/graphql`,
      // Ready, not just alive: it answers 200 only once Neo4j and Redis do.
      healthUrl: `http://127.0.0.1:${ourPort}/readyz`,
    });
    onStop(() => gateway.stop());

    const theirPort = await freePort();
    say(`starting the Neo4j GraphQL Library server on port ${theirPort}…`);
    const library = await startChildServer({
      name: "neo4j-graphql",
      script: join(PROJECT_ROOT, "dist/bench/neo4j-graphql-server.js"),
      env: { ...neo4jEnv, PORT: String(theirPort), LOG_LEVEL: "warn" },
      graphqlUrl: `http://127.0.0.1:${theirPort}/graphql`,
      healthUrl: `http://127.0.0.1:${theirPort}/healthz`,
    });
    onStop(() => library.stop());

    const ours = ourTarget(gateway.url);
    const theirs = libraryTarget(library.url);
    const report = new BenchReport("bench: customer-360 unified view");
    recordSetting(report, opts, dataset, libraryVersion());

    if (opts.compareSample > 0) {
      say(`comparing both sides' answers on ${opts.compareSample} customers…`);
      const compareRng = rngFor(opts.seed, COMPARE_STREAM);
      const ids = Array.from({ length: opts.compareSample }, () => customerId(1 + Math.floor(compareRng.next() * opts.customers)));
      recordComparison(report, await compareAnswers(ours, theirs, ids));
    }

    // Both sides are measured on the same sequence of customers (the same mix); warm-up uses
    // another, so it does not pre-load exactly the customers about to be measured.
    const idStream = (stream: number): (() => string) => {
      const rng = rngFor(opts.seed, stream);
      return () => customerId(1 + Math.floor(rng.next() * opts.customers));
    };
    const warmUp = async (target: LoadTarget): Promise<void> => {
      say(`warm-up ${target.name}: ${opts.warmupS} s at concurrency ${opts.concurrency}…`);
      const { load } = await measureSlice(target, { serverPid: undefined, concurrency: opts.concurrency, durationS: opts.warmupS, nextId: idStream(WARMUP_STREAM) });
      say(`  ${load.requestsPerS.toFixed(1)} req/s, p50 ${ms(load.latencyMs.p50)}, p99 ${ms(load.latencyMs.p99)}, ${load.failures} errors`);
    };
    // Warm both before measuring either (JIT, plan caches, Neo4j's page cache for both).
    if (opts.warmupS > 0) {
      await warmUp(ours);
      await warmUp(theirs);
    }

    // Measured in alternating slices (ours, theirs, theirs, ours, …) so that a busy spell on the
    // machine, or a drift such as a filling cache, weighs on both sides alike. Each side keeps
    // its own copy of one id sequence across its slices: both ask for the same customers.
    const sides = [
      { target: ours, serverPid: gateway.pid, nextId: idStream(LOAD_STREAM), slices: [] as Slice[] },
      { target: theirs, serverPid: library.pid, nextId: idStream(LOAD_STREAM), slices: [] as Slice[] },
    ];
    const sliceS = opts.durationS / opts.slices;
    say(`measuring: ${opts.durationS} s per side in ${opts.slices} alternating slices of ${sliceS.toFixed(1)} s at concurrency ${opts.concurrency}…`);
    for (let i = 0; i < opts.slices; i++) {
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
        const slice = await measureSlice(side.target, { serverPid: side.serverPid, concurrency: opts.concurrency, durationS: sliceS, nextId: side.nextId });
        side.slices.push(slice);
        const share = slice.others ? ` (other processes ${((100 * slice.others.others) / slice.others.total).toFixed(0)}% of the CPU)` : "";
        say(`  slice ${i + 1} ${side.target.name}: ${slice.load.requestsPerS.toFixed(1)} req/s, p99 ${ms(slice.load.latencyMs.p99)}, ${slice.load.failures} errors${share}`);
        // Requests still in flight when a slice ends are dropped by the client but finish on the
        // server; let them, so they do not run into the other side's slice.
        await sleep(SETTLE_MS);
      }
    }
    const [ourRun, theirRun] = sides.map((side) => combineSlices(side.slices));
    if (!ourRun || !theirRun) throw new Error("no measurement");
    recordInterference(report, [
      ["ours", ourRun.othersShare],
      ["theirs", theirRun.othersShare],
    ]);
    recordUnifiedView(report, ourRun, theirRun);

    console.log(`\n${report.render()}\n`);
  },
  { exitWhenDone: true },
);

/** The installed @neo4j/graphql version, for the printout. */
function libraryVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules/@neo4j/graphql/package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "?";
  } catch {
    return "?";
  }
}
