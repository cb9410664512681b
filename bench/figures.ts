import { cpus, totalmem } from "node:os";
import type { Comparison } from "./compare";
import type { DatasetInfo } from "./dataset";
import type { LoadResult } from "./load";
import type { BenchOptions } from "./options";
import { fixed, type BenchReport, type Column } from "./report";

/**
 * What goes into the printout, per kind of figure. Each function adds to the one report; a
 * later bench (decisions per second, push latency) adds its own function here.
 */

/** Machine, data set and load: what the figures were measured on. */
export function recordSetting(report: BenchReport, opts: BenchOptions, dataset: DatasetInfo, libraryVersion: string): void {
  const cpu = cpus();
  report
    .set("machine", `${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}`)
    .set(
      "data set",
      `${dataset.customers.toLocaleString("en")} customers, ${dataset.contacts.toLocaleString("en")} contacts, ${dataset.products} products, ${dataset.tags} tags (seed ${dataset.seed})` +
        (dataset.seededS > 0 ? `; seeded in this run in ${dataset.seededS.toFixed(0)} s` : ""),
    )
    .set(
      "load",
      `concurrency ${opts.concurrency} (keep-alive connections, 1 request in flight each), ${opts.durationS} s measured per side after ${opts.warmupS} s warm-up, ` +
        `random customer ids among the ${opts.customers.toLocaleString("en")} (seeded PRNG, same sequence for both sides), autocannon`,
    )
    .set("sides", `ours = this gateway (type-graphql 2 + DataLoader); theirs = @neo4j/graphql ${libraryVersion} (Apollo Server 5, same Neo4j)`);
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
];

/** Throughput, latency and errors of both sides, and ours ÷ theirs for throughput and p99. */
export function recordUnifiedView(report: BenchReport, ours: LoadResult, theirs: LoadResult): void {
  const table = report.table("unified view under load", UNIFIED_VIEW_COLUMNS);
  for (const [label, r] of [
    ["ours", ours],
    ["Neo4j GraphQL Library", theirs],
  ] as const) {
    table.row({
      side: label,
      rps: r.requestsPerS,
      p50: r.latencyMs.p50,
      p99: r.latencyMs.p99,
      errors: r.failures,
      requests: r.ok + r.failures,
      roundTrips: r.countMean,
    });
  }
  table.row({
    side: "ours ÷ theirs",
    rps: ratioText(ours.requestsPerS, theirs.requestsPerS),
    p50: ratioText(ours.latencyMs.p50, theirs.latencyMs.p50),
    p99: ratioText(ours.latencyMs.p99, theirs.latencyMs.p99),
    errors: null,
    requests: null,
    roundTrips: null,
  });
  if (ours.countMean !== null) {
    report.note(`Bolt round trips per request: mean of the ${ours.countSamples.toLocaleString("en")} successful responses' x-bolt-round-trips header (the library runs one Cypher statement per operation).`);
  }
  for (const r of [ours, theirs]) {
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

function ratioText(ours: number, theirs: number): string {
  return Number.isFinite(ours) && Number.isFinite(theirs) && theirs > 0 ? `${(ours / theirs).toFixed(2)}×` : "–";
}
