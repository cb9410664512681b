import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { print } from "graphql";
import { LiveOffersDocument, type LiveOffersSubscription } from "../schema/generated/operations";
import { PRODUCTS } from "../seeds/catalogue";
import { freshCustomer, freshCustomers, freshIds } from "./support/customers";
import { eventually, within } from "./support/eventually";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, operatorEventState, processed, subscriptionsOn, testRedis, type Collector } from "./support/live";
import { tokenFor } from "./support/auth";
import { proposeAndApply } from "./support/approval";
import { leftover } from "./support/leftovers";
import { LIFECYCLE_STAGE_LABELS, VALUE_TIER_LABELS } from "../src/domain/labels";
import type { LifecycleStage, ValueTier } from "../src/domain/vocabulary";
import { keys, STREAM_SOURCE } from "../src/platform/keys";

/**
 * Events in and pushes out, on one gateway: ingestEvents' per-event answers, deduplication, the
 * desk feed, replay with `since`, server-side filtering, bounded buffers, parking and retries.
 * The customers are fresh ones of this file's own (their trajectories get the decisions these
 * pushes write).
 */

const DESK = `subscription ($agentId: ID!, $since: String) {
  deskFeed(agentId: $agentId, since: $since) {
    cursor agentId callId customerId headline
    event { id type summary }
    customer { id name valueTier lifecycleStage tags { tag { code } } contacts(first: 3) { edges { node { kind summary } } } }
    offers { id channel { code } offer { id name } script reasons { kind text } }
  }
}`;

interface DeskData {
  deskFeed: {
    cursor: string;
    agentId: string;
    callId: string | null;
    customerId: string;
    headline: string;
    event: { id: string; type: string; summary: string };
    customer: { id: string; name: string; valueTier: ValueTier; lifecycleStage: LifecycleStage; contacts: { edges: Array<{ node: { kind: string; summary: string } }> } };
    offers: Array<{ id: string; channel: { code: string }; offer: { id: string; name: string }; script: string | null; reasons: Array<{ kind: string; text: string }> }>;
  };
}

let gw: TestGateway;
let redis: Redis;
/** A desk subscription on a socket of its own: a desk feed is its agent's alone, so each agent's token opens its own socket. */
function deskOf(vars: { agentId: string; since?: string }): Collector<DeskData> {
  return new LiveClient(gw.url, tokenFor({ agentId: vars.agentId })).subscribe<DeskData>(DESK, vars);
}

let live: LiveClient;

before(async () => {
  gw = await startTestGateway({ realtime: { retryAfterMs: 300, maxAttempts: 3, pushBuffer: 8, keepAliveMs: 1_000 } });
  redis = testRedis();
  live = new LiveClient(gw.url);
  await openPolicy(gw);
});

const freshId = async (): Promise<string> => (await freshCustomer()).customer.id;

