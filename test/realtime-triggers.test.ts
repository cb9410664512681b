import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { createContext } from "../src/server/context";
import type { ChannelCode } from "../src/domain/vocabulary";
import { validatePayload, type EventType } from "../src/domain/events";
import { freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, processed, subscriptionsOn, testRedis, type EventArg } from "./support/live";

/**
 * Every row of the operators' trigger table (DOMAIN, "Real-time event marketing"), end to end:
 * the event goes in through ingestEvents and the offer comes out on liveOffers, for a customer the
 * row is meant for; the same event with the rule not met (payload or customer) pushes nothing.
 * The customers are fresh ones of this file's own: the pushes are written to their trajectories.
 */

interface Row {
  /** The seeded strategy the row is. */
  code: string;
  type: EventType;
  /** A payload that meets the rule. */
  yes: Record<string, unknown>;
  /** A payload that does not, when the rule is on the payload. */
  no: Record<string, unknown> | null;
  /** The rule is (also) on the customer: some customers must get nothing for the same event. */
  customerRule: boolean;
}

const ROWS: Row[] = [
  { code: "MOB-RT-PAY-001", type: "BILL_PAYMENT", yes: { amount: 100, channel: "STORE" }, no: { amount: 100, channel: "APP" }, customerRule: false },
  { code: "MOB-RT-LOGIN-001", type: "APP_LOGIN", yes: { channel: "APP" }, no: { channel: "WEB" }, customerRule: true },
  { code: "MOB-RT-ROAM-001", type: "ROAMING_START", yes: { destination: "香港", international: true, firstCall: true }, no: { destination: "香港", international: true, firstCall: false }, customerRule: true },
  { code: "MOB-RT-PLACE-001", type: "LOCATION_ENTER", yes: { area: "AIRPORT", place: "萧山国际机场" }, no: { area: "HOSPITAL" }, customerRule: false },
  { code: "MOB-RT-DATA-001", type: "DATA_USAGE", yes: { percent: 93 }, no: { percent: 60 }, customerRule: true },
  { code: "MOB-RT-FIRST-001", type: "FIRST_DATA_USE", yes: { app: "抖音" }, no: null, customerRule: true },
  { code: "TRM-RT-BROWSE-001", type: "HANDSET_BROWSE", yes: { brand: "华为", model: "Mate 70" }, no: null, customerRule: true },
  { code: "CNT-RT-MUSIC-001", type: "CONTENT_SEARCH", yes: { category: "MUSIC", query: "晴天" }, no: { category: "GAME" }, customerRule: false },
  { code: "CNT-RT-READ-001", type: "CONTENT_SEARCH", yes: { category: "READING", query: "三体" }, no: { category: "GAME" }, customerRule: false },
  { code: "CNT-RT-VIDEO-001", type: "CONTENT_SEARCH", yes: { category: "VIDEO", query: "繁花" }, no: { category: "GAME" }, customerRule: false },
];

const LIVE = `subscription ($customerId: ID!) {
  liveOffers(customerId: $customerId) { event { id type } channel decision { eventId offer { id } strategy { code } reasons { kind text } } }
}`;
interface LiveData {
  liveOffers: { event: { id: string; type: string }; channel: string; decision: { eventId: string; offer: { id: string }; strategy: { code: string } | null; reasons: Array<{ kind: string; text: string }> } };
}

interface StrategyInfo {
  code: string;
  scenario: string;
  channels: Array<{ code: ChannelCode }>;
  offers: Array<{ id: string }>;
  trigger: { eventType: string; condition: string; maxDelaySeconds: number } | null;
}

/** Scenarios the event processor handles apart from the trigger table (src/realtime/event-processor.ts). */
const OWN_HANDLING = new Set(["FOLLOW_UP", "PLAN_ADVICE"]);
const followUps = (): Set<string> => new Set([...strategies.values()].filter((s) => s.scenario === "FOLLOW_UP").map((s) => s.code));

let gw: TestGateway;
let redis: Redis;
let live: LiveClient;
let strategies: Map<string, StrategyInfo>;
/** The customers the rows pick from, each used once. */
let customers: string[];
const used = new Set<string>();

before(async () => {
  gw = await startTestGateway();
  redis = testRedis();
  live = new LiveClient(gw.url);
  await openPolicy(gw);
  const list = dataOf(await gw.raw<{ strategies: StrategyInfo[] }>(`{ strategies { code scenario channels { code } offers { id } trigger { eventType condition maxDelaySeconds } } }`)).strategies;
  strategies = new Map(list.map((s) => [s.code, s]));
  customers = await freshIds(50);
});

