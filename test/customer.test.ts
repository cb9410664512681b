import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { UnifiedViewByMsisdnDocument, UnifiedViewDocument, type CustomerViewFragment } from "../schema/generated/operations";
import { TAGS } from "../seeds/catalogue";
import { generateCustomerById, type GeneratedCustomer } from "../seeds/generate";
import { freshCustomer } from "./support/customers";
import { TEST_DATA } from "./support/data";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";
import { tokenFor } from "./support/auth";
import { maskName } from "../src/customer360/customer";

const published = new Set(TAGS.filter((t) => t.status === "PUBLISHED").map((t) => t.id));
const expected = (id: string): GeneratedCustomer => {
  const g = generateCustomerById({ seed: TEST_DATA.seed, customers: TEST_DATA.customers, asOf: new Date(TEST_DATA.asOf) }, id);
  assert.ok(g, `${id} is in the test data set`);
  return g;
};
const iso = (t: string): string => new Date(t).toISOString();

/** Asserts that the API's unified view of a customer is what the generator seeded. */
function assertMatchesSeed(view: CustomerViewFragment, g: GeneratedCustomer): void {
  const c = g.customer;
  assert.equal(view.id, c.id);
  assert.equal(view.name, maskName(c.name), "callers not on a call with the customer, without pii:read, see a masked name");
  assert.equal(view.msisdn, `${c.msisdn.slice(0, 3)}****${c.msisdn.slice(7)}`, "and a masked MSISDN");
  assert.equal(view.segment, c.segment);
  assert.equal(view.tenureMonths, c.tenureMonths);
  assert.equal(view.arpu, c.arpu);
  assert.equal(view.valueTier, c.valueTier);
  assert.equal(view.lifecycleStage, c.lifecycleStage);
  assert.equal(view.doNotDisturb, c.doNotDisturb);
  assert.equal(view.region.id, c.regionId);
  assert.equal(view.region.level, "DISTRICT");
  assert.equal(view.region.parent?.parent?.id, "R33");
  assert.deepEqual(view.terminal, { model: c.terminalModel, ageMonths: c.terminalAgeMonths, network: c.networkType });
  assert.equal(view.usage.month, c.usageMonth);
  assert.equal(view.usage.dataUsedMb, Math.round(c.dataUsedMb));
  assert.equal(view.usage.dataQuotaMb, Math.round(c.dataQuotaMb));
  assert.equal(view.usage.avgDataMb3m, Math.round(c.avgDataMb3m));

  assert.deepEqual(
    view.subscriptions.map((h) => [h.product.id, iso(h.since)]).sort(),
    g.holdings.map((h) => [h.productId, iso(h.since)]).sort(),
  );

  const tags = g.tags.filter((t) => published.has(t.tagId));
  assert.deepEqual(view.tags.map((t) => t.tag.id).sort(), tags.map((t) => t.tagId).sort(), "published tags only");
  for (const t of view.tags) {
    const seeded = tags.find((s) => s.tagId === t.tag.id);
    assert.equal(t.value, seeded?.value);
    assert.equal(t.score, seeded?.score);
  }

  assert.deepEqual(view.preferredChannels.map((ch) => ch.code), g.preferredChannels);

  const newestFirst = [...g.contacts].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.id < b.id ? 1 : -1));
  assert.equal(view.contacts.totalCount, g.contacts.length);
  assert.deepEqual(
    view.contacts.edges.map((e) => [e.node.id, iso(e.node.at), e.node.channel.code, e.node.kind, e.node.summary, e.node.product?.id ?? null]),
    newestFirst.slice(0, 20).map((k) => [k.id, iso(k.at), k.channel, k.kind, k.summary, k.productId]),
  );
  assert.equal(view.contacts.pageInfo.hasNextPage, g.contacts.length > 20);

  const circleIds = new Set(view.circle.map((m) => m.customer?.id));
  for (const call of g.calls) {
    const other = call.from === c.id ? call.to : call.from;
    if (view.circle.length < 10) assert.ok(circleIds.has(other), `${other} calls ${c.id} and belongs in the circle`);
  }
  for (let i = 1; i < view.circle.length; i++) assert.ok(view.circle[i - 1]!.strength >= view.circle[i]!.strength, "strongest first");
}

