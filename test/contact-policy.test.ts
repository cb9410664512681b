import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { ContactPolicy, channelOrder, type PolicyCustomer } from "../src/contact-policy/policy";
import { DEFAULT_RULES } from "../src/contact-policy/rules";
import { CHANNEL_CODES, type ChannelCode } from "../src/domain/vocabulary";
import { createLogger } from "../src/platform/logger";
import { createRedis, scanKeys } from "../src/platform/redis";
import { keys } from "../src/platform/keys";
import { startRedis } from "../src/main/launch/redis";
import { eventually } from "./support/eventually";
import { dataOf, ON_REDIS_CLUSTER, startTestGateway, testServices, type TestGateway } from "./support/gateway";
import { leftover, teardown } from "./support/leftovers";
import { CuttableProxy } from "./support/proxy";
import { applyChange, CHECKER } from "./support/approval";

// Only Redis state is touched, and every test has a key prefix of its own (freshPolicy): the
// customer ids are labels in it, never looked up in the graph, so any will do.
const DAY = 86_400_000;
/** Monday 2026-11-16 10:00 in Shanghai: outside the default quiet hours. */
const T0 = new Date("2026-11-16T02:00:00Z");
const later = (at: Date, ms: number): Date => new Date(at.getTime() + ms);
const customer = (id: string, dndList: PolicyCustomer["dndList"] = null): PolicyCustomer => ({ id, dndList });
const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

const PREFIX = `test:${process.pid}:`;
let prefixes = 0;

/** A client as the gateway makes them (no offline queue), closed with the test that opened it. */
async function connect(url: string, prefix: string): Promise<Redis> {
  const redis = leftover("Redis client", createRedis(url, prefix), (r) => r.disconnect());
  if (redis.status !== "ready") await once(redis, "ready");
  return redis;
}

/** A policy over a key prefix of its own, so every test starts from the default policy and no counts. */
async function freshPolicy(): Promise<{ policy: ContactPolicy; prefix: string }> {
  const prefix = `${PREFIX}policy${++prefixes}:`;
  return { policy: new ContactPolicy(await connect(testServices().redisUrl, prefix)), prefix };
}

teardown("this file's policy keys", async () => {
  // Remove what this file wrote: its prefixes only.
  const admin = createRedis(testServices().redisUrl, "");
  try {
    if (admin.status !== "ready") await once(admin, "ready");
    // One DEL per key: under TEST_REDIS_CLUSTER they live on several nodes.
    const stale = await scanKeys(admin, `${PREFIX}policy*`);
    await Promise.all(stale.map((key) => admin.del(key)));
  } finally {
    admin.disconnect();
  }
});

