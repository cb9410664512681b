/**
 * `npm run bench`: our gateway under load over the 100,000-customer bench data set.
 *
 * Scenarios (`--only` picks some):
 * - unified-view: the unified view of one customer, our gateway against the Neo4j GraphQL Library
 *   over the same graph (bench/unified-view.ts);
 * - decisions: `nextBestOffers` for one customer on our gateway, with where a decision's time goes
 *   (bench/decisions.ts);
 * - realtime: event in → offer on a subscriber's socket, 10,000 subscriptions, on one gateway and
 *   on two (bench/realtime.ts);
 * - first-event: the first event's push after a fresh gateway start, with and without the
 *   start-up warm-up (bench/first-event.ts);
 * - segments: segment previews on the bitmaps beside a Cypher scan of the same question, graph and
 *   trajectory predicates cold and warm, an accepted offer → membership, an index build (bench/segments.ts);
 * - campaigns: a one-wave SMS campaign over every customer of the store, run by the gateway's
 *   scheduler: members and decisions per second, time to finish, gateway CPU per member (bench/campaigns.ts);
 * - desk: an agent's call event → the caller painted on /desk in Chromium, one call at a time, p50/p99
 *   (bench/desk.ts, the measuring code the browser test uses);
 * - balancer: the unified view and event → push through HAProxy in front of one replica and of
 *   three, with CPU per request in each process (bench/balancer.ts);
 * - observability (only when asked for): the unified view and decisions with metrics, and with
 *   metrics and traces, against both off, on three gateways in alternating slices (bench/observability.ts).
 *
 * 1. Neo4j and Redis for the bench profile (data kept in .data/bench), seeded unless the data set
 *    is already there.
 * 2. The servers as child processes on free ports, so none shares the load generator's event
 *    loop (they do share the machine's cores, as they would share a node).
 * 3. Each scenario in turn; the unified view first, as decisions write to the graph.
 * 4. One printout (bench/report.ts) on stdout; progress goes to stderr.
 * Everything started here is stopped at the end, on failure, on Ctrl-C and on SIGTERM (src/platform/run-main.ts).
 */
import { BENCH_AUTH_SECRET, BENCH_RATE_LIMITS, prepareBenchTokens } from "./auth";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PristineStore } from "./pristine";
import { pino } from "pino";
import { runMain } from "../src/platform/run-main";
import { Graph } from "../src/platform/neo4j";
import { Redis } from "ioredis";
import { PROJECT_ROOT } from "../src/platform/paths";
import { ensureServices } from "../src/main/launch/environment";
import { freePort } from "../src/main/launch/ports";
import { rngFor } from "../seeds/random";
import { startChildServer, stopChildServers, type ChildServer } from "./children";
import { customerId, ensureDataset, progressPrinter } from "./dataset";
import { neo4jStoreIsFresh } from "../src/main/launch/neo4j";
import { bulkSeed, type BulkSeedResult } from "../seeds/import";
import { startOfUtcDay } from "../seeds/index";
import { runDecisionScenario } from "./decisions";
import { runRealtimeScenario } from "./realtime";
import { runBalancerScenario } from "./balancer";
import { runFirstEventScenario } from "./first-event";
import { runSegmentScenario } from "./segments";
import { recordObservability, runObservabilityScenario } from "./observability";
import { recordCampaigns, runCampaignScenario } from "./campaigns";
import { runDeskScenario } from "./desk";
import { recordComparison, recordDecisions, recordDesk, recordFirstEvent, recordInterference, recordJitWarnings, recordRealtime, recordSegments, recordAuditWrites, recordBalancer, recordSetting, recordUnifiedView } from "./figures";
import { parseBenchOptions, USAGE } from "./options";
import { BenchReport } from "./report";
import { fillViewProfiles, runUnifiedViewScenario, viewedCustomers } from "./unified-view";

/** The gateway children's Redis key prefix: they inherit ours, else the gateway's default. */
const REDIS_KEY_PREFIX = process.env.REDIS_KEY_PREFIX ?? "c360:";

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

