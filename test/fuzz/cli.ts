/**
 * `npm run fuzz -- --requests 10000 --seed 1`: the whole fuzz suite against a real gateway.
 *
 * 1. Neo4j and Redis: fresh, throw-away ones (as `npm test` starts), seeded with the test data
 *    set; or the ones NEO4J_URI / REDIS_URL name, taken as already seeded.
 * 2. A gateway in a child process (`npm start`'s entry point), so its memory can be read from
 *    /proc and its death seen.
 * 3. The cases (test/fuzz/generate.ts), `--concurrency` at a time; the counts on stdout, progress
 *    on stderr. Exit code 1 when anything failed.
 *
 * `--skip-needs-limits` leaves out the attacks waiting for a limit (NEEDS_LIMITS, empty since the
 * query limits are in); `--kinds` runs only the kinds named; `--only` replays single cases by
 * number; `--trace` prints every case and the start of its answer.
 */
import { Graph } from "../../src/platform/neo4j";
import { createLogger } from "../../src/platform/logger";
import { parseFlags, wholeNumberFlag } from "../../src/platform/cli-args";
import { runMain } from "../../src/platform/run-main";
import { ensureServices } from "../../src/main/launch/environment";
import { seedGraph } from "../../seeds/index";
import { customerId } from "../../seeds/generate";
import { TEST_DATA } from "../support/data";
import { operatorToken } from "../support/auth";
import { spawnGatewayProcess } from "../support/spawn-gateway";
import { ATTACK_KINDS, NEEDS_LIMITS, type AttackKind } from "./generate";
import { renderReport } from "./report";
import { FUZZ_GATEWAY_ENV, passed, prepareTargets, runFuzz } from "./run";

const USAGE =
  "usage: npm run fuzz -- [--requests N] [--seed S] [--concurrency C] [--timeout MS] [--rss-bound MB] [--only i,j,…] [--kinds k1,k2,…] [--skip-needs-limits] [--trace]";

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

runMain(
  async (onStop, stopping) => {
    const argv = process.argv.slice(2);
    const skipNeedsLimits = argv.includes("--skip-needs-limits");
    const trace = argv.includes("--trace");
    const parsed = parseFlags(
      argv.filter((a) => a !== "--skip-needs-limits" && a !== "--trace"),
      ["requests", "seed", "concurrency", "timeout", "rss-bound", "only", "kinds"],
      USAGE,
    );
    if ("error" in parsed) {
      console.error(parsed.error);
      process.exitCode = 2;
      return;
    }
    const v = parsed.values;
    const numbers = {
      requests: wholeNumberFlag("requests", v.requests ?? "10000", 1, 10_000_000),
      seed: wholeNumberFlag("seed", v.seed ?? "1", 0, 2 ** 31),
      concurrency: wholeNumberFlag("concurrency", v.concurrency ?? "8", 1, 256),
      timeout: wholeNumberFlag("timeout", v.timeout ?? "30000", 100, 600_000),
      rssBound: wholeNumberFlag("rss-bound", v["rss-bound"] ?? "300", 1, 100_000),
    };
    for (const n of Object.values(numbers)) {
      if (typeof n !== "number") {
        console.error(n.error);
        process.exitCode = 2;
        return;
      }
    }
    const { requests, seed, concurrency, timeout, rssBound } = numbers as Record<keyof typeof numbers, number>;
    const only = v.only?.split(",").map((s) => Number(s.trim()));
    if (only?.some((n) => !Number.isSafeInteger(n) || n < 0)) {
      console.error(`--only takes case numbers separated by commas, e.g. --only 12,340; not "${v.only}".`);
      process.exitCode = 2;
      return;
    }

    const kinds = v.kinds?.split(",").map((k) => k.trim()) ?? null;
    const unknown = kinds?.filter((k) => !(ATTACK_KINDS as readonly string[]).includes(k)) ?? [];
    if (unknown.length > 0 || kinds?.length === 0) {
      console.error(`--kinds takes attack kinds separated by commas, of: ${ATTACK_KINDS.join(", ")}; not "${unknown.join(", ") || v.kinds}".`);
      process.exitCode = 2;
      return;
    }

    const log = createLogger("fuzz", process.env.LOG_LEVEL ?? "warn");
    const given = Boolean(process.env.NEO4J_URI);
    say(given ? "using the Neo4j and Redis of NEO4J_URI / REDIS_URL (taken as seeded with the test data set)" : "starting a throw-away Neo4j and Redis…");
    const services = await ensureServices({ profile: "test", log });
    onStop(() => services.stop());
    if (!services.redisUrl) throw new Error("the fuzz needs Redis, and ensureServices returned none");
    if (!given) {
      const graph = Graph.connect(services.neo4j);
      try {
        say(`seeding the test data set (${TEST_DATA.customers} customers)…`);
        await seedGraph(graph, { customers: TEST_DATA.customers, seed: TEST_DATA.seed, asOf: new Date(TEST_DATA.asOf) });
      } finally {
        await graph.close();
      }
    }
    if (stopping.aborted) return;

    say("starting the gateway in a child process…");
    const gateway = await spawnGatewayProcess(
      { neo4j: services.neo4j, redisUrl: services.redisUrl, redisKeyPrefix: `fuzz:${process.pid}:` },
      // The inspector on a free loopback port: the runner reads the heap after a full GC through it.
      { ...FUZZ_GATEWAY_ENV, LOG_LEVEL: "info", NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --inspect=127.0.0.1:0`.trim() },
      (g) => onStop(() => g.stop()),
    );
    const operator = await operatorToken();
    const runTag = `R${Date.now().toString(36).toUpperCase().slice(-6)}`;
    const targets = await prepareTargets(
      gateway.url,
      Array.from({ length: 20 }, (_, i) => customerId(101 + i)),
      runTag,
    );
    const skip = new Set<AttackKind>([...(skipNeedsLimits ? NEEDS_LIMITS : []), ...(kinds ? ATTACK_KINDS.filter((k) => !kinds.includes(k)) : [])]);
    const total = only?.length ?? requests;
    say(`sending ${total} cases (seed ${seed}, ${concurrency} at a time)${kinds ? `, only ${kinds.join(", ")}` : skip.size ? `, skipping ${[...skip].join(", ")}` : ""}…`);
    let lastShown = 0;
    const report = await runFuzz(operator, {
      url: gateway.url,
      gateway: gateway.child,
      requests,
      seed,
      concurrency,
      skip,
      ...(only ? { only } : {}),
      targets,
      timeoutMs: timeout,
      rssBoundMb: rssBound,
      inspectorUrl: gateway.inspectorUrl,
      ...(trace ? { onCase: (c, outcome, answer) => say(`#${c.index} ${c.attack} ${c.summary.slice(0, 200)}\n  → ${outcome.label}: ${answer.replace(/\s+/g, " ").slice(0, 500)}`) } : {}),
      onProgress: (done, all) => {
        if (done === all || done - lastShown >= Math.max(100, Math.floor(all / 20))) {
          lastShown = done;
          say(`  ${done}/${all}`);
        }
      },
    });
    console.log(renderReport(report));
    process.exitCode = passed(report) ? 0 : 1;
  },
  { exitWhenDone: true },
);
