import { readFileSync } from "node:fs";
import { BENCH_AUTH_SECRET, BENCH_RATE_LIMITS, bearer } from "./auth";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { PROJECT_ROOT } from "../src/platform/paths";
import { freePort } from "../src/main/launch/ports";
import { startChildServer, type ChildServer } from "./children";
import { cpuMs, findDescendant, jvmThreadCpuMs, jvmThreadDelta, sampleCpu } from "./cpu";
import { customerId } from "./dataset";
import { percentile } from "./load";
import { jitShare } from "./measure";
import type { BenchOptions } from "./options";
import { removeKeys } from "./redis-keys";

/**
 * Issue 4's scenario: event in → offer on a subscriber's socket. `--subscriptions` liveOffers
 * subscriptions (10,000) are held open over one WebSocket connection per 50 (200); DATA_USAGE events (95% of
 * quota used: the data top-up trigger fires for customers without a data add-on) arrive through
 * ingestEvents at a steady rate, each for one subscribed customer; each push is matched to its
 * event. Latency is measured twice: from the gateway accepting the event (`event.acceptedAt`, its
 * entry in the event stream, to the millisecond) to the push arriving at the client, and from the
 * client sending the ingestEvents request (which adds the ingest round trip). Each rate runs on
 * one gateway, then on two sharing Neo4j and Redis (`--realtime-gateways`), the subscriptions
 * and the events split between them. Every rate asked is measured: a rate the machine does not
 * sustain is reported with its backlog, which is drained before the next rate starts. CPU per
 * event is reported per process: the gateways, Neo4j, Redis and this load generator.
 *
 * The gateways run under a key prefix of their own, with caps and quiet hours out of the way (the
 * bench measures the pipeline, not the policy), and every key is removed at the end. The
 * decisions they make are written to the bench graph like any other.
 */

export interface RealtimeLevel {
  gateways: number;
  offeredPerS: number;
  sent: number;
  pushes: number;
  pushesPerS: number;
  /** Accepted → received. */
  p50: number;
  p99: number;
  max: number;
  /** Sent → received. */
  sentP50: number;
  sentP99: number;
  /** Events accepted but not yet finished when the measured window closed (stream lag + pending). */
  backlog: number;
  /** Resident memory of each gateway at the end of the level, MB. */
  rssMb: number[];
  /** CPU ms per event: the gateways together, Neo4j, Redis, the load generator (this process: the clients and the sender); null where not measured. */
  cpuMsPerEvent: { gateways: number | null; neo4j: number | null; redis: number | null; loadGenerator: number | null };
}

export interface RealtimeRun {
  subscriptions: number;
  connections: number;
  levels: RealtimeLevel[];
}

export interface RealtimeScenarioContext {
  opts: BenchOptions;
  neo4jEnv: Record<string, string>;
  redisUrl: string;
  say: (line: string) => void;
}

/** Subscriptions per WebSocket connection: 10,000 go over 200 sockets (the product's per-socket limit is raised for the bench below). */
const SUBSCRIPTIONS_PER_CONNECTION = 50;
/** Subscriptions opened at once before waiting for the gateways to count them. */
const WAVE = 500;
/** Most time given to drain the backlog a rate left before the next one starts. */
const DRAIN_BACKLOG_MS = 120_000;
const TICK_MS = 20;
/** Warm-up of the second phase (the first warms up for --warmup, then until Neo4j's JIT settles). */
const SECOND_WARMUP_S = 5;
const DRAIN_MS = 5_000;