runMain(
  async (onStop) => {
    const parsed = parseBenchOptions(process.argv.slice(2));
    if (parsed === "help") {
      console.log(USAGE);
      return;
    }
    const opts = parsed;
    const scenarios = new Set(opts.scenarios);
    // Service logs go to stderr with the progress lines; stdout carries only the figures.
    const log = pino({ name: "bench", level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));

    // Every run starts from the store as seeded and leaves it so (./pristine.ts), when this run
    // starts and stops the bench's own Neo4j and Redis (not services given by URL or already running).
    const dataRoot = join(resolve(PROJECT_ROOT, process.env.DATA_DIR || ".data"), "bench");
    const ownServices = !process.env.NEO4J_URI && !process.env.REDIS_URL && !existsSync(join(dataRoot, "services.json"));
    const pristine = ownServices ? new PristineStore(dataRoot) : null;
    const data = { seed: opts.seed, customers: opts.customers };
    if (pristine?.isDirty() && (await pristine.matches(data))) {
      say("data set: an earlier run was cut short; putting the seeded store back first…");
      await pristine.restore();
    }

    say("starting Neo4j and Redis (profile bench, data in .data/bench)…");
    // A new bench store is built by Neo4j's bulk importer before Neo4j starts (seeds/import.ts).
    let imported: BulkSeedResult | null = null;
    const start = (): ReturnType<typeof ensureServices> =>
      ensureServices({
        profile: "bench",
        log,
        beforeNeo4jStart: async (storeDir) => {
          if (!neo4jStoreIsFresh(storeDir)) return;
          say(`data set: a new store, importing ${opts.customers.toLocaleString("en")} customers (seed ${opts.seed}) in bulk`);
          imported = await bulkSeed({ storeDir, customers: opts.customers, seed: opts.seed, asOf: startOfUtcDay(), log, onProgress: progressPrinter(say), onStop });
        },
      });
    let services = await start();
    // Registered before the services' stop, so it runs after it: the stopped store is put back as seeded.
    onStop(async () => {
      if (!pristine?.isDirty() || !(await pristine.matches(data))) return;
      say("putting the seeded store back (.data/bench-pristine), so the next run starts where this one did…");
      await pristine.restore();
    });
    onStop(() => services.stop());
    // Registered after the services, so run before them: whatever gateway a scenario still has up stops first.
    onStop(() => stopChildServers());
    const dataset = await ensureDataset(services.neo4j, opts, say, imported);
    if (pristine && dataset.seededS > 0) {
      say("data set: keeping a copy of the store as seeded (.data/bench-pristine; Neo4j and Redis restart once)…");
      await services.stop();
      await pristine.keep(data);
      services = await start();
    } else if (pristine && !(await pristine.matches(data))) {
      say("data set: no copy of this store as seeded is kept, so this run's writes stay in .data/bench; remove .data/bench to seed it anew and keep one");
    }
    await pristine?.markDirty();
    // After the restart above, should there have been one: Redis listens on a new port.
    const redisUrl = services.redisUrl;
    if (!redisUrl) throw new Error("the bench needs Redis, and ensureServices returned none");
    await prepareBenchTokens();

    const neo4jEnv: Record<string, string> = {
      NEO4J_URI: services.neo4j.uri,
      NEO4J_USERNAME: services.neo4j.username,
      NEO4J_PASSWORD: services.neo4j.password,
      ...(services.neo4j.database ? { NEO4J_DATABASE: services.neo4j.database } : {}),
    };
    const startGateway = async (nodeArgs: readonly string[] = [], extraEnv: Record<string, string> = {}): Promise<ChildServer> => {
      const port = await freePort();
      say(`starting our gateway on port ${port}…`);
      return startChildServer({
        name: "gateway",
        script: join(PROJECT_ROOT, "dist/src/main/start.js"),
        env: {
          ...neo4jEnv,
          AUTH_SECRET: BENCH_AUTH_SECRET,
          REDIS_URL: redisUrl,
          PORT: String(port),
          HOST: "127.0.0.1",
          LOG_LEVEL: "warn",
          // The load is one agent and one feed at thousands of requests a second: the limiter still
          // runs (its Redis round trip is part of what is measured) but with budgets it never reaches.
          RATE_LIMITS: BENCH_RATE_LIMITS,
          // The bench polls /readyz to start it; no balancer routes by it, so a stop need not wait for one.
          SHUTDOWN_DRAIN_DELAY_MS: "0",
          // A graph or trajectory predicate computed cold over a million customers outlasts a request's
          // 10 s deadline: the segments scenario times how long it takes rather than cutting it off.
          ...(scenarios.has("segments") ? { REQUEST_TIMEOUT_MS: "180000" } : {}),
          ...extraEnv,
        },
        graphqlUrl: `http://127.0.0.1:${port}/graphql`,
        // Ready, not just alive: it answers 200 only once Neo4j and Redis do.
        healthUrl: `http://127.0.0.1:${port}/readyz`,
        nodeArgs,
      });
    };
    const gateway = await startGateway();
    onStop(() => gateway.stop());

    let library: ChildServer | null = null;
    if (scenarios.has("unified-view")) {
      const theirPort = await freePort();
      say(`starting the Neo4j GraphQL Library server on port ${theirPort}…`);
      const started = await startChildServer({
        name: "neo4j-graphql",
        script: join(PROJECT_ROOT, "dist/bench/neo4j-graphql-server.js"),
        env: { ...neo4jEnv, PORT: String(theirPort), LOG_LEVEL: "warn" },
        graphqlUrl: `http://127.0.0.1:${theirPort}/graphql`,
        healthUrl: `http://127.0.0.1:${theirPort}/healthz`,
      });
      library = started;
      onStop(() => started.stop());
    }

    const report = new BenchReport(`bench: customer-360 gateway (${opts.scenarios.join(", ")})`);
    recordSetting(report, opts, dataset, library ? libraryVersion() : null);

    const idStream = (salt: number): (() => string) => {
      const rng = rngFor(opts.seed, salt);
      return () => customerId(1 + Math.floor(rng.next() * opts.customers));
    };
    const interference: Array<[string, number | null]> = [];
    const jit: Array<[string, number | null]> = [];

    if (library) {
      const counting = Graph.connect(services.neo4j);
      const acks = new Redis(redisUrl);
      const prefixed = new Redis(redisUrl, { keyPrefix: REDIS_KEY_PREFIX });
      try {
        /** Requests either side made in the cold run: the warm one asks for the same sequence, so that many (and a margin) are filled. */
        let asked = 0;
        for (const profiles of opts.viewProfiles) {
          if (profiles === "warm") {
            const ids = viewedCustomers(idStream, opts.compareSample, asked > 0 ? Math.ceil(asked * 1.5) : 30_000);
            say(`filling the live profiles of the ${ids.length.toLocaleString("en")} customers the view will ask for, as a decision at the call's pop does…`);
            await fillViewProfiles(counting, prefixed, ids, say);
          }
          say(`unified view, live profiles ${profiles}:`);
          const run = await runUnifiedViewScenario({ opts, gateway, library, idStream, say, graph: counting.session(), redis: acks });
          asked = Math.max(asked, ...[run.ours, run.theirs].map((m) => m.load.ok + m.load.failures));
          if (run.comparison) recordComparison(report, run.comparison);
          recordUnifiedView(report, run.ours, run.theirs, profiles);
          recordAuditWrites(report, run.audit);
          interference.push([`unified view ${profiles}, ours`, run.ours.othersShare], [`unified view ${profiles}, theirs`, run.theirs.othersShare]);
          jit.push([`unified view ${profiles}, ours`, run.ours.neo4jJitShare], [`unified view ${profiles}, theirs`, run.theirs.neo4jJitShare]);
        }
      } finally {
        acks.disconnect();
        prefixed.disconnect();
        await counting.close();
      }
      // The library is not needed any more; stopping it gives the decisions the machine.
      await library.stop();
    }

    if (scenarios.has("decisions")) {
      const run = await runDecisionScenario({
        opts,
        gateway,
        neo4j: services.neo4j,
        redisUrl,
        redisKeyPrefix: REDIS_KEY_PREFIX,
        idStream,
        startGateway,
        log,
        say,
      });
      recordDecisions(report, run);
      for (const level of run.levels) {
        interference.push([`decisions at concurrency ${level.concurrency}`, level.measured.othersShare]);
        jit.push([`decisions at concurrency ${level.concurrency}`, level.measured.neo4jJitShare]);
      }
    }
    if (scenarios.has("observability")) {
      recordObservability(report, await runObservabilityScenario({ opts, startGateway, idStream, say }));
    }
    if (scenarios.has("realtime")) {
      recordRealtime(report, await runRealtimeScenario({ opts, neo4jEnv, redisUrl, say }));
    }
    if (scenarios.has("first-event")) {
      recordFirstEvent(report, await runFirstEventScenario({ neo4j: services.neo4j, neo4jEnv, redisUrl, pairs: opts.firstEventPairs, say }));
    }
    if (scenarios.has("segments")) {
      recordSegments(
        report,
        await runSegmentScenario({
          gateway,
          neo4j: services.neo4j,
          redisUrl,
          redisKeyPrefix: REDIS_KEY_PREFIX,
          iterations: opts.segmentIterations,
          scans: opts.segmentScans,
          flips: opts.segmentFlips,
          say,
        }),
      );
    }
    if (scenarios.has("campaigns")) {
      recordCampaigns(report, await runCampaignScenario({ gateway, say }));
    }
    if (scenarios.has("desk")) {
      recordDesk(report, await runDeskScenario({ neo4jEnv, redisUrl, calls: opts.deskCalls, say }));
    }
    if (scenarios.has("balancer")) {
      // The bench's own gateway would take a share of the cores from the replicas measured.
      await gateway.stop();
      recordBalancer(report, await runBalancerScenario({ opts, neo4jEnv, redisUrl, say }));
    }
    recordInterference(report, interference);
    recordJitWarnings(report, jit);

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
