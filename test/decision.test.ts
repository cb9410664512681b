import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { NextBestOffersDocument, TrajectoryDocument } from "../schema/generated/operations";
import { canHold, isMainPlan, productById, REQUIRES } from "../seeds/catalogue";
import { createContext } from "../src/server/context";
import { inControlGroup } from "../src/decisioning/control-group";
import { freshCustomer, freshCustomers, freshIds } from "./support/customers";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";
import { tokenFor } from "./support/auth";

// Deciding writes to the customer's trajectory (and counts against its contact caps): every test
// decides for fresh customers of its own (./support/customers).

/** A weekday 11:00 in Beijing: outside quiet hours. */
const DAYTIME = "2026-11-23T03:00:00.000Z";
/** The suite's operator under another name: its requests are its own, not repeats of the operator's. */
const otherDesk = tokenFor({ sub: "test:other-desk" });

/** Could a customer holding `held` take `productId`, a main plan replacing the held one? (the seed catalogue's rules, independent of the graph's Cypher) */
function allowed(productId: string, held: ReadonlySet<string>): boolean {
  if (held.has(productId)) return false;
  const product = productById(productId);
  if (!isMainPlan(product)) return canHold(productId, held);
  const kept = new Set([...held].filter((id) => !isMainPlan(productById(id))));
  if (!canHold(productId, kept)) return false;
  const after = new Set([...kept, productId]);
  return [...kept].every((id) => {
    const needs = REQUIRES.filter((r) => r.from === id).map((r) => r.to);
    return needs.length === 0 || needs.some((n) => after.has(n));
  });
}

