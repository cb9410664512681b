import { cpuMs, findDescendant, othersShare, sampleCpu } from "./cpu";
import { runLoad, type LoadResult, type LoadTarget } from "./load";

/** One side's load result with what it cost in CPU, and how busy the rest of the machine was. */
export interface SideMeasurement {
  load: LoadResult;
  /** CPU milliseconds per successful request in the side's server process. */
  serverCpuMsPerRequest: number | null;
  /** CPU milliseconds per successful request in Neo4j (null when the bench did not start it). */
  neo4jCpuMsPerRequest: number | null;
  /** Share of the machine's CPU taken by processes outside the bench meanwhile. */
  othersShare: number | null;
}

/** Runs the load on `target` and attributes the CPU time spent meanwhile. */
export async function measureSide(
  target: LoadTarget,
  opts: { serverPid: number | undefined; concurrency: number; durationS: number; nextId: () => string },
): Promise<SideMeasurement> {
  const before = sampleCpu();
  const load = await runLoad(target, opts);
  const after = sampleCpu();
  // Neo4j is the bench's own child when ensureServices started it (a "java" process under us).
  const neo4jPid = findDescendant(after, process.pid, "java");
  const perRequest = (ms: number | null): number | null => (ms === null || load.ok === 0 ? null : ms / load.ok);
  return {
    load,
    serverCpuMsPerRequest: perRequest(cpuMs(before, after, opts.serverPid)),
    neo4jCpuMsPerRequest: perRequest(cpuMs(before, after, neo4jPid)),
    othersShare: othersShare(before, after),
  };
}
