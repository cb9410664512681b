import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { NextBestOffersDocument, RespondToOfferDocument } from "../schema/generated/operations";
import { EVENT_PROCESSOR } from "../src/auth/principal";
import { ProfileStore } from "../src/customer360/profiles";
import { ReferenceData } from "../src/customer360/reference";
import { listProducts } from "../src/graph/catalogue";
import { decisionInputs, type DecisionInputs } from "../src/graph/decision";
import { profilesByIds } from "../src/graph/profiles";
import type { ProductRecord } from "../src/graph/records";
import { keys } from "../src/platform/keys";
import { createLogger } from "../src/platform/logger";
import { createRedis } from "../src/platform/redis";
import type { Graph } from "../src/platform/neo4j";
import { createContext } from "../src/server/context";
import { freshCustomer } from "./support/customers";
import { eventually } from "./support/eventually";
import { AUDIT_AT_THE_END, dataOf, startTestGateway, testGraph, testServices, type TestGateway } from "./support/gateway";
import { eventId, ingest, openPolicy, processed, testRedis } from "./support/live";
import { CuttableProxy } from "./support/proxy";

/**
 * Issue 13, point 1: the live decision profile. Decisions read what they need of a customer from
 * Redis; every change of it (an accepted offer, a billing change, a family member's order)
 * invalidates it before it is answered, so the next decision never sees the old holdings.
 */

/** Inputs in a comparable form: eligibility and upgrades sorted (their order is the graph's, not meaningful). */
function comparable(i: DecisionInputs | null): unknown {
  if (!i) return null;
  const profile = i.customer.profile;
  return {
    // HAS_TAG edges come back in the order the store walks them, which two statements need not share: compared as a set.
    customer: { ...i.customer, profile: profile && { ...profile, tags: [...profile.tags].sort((a, b) => (a.tagId < b.tagId ? -1 : 1)) } },
    familySize: i.familySize,
    circleSize: i.circleSize,
    eligible: [...i.eligible.values()].sort((a, b) => (a.productId < b.productId ? -1 : 1)),
    upgrades: [...i.upgrades].sort((a, b) => (a.join() < b.join() ? -1 : 1)),
  };
}

function storeOn(graph: Graph, redis: Redis, options: { redisTimeoutMs?: number } = {}): ProfileStore {
  return new ProfileStore(graph, redis, new ReferenceData(graph), createLogger("profiles-test", "silent"), options);
}

