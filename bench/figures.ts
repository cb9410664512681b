import { cpus, totalmem } from "node:os";
import type { Comparison } from "./compare";
import type { DatasetInfo } from "./dataset";
import type { SideMeasurement } from "./measure";
import type { BenchOptions } from "./options";
import { fixed, type BenchReport, type Column } from "./report";

/**
 * What goes into the printout, per kind of figure. Each function adds to the one report; a
 * later bench (decisions per second, push latency) adds its own function here.
 */

/** Machine, data set and load: what the figures were measured on. */
export function recordSetting(report: BenchReport, opts: BenchOptions, dataset: DatasetInfo, libraryVersion: string | null): void {
  const cpu = cpus();
  report
    .set("machine", `${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}`)
    .set(
      "data set",
      `${dataset.customers.toLocaleString("en")} customers, ${dataset.contacts.toLocaleString("en")} contacts, ${dataset.products} products, ${dataset.tags} tags (seed ${dataset.seed})` +
        (dataset.seededS > 0 ? `; seeded in this run in ${dataset.seededS.toFixed(0)} s` : ""),
    );
  if (opts.scenarios.includes("unified-view")) {
    report.set(
      "load, unified view",
      `concurrency ${opts.concurrency} (keep-alive connections, 1 request in flight each), ${opts.durationS} s measured per side ` +
        `in ${opts.slices} alternating slices after ${opts.warmupS} s warm-up, ` +
        `both sides on the same seeded random sequence of customer ids among the ${opts.customers.toLocaleString("en")}, autocannon`,
    );
  }
  if (opts.scenarios.includes("decisions")) {
    report.set(
      "load, decisions",
      `concurrency ${opts.decisionConcurrency}, ${opts.decisionDurationS} s measured in ${opts.slices} slices after ${opts.warmupS} s warm-up, ` +
        `a seeded random customer per request among the ${opts.customers.toLocaleString("en")}, autocannon`,
    );
  }
  report.set(
    "sides",
    "ours = this gateway (type-graphql 2 + DataLoader)" + (libraryVersion ? `; theirs = @neo4j/graphql ${libraryVersion} (Apollo Server 5, same Neo4j)` : ""),
  );
}

/**
 * How much of the machine processes outside the bench took while each side was measured: both
 * servers, Neo4j and the load generator share its cores, so a seed or test run elsewhere shows
 * up in every figure.
 */
export function recordInterference(report: BenchReport, shares: ReadonlyArray<readonly [side: string, share: number | null]>): void {
  const known = shares.filter((s): s is readonly [string, number] => s[1] !== null);
  if (known.length === 0) return;
  report.set("other processes", known.map(([side, share]) => `${(100 * share).toFixed(0)}% of the machine's CPU while measuring ${side}`).join(", "));
  if (known.some(([, share]) => share > 0.05)) {
    report.note("other processes on the machine took CPU while measuring (see \"other processes\" above); the figures are slower than on an idle machine.");
  }
}

const UNIFIED_VIEW_COLUMNS: readonly Column[] = [
  { key: "side", title: "unified view (one customer)" },
  { key: "rps", title: "req/s", format: fixed(1) },
  { key: "p50", title: "p50 ms", format: fixed(1) },
  { key: "p99", title: "p99 ms", format: fixed(1) },
  { key: "errors", title: "errors", format: fixed(0) },
  { key: "requests", title: "requests", format: fixed(0) },
  { key: "roundTrips", title: "Bolt RT/req", format: fixed(2) },
  { key: "serverCpu", title: "server CPU ms/req", format: fixed(2) },
  { key: "neo4jCpu", title: "Neo4j CPU ms/req", format: fixed(2) },
];

/**
 * Throughput, latency, errors and CPU cost of both sides, and ours ÷ theirs. CPU per request is
 * the steadiest of these when the machine is shared: latency and throughput move with whatever
 * else runs, the work a request takes hardly does.
 */
export function recordUnifiedView(report: BenchReport, ours: SideMeasurement, theirs: SideMeasurement): void {
  const table = report.table("unified view under load", UNIFIED_VIEW_COLUMNS);
  for (const [label, m] of [
    ["ours", ours],
    ["Neo4j GraphQL Library", theirs],
  ] as const) {
    const r = m.load;
    table.row({
      side: label,
      rps: r.requestsPerS,
      p50: r.latencyMs.p50,
      p99: r.latencyMs.p99,
      errors: r.failures,
      requests: r.ok + r.failures,
      roundTrips: r.countMean ?? (label === "ours" ? null : 1),
      serverCpu: m.serverCpuMsPerRequest,
      neo4jCpu: m.neo4jCpuMsPerRequest,
    });
  }
  table.row({
    side: "ours ÷ theirs",
    rps: ratioText(ours.load.requestsPerS, theirs.load.requestsPerS),
    p50: ratioText(ours.load.latencyMs.p50, theirs.load.latencyMs.p50),
    p99: ratioText(ours.load.latencyMs.p99, theirs.load.latencyMs.p99),
    errors: null,
    requests: null,
    roundTrips: null,
    serverCpu: ratioText(ours.serverCpuMsPerRequest, theirs.serverCpuMsPerRequest),
    neo4jCpu: ratioText(ours.neo4jCpuMsPerRequest, theirs.neo4jCpuMsPerRequest),
  });
  if (ours.load.countMean !== null) {
    report.note(
      `Bolt round trips per request: ours is the mean x-bolt-round-trips header of ${ours.load.countSamples.toLocaleString("en")} successful responses; ` +
        "the library translates each operation into one Cypher statement (one round trip).",
    );
  }
  report.note("CPU ms/req: CPU time of the side's server process and of Neo4j while it was measured, divided by its successful requests (from /proc).");
  for (const r of [ours.load, theirs.load]) {
    for (const [reason, n] of r.failureReasons.slice(0, 3)) report.note(`${r.target}: ${n.toLocaleString("en")} × ${reason}`);
  }
}

/** Where the two sides' answers agree, and where their schemas differ by construction. */
export function recordComparison(report: BenchReport, comparison: Comparison): void {
  const table = report.table(`answers compared on ${comparison.customers} customers`, [
    { key: "aspect", title: "aspect" },
    { key: "same", title: "same on" },
  ]);
  for (const a of comparison.aspects) table.row({ aspect: a.aspect, same: `${a.same}/${a.compared}` });
  for (const a of comparison.aspects) if (a.example) report.note(`differs: ${a.example}`);
  report.note(
    `mean response size: ours ${(comparison.meanBytes.ours / 1024).toFixed(1)} KiB, theirs ${(comparison.meanBytes.theirs / 1024).toFixed(1)} KiB ` +
      "(the shapes differ: ours has usage/terminal objects and a ranked circle; theirs raw properties, groups with members, and calls each way).",
  );
  report.note(
    "by construction: ours masks the MSISDN for anonymous callers, computes usage (rounded, with dataUsedPercent), reads regions from a reference map, " +
      "and ranks one circle (family, V-net, enterprise, calls) by tie strength; the library returns stored properties, traverses LIVES_IN/PART_OF, " +
      "and can only list groups' members (10 per group) and CALLS each way (10 by volume) separately.",
  );
}

function ratioText(ours: number | null, theirs: number | null): string {
  return ours !== null && theirs !== null && Number.isFinite(ours) && Number.isFinite(theirs) && theirs > 0 ? `${(ours / theirs).toFixed(2)}×` : "–";
}
