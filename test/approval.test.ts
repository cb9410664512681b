import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ChangeDocument, NextBestOffersDocument, PendingChangesDocument, RejectChangeDocument, WithdrawChangeDocument } from "../schema/generated/operations";
import { productByCode } from "../seeds/catalogue";
import { freshIds } from "./support/customers";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { applyChange, changeIdOf } from "./support/approval";
import { tokenFor } from "./support/auth";
import { teardown } from "./support/leftovers";

/**
 * Maker-checker (src/approval/): changes that reach customers are proposals until a second
 * principal approves them. The security issue's case first: a creative asking the customer to read
 * out an SMS verification code reaches no agent's script until approved, and a rejected one never.
 *
 * Everything this file creates is valid from 2033 only and decided for fresh customers of its own,
 * so no other file's decisions see it; its principals carry this process's id, so its queue
 * filters (author) see only its own changes while other files propose too.
 */

const IN_2033 = "2033-06-06T03:00:00.000Z";
const FROM_2033 = "2033-01-01T00:00:00.000Z";
const SMS_CODE = "请客户报出短信验证码";
const PID = process.pid.toString(36).toUpperCase();
const VIDEO = productByCode("CNT-MIGU-VIDEO").id;

const codeOf = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;
const messageOf = (res: GraphQLResponse<unknown>): string => res.errors?.[0]?.message ?? "";

interface ChangeView {
  id: string;
  kind: string;
  targetId: string;
  action: string;
  status: string;
  author: string;
  decidedBy: string | null;
  reason: string | null;
}
const CHANGE = "id kind targetId action status author decidedBy reason";
const APPROVE = `mutation($id: ID!, $reason: String) { approveChange(id: $id, reason: $reason) { ${CHANGE} } }`;
const UPDATE_OFFER = `mutation($id: ID!, $input: OfferInput!) { updateOffer(id: $id, input: $input) { id priority creatives { channel text } pendingChange { ${CHANGE} } } }`;
const CREATE_OFFER = `mutation($input: OfferInput!) { createOffer(input: $input) { id code status pendingChange { ${CHANGE} } } }`;
const CREATE_SEGMENT = `mutation($input: SegmentInput!) { createSegment(input: $input) { id code expression pendingChange { ${CHANGE} } } }`;

type Proposal<K extends string, T = Record<string, unknown>> = { [key in K]: T & { id: string; pendingChange: ChangeView } };

