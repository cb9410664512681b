import { readFileSync, readdirSync } from "node:fs";

/**
 * CPU accounting from Linux's /proc. Two uses:
 * - CPU time per request of each server and of Neo4j: what a request costs, a figure that
 *   contention on the machine barely moves (unlike latency and throughput);
 * - the share of the machine that processes outside the bench took while it measured (the bench,
 *   both servers, Neo4j and Redis share two cores; a test suite or a seed run elsewhere slows
 *   both sides).
 */
export interface CpuSample {
  /** Jiffies the whole machine spent busy and in total (all cores). */
  machineBusy: number;
  machineTotal: number;
  /** Jiffies spent by the bench process and its descendants (servers, Neo4j, Redis). */
  ours: number;
  /** utime + stime per live process. */
  processes: ReadonlyMap<number, ProcessCpu>;
}

interface ProcessCpu {
  ppid: number;
  comm: string;
  jiffies: number;
}

/** Linux's USER_HZ, the unit of /proc times; 100 on every mainstream architecture. */
const JIFFY_MS = 10;

/** A snapshot, or null where /proc is not there (not Linux). */
export function sampleCpu(rootPid: number = process.pid): CpuSample | null {
  try {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    const processes = readProcesses();
    let ours = 0;
    for (const [pid, p] of processes) if (descendsFrom(processes, pid, rootPid)) ours += p.jiffies;
    return { machineBusy: busy, machineTotal: busy + idle + iowait, ours, processes };
  } catch {
    return null;
  }
}

/** Jiffies used by processes outside the bench between two samples, and the machine's total capacity meanwhile. */
export function othersJiffies(before: CpuSample | null, after: CpuSample | null): { others: number; total: number } | null {
  if (!before || !after) return null;
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return null;
  return { others: Math.max(0, after.machineBusy - before.machineBusy - (after.ours - before.ours)), total };
}

/** CPU milliseconds process `pid` used between two samples, or null if it is not in both. */
export function cpuMs(before: CpuSample | null, after: CpuSample | null, pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const a = before?.processes.get(pid);
  const b = after?.processes.get(pid);
  return a && b ? (b.jiffies - a.jiffies) * JIFFY_MS : null;
}

/** The first process descending from `rootPid` whose command name is `comm` (e.g. Neo4j's "java"). */
export function findDescendant(sample: CpuSample | null, rootPid: number, comm: string): number | undefined {
  if (!sample) return undefined;
  for (const [pid, p] of sample.processes) if (p.comm === comm && pid !== rootPid && descendsFrom(sample.processes, pid, rootPid)) return pid;
  return undefined;
}

/**
 * CPU milliseconds process `pid` has used so far (all its threads), or null when it cannot be read.
 * One small file read, cheap enough to take around a single query.
 */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) * JIFFY_MS;
  } catch {
    return null;
  }
}

/** What a JVM thread does, from its name (Neo4j names its own threads; HotSpot names its). */
export const JVM_THREAD_KINDS = ["query execution (Bolt workers)", "Bolt network I/O", "JIT compiler", "garbage collector", "other"] as const;
export type JvmThreadKind = (typeof JVM_THREAD_KINDS)[number];

function jvmThreadKind(name: string): JvmThreadKind {
  if (name.startsWith("neo4j.BoltWorke")) return "query execution (Bolt workers)";
  if (name.startsWith("neo4j.BoltNetwo")) return "Bolt network I/O";
  if (/^C[12] CompilerThre/.test(name)) return "JIT compiler";
  if (/^GC Thread|^G1 /.test(name)) return "garbage collector";
  return "other";
}

/**
 * CPU milliseconds the threads of JVM process `pid` have used so far, by kind: how much of Neo4j's
 * CPU runs queries, and how much is the JVM still compiling (a freshly started Neo4j spends minutes
 * of a core on its JIT). Threads that ended since are lost, which only undercounts "other".
 */
export function jvmThreadCpuMs(pid: number | undefined): Map<JvmThreadKind, number> | null {
  if (pid === undefined) return null;
  try {
    const kinds = new Map<JvmThreadKind, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const kind = jvmThreadKind(stat.slice(stat.indexOf("(") + 1, close));
        const rest = stat.slice(close + 2).split(" ");
        kinds.set(kind, (kinds.get(kind) ?? 0) + (Number(rest[11]) + Number(rest[12])) * JIFFY_MS);
      } catch {
        // The thread ended while we looked.
      }
    }
    return kinds;
  } catch {
    return null;
  }
}

/** Per-kind CPU between two {@link jvmThreadCpuMs} samples (per thread kind, never negative). */
export function jvmThreadDelta(before: Map<JvmThreadKind, number> | null, after: Map<JvmThreadKind, number> | null): Map<JvmThreadKind, number> | null {
  if (!before || !after) return null;
  return new Map(JVM_THREAD_KINDS.map((kind) => [kind, Math.max(0, (after.get(kind) ?? 0) - (before.get(kind) ?? 0))]));
}

function readProcesses(): Map<number, ProcessCpu> {
  const processes = new Map<number, ProcessCpu>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name is in parentheses and may hold spaces; the fields after its last ")" do not.
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const rest = stat.slice(close + 2).split(" ");
      // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
      processes.set(Number(entry), { ppid: Number(rest[1]), comm, jiffies: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // The process ended while we looked.
    }
  }
  return processes;
}

function descendsFrom(processes: ReadonlyMap<number, ProcessCpu>, pid: number, rootPid: number): boolean {
  let cursor: number | undefined = pid;
  for (let depth = 0; cursor !== undefined && depth < 64; depth++) {
    if (cursor === rootPid) return true;
    cursor = cursor > 1 ? processes.get(cursor)?.ppid : undefined;
  }
  return false;
}
