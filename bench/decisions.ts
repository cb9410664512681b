import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { PROJECT_ROOT } from "../src/platform/paths";
import { keys } from "../src/platform/keys";
import { createRedis } from "../src/platform/redis";
import type { GraphConnection } from "../src/platform/neo4j";
import type { ChildServer } from "./children";
import { findDescendant, othersJiffies, sampleCpu } from "./cpu";
import { newestProfile, summariseProfile, type ProfileSummary } from "./cpu-profile";
import type { LoadTarget } from "./load";
import { combineSlices, jitShare, measureSlice, type SideMeasurement, type Slice } from "./measure";
import type { BenchOptions } from "./options";
import { decisionBreakdown, type DecisionBreakdown } from "./phases";
import { decisionTarget } from "./targets";

/**
 * Issue 3's scenario: `nextBestOffers` for one customer under load on our gateway (the Neo4j
 * GraphQL Library has no decisioning), then, one decision at a time, where its time goes, and
 * optionally a CPU profile of a second gateway under the same load.
 */

/** The decision load at one concurrency. */
export interface DecisionLevel {
  concurrency: number;
  measured: SideMeasurement;
  /** Per-slice throughput and p99, to show how steady the measurement was. */
  slices: Array<{ requestsPerS: number; p99: number }>;
  /**
   * Stream entries of decisions still queued for the graph when the level's window closed: the
   * write-behind's Neo4j work is counted in the window only if it kept up (a backlog near 0).
   */
  backlogAtEnd: number;
}

export interface DecisionRun {
  /** In the order asked; the first is the level the target is judged at. */
  levels: DecisionLevel[];
  /** With the share of the machine other processes took meanwhile. */
  breakdown: (DecisionBreakdown & { othersShare: number | null }) | null;
  profile: ProfileSummary | null;
}

export interface DecisionScenarioContext {
  opts: BenchOptions;
  gateway: ChildServer;
  neo4j: GraphConnection;
  redisUrl: string;
  /** The key prefix the gateway children use (they inherit the environment). */
  redisKeyPrefix: string;
  /** A customer-id stream of its own per salt, seeded by the run's seed. */
  idStream: (salt: number) => () => string;
  /** Starts another gateway on the same services with extra Node flags; the caller stops it. */
  startGateway: (nodeArgs: readonly string[]) => Promise<ChildServer>;
  log: Logger;
  say: (line: string) => void;
}

const WARMUP_STREAM = 0xde01;
const LOAD_STREAM = 0xde02;
const BREAKDOWN_STREAM = 0xde03;
const PROFILE_STREAM = 0xde04;
/** Warm-up of the profiled gateway before its profile window opens. */
const PROFILE_WARMUP_S = 5;
const SETTLE_MS = 1_000;

export async function runDecisionScenario(ctx: DecisionScenarioContext): Promise<DecisionRun> {
  const { opts, say } = ctx;
  const target = decisionTarget(ctx.gateway.url);
  const levels = opts.decisionConcurrency;
  const first = levels[0] ?? 1;
  await firstDecision(target, ctx.idStream(WARMUP_STREAM));
  await warmUp(ctx, target, first);

  // One id stream across the levels: every measured decision is for a fresh random customer.
  const nextId = ctx.idStream(LOAD_STREAM);
  const measuredLevels: DecisionLevel[] = [];
  const redis = createRedis(ctx.redisUrl, ctx.redisKeyPrefix);
  for (const concurrency of levels) {
    // Slices only to show how steady the figures are; there is no other side to alternate with.
    const sliceS = opts.decisionDurationS / opts.slices;
    const slices: Slice[] = [];
    say(`decisions: measuring ${opts.decisionDurationS} s in ${opts.slices} slices of ${sliceS.toFixed(1)} s at concurrency ${concurrency}…`);
    for (let i = 0; i < opts.slices; i++) {
      const slice = await measureSlice(target, { serverPid: ctx.gateway.pid, concurrency, durationS: sliceS, nextId });
      slices.push(slice);
      const share = slice.others ? ` (other processes ${((100 * slice.others.others) / slice.others.total).toFixed(0)}% of the CPU)` : "";
      say(`  slice ${i + 1}: ${slice.load.requestsPerS.toFixed(1)} decisions/s, p50 ${ms(slice.load.latencyMs.p50)}, p99 ${ms(slice.load.latencyMs.p99)}, ${slice.load.failures} errors${share}${jitText(slice)}`);
    }
    const backlogAtEnd = await redis.xlen(keys.decisions.stream());
    say(`  decisions queued for the graph at the end of the window (write-behind backlog): ${backlogAtEnd} stream entries`);
    measuredLevels.push({ concurrency, measured: combineSlices(slices), slices: slices.map((s) => ({ requestsPerS: s.load.requestsPerS, p99: s.load.latencyMs.p99 })), backlogAtEnd });
    await sleep(SETTLE_MS);
  }
  redis.disconnect();

  let breakdown: DecisionRun["breakdown"] = null;
  if (opts.breakdownSample > 0) {
    say(`decisions: timing ${opts.breakdownSample} decisions phase by phase, one at a time, then as many over HTTP…`);
    const before = sampleCpu();
    const timed = await decisionBreakdown({
      neo4j: ctx.neo4j,
      redisUrl: ctx.redisUrl,
      redisKeyPrefix: ctx.redisKeyPrefix,
      neo4jPid: findDescendant(sampleCpu(), process.pid, "java"),
      gatewayUrl: ctx.gateway.url,
      httpBody: target.body,
      sample: opts.breakdownSample,
      nextId: ctx.idStream(BREAKDOWN_STREAM),
      log: ctx.log,
    });
    const others = othersJiffies(before, sampleCpu());
    breakdown = { ...timed, othersShare: others ? others.others / others.total : null };
  }

  const profile = opts.profileS > 0 ? await profileGateway(ctx, first) : null;
  return { levels: measuredLevels, breakdown, profile };
}

