import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { createContext } from "../src/server/context";
import { keys } from "../src/platform/keys";
import type { StoryHold } from "../src/domain/campaigns";
import { freshIds } from "./support/customers";
import { proposeAndApply } from "./support/approval";
import { eventually } from "./support/eventually";
import { parseHold } from "../src/decisioning/story";
import { serviceChannel } from "../src/realtime/event-processor";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, processed, subscriptionsOn, testRedis } from "./support/live";

// Issue 12 points 5 and 6: strategy and offer versions, one story across channels (the campaign's
// story hold), plan-query advice and 追尾 follow-ups. Every test uses fresh customers of its own.

const NBO = `query ($customerId: ID!, $channel: ChannelCode!, $limit: Int!) {
  nextBestOffers(customerId: $customerId, channel: $channel, limit: $limit) { id offer { id } strategyVersion offerVersion contacted reasons { kind text } }
}`;
interface Nbo {
  nextBestOffers: Array<{ id: string; offer: { id: string }; strategyVersion: number | null; offerVersion: number; contacted: boolean; reasons: Array<{ kind: string; text: string }> }>;
}
const RESPOND = `mutation ($decisionId: ID!, $outcome: ResponseOutcome!) { respondToOffer(decisionId: $decisionId, outcome: $outcome) { id outcome } }`;
const LIVE = `subscription ($customerId: ID!) {
  liveOffers(customerId: $customerId) {
    channel event { id type }
    decision { id offer { id product { id } } strategy { code } reasons { kind text } }
    advice { currentPlanId advisedPlanId monthlySaving summary }
  }
}`;
interface LiveData {
  liveOffers: {
    channel: string;
    event: { id: string; type: string };
    decision: { id: string; offer: { id: string; product: { id: string } }; strategy: { code: string } | null; reasons: Array<{ kind: string; text: string }> };
    advice: { currentPlanId: string; advisedPlanId: string; monthlySaving: number; summary: string } | null;
  };
}

let gw: TestGateway;
let redis: Redis;
let live: LiveClient;
let customers: string[];

before(async () => {
  gw = await startTestGateway();
  redis = testRedis();
  live = new LiveClient(gw.url);
  await openPolicy(gw);
  customers = await freshIds(40);
});

let next = 0;
const customer = (): string => customers[next++] ?? assert.fail("out of fresh customers");

const nbo = async (customerId: string, channel: string, limit = 3): Promise<Nbo["nextBestOffers"]> =>
  dataOf(await gw.raw<Nbo>(NBO, { customerId, channel, limit })).nextBestOffers;

/** An offer the customer may take (product eligible) that is not what HOTLINE would put first anyway. */
async function heldOfferFor(customerId: string): Promise<{ offerId: string; strategyId: string }> {
  const services = gw.app.services;
  // Ranked without deciding: a decision asked for here would be answered again from DecideOnce's memory.
  const { inputs, ranked } = await services.decisioning.rank(createContext(services), customerId, "HOTLINE");
  const usual = ranked[0]?.offer.id;
  const snapshot = await services.marketing.snapshot();
  for (const s of snapshot.active) {
    if (s.trigger) continue;
    for (const offerId of s.offerIds) {
      const offer = snapshot.offers.get(offerId);
      if (offer && offer.id !== usual && inputs.eligible.has(offer.productId)) return { offerId, strategyId: s.id };
    }
  }
  return assert.fail(`no eligible offer for ${customerId}`);
}

/** Writes a hold exactly as the campaigns service does: JSON StoryHold under keys.campaigns.story with a PX TTL. */
async function hold(customerId: string, offer: { offerId: string; strategyId: string }, ttlMs = 60_000, until = new Date(Date.now() + ttlMs)): Promise<StoryHold> {
  const h: StoryHold = { campaignId: "CPTEST", waveId: "W1", strategyId: offer.strategyId, offerId: offer.offerId, decisionId: `DWAVE${customerId}`, until: until.toISOString() };
  await redis.set(keys.campaigns.story(customerId), JSON.stringify(h), "PX", ttlMs);
  return h;
}

