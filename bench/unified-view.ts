import { setTimeout as sleep } from "node:timers/promises";
import type { ChildServer } from "./children";
import { compareAnswers, type Comparison } from "./compare";
import type { LoadTarget } from "./load";
import { combineSlices, measureSlice, type SideMeasurement, type Slice } from "./measure";
import type { Redis } from "ioredis";
import type { GraphSession } from "../src/platform/neo4j";
import type { BenchOptions } from "./options";
import type { Graph } from "../src/platform/neo4j";
import { ProfileStore } from "../src/customer360/profiles";
import { ReferenceData } from "../src/customer360/reference";
import { profilesByIds } from "../src/graph/profiles";
import { createLogger } from "../src/platform/logger";
import { libraryTarget, ourTarget } from "./targets";

/**
 * The unified view of one customer, our gateway against the Neo4j GraphQL Library over the same
 * graph: answers compared on a sample, both warmed up, then measured in alternating slices.
 */

export interface UnifiedViewRun {
  comparison: Comparison | null;
  ours: SideMeasurement;
  theirs: SideMeasurement;
  /** What the audit writer committed to Neo4j while our side was measured (null when Neo4j would not say). */
  audit: AuditWrites | null;
}

/**
 * The audit trail's writes during our measured slices: the audit writer's commits (each commit is
 * acknowledged with one XACK, and nothing else acknowledges stream entries during the unified
 * view; Neo4j Community does not report its committed transactions) and audit nodes created. The
 * writer commits within its linger after a slice ends; the pause after each slice lets it, so the
 * counts include them.
 */
export interface AuditWrites {
  seconds: number;
  requests: number;
  commits: number;
  nodes: number;
}

interface WriteCounters {
  commits: number;
  nodes: number;
}

const LOAD_STREAM = 0xbe4c;
const WARMUP_STREAM = 0xbe4d;
const COMPARE_STREAM = 0xc0de;
/** Pause after each measured slice (see there). */
const SETTLE_MS = 1_000;

/** Customers filled per statement when the bench warms the live profiles. */
const FILL_BATCH = 500;

/**
 * The customers a unified-view run asks for: the compared sample and the first `count` of the
 * measured sequence (both sides ask for the same ones), without repeats.
 */
export function viewedCustomers(idStream: (salt: number) => () => string, compareSample: number, count: number): string[] {
  const measured = idStream(LOAD_STREAM);
  const compared = idStream(COMPARE_STREAM);
  const ids = new Set<string>();
  for (let i = 0; i < compareSample; i++) ids.add(compared());
  for (let i = 0; i < count; i++) ids.add(measured());
  return [...ids];
}

/**
 * Fills the live profiles of `ids` as the gateway's decisions do (the profile statement, then the
 * versioned fill script), so the view is measured as the desk sees the caller it pops: just decided
 * for. `redis` carries the gateway's key prefix.
 */
export async function fillViewProfiles(graph: Graph, redis: Redis, ids: readonly string[], say: (line: string) => void): Promise<void> {
  const store = new ProfileStore(graph, redis, new ReferenceData(graph), createLogger("bench-profiles", "warn"));
  const started = Date.now();
  let filled = 0;
  for (let i = 0; i < ids.length; i += FILL_BATCH) {
    const batch = ids.slice(i, i + FILL_BATCH);
    const read = await store.read(batch);
    if (!read) throw new Error("Redis did not answer the profiles' read");
    const cold = batch.filter((id) => !read.found.has(id));
    const loaded = await profilesByIds(graph.session(), cold);
    const stored = await store.fill([...loaded].map(([id, profile]) => ({ id, profile, version: read.versions.get(id) ?? "" })));
    filled += stored.filter(Boolean).length;
    if ((i / FILL_BATCH) % 10 === 9 || i + FILL_BATCH >= ids.length) say(`  profiles: ${Math.min(i + FILL_BATCH, ids.length).toLocaleString("en")} of ${ids.length.toLocaleString("en")} (${filled.toLocaleString("en")} filled, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}

export async function runUnifiedViewScenario(ctx: {
  opts: BenchOptions;
  gateway: ChildServer;
  library: ChildServer;
  idStream: (salt: number) => () => string;
  say: (line: string) => void;
  /** The graph and Redis, for counting the audit writer's nodes and commits. */
  graph: GraphSession;
  redis: Redis;
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
  let audit: AuditWrites | null = { seconds: 0, requests: 0, commits: 0, nodes: 0 };
  for (let i = 0; i < opts.slices; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
      const counting: boolean = side.target === ours && audit !== null;
      const start: WriteCounters | null = counting ? await writeCounters(ctx.graph, ctx.redis) : null;
      const slice = await measureSlice(side.target, { serverPid: side.serverPid, concurrency: opts.concurrency, durationS: sliceS, nextId: side.nextId });
      side.slices.push(slice);
      const share = slice.others ? ` (other processes ${((100 * slice.others.others) / slice.others.total).toFixed(0)}% of the CPU)` : "";
      say(`  slice ${i + 1} ${side.target.name}: ${slice.load.requestsPerS.toFixed(1)} req/s, p99 ${ms(slice.load.latencyMs.p99)}, ${slice.load.failures} errors${share}`);
      // Requests still in flight when a slice ends are dropped by the client but finish on the
      // server; let them, so they do not run into the other side's slice.
      await sleep(SETTLE_MS);
      if (start) {
        const end = await writeCounters(ctx.graph, ctx.redis);
        if (audit && end) {
          audit = { seconds: audit.seconds + sliceS, requests: audit.requests + slice.load.ok, commits: audit.commits + end.commits - start.commits, nodes: audit.nodes + end.nodes - start.nodes };
          say(`    audit writer: ${((end.commits - start.commits) / sliceS).toFixed(1)} commits/s, ${((end.nodes - start.nodes) / Math.max(1, slice.load.ok)).toFixed(2)} audit nodes per request`);
        } else audit = null;
      }
    }
  }
  const [ourRun, theirRun] = sides.map((side) => combineSlices(side.slices));
  if (!ourRun || !theirRun) throw new Error("no measurement");
  return { comparison, ours: ourRun, theirs: theirRun, audit };
}

/** XACKs Redis has answered (the audit writer's commits) and the audit nodes in the graph (both labels, from the count store). */
async function writeCounters(graph: GraphSession, redis: Redis): Promise<WriteCounters | null> {
  try {
    const stats = await redis.info("commandstats");
    const acks = /cmdstat_xack:calls=(\d+)/.exec(stats)?.[1] ?? "0";
    const [nodes] = await graph.read<{ n: number }>(
      "CALL () { MATCH (a:AuditEntry) RETURN count(a) AS entries } CALL () { MATCH (r:AuditRequest) RETURN count(r) AS requests } RETURN entries + requests AS n",
    );
    return nodes ? { commits: Number(acks), nodes: nodes.n } : null;
  } catch {
    return null;
  }
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} ms` : "– ms";
}
