import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChildServer } from "./children";
import { cpuMs, sampleCpu } from "./cpu";
import type { LoadTarget } from "./load";
import { combineSlices, measureSlice, type SideMeasurement, type Slice } from "./measure";
import type { BenchOptions } from "./options";
import { fixed, type BenchReport, type Column } from "./report";
import { decisionTarget, ourTarget } from "./targets";

/**
 * What metrics and traces cost (issue 15: at most 5% of throughput): four gateways on the same
 * services, one with both off (METRICS=off, no OTEL_EXPORTER_OTLP_ENDPOINT), one with metrics (the
 * default), one with metrics and traces of every request, one with metrics and traces of one root
 * request in ten (OTEL_TRACES_SAMPLER=parentbased_traceidratio), spans exported over OTLP/HTTP to a
 * receiver in the bench process that counts and drops them, as a collector would take them off the
 * gateway's hands. The unified view and decisions are each measured on all four in alternating
 * slices (off, metrics, traces, traces 10%, then the other way round, …): the machine is noisy,
 * and alternation spreads any drift over the four alike.
 */

export type ObservabilityMode = "off" | "metrics" | "metrics+traces" | "metrics+traces 10%";
const MODES: readonly ObservabilityMode[] = ["off", "metrics", "metrics+traces", "metrics+traces 10%"];

export interface ObservabilityRun {
  workloads: Array<{
    workload: string;
    concurrency: number;
    modes: Array<{ mode: ObservabilityMode; measured: SideMeasurement; slices: Array<{ requestsPerS: number; p99: number }>; netCpuMsPerRequest: number | null }>;
  }>;
  /** Spans the receiver took in while the traced gateway was measured, and their export requests. */
  spans: number;
  exports: number;
}

export interface ObservabilityScenarioContext {
  opts: BenchOptions;
  /** Starts a gateway on the bench's services with extra environment; the caller stops it. */
  startGateway: (nodeArgs: readonly string[], env: Record<string, string>) => Promise<ChildServer>;
  idStream: (salt: number) => () => string;
  say: (line: string) => void;
}

const LOAD_STREAM = 0x0b5e;
const WARMUP_STREAM = 0x0b5f;
const SETTLE_MS = 500;

