import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { NextBestOffersDocument, RespondToOfferDocument, UnifiedViewBatchDocument, UnifiedViewDocument } from "../schema/generated/operations";
import type { Principal } from "../src/auth/principal";
import { RequestAccess } from "../src/customer360/access";
import { createLoaders } from "../src/customer360/loaders";
import { ProfileStore } from "../src/customer360/profiles";
import { ReferenceData } from "../src/customer360/reference";
import type { CircleMemberRecord } from "../src/graph/customer";
import { isOutOfScope, type CustomerRecord, type OutOfScope } from "../src/graph/records";
import { keys } from "../src/platform/keys";
import { createLogger } from "../src/platform/logger";
import { tokenFor } from "./support/auth";
import { freshCustomer } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type TestGateway } from "./support/gateway";
import { eventId, ingest, openPolicy, processed, testRedis } from "./support/live";

/**
 * Issue 13, point 4: the unified view reads its profile part (the customer, holdings, tags,
 * preferences, usage, circle) from the live profile in Redis; only the trajectory page goes to
 * Neo4j. Same answers as the graph path, fresh after every change that invalidates the profile,
 * the same scope and the same audit trail.
 */

const ids = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `C${String(from + i).padStart(7, "0")}`);

/** A customer in a comparable form: tags as a set (HAS_TAG edges come back in the store's order, which two statements need not share). */
function comparable(c: CustomerRecord | OutOfScope | null | Error): unknown {
  if (c instanceof Error) throw c;
  if (!c || isOutOfScope(c)) return c;
  return { ...c, profile: c.profile && { ...c.profile, tags: [...c.profile.tags].sort((a, b) => (a.tagId < b.tagId ? -1 : 1)) } };
}

/** A circle in a comparable form: a member's properties (the graph's circle reads no profile for it; the live one carries it). */
function comparableCircle(members: CircleMemberRecord[] | Error): unknown {
  if (members instanceof Error) throw members;
  return members.map((m) => ({ ...m, customer: m.customer && { ...m.customer, profile: undefined } }));
}

describe("the view from live profiles equals the view from the graph", () => {
  test("customers and circles (limit 50), cold, warm, and with the members warm too, under a region scope with customers and members outside it", async () => {
    const graph = testGraph();
    const redis = testRedis(`test:${process.pid}:view-eq:`);
    const store = new ProfileStore(graph, redis, new ReferenceData(graph), createLogger("view-profile-test", "silent"));
    const asked = [...ids(60, 1), "CNOSUCH"];
    const [first] = await graph.session().read<{ regionId: string }>(`MATCH (c:Customer {id: 'C0000001'}) RETURN c.regionId AS regionId`);
    assert.ok(first);
    // A city's agent: some of the 60 and many of their members lie outside it.
    const principal: Principal = { id: "view-eq", roles: new Set(["AGENT"]), regions: [first.regionId.slice(0, 5)], agentId: null, teams: [], customerId: null, expiresAt: null, permissions: new Set() };
    const access = (): RequestAccess => new RequestAccess(principal, null);
    const circleRequests = asked.map((customerId) => ({ key: `${customerId}|50`, customerId, limit: 50 }));

    const fromGraph = createLoaders(graph.session(), access(), null);
    const truth = (await fromGraph.customer.loadMany(asked)).map(comparable);
    const truthCircles = (await fromGraph.circle.loadMany(circleRequests)).map(comparableCircle);
    assert.ok(truth.some((c) => isOutOfScope(c)) && truth.some((c) => c && !isOutOfScope(c)), "customers on both sides of the scope");
    const members = truthCircles.flat() as Array<{ customer: unknown }>;
    assert.ok(members.some((m) => m.customer === null) && members.some((m) => m.customer !== null), "members on both sides of the scope");

    const viewed = async (what: string): Promise<void> => {
      const loaders = createLoaders(graph.session(), access(), store);
      assert.deepEqual((await loaders.customer.loadMany(asked)).map(comparable), truth, `customers (${what})`);
      assert.deepEqual((await loaders.circle.loadMany(circleRequests)).map(comparableCircle), truthCircles, `circles (${what})`);
    };
    await viewed("cold");
    assert.equal((await store.read(asked))?.found.size, 0, "a view fills no profile");
    await store.profiles(graph.session(), asked.slice(0, 30));
    await eventually(async () => assert.equal((await store.read(asked))?.found.size, 30), { what: "30 profiles filled" });
    await viewed("half warm");
    await store.profiles(graph.session(), asked);
    await eventually(async () => assert.equal((await store.read(asked))?.found.size, 60), { what: "the 60 profiles filled" });
    await viewed("warm");
    const memberIds = [...new Set((await fromGraph.circle.loadMany(circleRequests)).flatMap((m) => (m instanceof Error ? [] : m.map((x) => x.customer?.id ?? ""))).filter(Boolean))];
    await store.profiles(graph.session(), memberIds);
    await eventually(async () => assert.equal((await store.read(memberIds))?.found.size, memberIds.length), { what: "the members' profiles filled" });
    await viewed("warm, members from their profiles");
  });
});