/**
 * Whether the row's strategy would fire for the customer on any of its channels: asked of the
 * decision's own ranking (nothing is written), to pick the customers each row is meant for.
 */
async function fires(row: Row, customerId: string, payload: Record<string, unknown>): Promise<boolean> {
  const services = gw.app.services;
  const scope = createContext(services);
  const at = new Date();
  const trigger = { eventId: "probe", type: row.type, payload: validatePayload(row.type, payload), at };
  for (const { code } of strategies.get(row.code)?.channels ?? []) {
    const { ranked } = await services.decisioning.rank(scope, customerId, code, { at, push: true, trigger });
    if (ranked.some((c) => c.strategy?.code === row.code)) return true;
  }
  return false;
}

async function pick(row: Row, wanted: boolean): Promise<string> {
  for (const id of customers) {
    if (used.has(id)) continue;
    if ((await fires(row, id, row.yes)) === wanted) {
      used.add(id);
      return id;
    }
  }
  throw new Error(`no customer of the ${customers.length} for whom ${row.code} ${wanted ? "fires" : "does not fire"}`);
}

describe("the operators' trigger table", () => {
  test("covers every event-triggered strategy seeded", () => {
    // Follow-ups (追尾) and plan advice have their own handling and tests (test/story.test.ts).
    const seeded = [...strategies.values()].filter((s) => s.trigger !== null && !OWN_HANDLING.has(s.scenario)).map((s) => s.code).sort();
    assert.deepEqual(seeded, ROWS.map((r) => r.code).sort());
  });

  for (const row of ROWS) {
    test(`${row.type} → ${row.code}: the right offer for a customer it is meant for, nothing when the rule is not met`, async () => {
      const strategy = strategies.get(row.code) ?? assert.fail(`${row.code} is not seeded`);
      assert.equal(strategy.trigger?.eventType, row.type);
      const match = await pick(row, true);
      const other = row.customerRule ? await pick(row, false) : null;
      const forMatch = live.subscribe<LiveData>(LIVE, { customerId: match });
      const forOther = other ? live.subscribe<LiveData>(LIVE, { customerId: other }) : null;
      await subscriptionsOn(gw, other ? 2 : 1);

      const hit: EventArg = { id: eventId("yes"), customerId: match, type: row.type, payload: row.yes };
      const events: EventArg[] = [hit];
      if (row.no) events.push({ id: eventId("no"), customerId: match, type: row.type, payload: row.no });
      if (other) events.push({ id: eventId("other"), customerId: other, type: row.type, payload: row.yes });
      if (strategy.trigger && strategy.trigger.maxDelaySeconds < 600) {
        // "Handset offer within five minutes": an event older than the trigger allows fires nothing.
        events.push({ id: eventId("late"), customerId: match, type: row.type, payload: row.yes, at: new Date(Date.now() - (strategy.trigger.maxDelaySeconds + 60) * 1000).toISOString() });
      }
      // One at a time, in order: the hit first, so a second push could only come from an event that must not fire.
      for (const e of events) assert.equal((await ingest(gw, [e])).accepted, 1);
      await processed(redis, events.map((e) => e.id));

      // A payment also brings its follow-up (追尾) on the channel paid at: that strategy has its own test.
      const table = (): LiveData["liveOffers"][] => forMatch.items.map((d) => d.liveOffers).filter((p) => !followUps().has(p.decision.strategy?.code ?? ""));
      const [push] = await eventually(
        () => {
          const found = table();
          assert.ok(found.length >= 1);
          return found;
        },
        { what: `a push of ${row.code}` },
      );
      assert.ok(push);
      assert.equal(push.event.id, hit.id);
      assert.equal(push.decision.eventId, hit.id);
      assert.equal(push.decision.strategy?.code, row.code);
      assert.ok(strategy.offers.some((o) => o.id === push.decision.offer.id), `offer ${push.decision.offer.id} is one of ${row.code}'s`);
      assert.ok(strategy.channels.some((c) => c.code === push.channel), `pushed on one of ${row.code}'s channels`);
      const reason = push.decision.reasons.find((r) => r.kind === "TRIGGER");
      assert.match(reason?.text ?? "", /^事件触发：/);
      assert.equal(table().length, 1, `only the matching event pushed: ${JSON.stringify(table().map((p) => p.event.id))}`);
      assert.equal(forOther?.items.length ?? 0, 0, "nothing for a customer the rule excludes");
      forMatch.dispose();
      forOther?.dispose();
      await subscriptionsOn(gw, 0);
    });
  }
});
