import DataLoader from "dataloader";
import { bearer } from "./auth";
import type { Logger } from "pino";
import { Decider, type DecisionScope } from "../src/decisioning/decide";
import type { ContactPolicy } from "../src/contact-policy/policy";
import { wireServices } from "../src/main/wiring";
import { DEFAULT_REALTIME } from "../src/platform/config";
import { decisionInputs, type DecisionInputRequest, type DecisionInputs, type DecisionWrite } from "../src/graph/decision";
import { Graph, type GraphConnection } from "../src/platform/neo4j";
import { createRedis } from "../src/platform/redis";
import { processCpuMs } from "./cpu";
import { percentile } from "./load";

/**
 * Where one decision's time goes, phase by phase: the gateway's own decision code run in the bench
 * process against the same Neo4j and Redis, one decision at a time (no queueing), with its graph
 * reads and writes and its contact-policy calls timed. The same customers' decisions are also
 * asked of the gateway over HTTP, one at a time, so the difference is what GraphQL and HTTP add.
 *
 * Neo4j's CPU is read from /proc around each of its statements (jiffies, 10 ms ticks: exact only
 * summed over many calls, which is how it is reported).
 */

/** Decisions (and HTTP requests) run before timing starts, to warm this process up. */
const UNTIMED = 50;

export const PHASES = ["neo4jRead", "policyScreen", "policyReserve", "neo4jWrite", "compute"] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABELS: Record<Phase, string> = {
  neo4jRead: "live profile read (Redis; on a miss the graph statement and the fill)",
  policyScreen: "Redis: contact-policy screen (cool-downs; 1 script)",
  policyReserve: "Redis: contact-policy reserve (no caps on APP)",
  neo4jWrite: "Redis: decisions queued for the graph (write-behind, 1 MULTI)",
  compute: "in-process: segments, candidates, scoring, arbitration, reasons",
};

export interface Spread {
  mean: number;
  p50: number;
  p99: number;
}

export interface DecisionBreakdown {
  decisions: number;
  /** Placements per decision, mean. */
  placements: number;
  phases: Record<Phase, Spread>;
  /** The whole `Decider.decide` call in process. */
  inProcess: Spread;
  /** The same operation through the gateway over HTTP, one at a time (null when not asked). */
  http: Spread | null;
  /** Mean `x-bolt-round-trips` of those HTTP answers. */
  httpRoundTrips: number | null;
  /** Neo4j CPU ms per decision spent inside the read and inside the write (summed jiffies / decisions). */
  neo4jCpuMs: { read: number; write: number } | null;
}

/**
 * Times `sample` decisions for customers `nextId()` on APP, limit 3, one at a time, then as many over
 * HTTP at `gatewayUrl` (other customers from the same stream). Writes decisions, as the gateway does.
 */