describe("ingestEvents", () => {
  test("each bad event gets its own error and the rest of the batch still goes in", async () => {
    const good = eventId("good");
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const customerId = await freshId();
    const result = await ingest(gw, [
      { id: good, customerId, type: "PLAN_QUERY", payload: {} },
      { id: eventId("type"), customerId, type: "DATA_USE", payload: { percent: 95 } },
      { id: eventId("nobody"), customerId: "C0999999", type: "PLAN_QUERY" },
      { id: eventId("pct"), customerId, type: "DATA_USAGE", payload: { percent: "ninety" } },
      { id: eventId("missing"), customerId, type: "LOCATION_ENTER", payload: { place: "杭州东站" } },
      { id: eventId("area"), customerId, type: "LOCATION_ENTER", payload: { area: "MOON" } },
      { id: eventId("list"), customerId, type: "PLAN_QUERY", payload: [1, 2] },
      { id: eventId("future"), customerId, type: "PLAN_QUERY", at: future },
      { id: "bad id with spaces", customerId, type: "PLAN_QUERY" },
      { id: good, customerId, type: "PLAN_QUERY", payload: {} },
    ]);
    assert.deepEqual([result.accepted, result.duplicates, result.rejected], [1, 1, 8]);
    const byIndex = result.events.map((e) => [e.status, e.error?.code ?? null, e.error?.field ?? null]);
    assert.deepEqual(byIndex, [
      ["ACCEPTED", null, null],
      ["REJECTED", "BAD_USER_INPUT", "type"],
      ["REJECTED", "NOT_FOUND", "customerId"],
      ["REJECTED", "BAD_USER_INPUT", "payload.percent"],
      ["REJECTED", "BAD_USER_INPUT", "payload.area"],
      ["REJECTED", "BAD_USER_INPUT", "payload.area"],
      ["REJECTED", "BAD_USER_INPUT", "payload"],
      ["REJECTED", "BAD_USER_INPUT", "at"],
      ["REJECTED", "BAD_USER_INPUT", "id"],
      ["DUPLICATE", null, null],
    ]);
    const messages = result.events.map((e) => e.error?.message ?? "");
    assert.match(messages[1] ?? "", /type must be one of .*DATA_USAGE.*; got "DATA_USE"; did you mean DATA_USAGE\?/);
    assert.match(messages[2] ?? "", /no customer with id C0999999/);
    assert.match(messages[3] ?? "", /payload\.percent must be a number; got the text "ninety"/);
    assert.match(messages[4] ?? "", /payload\.area is required for LOCATION_ENTER events/);
    assert.match(messages[5] ?? "", /payload\.area must be one of AIRPORT, TRAIN_STATION/);
    assert.match(messages[7] ?? "", /more than 5 minutes in the future/);
    assert.equal((await processed(redis, [good])).get(good), "done");
  });

  test("more than 1,000 events in one call is refused as a whole, saying how to split", async () => {
    const customerId = await freshId();
    const events = Array.from({ length: 1_001 }, (_, i) => ({ id: `big-${i}`, customerId, type: "PLAN_QUERY" }));
    const res = await gw.raw(`mutation ($events: [EventInput!]!) { ingestEvents(events: $events) { accepted } }`, { events });
    assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.match(res.errors?.[0]?.message ?? "", /at most 1000 per call/);
    assert.equal(await redis.exists(operatorEventState("big-0")), 0, "nothing of the refused batch was queued");
  });
});

