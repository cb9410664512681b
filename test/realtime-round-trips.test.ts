import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { PRODUCTS } from "../seeds/catalogue";
import { keys } from "../src/platform/keys";
import { freshCustomers } from "./support/customers";
import { eventually } from "./support/eventually";
import { startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, processed, subscriptionsOn, testRedis } from "./support/live";
import { leftover } from "./support/leftovers";

/**
 * What one event costs in round trips (issue 13 point 3): its bookkeeping (begin, publish, done)
 * goes to Redis per batch, not per event; the contact policy's screen and caps are one script; a
 * customer with a live profile is known at the door without a graph read. Counted on the gateway's
 * own Redis client: a command sent on its own is one round trip, a pipeline or MULTI one (the
 * audit trail's XADDs, written and never awaited, are left out).
 */

interface Sent {
  /** Round trips since the counter started. */
  roundTrips: number;
  /** The commands, with the script's registered name for EVALSHA (its SHA otherwise). */
  commands: string[];
}

/** Counts the round trips of `redis` until `stop`; pipelines' commands share their pipeline's. */
function countRoundTrips(redis: Redis): { sent: () => Sent; stop: () => void } {
  const client = redis as unknown as { sendCommand(command: { name: string; args: unknown[] }, stream?: unknown, node?: unknown): unknown };
  const original = client.sendCommand;
  const streams = new Set<unknown>();
  let singles = 0;
  const commands: string[] = [];
  client.sendCommand = function (this: unknown, command, stream, node) {
    // The audit trail's appends (one per push rendered to a subscriber, ../src/audit/log.ts) are written and not awaited: not the event's path.
    if (command.name === "xadd" && stream === undefined) return original.call(this, command, stream, node);
    if (stream === undefined) singles += 1;
    else streams.add(stream);
    commands.push(command.name);
    return original.call(this, command, stream, node);
  };
  const restore = (): void => void (client.sendCommand = original);
  leftover("round-trip counter", { restore }, (c) => c.restore());
  return { sent: () => ({ roundTrips: singles + streams.size, commands: [...commands] }), stop: restore };
}

let gw: TestGateway;
let redis: Redis;

before(async () => {
  gw = await startTestGateway({ realtime: { retryAfterMs: 2_000, maxAttempts: 3 } });
  redis = testRedis();
  await openPolicy(gw);
});

describe("round trips per event", () => {
  test("a batch of DATA_USAGE events shares its bookkeeping's round trips, and each decision screens and reserves in one script", async () => {
    const dataAddons = new Set(PRODUCTS.filter((p) => p.kind === "DATA_ADDON").map((p) => p.id));
    const customers = await freshCustomers(20, { where: (g) => !g.holdings.some((h) => dataAddons.has(h.productId)) });
    const ids = customers.map((c) => c.customer.id);
    // Subscribed, so every push is awaited where it lands (and the trigger fires: fresh customers hold no data add-on).
    const live = new LiveClient(gw.url);
    const subs = ids.map((id) => live.subscribe<{ liveOffers: { event: { id: string } } }>(`subscription ($id: ID!) { liveOffers(customerId: $id) { cursor event { id } } }`, { id }));
    await subscriptionsOn(gw, ids.length, 30_000);
    // Warm: one event each fills the customers' live profiles and the process's snapshots.
    const warm = ids.map((customerId) => ({ id: eventId("warm"), customerId, type: "DATA_USAGE", payload: { percent: 95 } }));
    assert.equal((await ingest(gw, warm)).accepted, ids.length);
    await processed(redis, warm.map((e) => e.id), 30_000);
    await Promise.all(subs.map((s) => s.atLeast(1, 15_000)));

    const counter = countRoundTrips(gw.app.services.redis);
    const events = ids.map((customerId) => ({ id: eventId("measured"), customerId, type: "DATA_USAGE", payload: { percent: 95 } }));
    assert.equal((await ingest(gw, events)).accepted, ids.length);
    const states = await processed(redis, events.map((e) => e.id), 30_000);
    const pushed = (await Promise.all(subs.map((s) => s.atLeast(2, 15_000)))).map((items) => items[1]!);
    counter.stop();
    assert.ok([...states.values()].every((s) => s === "done"));
    assert.deepEqual(new Set(pushed.map((p) => p.liveOffers.event.id)), new Set(events.map((e) => e.id)), "every event pushed to its customer once");

    const { roundTrips, commands } = counter.sent();
    const scripts = commands.filter((c) => c === "evalsha" || c === "eval").length;
    // Per event: one screen-and-reserve script, plus its share of begin, publish and done.
    // Before (issue 13): begin, screen, reserve, publish, done each on their own: 5 per event, 100 here.
    assert.ok(roundTrips <= ids.length + 15, `expected at most ${ids.length + 15} Redis round trips for ${ids.length} events, got ${roundTrips}: ${commands.join(" ")}`);
    assert.ok(scripts >= 3 * ids.length, `every event still runs its scripts (begin, screen-and-reserve, publish): ${scripts}`);
  });

  test("an event's customer with a live profile is known at the door without a graph read; one without is read from the graph", async () => {
    const [warm, cold] = (await freshCustomers(2)).map((c) => c.customer.id) as [string, string];
    await gw.app.services.customers.profiles?.profiles(gw.app.services.graph.session(), [warm]);
    await waitForProfile(warm);

    const known = await gw.raw<{ ingestEvents: { accepted: number } }>(INGEST_ONE, { events: [{ id: eventId("warm-door"), customerId: warm, type: "PLAN_QUERY", payload: {} }] });
    assert.equal(known.data?.ingestEvents.accepted, 1);
    assert.equal(known.roundTrips, 0, "a customer with a live profile costs no graph read at the door");

    const unknownProfile = await gw.raw<{ ingestEvents: { accepted: number } }>(INGEST_ONE, { events: [{ id: eventId("cold-door"), customerId: cold, type: "PLAN_QUERY", payload: {} }] });
    assert.equal(unknownProfile.data?.ingestEvents.accepted, 1);
    assert.equal(unknownProfile.roundTrips, 1, "a customer without one is read from the graph");

    const nobody = await gw.raw<{ ingestEvents: { accepted: number; rejected: number } }>(INGEST_ONE, { events: [{ id: eventId("nobody"), customerId: "C0999998", type: "PLAN_QUERY", payload: {} }] });
    assert.equal(nobody.data?.ingestEvents.rejected, 1, "an unknown customer is still refused");
  });
});

const INGEST_ONE = `mutation ($events: [EventInput!]!) { ingestEvents(events: $events) { accepted rejected } }`;

/** The fill is behind the answer: wait until the profile is in Redis. */
async function waitForProfile(customerId: string): Promise<void> {
  await eventually(async () => assert.equal(await redis.exists(keys.profile.value(customerId)), 1), { what: `the live profile of ${customerId}`, timeoutMs: 10_000 });
}