describe("the profile path equals the graph path", () => {
  test("DecisionInputs from profiles (cold and warm) equal decisionInputs from the graph, field by field, for 300 customers × every product", async () => {
    const graph = testGraph();
    const redis = testRedis(`test:${process.pid}:eq:`);
    const store = storeOn(graph, redis);
    const products = (await listProducts(graph.session())).map((p) => p.id);
    const ids = Array.from({ length: 300 }, (_, i) => `C${String(i + 1).padStart(7, "0")}`);
    const requests = [...ids.map((customerId) => ({ customerId, productIds: products })), { customerId: "CNOSUCH", productIds: products }];
    // In batches of 50, as the request loaders ask: one statement for 300 customers × the catalogue outlasts the read timeout on a busy machine.
    const truth: Array<DecisionInputs | null> = [];
    for (let i = 0; i < requests.length; i += 50) truth.push(...(await decisionInputs(graph.session(), requests.slice(i, i + 50))));
    assert.ok(truth.filter((t) => t && t.eligible.size > 0).length > 250, "most customers have eligible products");
    // Cold: read from the graph (step by step, so the fill is awaited), then warm from Redis.
    const read = await store.read(ids);
    assert.ok(read && read.found.size === 0, "nothing stored yet");
    const loaded = await profilesByIds(graph.session(), ids);
    const stored = await store.fill([...loaded].map(([id, profile]) => ({ id, profile, version: read.versions.get(id) ?? "" })));
    assert.ok(stored.every(Boolean), "every fill stored");
    const warm = await store.read(ids);
    assert.equal(warm?.found.size, ids.length, "every profile in Redis");
    const fromProfiles = await store.inputs(graph.session(), requests);
    requests.forEach((r, i) => assert.deepEqual(comparable(fromProfiles[i] ?? null), comparable(truth[i] ?? null), `customer ${r.customerId}`));
    // Event decisions ask about a few products: the same rules on a subset.
    const few = products.slice(0, 5);
    const subset = ids.map((customerId) => ({ customerId, productIds: few }));
    const [a, b] = [await decisionInputs(graph.session(), subset), await store.inputs(graph.session(), subset)];
    subset.forEach((r, i) => assert.deepEqual(comparable(b[i] ?? null), comparable(a[i] ?? null), `customer ${r.customerId} (few products)`));
  });

  test("a fill racing an invalidation is refused: the version moved between its read and its SET", async () => {
    const graph = testGraph();
    const redis = testRedis(`test:${process.pid}:race:`);
    const store = storeOn(graph, redis);
    const id = "C0000010";
    const read = await store.read([id]);
    assert.ok(read && !read.found.has(id));
    const profile = (await profilesByIds(graph.session(), [id])).get(id);
    assert.ok(profile);
    // The change lands between the fill's version read and its SET.
    store.beforeFill = () => store.invalidate([id]);
    assert.deepEqual(await store.fill([{ id, profile, version: read.versions.get(id) ?? "" }]), [false], "the stale fill is refused");
    assert.equal(await redis.get(keys.profile.value(id)), null, "nothing stored");
    store.beforeFill = null;
    // A fill that read the current version stores.
    const again = await store.read([id]);
    assert.deepEqual(await store.fill([{ id, profile, version: again?.versions.get(id) ?? "" }]), [true]);
    assert.ok(await redis.get(keys.profile.value(id)));
  });

  test("Redis down: the store answers from the graph, no error; back up, it reads Redis again", async () => {
    const graph = testGraph();
    const proxy = await CuttableProxy.start(testServices().redisUrl);
    const redis = testRedis(`test:${process.pid}:down:`);
    const cut = createRedis(proxy.through(testServices().redisUrl), `test:${process.pid}:down:`);
    cut.on("error", () => undefined); // the outage is the point: its connection errors are expected
    try {
      const store = storeOn(graph, cut, { redisTimeoutMs: 300 });
      const products = (await listProducts(graph.session())).map((p) => p.id);
      const requests = ["C0000020", "C0000021"].map((customerId) => ({ customerId, productIds: products }));
      const truth = (await decisionInputs(graph.session(), requests)).map(comparable);
      await store.inputs(graph.session(), requests);
      await eventually(async () => assert.ok(await redis.get(keys.profile.value("C0000021"))), { what: "the profile filled" });
      await proxy.cut();
      assert.deepEqual((await store.inputs(graph.session(), requests)).map(comparable), truth, "answered from the graph");
      // An invalidation while Redis is away is kept and sent before the next read once it is back.
      await store.invalidate(["C0000021"], { neighbours: false });
      await proxy.restore();
      await eventually(async () => assert.deepEqual((await store.inputs(graph.session(), requests)).map(comparable), truth), { what: "reads after Redis returns", timeoutMs: 20_000 });
      assert.equal(await redis.get(keys.profile.value("C0000021")).then((v) => v === null || typeof v === "string"), true);
    } finally {
      cut.disconnect();
    }
  });
});