describe("reading a hold and the service's channel", () => {
  test("a hold is read only in the contract's shape and before its until", () => {
    const at = new Date("2026-11-30T10:00:00.000Z");
    const good = { campaignId: "CP1", waveId: "W1", strategyId: "ST01", offerId: "OF01", decisionId: "D1", until: "2026-11-30T11:00:00.000Z" };
    assert.deepEqual(parseHold(JSON.stringify(good), at), good);
    assert.equal(parseHold(JSON.stringify({ ...good, until: "2026-11-30T09:59:59.000Z" }), at), null, "lapsed");
    assert.equal(parseHold(JSON.stringify({ ...good, offerId: 7 }), at), null, "not the contract's shape");
    assert.equal(parseHold("{not json", at), null);
    assert.equal(parseHold(null, at), null);
  });

  test("a follow-up goes where the service happened; the app (as a push) when nobody is at that channel", () => {
    assert.deepEqual(serviceChannel("STORE"), { channel: "STORE", present: true });
    assert.deepEqual(serviceChannel("AGENT"), { channel: "STORE", present: true });
    assert.deepEqual(serviceChannel("HOTLINE"), { channel: "HOTLINE", present: true });
    assert.deepEqual(serviceChannel("BANK"), { channel: "APP", present: false });
    assert.deepEqual(serviceChannel("ONSITE"), { channel: "APP", present: false });
    assert.deepEqual(serviceChannel(null), { channel: "APP", present: false });
  });
});

describe("one story across channels", () => {
  test("with a hold, HOTLINE, APP and STORE all put the held offer first; an answer releases it and the usual ranking returns", async () => {
    const id = customer();
    const held = await heldOfferFor(id);
    await hold(id, held);
    const answered: string[] = [];
    for (const channel of ["HOTLINE", "APP", "STORE"]) {
      const [first] = await nbo(id, channel);
      assert.equal(first?.offer.id, held.offerId, `${channel} puts the held offer first`);
      assert.match(first.reasons[0]?.text ?? "", /CPTEST/);
      assert.equal(first.reasons[0]?.kind, "STORY");
      assert.equal(first.contacted, true, "a held offer is never held out by the strategy's control group");
      answered.push(first.id);
    }
    dataOf(await gw.raw(RESPOND, { decisionId: answered[1], outcome: "CLICKED" }));
    assert.equal(await redis.exists(keys.campaigns.story(id)), 0, "the answer released the hold");
    const after = await nbo(id, "HOTLINE", 2);
    assert.ok(after.every((d) => d.reasons.every((r) => r.kind !== "STORY")), "no story any more");
  });

  test("an expired hold does nothing", async () => {
    const id = customer();
    const held = await heldOfferFor(id);
    await hold(id, held, 60_000, new Date(Date.now() - 1_000));
    const decisions = await nbo(id, "STORE", 1);
    assert.notEqual(decisions[0]?.offer.id, held.offerId);
    assert.ok(decisions.every((d) => d.reasons.every((r) => r.kind !== "STORY")));
  });

  test("a hold whose offer became ineligible (the customer holds the product) is skipped", async () => {
    const id = customer();
    const services = gw.app.services;
    const snapshot = await services.marketing.snapshot();
    const { inputs } = await services.decisioning.rank(createContext(services), id, "HOTLINE");
    const found = inputs.customer;
    const heldProducts = new Set(found.profile?.holdings.map((h) => h.productId) ?? []);
    const offer = [...snapshot.offers.values()].find((o) => o.status === "ACTIVE" && heldProducts.has(o.productId)) ?? assert.fail("no offer of a held product");
    await hold(id, { offerId: offer.id, strategyId: snapshot.active[0]?.id ?? "ST01" });
    const decisions = await nbo(id, "HOTLINE");
    assert.ok(decisions.every((d) => d.offer.id !== offer.id && d.reasons.every((r) => r.kind !== "STORY")));
  });
});

describe("versions", () => {
  test("an approved change bumps the offer's version, keeps it as an OfferVersion, and decisions record the version they came from", async () => {
    const id = customer();
    const held = await heldOfferFor(id);
    type Listed = { id: string; version: number; priority: number; versions: Array<{ version: number; changeId: string | null; content: { priority: number } }> };
    const list = async (): Promise<Listed[]> => dataOf(await gw.raw<{ offers: Listed[] }>(`{ offers { id version priority versions { version changeId content } } }`)).offers;
    const was = (await list()).find((o) => o.id === held.offerId) ?? assert.fail("offer missing");
    const applied = await proposeAndApply<{ updateOffer: { version: number; pendingChange: { id: string } } }>(
      gw,
      `mutation ($id: ID!, $input: OfferInput!) { updateOffer(id: $id, input: $input) { version pendingChange { id } } }`,
      { id: held.offerId, input: { priority: 1.01 } },
    );
    assert.equal(applied.updateOffer.version, was.version + 1, "the proposal shows the version it would make");
    // The snapshot is invalidated on every replica behind the approval.
    const now = await eventually(
      async () => {
        const o = (await list()).find((x) => x.id === held.offerId);
        assert.equal(o?.version, was.version + 1);
        return o as NonNullable<typeof o>;
      },
      { what: "the new version in the snapshot" },
    );
    assert.equal(now.versions[0]?.version, was.version + 1);
    assert.equal(now.versions[0]?.changeId, applied.updateOffer.pendingChange.id);
    assert.equal(now.versions[0]?.content.priority, 1.01);
    // The version before is kept too: the seed's content is recorded as version 1 at its first change.
    assert.equal(now.versions[1]?.version, was.version);
    assert.equal(now.versions[1]?.content.priority, was.priority);
    await hold(id, held);
    const [first] = await nbo(id, "HOTLINE", 1);
    assert.equal(first?.offer.id, held.offerId);
    assert.equal(first?.offerVersion, was.version + 1, "the decision records the offer's version");
    assert.equal(first?.strategyVersion, 1, "a seeded strategy is version 1");
  });
});