/**
 * A second gateway under `--cpu-prof`, warmed up, then driven for `profileS`; its profile is written
 * when it exits and summarised over the loaded window only. Kept apart from the measured gateway,
 * whose figures the profiler would slow.
 */
async function profileGateway(ctx: DecisionScenarioContext, concurrency: number): Promise<ProfileSummary | null> {
  const dir = join(PROJECT_ROOT, ".data", "bench-profiles", new Date().toISOString().replace(/[:.]/g, "-"));
  mkdirSync(dir, { recursive: true });
  ctx.say(`decisions: profiling a second gateway (--cpu-prof into ${dir}) for ${ctx.opts.profileS} s after ${PROFILE_WARMUP_S} s warm-up…`);
  const profiled = await ctx.startGateway(["--cpu-prof", `--cpu-prof-dir=${dir}`]);
  let window: { fromUs: number; toUs: number };
  try {
    const target = decisionTarget(profiled.url);
    const nextId = ctx.idStream(PROFILE_STREAM);
    await firstDecision(target, nextId);
    await measureSlice(target, { serverPid: undefined, concurrency, durationS: PROFILE_WARMUP_S, nextId });
    const fromUs = nowUs();
    const slice = await measureSlice(target, { serverPid: profiled.pid, concurrency, durationS: ctx.opts.profileS, nextId });
    window = { fromUs, toUs: nowUs() };
    ctx.say(`  under the profiler: ${slice.load.requestsPerS.toFixed(1)} decisions/s, p99 ${ms(slice.load.latencyMs.p99)}`);
  } finally {
    // SIGTERM lets the gateway exit normally, which is when Node writes the profile.
    await profiled.stop(30_000);
  }
  const file = newestProfile(dir);
  if (!file) {
    ctx.say(`  no profile was written into ${dir}`);
    return null;
  }
  return summariseProfile(file, window);
}

/** A warm-up step; long enough for the JIT share of one step to mean something. */
const WARMUP_STEP_S = 10;
/** Below this share of Neo4j's CPU going to its JIT compiler, Neo4j counts as warm. */
const WARM_JIT_SHARE = 0.1;

/**
 * Decisions at the first level's concurrency, unmeasured, for at least `warmupS` and then until
 * Neo4j's JIT compiler has settled (see `decisionWarmupS`), at most `decisionWarmupS` in all. Without
 * Neo4j's threads to look at (it was not started by this bench) it stops after `warmupS`.
 */
async function warmUp(ctx: DecisionScenarioContext, target: LoadTarget, concurrency: number): Promise<void> {
  const { opts, say } = ctx;
  const most = Math.max(opts.warmupS, opts.decisionWarmupS);
  if (most === 0) return;
  say(`decisions: warm-up at concurrency ${concurrency}: at least ${opts.warmupS} s, then until Neo4j's JIT compiler settles (at most ${most} s)…`);
  const nextId = ctx.idStream(WARMUP_STREAM);
  let spent = 0;
  while (spent < most) {
    const step = Math.min(WARMUP_STEP_S, most - spent);
    const slice = await measureSlice(target, { serverPid: undefined, concurrency, durationS: step, nextId });
    spent += step;
    const share = jitShare(slice.neo4jThreadsMs);
    say(`  ${spent} s: ${slice.load.requestsPerS.toFixed(1)} decisions/s, p50 ${ms(slice.load.latencyMs.p50)}, p99 ${ms(slice.load.latencyMs.p99)}, ${slice.load.failures} errors${jitText(slice)}`);
    if (spent >= opts.warmupS && (share === null || share < WARM_JIT_SHARE)) break;
  }
  if (spent >= most && most > opts.warmupS) say(`  Neo4j's JIT compiler was still busy after ${most} s; measuring anyway (--decision-warmup raises the limit)`);
  await sleep(SETTLE_MS);
}

function jitText(slice: Slice): string {
  const share = jitShare(slice.neo4jThreadsMs);
  return share === null ? "" : `, Neo4j JIT ${(100 * share).toFixed(0)}% of Neo4j's CPU`;
}

/**
 * One decision, waited for: a fresh gateway loads its reference data, marketing snapshot and model
 * on the first one, which can take seconds on a cold JVM; a warm-up that starts before that is over
 * measures mostly the wait.
 */
async function firstDecision(target: LoadTarget, nextId: () => string): Promise<void> {
  const id = nextId();
  const res = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...target.headers },
    body: target.body(id),
    signal: AbortSignal.timeout(120_000),
  });
  const problem = target.check(res.status, await res.text(), id);
  if (problem) throw new Error(`the gateway's first decision failed: ${problem}`);
}

/** The monotonic clock in µs, the one V8 stamps CPU profiles with. */
function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} ms` : "– ms";
}
