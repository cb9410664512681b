import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { bearer } from "./auth";
import type { ChildServer } from "./children";
import { gql, openPolicy, startRealtimeGateway } from "./realtime";
import { Graph, int, type GraphConnection } from "../src/platform/neo4j";
import { removeKeys } from "./redis-keys";

/**
 * Issue 13 point 5, "no cold first answers": the first event after a fresh gateway start, with
 * and without the start-up warm-up (src/main/warm-up.ts). Each run starts a gateway process, waits
 * for /readyz 200 (warming included), opens one liveOffers subscription over WebSocket at once,
 * sends one DATA_USAGE event (ingestEvents) for that customer and times the push: from sending
 * the event and from the gateway accepting it. Runs alternate without/with, each on a customer of
 * its own, and Neo4j's query caches are cleared before each start (`db.clearQueryCaches()`), so a
 * run does not inherit the previous run's plans. Neo4j's own JVM JIT is not reset (that needs a
 * Neo4j restart): both modes start with a JVM that has run these kinds of statements before.
 */

export interface FirstEventSample {
  warmUp: boolean;
  customerId: string;
  /** Spawn → /readyz 200, ms. */
  readyMs: number;
  /** ingestEvents sent → push received, ms. */
  fromSendMs: number;
  /** Event accepted (its stream entry) → push received, ms. */
  fromAcceptedMs: number;
}

export interface FirstEventRun {
  samples: FirstEventSample[];
}

export interface FirstEventContext {
  neo4j: GraphConnection;
  neo4jEnv: Record<string, string>;
  redisUrl: string;
  /** Pairs of runs (without, with). */
  pairs: number;
  say: (line: string) => void;
}

export async function runFirstEventScenario(ctx: FirstEventContext): Promise<FirstEventRun> {
  const prefix = `benchfirst:${Date.now().toString(36)}:`;
  // A read of its own may wait on a cold store: not a request's deadline.
  const graph = Graph.connect({ ...ctx.neo4j, readTimeoutMs: 60_000 });
  const samples: FirstEventSample[] = [];
  try {
    const customers = await candidates(graph, ctx.pairs * 2);
    // The contact policy is opened by a gateway of its own, stopped before the measured ones start.
    const setup = await startRealtimeGateway(ctx, prefix, { WARMUP: "off", LOG_LEVEL: "info" });
    try {
      await openPolicy(setup);
    } finally {
      await setup.stop();
    }
    for (let i = 0; i < ctx.pairs * 2; i++) {
      const warmUp = i % 2 === 1;
      const customerId = customers[i]!;
      await graph.run("WRITE", "CALL db.clearQueryCaches()", {});
      const spawned = performance.now();
      const gateway = await startRealtimeGateway(ctx, prefix, { WARMUP: warmUp ? "on" : "off", WARMUP_MS: "15000", LOG_LEVEL: "info" });
      try {
        const readyMs = performance.now() - spawned;
        const sample = { warmUp, customerId, readyMs, ...(await firstPush(gateway, customerId)) };
        ctx.say(`first event: warm-up ${warmUp ? "on " : "off"} ready after ${readyMs.toFixed(0)} ms, push ${sample.fromSendMs.toFixed(0)} ms after sending (${sample.fromAcceptedMs.toFixed(0)} ms after acceptance)`);
        samples.push(sample);
      } finally {
        await gateway.stop();
      }
    }
    return { samples };
  } finally {
    await graph.close();
    await removeKeys(ctx.redisUrl, prefix);
  }
}

/** Customers the data top-up trigger fires for (no data add-on, not do-not-disturb) in the bench SERVICE token's region, past the first few (the warm-up's own). */
async function candidates(graph: Graph, wanted: number): Promise<string[]> {
  const rows = await graph.run<{ id: string }>(
    "READ",
    `MATCH (c:Customer) WHERE c.idx >= 100 AND c.idx < 5100 AND c.regionId STARTS WITH 'R33' AND NOT coalesce(c.doNotDisturb, false)
       AND NOT EXISTS { (c)-[:SUBSCRIBES]->(:Product {kind: 'DATA_ADDON'}) }
     RETURN c.id AS id ORDER BY c.idx LIMIT $wanted`,
    { wanted: int(wanted) },
  );
  if (rows.length < wanted) throw new Error(`only ${rows.length} customers qualify for the first-event scenario; seed more`);
  return rows.map((r) => r.id);
}

/** One subscription opened as soon as the gateway is ready, then one event: how long until its push. */
async function firstPush(gateway: ChildServer, customerId: string): Promise<{ fromSendMs: number; fromAcceptedMs: number }> {
  const client = createClient({ url: gateway.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: bearer("SERVICE") });
  try {
    let sentAt = 0;
    const eventId = `first-${process.pid}-${Date.now().toString(36)}`;
    const pushed = new Promise<{ fromSendMs: number; fromAcceptedMs: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no push for ${customerId} within 60 s`)), 60_000);
      client.subscribe<{ liveOffers: { event: { id: string; acceptedAt: string } } }>(
        { query: `subscription ($id: ID!) { liveOffers(customerId: $id) { cursor event { id acceptedAt } decision { id } } }`, variables: { id: customerId } },
        {
          next: (r) => {
            if (r.data?.liveOffers.event.id !== eventId) return;
            clearTimeout(timer);
            resolve({ fromSendMs: performance.now() - sentAt, fromAcceptedMs: Date.now() - Date.parse(r.data.liveOffers.event.acceptedAt) });
          },
          error: (error) => reject(new Error(`subscription failed: ${JSON.stringify(error).slice(0, 300)}`)),
          complete: () => undefined,
        },
      );
    });
    // The subscription is registered before the event goes (graphql-ws does not acknowledge a subscribe).
    for (let tries = 0; ; tries++) {
      const { eventPipeline } = await gql<{ eventPipeline: { openSubscriptions: number } }>(gateway, `{ eventPipeline { openSubscriptions } }`);
      if (eventPipeline.openSubscriptions >= 1) break;
      if (tries > 600) throw new Error("the subscription did not open within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    sentAt = performance.now();
    await gql(gateway, `mutation ($events: [EventInput!]!) { ingestEvents(events: $events) { accepted } }`, {
      events: [{ id: eventId, customerId, type: "DATA_USAGE", payload: { percent: 95 } }],
    });
    return await pushed;
  } finally {
    await client.dispose();
  }
}
