import { readFileSync, readdirSync } from "node:fs";

/**
 * CPU accounting from Linux's /proc, to tell how much of the machine processes outside the bench
 * took while it measured. The bench, both servers, Neo4j and Redis share two cores; a test suite
 * or a seed run elsewhere on the machine would silently slow both sides otherwise.
 */
export interface CpuSample {
  /** Jiffies the whole machine spent busy and in total (all cores). */
  machineBusy: number;
  machineTotal: number;
  /** Jiffies spent by the bench process and its descendants (servers, Neo4j, Redis). */
  ours: number;
}

/** A snapshot, or null where /proc is not there (not Linux). */
export function sampleCpu(rootPid: number = process.pid): CpuSample | null {
  try {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { machineBusy: busy, machineTotal: busy + idle + iowait, ours: treeJiffies(rootPid) };
  } catch {
    return null;
  }
}

/** The share (0–1) of the machine's capacity used by processes outside the bench between two samples. */
export function othersShare(before: CpuSample | null, after: CpuSample | null): number | null {
  if (!before || !after) return null;
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return null;
  const others = after.machineBusy - before.machineBusy - (after.ours - before.ours);
  return Math.max(0, others / total);
}

/** utime + stime of `rootPid` and every live descendant. */
function treeJiffies(rootPid: number): number {
  const procs = new Map<number, { ppid: number; jiffies: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses; the fields after its last ")" do not.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
      procs.set(Number(entry), { ppid: Number(rest[1]), jiffies: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // The process ended while we looked.
    }
  }
  let sum = 0;
  for (const [pid, p] of procs) {
    let cursor: number | undefined = pid;
    for (let depth = 0; cursor !== undefined && depth < 64; depth++) {
      if (cursor === rootPid) {
        sum += p.jiffies;
        break;
      }
      cursor = cursor > 1 ? procs.get(cursor)?.ppid : undefined;
    }
  }
  return sum;
}