describe("frequency caps", () => {
  test("the default SMS cap is one per week: a second SMS is blocked and granted nothing", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002100");
    assert.deepEqual(await policy.screen(c, "SMS", [], T0), { blocked: null, coolingDown: new Map() });
    assert.deepEqual(await policy.reserve(c.id, "SMS", ["d1"], T0), { granted: 1, limitedBy: null });

    const screen = await policy.screen(c, "SMS", [], later(T0, 3 * DAY));
    assert.equal(screen.blocked?.code, "CAP_REACHED");
    assert.deepEqual(screen.blocked?.cap, { scope: "CHANNEL", channels: ["SMS"], limit: 1, windowDays: 7, used: 1, nextAvailableAt: later(T0, 7 * DAY) });
    assert.deepEqual(screen.blocked?.until, later(T0, 7 * DAY));
    assert.match(screen.blocked?.message ?? "", /at most 1 contact on SMS per 7 days; 1 made; next possible at 2026-11-23 10:00 \(Asia\/Shanghai\)/);

    const second = await policy.reserve(c.id, "SMS", ["d2"], later(T0, 3 * DAY));
    assert.equal(second.granted, 0);
    assert.equal(second.limitedBy?.scope, "CHANNEL");
    assert.deepEqual(second.limitedBy?.nextAvailableAt, later(T0, 7 * DAY));
    assert.equal((await policy.screen(customer("C0002101"), "SMS", [], T0)).blocked, null, "caps are per customer");
  });

  test("50 concurrent decisions on two replicas send exactly the cap: 1, then 3", async () => {
    const { policy, prefix } = await freshPolicy();
    const replicas = async (): Promise<ContactPolicy[]> => [new ContactPolicy(await connect(testServices().redisUrl, prefix)), new ContactPolicy(await connect(testServices().redisUrl, prefix))];
    const race = async (customerId: string, limit: number): Promise<number> => {
      const [a, b] = await replicas();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a! : b!).reserve(customerId, "SMS", [`${customerId}-d${i}`], later(T0, i))));
      for (const r of results) if (r.granted === 0) assert.equal(r.limitedBy?.limit, limit);
      return results.reduce((sum, r) => sum + r.granted, 0);
    };
    assert.equal(await race("C0002102", 1), 1);

    await policy.update({ channelCaps: [{ channel: "SMS", limit: 3, windowDays: 7 }], overallCap: null });
    assert.equal(await race("C0002103", 3), 3);
    assert.equal((await policy.screen(customer("C0002103"), "SMS", [], later(T0, 100))).blocked?.cap?.used, 3);
  });

  test("one decision with several offers is granted the first ones that fit", async () => {
    const { policy } = await freshPolicy();
    assert.deepEqual(await policy.reserve("C0002104", "APP", ["a1", "a2"], T0), { granted: 2, limitedBy: null });
    const rest = await policy.reserve("C0002104", "APP", ["a3", "a4", "a5"], T0);
    assert.equal(rest.granted, 1, "APP allows 3 a week");
    assert.deepEqual(rest.limitedBy && { scope: rest.limitedBy.scope, limit: rest.limitedBy.limit, used: rest.limitedBy.used }, { scope: "CHANNEL", limit: 3, used: 3 });
  });

  test("the window rolls: a contact stops counting exactly one window after it was made", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002105");
    await policy.reserve(c.id, "SMS", ["d1"], T0);
    assert.equal((await policy.screen(c, "SMS", [], later(T0, 7 * DAY - 60_000))).blocked?.code, "CAP_REACHED");
    assert.equal((await policy.reserve(c.id, "SMS", ["d2"], later(T0, 7 * DAY - 60_000))).granted, 0);
    assert.equal((await policy.screen(c, "SMS", [], later(T0, 7 * DAY))).blocked, null);
    assert.equal((await policy.reserve(c.id, "SMS", ["d3"], later(T0, 7 * DAY))).granted, 1);
    assert.equal((await policy.screen(c, "SMS", [], later(T0, 8 * DAY))).blocked?.cap?.used, 1, "the old contact no longer counts");
  });

  test("the overall cap counts outbound and push channels together; inbound channels are not capped", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002106");
    assert.equal((await policy.reserve(c.id, "SMS", ["s1"], T0)).granted, 1);
    assert.equal((await policy.reserve(c.id, "APP", ["a1", "a2", "a3"], later(T0, DAY))).granted, 3);

    const screen = await policy.screen(c, "WECHAT", [], later(T0, 2 * DAY));
    assert.equal(screen.blocked?.code, "CAP_REACHED");
    assert.equal(screen.blocked?.cap?.scope, "OVERALL");
    assert.equal(screen.blocked?.cap?.used, 4);
    assert.deepEqual(screen.blocked?.cap?.nextAvailableAt, later(T0, 7 * DAY), "the SMS leaves the window first");
    assert.equal((await policy.reserve(c.id, "WECHAT", ["w1"], later(T0, 2 * DAY))).limitedBy?.scope, "OVERALL");

    assert.deepEqual(await policy.reserve(c.id, "HOTLINE", ids("h", 20), later(T0, 2 * DAY)), { granted: 20, limitedBy: null });
    assert.equal((await policy.screen(c, "HOTLINE", [], later(T0, 2 * DAY))).blocked, null);
    assert.equal((await policy.screen(c, "WECHAT", [], later(T0, 7 * DAY))).blocked, null, "one slot free once the SMS is a week old");
  });

  test("a contact the customer started (opening the app) is not capped and not counted", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002107");
    await policy.reserve(c.id, "APP", ["a1", "a2", "a3"], T0);
    assert.equal((await policy.screen(c, "APP", [], T0)).blocked?.code, "CAP_REACHED");
    assert.equal((await policy.screen(c, "APP", [], T0, { customerInitiated: true })).blocked, null);
    assert.deepEqual(await policy.reserve(c.id, "APP", ["v1", "v2"], T0, { customerInitiated: true }), { granted: 2, limitedBy: null });
    assert.equal((await policy.screen(c, "APP", [], T0)).blocked?.cap?.used, 3);
  });

  test("reserving the same decision again is idempotent: granted, counted once", async () => {
    const { policy } = await freshPolicy();
    await policy.update({ channelCaps: [{ channel: "SMS", limit: 2, windowDays: 7 }] });
    assert.equal((await policy.reserve("C0002108", "SMS", ["d1"], T0)).granted, 1);
    assert.equal((await policy.reserve("C0002108", "SMS", ["d1"], later(T0, 60_000))).granted, 1);
    assert.equal((await policy.screen(customer("C0002108"), "SMS", [], later(T0, 60_000))).blocked, null, "one of two used");
    assert.equal((await policy.reserve("C0002108", "SMS", ["d2", "d1"], later(T0, 60_000))).granted, 2);
    assert.equal((await policy.screen(customer("C0002108"), "SMS", [], later(T0, 60_000))).blocked?.cap?.used, 2);
  });
});