describe("follow-ups (追尾) and plan-query advice", () => {
  const followUp = async (customerId: string, type: string, payload: Record<string, unknown>, strategyCode: string, channel: string): Promise<LiveData["liveOffers"]> => {
    const sub = live.subscribe<LiveData>(LIVE, { customerId });
    await subscriptionsOn(gw, 1);
    const e = { id: eventId(type), customerId, type, payload };
    assert.equal((await ingest(gw, [e])).accepted, 1);
    await processed(redis, [e.id]);
    const items = await sub.atLeast(1);
    const push = items.map((d) => d.liveOffers).find((p) => p.decision.strategy?.code === strategyCode || p.decision.reasons.some((r) => r.kind === "STORY"));
    sub.dispose();
    await subscriptionsOn(gw, 0);
    assert.ok(push, `a follow-up of ${strategyCode}: ${JSON.stringify(items)}`);
    assert.equal(push.channel, channel);
    assert.equal(push.event.id, e.id);
    return push;
  };

  test("a BILL_PAYMENT at a store brings a follow-up offer on STORE", async () => {
    await followUp(customer(), "BILL_PAYMENT", { amount: 50, channel: "STORE" }, "MOB-FU-PAY-001", "STORE");
  });

  test("a plan change (PRODUCT_ORDERED of a plan) brings one, in the app", async () => {
    await followUp(customer(), "PRODUCT_ORDERED", { productCode: "5G-PLAN-128" }, "MOB-FU-PLAN-001", "APP");
  });

  test("a SERVICE_COMPLETED repair brings one where it happened", async () => {
    await followUp(customer(), "SERVICE_COMPLETED", { service: "REPAIR", channel: "HOTLINE" }, "HOM-FU-REPAIR-001", "HOTLINE");
  });

  test("with a story hold active, the follow-up is the held offer", async () => {
    const id = customer();
    const held = await heldOfferFor(id);
    await hold(id, held);
    const push = await followUp(id, "BILL_PAYMENT", { amount: 50, channel: "STORE" }, "__none__", "STORE");
    assert.equal(push.decision.offer.id, held.offerId);
    assert.equal(push.decision.reasons[0]?.kind, "STORY");
  });

  test("a PLAN_QUERY of a customer whose usage fits another plan brings that plan's offer, with the advice", async () => {
    const services = gw.app.services;
    const scope = createContext(services);
    const snapshot = await services.marketing.snapshot();
    const planOffers = new Set(["OF08", "OF09", "OF10", "OF11", "OF12", "OF13", "OF14"].map((o) => snapshot.offers.get(o)?.productId));
    let chosen: { id: string; planId: string } | null = null;
    for (const id of customers.slice(next)) {
      const c = (await services.decisioning.rank(scope, id, "APP")).inputs.customer;
      const advice = await services.advice.planAdvice(scope, c);
      if (advice?.recommended && planOffers.has(advice.recommended.plan.id)) {
        chosen = { id, planId: advice.recommended.plan.id };
        break;
      }
    }
    assert.ok(chosen, "a fresh customer whose usage fits another seeded plan");
    next = customers.indexOf(chosen.id) + 1;
    const push = await followUp(chosen.id, "PLAN_QUERY", { channel: "APP" }, "MOB-RT-PLANQ-001", "APP");
    assert.equal(push.decision.offer.product.id, chosen.planId, "the offer is for the advised plan");
    assert.equal(push.advice?.advisedPlanId, chosen.planId);
    assert.ok((push.advice?.monthlySaving ?? 0) > 0);
    assert.ok(push.decision.reasons.some((r) => r.kind === "ADVICE"));
  });
});
