import type { FirstEventRun } from "./first-event";
import type { DeskRun } from "./desk";
import { cpus, totalmem } from "node:os";
import type { Comparison } from "./compare";
import type { DatasetInfo } from "./dataset";
import type { DecisionLevel, DecisionRun } from "./decisions";
import { PHASES, PHASE_LABELS } from "./phases";
import { JVM_THREAD_KINDS } from "./cpu";
import type { SideMeasurement } from "./measure";
import type { BenchOptions, ViewProfiles } from "./options";
import type { RealtimeRun } from "./realtime";
import type { BalancerRun, CpuShares } from "./balancer";
import type { SegmentRun } from "./segments";
import type { AuditWrites } from "./unified-view";
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
      `concurrency ${opts.decisionConcurrency.join(", then ")}, ${opts.decisionDurationS} s measured per level in ${opts.slices} slices ` +
        `after a warm-up of ${opts.warmupS}–${Math.max(opts.warmupS, opts.decisionWarmupS)} s (until Neo4j's JIT compiler settles), ` +
        `a seeded random customer per request among the ${opts.customers.toLocaleString("en")}, autocannon`,
    );
  }
  report.set(
    "sides",
    "ours = this gateway (type-graphql 2 + DataLoader)" + (libraryVersion ? `; theirs = @neo4j/graphql ${libraryVersion} (Apollo Server 5, same Neo4j)` : ""),
  );
}

/** Above this share of Neo4j's CPU going to its JIT compiler, a measurement is flagged as taken during warm-up. */
const JIT_WARNING_SHARE = 0.1;

/**
 * Flags measurements during which Neo4j was still compiling (a freshly started JVM spends minutes
 * of a core on its JIT): they report the JVM's warm-up as much as the work measured.
 */