describe("screen and reserve in one round trip", () => {
  test("records the picks when nothing blocks, exactly as screen then reserve would; a full cap records nothing", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002140");
    const first = await policy.screenAndReserve(c, "APP", ["OF1", "OF2"], { offerIds: ["OF1", "OF2"], decisionIds: ["a1", "a2"] }, T0);
    assert.deepEqual(first, { screen: { blocked: null, coolingDown: new Map() }, reserved: { granted: 2, limitedBy: null } });
    const again = await policy.screenAndReserve(c, "APP", ["OF1"], { offerIds: ["OF1"], decisionIds: ["a1"] }, T0);
    assert.deepEqual(again.reserved, { granted: 1, limitedBy: null }, "a retried decision is granted again, counted once");
    const rest = await policy.screenAndReserve(c, "APP", ["OF3", "OF4"], { offerIds: ["OF3", "OF4"], decisionIds: ["a3", "a4"] }, T0);
    assert.equal(rest.reserved?.granted, 1, "APP allows 3 a week");
    assert.deepEqual(rest.reserved?.limitedBy && { scope: rest.reserved.limitedBy.scope, limit: rest.reserved.limitedBy.limit, used: rest.reserved.limitedBy.used }, { scope: "CHANNEL", limit: 3, used: 3 });
    const full = await policy.screenAndReserve(c, "APP", ["OF5"], { offerIds: ["OF5"], decisionIds: ["a5"] }, later(T0, DAY));
    assert.equal(full.screen.blocked?.code, "CAP_REACHED");
    assert.equal(full.screen.blocked?.cap?.used, 3);
    assert.equal(full.reserved, null);
    assert.equal((await policy.screen(c, "APP", [], later(T0, DAY))).blocked?.cap?.used, 3, "the blocked call recorded nothing");
  });

  test("a picked offer cooling down records nothing and says which offers cool down; unpicked cooling offers do not stop the picks", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002141");
    await policy.recordResponse(c.id, "OF1", "DECLINED", T0, "d0");
    const cooled = await policy.screenAndReserve(c, "APP", ["OF1", "OF2"], { offerIds: ["OF1"], decisionIds: ["a1"] }, later(T0, DAY));
    assert.equal(cooled.screen.blocked, null);
    assert.deepEqual([...cooled.screen.coolingDown], [["OF1", { until: later(T0, 30 * DAY), reason: "DECLINED" }]]);
    assert.equal(cooled.reserved, null);
    assert.equal((await policy.screen(c, "APP", [], later(T0, DAY))).blocked, null);
    const other = await policy.screenAndReserve(c, "APP", ["OF1", "OF2"], { offerIds: ["OF2"], decisionIds: ["a2"] }, later(T0, DAY));
    assert.deepEqual(other.reserved, { granted: 1, limitedBy: null });
    assert.equal(other.screen.coolingDown.size, 1);
  });

  test("quiet hours and do-not-disturb answer without Redis; a customer-initiated contact records nothing", async () => {
    const { policy, prefix } = await freshPolicy();
    const night = new Date("2026-11-16T14:30:00Z");
    const quiet = await policy.screenAndReserve(customer("C0002142"), "SMS", ["OF1"], { offerIds: ["OF1"], decisionIds: ["s1"] }, night);
    assert.equal(quiet.screen.blocked?.code, "QUIET_HOURS");
    assert.equal(quiet.reserved, null);
    const black = await policy.screenAndReserve(customer("C0002142", "BLACK"), "HOTLINE", [], { offerIds: [], decisionIds: [] }, T0);
    assert.equal(black.screen.blocked?.code, "DND_BLACK");
    const inbound = await policy.screenAndReserve(customer("C0002142"), "APP", ["OF1"], { offerIds: ["OF1"], decisionIds: ["i1"] }, T0, { customerInitiated: true });
    assert.deepEqual(inbound.reserved, { granted: 1, limitedBy: null });
    const raw = await connect(testServices().redisUrl, prefix);
    assert.equal(await raw.exists(keys.policy.contacts("C0002142", "APP")), 0, "nothing counted for a contact the customer started");
  });

  test("50 concurrent decisions on two replicas send exactly the cap", async () => {
    const { prefix } = await freshPolicy();
    const [a, b] = [new ContactPolicy(await connect(testServices().redisUrl, prefix)), new ContactPolicy(await connect(testServices().redisUrl, prefix))];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).screenAndReserve(customer("C0002143"), "SMS", ["OF1"], { offerIds: ["OF1"], decisionIds: [`d${i}`] }, later(T0, i))),
    );
    assert.equal(results.reduce((sum, r) => sum + (r.reserved?.granted ?? 0), 0), 1);
  });
});

