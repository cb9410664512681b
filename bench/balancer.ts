import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { mintToken } from "../src/auth/tokens";
import { startHaproxy, type RunningHaproxy } from "../src/main/launch/haproxy";
import { freePort } from "../src/main/launch/ports";
import { BENCH_AUTH_SECRET, bearer } from "./auth";
import type { ChildServer } from "./children";
import { cpuMs, findDescendant, sampleCpu } from "./cpu";
import { customerId } from "./dataset";
import { percentile, runLoad } from "./load";
import type { BenchOptions } from "./options";
import { openPolicy, PushMeter, sendPaced, startRealtimeGateway } from "./realtime";
import { removeKeys } from "./redis-keys";
import { ourTarget } from "./targets";

/**
 * `--only balancer`: the unified view and event → push through Debian's HAProxy (configured as
 * src/main/launch/haproxy.ts writes it, as in ops/docker) in front of one replica, then of three
 * (`--balancer-replicas`), on the same Neo4j and Redis.
 *
 * - Unified view: `--concurrency` keep-alive connections to HAProxy, one request in flight each,
 *   for `--duration` after `--warmup`; requests per second, p50/p99, and CPU per request in the
 *   gateways together, in HAProxy, in Neo4j and in Redis.
 * - Event → push: `--balancer-desks` desk feeds (deskFeed, one agent and one socket each, through
 *   HAProxy to whichever replica it picks), HOTLINE_CALL_START events at `--balancer-rate` per
 *   second through HAProxy (ingestEvents), each naming one agent; latency from the event's
 *   acceptance (`event.acceptedAt`) and from the send to the push on the desk's socket, with CPU per
 *   event. The two loads run one after the other.
 *
 * On a machine of few cores (this one has 2) three replicas share the cores one had: they cannot be
 * faster, and the figures show what the balancer and the replicas' coordination cost (CPU per
 * request), not scaling. Each level runs under a key prefix of its own, removed at the end.
 */

export interface BalancerLevel {
  replicas: number;
  view: { requests: number; failures: number; requestsPerS: number; p50: number; p99: number; cpuMsPerRequest: CpuShares };
  push: { desks: number; sent: number; pushes: number; p50: number; p99: number; sentP50: number; sentP99: number; cpuMsPerEvent: CpuShares };
}

export interface CpuShares {
  gateways: number | null;
  haproxy: number | null;
  neo4j: number | null;
  redis: number | null;
}

export interface BalancerRun {
  levels: BalancerLevel[];
}

const DESK = `subscription ($agentId: ID!) { deskFeed(agentId: $agentId) { cursor event { id acceptedAt } } }`;
const INGEST = `mutation ($events: [EventInput!]!) { ingestEvents(events: $events) { accepted } }`;
/** Pushes still on their way when the sending stops are waited for this long at most. */
const LAST_PUSHES_MS = 10_000;

export async function runBalancerScenario(ctx: { opts: BenchOptions; neo4jEnv: Record<string, string>; redisUrl: string; say: (line: string) => void }): Promise<BalancerRun> {
  const { opts, say } = ctx;
  const levels: BalancerLevel[] = [];
  for (const replicas of opts.balancerReplicas) {
    const prefix = `benchlb:${replicas}:${Date.now().toString(36)}:`;
    const gateways: ChildServer[] = [];
    let haproxy: RunningHaproxy | null = null;
    const sockets: Client[] = [];
    try {
      for (let i = 0; i < replicas; i++) gateways.push(await startRealtimeGateway(ctx, prefix));
      await openPolicy(gateways[0]!);
      haproxy = await startHaproxy({
        bind: `127.0.0.1:${await freePort()}`,
        statsBind: `127.0.0.1:${await freePort()}`,
        servers: gateways.map((g, i) => ({ name: `g${i + 1}`, address: new URL(g.url).host })),
        checkIntervalMs: 1_000,
        maxconn: 8_000,
        log: false,
        servedByHeader: true,
        dns: null,
      });
      await allUp(haproxy, replicas);
      const pids = { gateways: gateways.map((g) => g.pid), haproxy: haproxy.pid };
      say(`balancer: ${replicas} replica(s) behind HAProxy at ${haproxy.url}`);

      // The unified view.
      const target = { ...ourTarget(haproxy.url), name: `HAProxy → ${replicas} replica(s)` };
      let n = 0;
      const nextId = (): string => customerId(1 + ((n++ * 7919) % opts.customers));
      if (opts.warmupS > 0) {
        say(`  view warm-up ${opts.warmupS} s at concurrency ${opts.concurrency}…`);
        await runLoad(target, { concurrency: opts.concurrency, durationS: opts.warmupS, nextId });
      }
      const viewCpu = cpuMeter(pids);
      const load = await runLoad(target, { concurrency: opts.concurrency, durationS: opts.durationS, nextId });
      const viewShares = viewCpu.per(load.ok);
      say(`  view: ${load.requestsPerS.toFixed(1)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p99 ${load.latencyMs.p99.toFixed(1)} ms, ${load.failures} failures, gateways ${fmt(viewShares.gateways)} ms CPU/request`);

      // Event → push on desk feeds through the balancer.
      const meter = new PushMeter();
      const agents = Array.from({ length: opts.balancerDesks }, (_, i) => `benchlb-${replicas}-${i}`);
      sockets.push(...(await openDesks(haproxy.url, agents, meter)));
      await sleep(1_000);
      await drive(haproxy.url, agents, opts.customers, opts.balancerRate, Math.min(5, opts.warmupS), meter);
      meter.reset();
      const pushCpu = cpuMeter(pids);
      const sent = await drive(haproxy.url, agents, opts.customers, opts.balancerRate, opts.durationS, meter);
      const waitUntil = Date.now() + LAST_PUSHES_MS;
      while (meter.latencies.length < sent && Date.now() < waitUntil) await sleep(100);
      const pushShares = pushCpu.per(sent);
      const sorted = meter.latencies.slice().sort((a, b) => a - b);
      const fromSend = meter.fromSend.slice().sort((a, b) => a - b);
      const push = { desks: agents.length, sent, pushes: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), sentP50: percentile(fromSend, 50), sentP99: percentile(fromSend, 99), cpuMsPerEvent: pushShares };
      say(`  event → push: ${sent} events, ${push.pushes} pushes, p50 ${push.p50.toFixed(1)} ms, p99 ${push.p99.toFixed(1)} ms (from the send: p99 ${push.sentP99.toFixed(1)} ms)`);
      levels.push({
        replicas,
        view: { requests: load.ok, failures: load.failures, requestsPerS: load.requestsPerS, p50: load.latencyMs.p50, p99: load.latencyMs.p99, cpuMsPerRequest: viewShares },
        push,
      });
    } finally {
      await Promise.all(sockets.map((s) => s.dispose()));
      await haproxy?.stop();
      await Promise.all(gateways.map((g) => g.stop()));
      await removeKeys(ctx.redisUrl, prefix);
    }
  }
  return { levels };
}