describe("deskFeed", () => {
  test("a call that connects puts the caller's view and offers on that agent's desk only, and the offers are in the trajectory", async () => {
    const mine = deskOf({ agentId: `A${process.pid}-1` });
    const other = deskOf({ agentId: `A${process.pid}-2` });
    await subscriptionsOn(gw, 2);
    const caller = await freshId();
    const otherCaller = await freshId();
    const call = eventId("call");
    const result = await ingest(gw, [{ id: call, customerId: caller, type: "HOTLINE_CALL_START", payload: { agentId: `A${process.pid}-1`, callId: "CALL-1" } }]);
    assert.equal(result.accepted, 1);
    const [update] = (await mine.atLeast(1)).map((d) => d.deskFeed);
    assert.ok(update);
    assert.equal(update.agentId, `A${process.pid}-1`);
    assert.equal(update.callId, "CALL-1");
    assert.equal(update.customer.id, caller);
    assert.equal(update.event.id, call);
    assert.equal(update.event.type, "HOTLINE_CALL_START");
    // On the call, the agent sees its caller whole: name and number (masked for everyone else, and after the call).
    assert.match(update.headline, new RegExp(`^${update.customer.name} · 1\\d{10} · .+客户 · ARPU ¥\\d+`));
    assert.ok(!update.customer.name.includes("*"), update.customer.name);
    // The tier and stage in the agent's words, never the enum's (it once read "MEDIUM客户").
    assert.ok(update.headline.includes(` · ${VALUE_TIER_LABELS[update.customer.valueTier]}客户 · `), update.headline);
    assert.ok(update.headline.includes(` · ${LIFECYCLE_STAGE_LABELS[update.customer.lifecycleStage]}`), update.headline);
    assert.ok(!update.headline.includes(update.customer.valueTier), update.headline);
    assert.ok(update.offers.length >= 1 && update.offers.length <= 3, `1–3 offers, got ${update.offers.length}`);
    for (const o of update.offers) {
      assert.equal(o.channel.code, "HOTLINE");
      assert.ok(o.script, "a hotline offer comes with the agent's script");
      assert.ok(o.reasons.some((r) => r.kind === "SCORE"));
    }
    // The decisions are written to the trajectory right after the push goes out; the event is done once they are.
    await processed(redis, [call]);
    const presented = dataOf(await gw.raw<{ customer: { contacts: { edges: Array<{ node: { kind: string; channel: { code: string }; decision: { id: string } | null } }> } } }>(
      `query ($id: ID!) { customer(id: $id) { contacts(first: 5) { edges { node { kind channel { code } decision { id } } } } } }`,
      { id: caller },
    )).customer.contacts.edges.map((e) => e.node).filter((n) => n.kind === "OFFER_PRESENTED" && n.channel.code === "HOTLINE").map((n) => n.decision?.id);
    for (const o of update.offers) assert.ok(presented.includes(o.id), `decision ${o.id} is in the trajectory`);

    // The other agent gets its own calls only.
    const second = eventId("call");
    await ingest(gw, [{ id: second, customerId: otherCaller, type: "HOTLINE_CALL_START", payload: { agentId: `A${process.pid}-2` } }]);
    const [theirs] = (await other.atLeast(1)).map((d) => d.deskFeed);
    assert.equal(theirs?.event.id, second);
    assert.equal(other.items.length, 1);
    assert.equal(mine.items.length, 1);
    mine.dispose();
    other.dispose();
    await subscriptionsOn(gw, 0);
  });

  test("the same event twice is pushed once, through the API and straight onto the stream alike; each source's ids are its own", async () => {
    const agentId = `A${process.pid}-dup`;
    const desk = deskOf({ agentId });
    await subscriptionsOn(gw, 1);
    const caller = await freshId();
    const nextCaller = await freshId();
    const call = eventId("twice");
    const event = { id: call, customerId: caller, type: "HOTLINE_CALL_START", payload: { agentId } };
    assert.equal((await ingest(gw, [event])).accepted, 1);
    assert.equal((await ingest(gw, [event])).duplicates, 1);
    // A feed writing to the stream has ids of its own: the same id there is its event, once however often it is resent.
    for (let i = 0; i < 2; i++) {
      await redis.xadd(keys.events.stream(), "*", "id", call, "customerId", caller, "type", "HOTLINE_CALL_START", "at", new Date().toISOString(), "payload", JSON.stringify({ agentId }));
    }
    const sentinel = eventId("after");
    await redis.xadd(keys.events.stream(), "*", "id", sentinel, "customerId", nextCaller, "type", "HOTLINE_CALL_START", "at", new Date().toISOString(), "payload", JSON.stringify({ agentId }));
    await processed(redis, [call, sentinel]);
    // Two customers' events may be processed in either order (one customer's in order).
    const updates = (await desk.atLeast(3)).map((d) => d.deskFeed.event.id).sort();
    assert.deepEqual(updates, [call, call, sentinel].sort(), "the API's event, the stream's, and the sentinel: each once");
    desk.dispose();
    await subscriptionsOn(gw, 0);
  });
});

const LIVE = `subscription ($customerId: ID!, $since: String, $channel: ChannelCode) {
  liveOffers(customerId: $customerId, since: $since, channel: $channel) {
    cursor customerId regionId channel
    event { id type summary }
    decision { id eventId channel { code } offer { id } strategy { id code } reasons { kind text } }
  }
}`;

interface LiveData {
  liveOffers: {
    cursor: string;
    customerId: string;
    regionId: string;
    channel: string;
    event: { id: string; type: string; summary: string };
    decision: { id: string; eventId: string | null; channel: { code: string }; offer: { id: string }; strategy: { id: string; code: string } | null; reasons: Array<{ kind: string; text: string }> };
  };
}

const FEED = `subscription ($channel: ChannelCode, $regionId: ID, $since: String) {
  offerFeed(channel: $channel, regionId: $regionId, since: $since) { cursor customerId regionId channel event { id } }
}`;