describe("do-not-disturb and quiet hours", () => {
  test("red list: no SMS or outbound call; hotline and app are fine", async () => {
    const { policy } = await freshPolicy();
    const red = customer("C0002110", "RED");
    for (const ch of ["SMS", "OUTBOUND_CALL"] as const) {
      const screen = await policy.screen(red, ch, ["OF1"], T0);
      assert.equal(screen.blocked?.code, "DND_RED", ch);
      assert.match(screen.blocked?.message ?? "", /红名单.*red list/);
    }
    for (const ch of ["HOTLINE", "APP", "WECHAT", "STORE", "WEB"] as const) assert.equal((await policy.screen(red, ch, [], T0)).blocked, null, ch);
  });

  test("black list: no channel at all, even when the customer starts the contact", async () => {
    const { policy } = await freshPolicy();
    const black = customer("C0002111", "BLACK");
    for (const ch of CHANNEL_CODES) {
      assert.equal((await policy.screen(black, ch, [], T0)).blocked?.code, "DND_BLACK", ch);
      assert.equal((await policy.screen(black, ch, [], T0, { customerInitiated: true })).blocked?.code, "DND_BLACK", ch);
    }
  });

  test("quiet hours: 22:30 Shanghai blocks SMS and app pushes until 08:00, not the hotline; 10:00 is fine", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002112");
    const night = new Date("2026-11-16T14:30:00Z"); // 22:30 in Shanghai
    const sms = await policy.screen(c, "SMS", [], night);
    assert.equal(sms.blocked?.code, "QUIET_HOURS");
    assert.deepEqual(sms.blocked?.until, new Date("2026-11-17T00:00:00Z"), "08:00 in Shanghai");
    assert.equal((await policy.screen(c, "APP", [], night)).blocked?.code, "QUIET_HOURS");
    assert.equal((await policy.screen(c, "APP", [], night, { customerInitiated: true })).blocked, null);
    assert.equal((await policy.screen(c, "HOTLINE", [], night)).blocked, null);
    assert.equal((await policy.screen(c, "SMS", [], new Date("2026-11-16T02:00:00Z"))).blocked, null);
    assert.equal((await policy.screen(c, "SMS", [], new Date("2026-11-16T13:00:00Z"))).blocked?.code, "QUIET_HOURS", "21:00 is quiet");
    assert.equal((await policy.screen(c, "SMS", [], new Date("2026-11-16T00:00:00Z"))).blocked, null, "08:00 is not");

    await policy.update({ quietHours: { start: "23:00", end: "07:00" } });
    assert.equal((await policy.screen(c, "SMS", [], night)).blocked, null);
    await policy.update({ quietHours: null });
    assert.equal((await policy.screen(c, "SMS", [], new Date("2026-11-16T19:00:00Z"))).blocked, null, "03:00 without quiet hours");
  });

  test("channel order: preferred channels first, then the policy's priority, only what DND allows", () => {
    const rules = DEFAULT_RULES;
    const all = CHANNEL_CODES;
    const preferredChannels: ChannelCode[] = ["WEB", "SMS"];
    assert.deepEqual(channelOrder({ dndList: null, preferredChannels }, all, rules), ["WEB", "SMS", "APP", "WECHAT", "OUTBOUND_CALL", "HOTLINE", "STORE"]);
    assert.deepEqual(channelOrder({ dndList: "RED", preferredChannels }, all, rules), ["WEB", "APP", "WECHAT", "HOTLINE", "STORE"]);
    assert.deepEqual(channelOrder({ dndList: "BLACK", preferredChannels }, all, rules), []);
    assert.deepEqual(channelOrder({ dndList: null, preferredChannels }, ["SMS", "APP"], { ...rules, honourPreference: false }), ["APP", "SMS"]);
  });
});