describe("the unified view through the gateway", () => {
  let gw: TestGateway;
  let redis: Redis;

  before(async () => {
    gw = await startTestGateway({ audit: { lingerMs: 20, claimAfterMs: 500 } });
    redis = testRedis();
    await openPolicy(gw);
  });

  const filled = (customerId: string) => eventually(async () => assert.ok(await redis.get(keys.profile.value(customerId))), { what: `${customerId}'s profile filled` });
  /** Fills the live profiles of `customerIds` as a decision for them does (a view fills none). */
  const warm = async (customerIds: readonly string[]): Promise<void> => {
    await gw.app.services.customers.profiles?.profiles(gw.app.services.graph.session(), customerIds);
    await Promise.all(customerIds.map(filled));
  };
  /** The view of `customerId`, once its profile is warm. */
  const warmView = async (customerId: string) => {
    await warm([customerId]);
    return gw.request(UnifiedViewDocument, { id: customerId });
  };
  /**
   * Fills the profiles of `customerIds` and of their circle members (10 shown): a view fills its
   * customers' profiles, not its members' (their own views and decisions do), so a test that
   * counts round trips of a wholly warm view fills them itself.
   */
  const warmWithMembers = async (customerIds: readonly string[]): Promise<void> => {
    const views = dataOf(await gw.request(UnifiedViewBatchDocument, { ids: [...customerIds] })).customers;
    const members = views.flatMap((v) => v?.circle.flatMap((m) => (m.customer ? [m.customer.id] : [])) ?? []);
    await warm([...new Set([...customerIds, ...members])]);
  };

  test("a warm view costs one Bolt round trip (the trajectory page), and 50 customers cost what one does", async () => {
    const fresh = (await freshCustomer()).customer.id;
    const cold = await gw.request(UnifiedViewDocument, { id: fresh });
    assert.equal(cold.roundTrips, 3, "a cold customer: the customer, its circle and its page from the graph");
    assert.equal(await redis.get(keys.profile.value(fresh)), null, "a view fills no profile");
    const own = await warmView("C0000301");
    // Its members' profiles are not filled by its view: they are read in one light statement beside the page.
    assert.ok(own.roundTrips <= 2, `a warm customer with cold members: at most 2 round trips, got ${own.roundTrips}`);
    await warmWithMembers(["C0000301"]);
    const one = await gw.request(UnifiedViewDocument, { id: "C0000301" });
    assert.equal(one.roundTrips, 1, "the trajectory page only");
    const fifty = ids(50, 310);
    await warmWithMembers(fifty);
    const warm = await gw.request(UnifiedViewBatchDocument, { ids: fifty });
    assert.equal(dataOf(warm).customers.length, 50);
    assert.equal(warm.roundTrips, 1, "the 50 trajectory pages in one statement");
  });

  test("after an ACCEPTED offer the view shows the new holding at once", async () => {
    const id = (await freshCustomer({ where: (g) => g.customer.dndList === null })).customer.id;
    let accepted: string | null = null;
    for (let round = 0; round < 6 && !accepted; round++) {
      await warmView(id);
      const decisions = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: round % 2 ? "APP" : "HOTLINE", limit: 3 })).nextBestOffers;
      const d = decisions.find((x) => x.contacted);
      if (!d) continue;
      const held = dataOf(await warmView(id)).customer?.subscriptions.map((s) => s.product.id) ?? [];
      assert.ok(!held.includes(d.offer.product.id), "not held before");
      dataOf(await gw.request(RespondToOfferDocument, { decisionId: d.id, outcome: "ACCEPTED" }));
      accepted = d.offer.product.id;
    }
    assert.ok(accepted, "an offer was accepted");
    // At once: no waiting, no retry.
    const view = dataOf(await gw.request(UnifiedViewDocument, { id })).customer;
    assert.ok(view?.subscriptions.some((s) => s.product.id === accepted), `${accepted} shown held after its acceptance`);
  });

  test("after billing and CRM change events the view shows them as soon as the event is processed", async () => {
    const g = await freshCustomer();
    const id = g.customer.id;
    const before = dataOf(await warmView(id)).customer;
    assert.ok(before);
    const products = await gw.app.services.reference.products();
    const held = new Set(before.subscriptions.map((s) => s.product.id));
    const addOn = [...products.values()].find((p) => p.kind !== "PLAN" && p.kind !== "FAMILY_PLAN" && !held.has(p.id));
    assert.ok(addOn);
    const tier = (["LOW", "MEDIUM", "HIGH", "PREMIUM"] as const).find((t) => t !== before.valueTier);
    const events = [
      { id: eventId("view-order"), customerId: id, type: "PRODUCT_ORDERED", payload: { productId: addOn.id } },
      { id: eventId("view-crm"), customerId: id, type: "PROFILE_CHANGE", payload: { valueTier: tier } },
    ];
    await ingest(gw, events);
    const states = await processed(redis, events.map((e) => e.id));
    assert.deepEqual([...states.values()], ["done", "done"]);
    const after = dataOf(await gw.request(UnifiedViewDocument, { id })).customer;
    assert.ok(after?.subscriptions.some((s) => s.product.id === addOn.id), "the ordered product shown at once");
    assert.equal(after?.valueTier, tier, "the CRM's value tier shown at once");
  });

  test("a customer outside the token's scope gives only its id from a profile hit; circle members outside it stay masked", async () => {
    const [inside, outside] = await gw.app.services.graph.session().read<{ id: string; regionId: string }>(
      `MATCH (a:Customer {id: 'C0000401'}) MATCH (b:Customer) WHERE b.id STARTS WITH 'C00004' AND substring(b.regionId, 0, 5) <> substring(a.regionId, 0, 5)
       WITH a, b ORDER BY b.id LIMIT 1 UNWIND [a, b] AS c RETURN c.id AS id, c.regionId AS regionId`,
    );
    assert.ok(inside && outside);
    await warmWithMembers([outside.id, inside.id]);
    const agent = await tokenFor({ sub: `view-${process.pid}-agent`, roles: ["AGENT"], regions: [inside.regionId.slice(0, 5)] });
    const refused = await gw.request(UnifiedViewBatchDocument, { ids: [outside.id, inside.id] }, agent);
    assert.equal(refused.roundTrips, 1, "both from their profiles");
    assert.equal(refused.data?.customers[0], null);
    assert.equal(refused.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.deepEqual(refused.errors?.[0]?.path, ["customers", 0]);
    const body = JSON.stringify(refused);
    const [outsider] = await gw.app.services.graph.session().read<{ name: string; msisdn: string }>(`MATCH (c:Customer {id: $id}) RETURN c.name AS name, c.msisdn AS msisdn`, { id: outside.id });
    assert.ok(outsider && !body.includes(outsider.msisdn) && !body.includes(outsider.name), "nothing of the outsider but its id");
    const view = refused.data?.customers[1];
    assert.equal(view?.id, inside.id);
    for (const m of view?.circle ?? []) {
      if (m.customer === null) assert.match(m.msisdn, /^\d{3}\*{4}\d{4}$/, "an outside member's number masked");
    }
  });

  test("the audit trail records a view served from the profiles: the customer and the members shown", async () => {
    const id = "C0000042";
    await warmWithMembers([id]);
    const agent = `view-${process.pid}-audit`;
    const token = await tokenFor({ sub: agent, roles: ["AGENT"], regions: ["R33"], agentId: "A-view" });
    const admin = await tokenFor({ sub: `view-${process.pid}-admin`, roles: ["ADMIN"] });
    const res = await gw.raw<{ customer: { id: string; circle: Array<{ customer: { id: string } | null }> } }>(
      `query UnifiedView($id: ID!) { customer(id: $id) { id name msisdn tags { tag { code } } circle(limit: 3) { strength customer { id name } } } }`,
      { id },
      token,
    );
    assert.equal(res.roundTrips, 0, "nothing read from the graph");
    const members = [...new Set(dataOf(res).customer.circle.flatMap((m) => (m.customer ? [m.customer.id] : [])))];
    type Entry = { customerId: string; fields: string[]; operation: string };
    const entries = await eventually(
      async () => {
        const found = dataOf(
          await gw.raw<{ auditTrail: { edges: Array<{ node: Entry }> } }>(
            `query ($filter: AuditFilterInput) { auditTrail(filter: $filter, first: 50) { edges { node { customerId fields operation } } } }`,
            { filter: { principalId: agent } },
            admin,
          ),
        ).auditTrail.edges.map((e) => e.node);
        assert.equal(found.length, 1 + members.length);
        return found;
      },
      { what: "the view's audit entries", timeoutMs: 15_000 },
    );
    assert.deepEqual(entries.find((e) => e.customerId === id)?.fields, ["circle", "msisdn", "name", "tags"]);
    for (const m of members) assert.deepEqual(entries.find((e) => e.customerId === m)?.fields, ["name"], `member ${m}`);
  });
});
