import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ClaimWorkOrderDocument,
  DispatchWorkOrderDocument,
  NextBestOffersDocument,
  RecordInteractionDocument,
  ReportWorkOrderDocument,
  RespondToOfferDocument,
  SegmentPreviewDocument,
  TrajectoryDocument,
  UnifiedViewDocument,
  WorkOrderDocument,
  WorkOrdersDocument,
} from "../schema/generated/operations";
import type { Team } from "../src/domain/campaigns";
import { keys } from "../src/platform/keys";
import { tokenFor } from "./support/auth";
import { freshSequence } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";

// Work orders answer decisions (holdings, cool-downs, the model): every test works fresh customers of its own.

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Outbound calls and store offers respect quiet hours: decide at the latest 11:00 Beijing time (03:00 UTC) before now. */
const daytime = (): string => new Date(Math.floor((Date.now() - 3 * HOUR) / DAY) * DAY + 3 * HOUR).toISOString();

describe("work orders", () => {
  let gw: TestGateway;
  let n = 0;
  before(async () => {
    gw = await startTestGateway({ workOrders: { sweepEveryMs: 250 }, segmentIndexOnStart: true });
  });
  after(() => {
    gw.app.services.workOrders.clock = { now: () => new Date() };
  });

  /** Moves the pool's clock `ms` ahead of the wall clock (0: back to it). */
  const moveClock = (ms: number): void => {
    gw.app.services.workOrders.clock = { now: () => new Date(Date.now() + ms) };
  };

  const agent = (regions: string[], teams: Team[], name = `wo-agent-${++n}`): Promise<string> => tokenFor({ sub: name, roles: ["AGENT"], agentId: name, regions, teams });

  const codeOf = (r: GraphQLResponse<unknown>): string | undefined => r.errors?.[0]?.extensions?.code;

  /** A fresh reachable customer with a presented decision on `channel`. */
  async function decided(channel: "OUTBOUND_CALL" | "STORE" = "OUTBOUND_CALL"): Promise<{ customerId: string; regionId: string; decision: { id: string; offer: { id: string; product: { id: string } } } }> {
    const seen: string[] = [];
    for await (const g of freshSequence(30, { where: (c) => !c.customer.doNotDisturb })) {
      const made = dataOf(await gw.request(NextBestOffersDocument, { customerId: g.customer.id, channel, limit: 3, context: { at: daytime() } })).nextBestOffers;
      const d = made.find((x) => x.contacted);
      if (d) return { customerId: g.customer.id, regionId: g.customer.regionId, decision: d };
      seen.push(`${g.customer.id}: ${made.map((x) => `${x.offer.code}${x.controlGroup ? "(control)" : "(held)"}`).join(" ") || "none"}`);
    }
    throw new Error(`no fresh customer got a presented ${channel} decision: ${seen.join("; ")}`);
  }

  async function dispatched(channel: "OUTBOUND_CALL" | "STORE" = "OUTBOUND_CALL", dueInMs = HOUR) {
    const made = await decided(channel);
    const order = dataOf(
      await gw.request(DispatchWorkOrderDocument, { decisionId: made.decision.id, kind: channel === "STORE" ? "STORE_VISIT" : "OUTBOUND_CALL", dueAt: new Date(Date.now() + dueInMs).toISOString(), note: "店长跟进" }),
    ).dispatchWorkOrder;
    return { ...made, order };
  }

  const otherCity = (regionId: string): string => (regionId.startsWith("R3301") ? "R3302" : "R3301");

  test("dispatch: one order per decision, visible in the pool only to an agent of its team whose regions cover the customer", async () => {
    const { decision, regionId, order } = await dispatched();
    assert.equal(order.status, "OPEN");
    assert.equal(order.team, "OUTBOUND");
    assert.equal(order.regionId, regionId);
    assert.ok(order.script.length > 0, "the script is the offer's outbound creative");
    const again = dataOf(await gw.request(DispatchWorkOrderDocument, { decisionId: decision.id, kind: "OUTBOUND_CALL", dueAt: new Date(Date.now() + 2 * HOUR).toISOString() })).dispatchWorkOrder;
    assert.equal(again.id, order.id, "a second dispatch returns the first order");

    const right = await agent([regionId.slice(0, 5)], ["OUTBOUND"]);
    const pool = dataOf(await gw.request(WorkOrdersDocument, { status: "OPEN", first: 100 }, right)).workOrders.edges.map((e) => e.node.id);
    assert.ok(pool.includes(order.id), "the right team and region sees it");
    const one = dataOf(await gw.request(WorkOrderDocument, { id: order.id }, right)).workOrder;
    assert.equal(one?.offer?.id, decision.offer.id);
    assert.equal(one?.decision?.id, decision.id);
    assert.match(one?.customer?.msisdn ?? "", /\*/, "the customer is masked, as the desk sees a customer not on the line");

    for (const [who, token] of [
      ["another team", await agent([regionId.slice(0, 5)], ["STORE"])],
      ["another region", await agent([otherCity(regionId)], ["OUTBOUND"])],
      ["no teams claim", await agent([regionId.slice(0, 5)], [])],
    ] as const) {
      const listed = dataOf(await gw.request(WorkOrdersDocument, { first: 100 }, token)).workOrders.edges.map((e) => e.node.id);
      assert.ok(!listed.includes(order.id), `${who} does not see it listed`);
      assert.equal(codeOf(await gw.request(WorkOrderDocument, { id: order.id }, token)), "FORBIDDEN", `${who}: workOrder is FORBIDDEN`);
      const claim = await gw.request(ClaimWorkOrderDocument, { id: order.id }, token);
      assert.equal(codeOf(claim), "FORBIDDEN", `${who} cannot claim it`);
    }
    const supervisor = await tokenFor({ sub: "wo-marketer", roles: ["MARKETER"], regions: [] });
    assert.ok(dataOf(await gw.request(WorkOrdersDocument, { first: 100 }, supervisor)).workOrders.edges.some((e) => e.node.id === order.id), "a MARKETER sees every order");
  });

  test("two agents claim at once: one wins, the other gets CONFLICT saying who holds it", async () => {
    const { regionId, order } = await dispatched();
    const [a, b] = [await agent([regionId], ["OUTBOUND"], "wo-race-a"), await agent([regionId], ["OUTBOUND"], "wo-race-b")];
    const results = await Promise.all([gw.request(ClaimWorkOrderDocument, { id: order.id }, a), gw.request(ClaimWorkOrderDocument, { id: order.id }, b)]);
    const won = results.filter((r) => r.data?.claimWorkOrder);
    const lost = results.filter((r) => r.errors);
    assert.equal(won.length, 1, "one claim wins");
    assert.equal(lost.length, 1);
    assert.equal(codeOf(lost[0] as GraphQLResponse<unknown>), "CONFLICT");
    const holder = won[0]?.data?.claimWorkOrder?.claimedBy;
    assert.ok(holder === "wo-race-a" || holder === "wo-race-b");
    assert.match(lost[0]?.errors?.[0]?.message ?? "", new RegExp(`claimed by agent ${holder}`));
    // the winner's own repeat is harmless
    const repeat = dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, holder === "wo-race-a" ? a : b)).claimWorkOrder;
    assert.equal(repeat.claimedBy, holder);
  });

  test("ACCEPTED closes the loop as respondToOffer does: outcome, holding, trajectory, model", async () => {
    const { customerId, regionId, decision, order } = await dispatched();
    const token = await agent([regionId], ["OUTBOUND"]);
    // Before it holds the order, the agent may not answer the OUTBOUND_CALL decision.
    assert.equal(codeOf(await gw.request(RespondToOfferDocument, { decisionId: decision.id, outcome: "ACCEPTED" }, token)), "FORBIDDEN");
    assert.equal(codeOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "ACCEPTED" }, token)), "FORBIDDEN", "reporting needs a claim");
    dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, token));
    const stranger = await agent([regionId], ["OUTBOUND"]);
    assert.equal(codeOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "ACCEPTED" }, stranger)), "FORBIDDEN", "only the claimer reports");

    const redis = gw.app.services.redis;
    const positives = async (): Promise<number> => Number((await redis.hget(keys.model(decision.offer.id), "n1")) ?? 0);
    const before = await positives();
    const done = dataOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "ACCEPTED", note: "客户同意办理" }, token)).reportWorkOrder;
    assert.equal(done.status, "DONE");
    assert.equal(done.feedback, "ACCEPTED");
    assert.equal(done.note, "客户同意办理");
    const again = dataOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "ACCEPTED" }, token)).reportWorkOrder;
    assert.equal(again.status, "DONE", "a retried report changes nothing");

    assert.equal(dataOf(await gw.request(WorkOrderDocument, { id: order.id })).workOrder?.decision?.outcome, "ACCEPTED");
    const held = dataOf(await gw.request(UnifiedViewDocument, { id: customerId })).customer?.subscriptions.map((s) => s.product.id);
    assert.ok(held?.includes(decision.offer.product.id), "the customer holds the accepted product");
    const contacts = dataOf(await gw.request(TrajectoryDocument, { id: customerId, first: 20 })).customer?.contacts.edges.map((e) => e.node) ?? [];
    assert.equal(contacts.filter((k) => k.kind === "OFFER_RESPONSE" && k.outcome === "ACCEPTED" && k.product?.id === decision.offer.product.id).length, 1);
    assert.equal(await positives(), before + 1, "the model learned one acceptance");
  });

  test("DECLINED answers the decision and closes the order; a later ACCEPTED is refused", async () => {
    const { regionId, order } = await dispatched();
    const token = await agent([regionId], ["OUTBOUND"]);
    dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, token));
    const done = dataOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "DECLINED" }, token)).reportWorkOrder;
    assert.equal(done.status, "DONE");
    assert.equal(dataOf(await gw.request(WorkOrderDocument, { id: order.id })).workOrder?.decision?.outcome, "DECLINED");
    assert.equal(codeOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "ACCEPTED" }, token)), "CONFLICT");
  });

  test("an answer given elsewhere closes the order, OPEN or claimed by another agent, so nobody calls a customer who already answered", async () => {
    const open = await dispatched();
    dataOf(await gw.request(RespondToOfferDocument, { decisionId: open.decision.id, outcome: "ACCEPTED" }));
    const closed = dataOf(await gw.request(WorkOrderDocument, { id: open.order.id })).workOrder;
    assert.equal(closed?.status, "CANCELLED");
    assert.match(closed?.note ?? "", /answered ACCEPTED .*before this order was worked/);
    const token = await agent([open.regionId], ["OUTBOUND"]);
    assert.notEqual(codeOf(await gw.request(ClaimWorkOrderDocument, { id: open.order.id }, token)), undefined, "a closed order cannot be claimed");

    const claimed = await dispatched();
    const holder = await agent([claimed.regionId], ["OUTBOUND"]);
    dataOf(await gw.request(ClaimWorkOrderDocument, { id: claimed.order.id }, holder));
    dataOf(await gw.request(RespondToOfferDocument, { decisionId: claimed.decision.id, outcome: "DECLINED" }));
    assert.equal(dataOf(await gw.request(WorkOrderDocument, { id: claimed.order.id })).workOrder?.status, "CANCELLED", "the claimer is told by the order, not by the customer");
    assert.equal(codeOf(await gw.request(ReportWorkOrderDocument, { id: claimed.order.id, feedback: "ACCEPTED" }, holder)), "CONFLICT");
  });

  test("NOT_REACHED returns the order to the pool for another agent, with one reassignment", async () => {
    const { regionId, order } = await dispatched();
    const [a, b] = [await agent([regionId], ["OUTBOUND"]), await agent([regionId], ["OUTBOUND"])];
    dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, a));
    const back = dataOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "NOT_REACHED" }, a)).reportWorkOrder;
    assert.equal(back.status, "OPEN");
    assert.equal(back.claimedBy, null);
    assert.equal(back.reassignments, 1);
    const taken = dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, b)).claimWorkOrder;
    assert.equal(taken.status, "CLAIMED");
    assert.equal(taken.reassignments, 1);
  });

  test("overdue: a claim past its due time is back in the pool at once, the sweep writes it back, and the next claimer gets time", async () => {
    const { regionId, order } = await dispatched("OUTBOUND_CALL", HOUR);
    const [a, b] = [await agent([regionId], ["OUTBOUND"]), await agent([regionId], ["OUTBOUND"])];
    dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, a));
    const graph = testGraph();
    const stored = async (): Promise<{ status: string; reassignments: number }> =>
      (await graph.session().read<{ status: string; reassignments: number }>("MATCH (w:WorkOrder {id: $id}) RETURN w.status AS status, w.reassignments AS reassignments", { id: order.id }))[0] ?? { status: "", reassignments: -1 };
    try {
      moveClock(HOUR + 60_000);
      const seen = dataOf(await gw.request(WorkOrderDocument, { id: order.id }, b)).workOrder;
      assert.equal(seen?.status, "OPEN", "read as OPEN before any sweep");
      assert.equal(seen?.reassignments, 1);
      const overdue = dataOf(await gw.request(WorkOrdersDocument, { overdue: true, first: 100 }, b)).workOrders.edges.map((e) => e.node.id);
      assert.ok(overdue.includes(order.id), "listed among the overdue");
      assert.equal(codeOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "REACHED" }, a)), "FORBIDDEN", "the lapsed claimer may not report");
      await eventually(async () => assert.deepEqual(await stored(), { status: "OPEN", reassignments: 1 }), { what: "the sweep returned the claim to the pool" });
      const taken = dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, b)).claimWorkOrder;
      assert.equal(taken.claimedBy, (await gw.request(WorkOrderDocument, { id: order.id }, b)).data?.workOrder?.claimedBy);
      assert.ok(new Date(taken.dueAt).getTime() > Date.now() + HOUR + 60_000, "the new claimer gets time beyond the pool's now");
    } finally {
      moveClock(0);
    }
  });

  test("REACHED and CALL_BACK keep the order with the claimer and note the contact in the trajectory", async () => {
    const { customerId, regionId, order } = await dispatched();
    const token = await agent([regionId], ["OUTBOUND"]);
    dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, token));
    const reached = dataOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "REACHED" }, token)).reportWorkOrder;
    assert.equal(reached.status, "CLAIMED");
    assert.equal(reached.feedback, "REACHED");
    assert.equal(codeOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "CALL_BACK" }, token)), "BAD_USER_INPUT", "CALL_BACK needs callBackAt");
    const callBackAt = new Date(Date.now() + 3 * HOUR);
    const later = dataOf(await gw.request(ReportWorkOrderDocument, { id: order.id, feedback: "CALL_BACK", callBackAt: callBackAt.toISOString() }, token)).reportWorkOrder;
    assert.equal(later.status, "CLAIMED");
    assert.equal(new Date(later.dueAt).getTime(), callBackAt.getTime(), "due at the call-back");
    const mine = dataOf(await gw.request(WorkOrdersDocument, { mine: true, first: 100 }, token)).workOrders.edges.map((e) => e.node.id);
    assert.deepEqual(mine, [order.id]);
    const notes = dataOf(await gw.request(TrajectoryDocument, { id: customerId, first: 20 })).customer?.contacts.edges.filter((e) => e.node.kind === "NOTE") ?? [];
    assert.equal(notes.length, 2, "REACHED and CALL_BACK each noted a contact");
    assert.ok(notes.every((e) => e.node.channel.code === "OUTBOUND_CALL"));
  });

  test("recordInteraction: for the customer whose order the agent holds; in the trajectory and a trajectory predicate's preview at once", async () => {
    const { customerId, regionId, order } = await dispatched("STORE");
    const clerk = await agent([regionId], ["STORE"]);
    const input = { customerId, kind: "COMPLAINT" as const, channel: "STORE" as const, summary: "客户投诉营业厅排队时间过长", workOrderId: order.id };
    assert.equal(codeOf(await gw.request(RecordInteractionDocument, { input }, clerk)), "FORBIDDEN", "not before it holds the order or talked to the customer");
    dataOf(await gw.request(ClaimWorkOrderDocument, { id: order.id }, clerk));
    const recorded = dataOf(await gw.request(RecordInteractionDocument, { input }, clerk)).recordInteraction;
    assert.equal(recorded.kind, "COMPLAINT");
    const top = dataOf(await gw.request(TrajectoryDocument, { id: customerId, first: 1 })).customer?.contacts.edges[0]?.node;
    assert.equal(top?.id, recorded.id, "the newest entry of the trajectory");
    assert.equal(top?.summary, input.summary);

    await gw.app.services.segments.index.refreshCustomers([customerId]);
    const marketer = await tokenFor({ sub: "wo-marketer", roles: ["MARKETER"] });
    const members = await eventually(
      async () => {
        const res = await gw.request(SegmentPreviewDocument, { expression: "complained(STORE, 48h)", asOf: new Date().toISOString(), sample: 50 }, marketer);
        const preview = dataOf(res).segmentPreview;
        const ids = preview.sample.map((m) => m.id);
        assert.ok(ids.includes(customerId), `the customer is among ${preview.count} who complained in a store in the last 48 h`);
        return ids;
      },
      { what: "the preview sees the complaint", timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.ok(members.length >= 1);
  });

  test("WorkOrderPool.open (what a campaign wave calls): one order per decision however often a batch is repeated, with its team", async () => {
    const [call, store] = [await decided("OUTBOUND_CALL"), await decided("STORE")];
    const due = new Date(Date.now() + 4 * HOUR).toISOString();
    const requests = [
      { decisionId: call.decision.id, customerId: call.customerId, regionId: call.regionId, kind: "OUTBOUND_CALL" as const, campaignId: "CPTEST", waveId: "WVTEST2", offerId: call.decision.offer.id, script: "您好，这里是10086", dueAt: due },
      { decisionId: store.decision.id, customerId: store.customerId, regionId: store.regionId, kind: "ACCOUNT_MANAGER" as const, campaignId: "CPTEST", waveId: "WVTEST2", offerId: store.decision.offer.id, script: "客户经理回访", dueAt: due },
    ];
    const pool = gw.app.services.workOrders.pool;
    await Promise.all([pool.open(requests), pool.open(requests)]);
    await pool.open(requests);
    const graph = testGraph();
    const rows = await graph.session().read<{ decisionId: string; n: number; team: string; campaignId: string; status: string }>(
      "UNWIND $ids AS id MATCH (w:WorkOrder {decisionId: id}) RETURN id AS decisionId, count(w) AS n, collect(w.team)[0] AS team, collect(w.campaignId)[0] AS campaignId, collect(w.status)[0] AS status",
      { ids: requests.map((r) => r.decisionId) },
    );
    assert.deepEqual(
      rows.map((r) => [r.decisionId, Number(r.n), r.team, r.campaignId, r.status]).sort(),
      [
        [call.decision.id, 1, "OUTBOUND", "CPTEST", "OPEN"],
        [store.decision.id, 1, "ACCOUNT_MANAGER", "CPTEST", "OPEN"],
      ].sort(),
    );
    const manager = await agent([store.regionId], ["ACCOUNT_MANAGER"]);
    const listed = dataOf(await gw.request(WorkOrdersDocument, { kind: "ACCOUNT_MANAGER", first: 100 }, manager)).workOrders.edges.map((e) => e.node);
    assert.ok(listed.some((o) => o.decisionId === store.decision.id && o.waveId === "WVTEST2"), "an account manager of the region sees the wave's order");
  });

  test("recordInteraction: a desk agent for its caller, a SERVICE for its regions; anyone else FORBIDDEN and nothing written", async () => {
    const { customerId, regionId } = await decided("STORE");
    const desk = await agent([otherCity(regionId)], [], "wo-desk");
    const input = { customerId, kind: "CONSULTATION" as const, channel: "HOTLINE" as const, summary: "咨询5G套餐资费" };
    assert.equal(codeOf(await gw.request(RecordInteractionDocument, { input }, desk)), "FORBIDDEN", "no call with the customer yet");
    await gw.app.services.customers.calls?.start({ agentId: "wo-desk", customerId, msisdn: "13800000000", callId: "wo-call-1", startedAt: new Date() });
    assert.equal(dataOf(await gw.request(RecordInteractionDocument, { input }, desk)).recordInteraction.kind, "CONSULTATION", "the caller's agent records, whatever region");
    const service = await tokenFor({ sub: "wo-store-system", roles: ["SERVICE"], regions: [regionId] });
    dataOf(await gw.request(RecordInteractionDocument, { input: { ...input, kind: "NOTE", channel: "STORE", summary: "到店办理咨询" } }, service));
    const elsewhere = await tokenFor({ sub: "wo-other-system", roles: ["SERVICE"], regions: [otherCity(regionId)] });
    assert.equal(codeOf(await gw.request(RecordInteractionDocument, { input }, elsewhere)), "FORBIDDEN");
    const recorded = dataOf(await gw.request(TrajectoryDocument, { id: customerId, first: 10 })).customer?.contacts.edges.filter((e) => ["咨询5G套餐资费", "到店办理咨询"].includes(e.node.summary)) ?? [];
    assert.deepEqual(recorded.map((e) => e.node.kind).sort(), ["CONSULTATION", "NOTE"], "the two allowed interactions, nothing from the refused ones");
  });

  test("bad input: unknown ids, wrong kinds, a past due time, an overlong summary, a non-agent claiming", async () => {
    const { customerId, regionId, decision } = await decided("OUTBOUND_CALL");
    const soon = new Date(Date.now() + HOUR).toISOString();
    const cases: Array<[string, Promise<GraphQLResponse<unknown>>, string, RegExp]> = [
      ["unknown decision", gw.request(DispatchWorkOrderDocument, { decisionId: "DNOSUCH", kind: "OUTBOUND_CALL", dueAt: soon }), "NOT_FOUND", /DNOSUCH/],
      ["kind does not fit the channel", gw.request(DispatchWorkOrderDocument, { decisionId: decision.id, kind: "STORE_VISIT", dueAt: soon }), "BAD_USER_INPUT", /made on OUTBOUND_CALL/],
      ["due in the past", gw.request(DispatchWorkOrderDocument, { decisionId: decision.id, kind: "OUTBOUND_CALL", dueAt: new Date(Date.now() - HOUR).toISOString() }), "BAD_USER_INPUT", /dueAt/],
      ["unknown order", gw.request(ClaimWorkOrderDocument, { id: "WONOSUCH" }, await agent([regionId], ["OUTBOUND"])), "NOT_FOUND", /WONOSUCH/],
      ["a MARKETER claiming", gw.request(ClaimWorkOrderDocument, { id: "WONOSUCH" }, await tokenFor({ roles: ["MARKETER"] })), "FORBIDDEN", /.+/],
      [
        "an overlong summary",
        gw.request(RecordInteractionDocument, { input: { customerId, kind: "NOTE", channel: "HOTLINE", summary: "长".repeat(501) } }),
        "BAD_USER_INPUT",
        /1 to 500 characters/,
      ],
      ["an empty summary", gw.request(RecordInteractionDocument, { input: { customerId, kind: "NOTE", channel: "HOTLINE", summary: "   " } }), "BAD_USER_INPUT", /summary/],
      ["an offer kind", gw.request(RecordInteractionDocument, { input: { customerId, kind: "OFFER_RESPONSE", channel: "HOTLINE", summary: "x" } }), "BAD_USER_INPUT", /CONSULTATION, COMPLAINT, NOTE/],
      ["an unknown customer", gw.request(RecordInteractionDocument, { input: { customerId: "CNOSUCH", kind: "NOTE", channel: "HOTLINE", summary: "x" } }), "NOT_FOUND", /CNOSUCH/],
      ["a bad cursor", gw.request(WorkOrdersDocument, { after: "nonsense", first: 5 }), "BAD_USER_INPUT", /cursor/],
    ];
    for (const [what, pending, code, message] of cases) {
      const res = await pending;
      assert.equal(codeOf(res), code, `${what}: ${JSON.stringify(res.errors)}`);
      assert.match(res.errors?.[0]?.message ?? "", message, what);
    }
    // nothing half-written: the refused dispatches made no order
    const graph = testGraph();
    const [row] = await graph.session().read<{ n: number }>("MATCH (w:WorkOrder {decisionId: $id}) RETURN count(w) AS n", { id: decision.id });
    assert.equal(Number(row?.n), 0);
  });
});