describe("cool-downs", () => {
  test("a declined offer cools down for 30 days; other offers do not", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002120");
    await policy.recordResponse(c.id, "OF1", "DECLINED", T0, "d1");
    await policy.recordResponse(c.id, "OF2", "ACCEPTED", T0, "d2");
    const screen = await policy.screen(c, "HOTLINE", ["OF1", "OF2", "OF3"], later(T0, DAY));
    assert.deepEqual([...screen.coolingDown], [["OF1", { until: later(T0, 30 * DAY), reason: "DECLINED" }]]);
    assert.equal((await policy.screen(c, "HOTLINE", ["OF1"], later(T0, 30 * DAY))).coolingDown.size, 0, "over after 30 days");
  });

  test("two ignores within 30 days hold the offer back for 60 days; two ignores further apart do not", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002121");
    await policy.recordResponse(c.id, "OF1", "IGNORED", T0, "d1");
    assert.equal((await policy.screen(c, "APP", ["OF1"], later(T0, DAY))).coolingDown.size, 0, "one ignore is not enough");
    await policy.recordResponse(c.id, "OF1", "IGNORED", later(T0, 10 * DAY), "d2");
    const cooling = await policy.screen(c, "APP", ["OF1"], later(T0, 11 * DAY));
    assert.deepEqual(cooling.coolingDown.get("OF1"), { until: later(T0, 70 * DAY), reason: "IGNORED" });
    assert.equal((await policy.screen(c, "APP", ["OF1"], later(T0, 70 * DAY))).coolingDown.size, 0, "over after 60 days");
    await policy.recordResponse(c.id, "OF1", "IGNORED", later(T0, 71 * DAY), "d3");
    assert.equal((await policy.screen(c, "APP", ["OF1"], later(T0, 72 * DAY))).coolingDown.size, 0, "the ignores before the cool-down are spent");

    await policy.recordResponse(c.id, "OF2", "IGNORED", T0, "e1");
    await policy.recordResponse(c.id, "OF2", "IGNORED", later(T0, 31 * DAY), "e2");
    assert.equal((await policy.screen(c, "APP", ["OF2"], later(T0, 32 * DAY))).coolingDown.size, 0, "31 days apart");
  });

  test("responses are idempotent per decision: a repeated ignore counts once, a repeated decline does not extend", async () => {
    const { policy } = await freshPolicy();
    const c = customer("C0002122");
    await policy.recordResponse(c.id, "OF1", "IGNORED", T0, "d1");
    await policy.recordResponse(c.id, "OF1", "IGNORED", later(T0, DAY), "d1");
    assert.equal((await policy.screen(c, "APP", ["OF1"], later(T0, 2 * DAY))).coolingDown.size, 0);

    await policy.recordResponse(c.id, "OF2", "DECLINED", T0, "d2");
    await policy.recordResponse(c.id, "OF2", "DECLINED", later(T0, 5 * DAY), "d2");
    assert.deepEqual((await policy.screen(c, "APP", ["OF2"], later(T0, 6 * DAY))).coolingDown.get("OF2")?.until, later(T0, 30 * DAY));
  });
});