export async function runRealtimeScenario(ctx: RealtimeScenarioContext): Promise<RealtimeRun> {
  const { opts, say } = ctx;
  const prefix = `benchrt:${Date.now().toString(36)}:`;
  const gateways: ChildServer[] = [];
  const sockets: Client[] = [];
  try {
    gateways.push(await startRealtimeGateway(ctx, prefix));
    await openPolicy(gateways[0]!);
    const customers = await subscribableCustomers(gateways[0]!, opts.subscriptions, say);
    const levels: RealtimeLevel[] = [];
    const connections = Math.max(1, Math.ceil(customers.length / SUBSCRIPTIONS_PER_CONNECTION));
    for (const count of opts.realtimeGateways) {
      if (gateways.length < count) gateways.push(await startRealtimeGateway(ctx, prefix));
      const meter = new PushMeter();
      const opening = performance.now();
      sockets.push(...(await openSubscriptions(gateways.slice(0, count), customers, meter, connections)));
      say(`realtime: ${customers.length} subscriptions open over ${connections} sockets on ${count} gateway(s) in ${((performance.now() - opening) / 1000).toFixed(1)} s`);
      const active = gateways.slice(0, count);
      await warmUp(ctx, active, customers, meter, levels.length === 0 ? opts.warmupS : SECOND_WARMUP_S);
      await sleep(DRAIN_MS);
      for (const rate of opts.realtimeRates) {
        say(`realtime: ${count} gateway(s), ${rate} events/s for ${opts.realtimeDurationS} s…`);
        meter.reset();
        const before = sampleCpu();
        const sent = await drive(active, customers, rate, opts.realtimeDurationS, meter);
        const after = sampleCpu();
        const backlog = await backlogOf(active[0]!);
        const perEvent = (ms: number | null): number | null => (ms === null || sent === 0 ? null : ms / sent);
        const gatewayMs = active.map((g) => cpuMs(before, after, g.pid));
        const sorted = meter.latencies.slice().sort((a, b) => a - b);
        const fromSend = meter.fromSend.slice().sort((a, b) => a - b);
        const pushes = sorted.length;
        await sleep(DRAIN_MS);
        levels.push({
          gateways: count,
          offeredPerS: rate,
          sent,
          pushes,
          pushesPerS: pushes / opts.realtimeDurationS,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          max: sorted.at(-1) ?? NaN,
          sentP50: percentile(fromSend, 50),
          sentP99: percentile(fromSend, 99),
          backlog,
          rssMb: active.map((g) => rssMb(g.pid)),
          cpuMsPerEvent: {
            gateways: perEvent(gatewayMs.some((ms) => ms === null) ? null : gatewayMs.reduce((a: number, b) => a + (b ?? 0), 0)),
            neo4j: perEvent(cpuMs(before, after, findDescendant(after, process.pid, "java"))),
            redis: perEvent(cpuMs(before, after, findDescendant(after, process.pid, "redis-server"))),
            loadGenerator: perEvent(cpuMs(before, after, process.pid)),
          },
        });
        // A rate past what the machine sustains leaves a backlog: drained first, so the next rate starts from an empty stream.
        if (backlog > 0) {
          say(`realtime: ${rate} events/s left a backlog of ${backlog}; draining it before the next rate`);
          await waitForEmpty(active[0]!, DRAIN_BACKLOG_MS);
        }
      }
      await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    }
    return { subscriptions: customers.length, connections: Math.max(1, Math.ceil(customers.length / SUBSCRIPTIONS_PER_CONNECTION)), levels };
  } finally {
    await Promise.all(sockets.map((s) => s.dispose()));
    await Promise.all(gateways.map((g) => g.stop()));
    await removeKeys(ctx.redisUrl, prefix);
  }
}

/** A warm-up step, and the share of Neo4j's CPU its JIT compiler may take for Neo4j to count as warm (as for decisions). */
const WARMUP_STEP_S = 10;
const WARM_JIT_SHARE = 0.1;

/**
 * Events at the first rate, unmeasured, for at least `leastS` and then until Neo4j's JIT compiler
 * settles (a freshly started Neo4j compiles its queries for minutes), at most --decision-warmup.
 */