describe("maker-checker: changes that reach customers need a second principal", () => {
  let gw: TestGateway;
  /** People of the marketing centre and operations, by subject. */
  const who = {
    marketer: `test:marketer:${PID}`,
    marketer2: `test:marketer2:${PID}`,
    approver: `test:approver:${PID}`,
    approver2: `test:approver2:${PID}`,
    admin: `test:admin:${PID}`,
    admin2: `test:admin2:${PID}`,
  };
  const tokens = { marketer: "", marketer2: "", lead: "", approver: "", approver2: "", admin: "", admin2: "" };
  let offerId = "";
  let strategyId = "";
  /** Customers an offer of CNT-MIGU-VIDEO can go to on the hotline (not holding it, not black-listed). */
  let callers: string[] = [];

  const approve = async (id: string, token: string, g: TestGateway = gw): Promise<GraphQLResponse<{ approveChange: ChangeView }>> => g.raw(APPROVE, { id }, token);
  const changeById = async (id: string): Promise<ChangeView | null> => dataOf(await gw.raw<{ change: ChangeView | null }>(`query($id: ID!) { change(id: $id) { ${CHANGE} } }`, { id })).change;

  /** What the hotline agent is given to say about this file's offer, per caller, in 2033. */
  const scripts = async (): Promise<string[]> => {
    const said: string[] = [];
    for (const customerId of callers) {
      const decisions = dataOf(await gw.request(NextBestOffersDocument, { customerId, channel: "HOTLINE", limit: 10, context: { at: IN_2033 } })).nextBestOffers;
      const mine = decisions.find((d) => d.offer.id === offerId);
      assert.ok(mine, `${customerId} is offered this file's offer on the hotline`);
      said.push(mine.script ?? "");
    }
    return said;
  };

  before(async () => {
    gw = await startTestGateway();
    tokens.marketer = await tokenFor({ sub: who.marketer, roles: ["MARKETER"] });
    tokens.marketer2 = await tokenFor({ sub: who.marketer2, roles: ["MARKETER"] });
    // A marketing lead who also approves: still the author of what they propose.
    tokens.lead = await tokenFor({ sub: who.marketer, roles: ["MARKETER", "APPROVER"] });
    tokens.approver = await tokenFor({ sub: who.approver, roles: ["APPROVER"] });
    tokens.approver2 = await tokenFor({ sub: who.approver2, roles: ["APPROVER"] });
    tokens.admin = await tokenFor({ sub: who.admin, roles: ["ADMIN"] });
    tokens.admin2 = await tokenFor({ sub: who.admin2, roles: ["ADMIN"] });

    // A strategy of this file's own: everyone, on the hotline, from 2033, no control group.
    const segment = dataOf(await gw.raw<Proposal<"createSegment">>(CREATE_SEGMENT, { input: { code: `TEST_APR_ALL_${PID}`, name: "审批测试：全部客户", expression: "ALL" } }, tokens.marketer)).createSegment;
    await applyChange(gw, segment);
    const offer = dataOf(
      await gw.raw<Proposal<"createOffer">>(
        CREATE_OFFER,
        { input: { code: `OFF-TEST-APR-${PID}`, name: "咪咕视频会员（审批测试）", productId: VIDEO, creatives: [{ channel: "HOTLINE", text: "为您推荐咪咕视频钻石会员，每月15元。" }], value: 500, priority: 5, basePropensity: 0.5, validFrom: FROM_2033 } },
        tokens.marketer,
      ),
    ).createOffer;
    offerId = offer.id;
    await applyChange(gw, offer);
    const strategy = dataOf(
      await gw.raw<Proposal<"createStrategy">>(
        `mutation($input: StrategyInput!) { createStrategy(input: $input) { id pendingChange { ${CHANGE} } } }`,
        {
          input: { code: `CNT-APR-${PID.slice(0, 8).padEnd(2, "X")}-001`, name: "审批测试策略", businessLine: "CONTENT", scenario: "CROSS_SELL", segmentId: segment.id, offerIds: [offerId], channels: ["HOTLINE"], priority: 10, controlShare: 0, validFrom: FROM_2033 },
        },
        tokens.marketer,
      ),
    ).createStrategy;
    strategyId = strategy.id;
    await applyChange(gw, strategy);
    callers = await freshIds(4, { where: (g) => g.customer.dndList !== "BLACK" && !g.holdings.some((h) => h.productId === VIDEO) });
  });

  test("the SMS-code creative reaches no agent's script until approved, and a rejected one never", async () => {
    const before = await scripts();
    assert.ok(before.every((s) => s.includes("咪咕视频") && !s.includes(SMS_CODE)), JSON.stringify(before));

    // As in the issue: anonymously. No token, no change, nothing stored.
    const anonymous = await gw.raw(UPDATE_OFFER, { id: offerId, input: { creatives: [{ channel: "HOTLINE", text: SMS_CODE }] } }, null);
    assert.equal(codeOf(anonymous), "UNAUTHENTICATED");

    const proposed = dataOf(await gw.raw<Proposal<"updateOffer", { creatives: Array<{ channel: string; text: string }> }>>(UPDATE_OFFER, { id: offerId, input: { creatives: [{ channel: "HOTLINE", text: SMS_CODE }] } }, tokens.marketer)).updateOffer;
    assert.deepEqual(proposed.creatives, [{ channel: "HOTLINE", text: SMS_CODE }], "the answer shows the offer as the change would make it");
    assert.deepEqual([proposed.pendingChange.status, proposed.pendingChange.action, proposed.pendingChange.author], ["PENDING", "UPDATE", who.marketer]);
    const pending = await scripts();
    assert.ok(pending.every((s) => !s.includes(SMS_CODE)), `pending: ${JSON.stringify(pending)}`);
    const inForce = dataOf(await gw.raw<{ offers: Array<{ id: string; creatives: Array<{ text: string }>; pendingChange: { id: string } | null }> }>(`{ offers { id creatives { text } pendingChange { id } } }`)).offers.find((o) => o.id === offerId);
    assert.ok(inForce && !inForce.creatives.some((c) => c.text.includes(SMS_CODE)), "the offer in force keeps its creative");
    assert.equal(inForce.pendingChange?.id, proposed.pendingChange.id, "and shows the change waiting");

    const rejected = dataOf(await gw.request(RejectChangeDocument, { id: proposed.pendingChange.id, reason: "索要验证码是诈骗话术 (asking for the SMS code is a fraud script)" }, tokens.approver)).rejectChange;
    assert.deepEqual([rejected.status, rejected.decidedBy], ["REJECTED", who.approver]);
    assert.match(rejected.reason ?? "", /fraud/);
    const later = await approve(proposed.pendingChange.id, tokens.approver2);
    assert.equal(codeOf(later), "CONFLICT", "a rejected change can never be approved");
    assert.match(messageOf(later), /already rejected by test:approver/);
    const afterRejection = await scripts();
    assert.ok(afterRejection.every((s) => !s.includes(SMS_CODE)), `rejected: ${JSON.stringify(afterRejection)}`);

    // The same change approved does reach every agent's script: what the checks above would have seen.
    const again = dataOf(await gw.raw<Proposal<"updateOffer">>(UPDATE_OFFER, { id: offerId, input: { creatives: [{ channel: "HOTLINE", text: SMS_CODE }] } }, tokens.marketer)).updateOffer;
    await applyChange(gw, again);
    const approved = await scripts();
    assert.ok(approved.every((s) => s.includes(SMS_CODE)), `approved: ${JSON.stringify(approved)}`);
    await applyChange(gw, await gw.raw(UPDATE_OFFER, { id: offerId, input: { creatives: [{ channel: "HOTLINE", text: "为您推荐咪咕视频钻石会员，每月15元。" }] } }, tokens.marketer));
    assert.ok((await scripts()).every((s) => !s.includes(SMS_CODE)));
  });

  test("the author can never approve (or reject) their own change, even holding APPROVER; deciders need the kind's role", async () => {
    const proposed = dataOf(await gw.raw<Proposal<"updateOffer">>(UPDATE_OFFER, { id: offerId, input: { priority: 7 } }, tokens.marketer)).updateOffer;
    const id = proposed.pendingChange.id;
    for (const [token, why] of [
      [tokens.lead, /author of a change can never approve it/],
      [await tokenFor({ sub: who.marketer }), /author of a change can never approve it/], // every role, same subject
    ] as const) {
      const own = await approve(id, token);
      assert.equal(codeOf(own), "FORBIDDEN");
      assert.match(messageOf(own), why);
      assert.equal(own.data ?? null, null);
    }
    const ownReject = await gw.request(RejectChangeDocument, { id, reason: "never mind" }, tokens.lead);
    assert.equal(codeOf(ownReject), "FORBIDDEN");
    assert.match(messageOf(ownReject), /withdraw it/);
    assert.equal(codeOf(await approve(id, tokens.marketer2)), "FORBIDDEN", "a MARKETER approves nothing (the matrix)");
    const admin = await approve(id, tokens.admin);
    assert.equal(codeOf(admin), "FORBIDDEN", "an ADMIN does not approve marketing changes");
    assert.match(messageOf(admin), /approved or rejected by APPROVER; this token holds ADMIN/);
    assert.equal((await changeById(id))?.status, "PENDING", "still waiting");
    assert.equal((await gw.app.services.marketing.offer(offerId))?.priority, 5, "and not applied");

    const approved = dataOf(await approve(id, tokens.approver, gw)).approveChange;
    assert.deepEqual([approved.status, approved.decidedBy, approved.author], ["APPROVED", who.approver, who.marketer]);
    const offer = dataOf(await gw.request(ChangeDocument, { id })).change?.offer;
    assert.equal(offer?.id, offerId, "the change's target, as in force now");
    assert.equal((await gw.app.services.marketing.offer(offerId))?.priority, 7, "applied");
  });

  test("approval re-checks the change against the state then: a tag taken offline meanwhile fails it with BAD_USER_INPUT and leaves it pending", async () => {
    const graph = testGraph();
    const tag = { id: `T-APR-${PID}`, code: `TEST_APR_TAG_${PID}` };
    const setStatus = (status: string): Promise<unknown> => graph.session().write(`MATCH (t:Tag {id: $id}) SET t.status = $status`, { id: tag.id, status });
    await graph.session().write(
      `MERGE (t:Tag {id: $id}) SET t.code = $code, t.name = '审批测试标签', t.level1 = 'Telecom', t.level2 = 'Test', t.definition = 'a test tag',
         t.valueType = 'FLAG', t.market = 'INDIVIDUAL', t.scope = 'PROVINCE', t.status = 'PUBLISHED', t.version = 1`,
      tag,
    );
    teardown("the test tag", () => graph.session().write(`MATCH (t:Tag {id: $id}) DETACH DELETE t`, { id: tag.id }));
    gw.app.services.reference.invalidate(); // the gateway learns of the new tag (the tag library will do this on publishing)

    const proposed = dataOf(await gw.raw<Proposal<"createSegment">>(CREATE_SEGMENT, { input: { code: `TEST_APR_TAGGED_${PID}`, name: "带标签客群", expression: `${tag.code} AND arpu >= 10` } }, tokens.marketer)).createSegment;
    await setStatus("OFFLINE");
    const refused = await approve(proposed.pendingChange.id, tokens.approver);
    assert.equal(codeOf(refused), "BAD_USER_INPUT", JSON.stringify(refused.errors));
    assert.equal(refused.errors?.[0]?.extensions?.argument, "expression");
    assert.match(messageOf(refused), new RegExp(tag.code));
    assert.equal((await changeById(proposed.pendingChange.id))?.status, "PENDING", "the change still waits");
    assert.equal(await gw.app.services.marketing.segment(proposed.id), null, "and nothing was written");

    await setStatus("PUBLISHED");
    const approved = dataOf(await approve(proposed.pendingChange.id, tokens.approver)).approveChange;
    assert.equal(approved.status, "APPROVED");
    assert.equal((await gw.app.services.marketing.segment(proposed.id))?.expression, `${tag.code} AND arpu >= 10`);
  });

  test("concurrent approvals of one change on two replicas: exactly one wins, and the change is applied once", async () => {
    const other = await startTestGateway();
    const proposed = dataOf(
      await gw.raw<Proposal<"createOffer">>(
        CREATE_OFFER,
        { input: { code: `OFF-TEST-RACE-${PID}`, name: "并发审批", productId: VIDEO, creatives: [{ channel: "APP", text: "并发" }], value: 10, validFrom: FROM_2033 } },
        tokens.marketer,
      ),
    ).createOffer;
    const attempts = await Promise.all(Array.from({ length: 8 }, (_, i) => approve(proposed.pendingChange.id, i % 2 ? tokens.approver : tokens.approver2, i % 4 < 2 ? gw : other)));
    const won = attempts.filter((r) => !r.errors);
    assert.equal(won.length, 1, JSON.stringify(attempts.map((r) => r.errors?.[0]?.message ?? "ok")));
    for (const lost of attempts.filter((r) => r.errors)) {
      assert.equal(codeOf(lost), "CONFLICT", messageOf(lost));
      assert.match(messageOf(lost), /already approved/);
    }
    const winner = dataOf(won[0]!).approveChange;
    assert.equal((await changeById(proposed.pendingChange.id))?.decidedBy, winner.decidedBy);
    const rows = await testGraph().session().read<{ n: number }>(`MATCH (o:Offer {id: $id}) RETURN count(o) AS n`, { id: proposed.id });
    assert.equal(rows[0]?.n, 1);
    assert.equal((await other.app.services.marketing.offer(proposed.id))?.code, `OFF-TEST-RACE-${PID}`, "in force on the other replica too");

    // Approve and reject at once: one decision stands, and the offer is as that decision says.
    const change = dataOf(await gw.raw<Proposal<"updateOffer">>(UPDATE_OFFER, { id: proposed.id, input: { priority: 9 } }, tokens.marketer)).updateOffer.pendingChange;
    const [approval, rejection] = await Promise.all([approve(change.id, tokens.approver, gw), other.request(RejectChangeDocument, { id: change.id, reason: "race" }, tokens.approver2)]);
    assert.equal([approval, rejection].filter((r) => !r.errors).length, 1, JSON.stringify([approval.errors, rejection.errors]));
    const status = (await changeById(change.id))?.status;
    assert.equal((await gw.app.services.marketing.offer(proposed.id))?.priority, status === "APPROVED" ? 9 : 1, `decided ${status}`);
  });

  test("one change waits per target; a code is claimed while its change waits; its author (only) withdraws it, and it is never applied", async () => {
    const first = dataOf(await gw.raw<Proposal<"updateOffer">>(UPDATE_OFFER, { id: offerId, input: { priority: 3 } }, tokens.marketer)).updateOffer.pendingChange;
    const second = await gw.raw(UPDATE_OFFER, { id: offerId, input: { priority: 4 } }, tokens.marketer2);
    assert.equal(codeOf(second), "CONFLICT");
    assert.match(messageOf(second), new RegExp(`Offer ${offerId} already has a change awaiting approval: ${first.id}`));

    const code = `OFF-TEST-CLAIM-${PID}`;
    const create = (token: string): Promise<GraphQLResponse<Proposal<"createOffer">>> =>
      gw.raw<Proposal<"createOffer">>(CREATE_OFFER, { input: { code, name: "认领", productId: VIDEO, creatives: [{ channel: "APP", text: "认领" }], value: 10, validFrom: FROM_2033 } }, token);
    const claimed = dataOf(await create(tokens.marketer)).createOffer;
    const clash = await create(tokens.marketer2);
    assert.equal(codeOf(clash), "BAD_USER_INPUT");
    assert.equal(clash.errors?.[0]?.extensions?.argument, "code");
    assert.match(messageOf(clash), new RegExp(`claimed by change ${claimed.pendingChange.id}`));

    assert.equal(codeOf(await gw.request(WithdrawChangeDocument, { id: claimed.pendingChange.id }, tokens.approver)), "FORBIDDEN", "an APPROVER withdraws nothing (the matrix)");
    const stranger = await gw.request(WithdrawChangeDocument, { id: claimed.pendingChange.id }, tokens.marketer2);
    assert.equal(codeOf(stranger), "FORBIDDEN");
    assert.match(messageOf(stranger), new RegExp(`Only its author \\(${who.marketer}\\)`));
    for (const id of [first.id, claimed.pendingChange.id]) {
      const withdrawn = dataOf(await gw.request(WithdrawChangeDocument, { id, reason: "changed my mind" }, tokens.marketer)).withdrawChange;
      assert.deepEqual([withdrawn.status, withdrawn.decidedBy, withdrawn.reason], ["WITHDRAWN", who.marketer, "changed my mind"]);
      assert.equal(codeOf(await approve(id, tokens.approver)), "CONFLICT", "a withdrawn change is never applied");
    }
    assert.equal(await gw.app.services.marketing.offer(claimed.id), null);

    // Target and code are free again; the id the withdrawn create reserved is not handed out twice.
    const retry = dataOf(await create(tokens.marketer2)).createOffer;
    assert.notEqual(retry.id, claimed.id);
    dataOf(await gw.request(WithdrawChangeDocument, { id: retry.pendingChange.id }, tokens.marketer2));
    const next = dataOf(await gw.raw<Proposal<"updateOffer">>(UPDATE_OFFER, { id: offerId, input: { priority: 4 } }, tokens.marketer2)).updateOffer;
    dataOf(await gw.request(WithdrawChangeDocument, { id: next.pendingChange.id }, tokens.marketer2));
  });

  test("the queue pages in submission order, filtered by kind, status and author", async () => {
    const author = `test:pager:${PID}`;
    const pager = await tokenFor({ sub: author, roles: ["MARKETER"] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(changeIdOf(await gw.raw(CREATE_SEGMENT, { input: { code: `TEST_APR_PAGE_${PID}_${i}`, name: `分页${i}`, expression: "ALL" } }, pager)));
    }
    const page = async (vars: { first?: number; after?: string | null; status?: "PENDING" | "APPROVED" | "REJECTED" | "WITHDRAWN" | null; kind?: "SEGMENT" | "OFFER" }) =>
      dataOf(await gw.request(PendingChangesDocument, { author, ...vars }, tokens.approver)).pendingChanges;

    const seen: string[] = [];
    let after: string | null = null;
    const sizes: number[] = [];
    for (;;) {
      const p = await page({ first: 2, after });
      assert.equal(p.totalCount, 5);
      sizes.push(p.edges.length);
      seen.push(...p.edges.map((e) => e.node.id));
      assert.ok(p.edges.every((e) => e.node.status === "PENDING" && e.node.kind === "SEGMENT" && e.node.author === author && e.node.action === "CREATE"));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    assert.deepEqual(sizes, [2, 2, 1]);
    assert.deepEqual(seen, ids, "every change once, the oldest first");
    assert.equal((await page({ kind: "OFFER" })).totalCount, 0);
    const first = (await page({ first: 1 })).edges[0]!.node;
    assert.deepEqual(first.payload, { code: `TEST_APR_PAGE_${PID}_0`, name: "分页0", expression: "ALL" }, "the change as proposed");

    await applyChange(gw, ids[0]!);
    dataOf(await gw.request(RejectChangeDocument, { id: ids[1]!, reason: "duplicate" }, tokens.approver));
    dataOf(await gw.request(WithdrawChangeDocument, { id: ids[2]! }, pager));
    assert.deepEqual(
      (await page({})).edges.map((e) => e.node.id),
      ids.slice(3),
      "by default, only what waits",
    );
    for (const [status, expected] of [["APPROVED", [ids[0]]], ["REJECTED", [ids[1]]], ["WITHDRAWN", [ids[2]]], [null, ids]] as const) {
      assert.deepEqual((await page({ status })).edges.map((e) => e.node.id), expected, `status ${status}`);
    }

    const bad = await gw.request(PendingChangesDocument, { author, after: "not-a-cursor" }, tokens.approver);
    assert.equal(codeOf(bad), "BAD_USER_INPUT");
    assert.equal(bad.errors?.[0]?.extensions?.argument, "after");
    for (const first of [0, 101]) {
      const res = await gw.request(PendingChangesDocument, { author, first }, tokens.approver);
      assert.equal(codeOf(res), "BAD_USER_INPUT");
      assert.match(messageOf(res), /`first` must be between 1 and 100/);
    }
    for (const id of ids.slice(3)) dataOf(await gw.request(WithdrawChangeDocument, { id }, pager));
  });

  test("a contact policy change needs a second ADMIN: not its author, not an APPROVER, not a MARKETER", async () => {
    const before = dataOf(await gw.raw<{ contactPolicy: { version: number; declineCooldownDays: number } }>(`{ contactPolicy { version declineCooldownDays } }`)).contactPolicy;
    const set = `mutation($input: ContactPolicyInput!) { setContactPolicy(input: $input) { version declineCooldownDays pendingChange { ${CHANGE} } } }`;
    assert.equal(codeOf(await gw.raw(set, { input: { declineCooldownDays: 21 } }, tokens.marketer)), "FORBIDDEN", "a MARKETER does not propose policy changes");
    const proposed = dataOf(await gw.raw<{ setContactPolicy: { version: number; declineCooldownDays: number; pendingChange: ChangeView } }>(set, { input: { declineCooldownDays: 21 } }, tokens.admin)).setContactPolicy;
    assert.deepEqual([proposed.version, proposed.declineCooldownDays], [before.version + 1, 21], "the policy as the change would make it");
    assert.deepEqual([proposed.pendingChange.kind, proposed.pendingChange.action, proposed.pendingChange.status], ["CONTACT_POLICY", "SET", "PENDING"]);
    const id = proposed.pendingChange.id;

    const own = await approve(id, tokens.admin);
    assert.equal(codeOf(own), "FORBIDDEN");
    assert.match(messageOf(own), /author/);
    const approver = await approve(id, tokens.approver);
    assert.equal(codeOf(approver), "FORBIDDEN");
    assert.match(messageOf(approver), /the contact policy are approved or rejected by ADMIN/);
    assert.equal(dataOf(await gw.raw<{ contactPolicy: { declineCooldownDays: number } }>(`{ contactPolicy { declineCooldownDays } }`)).contactPolicy.declineCooldownDays, before.declineCooldownDays, "not in force yet");

    const approved = dataOf(await approve(id, tokens.admin2)).approveChange;
    assert.deepEqual([approved.status, approved.decidedBy], ["APPROVED", who.admin2]);
    const now = dataOf(await gw.raw<{ contactPolicy: { version: number; declineCooldownDays: number; updatedBy: string; changeId: string; pendingChange: unknown } }>(`{ contactPolicy { version declineCooldownDays updatedBy changeId pendingChange { id } } }`)).contactPolicy;
    assert.deepEqual(now, { version: before.version + 1, declineCooldownDays: 21, updatedBy: who.admin, changeId: id, pendingChange: null });
    assert.equal((await gw.app.services.contactPolicy.current()).declineCooldownDays, 21, "decisions use it");
    // Put the default back, through the same process.
    const restore = dataOf(await gw.raw<{ setContactPolicy: { pendingChange: ChangeView } }>(set, { input: { declineCooldownDays: before.declineCooldownDays } }, tokens.admin2)).setContactPolicy;
    dataOf(await approve(restore.pendingChange.id, tokens.admin));
  });

  test("retiring what the file made goes through the same process", async () => {
    for (const mutation of [`mutation($id: ID!) { retireStrategy(id: $id) { status pendingChange { id } } }`, `mutation($id: ID!) { retireOffer(id: $id) { status pendingChange { id } } }`]) {
      const id = mutation.includes("retireStrategy") ? strategyId : offerId;
      const res = await gw.raw(mutation, { id }, tokens.marketer);
      assert.equal((await applyChange(gw, res)).action, "RETIRE");
    }
    assert.equal((await gw.app.services.marketing.strategy(strategyId))?.status, "RETIRED");
    assert.equal((await gw.app.services.marketing.offer(offerId))?.status, "RETIRED");
  });
});