describe("persistence and the stored policy", () => {
  test("counts, cool-downs and the policy survive a gateway restart (new client, new instance)", async () => {
    const { policy, prefix } = await freshPolicy();
    await policy.update({ declineCooldownDays: 10 });
    await policy.reserve("C0002130", "SMS", ["d1"], T0);
    await policy.recordResponse("C0002130", "OF1", "DECLINED", T0, "d2");

    const restarted = new ContactPolicy(await connect(testServices().redisUrl, prefix));
    assert.equal((await restarted.current()).declineCooldownDays, 10);
    const screen = await restarted.screen(customer("C0002130"), "SMS", ["OF1"], later(T0, DAY));
    assert.equal(screen.blocked?.code, "CAP_REACHED");
    assert.deepEqual(screen.coolingDown.get("OF1")?.until, later(T0, 10 * DAY));
    assert.equal((await restarted.reserve("C0002130", "SMS", ["d3"], later(T0, DAY))).granted, 0);
  });

  test("counts survive a Redis restart (appendonly)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "c360-policy-redis-"));
    teardown("the throw-away Redis's data directory", () => rmSync(dataDir, { recursive: true, force: true }));
    const log = createLogger("test-redis", "silent");
    const server = leftover("throw-away Redis", await startRedis({ dataDir, log }), (r) => r.stop());
    const firstClient = await connect(server.url, PREFIX);
    const first = new ContactPolicy(firstClient);
    await first.reserve("C0002131", "SMS", ["d1"], T0);
    await first.update({ ignoreLimit: 3 });
    firstClient.disconnect();
    await server.stop();

    const restarted = leftover("throw-away Redis, restarted", await startRedis({ dataDir, log }), (r) => r.stop());
    const afterRestart = new ContactPolicy(await connect(restarted.url, PREFIX));
    assert.equal((await afterRestart.current()).ignoreLimit, 3);
    assert.equal((await afterRestart.reserve("C0002131", "SMS", ["d2"], later(T0, DAY))).granted, 0);
  });

  test("memory stays bounded: every counter expires after its longest window; uncapped channels store nothing", async () => {
    const { policy, prefix } = await freshPolicy();
    const redis = await connect(testServices().redisUrl, prefix);
    const c = "C0002132";
    await policy.reserve(c, "OUTBOUND_CALL", ["d1"], T0);
    await policy.reserve(c, "SMS", ["d2"], T0);
    await policy.reserve(c, "HOTLINE", ["d3"], T0);
    await policy.recordResponse(c, "OF1", "IGNORED", T0, "d2");
    await policy.recordResponse(c, "OF2", "DECLINED", T0, "d1");
    const ttlDays = async (key: string): Promise<number> => (await redis.pttl(key)) / DAY;
    const near = (actual: number, expected: number, what: string): void => assert.ok(actual > expected - 0.01 && actual <= expected, `${what}: ${actual} days`);
    near(await ttlDays(keys.policy.contacts(c, "OUTBOUND_CALL")), 30, "outbound calls: 30-day cap");
    near(await ttlDays(keys.policy.contacts(c, "SMS")), 7, "SMS: 7-day caps");
    near(await ttlDays(keys.policy.ignored(c, "OF1")), 30, "ignores: 30-day window");
    near(await ttlDays(keys.policy.cooldowns(c)), 30, "cool-downs: the longest one");
    near(await ttlDays(keys.policy.responses(c)), 60, "responses: the longest cool-down");
    assert.equal(await redis.exists(keys.policy.contacts(c, "HOTLINE")), 0);

    await policy.reserve(c, "SMS", ["d4"], later(T0, 8 * DAY));
    assert.deepEqual(await redis.zrange(keys.policy.contacts(c, "SMS"), "0", "-1"), ["d4"], "contacts older than the window are trimmed");
  });

  test("Redis down: counting fails fast with SERVICE_UNAVAILABLE; the last policy read still screens inbound contacts", { skip: ON_REDIS_CLUSTER && "cuts a proxy to one Redis server" }, async () => {
    const proxy = await CuttableProxy.start(testServices().redisUrl);
    const client = await connect(proxy.through(testServices().redisUrl), `${PREFIX}policy${++prefixes}:`);
    client.on("error", () => undefined); // it reconnects in vain until the test's teardown disconnects it
    const policy = new ContactPolicy(client, 0);
    await policy.current();
    await proxy.cut();
    const started = Date.now();
    await assert.rejects(policy.reserve("C0002133", "SMS", ["d1"], T0), (error: Error & { extensions?: Record<string, unknown> }) => {
      assert.equal(error.extensions?.code, "SERVICE_UNAVAILABLE");
      return true;
    });
    assert.ok(Date.now() - started < 3_000, "fails fast");
    assert.deepEqual(await policy.screen(customer("C0002133"), "HOTLINE", [], T0), { blocked: null, coolingDown: new Map() });
    assert.equal((await policy.screen(customer("C0002133", "RED"), "SMS", [], T0)).blocked?.code, "DND_RED");
  });

  test("a change merges over the current policy and reaches other replicas within a second", async () => {
    const { policy, prefix } = await freshPolicy();
    const replica = new ContactPolicy(await connect(testServices().redisUrl, prefix));
    assert.equal((await replica.current()).version, 0);

    const changed = await policy.update({ channelCaps: [{ channel: "SMS", limit: 2, windowDays: 14 }], removeChannelCaps: ["WECHAT"], quietHours: { timeZone: "Asia/Urumqi" } }, "ops-1");
    assert.equal(changed.version, 1);
    assert.equal(changed.updatedBy, "ops-1");
    assert.deepEqual(changed.channelCaps, { SMS: { limit: 2, windowDays: 14 }, OUTBOUND_CALL: { limit: 1, windowDays: 30 }, APP: { limit: 3, windowDays: 7 } });
    assert.deepEqual(changed.quietHours, { ...DEFAULT_RULES.quietHours, timeZone: "Asia/Urumqi" });

    // Polled: the replica's cached copy expires on its own (≤ 1 s); nothing announces it.
    const started = Date.now();
    await eventually(async () => assert.equal((await replica.current()).version, 1), { what: "the change on the other replica", timeoutMs: 1_500 });
    assert.ok(Date.now() - started <= 1_500, `seen after ${Date.now() - started} ms (cache ≤ 1 s, plus polling under load)`);
  });

  test("concurrent changes to different fields both land", async () => {
    const { policy, prefix } = await freshPolicy();
    const replica = new ContactPolicy(await connect(testServices().redisUrl, prefix));
    await Promise.all([policy.update({ ignoreLimit: 4 }), replica.update({ declineCooldownDays: 12 })]);
    const now = await new ContactPolicy(await connect(testServices().redisUrl, prefix)).current();
    assert.equal(now.version, 2);
    assert.equal(now.ignoreLimit, 4);
    assert.equal(now.declineCooldownDays, 12);
  });

  test("bad values are refused with the field and its range, and nothing is stored", async () => {
    const { policy } = await freshPolicy();
    const refused = async (input: Parameters<ContactPolicy["update"]>[0], argument: string, message: RegExp): Promise<void> => {
      await assert.rejects(policy.update(input), (error: Error & { extensions?: Record<string, unknown> }) => {
        assert.equal(error.extensions?.code, "BAD_USER_INPUT");
        assert.equal(error.extensions?.argument, argument);
        assert.match(error.message, message);
        return true;
      });
    };
    await refused({ channelCaps: [{ channel: "SMS", limit: -1, windowDays: 7 }] }, "channelCaps.SMS.limit", /from 0 to 1000 contacts; got -1/);
    await refused({ overallCap: { windowDays: 0 } }, "overallCap.windowDays", /from 1 to 365 days; got 0/);
    await refused({ quietHours: { start: "25:00" } }, "quietHours.start", /"HH:MM" from 00:00 to 23:59; got "25:00"/);
    await refused({ quietHours: { timeZone: "Mars/Olympus" } }, "quietHours.timeZone", /IANA time zone .*got "Mars\/Olympus"/);
    await refused({ quietHours: { start: "08:00" } }, "quietHours.end", /must differ from quietHours.start/);
    await refused({ channelPriority: ["SMS", "SMS"] }, "channelPriority", /names SMS twice/);
    await refused({ ignoreLimit: null }, "ignoreLimit", /cannot be null/);
    await refused({ channelCaps: [{ channel: "APP", limit: 2, windowDays: 7 }], removeChannelCaps: ["APP"] }, "removeChannelCaps", /keep it in one of them/);
    assert.equal((await policy.current()).version, 0);
  });
});