interface FeedData {
  offerFeed: { cursor: string; customerId: string; regionId: string; channel: string; event: { id: string } };
}

const DATA_ADDONS = new Set(PRODUCTS.filter((p) => p.kind === "DATA_ADDON").map((p) => p.id));

/** Customers whose data-usage trigger (ST17: ≥ 90% used, no data add-on) fires: fresh ones without a data add-on, made once. */
let dataCustomers: Promise<string[]> | null = null;

function dataUsageCustomers(): Promise<string[]> {
  return (dataCustomers ??= freshCustomers(6, { where: (g) => !g.holdings.some((h) => DATA_ADDONS.has(h.productId)) }).then((list) => list.map((g) => g.customer.id)));
}

function dataUsage(customerId: string, percent = 95): { id: string; customerId: string; type: string; payload: { percent: number } } {
  return { id: eventId("data"), customerId, type: "DATA_USAGE", payload: { percent } };
}

describe("liveOffers", () => {
  test("a triggered offer is pushed to the customer, with the event, the strategy and why; a non-matching event pushes nothing", async () => {
    const [customer] = await dataUsageCustomers();
    const sub = live.subscribe<LiveData>(LIVE, { customerId: customer });
    // The app's own document (schema/operations/realtime.graphql) sees the same push.
    const app = live.subscribe<LiveOffersSubscription>(print(LiveOffersDocument), { customerId: customer });
    await subscriptionsOn(gw, 2);
    const low = dataUsage(customer!, 40);
    const high = dataUsage(customer!, 95);
    await ingest(gw, [low]);
    await processed(redis, [low.id]);
    await ingest(gw, [high]);
    const [push] = (await sub.atLeast(1)).map((d) => d.liveOffers);
    assert.ok(push);
    assert.equal(push.event.id, high.id, "the 40% event pushed nothing; the 95% one did");
    assert.equal(push.customerId, customer);
    assert.equal(push.decision.eventId, high.id);
    assert.equal(push.decision.strategy?.code, "MOB-RT-DATA-001");
    assert.ok(["APP", "SMS"].includes(push.channel));
    assert.equal(push.decision.channel.code, push.channel);
    assert.ok(push.decision.reasons.some((r) => r.kind === "TRIGGER" && r.text.includes("95")), JSON.stringify(push.decision.reasons));
    await processed(redis, [high.id]);
    const trajectory = dataOf(await gw.raw<{ customer: { contacts: { edges: Array<{ node: { kind: string; decision: { id: string } | null } }> } } }>(
      `query ($id: ID!) { customer(id: $id) { contacts(first: 5) { edges { node { kind decision { id } } } } } }`,
      { id: customer },
    )).customer.contacts.edges.map((e) => e.node.decision?.id);
    assert.ok(trajectory.includes(push.decision.id), "the push is in the customer's trajectory");
    assert.equal(sub.items.length, 1);
    const [seen] = (await app.atLeast(1)).map((d) => d.liveOffers);
    assert.equal(seen?.cursor, push.cursor);
    assert.equal(seen?.decision.id, push.decision.id);
    assert.ok(seen?.decision.offer.name);
    sub.dispose();
    app.dispose();
    await subscriptionsOn(gw, 0);
  });

  test("reconnecting with since replays exactly the pushes missed, then continues live", async () => {
    const [, customer] = await dataUsageCustomers();
    const first = live.subscribe<LiveData>(LIVE, { customerId: customer });
    await subscriptionsOn(gw, 1);
    const e1 = dataUsage(customer!);
    await ingest(gw, [e1]);
    const [p1] = (await first.atLeast(1)).map((d) => d.liveOffers);
    first.dispose();
    await subscriptionsOn(gw, 0);

    const missed = [dataUsage(customer!), dataUsage(customer!), dataUsage(customer!)];
    for (const e of missed) await ingest(gw, [e]);
    await processed(redis, missed.map((e) => e.id));

    const again = live.subscribe<LiveData>(LIVE, { customerId: customer, since: p1!.cursor });
    await again.atLeast(3);
    const e5 = dataUsage(customer!);
    await subscriptionsOn(gw, 1);
    await ingest(gw, [e5]);
    const got = (await again.atLeast(4)).map((d) => d.liveOffers);
    assert.deepEqual(got.map((p) => p.event.id), [...missed.map((e) => e.id), e5.id]);
    const cursors = got.map((p) => p.cursor);
    assert.deepEqual([...cursors].sort(compareCursor), cursors, "in cursor order");
    again.dispose();

    const bad = live.subscribe<LiveData>(LIVE, { customerId: customer, since: "yesterday" });
    await bad.ended();
    assert.equal(bad.errors[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.match(bad.errors[0]?.message ?? "", /since must be the cursor of a push/);
    const nobody = live.subscribe<LiveData>(LIVE, { customerId: "C0999999" });
    await nobody.ended();
    assert.equal(nobody.errors[0]?.extensions?.code, "NOT_FOUND");
    await subscriptionsOn(gw, 0);
  });
});

describe("offerFeed", () => {
  test("filters on the server by channel and region", async () => {
    const customers = await dataUsageCustomers();
    const region = async (id: string): Promise<string> =>
      dataOf(await gw.raw<{ customer: { region: { id: string } } }>(`query ($id: ID!) { customer(id: $id) { region { id } } }`, { id })).customer.region.id;
    const a = customers[2]!;
    const b = customers[3]!;
    const [regionA, regionB] = [await region(a), await region(b)];
    const cityA = regionA.slice(0, 5);
    const all = live.subscribe<FeedData>(FEED, {});
    const inCityA = live.subscribe<FeedData>(FEED, { regionId: cityA });
    const wechat = live.subscribe<FeedData>(FEED, { channel: "WECHAT" });
    await subscriptionsOn(gw, 3);
    const events = [dataUsage(a), dataUsage(b)];
    await ingest(gw, events);
    await processed(redis, events.map((e) => e.id));
    const seen = (await all.atLeast(2)).map((d) => d.offerFeed);
    assert.deepEqual(new Set(seen.map((p) => p.event.id)), new Set(events.map((e) => e.id)));
    const expectedInA = seen.filter((p) => p.regionId.startsWith(cityA)).map((p) => p.event.id);
    assert.ok(expectedInA.length >= 1);
    await inCityA.atLeast(expectedInA.length);
    assert.deepEqual(inCityA.items.map((d) => d.offerFeed.event.id), expectedInA, `only region ${cityA} (b is in ${regionB})`);
    assert.equal(wechat.items.length, 0, "no push went out on WECHAT");

    // Within the token's province (R33), so the matrix lets it by: one outside is FORBIDDEN (test/scoping.test.ts).
    const nowhere = live.subscribe<FeedData>(FEED, { regionId: "R3399" });
    await nowhere.ended();
    assert.equal(nowhere.errors[0]?.extensions?.code, "NOT_FOUND");
    for (const s of [all, inCityA, wechat]) s.dispose();
    await subscriptionsOn(gw, 0);
  });
});

function compareCursor(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : Number(am - bm);
}

/** Proposes a contact-policy change and has the checker approve it (maker-checker). */
const setPolicy = (input: Record<string, unknown>): Promise<unknown> =>
  proposeAndApply(gw, `mutation ($input: ContactPolicyInput!) { setContactPolicy(input: $input) { version pendingChange { id } } }`, { input });

/** "HH:MM" in Shanghai, `minutes` from now. */
function shanghai(minutes: number): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(Date.now() + minutes * 60_000));
}