export async function decisionBreakdown(opts: {
  neo4j: GraphConnection;
  redisUrl: string;
  redisKeyPrefix: string;
  neo4jPid: number | undefined;
  gatewayUrl: string | null;
  httpBody: (id: string) => string;
  sample: number;
  nextId: () => string;
  log: Logger;
}): Promise<DecisionBreakdown> {
  const graph = Graph.connect(opts.neo4j);
  const redis = createRedis(opts.redisUrl, opts.redisKeyPrefix);
  try {
    const services = wireServices(graph, redis, opts.log, DEFAULT_REALTIME);
    const reference = services.reference;
    try {
      let current: Record<Phase, number> = blank();
      const cpu = { read: 0, write: 0, known: opts.neo4jPid !== undefined };
      const timed = async <T>(phase: Phase, work: () => Promise<T>, cpuPhase?: "read" | "write"): Promise<T> => {
        const cpuBefore = cpuPhase ? processCpuMs(opts.neo4jPid) : null;
        const start = performance.now();
        try {
          return await work();
        } finally {
          current[phase] += performance.now() - start;
          const cpuAfter = cpuPhase ? processCpuMs(opts.neo4jPid) : null;
          if (cpuPhase && cpuBefore !== null && cpuAfter !== null) cpu[cpuPhase] += cpuAfter - cpuBefore;
          else if (cpuPhase) cpu.known = false;
        }
      };
      const session = graph.session();
      const scope: DecisionScope = {
        inputs: new DataLoader<DecisionInputRequest, DecisionInputs | null, string>(
          // The product's path: the live profile, the graph only on a miss (src/customer360/profiles.ts).
          (reqs) => timed("neo4jRead", () => (services.customers.profiles ? services.customers.profiles.inputs(session, reqs) : decisionInputs(session, reqs)), "read"),
          { cacheKeyFn: (r) => `${r.customerId}|${r.productIds.join(",")}`, cache: false },
        ),
        // Written behind the answer: the gateway's movers commit these with everyone else's (src/decisioning/writer.ts).
        write: (rows: readonly DecisionWrite[]) => timed("neo4jWrite", () => services.decisioning.writer.write(rows), "write"),
      };
      const decider = new Decider(reference, services.marketing.catalogue, services.decisioning.propensity, timedPolicy(services.contactPolicy, timed));

      // Untimed decisions first: reference data, the marketing snapshot and the model load once per
      // process, and this process's driver and decision code are as cold as a fresh gateway's.
      for (let i = 0; i < UNTIMED; i++) await decider.decide(scope, { customerId: opts.nextId(), channel: "APP", limit: 3 });
      Object.assign(cpu, { read: 0, write: 0 });

      const rows: Array<Record<Phase, number>> = [];
      const totals: number[] = [];
      let placements = 0;
      for (let i = 0; i < opts.sample; i++) {
        current = blank();
        const start = performance.now();
        const made = await decider.decide(scope, { customerId: opts.nextId(), channel: "APP", limit: 3 });
        const total = performance.now() - start;
        placements += made.length;
        current.compute = Math.max(0, total - current.neo4jRead - current.policyScreen - current.policyReserve - current.neo4jWrite);
        rows.push(current);
        totals.push(total);
      }
      const phases = Object.fromEntries(PHASES.map((p) => [p, spread(rows.map((r) => r[p]))])) as Record<Phase, Spread>;
      const http = opts.gatewayUrl ? await httpOneAtATime(opts.gatewayUrl, opts.httpBody, opts.sample, opts.nextId) : null;
      return {
        decisions: opts.sample,
        placements: opts.sample > 0 ? placements / opts.sample : 0,
        phases,
        inProcess: spread(totals),
        http: http?.latency ?? null,
        httpRoundTrips: http?.roundTrips ?? null,
        neo4jCpuMs: cpu.known && opts.sample > 0 ? { read: cpu.read / opts.sample, write: cpu.write / opts.sample } : null,
      };
    } finally {
      services.pubsub.close();
    }
  } finally {
    redis.disconnect();
    await graph.close();
  }
}

type Timer = <T>(phase: Phase, work: () => Promise<T>) => Promise<T>;

/** The contact policy with its two Redis calls timed; everything else passes through. */
function timedPolicy(policy: ContactPolicy, timed: Timer): ContactPolicy {
  return new Proxy(policy, {
    get(target, prop, receiver) {
      if (prop === "screen") return (...args: Parameters<ContactPolicy["screen"]>) => timed("policyScreen", () => target.screen(...args));
      if (prop === "reserve") return (...args: Parameters<ContactPolicy["reserve"]>) => timed("policyReserve", () => target.reserve(...args));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function httpOneAtATime(url: string, body: (id: string) => string, n: number, nextId: () => string): Promise<{ latency: Spread; roundTrips: number | null }> {
  const times: number[] = [];
  let trips = 0;
  let tripSamples = 0;
  for (let i = 0; i < UNTIMED; i++) await (await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...bearer("AGENT") }, body: body(nextId()) })).text();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json", ...bearer("AGENT") }, body: body(nextId()) });
    const text = await res.text();
    times.push(performance.now() - start);
    if (!res.ok || text.includes('"errors":')) throw new Error(`the gateway failed a decision during the breakdown: HTTP ${res.status} ${text.slice(0, 200)}`);
    const header = Number(res.headers.get("x-bolt-round-trips"));
    if (Number.isFinite(header)) {
      trips += header;
      tripSamples += 1;
    }
  }
  return { latency: spread(times), roundTrips: tripSamples > 0 ? trips / tripSamples : null };
}

function blank(): Record<Phase, number> {
  return { neo4jRead: 0, policyScreen: 0, policyReserve: 0, neo4jWrite: 0, compute: 0 };
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mean: sorted.length > 0 ? sorted.reduce((s, v) => s + v, 0) / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}