describe("contactPolicy over GraphQL", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  const FIELDS = `version updatedBy redListChannels channelCaps { channel limit windowDays } overallCap { channels limit windowDays }
    quietHours { start end timeZone channels } declineCooldownDays ignoreLimit ignoreWindowDays ignoreCooldownDays channelPriority honourPreference`;

  test("query the default, propose a change, approve it, read it back, and decisions see it", async () => {
    const initial = dataOf(await gw.raw<{ contactPolicy: Record<string, unknown> }>(`{ contactPolicy { ${FIELDS} } }`)).contactPolicy;
    assert.equal(initial.version, 0);
    assert.deepEqual(initial.channelCaps, [
      { channel: "APP", limit: 3, windowDays: 7 },
      { channel: "SMS", limit: 1, windowDays: 7 },
      { channel: "OUTBOUND_CALL", limit: 1, windowDays: 30 },
      { channel: "WECHAT", limit: 3, windowDays: 7 },
    ]);
    assert.deepEqual(initial.quietHours, { start: "21:00", end: "08:00", timeZone: "Asia/Shanghai", channels: ["SMS", "OUTBOUND_CALL", "APP", "WECHAT"] });

    const set = `mutation ($input: ContactPolicyInput!) { setContactPolicy(input: $input) { ${FIELDS} pendingChange { id kind action status } } }`;
    const input = { channelCaps: [{ channel: "SMS", limit: 2, windowDays: 7 }], overallCap: null, quietHours: { end: "09:00" }, channelPriority: ["SMS"] };
    const { pendingChange, ...changed } = dataOf(await gw.raw<{ setContactPolicy: Record<string, unknown> & { pendingChange: { id: string; kind: string; action: string; status: string } } }>(set, { input })).setContactPolicy;
    assert.deepEqual([pendingChange.kind, pendingChange.action, pendingChange.status], ["CONTACT_POLICY", "SET", "PENDING"]);
    assert.equal(changed.version, 1, "the version the change would make");
    assert.equal(changed.updatedBy, "test:operator", "the change is signed by the token's subject");
    assert.equal(changed.overallCap, null);
    assert.deepEqual((changed.quietHours as { end: string }).end, "09:00");
    assert.deepEqual(changed.channelPriority, ["SMS", "HOTLINE", "APP", "WEB", "OUTBOUND_CALL", "STORE", "WECHAT"]);
    const policy = gw.app.services.contactPolicy;
    assert.deepEqual(dataOf(await gw.raw<{ contactPolicy: Record<string, unknown> }>(`{ contactPolicy { ${FIELDS} } }`)).contactPolicy, initial, "nothing changes until the change is approved");
    assert.equal((await policy.reserve("C0002141", "SMS", ["p1", "p2"], T0)).granted, 1, "the old cap still holds");

    const approved = await applyChange(gw, pendingChange.id);
    assert.deepEqual({ status: approved.status, decidedBy: approved.decidedBy }, { status: "APPROVED", decidedBy: CHECKER.sub });
    const inForce = dataOf(await gw.raw<{ contactPolicy: Record<string, unknown> }>(`{ contactPolicy { ${FIELDS} changeId pendingChange { id } } }`)).contactPolicy;
    assert.deepEqual(inForce, { ...changed, changeId: pendingChange.id, pendingChange: null }, "the policy in force is the one proposed, made by the approved change");
    assert.equal((await policy.reserve("C0002140", "SMS", ["d1", "d2", "d3"], T0)).granted, 2, "the gateway's own policy applies the new cap");
  });

  test("bad input: BAD_USER_INPUT naming the field and the allowed range; nothing is stored, not even a pending change", async () => {
    const set = `mutation ($input: ContactPolicyInput!) { setContactPolicy(input: $input) { version } }`;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ channelCaps: [{ channel: "SMS", limit: -1, windowDays: 7 }] }, /`channelCaps.SMS.limit` must be a whole number from 0 to 1000 contacts; got -1/],
      [{ quietHours: { timeZone: "Europe/Nowhere" } }, /`quietHours.timeZone` must be an IANA time zone such as "Asia\/Shanghai"; got "Europe\/Nowhere"/],
      [{ quietHours: { start: "25:00" } }, /`quietHours.start` must be a time of day "HH:MM" from 00:00 to 23:59; got "25:00"/],
    ];
    const before = dataOf(await gw.raw<{ contactPolicy: { version: number } }>("{ contactPolicy { version } }")).contactPolicy.version;
    for (const [input, message] of cases) {
      const res = await gw.raw(set, { input });
      assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(res.errors));
      assert.match(res.errors?.[0]?.message ?? "", message);
    }
    const res = await gw.raw(set, { input: { channelCaps: [{ channel: "FAX", limit: 1, windowDays: 7 }] } });
    assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", "an unknown channel fails GraphQL validation");
    const after = dataOf(await gw.raw<{ contactPolicy: { version: number; pendingChange: unknown } }>("{ contactPolicy { version pendingChange { id } } }")).contactPolicy;
    assert.deepEqual(after, { version: before, pendingChange: null }, "nothing stored");
  });
});