describe("contact policy on pushes", () => {
  test("quiet hours and caps hold: nothing is pushed or written when they say no", async () => {
    const customer = (await dataUsageCustomers())[4]!;
    const presented = async (): Promise<number> =>
      dataOf(await gw.raw<{ customer: { contacts: { totalCount: number } } }>(`query ($id: ID!) { customer(id: $id) { contacts(first: 1, channels: [APP, SMS]) { totalCount } } }`, { id: customer })).customer.contacts.totalCount;
    const sub = live.subscribe<LiveData>(LIVE, { customerId: customer });
    await subscriptionsOn(gw, 1);
    try {
      await setPolicy({ quietHours: { start: shanghai(-60), end: shanghai(60), timeZone: "Asia/Shanghai", channels: ["APP", "SMS", "WECHAT", "OUTBOUND_CALL"] } });
      const before = await presented();
      const quiet = dataUsage(customer);
      await ingest(gw, [quiet]);
      await processed(redis, [quiet.id]);
      assert.equal(await presented(), before, "nothing was presented in quiet hours");

      await setPolicy({ quietHours: null, overallCap: { limit: 1, windowDays: 7 } });
      const first = dataUsage(customer);
      const second = dataUsage(customer);
      await ingest(gw, [first]);
      await processed(redis, [first.id]);
      await ingest(gw, [second]);
      await processed(redis, [second.id]);
      // The seed data may already have contacts in the window; either way at most one push gets through the cap of 1.
      assert.ok(sub.items.length <= 1);
      assert.ok(sub.items.every((d) => d.liveOffers.event.id === first.id), "the second event met the cap on every channel");
      assert.equal(await presented(), before + sub.items.length);
    } finally {
      await openPolicy(gw);
      sub.dispose();
      await subscriptionsOn(gw, 0);
    }
  });
});