async function warmUp(ctx: RealtimeScenarioContext, gateways: readonly ChildServer[], customers: readonly string[], meter: PushMeter, leastS: number): Promise<void> {
  const most = Math.max(leastS, ctx.opts.decisionWarmupS);
  const rate = ctx.opts.realtimeRates[0] ?? 100;
  const neo4jPid = findDescendant(sampleCpu(), process.pid, "java");
  let spent = 0;
  while (spent < most) {
    const step = Math.min(WARMUP_STEP_S, most - spent);
    const before = jvmThreadCpuMs(neo4jPid);
    await drive(gateways, customers, rate, step, meter);
    spent += step;
    const share = jitShare(jvmThreadDelta(before, jvmThreadCpuMs(neo4jPid)));
    ctx.say(`  warm-up ${spent} s at ${rate}/s${share === null ? "" : `, Neo4j JIT ${(100 * share).toFixed(0)}% of Neo4j's CPU`}`);
    if (spent >= leastS && (share === null || share < WARM_JIT_SHARE)) return;
  }
}

/** A gateway child for the realtime scenarios (bench/first-event.ts too), ready (/readyz 200) when this resolves; `env` adds to its environment. */
export async function startRealtimeGateway(ctx: Pick<RealtimeScenarioContext, "neo4jEnv" | "redisUrl" | "say">, prefix: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const port = await freePort();
  ctx.say(`starting a gateway for the realtime scenario on port ${port}…`);
  return startChildServer({
    name: `gateway-rt-${port}`,
    script: join(PROJECT_ROOT, "dist/src/main/start.js"),
    env: {
      ...ctx.neo4jEnv,
      AUTH_SECRET: BENCH_AUTH_SECRET,
      REDIS_URL: ctx.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      // One SERVICE principal (standing for an internal app's fleet) holds every subscription: over
      // the default for one principal (500), which is for a real client. The per-socket limit (100)
      // stays the product's: 50 subscriptions a socket fit under it.
      RATE_LIMITS: BENCH_RATE_LIMITS,
      WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL: "1000000",
      // The bench polls /readyz to start it; no balancer routes by it, so a stop need not wait for one.
      SHUTDOWN_DRAIN_DELAY_MS: "0",
      ...env,
    },
    graphqlUrl: `http://127.0.0.1:${port}/graphql`,
    healthUrl: `http://127.0.0.1:${port}/readyz`,
    // A second gateway starting beside a cold Neo4j on a shared 2-core machine has taken over a minute to be ready.
    timeoutMs: 180_000,
  });
}

export async function gql<T>(gateway: ChildServer, query: string, variables: Record<string, unknown> = {}, as: Parameters<typeof bearer>[0] = "SERVICE"): Promise<T> {
  const res = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", ...bearer(as) }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (body.errors?.length || !body.data) throw new Error(`${gateway.name}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Caps and quiet hours out of the way (the bench measures the pipeline, not the policy). */
export async function openPolicy(gateway: ChildServer): Promise<void> {
  const input = {
    quietHours: null,
    overallCap: { limit: 1000, windowDays: 7 },
    channelCaps: ["SMS", "APP", "WECHAT", "OUTBOUND_CALL"].map((channel) => ({ channel, limit: 1000, windowDays: 7 })),
  };
  // Maker-checker: one ADMIN proposes, another approves (src/contact-policy/changes.ts).
  const proposed = await gql<{ setContactPolicy: { pendingChange: { id: string } } }>(
    gateway,
    `mutation ($input: ContactPolicyInput!) { setContactPolicy(input: $input) { pendingChange { id } } }`,
    { input },
    "ADMIN",
  );
  await gql(gateway, `mutation ($id: ID!) { approveChange(id: $id) { status } }`, { id: proposed.setContactPolicy.pendingChange.id }, "ADMIN_CHECKER");
}

/** The first `wanted` customers for whom the data top-up trigger can fire: no data add-on, not on a do-not-disturb list. */
async function subscribableCustomers(gateway: ChildServer, wanted: number, say: (line: string) => void): Promise<string[]> {
  const found: string[] = [];
  for (let from = 1; found.length < wanted; from += 100) {
    const ids = Array.from({ length: 100 }, (_, i) => customerId(from + i));
    const { customers } = await withRetries(() => gql<{ customers: Array<{ id: string; doNotDisturb: boolean; subscriptions: Array<{ product: { kind: string } }> } | null> }>(
      gateway,
      `query ($ids: [ID!]!) { customers(ids: $ids) { id doNotDisturb subscriptions { product { kind } } } }`,
      { ids },
      // Query.customers is the front line's (AGENT, MARKETER), not a feed's: the province's agent picks them.
      "AGENT",
    ));
    if (customers.every((c) => c === null)) throw new Error(`only ${found.length} customers qualify for the realtime scenario; seed more`);
    for (const c of customers) if (c && !c.doNotDisturb && !c.subscriptions.some((s) => s.product.kind === "DATA_ADDON")) found.push(c.id);
  }
  say(`realtime: ${wanted} subscribed customers chosen (no data add-on, not do-not-disturb)`);
  return found.slice(0, wanted);
}

/** A cold store on a busy machine times reads out now and then: the set-up retries them (the measured load does not). */
async function withRetries<T>(read: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof Error && error.message.includes("SERVICE_UNAVAILABLE"))) throw error;
      await sleep(2_000);
    }
  }
}

/** Push arrival times against the events' acceptance (gateway clock, same machine) and send times (also bench/balancer.ts). */
export class PushMeter {
  readonly sentAt = new Map<string, number>();
  /** Accepted → received, ms. */
  latencies: number[] = [];
  /** Sent → received, ms. */
  fromSend: number[] = [];

  /** Forgets what was measured and what was sent: a late push of an event sent before (a warm-up's) is not counted after. */
  reset(): void {
    this.latencies = [];
    this.fromSend = [];
    this.sentAt.clear();
  }

  received(eventId: string, acceptedAt: string): void {
    const sent = this.sentAt.get(eventId);
    if (sent === undefined) return;
    this.sentAt.delete(eventId);
    this.fromSend.push(performance.now() - sent);
    this.latencies.push(Date.now() - Date.parse(acceptedAt));
  }
}