describe("next best offers", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("no candidate is held, excluded by a holding, or missing a requirement (50 customers, every ranked candidate)", async () => {
    const decider = gw.app.services.decisioning;
    let checked = 0;
    for (const g of await freshCustomers(50)) {
      const id = g.customer.id;
      const scope = createContext(gw.app.services);
      const { inputs, ranked } = await decider.rank(scope, id, "HOTLINE");
      const held = new Set(inputs.customer.profile?.holdings.map((h) => h.productId));
      assert.deepEqual(held, new Set(g.holdings.map((h) => h.productId)), `${id}: holdings as generated`);
      for (const c of ranked) {
        assert.ok(!held.has(c.offer.productId), `${id} holds ${c.offer.productId} yet was offered ${c.offer.code}`);
        assert.ok(allowed(c.offer.productId, held), `${id} (holding ${[...held].join(",")}) cannot take ${c.offer.productId} (${c.offer.code})`);
        checked += 1;
      }
    }
    assert.ok(checked > 200, `expected many candidates to check, got ${checked}`);
  });

  test("placements: at most `limit`, best first, one strategy and one product kind each, the same answer when asked again", async () => {
    // Not black-listed: those get no offers to compare.
    for (const id of await freshIds(15, { where: (g) => g.customer.dndList !== "BLACK" })) {
      const first = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "HOTLINE", limit: 5 })).nextBestOffers;
      // The same request again is a repeat (test/scoping.test.ts): the same decisions. Another desk's is decided afresh.
      const again = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "HOTLINE", limit: 5 }, await otherDesk)).nextBestOffers;
      assert.ok(first.length <= 5);
      assert.deepEqual(
        again.map((d) => d.offer.id),
        first.map((d) => d.offer.id),
        `${id}: deterministic`,
      );
      assert.notEqual(first[0]?.id, again[0]?.id, "every decision gets its own id");
      const scores = first.map((d) => d.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), `${id}: best first`);
      const strategies = first.flatMap((d) => (d.strategy ? [d.strategy.id] : []));
      assert.equal(new Set(strategies).size, strategies.length, `${id}: one strategy per placement`);
      const kinds = first.map((d) => d.offer.product.kind);
      assert.equal(new Set(kinds).size, kinds.length, `${id}: one offer per product kind`);
    }
  });

  test("every decision explains itself: strategy and segment, score parts that multiply out, a script on agent channels", async () => {
    let graphReasons = 0;
    // With their families: a family member holding the offer is a reason.
    for (const id of await freshIds(25, { withFamily: true })) {
      const decisions = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "HOTLINE", limit: 3 })).nextBestOffers;
      for (const d of decisions) {
        assert.ok(Math.abs(d.score - d.propensity * d.value * d.priority * d.relevance) < 1e-9, "score = propensity × value × priority × relevance");
        assert.ok(d.propensity > 0 && d.propensity < 1);
        const kinds = d.reasons.map((r) => r.kind);
        assert.ok(kinds.includes("SCORE") && kinds.includes("MODEL"), `${d.id}: score and model reasons`);
        if (d.strategy) {
          assert.ok(kinds.includes("STRATEGY") && kinds.includes("SEGMENT"));
          assert.match(d.reasons.find((r) => r.kind === "STRATEGY")?.text ?? "", new RegExp(d.strategy.code));
        } else {
          const modelProposed = d.reasons.some((r) => r.kind === "MODEL" && r.text.startsWith("模型推荐"));
          assert.ok(kinds.includes("GRAPH") || kinds.includes("UPGRADE_PATH") || modelProposed, `${d.id}: an offer without a strategy comes from the graph or the model`);
        }
        for (const r of d.reasons.filter((x) => x.kind === "GRAPH")) {
          assert.match(r.text, /(\d+) 位家庭成员中有 (\d+) 位已办理|通话圈中有 \d+ 位联系人已办理/);
          graphReasons += 1;
        }
        assert.equal(d.channel.code, "HOTLINE");
        if (!d.controlGroup) {
          assert.ok(d.script && d.script.length > 10, "an agent channel gets a script");
          assert.equal(d.script, d.creative);
        }
      }
    }
    assert.ok(graphReasons > 0, "some decisions are supported by the family or calling circle");
  });

  test("family adoption shows as a graph path with the right counts", async () => {
    const decider = gw.app.services.decisioning;
    for (const g of await freshCustomers(40, { withFamily: true })) {
      const id = g.customer.id;
      const { inputs, ranked } = await decider.rank(createContext(gw.app.services), id, "HOTLINE");
      for (const c of ranked.filter((x) => x.familyHolders > 0)) {
        assert.ok(c.familyHolders <= inputs.familySize);
        const members = g.memberships.filter((m) => m.kind === "FAMILY");
        assert.ok(members.length > 0, `${id} has family holders, so it is in a family`);
        return;
      }
    }
    assert.fail("no family adoption among 40 customers");
  });

  test("a decision is written to the trajectory as an offer presented, and the contact links back to it", async () => {
    const id = (await freshCustomer()).customer.id;
    const [d] = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "APP", limit: 1 })).nextBestOffers;
    assert.ok(d, "a decision");
    const page = dataOf(await gw.request(TrajectoryDocument, { id, first: 5 })).customer?.contacts;
    const contact = page?.edges.find((e) => e.node.kind === "OFFER_PRESENTED" && e.node.product?.id === d.offer.product.id)?.node;
    assert.ok(contact, "the newest contacts include the presented offer");
    assert.equal(contact.channel.code, "APP");
    const linked = await gw.raw<{ customer: { contacts: { edges: Array<{ node: { decision: { id: string } | null } }> } } }>(
      `query($id: ID!) { customer(id: $id) { contacts(first: 1) { edges { node { decision { id } } } } } }`,
      { id },
    );
    assert.equal(dataOf(linked).customer.contacts.edges[0]?.node.decision?.id, d.id);
  });

  test("context relevance: offers of the kinds the situation is about count 1.5×", async () => {
    const id = (await freshCustomer()).customer.id;
    const plain = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "WEB", limit: 10 })).nextBestOffers;
    const kind = plain[plain.length - 1]?.offer.product.kind;
    assert.ok(kind);
    const inContext = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "WEB", limit: 10, context: { productKinds: [kind] } })).nextBestOffers;
    const d = inContext.find((x) => x.offer.product.kind === kind);
    assert.equal(d?.relevance, 1.5);
    assert.ok(d?.reasons.some((r) => r.kind === "CONTEXT"));
    assert.ok(inContext.filter((x) => x.offer.product.kind !== kind).every((x) => x.relevance === 1));
  });

  test("a unified view of 20 customers with their offers costs a bounded number of round trips", async () => {
    const twenty = await freshIds(20);
    const res = await gw.raw(`query($ids: [ID!]!) { customers(ids: $ids) { id nextBestOffers(channel: HOTLINE, limit: 2) { id offer { name } } } }`, { ids: twenty });
    dataOf(res);
    // customers, decision inputs (one statement for all 20), and the writes: group-committed, so one
    // transaction, or two when the first customer's decisions are already being written as the rest arrive.
    assert.ok(res.roundTrips <= 4, `expected at most 4 Bolt round trips, got ${res.roundTrips}`);
    const single = await gw.request(NextBestOffersDocument, { customerId: (await freshCustomer()).customer.id, channel: "HOTLINE" });
    assert.ok(single.roundTrips <= 2, `one decision: read and write, got ${single.roundTrips}`);
  });

  describe("contact policy on the decision path", () => {
    test("50 concurrent SMS decisions for one customer send exactly the weekly cap of one", async () => {
      // A customer whose SMS placement is not held back as a control group (that one is never sent).
      const decider = gw.app.services.decisioning;
      let id: string | undefined;
      for (let tries = 0; tries < 30 && !id; tries++) {
        const x = (await freshCustomer({ where: (g) => g.customer.dndList === null })).customer.id;
        const [top] = (await decider.rank(createContext(gw.app.services), x, "SMS")).ranked;
        if (top && !(top.strategy && inControlGroup(top.strategy.id, x, top.strategy.controlShare))) id = x;
      }
      assert.ok(id, "a customer to send an SMS to");
      // Fifty senders: the same request of one sender is a repeat, which decides once by design.
      const senders = await Promise.all(Array.from({ length: 50 }, (_, i) => tokenFor({ sub: `test:sms-sender-${i}` })));
      const answers = await Promise.all(senders.map((token) => gw.request(NextBestOffersDocument, { customerId: id, channel: "SMS", limit: 1, context: { at: DAYTIME } }, token)));
      const sent = answers.flatMap((a) => dataOf(a).nextBestOffers.filter((d) => d.contacted));
      assert.equal(sent.length, 1, "exactly one SMS");
      const page = dataOf(await gw.request(TrajectoryDocument, { id, first: 60, channels: ["SMS"] })).customer?.contacts;
      const presented = page?.edges.filter((e) => e.node.kind === "OFFER_PRESENTED" && e.node.at === DAYTIME) ?? [];
      assert.equal(presented.length, 1, "and one contact in the trajectory");
    });

    test("quiet hours hold pushes back but not a customer's own call", async () => {
      const id = (await freshCustomer({ where: (g) => g.customer.dndList === null })).customer.id;
      const night = "2026-11-23T14:30:00.000Z"; // 22:30 in Beijing
      assert.deepEqual(dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "SMS", context: { at: night } })).nextBestOffers, []);
      assert.deepEqual(dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "APP", context: { at: night, push: true } })).nextBestOffers, []);
      assert.ok(dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "HOTLINE", context: { at: night } })).nextBestOffers.length > 0);
    });

    test("do-not-disturb: the red list gets no outbound offers, the black list none at all", async () => {
      // Picked from the generated customers (about 3% are on a list), so the rest of their data fits.
      const red = (await freshCustomer({ where: (g) => g.customer.dndList === "RED" })).customer;
      const black = (await freshCustomer({ where: (g) => g.customer.dndList === "BLACK" })).customer;
      assert.deepEqual(dataOf(await gw.request(NextBestOffersDocument, { customerId: red.id, channel: "SMS", context: { at: DAYTIME } })).nextBestOffers, []);
      assert.deepEqual(dataOf(await gw.request(NextBestOffersDocument, { customerId: red.id, channel: "OUTBOUND_CALL", context: { at: DAYTIME } })).nextBestOffers, []);
      assert.ok(dataOf(await gw.request(NextBestOffersDocument, { customerId: red.id, channel: "HOTLINE", context: { at: DAYTIME } })).nextBestOffers.length > 0);
      for (const channel of ["HOTLINE", "APP", "SMS"] as const) {
        assert.deepEqual(dataOf(await gw.request(NextBestOffersDocument, { customerId: black.id, channel, context: { at: DAYTIME } })).nextBestOffers, [], channel);
      }
    });
  });

  describe("bad input", () => {
    test("an unknown customer is NOT_FOUND", async () => {
      const res = await gw.request(NextBestOffersDocument, { customerId: "C9999999", channel: "APP" });
      assert.equal(res.errors?.[0]?.extensions?.code, "NOT_FOUND");
      assert.match(res.errors?.[0]?.message ?? "", /C9999999/);
    });

    test("limit outside 1..10 is BAD_USER_INPUT naming the range", async () => {
      const customerId = (await freshCustomer()).customer.id;
      for (const limit of [0, 11, -3]) {
        const res = await gw.request(NextBestOffersDocument, { customerId, channel: "APP", limit });
        assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
        assert.match(res.errors?.[0]?.message ?? "", /between 1 and 10/);
      }
    });

    test("an unknown channel is rejected by validation", async () => {
      const res = await gw.raw(`query ($id: ID!) { nextBestOffers(customerId: $id, channel: FAX) { id } }`, { id: (await freshCustomer()).customer.id });
      assert.ok(res.errors?.[0]?.message.includes("FAX"));
    });
  });
});