async function allUp(haproxy: RunningHaproxy, replicas: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = await haproxy.servers();
    if (states.length === replicas * 2 && states.every((s) => s.status === "UP")) return;
    if (Date.now() > deadline) throw new Error(`HAProxy did not see every replica up: ${JSON.stringify(states)}`);
    await sleep(200);
  }
}

/** CPU time of the gateways, HAProxy, Neo4j and Redis from now, divided per unit of work when asked. */
function cpuMeter(pids: { gateways: Array<number | undefined>; haproxy: number }): { per(units: number): CpuShares } {
  const before = sampleCpu();
  return {
    per(units) {
      const after = sampleCpu();
      const per = (ms: number | null): number | null => (ms === null || units === 0 ? null : ms / units);
      const gatewayMs = pids.gateways.map((pid) => cpuMs(before, after, pid));
      return {
        gateways: per(gatewayMs.some((ms) => ms === null) ? null : gatewayMs.reduce((a: number, b) => a + (b ?? 0), 0)),
        haproxy: per(cpuMs(before, after, pids.haproxy)),
        neo4j: per(cpuMs(before, after, findDescendant(after, process.pid, "java"))),
        redis: per(cpuMs(before, after, findDescendant(after, process.pid, "redis-server"))),
      };
    },
  };
}

/** One socket per desk through HAProxy, each with its agent's token; resolves once every socket is acknowledged. */
async function openDesks(url: string, agents: readonly string[], meter: PushMeter): Promise<Client[]> {
  let connected = 0;
  const failures: string[] = [];
  const clients = await Promise.all(
    agents.map(async (agentId) => {
      const token = await mintToken(BENCH_AUTH_SECRET, { sub: `bench:desk:${agentId}`, roles: ["AGENT"], regions: ["R33"], agentId }, 12 * 3600);
      const client = createClient({
        url: url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
        onNonLazyError: (error) => failures.push(JSON.stringify(error).slice(0, 200)),
        on: { connected: () => void (connected += 1) },
      });
      client.subscribe<{ deskFeed: { event: { id: string; acceptedAt: string } } }>(
        { query: DESK, variables: { agentId } },
        {
          next: (r) => r.data && meter.received(r.data.deskFeed.event.id, r.data.deskFeed.event.acceptedAt),
          error: (error) => failures.push(`${agentId}: ${JSON.stringify(error).slice(0, 200)}`),
          complete: () => undefined,
        },
      );
      return client;
    }),
  );
  const deadline = Date.now() + 60_000;
  while (connected < agents.length) {
    if (failures.length > 0 || Date.now() > deadline) throw new Error(`${connected} of ${agents.length} desks connected: ${failures.slice(0, 3).join("; ")}`);
    await sleep(50);
  }
  return clients;
}

let eventSeq = 0;

/** HOTLINE_CALL_START events at `rate` per second for `seconds` through the balancer, round-robin over the desks; returns how many were sent. */
function drive(url: string, agents: readonly string[], customers: number, rate: number, seconds: number, meter: PushMeter): Promise<number> {
  const headers = { "content-type": "application/json", ...bearer("SERVICE") };
  return sendPaced(
    rate,
    seconds,
    meter,
    () => {
      eventSeq += 1;
      const agentId = agents[eventSeq % agents.length]!;
      return { id: `benchlb-${process.pid}-${eventSeq}`, customerId: customerId(1 + ((eventSeq * 104729) % customers)), type: "HOTLINE_CALL_START", payload: { agentId } };
    },
    async (events) => (await fetch(url, { method: "POST", headers, body: JSON.stringify({ query: INGEST, variables: { events } }) })).arrayBuffer(),
  );
}

function fmt(value: number | null): string {
  return value === null ? "–" : value.toFixed(2);
}