export async function runObservabilityScenario(ctx: ObservabilityScenarioContext): Promise<ObservabilityRun> {
  const { opts, say } = ctx;
  const sink = await otlpSink();
  const gateways = new Map<ObservabilityMode, ChildServer>();
  try {
    say("observability: starting four gateways (off, metrics, metrics+traces, metrics+traces sampling one request in ten)…");
    gateways.set("off", await ctx.startGateway([], { METRICS: "off" }));
    gateways.set("metrics", await ctx.startGateway([], {}));
    gateways.set("metrics+traces", await ctx.startGateway([], { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint }));
    gateways.set("metrics+traces 10%", await ctx.startGateway([], { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" }));
    const workloads: ObservabilityRun["workloads"] = [];
    const spansBefore = sink.spans;
    const exportsBefore = sink.requests;
    for (const [workload, targetOf, concurrency] of [
      ["unified view", ourTarget, opts.concurrency],
      ["decisions", decisionTarget, opts.decisionConcurrency[0] ?? 4],
    ] as const) {
      const gatewayOf = (mode: ObservabilityMode): ChildServer => gateways.get(mode) as ChildServer;
      if (opts.warmupS > 0) {
        for (const mode of MODES) {
          say(`observability: ${workload}, warm-up of "${mode}" ${opts.warmupS} s at concurrency ${concurrency}…`);
          await measureSlice(targetOf(gatewayOf(mode).url), { serverPid: undefined, concurrency, durationS: opts.warmupS, nextId: ctx.idStream(WARMUP_STREAM) });
        }
      }
      // What each gateway spends with no request (timers, the event consumer's and movers' loops, GC):
      // subtracted from its slices' CPU, else a gateway that happened to serve fewer requests looks
      // dearer per request.
      const idle = new Map<ObservabilityMode, number | null>();
      for (const mode of MODES) idle.set(mode, await idleCpuMsPerS(gatewayOf(mode).pid));
      say(`observability: idle CPU per gateway (ms/s): ${MODES.map((m) => `${m} ${idle.get(m)?.toFixed(1) ?? "?"}`).join(", ")}`);
      const sliceS = opts.durationS / opts.slices;
      // The same customers in the same order on each side: one id stream per mode, seeded alike.
      const sides = MODES.map((mode) => ({ mode, target: targetOf(gatewayOf(mode).url) as LoadTarget, pid: gatewayOf(mode).pid, nextId: ctx.idStream(LOAD_STREAM), slices: [] as Slice[] }));
      say(`observability: ${workload}, ${opts.durationS} s per mode in ${opts.slices} alternating slices of ${sliceS.toFixed(1)} s at concurrency ${concurrency}…`);
      for (let i = 0; i < opts.slices; i++) {
        for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
          const slice = await measureSlice(side.target, { serverPid: side.pid, concurrency, durationS: sliceS, nextId: side.nextId });
          side.slices.push(slice);
          say(`  slice ${i + 1} ${side.mode}: ${slice.load.requestsPerS.toFixed(1)} req/s, p99 ${slice.load.latencyMs.p99.toFixed(1)} ms, ${slice.load.failures} errors`);
          // The write-behind and the span export finish behind the answers: let them before the next side.
          await sleep(SETTLE_MS);
        }
      }
      workloads.push({
        workload,
        concurrency,
        modes: sides.map((s) => ({
          mode: s.mode,
          measured: combineSlices(s.slices),
          slices: s.slices.map((x) => ({ requestsPerS: x.load.requestsPerS, p99: x.load.latencyMs.p99 })),
          netCpuMsPerRequest: netCpu(s.slices, sliceS, idle.get(s.mode) ?? null),
        })),
      });
    }
    return { workloads, spans: sink.spans - spansBefore, exports: sink.requests - exportsBefore };
  } finally {
    await Promise.all([...gateways.values()].map((g) => g.stop()));
    await new Promise<void>((resolve) => sink.server.close(() => resolve()));
  }
}

/** A gateway's CPU ms per second over 3 s without load. */
async function idleCpuMsPerS(pid: number | undefined): Promise<number | null> {
  await sleep(SETTLE_MS);
  const before = sampleCpu();
  const started = performance.now();
  await sleep(3_000);
  const ms = cpuMs(before, sampleCpu(), pid);
  return ms === null ? null : ms / ((performance.now() - started) / 1_000);
}

/** CPU ms per successful request over `slices`, less what the gateway spends idle over their time. */
function netCpu(slices: readonly Slice[], sliceS: number, idleMsPerS: number | null): number | null {
  const ok = slices.reduce((n, s) => n + s.load.ok, 0);
  if (idleMsPerS === null || ok === 0 || slices.some((s) => s.serverCpuMs === null)) return null;
  const spent = slices.reduce((sum, s) => sum + (s.serverCpuMs ?? 0), 0);
  return Math.max(0, spent - idleMsPerS * sliceS * slices.length) / ok;
}

/**
 * An OTLP/HTTP receiver (JSON) that counts spans and drops them: the gateway's exporter does all
 * its work (batching, serialising, sending), the bench's share stays small.
 */
async function otlpSink(): Promise<{ server: Server; endpoint: string; spans: number; requests: number }> {
  const sink = { server: null as unknown as Server, endpoint: "", spans: 0, requests: 0 };
  sink.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      sink.requests += 1;
      // Counting "spanId" keys is enough for a figure, and far cheaper than parsing.
      const text = Buffer.concat(chunks).toString("latin1");
      for (let at = text.indexOf('"spanId"'); at >= 0; at = text.indexOf('"spanId"', at + 8)) sink.spans += 1;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => sink.server.listen(0, "127.0.0.1", resolve));
  sink.endpoint = `http://127.0.0.1:${(sink.server.address() as AddressInfo).port}`;
  return sink;
}

const OBSERVABILITY_COLUMNS: readonly Column[] = [
  { key: "setup", title: "observability overhead" },
  { key: "rps", title: "req/s", format: fixed(1) },
  { key: "ratio", title: "vs off", format: fixed(3) },
  { key: "paired", title: "median round vs off", format: fixed(3) },
  { key: "p50", title: "p50 ms", format: fixed(1) },
  { key: "p99", title: "p99 ms", format: fixed(1) },
  { key: "p99Ratio", title: "p99 vs off", format: fixed(3) },
  { key: "errors", title: "errors", format: fixed(0) },
  { key: "serverCpu", title: "gateway CPU ms/req", format: fixed(2) },
  { key: "cpuRatio", title: "CPU vs off", format: fixed(3) },
  { key: "netCpu", title: "net of idle ms/req", format: fixed(2) },
  { key: "netRatio", title: "net vs off", format: fixed(3) },
];

/** One row per workload and mode: throughput and p99, each against the same workload with both off. */
export function recordObservability(report: BenchReport, run: ObservabilityRun): void {
  const table = report.table("metrics and traces against off (four gateways, alternating slices)", OBSERVABILITY_COLUMNS);
  for (const w of run.workloads) {
    const offMode = w.modes.find((m) => m.mode === "off");
    const off = offMode?.measured;
    for (const { mode, measured, slices, netCpuMsPerRequest } of w.modes) {
      const { load } = measured;
      table.row({
        setup: `${w.workload} (c=${w.concurrency}), ${mode}`,
        rps: load.requestsPerS,
        ratio: off && off.load.requestsPerS > 0 ? load.requestsPerS / off.load.requestsPerS : null,
        // Each round runs the three modes back to back: the ratio within a round is the least exposed to drift, its median to outliers.
        paired: offMode ? median(slices.map((x, i) => x.requestsPerS / (offMode.slices[i]?.requestsPerS ?? NaN)).filter(Number.isFinite)) : null,
        p50: load.latencyMs.p50,
        p99: load.latencyMs.p99,
        p99Ratio: off && off.load.latencyMs.p99 > 0 ? load.latencyMs.p99 / off.load.latencyMs.p99 : null,
        errors: load.failures,
        serverCpu: measured.serverCpuMsPerRequest,
        // On a shared machine the gateway's CPU per request is steadier than its throughput, and where the gateway is what saturates, throughput goes as its inverse.
        cpuRatio: off?.serverCpuMsPerRequest && measured.serverCpuMsPerRequest !== null ? measured.serverCpuMsPerRequest / off.serverCpuMsPerRequest : null,
        netCpu: netCpuMsPerRequest,
        netRatio: offMode?.netCpuMsPerRequest && netCpuMsPerRequest !== null ? netCpuMsPerRequest / offMode.netCpuMsPerRequest : null,
      });
    }
  }
  report.note(`observability: the traced gateways exported ${run.spans.toLocaleString("en")} spans in ${run.exports.toLocaleString("en")} OTLP/HTTP requests while measured.`);
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
