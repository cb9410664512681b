import { cpuMs, findDescendant, othersJiffies, sampleCpu } from "./cpu";
import { mergeLoadResults, runLoad, type LoadResult, type LoadTarget } from "./load";

/** One side's load result with what it cost in CPU, and how busy the rest of the machine was. */
export interface SideMeasurement {
  load: LoadResult;
  /** CPU milliseconds per successful request in the side's server process. */
  serverCpuMsPerRequest: number | null;
  /** CPU milliseconds per successful request in Neo4j (null when the bench did not start it). */
  neo4jCpuMsPerRequest: number | null;
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
  const load = await runLoad(target, opts);
  const after = sampleCpu();
  // Neo4j and Redis are the bench's own children when ensureServices started them.
  const neo4jPid = findDescendant(after, process.pid, "java");
  const redisPid = findDescendant(after, process.pid, "redis-server");
  return {
    load,
    serverCpuMs: cpuMs(before, after, opts.serverPid),
    neo4jCpuMs: cpuMs(before, after, neo4jPid),
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
  const capacity = total((s) => s.others?.total ?? null);
  return {
    load,
    serverCpuMsPerRequest: perRequest(total((s) => s.serverCpuMs)),
    neo4jCpuMsPerRequest: perRequest(total((s) => s.neo4jCpuMs)),
    redisCpuMsPerRequest: perRequest(total((s) => s.redisCpuMs)),
    loadCpuMsPerRequest: perRequest(total((s) => s.loadCpuMs)),
    othersShare: others === null || !capacity ? null : others / capacity,
  };
}