export function recordJitWarnings(report: BenchReport, shares: ReadonlyArray<readonly [what: string, share: number | null]>): void {
  const known = shares.filter((s): s is readonly [string, number] => s[1] !== null);
  if (known.length === 0) return;
  report.set("Neo4j JIT", known.map(([what, share]) => `${(100 * share).toFixed(0)}% of Neo4j's CPU while measuring ${what}`).join(", "));
  const warm = known.filter(([, share]) => share > JIT_WARNING_SHARE);
  if (warm.length > 0) {
    report.note(
      `Neo4j's JIT compiler was still busy while measuring ${warm.map(([what]) => what).join(", ")} (see "Neo4j JIT" above): ` +
        "its CPU per request and latency include the JVM warming up, so they are worse than a warm Neo4j's; a longer --warmup (or --decision-warmup) helps.",
    );
  }
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
/** The audit writer's commits and nodes while our side of the unified view was measured. */
export function recordAuditWrites(report: BenchReport, audit: AuditWrites | null): void {
  if (!audit || audit.seconds <= 0) {
    report.set("audit writer", "not measured (Neo4j or Redis did not answer the counts)");
    return;
  }
  report.set(
    "audit writer",
    `${(audit.commits / audit.seconds).toFixed(1)} commits/s, ${(audit.nodes / audit.seconds).toFixed(0)} audit nodes/s, ${(audit.nodes / Math.max(1, audit.requests)).toFixed(2)} per request (while ours was measured)`,
  );
}

export function recordUnifiedView(report: BenchReport, ours: SideMeasurement, theirs: SideMeasurement, profiles: ViewProfiles): void {
  const table = report.table(`unified view under load, live profiles ${profiles}`, UNIFIED_VIEW_COLUMNS);
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

/** The decision latency issue 3 asks for, at the decision load's concurrency. */
const DECISION_P99_TARGET_MS = 20;

const DECISION_COLUMNS: readonly Column[] = [
  { key: "side", title: "next best offers (one customer)" },
  { key: "rps", title: "decisions/s", format: fixed(1) },
  { key: "p50", title: "p50 ms", format: fixed(1) },
  { key: "p99", title: "p99 ms", format: fixed(1) },
  { key: "errors", title: "errors", format: fixed(0) },
  { key: "requests", title: "requests", format: fixed(0) },
  { key: "offers", title: "offers/answer", format: fixed(2) },
  { key: "roundTrips", title: "Bolt RT/req", format: fixed(2) },
  { key: "serverCpu", title: "server CPU ms/req", format: fixed(2) },
  { key: "neo4jCpu", title: "Neo4j CPU ms/req", format: fixed(2) },
  { key: "redisCpu", title: "Redis CPU ms/req", format: fixed(2) },
];

/**
 * `nextBestOffers` under load (ours only: the library has no decisioning), then where a decision's
 * time goes: CPU per process under load, phases one decision at a time, and the gateway's profile.
 */
export function recordDecisions(report: BenchReport, run: DecisionRun): void {
  const table = report.table("next best offers under load", DECISION_COLUMNS);
  for (const level of run.levels) {
    const m = level.measured;
    const r = m.load;
    table.row({
      side: `ours, APP, limit 3, concurrency ${level.concurrency}`,
      rps: r.requestsPerS,
      p50: r.latencyMs.p50,
      p99: r.latencyMs.p99,
      errors: r.failures,
      requests: r.ok + r.failures,
      offers: r.bodyCountMean,
      roundTrips: r.countMean,
      serverCpu: m.serverCpuMsPerRequest,
      neo4jCpu: m.neo4jCpuMsPerRequest,
      redisCpu: m.redisCpuMsPerRequest,
    });
  }
  const judged = run.levels[0];
  if (judged) {
    const r = judged.measured.load;
    const met = Number.isFinite(r.latencyMs.p99) && r.latencyMs.p99 < DECISION_P99_TARGET_MS;
    report.note(
      `decisions: target p99 < ${DECISION_P99_TARGET_MS} ms at concurrency ${judged.concurrency}: ${met ? "met" : "MISSED"} ` +
        `(p99 ${r.latencyMs.p99.toFixed(1)} ms; p90 ${r.latencyMs.p90.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(1)} ms).`,
    );
  }
  for (const level of run.levels) {
    report.note(`decisions at concurrency ${level.concurrency}, per slice: ${level.slices.map((s) => `${s.requestsPerS.toFixed(0)}/s p99 ${s.p99.toFixed(0)} ms`).join(", ")}.`);
  }
  const written = run.levels.reduce((sum, level) => sum + Math.round((level.measured.load.bodyCountMean ?? 0) * level.measured.load.ok), 0);
  report.note(
    "decisions write to the graph: each placement is a Decision node and (APP being contacted) an OFFER_PRESENTED contact in the customer's trajectory, " +
      "queued on a Redis stream before the answer and committed by the gateway's mover in batched transactions behind it (its Neo4j CPU counts in the window it ran in); " +
      `the measured part of this run wrote ${written.toLocaleString("en")} decisions (.data/bench is put back as seeded afterwards). APP is customer-initiated: contact caps do not apply.`,
  );
  for (const level of run.levels) report.note(`decisions at concurrency ${level.concurrency}: write-behind backlog at the end of the window: ${level.backlogAtEnd.toLocaleString("en")} stream entries (near 0: the flush kept up, and its cost is in the CPU figures).`);
  for (const level of run.levels) {
    const r = level.measured.load;
    if (r.bodyCountZero > 0) report.note(`decisions at concurrency ${level.concurrency}: ${r.bodyCountZero.toLocaleString("en")} answers placed no offer (no eligible candidate on APP).`);
    for (const [reason, n] of r.failureReasons.slice(0, 3)) report.note(`decisions at concurrency ${level.concurrency}: ${n.toLocaleString("en")} × ${reason}`);
  }
  if (judged) recordDecisionCpu(report, judged);
  recordBreakdown(report, run);
  recordProfile(report, run);
}

/** CPU per decision of every process on the machine's cores, and the ceiling that puts on throughput. */
function recordDecisionCpu(report: BenchReport, level: DecisionLevel): void {
  const m = level.measured;
  const parts: Array<[string, number | null]> = [
    ["gateway (Node)", m.serverCpuMsPerRequest],
    ["Neo4j", m.neo4jCpuMsPerRequest],
    ["Redis", m.redisCpuMsPerRequest],
    ["load generator (autocannon, this process)", m.loadCpuMsPerRequest],
  ];
  const known = parts.filter((p): p is [string, number] => p[1] !== null);
  if (known.length === 0) return;
  const missing = parts.filter(([, v]) => v === null).map(([label]) => label);
  if (missing.length > 0) {
    report.note(`CPU: not counted: ${missing.join(", ")} (already running when the bench started, so not its child); stop them for a full account.`);
  }
  const total = known.reduce((sum, [, v]) => sum + v, 0);
  const table = report.table(`CPU per decision under load (concurrency ${level.concurrency})`, [
    { key: "process", title: "process" },
    { key: "ms", title: "CPU ms/decision", format: fixed(2) },
    { key: "share", title: "share" },
  ]);
  for (const [label, v] of known) {
    table.row({ process: label, ms: v, share: `${((100 * v) / total).toFixed(0)}%` });
    if (label === "Neo4j" && m.neo4jThreadsMsPerRequest) {
      for (const kind of JVM_THREAD_KINDS) {
        const part = m.neo4jThreadsMsPerRequest.get(kind) ?? 0;
        table.row({ process: `  Neo4j: ${kind}`, ms: part, share: `${((100 * part) / total).toFixed(0)}%` });
      }
    }
  }
  table.row({ process: "all", ms: total, share: "100%" });
  const cores = cpus().length;
  const ceiling = (1000 * cores) / total;
  report.note(
    `CPU: ${total.toFixed(2)} CPU ms per decision across the processes on ${cores} cores caps throughput near ${ceiling.toFixed(0)} decisions/s; ` +
      `once the cores are saturated, ${level.concurrency} requests in flight take about ${((level.concurrency * total) / cores).toFixed(1)} ms each on average (Little's law), ` +
      "so latency under load is CPU per decision × concurrency ÷ cores, or the serial time of one decision (see the breakdown) when the cores are not saturated.",
  );
}

/** One decision at a time: Neo4j, Redis and in-process time, and what GraphQL and HTTP add. */
function recordBreakdown(report: BenchReport, run: DecisionRun): void {
  const b = run.breakdown;
  if (!b) return;
  const table = report.table(`one decision at a time: where the time goes (${b.decisions} decisions, ${b.placements.toFixed(2)} offers each)`, [
    { key: "phase", title: "phase" },
    { key: "mean", title: "mean ms", format: fixed(2) },
    { key: "p50", title: "p50 ms", format: fixed(2) },
    { key: "p99", title: "p99 ms", format: fixed(2) },
    { key: "share", title: "share of mean" },
  ]);
  const whole = b.http?.mean ?? b.inProcess.mean;
  const share = (v: number): string => (whole > 0 ? `${((100 * v) / whole).toFixed(0)}%` : "–");
  for (const p of PHASES) {
    const s = b.phases[p];
    table.row({ phase: PHASE_LABELS[p], mean: s.mean, p50: s.p50, p99: s.p99, share: share(s.mean) });
  }
  table.row({ phase: "Decider.decide in process (sum of the above)", mean: b.inProcess.mean, p50: b.inProcess.p50, p99: b.inProcess.p99, share: share(b.inProcess.mean) });
  if (b.http) {
    const overhead = b.http.mean - b.inProcess.mean;
    table.row({ phase: "GraphQL + HTTP around it (difference of means)", mean: overhead, p50: null, p99: null, share: share(overhead) });
    table.row({ phase: "the query over HTTP, one at a time", mean: b.http.mean, p50: b.http.p50, p99: b.http.p99, share: share(b.http.mean) });
  }
  report.note(
    "breakdown: the gateway's own Decider run in the bench process against the same Neo4j and Redis, one decision at a time, its graph read and write and " +
      "its contact-policy calls timed; then as many other customers' decisions through the gateway over HTTP." +
      (b.httpRoundTrips !== null ? ` Those answers cost ${b.httpRoundTrips.toFixed(2)} Bolt round trips each.` : "") +
      (b.othersShare !== null ? ` Other processes took ${(100 * b.othersShare).toFixed(0)}% of the machine's CPU meanwhile.` : ""),
  );
  if (b.neo4jCpuMs) {
    report.note(
      `breakdown: Neo4j CPU per decision, one at a time: ${b.neo4jCpuMs.read.toFixed(2)} ms in the read, ${b.neo4jCpuMs.write.toFixed(2)} ms in the write ` +
        "(/proc jiffies around each statement, summed over the sample).",
    );
  }
}

/** Self time of the profiled gateway under decision load, by owner of the code and by function. */
function recordProfile(report: BenchReport, run: DecisionRun): void {
  const p = run.profile;
  if (!p) return;
  const title = `gateway CPU profile under decision load (concurrency ${run.levels[0]?.concurrency ?? "?"}; ${p.busyMs.toFixed(0)} ms busy, ${p.idleMs.toFixed(0)} ms idle)`;
  const owners = report.table(title, [
    { key: "owner", title: "code (Node core and V8 builtins charged to their caller)" },
    { key: "ms", title: "ms", format: fixed(0) },
    { key: "share", title: "share of busy" },
  ]);
  for (const o of p.byOwner) owners.row({ owner: o.label, ms: o.ms, share: `${(100 * o.share).toFixed(1)}%` });
  const fns = report.table("hottest functions in that profile (self time)", [
    { key: "fn", title: "function" },
    { key: "ms", title: "ms", format: fixed(0) },
    { key: "share", title: "share of busy" },
  ]);
  for (const f of p.topFunctions) fns.row({ fn: f.label, ms: f.ms, share: `${(100 * f.share).toFixed(1)}%` });
  report.note(
    `profile: ${p.file} (open it in Chrome DevTools or VS Code)` +
      (p.windowed ? "; only the loaded window is counted." : "; the load window did not match the profile's clock, so start-up is counted too."),
  );
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

/** The design budget (DESIGN, "Budgets"): event in → offer on a subscriber's socket. */
const PUSH_P99_TARGET_MS = 50;
const PUSH_TARGET_RATE = 500;

const REALTIME_COLUMNS: Column[] = [
  { key: "setup", title: "gateways, events/s offered" },
  { key: "sent", title: "events", format: fixed(0) },
  { key: "pushesPerS", title: "pushes/s", format: fixed(1) },
  { key: "p50", title: "p50 ms", format: fixed(1) },
  { key: "p99", title: "p99 ms", format: fixed(1) },
  { key: "max", title: "max ms", format: fixed(0) },
  { key: "sentP50", title: "p50 from send", format: fixed(1) },
  { key: "sentP99", title: "p99 from send", format: fixed(1) },
  { key: "backlog", title: "backlog at end", format: fixed(0) },
  { key: "cpu", title: "CPU ms/event: gateways + Neo4j + Redis + load generator" },
  { key: "rss", title: "gateway RSS MB" },
];

const FIRST_EVENT_COLUMNS: Column[] = [
  { key: "setup", title: "start-up warm-up" },
  { key: "customer", title: "customer" },
  { key: "ready", title: "spawn → /readyz 200 ms", format: fixed(0) },
  { key: "fromSend", title: "first push from send ms", format: fixed(0) },
  { key: "fromAccepted", title: "first push from acceptance ms", format: fixed(0) },
];

/** The first event's push after a fresh start, per run, and the medians per mode. */
export function recordFirstEvent(report: BenchReport, run: FirstEventRun): void {
  const table = report.table("first event after a fresh gateway start (one liveOffers subscription opened once /readyz is 200, then one DATA_USAGE event)", FIRST_EVENT_COLUMNS);
  for (const s of run.samples) table.row({ setup: s.warmUp ? "on" : "off", customer: s.customerId, ready: s.readyMs, fromSend: s.fromSendMs, fromAccepted: s.fromAcceptedMs });
  const median = (xs: number[]): number => {
    const sorted = xs.slice().sort((a, b) => a - b);
    return sorted.length === 0 ? NaN : (sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN);
  };
  const of = (warm: boolean): FirstEventRun["samples"] => run.samples.filter((s) => s.warmUp === warm);
  report.note(
    `first event: median push ${median(of(false).map((s) => s.fromSendMs)).toFixed(0)} ms after sending without the warm-up, ${median(of(true).map((s) => s.fromSendMs)).toFixed(0)} ms with it ` +
      `(ready after ${median(of(false).map((s) => s.readyMs)).toFixed(0)} vs ${median(of(true).map((s) => s.readyMs)).toFixed(0)} ms).`,
  );
}

/** Event → push latency and sustained rate, per rate, on one gateway and on two. */
export function recordRealtime(report: BenchReport, run: RealtimeRun): void {
  const table = report.table(`event in → offer on the socket (${run.subscriptions} liveOffers subscriptions over ${run.connections} connections)`, REALTIME_COLUMNS);
  for (const l of run.levels) {
    table.row({
      setup: `${l.gateways} gateway${l.gateways > 1 ? "s" : ""}, ${l.offeredPerS}/s`,
      sent: l.sent,
      pushesPerS: l.pushesPerS,
      p50: l.p50,
      p99: l.p99,
      max: l.max,
      sentP50: l.sentP50,
      sentP99: l.sentP99,
      backlog: l.backlog,
      cpu: [l.cpuMsPerEvent.gateways, l.cpuMsPerEvent.neo4j, l.cpuMsPerEvent.redis, l.cpuMsPerEvent.loadGenerator].map((ms) => (ms === null ? "–" : ms.toFixed(2))).join(" + "),
      rss: l.rssMb.map((mb) => mb.toFixed(0)).join(" + "),
    });
  }
  for (const gateways of [1, 2]) {
    const levels = run.levels.filter((l) => l.gateways === gateways);
    const broke = levels.find((l) => l.backlog > l.offeredPerS || l.p99 > 1_000);
    const atTarget = levels.find((l) => l.offeredPerS === PUSH_TARGET_RATE);
    report.note(
      `realtime, ${gateways} gateway(s): ` +
        (atTarget
          ? `target p99 < ${PUSH_P99_TARGET_MS} ms at ${PUSH_TARGET_RATE} events/s ${atTarget.p99 < PUSH_P99_TARGET_MS && atTarget.backlog <= atTarget.offeredPerS ? "met" : "MISSED"} (p99 ${atTarget.p99.toFixed(1)} ms, backlog ${atTarget.backlog}); `
          : `${PUSH_TARGET_RATE} events/s not measured; `) +
        (broke ? `breaks at ${broke.offeredPerS} events/s (p99 ${broke.p99.toFixed(0)} ms, backlog ${broke.backlog})` : `held every rate measured (up to ${levels.at(-1)?.offeredPerS ?? 0}/s)`) +
        ".",
    );
  }
  report.note(
    "realtime: p50/p99/max run from the gateway accepting the event (event.acceptedAt) to the push arriving on the subscriber's socket; 'from send' starts when the client sends ingestEvents (adding the ingest round trip). Every event fires the data top-up trigger, " +
      "so each is a full decision (graph read, contact policy, a write to the trajectory) plus the push; caps and quiet hours are lifted for the run under a key prefix of its own, removed afterwards.",
  );
}

/** Segment previews on the bitmaps beside the same question as a Cypher scan; the change → membership latency; the index build. */
export function recordSegments(report: BenchReport, run: SegmentRun): void {
  const ms = fixed(1);
  if (run.build) {
    report.set(
      "segment index",
      `${run.customers.toLocaleString("en")} customers; a build took ${run.build.seconds.toFixed(1)} s (read from Neo4j page by page, written to Redis, swapped in); ` +
        `${run.build.keys.toLocaleString("en")} keys, ${(run.build.bitmapBytes / 2 ** 20).toFixed(1)} MiB in Redis`,
    );
  }
  const table = report.table("segments: previews on the bitmaps vs a Cypher scan of every customer (ms, one request at a time)", [
    { key: "question", title: "question" },
    { key: "count", title: "members", format: fixed(0) },
    { key: "p50", title: "preview p50", format: ms },
    { key: "p95", title: "preview p95", format: ms },
    { key: "cold", title: "cold p50", format: ms },
    { key: "scan50", title: "scan p50", format: ms },
    { key: "scan95", title: "scan p95", format: ms },
    { key: "ratio", title: "scan/preview", format: (x) => `${fixed(0)(x)}×` },
    { key: "same", title: "same answer" },
  ]);
  for (const q of run.questions) {
    table.row({
      question: q.question.name,
      count: q.count,
      p50: q.preview.p50,
      p95: q.preview.p95,
      cold: q.cold?.p50 ?? null,
      scan50: q.scan.p50,
      scan95: q.scan.p95,
      ratio: q.preview.p50 > 0 ? q.scan.p50 / q.preview.p50 : null,
      same: q.same ? "yes" : "NO",
    });
  }
  report
    .table("segments: a change (an accepted offer, a change event) → the preview counts it (ms); budget p99 ≤ 1,000 ms", [
      { key: "what", title: "" },
      { key: "n", title: "samples", format: fixed(0) },
      { key: "p50", title: "p50", format: ms },
      { key: "p95", title: "p95", format: ms },
      { key: "p99", title: "p99", format: ms },
      { key: "max", title: "max", format: ms },
    ])
    .row({ what: "respondToOffer(ACCEPTED) answered → holds(code) counts it", n: run.flip.n, p50: run.flip.p50, p95: run.flip.p95, p99: run.flip.p99, max: run.flip.max })
    .row({ what: "PRODUCT_ORDERED accepted (ingestEvents) → holds(code) counts it", n: run.ordered.n, p50: run.ordered.p50, p95: run.ordered.p95, p99: run.ordered.p99, max: run.ordered.max })
    .row({ what: "PROFILE_CHANGE accepted (ingestEvents) → terminalModel = … counts it", n: run.profile.n, p50: run.profile.p50, p95: run.profile.p95, p99: run.profile.p99, max: run.profile.max });
  report.note(
    "segments: previews are timed over HTTP as the console asks (parse, check, plan, one Redis script, plus a distribution's second script); cold = the graph or trajectory predicate's " +
      "bitmap dropped first, so its indexed Cypher statement runs; warm = cached (15 s). The scan is the same question as one Cypher statement over every customer " +
      "(src/graph/segments.ts), the translation the tests hold previews equal to; budgets at 1,000,000 customers: count ≤ 50 ms p95, 20-interval distribution ≤ 200 ms p95.",
  );
}

const DESK_COLUMNS: Column[] = [
  { key: "calls", title: "calls", format: fixed(0) },
  { key: "p50", title: "p50 ms", format: fixed(0) },
  { key: "p99", title: "p99 ms", format: fixed(0) },
  { key: "max", title: "max ms", format: fixed(0) },
];

/** The desk pop: HOTLINE_CALL_START sent → caller painted in Chromium (target: under 1 s). */
export function recordDesk(report: BenchReport, run: DeskRun): void {
  report.table("desk pop: call event sent → caller painted on /desk (Chromium, one call at a time)", DESK_COLUMNS).row({ calls: run.calls, p50: run.p50, p99: run.p99, max: run.max });
  report.note(`desk: the caller was on screen ${run.p50} ms (median) and ${run.p99} ms (p99) after the call event; the target is under 1,000 ms.`);
}

const BALANCER_COLUMNS: Column[] = [
  { key: "setup", title: "behind HAProxy" },
  { key: "viewRps", title: "view req/s", format: fixed(1) },
  { key: "viewP50", title: "view p50 ms", format: fixed(1) },
  { key: "viewP99", title: "view p99 ms", format: fixed(1) },
  { key: "viewFailures", title: "view failures", format: fixed(0) },
  { key: "viewCpu", title: "CPU ms/view: gateways + HAProxy + Neo4j + Redis" },
  { key: "events", title: "events", format: fixed(0) },
  { key: "pushes", title: "pushes", format: fixed(0) },
  { key: "pushP50", title: "push p50 ms", format: fixed(1) },
  { key: "pushP99", title: "push p99 ms", format: fixed(1) },
  { key: "pushSentP99", title: "push p99 from send", format: fixed(1) },
  { key: "pushCpu", title: "CPU ms/event: gateways + HAProxy + Neo4j + Redis" },
];

/** The unified view and event → push through HAProxy with one replica and with three (bench/balancer.ts). */
export function recordBalancer(report: BenchReport, run: BalancerRun): void {
  const desks = run.levels[0]?.push.desks ?? 0;
  const table = report.table(`through HAProxy: the unified view, and event → push on ${desks} desk feeds`, BALANCER_COLUMNS);
  const cpu = (c: CpuShares): string => [c.gateways, c.haproxy, c.neo4j, c.redis].map((ms) => (ms === null ? "–" : ms.toFixed(2))).join(" + ");
  for (const l of run.levels) {
    table.row({
      setup: `${l.replicas} replica${l.replicas > 1 ? "s" : ""}`,
      viewRps: l.view.requestsPerS,
      viewP50: l.view.p50,
      viewP99: l.view.p99,
      viewFailures: l.view.failures,
      viewCpu: cpu(l.view.cpuMsPerRequest),
      events: l.push.sent,
      pushes: l.push.pushes,
      pushP50: l.push.p50,
      pushP99: l.push.p99,
      pushSentP99: l.push.sentP99,
      pushCpu: cpu(l.push.cpuMsPerEvent),
    });
  }
  report.note(
    `balancer: ${cpus().length} cores here. Replicas on one machine share its cores, so three cannot serve more than one: the figures show what the balancer and the replicas' coordination cost (CPU per request and per event), not scaling, which needs a core (or a node) per replica. ` +
      "Push latency runs from the gateway accepting the event to the desk's socket (HOTLINE_CALL_START: the caller's view and three offers decided, then pushed to the replica holding the desk's socket through Redis).",
  );
}
