import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { NextBestOffersDocument, RespondToOfferDocument, TrajectoryDocument } from "../schema/generated/operations";
import { productByCode } from "../seeds/catalogue";
import { STRATEGIES } from "../seeds/marketing";
import { inControlGroup } from "../src/decisioning/control-group";
import { freshCustomer, freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { applyChange } from "./support/approval";
import { tokenFor } from "./support/auth";

// Strategies created here are valid from 2030 only, so the decisions other test files make now
// never see them; the customers this file decides for "in 2030" are fresh ones of its own.
const FUTURE = "2030-01-01T00:00:00.000Z";
const IN_FUTURE = "2030-06-03T03:00:00.000Z";

function errorOf(res: GraphQLResponse<unknown>): { code: string | undefined; message: string; argument: unknown } {
  const e = res.errors?.[0];
  assert.ok(e, `expected an error, got ${JSON.stringify(res.data)}`);
  return { code: e.extensions?.code, message: e.message, argument: e.extensions?.argument };
}

// Every change is a proposal (maker-checker): the mutations answer with the target as proposed and
// its pending change, which applyChange approves as a second principal.
const PENDING = "pendingChange { id status action }";
const CREATE_SEGMENT = `mutation($input: SegmentInput!) { createSegment(input: $input) { id code name expression ${PENDING} } }`;
const CREATE_OFFER = `mutation($input: OfferInput!) { createOffer(input: $input) { id code status product { code } creatives { channel text } ${PENDING} } }`;
const CREATE_STRATEGY = `mutation($input: StrategyInput!) { createStrategy(input: $input) { id code status priority controlShare segment { id } offers { id } channels { code } ${PENDING} } }`;

interface Pending {
  pendingChange: { id: string; status: string; action: string };
}

describe("strategies, offers and segments", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("the seeded set: every strategy has its segment, offers and channels, and a structured code", async () => {
    const res = await gw.raw<{ strategies: Array<{ code: string; status: string; segment: { expression: string }; offers: Array<{ id: string }>; channels: Array<{ code: string }> }> }>(
      `{ strategies { code status segment { expression } offers { id } channels { code } } }`,
    );
    const strategies = dataOf(res).strategies;
    for (const seeded of STRATEGIES) {
      const s = strategies.find((x) => x.code === seeded.code);
      assert.ok(s, seeded.code);
      assert.match(s.code, /^[A-Z]+-[A-Z]+-[A-Z0-9]+-\d{3}$/);
      assert.deepEqual(
        s.offers.map((o) => o.id),
        [...seeded.offerIds].sort(),
      );
      assert.deepEqual(new Set(s.channels.map((c) => c.code)), new Set(seeded.channels));
      assert.ok(s.segment.expression.length > 0);
    }
  });

  describe("a strategy created, used, changed and retired", () => {
    let segmentId = "";
    let offerId = "";
    let strategyId = "";

    test("create a segment, an offer and a strategy: each a proposal, in force once approved", async () => {
      const segment = dataOf(await gw.raw<{ createSegment: { id: string; expression: string } & Pending }>(CREATE_SEGMENT, { input: { code: "TEST_EVERYONE", name: "测试：全部客户", expression: "ALL" } })).createSegment;
      segmentId = segment.id;
      assert.deepEqual({ status: segment.pendingChange.status, action: segment.pendingChange.action }, { status: "PENDING", action: "CREATE" });
      const segmentsBefore = dataOf(await gw.raw<{ segments: Array<{ id: string }> }>(`{ segments { id } }`)).segments;
      assert.ok(!segmentsBefore.some((g) => g.id === segmentId), "a proposed segment is not in force before approval");
      assert.equal((await applyChange(gw, segment)).status, "APPROVED");
      const offer = dataOf(
        await gw.raw<{ createOffer: { id: string; status: string; product: { code: string }; creatives: Array<{ channel: string }> } & Pending }>(CREATE_OFFER, {
          input: {
            code: "OFF-TEST-READ",
            name: "测试阅读会员",
            productId: productByCode("CNT-MIGU-READ").id,
            creatives: [
              { channel: "HOTLINE", text: "为您推荐咪咕阅读会员，每月6元。" },
              { channel: "APP", text: "咪咕阅读会员 6元/月" },
            ],
            value: 500,
            priority: 5,
            basePropensity: 0.5,
            validFrom: FUTURE,
          },
        }),
      ).createOffer;
      offerId = offer.id;
      assert.equal(offer.status, "ACTIVE");
      assert.equal(offer.product.code, "CNT-MIGU-READ");
      assert.deepEqual(offer.creatives.map((c) => c.channel).sort(), ["APP", "HOTLINE"]);
      await applyChange(gw, offer);
      const inForce = dataOf(await gw.raw<{ offers: Array<{ id: string; status: string; product: { code: string }; creatives: Array<{ channel: string; text: string }> }> }>(`{ offers { id status product { code } creatives { channel text } } }`)).offers.find(
        (o) => o.id === offerId,
      );
      assert.deepEqual(inForce, { id: offerId, status: offer.status, product: offer.product, creatives: offer.creatives }, "the offer in force is the one proposed");
      const strategy = dataOf(
        await gw.raw<{ createStrategy: { id: string; code: string; controlShare: number; segment: { id: string }; offers: Array<{ id: string }>; channels: Array<{ code: string }> } & Pending }>(CREATE_STRATEGY, {
          input: {
            code: "CNT-TST-ALL-901",
            name: "测试策略",
            businessLine: "CONTENT",
            scenario: "CROSS_SELL",
            segmentId,
            offerIds: [offerId],
            channels: ["HOTLINE", "APP"],
            priority: 10,
            controlShare: 0.5,
            validFrom: FUTURE,
          },
        }),
      ).createStrategy;
      strategyId = strategy.id;
      assert.equal(strategy.segment.id, segmentId);
      assert.deepEqual(strategy.offers, [{ id: offerId }]);
      assert.equal(strategy.controlShare, 0.5);
      assert.equal(dataOf(await gw.raw<{ strategy: unknown }>(`query($id: ID!) { strategy(id: $id) { id } }`, { id: strategyId })).strategy, null, "not in force before approval");
      await applyChange(gw, strategy);
      const approved = dataOf(
        await gw.raw<{ strategy: Record<string, unknown> | null }>(`query($id: ID!) { strategy(id: $id) { id code status priority controlShare segment { id } offers { id } channels { code } pendingChange { id } } }`, { id: strategyId }),
      ).strategy;
      assert.deepEqual(approved, { ...strategy, pendingChange: null }, "the strategy in force is the one proposed, and nothing waits");
    });

    test("it wins the placement in 2030, and half its targets are a control group: decided for, not contacted, not in the trajectory", async () => {
      let control = 0;
      let contacted = 0;
      for (const id of await freshIds(40)) {
        const [d] = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "HOTLINE", limit: 1, context: { at: IN_FUTURE } })).nextBestOffers;
        if (!d || d.offer.id !== offerId) continue; // customers who already hold the product
        assert.equal(d.strategy?.id, strategyId);
        const expected = inControlGroup(strategyId, id, 0.5);
        assert.equal(d.controlGroup, expected, `${id}: control group membership is the strategy's stable hash`);
        assert.equal(d.contacted, !expected);
        const trajectory = dataOf(await gw.request(TrajectoryDocument, { id, first: 3 })).customer?.contacts.edges ?? [];
        const presented = trajectory.some((e) => e.node.kind === "OFFER_PRESENTED" && e.node.at === IN_FUTURE);
        if (expected) {
          control += 1;
          assert.equal(d.script, null, "nothing to say to a control-group customer");
          assert.ok(d.reasons.some((r) => r.kind === "CONTROL_GROUP"));
          assert.ok(!presented, `${id}: a control-group decision is not a contact`);
          const answer = await gw.request(RespondToOfferDocument, { decisionId: d.id, outcome: "ACCEPTED" });
          assert.equal(answer.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
        } else {
          contacted += 1;
          assert.ok(d.script?.includes("咪咕阅读"));
          assert.ok(presented, `${id}: a contacted decision is in the trajectory`);
        }
      }
      assert.ok(control >= 8 && contacted >= 8, `both groups are well filled: ${control} control, ${contacted} contacted`);
    });

    test("today, before its validity, nobody gets it", async () => {
      for (const id of await freshIds(5)) {
        const decisions = dataOf(await gw.request(NextBestOffersDocument, { customerId: id, channel: "HOTLINE", limit: 10 })).nextBestOffers;
        assert.ok(!decisions.some((d) => d.offer.id === offerId));
      }
    });

    test("update changes only what is given, and decisions use the change at once", async () => {
      const res = await gw.raw<{ updateStrategy: { code: string; controlShare: number; priority: number; channels: Array<{ code: string }> } & Pending }>(
        `mutation($id: ID!, $input: StrategyInput!) { updateStrategy(id: $id, input: $input) { code controlShare priority channels { code } ${PENDING} } }`,
        { id: strategyId, input: { controlShare: 0, channels: ["APP"] } },
      );
      const updated = dataOf(res).updateStrategy;
      assert.equal(updated.code, "CNT-TST-ALL-901");
      assert.equal(updated.priority, 10);
      assert.equal(updated.controlShare, 0);
      assert.deepEqual(updated.channels.map((c) => c.code), ["APP"]);
      assert.equal(updated.pendingChange.action, "UPDATE");
      const waiting = dataOf(await gw.raw<{ strategy: { controlShare: number; pendingChange: { id: string } | null } }>(`query($id: ID!) { strategy(id: $id) { controlShare pendingChange { id } } }`, { id: strategyId })).strategy;
      assert.deepEqual(waiting, { controlShare: 0.5, pendingChange: { id: updated.pendingChange.id } }, "in force: the strategy as it was, with the change waiting");
      await applyChange(gw, updated);
      // Someone the offer can go to: not holding its product, not on a do-not-disturb list.
      const reads = productByCode("CNT-MIGU-READ").id;
      const reachable = await freshCustomer({ where: (g) => g.customer.dndList === null && !g.holdings.some((h) => h.productId === reads) });
      const [onApp] = dataOf(await gw.request(NextBestOffersDocument, { customerId: reachable.customer.id, channel: "APP", limit: 1, context: { at: IN_FUTURE } })).nextBestOffers;
      assert.equal(onApp?.offer.id, offerId);
      assert.equal(onApp?.controlGroup, false);
      const onHotline = dataOf(await gw.request(NextBestOffersDocument, { customerId: (await freshCustomer()).customer.id, channel: "HOTLINE", limit: 10, context: { at: IN_FUTURE } })).nextBestOffers;
      assert.ok(!onHotline.some((d) => d.strategy?.id === strategyId), "the strategy no longer uses the hotline");
    });

    test("a change made through one replica reaches the others at once, not after their cache expires", async () => {
      const other = await startTestGateway();
      const priorityOn = async (gateway: TestGateway): Promise<number | undefined> =>
        dataOf(await gateway.raw<{ strategy: { priority: number } | null }>(`query($id: ID!) { strategy(id: $id) { priority } }`, { id: strategyId })).strategy?.priority;
      assert.equal(await priorityOn(other), 10, "the other replica has the strategy cached");
      await applyChange(gw, await gw.raw(`mutation($id: ID!) { updateStrategy(id: $id, input: { priority: 7 }) { id pendingChange { id } } }`, { id: strategyId }));
      // Polled: the other replica's cache says nothing when the invalidation reaches it.
      await eventually(async () => assert.equal(await priorityOn(other), 7), { what: "the other replica seeing the change (its cache lives 60 s)", timeoutMs: 2_000 });
    });

    test("a retired strategy or offer takes part in no decision", async () => {
      const retired = await gw.raw<{ retireStrategy: { status: string } & Pending }>(`mutation($id: ID!) { retireStrategy(id: $id) { status ${PENDING} } }`, { id: strategyId });
      assert.equal(dataOf(retired).retireStrategy.status, "RETIRED");
      assert.equal(dataOf(retired).retireStrategy.pendingChange.action, "RETIRE");
      await applyChange(gw, retired);
      const decisions = dataOf(await gw.request(NextBestOffersDocument, { customerId: (await freshCustomer()).customer.id, channel: "APP", limit: 10, context: { at: IN_FUTURE } })).nextBestOffers;
      assert.ok(!decisions.some((d) => d.strategy?.id === strategyId));
      const offer = await gw.raw<{ retireOffer: { status: string } & Pending }>(`mutation($id: ID!) { retireOffer(id: $id) { status ${PENDING} } }`, { id: offerId });
      assert.equal(dataOf(offer).retireOffer.status, "RETIRED");
      await applyChange(gw, offer);
      const active = dataOf(await gw.raw<{ offers: Array<{ id: string }> }>(`{ offers(status: ACTIVE) { id } }`)).offers;
      assert.ok(!active.some((o) => o.id === offerId));
    });
  });

  test("an offer scoped to a city is proposed there and nowhere else", async () => {
    const at = "2031-06-03T03:00:00.000Z";
    const segment = dataOf(await gw.raw<{ createSegment: { id: string } & Pending }>(CREATE_SEGMENT, { input: { code: "TEST_EVERYONE_2031", name: "测试：全部客户", expression: "ALL" } })).createSegment;
    await applyChange(gw, segment);
    const offer = dataOf(
      await gw.raw<{ createOffer: { id: string } & Pending }>(CREATE_OFFER, {
        input: {
          code: "OFF-TEST-HANGZHOU",
          name: "杭州专享音乐会员",
          productId: productByCode("CNT-MIGU-MUSIC").id,
          creatives: [{ channel: "HOTLINE", text: "杭州客户专享：咪咕音乐会员首月免费。" }],
          value: 500,
          priority: 5,
          basePropensity: 0.5,
          regionIds: ["R3301"],
          validFrom: "2031-01-01T00:00:00Z",
        },
      }),
    ).createOffer;
    await applyChange(gw, offer);
    await applyChange(
      gw,
      await gw.raw(CREATE_STRATEGY, {
        input: {
          code: "CNT-TST-CITY-903",
          name: "杭州测试策略",
          businessLine: "CONTENT",
          scenario: "CROSS_SELL",
          segmentId: segment.id,
          offerIds: [offer.id],
          channels: ["HOTLINE"],
          priority: 10,
          controlShare: 0,
          validFrom: "2031-01-01T00:00:00Z",
        },
      }),
    );
    const regions = await gw.raw<{ customers: Array<{ id: string; region: { parent: { id: string } } }> }>(`query($ids: [ID!]!) { customers(ids: $ids) { id region { parent { id } } } }`, {
      ids: await freshIds(60),
    });
    let inCity = 0;
    let elsewhere = 0;
    for (const c of dataOf(regions).customers) {
      const decisions = dataOf(await gw.request(NextBestOffersDocument, { customerId: c.id, channel: "HOTLINE", limit: 10, context: { at } })).nextBestOffers;
      const got = decisions.some((d) => d.offer.id === offer.id);
      if (c.region.parent.id === "R3301") {
        inCity += 1;
        const holds = dataOf(await gw.raw<{ customer: { subscriptions: Array<{ product: { code: string } }> } }>(`query($id: ID!) { customer(id: $id) { subscriptions { product { code } } } }`, { id: c.id })).customer.subscriptions.some(
          (s) => s.product.code === "CNT-MIGU-MUSIC",
        );
        assert.equal(got, !holds, `${c.id} in Hangzhou`);
      } else {
        elsewhere += 1;
        assert.equal(got, false, `${c.id} outside Hangzhou`);
      }
    }
    assert.ok(inCity > 0 && elsewhere > 0, `customers on both sides: ${inCity} in Hangzhou, ${elsewhere} elsewhere`);
  });

  describe("bad input is BAD_USER_INPUT naming the field, and nothing is written (no entity, no pending change)", () => {
    // A proposer of this file's own, so "no change was stored" can be counted while other files propose too.
    const author = `test:bad-input:${process.pid}`;
    let marketer = "";
    before(async () => {
      marketer = await tokenFor({ sub: author, roles: ["MARKETER"] });
    });
    const changesStored = async (): Promise<number> =>
      dataOf(await gw.raw<{ pendingChanges: { totalCount: number } }>(`query($author: String) { pendingChanges(author: $author, status: null) { totalCount } }`, { author })).pendingChanges.totalCount;

    const strategyInput = {
      code: "MOB-TST-BAD-902",
      name: "坏策略",
      businessLine: "MOBILE",
      scenario: "RETENTION",
      segmentId: "SG01",
      offerIds: ["OF01"],
      channels: ["HOTLINE"],
    };

    test("strategy fields", async () => {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ code: "retention-1" }, "code", /not a valid code.*MOB-RET-CHURN-001/],
        [{ code: "MOB-RET-CHURN-001" }, "code", /already used by ST01/],
        [{ segmentId: "SG99" }, "segmentId", /SG99 is not a segment/],
        [{ offerIds: ["OF01", "OF404"] }, "offerIds", /OF404/],
        [{ offerIds: [] }, "offerIds", /at least one offer/],
        [{ channels: [] }, "channels", /at least one channel/],
        [{ controlShare: 0.9 }, "controlShare", /at most 0.5; got 0.9/],
        [{ priority: 0 }, "priority", /greater than 0/],
        [{ validFrom: "2027-01-01T00:00:00Z", validUntil: "2026-12-01T00:00:00Z" }, "validUntil", /must be after/],
        [{ name: "   " }, "name", /must not be empty/],
      ];
      for (const [change, argument, message] of cases) {
        const e = errorOf(await gw.raw(CREATE_STRATEGY, { input: { ...strategyInput, ...change } }, marketer));
        assert.equal(e.code, "BAD_USER_INPUT", JSON.stringify(change));
        assert.equal(e.argument, argument, JSON.stringify(change));
        assert.match(e.message, message);
      }
      const all = dataOf(await gw.raw<{ strategies: Array<{ code: string }> }>(`{ strategies { code } }`)).strategies;
      assert.ok(!all.some((s) => s.code === "MOB-TST-BAD-902"), "no strategy was written");
      assert.equal(await changesStored(), 0, "no change was stored");
    });

    test("a segment expression that does not parse names the column", async () => {
      const e = errorOf(await gw.raw(CREATE_SEGMENT, { input: { code: "TEST_BAD", name: "坏客群", expression: "TEL_DATA_HEAVY AND arpu >= " } }, marketer));
      assert.equal(e.code, "BAD_USER_INPUT");
      assert.match(e.message, /column/);
      const unknown = errorOf(await gw.raw(CREATE_SEGMENT, { input: { code: "TEST_BAD", name: "坏客群", expression: "TEL_NO_SUCH_TAG" } }, marketer));
      assert.match(unknown.message, /TEL_NO_SUCH_TAG/);
      assert.equal(await changesStored(), 0, "no change was stored");
    });

    test("offer fields", async () => {
      const base = { code: "OFF-TEST-BAD", name: "坏offer", productId: "P001", creatives: [{ channel: "SMS", text: "短信" }], value: 10 };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ productId: "P999" }, "productId"],
        [{ creatives: [] }, "creatives"],
        [{ creatives: [{ channel: "SMS", text: "a" }, { channel: "SMS", text: "b" }] }, "creatives"],
        [{ regionIds: ["R9999"] }, "regionIds"],
        [{ basePropensity: 1.5 }, "basePropensity"],
        [{ value: -1 }, "value"],
        [{ value: undefined }, "value"],
      ];
      for (const [change, argument] of cases) {
        const e = errorOf(await gw.raw(CREATE_OFFER, { input: { ...base, ...change } }, marketer));
        assert.equal(e.code, "BAD_USER_INPUT", JSON.stringify(change));
        assert.equal(e.argument, argument, JSON.stringify(change));
      }
      assert.equal(await changesStored(), 0, "no change was stored");
    });

    test("creates proposed at the same moment get an id each (none overwrites another); the same code twice is BAD_USER_INPUT for one", async () => {
      const tag = process.pid.toString(36).toUpperCase();
      const created = await Promise.all(
        Array.from({ length: 6 }, (_, i) => gw.raw<{ createSegment: { id: string; code: string } & Pending }>(CREATE_SEGMENT, { input: { code: `TEST_RACE_${tag}_${i}`, name: `并发${i}`, expression: "ALL" } })),
      );
      const segments = created.map((r) => dataOf(r).createSegment);
      assert.equal(new Set(segments.map((g) => g.id)).size, 6, `each proposal reserved an id of its own: ${JSON.stringify(segments)}`);
      await Promise.all(segments.map((g) => applyChange(gw, g)));
      const stored = dataOf(await gw.raw<{ segments: Array<{ id: string; code: string }> }>(`{ segments { id code } }`)).segments;
      for (const g of segments) assert.ok(stored.some((x) => x.id === g.id && x.code === g.code), `${g.code} is stored under ${g.id}`);

      const same = await Promise.all(
        Array.from({ length: 3 }, () => gw.raw<{ createSegment: Pending }>(CREATE_SEGMENT, { input: { code: `TEST_SAME_${tag}`, name: "同码", expression: "ALL" } })),
      );
      assert.equal(same.filter((r) => !r.errors).length, 1, JSON.stringify(same.map((r) => r.errors)));
      for (const r of same.filter((x) => x.errors)) {
        assert.equal(r.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
        assert.equal(r.errors?.[0]?.extensions?.argument, "code");
        assert.match(r.errors?.[0]?.message ?? "", /claimed by change CH\w+/, "it names the pending change holding the code");
      }
      // Once the code is in force, proposing it again is refused as before (the code is used).
      await applyChange(gw, dataOf(same.find((r) => !r.errors)!).createSegment);
      const again = errorOf(await gw.raw(CREATE_SEGMENT, { input: { code: `TEST_SAME_${tag}`, name: "同码", expression: "ALL" } }));
      assert.equal(again.code, "BAD_USER_INPUT");
      assert.match(again.message, /already used by SG\d+/);
    });

    test("changing something that does not exist is NOT_FOUND", async () => {
      const e = errorOf(await gw.raw(`mutation { retireStrategy(id: "ST999") { id } }`));
      assert.equal(e.code, "NOT_FOUND");
    });
  });
});
