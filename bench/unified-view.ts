import { setTimeout as sleep } from "node:timers/promises";
import type { ChildServer } from "./children";
import { compareAnswers, type Comparison } from "./compare";
import type { LoadTarget } from "./load";
import { combineSlices, measureSlice, type SideMeasurement, type Slice } from "./measure";
import type { BenchOptions } from "./options";
import { libraryTarget, ourTarget } from "./targets";

/**
 * The unified view of one customer, our gateway against the Neo4j GraphQL Library over the same
 * graph: answers compared on a sample, both warmed up, then measured in alternating slices.
 */

export interface UnifiedViewRun {
  comparison: Comparison | null;
  ours: SideMeasurement;
  theirs: SideMeasurement;
}

const LOAD_STREAM = 0xbe4c;
const WARMUP_STREAM = 0xbe4d;
const COMPARE_STREAM = 0xc0de;
/** Pause after each measured slice (see there). */
const SETTLE_MS = 1_000;

export async function runUnifiedViewScenario(ctx: {
  opts: BenchOptions;
  gateway: ChildServer;
  library: ChildServer;
  idStream: (salt: number) => () => string;
  say: (line: string) => void;
}): Promise<UnifiedViewRun> {
  const { opts, say } = ctx;
  const ours = ourTarget(ctx.gateway.url);
  const theirs = libraryTarget(ctx.library.url);

  let comparison: Comparison | null = null;
  if (opts.compareSample > 0) {
    say(`comparing both sides' answers on ${opts.compareSample} customers…`);
    const nextId = ctx.idStream(COMPARE_STREAM);
    comparison = await compareAnswers(
      ours,
      theirs,
      Array.from({ length: opts.compareSample }, () => nextId()),
    );
  }

  // Both sides are measured on the same sequence of customers (the same mix); warm-up uses
  // another, so it does not pre-load exactly the customers about to be measured.
  const warmUp = async (target: LoadTarget): Promise<void> => {
    say(`warm-up ${target.name}: ${opts.warmupS} s at concurrency ${opts.concurrency}…`);
    const { load } = await measureSlice(target, { serverPid: undefined, concurrency: opts.concurrency, durationS: opts.warmupS, nextId: ctx.idStream(WARMUP_STREAM) });
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
    { target: ours, serverPid: ctx.gateway.pid, nextId: ctx.idStream(LOAD_STREAM), slices: [] as Slice[] },
    { target: theirs, serverPid: ctx.library.pid, nextId: ctx.idStream(LOAD_STREAM), slices: [] as Slice[] },
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
  return { comparison, ours: ourRun, theirs: theirRun };
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} ms` : "– ms";
}