describe("reliable sockets", () => {
  test("a subscriber that stops reading is cut off with 4413 instead of growing the gateway's memory", async () => {
    // A gateway of its own whose keep-alive outlasts the test: this file's pings every second, and a
    // client that reads nothing cannot answer them, so on a busy machine the keep-alive terminated
    // the socket (ending the subscription without an overflow) before its buffer filled.
    const patient = await startTestGateway({ realtime: { pushBuffer: 8, keepAliveMs: 120_000 } });
    try {
      const slow = new LiveClient(patient.url);
      const customer = await freshId();
      const sub = slow.subscribe(`subscription ($id: ID!) { liveOffers(customerId: $id) { cursor event { summary } } }`, { id: customer });
      await subscriptionsOn(patient, 1);
      slow.pauseReading();
      const hub = patient.app.services.realtime.hub;
      const publisher = testRedis("");
      // ~3 KB pushes straight onto the push channel, as a replica that decided them would, until the
      // subscriber's buffer overflows (the kernel's socket buffers take a varying share first). Paced at
      // about 6 MB/s, so a gateway starved of CPU in the full suite never falls far enough behind for
      // Redis to cut its pub/sub connection (client-output-buffer-limit pubsub), which would end the
      // subscription with 1012 instead.
      const fat = "流".repeat(1_000);
      for (let i = 0; i < 20_000 && hub.stats.overflows === 0; i++) {
        if (i % 100 === 99) await sleep(50);
        const push = { kind: "offer", customerId: customer, regionId: "R3301", channel: "APP", event: { id: `fat-${i}`, type: "DATA_USAGE", at: new Date().toISOString(), summary: fat }, decision: {} };
        await publisher.publish(`test:${process.pid}:push`, `${Date.now()}-${i}|${JSON.stringify(push)}`);
      }
      // Polled: the hub counts overflows without announcing them.
      await eventually(() => assert.equal(hub.stats.overflows, 1, "the subscriber's buffer overflowed"), { what: "the slow subscriber's buffer to overflow", timeoutMs: 30_000 });
      slow.resumeReading();
      await sub.ended(10_000).catch(() => undefined);
      assert.equal(await within(slow.closed, { what: "the slow subscriber's socket to close" }), 4413);
      await subscriptionsOn(patient, 0);
    } finally {
      await patient.close();
    }
  });

  test("a replay longer than the subscriber's buffer is read as fast as the client takes it, not cut off", async () => {
    const agentId = `A${process.pid}-replay`;
    const callers = await freshIds(10);
    const call = (i: number) => ({ id: eventId("r"), customerId: callers[i % callers.length]!, type: "HOTLINE_CALL_START", payload: { agentId } });
    const first = deskOf({ agentId });
    await subscriptionsOn(gw, 1);
    const e0 = call(0);
    await ingest(gw, [e0]);
    const cursor = (await first.atLeast(1))[0]!.deskFeed.cursor;
    first.dispose();
    await subscriptionsOn(gw, 0);
    // 12 missed updates; this gateway lets a subscription hold 8.
    const missed = Array.from({ length: 12 }, (_, i) => call(i + 1));
    await ingest(gw, missed);
    await processed(redis, missed.map((e) => e.id));
    const again = deskOf({ agentId, since: cursor });
    const got = (await again.atLeast(12)).map((d) => d.deskFeed.event.id);
    assert.deepEqual(new Set(got), new Set(missed.map((e) => e.id)));
    assert.equal(got.length, 12);
    assert.equal(live.closedWith, null, "not cut off");
    again.dispose();
    await subscriptionsOn(gw, 0);
  });

  test("keep-alive pings drop a client that stopped answering; one that answers stays", async () => {
    const { WebSocket } = await import("ws");
    const open = (autoPong: boolean): Promise<InstanceType<typeof WebSocket>> =>
      new Promise((resolve, reject) => {
        const ws = leftover("raw WebSocket", new WebSocket(gw.url.replace(/^http/, "ws"), "graphql-transport-ws", { autoPong }), (socket) => socket.terminate());
        ws.once("open", () => resolve(ws));
        ws.once("error", reject);
      });
    const deaf = await open(false);
    const alive = await open(true);
    const deafClosed = new Promise<number>((resolve) => deaf.once("close", (code) => resolve(code)));
    let aliveClosed = false;
    alive.once("close", () => (aliveClosed = true));
    // A wall-clock wait by nature: the gateway pings every second (keepAliveMs) and gives up on a socket after a silent interval.
    assert.equal(await within(deafClosed, { what: "the deaf client to be dropped" }), 1006, "terminated without a close frame");
    assert.equal(aliveClosed, false);
  });
});

