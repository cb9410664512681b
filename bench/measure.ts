import { cpuMs, findDescendant, jvmThreadCpuMs, jvmThreadDelta, othersJiffies, sampleCpu, type JvmThreadKind } from "./cpu";
import { mergeLoadResults, runLoad, type LoadResult, type LoadTarget } from "./load";

/** One side's load result with what it cost in CPU, and how busy the rest of the machine was. */
export interface SideMeasurement {
  load: LoadResult;
  /** CPU milliseconds per successful request in the side's server process. */
  serverCpuMsPerRequest: number | null;
  /** CPU milliseconds per successful request in Neo4j (null when the bench did not start it). */
  neo4jCpuMsPerRequest: number | null;
  /** Neo4j's CPU per successful request by what its threads do (null when the bench did not start it). */
  neo4jThreadsMsPerRequest: Map<JvmThreadKind, number> | null;
  /** Share of Neo4j's CPU its JIT compiler took: well above a few percent, the JVM was still warming up. */
  neo4jJitShare: number | null;
  /** CPU milliseconds per successful request in Redis (null when the bench did not start it). */
  redisCpuMsPerRequest: number | null;
  /** CPU milliseconds per successful request in the bench process itself: the load generator. */
  loadCpuMsPerRequest: number | null;
  /** Share of the machine's CPU taken by processes outside the bench meanwhile. */
  othersShare: number | null;
}

/** One stretch of load on one side, with the CPU time spent meanwhile. */
export interface Slice {
  load: LoadResult;
  serverCpuMs: number | null;
  neo4jCpuMs: number | null;
  neo4jThreadsMs: Map<JvmThreadKind, number> | null;
  redisCpuMs: number | null;
  loadCpuMs: number | null;
  others: { others: number; total: number } | null;
}

/** Runs the load on `target` for `durationS` and attributes the CPU time spent meanwhile. */
export async function measureSlice(
  target: LoadTarget,
  opts: { serverPid: number | undefined; concurrency: number; durationS: number; nextId: () => string },
): Promise<Slice> {
  const before = sampleCpu();
  // Neo4j and Redis are the bench's own children when ensureServices started them.
  const neo4jPid = findDescendant(before, process.pid, "java");
  const threadsBefore = jvmThreadCpuMs(neo4jPid);
  const load = await runLoad(target, opts);
  const after = sampleCpu();
  const threadsAfter = jvmThreadCpuMs(neo4jPid);
  const redisPid = findDescendant(after, process.pid, "redis-server");
  return {
    load,
    serverCpuMs: cpuMs(before, after, opts.serverPid),
    neo4jCpuMs: cpuMs(before, after, neo4jPid),
    neo4jThreadsMs: jvmThreadDelta(threadsBefore, threadsAfter),
    redisCpuMs: cpuMs(before, after, redisPid),
    loadCpuMs: cpuMs(before, after, process.pid),
    others: othersJiffies(before, after),
  };
}

/** The slices of one side as one measurement: merged latencies, summed requests and CPU time. */
export function combineSlices(slices: readonly Slice[]): SideMeasurement {
  const load = mergeLoadResults(slices.map((s) => s.load));
  const total = (pick: (s: Slice) => number | null): number | null =>
    slices.some((s) => pick(s) === null) ? null : slices.reduce((sum, s) => sum + (pick(s) ?? 0), 0);
  const perRequest = (ms: number | null): number | null => (ms === null || load.ok === 0 ? null : ms / load.ok);
  const others = total((s) => s.others?.others ?? null);
  const threads = sumThreads(slices);
  const capacity = total((s) => s.others?.total ?? null);
  return {
    load,
    serverCpuMsPerRequest: perRequest(total((s) => s.serverCpuMs)),
    neo4jCpuMsPerRequest: perRequest(total((s) => s.neo4jCpuMs)),
    neo4jThreadsMsPerRequest: threads && load.ok > 0 ? new Map([...threads].map(([kind, ms]) => [kind, ms / load.ok])) : null,
    neo4jJitShare: jitShare(threads),
    redisCpuMsPerRequest: perRequest(total((s) => s.redisCpuMs)),
    loadCpuMsPerRequest: perRequest(total((s) => s.loadCpuMs)),
    othersShare: others === null || !capacity ? null : others / capacity,
  };
}

/** Neo4j's per-thread-kind CPU summed over slices; null if any slice lacks it. */
function sumThreads(slices: readonly Slice[]): Map<JvmThreadKind, number> | null {
  if (slices.length === 0 || slices.some((s) => s.neo4jThreadsMs === null)) return null;
  const sum = new Map<JvmThreadKind, number>();
  for (const s of slices) for (const [kind, ms] of s.neo4jThreadsMs ?? []) sum.set(kind, (sum.get(kind) ?? 0) + ms);
  return sum;
}

/** The JIT compiler's share of Neo4j's CPU in `threads`, or null. */
export function jitShare(threads: ReadonlyMap<JvmThreadKind, number> | null): number | null {
  if (!threads) return null;
  const all = [...threads.values()].reduce((a, b) => a + b, 0);
  return all > 0 ? (threads.get("JIT compiler") ?? 0) / all : null;
}