describe("decisions never see a stale holding", () => {
  let gw: TestGateway;
  let redis: Redis;
  let products: Map<string, ProductRecord>;

  before(async () => {
    gw = await startTestGateway({ audit: AUDIT_AT_THE_END });
    redis = testRedis();
    await openPolicy(gw);
    products = await gw.app.services.reference.products();
  });

  /** The inputs and ranking a decision for the customer would use now (no policy, nothing written), through a fresh context as a request gets. */
  const rank = (customerId: string) => gw.app.services.decisioning.rank(createContext(gw.app.services, EVENT_PROCESSOR), customerId, "HOTLINE");
  const cached = (customerId: string) => eventually(async () => assert.ok(await redis.get(keys.profile.value(customerId))), { what: `${customerId}'s profile filled` });
  const warm = async (customerId: string): Promise<DecisionInputs> => {
    const { inputs } = await rank(customerId);
    await cached(customerId);
    return inputs;
  };

  test("a warm profile costs no graph statement for the inputs", async () => {
    const id = (await freshCustomer()).customer.id;
    const stats = gw.app.services.graph.stats;
    await warm(id);
    await rank(id); // the marketing snapshot and reference data are cached by now
    const before = stats.started;
    const { inputs } = await rank(id);
    assert.equal(stats.started - before, 0, "no graph statement");
    assert.equal(inputs.customer.id, id);
    await gw.app.services.customers.profiles?.invalidate([id]);
    const cold = stats.started;
    await rank(id);
    assert.ok(stats.started - cold >= 1, "a miss reads the graph");
  });

  test("after an ACCEPTED offer the next decision never proposes the product, and sees what it EXCLUDES, every time", async () => {
    const id = (await freshCustomer({ where: (g) => g.customer.dndList === null })).customer.id;
    const relations = await gw.app.services.reference.relations();
    let accepted = 0;
    for (let round = 0; round < 6 && accepted < 4; round++) {
      await warm(id);
      const decisions = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: round % 2 ? "APP" : "HOTLINE", limit: 3 })).nextBestOffers;
      const d = decisions.find((x) => x.contacted);
      if (!d) continue;
      await cached(id);
      const productId = d.offer.product.id;
      dataOf(await gw.request(RespondToOfferDocument, { decisionId: d.id, outcome: "ACCEPTED" }));
      accepted += 1;
      // At once: no waiting, no retry.
      const { inputs, ranked } = await rank(id);
      const held = (inputs.customer.profile?.holdings ?? []).map((h) => h.productId);
      assert.ok(held.includes(productId), `${productId} held after its acceptance`);
      assert.ok(!inputs.eligible.has(productId) && !ranked.some((c) => c.offer.productId === productId), `${productId} never proposed again`);
      const excluded = relations.excludes.get(productId) ?? new Set<string>();
      assert.ok(!held.some((h) => excluded.has(h)), `what ${productId} excludes is no longer held`);
      assert.ok(![...inputs.eligible.keys()].some((p) => excluded.has(p)), `nothing ${productId} excludes is eligible`);
      // The same products a decision judges (every ACTIVE offer's).
      const candidates = (await gw.app.services.marketing.snapshot()).candidateProductIds;
      const truth = (await decisionInputs(gw.app.services.graph.session(), [{ customerId: id, productIds: candidates }]))[0];
      assert.deepEqual(comparable(inputs), comparable(truth ?? null), "the profile equals the graph");
    }
    assert.ok(accepted >= 2, `at least two acceptances happened (${accepted})`);
  });

  test("PRODUCT_ORDERED and PRODUCT_CANCELLED from billing change the next decision as soon as the event is processed", async () => {
    const id = (await freshCustomer()).customer.id;
    const before = await warm(id);
    const addOn = [...before.eligible.keys()].find((p) => products.get(p)?.kind !== "PLAN" && products.get(p)?.kind !== "FAMILY_PLAN");
    assert.ok(addOn, "an eligible add-on to order");
    const order = { id: eventId("profile-order"), customerId: id, type: "PRODUCT_ORDERED", payload: { productId: addOn } };
    await ingest(gw, [order]);
    assert.equal((await processed(redis, [order.id])).get(order.id), "done");
    const after = await rank(id);
    assert.ok((after.inputs.customer.profile?.holdings ?? []).some((h) => h.productId === addOn), "held at once");
    assert.ok(!after.inputs.eligible.has(addOn), "no longer eligible at once");
    await cached(id);
    const cancel = { id: eventId("profile-cancel"), customerId: id, type: "PRODUCT_CANCELLED", payload: { productId: addOn } };
    await ingest(gw, [cancel]);
    assert.equal((await processed(redis, [cancel.id])).get(cancel.id), "done");
    const cancelled = await rank(id);
    assert.ok(!(cancelled.inputs.customer.profile?.holdings ?? []).some((h) => h.productId === addOn), "gone at once");
    assert.ok(cancelled.inputs.eligible.has(addOn), "eligible again at once");
  });

  test("a family member's new holding moves the customer's family adoption count at once", async () => {
    const g = await freshCustomer({ withFamily: true, where: (_c, family) => family.length >= 2 });
    const id = g.customer.id;
    const truth = (await decisionInputs(gw.app.services.graph.session(), [{ customerId: id, productIds: [...products.keys()] }]))[0];
    assert.ok(truth && truth.familySize >= 1, "the customer has family in the graph");
    const member = (await gw.app.services.graph.session().read<{ id: string }>(
      `MATCH (:Customer {id: $id})-[:MEMBER_OF]->(:Group {kind: 'FAMILY'})<-[:MEMBER_OF]-(m:Customer) RETURN m.id AS id LIMIT 1`,
      { id },
    ))[0]?.id;
    assert.ok(member);
    const memberHolds = new Set(((await rank(member)).inputs.customer.profile?.holdings ?? []).map((h) => h.productId));
    const before = await warm(id);
    const target = [...before.eligible.values()].find((s) => !memberHolds.has(s.productId) && products.get(s.productId)?.kind !== "PLAN" && products.get(s.productId)?.kind !== "FAMILY_PLAN");
    assert.ok(target, "a product the customer may take and the member does not hold");
    const order = { id: eventId("profile-family"), customerId: member, type: "PRODUCT_ORDERED", payload: { productId: target.productId } };
    await ingest(gw, [order]);
    assert.equal((await processed(redis, [order.id])).get(order.id), "done");
    const after = await rank(id);
    assert.equal(after.inputs.eligible.get(target.productId)?.familyHolders, target.familyHolders + 1, "one more family holder at once");
  });
});
