import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Reads a V8 CPU profile (what `node --cpu-prof` writes) and says where the process's CPU went,
 * over a window of the run only, so start-up (module loading, schema building) does not count:
 * - by owner: self time grouped by who owns the code (our folders, each package), with Node's core
 *   and V8 builtins charged to the nearest package or our code up the stack that called them (a
 *   socket write for a Bolt message is the driver's cost); what no package called (garbage
 *   collection, the event loop itself) keeps its own line;
 * - by function: plain self time, so the native calls themselves are visible too.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  label: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Busy milliseconds in the window (idle excluded). */
  busyMs: number;
  idleMs: number;
  /** True when the window matched the profile's clock; false means the whole profile was used. */
  windowed: boolean;
  byOwner: ProfileShare[];
  topFunctions: ProfileShare[];
}

/** The newest `.cpuprofile` in `dir`, or null. */
export function newestProfile(dir: string): string | null {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
    files.sort();
    const last = files.at(-1);
    return last ? join(dir, last) : null;
  } catch {
    return null;
  }
}

/**
 * Summarises `file` over [fromUs, toUs] on the monotonic clock (`process.hrtime` in µs, the clock V8
 * stamps profiles with on Linux). Outside that window, or if it does not overlap the profile, the
 * whole profile is summarised (and `windowed` says so).
 */
export function summariseProfile(file: string, window: { fromUs: number; toUs: number } | null): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  const overlaps = window !== null && window.fromUs < profile.endTime && window.toUs > profile.startTime;
  // timeDeltas[i] is the time from sample i-1 to sample i; the time after sample i is charged to it.
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (overlaps && window && (t < window.fromUs || t > window.toUs)) continue;
    const id = profile.samples[i];
    const spent = profile.timeDeltas[i + 1] ?? 0;
    if (id !== undefined && spent > 0) selfUs.set(id, (selfUs.get(id) ?? 0) + spent);
  }

  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const owner = payerOf(id, byId, parentOf);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    const fn = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const shares = (m: Map<string, number>, limit: number): ProfileShare[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([label, us]) => ({ label, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return { file, busyMs: busyUs / 1000, idleMs: idleUs / 1000, windowed: overlaps, byOwner: shares(owners, 14), topFunctions: shares(functions, 12) };
}

/** Packages whose names say little on their own, named by what they do here. */
const PACKAGE_ROLES: Array<[RegExp, string]> = [
  [/^neo4j-driver/, "neo4j-driver (Bolt: packing, unpacking, sessions)"],
  [/^graphql$/, "graphql-js (parse, validate, execute)"],
  [/^@apollo\//, "Apollo Server"],
  [/^type-graphql$/, "type-graphql (resolver plumbing)"],
  [/^class-validator$|^class-transformer$/, "class-validator"],
  [/^(ioredis|redis-parser|@ioredis\/.*|redis-errors|standard-as-callback)$/, "ioredis"],
  [/^(express|router|body-parser|raw-body|iconv-lite|content-type|type-is|on-finished|finalhandler|send|qs|negotiator|accepts|@as-integrations\/express5)$/, "Express + body parsing"],
  [/^(pino|pino-std-serializers|sonic-boom|thread-stream)$/, "pino (logging)"],
  [/^dataloader$/, "DataLoader"],
];

/** The owner of node `id`'s code, or for Node core and V8 builtins the nearest package or our code above it. */
function payerOf(id: number, byId: ReadonlyMap<number, ProfileNode>, parentOf: ReadonlyMap<number, number>): string {
  const frame = byId.get(id)?.callFrame;
  if (!frame) return "other";
  const own = ownerOf(frame.url, frame.functionName);
  if (!isRuntime(own)) return own;
  for (let cursor = parentOf.get(id), depth = 0; cursor !== undefined && depth < 200; cursor = parentOf.get(cursor), depth++) {
    const up = byId.get(cursor)?.callFrame;
    if (!up) break;
    const owner = ownerOf(up.url, up.functionName);
    if (!isRuntime(owner)) return owner;
  }
  return own;
}

function isRuntime(owner: string): boolean {
  return owner.startsWith("Node core") || owner.startsWith("V8 builtins");
}

function ownerOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "V8 garbage collection";
    if (functionName === "(program)") return "V8/Node native (program)";
    return "V8 builtins (JSON, strings, regexps, …)";
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return PACKAGE_ROLES.find(([re]) => re.test(pkg))?.[1] ?? `package ${pkg}`;
  if (url.startsWith("node:")) {
    const mod = url.slice(5);
    if (/http|_http/.test(mod)) return "Node core: HTTP";
    if (/stream|net|socket|tcp/.test(mod)) return "Node core: streams and sockets";
    return "Node core: other";
  }
  const ours = /\/dist\/(.+)\.js$/.exec(url)?.[1];
  if (ours) {
    if (/^src\/(decisioning|contact-policy|segments|marketing)\//.test(ours)) return `ours: ${ours}.ts`;
    return `ours: ${ours.split("/").slice(0, 2).join("/")}`;
  }
  return "other";
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.+)$/.exec(url)?.[1];
  if (pkg) return pkg;
  const ours = /\/dist\/(.+)$/.exec(url)?.[1];
  return ours ?? url;
}