describe("the unified view is what was seeded", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("C0000001, the id the README names", async () => {
    const view = dataOf(await gw.request(UnifiedViewDocument, { id: "C0000001" })).customer;
    assert.ok(view);
    assertMatchesSeed(view, expected("C0000001"));
  });

  test("a spread of customers, including one on do-not-disturb and one in a family", async () => {
    const ids = ["C0000002", "C0000777", "C0001500", "C0002999", "C0003000"];
    const dnd = Array.from({ length: 400 }, (_, i) => expected(`C${String(i + 1).padStart(7, "0")}`)).find((g) => g.customer.doNotDisturb);
    assert.ok(dnd, "about 3% of customers are on do-not-disturb");
    ids.push(dnd.customer.id);
    const family = Array.from({ length: 50 }, (_, i) => expected(`C${String(i + 10).padStart(7, "0")}`)).find((g) =>
      g.memberships.some((m) => m.kind === "FAMILY"),
    );
    assert.ok(family);
    ids.push(family.customer.id);
    const unpublished = Array.from({ length: 400 }, (_, i) => expected(`C${String(i + 1).padStart(7, "0")}`)).find((g) =>
      g.tags.some((t) => !published.has(t.tagId)),
    );
    assert.ok(unpublished, "some customer carries a draft or offline tag, which the API must hide");
    ids.push(unpublished.customer.id);
    for (const id of ids) {
      const view = dataOf(await gw.request(UnifiedViewDocument, { id })).customer;
      assert.ok(view, id);
      assertMatchesSeed(view, expected(id));
    }
    const familyView = dataOf(await gw.request(UnifiedViewDocument, { id: family.customer.id })).customer;
    assert.equal(familyView?.circle[0]?.relation, "FAMILY", "family members are the strongest ties");
  });

  test("a customer a test writes for itself (./support/customers) reads back as generated, under its new ids, family included", async () => {
    const g = await freshCustomer({ withFamily: true, where: (_, family) => family.length >= 3 });
    const view = dataOf(await gw.request(UnifiedViewDocument, { id: g.customer.id })).customer;
    assert.ok(view, g.customer.id);
    assertMatchesSeed(view, g);
    assert.equal(view.circle[0]?.relation, "FAMILY", "its family was written with it");
  });

  test("customerByMsisdn finds the caller from the number a call arrives with, in any common format", async () => {
    const g = expected("C0000042");
    const m = g.customer.msisdn;
    // Looking numbers up is for the current caller's number, or pii:read (test/scoping.test.ts has the former).
    const pii = await tokenFor({ permissions: ["pii:read"] });
    for (const msisdn of [m, `+86${m}`, `+86 ${m.slice(0, 3)}-${m.slice(3, 7)}-${m.slice(7)}`]) {
      const view = dataOf(await gw.request(UnifiedViewByMsisdnDocument, { msisdn }, pii)).customerByMsisdn;
      assert.equal(view?.id, "C0000042");
      assert.equal(view?.msisdn, m, "pii:read sees the number whole");
    }
  });

  test("customers(ids) keeps the order asked and gives null for unknown ids", async () => {
    const res = await gw.raw(`{ customers(ids: ["C0000003", "C7777777", "C0000001"]) { id } }`);
    assert.deepEqual(res.data, { customers: [{ id: "C0000003" }, null, { id: "C0000001" }] });
  });

  test("tags(level1:) filters by family", async () => {
    const res = await gw.raw(`{ customer(id: "C0000001") { all: tags { tag { level1 } } telecom: tags(level1: "Telecom") { tag { level1 } } } }`);
    const data = dataOf(res) as { customer: { all: Array<{ tag: { level1: string } }>; telecom: Array<{ tag: { level1: string } }> } };
    assert.ok(data.customer.telecom.length > 0);
    assert.ok(data.customer.telecom.every((t) => t.tag.level1 === "Telecom"));
    assert.equal(data.customer.telecom.length, data.customer.all.filter((t) => t.tag.level1 === "Telecom").length);
  });
});

describe("the catalogue", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("products of every kind, filterable by kind, with their rules", async () => {
    const all = dataOf(await gw.raw(`{ products { id kind monthlyFee upgradesTo { id } requires { id } excludes { id } } }`)) as {
      products: Array<{ id: string; kind: string; monthlyFee: number; upgradesTo: unknown[]; requires: unknown[]; excludes: unknown[] }>;
    };
    assert.ok(all.products.length >= 40);
    assert.ok(all.products.some((p) => p.upgradesTo.length > 0));
    assert.ok(all.products.some((p) => p.requires.length > 0));
    assert.ok(all.products.some((p) => p.excludes.length > 0));
    const plans = dataOf(await gw.raw(`{ products(kind: PLAN) { kind monthlyFee } }`)) as { products: Array<{ kind: string; monthlyFee: number }> };
    assert.ok(plans.products.length > 0 && plans.products.every((p) => p.kind === "PLAN"));
    const fees = plans.products.map((p) => p.monthlyFee);
    assert.equal(Math.min(...fees), 18);
    assert.equal(Math.max(...fees), 588);
  });

  test("the seven channels", async () => {
    const res = dataOf(await gw.raw(`{ channels { code outbound hasAgent } }`)) as { channels: Array<{ code: string }> };
    assert.deepEqual(res.channels.map((c) => c.code).sort(), ["APP", "HOTLINE", "OUTBOUND_CALL", "SMS", "STORE", "WEB", "WECHAT"]);
  });
});