describe("failures", () => {
  test("an event that keeps failing is retried, then parked with its error; an operator re-queues it once fixed", async () => {
    const agentId = `A${process.pid}-poison`;
    const desk = deskOf({ agentId });
    await subscriptionsOn(gw, 1);
    const customerId = await freshId();
    const id = eventId("poison");
    // Its bookkeeping is broken (the state key holds the wrong type): every attempt fails.
    await redis.set(keys.events.state(STREAM_SOURCE, id), "not a hash");
    const fields = ["id", id, "customerId", customerId, "type", "HOTLINE_CALL_START", "at", new Date().toISOString(), "payload", JSON.stringify({ agentId })];
    await redis.xadd(keys.events.stream(), "*", ...fields);
    const unknown = eventId("nobody");
    await redis.xadd(keys.events.stream(), "*", "id", unknown, "customerId", "C0999999", "type", "PLAN_QUERY", "at", new Date().toISOString(), "payload", "{}");
    const garbled = eventId("garbled");
    await redis.xadd(keys.events.stream(), "*", "id", garbled, "customerId", customerId, "type", "DATA_USAGE", "at", new Date().toISOString(), "payload", "{percent: 9");

    const PARKED = `{ parkedEvents(first: 20) { parkedId eventId customerId type payload error attempts parkedAt } }`;
    type Parked = { parkedId: string; eventId: string | null; error: string; attempts: number; payload: string | null };
    // Polled: parking (after three attempts 300 ms apart for the first) announces nothing.
    const parked = await eventually(
      async () => {
        const list = dataOf(await gw.raw<{ parkedEvents: Parked[] }>(PARKED)).parkedEvents;
        const waiting = [id, unknown, garbled].filter((e) => !list.some((p) => p.eventId === e));
        assert.deepEqual(waiting, [], `not parked yet: ${waiting.join(", ")}`);
        return list;
      },
      { what: "the three failing events to be parked", timeoutMs: 15_000, intervalMs: 100 },
    );
    const of = (e: string): Parked => parked.find((p) => p.eventId === e) ?? assert.fail(`${e} was not parked: ${JSON.stringify(parked)}`);
    assert.equal(of(id).attempts, 3, "tried maxAttempts times");
    assert.match(of(id).error, /gave up after 3 attempts: .*WRONGTYPE/);
    assert.match(of(unknown).error, /there is no customer with id C0999999/);
    assert.equal(of(unknown).attempts, 1, "an unknown customer is not retried");
    assert.match(of(garbled).error, /payload is not valid JSON/);
    assert.equal(of(garbled).payload, "{percent: 9", "kept as received");
    assert.equal(desk.items.length, 0);

    await redis.del(keys.events.state(STREAM_SOURCE, id));
    const retried = dataOf(await gw.raw<{ retryParkedEvents: string[] }>(`mutation ($ids: [ID!]!) { retryParkedEvents(parkedIds: $ids) }`, { ids: [of(id).parkedId, "1-1"] })).retryParkedEvents;
    assert.deepEqual(retried, [of(id).parkedId], "the unknown parked id is skipped");
    assert.equal((await processed(redis, [id])).get(id), "done");
    assert.equal((await desk.atLeast(1))[0]?.deskFeed.event.id, id);
    const after = dataOf(await gw.raw<{ parkedEvents: Parked[] }>(PARKED)).parkedEvents;
    assert.ok(!after.some((p) => p.eventId === id), "no longer parked");
    const pipeline = dataOf(await gw.raw<{ eventPipeline: { parked: number; consumers: number; openSubscriptions: number } }>(`{ eventPipeline { parked consumers openSubscriptions } }`)).eventPipeline;
    assert.ok(pipeline.parked >= 2 && pipeline.consumers >= 1 && pipeline.openSubscriptions === 1, JSON.stringify(pipeline));
    desk.dispose();
    await subscriptionsOn(gw, 0);
  });

  test("an event that was pushed but not yet written is, on retry, only written: the push is not sent twice", async () => {
    // What a replica leaves behind when it dies between the push and the trajectory write: the event's state says pushed, with its outcome.
    const agentId = `A${process.pid}-half`;
    const customerId = await freshId();
    const id = eventId("half");
    const decisionId = `DTEST${process.pid}${Date.now().toString(36).toUpperCase()}`;
    const at = new Date();
    const push = { kind: "desk", agentId, callId: null, customerId, regionId: "R3301", event: { id, type: "HOTLINE_CALL_START", at, acceptedAt: at, summary: "热线来电" }, headline: "x", decisions: [] };
    const write = {
      id: decisionId, customerId, offerId: "OF04", productId: "", strategyId: null, eventId: id, channel: "HOTLINE", at,
      score: 1, propensity: 0.1, value: 10, priority: 1, relevance: 1, reasons: "[]", controlGroup: false, contacted: true, features: [], summary: "推荐（测试）",
    };
    write.productId = dataOf(await gw.raw<{ offers: Array<{ id: string; product: { id: string } }> }>(`{ offers { id product { id } } }`)).offers.find((o) => o.id === "OF04")!.product.id;
    // The state first, then the entry it names (an explicit id, so the consumer cannot see the entry before its state).
    const entry = `${Date.now() + 5}-0`;
    await redis.hset(keys.events.state(STREAM_SOURCE, id), "entry", entry, "state", "pushed", "lease", 0, "outcome", JSON.stringify({ pushes: [push], writes: [write] }));
    await redis.xadd(keys.events.stream(), entry, "id", id, "customerId", customerId, "type", "HOTLINE_CALL_START", "at", at.toISOString(), "payload", JSON.stringify({ agentId }));
    assert.equal((await processed(redis, [id])).get(id), "done");
    assert.equal(await redis.exists(keys.push.agent(agentId)), 0, "not pushed again");
    const decision = dataOf(await gw.raw<{ decision: { id: string; eventId: string; channel: { code: string } } | null }>(`query ($id: ID!) { decision(id: $id) { id eventId channel { code } } }`, { id: decisionId })).decision;
    assert.deepEqual(decision, { id: decisionId, eventId: id, channel: { code: "HOTLINE" } });
  });
});