/**
 * Subscriptions spread over `connections` sockets, the sockets over the gateways: the sockets connect
 * first, then the subscriptions open WAVE at a time, each wave registered before the next (as
 * clients arrive in practice; a thousand at once on a cold replica is a reconnection storm, another test).
 */
async function openSubscriptions(gateways: readonly ChildServer[], customers: readonly string[], meter: PushMeter, connections: number): Promise<Client[]> {
  let connected = 0;
  const failures: string[] = [];
  const clients = Array.from({ length: connections }, (_, i) =>
    createClient({
      url: gateways[i % gateways.length]!.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: bearer("SERVICE"),
      onNonLazyError: (error) => failures.push(`connection: ${JSON.stringify(error)}`),
      on: { connected: () => void (connected += 1) },
    }),
  );
  const deadline = Date.now() + 300_000;
  while (connected < connections) {
    if (Date.now() > deadline || failures.length > 0) throw new Error(`only ${connected} of ${connections} sockets connected: ${failures.slice(0, 3).join("; ")}`);
    await sleep(50);
  }
  const open = async (): Promise<number[]> =>
    Promise.all(gateways.map(async (g) => (await gql<{ eventPipeline: { openSubscriptions: number } }>(g, `{ eventPipeline { openSubscriptions } }`)).eventPipeline.openSubscriptions));
  const base = await open();
  const expected = gateways.map(() => 0);
  for (let from = 0; from < customers.length; from += WAVE) {
    customers.slice(from, from + WAVE).forEach((customerId, k) => {
      const c = (from + k) % connections;
      expected[c % gateways.length]! += 1;
      clients[c]!.subscribe<{ liveOffers: { event: { id: string; acceptedAt: string } } }>(
        { query: `subscription ($id: ID!) { liveOffers(customerId: $id) { cursor event { id acceptedAt } decision { id } } }`, variables: { id: customerId } },
        {
          next: (r) => r.data && meter.received(r.data.liveOffers.event.id, r.data.liveOffers.event.acceptedAt),
          error: (error) => failures.push(`${customerId}: ${JSON.stringify(error).slice(0, 200)}`),
          complete: () => undefined,
        },
      );
    });
    for (;;) {
      const now = await open();
      if (now.every((n, g) => n - (base[g] ?? 0) >= (expected[g] ?? 0))) break;
      if (failures.length > 0 || Date.now() > deadline) throw new Error(`subscriptions did not all open (${now.join(", ")} of ${expected.join(", ")}): ${failures.slice(0, 3).join("; ")}`);
      await sleep(50);
    }
  }
  return clients;
}

let eventSeq = 0;

/** Sends DATA_USAGE events at `rate` per second for `seconds`, round-robin over the customers and the gateways; returns how many were sent. */
function drive(gateways: readonly ChildServer[], customers: readonly string[], rate: number, seconds: number, meter: PushMeter): Promise<number> {
  return sendPaced(
    rate,
    seconds,
    meter,
    () => {
      eventSeq += 1;
      return { id: `bench-${process.pid}-${eventSeq}`, customerId: customers[eventSeq % customers.length]!, type: "DATA_USAGE", payload: { percent: 95 } };
    },
    (events) => gql(gateways[eventSeq % gateways.length]!, `mutation ($events: [EventInput!]!) { ingestEvents(events: $events) { accepted } }`, { events }),
  );
}

/**
 * Sends events at `rate` per second for `seconds` (also bench/balancer.ts): each tick, the events
 * due since the last one (made by `next`) go in one `send`, not awaited, their send time noted in
 * `meter`; resolves with how many were sent once every send has settled (failed ones too).
 */
export async function sendPaced<E extends { id: string }>(rate: number, seconds: number, meter: PushMeter, next: () => E, send: (events: E[]) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    if (due > sent) {
      const events = Array.from({ length: due - sent }, next);
      const at = performance.now();
      for (const e of events) meter.sentAt.set(e.id, at);
      sent = due;
      const request = send(events).then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  return sent;
}

async function backlogOf(gateway: ChildServer): Promise<number> {
  const { eventPipeline } = await gql<{ eventPipeline: { lag: number | null; pending: number } }>(gateway, `{ eventPipeline { lag pending } }`);
  return (eventPipeline.lag ?? 0) + eventPipeline.pending;
}

async function waitForEmpty(gateway: ChildServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await backlogOf(gateway)) > 0 && Date.now() < deadline) await sleep(500);
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}
