import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { execute, parse } from "graphql";
import type { Redis } from "ioredis";
import { buildGatewaySchema } from "../schema/build";
import type { AuditRecord } from "../src/audit/entry";
import { ENTRIES_FIELD } from "../src/audit/log";
import { AUDIT_GROUP } from "../src/audit/writer";
import { auditPageRequest } from "../src/audit/trail";
import type { Principal } from "../src/auth/principal";
import { auditPageStatement, writeAudit } from "../src/graph/audit";
import type { ProfiledPlan } from "../src/platform/neo4j";
import { createContext } from "../src/server/context";
import { auditPersonalReads } from "../src/server/audit";
import { tokenFor } from "./support/auth";
import { freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, postGraphQL, startTestGateway, testGraph, testServices, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { eventId, ingest, LiveClient, openPolicy, processed, subscriptionsOn, testRedis } from "./support/live";
import { startGatewayProcess } from "./support/process-gateway";
import { CuttableProxy } from "./support/proxy";
import { keys } from "../src/platform/keys";

/**
 * The audit trail: reads of personal data and operator changes, recorded once per operation (or
 * push) and customer, moved from the Redis stream to the graph by the writers of every replica,
 * served to ADMIN only. Every test acts under principals of its own (sub `audit-<pid>-<label>`),
 * so what other files do against the same Neo4j never shows up in its queries.
 */

interface Entry {
  id: string;
  kind: "READ" | "CHANGE";
  at: string;
  principalId: string;
  principalRoles: string[];
  operation: string;
  operationType: string;
  transport: string;
  subscription: string | null;
  customerId: string | null;
  fields: string[];
  msisdnUnmasked: boolean;
  action: string | null;
  targetType: string | null;
  targetId: string | null;
  changeId: string | null;
  proposedBy: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

interface TrailData {
  auditTrail: { edges: Array<{ cursor: string; node: Entry }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const TRAIL = `query Trail($filter: AuditFilterInput, $first: Int, $after: String) {
  auditTrail(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id kind at principalId principalRoles operation operationType transport subscription customerId fields msisdnUnmasked action targetType targetId changeId proposedBy before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const VIEW = `query UnifiedView($id: ID!) {
  customer(id: $id) { id name msisdn tags { tag { code } } circle(limit: 3) { strength customer { id name } } contacts(first: 2) { edges { node { id } } } }
}`;

function findOperators(plan: ProfiledPlan, match: (op: ProfiledPlan) => boolean): ProfiledPlan[] {
  return [...(match(plan) ? [plan] : []), ...plan.children.flatMap((child) => findOperators(child, match))];
}

let gw: TestGateway;
let admin: string;
let redis: Redis;
let label = 0;

/** A principal id of this test process's own. */
function who(name: string): string {
  label += 1;
  return `audit-${process.pid}-${name}-${label}`;
}

/** The trail as ADMIN sees it, every page, newest first. */
async function trail(filter: Record<string, unknown>, first = 200): Promise<Entry[]> {
  const entries: Entry[] = [];
  let after: string | null = null;
  do {
    const page: TrailData["auditTrail"] = dataOf(await gw.raw<TrailData>(TRAIL, { filter, first, after }, admin)).auditTrail;
    entries.push(...page.edges.map((e) => e.node));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return entries;
}

/** Waits until the trail holds `n` entries matching `filter` (the writer commits within its linger), and returns them. */
function awaitEntries(filter: Record<string, unknown>, n: number, timeoutMs = 15_000): Promise<Entry[]> {
  return eventually(
    async () => {
      const found = await trail(filter);
      assert.equal(found.length, n, `entries for ${JSON.stringify(filter)}: ${JSON.stringify(found.map((e) => [e.kind, e.customerId, e.action]))}`);
      return found;
    },
    { what: `${n} audit entries for ${JSON.stringify(filter)}`, timeoutMs },
  );
}

before(async () => {
  gw = await startTestGateway({ audit: { lingerMs: 20, claimAfterMs: 500 }, realtime: { retryAfterMs: 300, maxAttempts: 1 } });
  admin = await tokenFor({ sub: `audit-${process.pid}-admin`, roles: ["ADMIN"] });
  redis = testRedis();
  await openPolicy(gw);
});

describe("reads of personal data", () => {
  test("a unified view read by an AGENT is one entry for the customer, with the fields read and who read them; circle members read are audited under their own ids", async () => {
    const agent = who("agent");
    const token = await tokenFor({ sub: agent, roles: ["AGENT"], regions: ["R33"], agentId: "A-audit" });
    const res = await gw.raw<{ customer: { id: string; circle: Array<{ customer: { id: string } }> } }>(VIEW, { id: "C0000042" }, token);
    const view = dataOf(res).customer;
    const members = view.circle.map((m) => m.customer.id);
    const entries = await awaitEntries({ principalId: agent }, 1 + new Set(members).size);

    const own = entries.filter((e) => e.customerId === "C0000042");
    assert.equal(own.length, 1, "one entry per operation and customer, not one per field");
    const [entry] = own;
    assert.ok(entry);
    assert.equal(entry.kind, "READ");
    assert.equal(entry.principalId, agent);
    assert.deepEqual(entry.principalRoles, ["AGENT"]);
    assert.deepEqual(entry.fields, ["circle", "contacts", "msisdn", "name", "tags"]);
    assert.equal(entry.msisdnUnmasked, false, "an AGENT sees the masked number");
    assert.equal(entry.operation, "UnifiedView");
    assert.equal(entry.operationType, "QUERY");
    assert.equal(entry.transport, "HTTP");
    assert.equal(entry.subscription, null);
    assert.ok(Math.abs(Date.parse(entry.at) - Date.now()) < 60_000, entry.at);
    for (const member of members) {
      const theirs = entries.filter((e) => e.customerId === member);
      assert.equal(theirs.length, 1, `circle member ${member}`);
      assert.deepEqual(theirs[0]?.fields, ["name"], "only what was read of the member");
    }
    assert.equal(new Set(entries.map((e) => e.id)).size, entries.length);
  });

  test("an unnamed operation is recorded as such, and a whole MSISDN shown is marked", async () => {
    const anonymous = who("anon");
    dataOf(await gw.raw(`{ customer(id: "C0000043") { usage { month } } }`, {}, await tokenFor({ sub: anonymous, roles: ["AGENT"], regions: ["R33"] })));
    const [entry] = await awaitEntries({ principalId: anonymous }, 1);
    assert.equal(entry?.operation, "anonymous operation");
    assert.deepEqual(entry?.fields, ["usage"]);

    // Tokens carry no pii:read yet; the unmasking path is checked through the same schema and context factory.
    const schema = auditPersonalReads(await buildGatewaySchema());
    const principal: Principal = { id: who("pii"), roles: new Set(["AGENT"]), regions: ["R33"], agentId: null, teams: [], customerId: null, expiresAt: null, permissions: new Set(["pii:read"]) };
    const ctx = createContext(gw.app.services, principal);
    const result = await execute({ schema, document: parse(`{ customer(id: "C0000044") { msisdn name } }`), contextValue: ctx });
    assert.equal(result.errors, undefined);
    assert.match(String((result.data?.customer as { msisdn: string }).msisdn), /^1\d{10}$/, "whole");
    const record = ctx.audit.drain(principal, { name: "x", type: "QUERY", transport: "HTTP", subscription: null });
    assert.deepEqual(record?.reads, [["C0000044", ["msisdn", "name"], 1]], "one read: its fields, the MSISDN unmasked");
  });

  test("reading the catalogue records nothing", async () => {
    const reader = who("catalogue");
    const token = await tokenFor({ sub: reader, roles: ["AGENT"], regions: ["R33"] });
    dataOf(await gw.raw(`query Catalogue { products { id name upgradesTo { id } } channels { code name } }`, {}, token));
    // A personal read after it: once its entry is in the graph, anything the first had appended before it is too.
    dataOf(await gw.raw(`query Fence { customer(id: "C0000045") { name } }`, {}, token));
    const entries = await awaitEntries({ principalId: reader }, 1);
    assert.equal(entries[0]?.operation, "Fence");
  });

  test("a deskFeed push that renders a customer is audited as that subscription, per push", async () => {
    const agent = who("desk");
    const agentId = `A${process.pid}-audit`;
    const desk = new LiveClient(gw.url, tokenFor({ sub: agent, roles: ["AGENT"], regions: ["R33"], agentId })).subscribe<{ deskFeed: { customerId: string } }>(
      `subscription Desk($agentId: ID!) { deskFeed(agentId: $agentId) { cursor customerId headline customer { id name tags { tag { code } } } offers { id reasons { text } } } }`,
      { agentId },
    );
    await subscriptionsOn(gw, 1);
    const callers = await freshIds(2);
    for (const customerId of callers) {
      assert.equal((await ingest(gw, [{ id: eventId("call"), customerId, type: "HOTLINE_CALL_START", payload: { agentId } }])).accepted, 1);
    }
    const pushes = await desk.atLeast(2);
    assert.deepEqual(pushes.map((p) => p.deskFeed.customerId).sort(), [...callers].sort());
    const entries = await awaitEntries({ principalId: agent }, 2);
    for (const customerId of callers) {
      const entry = entries.find((e) => e.customerId === customerId);
      assert.ok(entry, `an entry for the push of ${customerId}`);
      assert.equal(entry.transport, "WS");
      assert.equal(entry.operation, "Desk");
      assert.equal(entry.operationType, "SUBSCRIPTION");
      assert.equal(entry.subscription, "deskFeed");
      for (const field of ["DeskUpdate.headline", "DeskUpdate.offers", "name", "tags"]) assert.ok(entry.fields.includes(field), `${field} in ${entry.fields.join(", ")}`);
    }
    desk.dispose();
    await subscriptionsOn(gw, 0);
  });
});

describe("operator changes", () => {
  test("under maker-checker: each proposal, approval, rejection and withdrawal is an entry on the Change; what an approval applied is an entry with before, after, who proposed and who approved", async () => {
    const operator = who("maker");
    const checker = who("checker");
    const adminToken = await tokenFor({ sub: operator, roles: ["ADMIN"] });
    const marketerToken = await tokenFor({ sub: operator, roles: ["MARKETER"] });
    const checkerToken = await tokenFor({ sub: checker, roles: ["APPROVER", "ADMIN"] });
    /** Sends a proposing mutation as `token` and returns its pending change's id. */
    const propose = async (mutation: string, variables: Record<string, unknown>, token: string): Promise<string> => {
      const data = dataOf(await gw.raw<Record<string, { pendingChange: { id: string } }>>(mutation, variables, token));
      const [proposed] = Object.values(data);
      assert.ok(proposed?.pendingChange, `${mutation}: a pending change`);
      return proposed.pendingChange.id;
    };
    const decide = async (verb: "approveChange" | "rejectChange" | "withdrawChange", id: string, token: string, reason?: string): Promise<void> => {
      const args = verb === "rejectChange" ? "(id: $id, reason: $reason)" : "(id: $id)";
      const vars = verb === "rejectChange" ? `($id: ID!, $reason: String!)` : "($id: ID!)";
      dataOf(await gw.raw(`mutation Decide${vars} { ${verb}${args} { id status } }`, { id, ...(reason ? { reason } : {}) }, token));
    };

    const policy = dataOf(await gw.raw<{ contactPolicy: { version: number } }>(`{ contactPolicy { version } }`, {}, adminToken)).contactPolicy;
    const policyChange = await propose(`mutation SetPolicy { setContactPolicy(input: { quietHours: null }) { version pendingChange { id } } }`, {}, adminToken);
    await decide("approveChange", policyChange, checkerToken);

    const code = `AUDIT_${process.pid}`;
    const createSegment = await propose(`mutation($input: SegmentInput!) { createSegment(input: $input) { id pendingChange { id } } }`, { input: { code, name: "审计测试", expression: "ALL" } }, marketerToken);
    await decide("approveChange", createSegment, checkerToken);
    const segmentId = dataOf(await gw.raw<{ change: { targetId: string } }>(`query($id: ID!) { change(id: $id) { targetId } }`, { id: createSegment }, marketerToken)).change.targetId;
    const rename = await propose(`mutation($id: ID!) { updateSegment(id: $id, input: { name: "审计测试2" }) { id pendingChange { id } } }`, { id: segmentId }, marketerToken);
    await decide("approveChange", rename, checkerToken);
    // Proposed and turned down: nothing applied, so nothing but the proposal and the decision.
    const rejected = await propose(`mutation($id: ID!) { updateSegment(id: $id, input: { name: "不通过" }) { id pendingChange { id } } }`, { id: segmentId }, marketerToken);
    await decide("rejectChange", rejected, checkerToken, "名称不规范");
    const withdrawn = await propose(`mutation($id: ID!) { updateSegment(id: $id, input: { name: "撤回" }) { id pendingChange { id } } }`, { id: segmentId }, marketerToken);
    await decide("withdrawChange", withdrawn, marketerToken);

    const offerId = dataOf(await gw.raw<{ offers: Array<{ id: string }> }>(`{ offers(status: ACTIVE) { id } }`, {}, marketerToken)).offers[0]?.id;
    assert.ok(offerId);
    // Valid only from 2031: it takes part in no decision of any other test.
    const createStrategy = await propose(
      `mutation($input: StrategyInput!) { createStrategy(input: $input) { id pendingChange { id } } }`,
      {
        input: {
          code: `AUD-TST-P${process.pid % 100_000}-001`,
          name: "审计策略",
          businessLine: "CONTENT",
          scenario: "CROSS_SELL",
          segmentId,
          offerIds: [offerId],
          channels: ["HOTLINE"],
          validFrom: "2031-01-01T00:00:00.000Z",
        },
      },
      marketerToken,
    );
    await decide("approveChange", createStrategy, checkerToken);
    const strategyId = dataOf(await gw.raw<{ change: { targetId: string } }>(`query($id: ID!) { change(id: $id) { targetId } }`, { id: createStrategy }, marketerToken)).change.targetId;
    const reprioritise = await propose(`mutation($id: ID!) { updateStrategy(id: $id, input: { priority: 2 }) { id pendingChange { id } } }`, { id: strategyId }, marketerToken);
    await decide("approveChange", reprioritise, checkerToken);
    const retire = await propose(`mutation($id: ID!) { retireStrategy(id: $id) { id pendingChange { id } } }`, { id: strategyId }, marketerToken);
    await decide("approveChange", retire, checkerToken);

    const approved = [policyChange, createSegment, rename, createStrategy, reprioritise, retire];
    const proposals = [...approved, rejected, withdrawn];
    // The maker: a proposal each, and the withdrawal.
    const made = await awaitEntries({ principalId: operator, kind: "CHANGE" }, proposals.length + 1);
    assert.deepEqual(made.filter((e) => e.action === "proposeChange").map((e) => e.changeId).sort(), [...proposals].sort());
    assert.deepEqual(made.filter((e) => e.action === "withdrawChange").map((e) => e.changeId), [withdrawn]);
    assert.ok(made.every((e) => e.targetType === "Change" && e.targetId === e.changeId && e.proposedBy === operator));
    // The checker: an approval and what it applied for each approved change, and the rejection.
    const checked = await awaitEntries({ principalId: checker, kind: "CHANGE" }, approved.length * 2 + 1);
    assert.deepEqual(checked.map((e) => e.at), checked.map((e) => e.at).sort().reverse(), "newest first");
    assert.deepEqual(
      checked.filter((e) => e.targetType !== "Change").map((e) => e.action).sort(),
      ["createSegment", "createStrategy", "retireStrategy", "setContactPolicy", "updateSegment", "updateStrategy"],
      "only approved changes applied anything",
    );
    assert.ok(checked.every((e) => e.proposedBy === operator), "who proposed it, on every entry of the change");

    const applied = (changeId: string): Entry => {
      const found = checked.find((e) => e.changeId === changeId && e.targetType !== "Change");
      assert.ok(found, `what ${changeId} applied`);
      return found;
    };
    const policyApplied = applied(policyChange);
    assert.equal(policyApplied.action, "setContactPolicy");
    assert.equal(policyApplied.operation, "Decide", "recorded by the approving request");
    assert.equal(policyApplied.operationType, "MUTATION");
    assert.equal(policyApplied.targetType, "ContactPolicy");
    assert.equal(policyApplied.before?.version, policy.version);
    assert.equal(policyApplied.after?.version, policy.version + 1);
    assert.equal(policyApplied.after?.updatedBy, operator, "stored as its author's");
    assert.equal(policyApplied.after?.changeId, policyChange);

    const created = applied(createSegment);
    assert.deepEqual([created.action, created.targetType, created.targetId], ["createSegment", "Segment", segmentId]);
    assert.equal(created.before, null, "nothing before a create");
    assert.equal(created.after?.code, code);
    const renamed = applied(rename);
    assert.deepEqual([renamed.before?.name, renamed.after?.name], ["审计测试", "审计测试2"]);
    assert.equal(applied(createStrategy).targetId, strategyId);
    assert.deepEqual([applied(reprioritise).before?.priority, applied(reprioritise).after?.priority], [1, 2]);
    assert.deepEqual([applied(retire).before?.status, applied(retire).after?.status], ["ACTIVE", "RETIRED"]);

    // One change's whole story by its id: proposed by the maker, approved and applied by the checker.
    const story = await trail({ changeId: rename });
    assert.deepEqual(story.map((e) => [e.action, e.principalId]).reverse(), [["proposeChange", operator], ["approveChange", checker], ["updateSegment", checker]]);
    const [proposal] = story.filter((e) => e.action === "proposeChange");
    assert.deepEqual([proposal?.before, proposal?.after?.status, proposal?.after?.kind, proposal?.after?.action, proposal?.after?.targetId], [null, "PENDING", "SEGMENT", "UPDATE", segmentId]);
    assert.deepEqual(proposal?.after?.payload, { name: "审计测试2" }, "what was proposed");
    const [approval] = story.filter((e) => e.action === "approveChange");
    assert.deepEqual([approval?.before?.status, approval?.after?.status, approval?.after?.decidedBy], ["PENDING", "APPROVED", checker]);
    const turnedDown = await trail({ changeId: rejected });
    assert.deepEqual(turnedDown.map((e) => e.action).reverse(), ["proposeChange", "rejectChange"]);
    assert.deepEqual([turnedDown[0]?.after?.status, turnedDown[0]?.after?.reason], ["REJECTED", "名称不规范"]);
    assert.deepEqual((await trail({ changeId: withdrawn })).map((e) => e.action).reverse(), ["proposeChange", "withdrawChange"]);
  });

  test("changes made directly: the first respondToOffer of a decision, retryParkedEvents and revokeSessions record who, what, before and after", async () => {
    const operator = who("ops");
    const adminToken = await tokenFor({ sub: operator, roles: ["ADMIN"] });
    const feedToken = await tokenFor({ sub: operator, roles: ["SERVICE"], regions: ["R33"] }); // a feed of the region (the SMS gateway reporting answers)

    const [customerId] = await freshIds(1);
    assert.ok(customerId);
    // Control-group decisions are never presented, so they cannot be answered: take a presented one.
    const decided = dataOf(await gw.raw<{ nextBestOffers: Array<{ id: string; contacted: boolean }> }>(`query($c: ID!) { nextBestOffers(customerId: $c, channel: HOTLINE, limit: 3) { id contacted } }`, { c: customerId }));
    const decision = decided.nextBestOffers.find((d) => d.contacted);
    assert.ok(decision, "a presented offer to answer");
    dataOf(await gw.raw(`mutation($d: ID!) { respondToOffer(decisionId: $d, outcome: DECLINED) { id } }`, { d: decision.id }, feedToken));
    // A repeat changes nothing, and is not recorded.
    dataOf(await gw.raw(`mutation($d: ID!) { respondToOffer(decisionId: $d, outcome: DECLINED) { id } }`, { d: decision.id }, feedToken));

    // A feed's event for a customer that does not exist is parked (maxAttempts 1); retrying it is an operator's change.
    const parkedEvent = eventId("parked");
    await redis.xadd(keys.events.stream(), "*", "id", parkedEvent, "customerId", "C9999998", "type", "APP_LOGIN", "at", new Date().toISOString(), "payload", "{}");
    await processed(redis, [parkedEvent]);
    const parked = dataOf(await gw.raw<{ parkedEvents: Array<{ parkedId: string; eventId: string | null }> }>(`{ parkedEvents(first: 50) { parkedId eventId } }`, {}, adminToken)).parkedEvents.find(
      (p) => p.eventId === parkedEvent,
    );
    assert.ok(parked);
    assert.deepEqual(dataOf(await gw.raw<{ retryParkedEvents: string[] }>(`mutation($ids: [ID!]!) { retryParkedEvents(parkedIds: $ids) }`, { ids: [parked.parkedId] }, adminToken)).retryParkedEvents, [parked.parkedId]);

    const revoked = who("revoked");
    const revocation = dataOf(await gw.raw<{ revokeSessions: { revokedAt: string } }>(`mutation Revoke($p: ID!) { revokeSessions(principalId: $p) { revokedAt } }`, { p: revoked }, adminToken)).revokeSessions;

    const changes = await awaitEntries({ principalId: operator, kind: "CHANGE" }, 3);
    const by = (action: string): Entry[] => changes.filter((e) => e.action === action);
    assert.deepEqual(changes.map((e) => e.action).sort(), ["respondToOffer", "retryParkedEvents", "revokeSessions"]);
    assert.ok(changes.every((e) => e.changeId === null && e.proposedBy === null), "no approval involved");

    const [answered] = by("respondToOffer");
    assert.equal(answered?.targetType, "Decision");
    assert.equal(answered?.targetId, decision.id);
    assert.equal(answered?.customerId, customerId, "a change to a customer's record names the customer");
    assert.deepEqual([answered?.before?.outcome, answered?.after?.outcome], [null, "DECLINED"]);

    const [retried] = by("retryParkedEvents");
    assert.equal(retried?.targetId, parked.parkedId);
    assert.equal(retried?.before?.status, "PARKED");
    assert.equal(retried?.before?.id, parkedEvent);
    assert.equal(retried?.before?.payload, undefined, "the event's payload (the customer's data) is not copied into the trail");
    assert.equal(retried?.after?.status, "QUEUED");

    const [revocationEntry] = by("revokeSessions");
    assert.deepEqual([revocationEntry?.operation, revocationEntry?.targetType, revocationEntry?.targetId], ["Revoke", "Principal", revoked]);
    assert.deepEqual([revocationEntry?.before?.tokensIssuedBefore, revocationEntry?.after?.tokensIssuedBefore], [null, revocation.revokedAt]);

    // The same operator's reads are there too, and the kind filter keeps them apart.
    const reads = await trail({ principalId: operator, kind: "READ" });
    assert.ok(reads.every((e) => e.kind === "READ"));
  });
});

describe("the trail, for ADMIN", () => {
  test("filters by principal, customer, kind, operation, action and time, newest first, in cursor pages", async () => {
    const reader = who("pages");
    const token = await tokenFor({ sub: reader, roles: ["AGENT"], regions: ["R33"] });
    const ids = ["C0000101", "C0000102", "C0000103", "C0000104", "C0000105"];
    const started = new Date(Date.now() - 1);
    for (const id of ids) dataOf(await gw.raw(`query Page($id: ID!) { customer(id: $id) { name } }`, { id }, token));
    dataOf(await gw.raw(`query Other { customer(id: "C0000101") { age } }`, {}, token));
    const all = await awaitEntries({ principalId: reader }, 6);

    // Newest first.
    assert.deepEqual(all.map((e) => e.at), [...all.map((e) => e.at)].sort().reverse());
    assert.equal(all[0]?.operation, "Other");

    // Pages of two: 2, 2, 2, no repeats, nothing missed, the same order.
    const pages: Entry[][] = [];
    let after: string | null = null;
    do {
      const page: TrailData["auditTrail"] = dataOf(await gw.raw<TrailData>(TRAIL, { filter: { principalId: reader }, first: 2, after }, admin)).auditTrail;
      pages.push(page.edges.map((e) => e.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after && pages.length < 10);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 2]);
    assert.deepEqual(pages.flat().map((e) => e.id), all.map((e) => e.id));

    assert.deepEqual((await trail({ principalId: reader, customerId: "C0000101" })).map((e) => e.operation), ["Other", "Page"]);
    assert.deepEqual((await trail({ customerId: "C0000103", principalId: reader })).length, 1);
    assert.equal((await trail({ principalId: reader, operation: "Page" })).length, 5);
    assert.equal((await trail({ principalId: reader, kind: "CHANGE" })).length, 0);
    assert.equal((await trail({ principalId: reader, action: "setContactPolicy" })).length, 0);
    assert.equal((await trail({ principalId: reader, since: started.toISOString() })).length, 6);
    assert.equal((await trail({ principalId: reader, until: started.toISOString() })).length, 0);
    const middle = all[2]!.at;
    assert.deepEqual((await trail({ principalId: reader, until: middle })).map((e) => e.id), all.slice(2).filter((e) => e.at <= middle).map((e) => e.id));
    // A page reads about its size from the filters' indexes, however long the trail (PROFILE's own row counts):
    // each part (entry nodes; request nodes) seeks its index; the customer's requests come from the full-text index.
    for (const filter of [{ principalId: reader }, { customerId: "C0000101", principalId: reader }, { operation: "Page" }, { kind: "READ" as const }, { changeId: "CH-none" }, {}]) {
      const { cypher, params } = auditPageStatement(auditPageRequest(filter, 2, null));
      const plan = await testGraph().session().profile(cypher, params);
      const seeks = findOperators(plan, (op) => op.operatorType.startsWith("NodeIndexSeek"));
      const parts = "changeId" in filter ? 1 : "customerId" in filter ? 1 : 2;
      assert.equal(seeks.length, parts, `${JSON.stringify(filter)}: each part seeks an index (plan starts with ${plan.operatorType})`);
      for (const seek of seeks) assert.ok(seek.rows <= 5, `${JSON.stringify(filter)}: a page of 2 read ${seek.rows} index entries (${seek.operatorType})`);
      if ("customerId" in filter) {
        const search = findOperators(plan, (op) => op.operatorType.startsWith("ProcedureCall"));
        assert.equal(search.length, 1, "the customer's requests from the full-text index");
        // Every request that read C0000101 in the suite so far, not the trail: a handful.
        assert.ok((search[0]?.rows ?? 0) <= 50, `the full-text index answered ${search[0]?.rows} requests for one customer`);
      }
    }
    // Without a principal or customer the time index serves: the newest entries of everyone, this reader's among them.
    const newest = dataOf(await gw.raw<TrailData>(TRAIL, { filter: { since: started.toISOString() }, first: 200 }, admin)).auditTrail.edges.map((e) => e.node.id);
    for (const e of all) assert.ok(newest.includes(e.id));
  });

  test("a request's reads are one node in the graph, served as one entry per customer: the customer filter finds every read, pages cut across a request's entries", async () => {
    const reader = who("many");
    const token = await tokenFor({ sub: reader, roles: ["AGENT"], regions: ["R33"] });
    const first = Array.from({ length: 12 }, (_, i) => `C00001${31 + i}`);
    const second = ["C0000131", "C0000143", "C0000144"];
    const aliased = (ids: string[]): string => ids.map((id, i) => `c${i}: customer(id: "${id}") { name }`).join(" ");
    dataOf(await gw.raw(`query Many { ${aliased(first)} }`, {}, token));
    dataOf(await gw.raw(`query Few { ${aliased(second)} }`, {}, token));
    const all = await awaitEntries({ principalId: reader }, first.length + second.length);

    const nodes = await testGraph().session().read<{ requests: number; entries: number }>(
      "CALL () { MATCH (r:AuditRequest {principalId: $p}) RETURN count(r) AS requests } CALL () { MATCH (a:AuditEntry {principalId: $p}) RETURN count(a) AS entries } RETURN requests, entries",
      { p: reader },
    );
    assert.deepEqual(nodes, [{ requests: 2, entries: 0 }], "one node per request, none per customer");
    assert.deepEqual(all.slice(0, 3).map((e) => e.operation), ["Few", "Few", "Few"], "newest request first");
    const request = all[3]?.id.replace(/:\d+$/, "");
    assert.deepEqual(all.slice(3).map((e) => e.id).sort(), first.map((_, i) => `${request}:${i}`).sort(), "the ids entries have always had: <request>:<n>");
    assert.deepEqual(all.slice(3).map((e) => e.customerId).sort(), [...first].sort());
    assert.ok(all.every((e) => e.kind === "READ" && e.msisdnUnmasked === false && e.fields.join() === "name" && e.changeId === null));

    // Pages of 5 over 15 entries of two requests: 5, 5, 5, no repeats, nothing missed, the same order.
    const pages: Entry[][] = [];
    let after: string | null = null;
    do {
      const page: TrailData["auditTrail"] = dataOf(await gw.raw<TrailData>(TRAIL, { filter: { principalId: reader }, first: 5, after }, admin)).auditTrail;
      pages.push(page.edges.map((e) => e.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after && pages.length < 10);
    assert.deepEqual(pages.map((p) => p.length), [5, 5, 5]);
    assert.deepEqual(pages.flat().map((e) => e.id), all.map((e) => e.id));
    // The same with the operation filter (its own index), inside one request.
    assert.deepEqual((await trail({ operation: "Many", principalId: reader }, 4)).map((e) => e.id), all.slice(3).map((e) => e.id));

    // The customer filter finds every read of each customer, in pages of one as well.
    for (const customerId of new Set([...first, ...second])) {
      const found = await trail({ customerId, principalId: reader }, 1);
      assert.deepEqual(found.map((e) => e.customerId), customerId === "C0000131" ? [customerId, customerId] : [customerId], customerId);
      assert.deepEqual(found.map((e) => e.operation), customerId === "C0000131" ? ["Few", "Many"] : [second.includes(customerId) ? "Few" : "Many"]);
    }
    const everyone = await trail({ customerId: "C0000143", since: all[0]?.at });
    assert.ok(everyone.some((e) => e.principalId === reader), "without a principal too");
    assert.equal((await trail({ customerId: "C0000131", principalId: reader, operation: "Few" })).length, 1);
    assert.equal((await trail({ customerId: "C0000131", principalId: reader, kind: "CHANGE" })).length, 0);
    // Whatever the text, it is one term to the full-text index, never Lucene syntax.
    for (const customerId of ['C0000131" OR "C0000132', "C00001*", "C0000131 OR C0000132", "\\", ":"]) {
      assert.deepEqual(await trail({ customerId, principalId: reader }), [], customerId);
    }
  });

  test("reads written one node per customer (before requests were written whole) are served beside requests' reads, in one order and by every filter", async () => {
    const reader = who("legacy");
    const base = Date.now() - 60_000;
    const at = (ms: number): string => new Date(base + ms).toISOString();
    const common = { principalId: reader, principalRoles: ["AGENT"], operation: "Legacy", operationType: "QUERY", transport: "HTTP", subscription: null };
    const old = { ...common, kind: "READ", msisdnUnmasked: false, action: null, targetType: null, targetId: null, changeId: null, proposedBy: null, before: null, after: null };
    await writeAudit(testGraph().session(), {
      requests: [{ ...common, id: `legacy-${process.pid}-b`, at: at(2_000), customerIds: ["C0000151", "C0000152"], fields: ["name,tags", "name"], unmasked: [true, false] }],
      entries: [
        { ...old, id: `legacy-${process.pid}-a:0`, at: at(1_000), customerId: "C0000151", fields: ["age"] },
        { ...old, id: `legacy-${process.pid}-c:0`, at: at(3_000), customerId: "C0000152", fields: ["usage"] },
      ],
    });
    const all = await trail({ principalId: reader });
    assert.deepEqual(
      all.map((e) => [e.id, e.customerId, e.fields.join(), e.msisdnUnmasked]),
      [
        [`legacy-${process.pid}-c:0`, "C0000152", "usage", false],
        [`legacy-${process.pid}-b:1`, "C0000152", "name", false],
        [`legacy-${process.pid}-b:0`, "C0000151", "name,tags", true],
        [`legacy-${process.pid}-a:0`, "C0000151", "age", false],
      ],
    );
    for (const first of [1, 2, 3]) assert.deepEqual((await trail({ principalId: reader }, first)).map((e) => e.id), all.map((e) => e.id), `pages of ${first}`);
    assert.deepEqual((await trail({ principalId: reader, customerId: "C0000151" }, 1)).map((e) => e.fields.join()), ["name,tags", "age"]);
    assert.deepEqual((await trail({ principalId: reader, kind: "READ", until: at(2_000) })).map((e) => e.id), all.slice(1).map((e) => e.id));
    assert.deepEqual((await trail({ principalId: reader, since: at(2_000), until: at(2_000) })).length, 2);
    // Written again (a writer that died before acknowledging): still once.
    await writeAudit(testGraph().session(), {
      requests: [{ ...common, id: `legacy-${process.pid}-b`, at: at(2_000), customerIds: ["C0000151", "C0000152"], fields: ["name,tags", "name"], unmasked: [true, false] }],
      entries: [],
    });
    assert.equal((await trail({ principalId: reader })).length, 4);
  });

  test("bad paging arguments are BAD_USER_INPUT; anyone but ADMIN is FORBIDDEN", async () => {
    const code = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;
    assert.equal(code(await gw.raw(TRAIL, { first: 0 }, admin)), "BAD_USER_INPUT");
    assert.equal(code(await gw.raw(TRAIL, { first: 201 }, admin)), "BAD_USER_INPUT");
    assert.equal(code(await gw.raw(TRAIL, { after: "not-a-cursor" }, admin)), "BAD_USER_INPUT");
    assert.equal(code(await gw.raw(TRAIL, { filter: { since: "2026-02-01T00:00:00Z", until: "2026-01-01T00:00:00Z" } }, admin)), "BAD_USER_INPUT");
    for (const role of ["AGENT", "APP", "MARKETER", "APPROVER", "SERVICE"] as const) {
      const res = await gw.raw(TRAIL, {}, await tokenFor({ sub: who(role), roles: [role], customerId: "C0000001" }));
      assert.equal(code(res), "FORBIDDEN", role);
      assert.equal(res.status, 403);
    }
  });
});

describe("durable and cheap", () => {
  test("entries of a gateway killed before its writer committed them are moved by another replica's writer, each exactly once", async () => {
    const graph = testGraph();
    // This replica's writer stands aside, so the other process's writer takes the entries and holds them.
    await gw.app.services.auditTrail.writer.stop();
    try {
      // The other replica gathers for a minute before committing: it is killed holding its batch.
      const replica = await startGatewayProcess({ AUDIT_LINGER_MS: "60000", AUDIT_BATCH: "1000", AUDIT_CLAIM_AFTER_MS: "600000" });
      const reader = who("killed");
      const token = await tokenFor({ sub: reader, roles: ["AGENT"], regions: ["R33"] });
      const ids = ["C0000201", "C0000202", "C0000203"];
      for (const id of ids) dataOf(await postGraphQL(replica.url, `query Killed($id: ID!) { customer(id: $id) { name } }`, { id }, token));
      const held = await eventually(
        async () => {
          const consumers = (await redis.xinfo("CONSUMERS", "audit:stream", AUDIT_GROUP)) as Array<Array<string | number>>;
          const pending = consumers.reduce((n, c) => n + Number(c[c.indexOf("pending") + 1] ?? 0), 0);
          assert.ok(pending >= ids.length, `${pending} entries pending in the group`);
          return pending;
        },
        { what: "the other replica's writer holding the entries" },
      );
      const count = async (): Promise<number> =>
        (await graph.session().read<{ n: number }>("MATCH (r:AuditRequest {principalId: $p}) RETURN count(r) AS n", { p: reader }))[0]?.n ?? 0;
      assert.equal(await count(), 0, "nothing committed before the kill");
      await replica.kill();

      gw.app.services.auditTrail.writer.start();
      await awaitEntries({ principalId: reader }, ids.length, 30_000);
      const rows = await graph.session().read<{ id: string; n: number }>("MATCH (r:AuditRequest {principalId: $p}) RETURN r.id AS id, count(*) AS n", { p: reader });
      assert.equal(rows.length, ids.length);
      assert.ok(rows.every((r) => r.n === 1), "each entry once");
      assert.ok(gw.app.services.auditTrail.writer.stats.claimed >= 1, `claimed from the dead replica (${held} were pending)`);
      await eventually(async () => assert.equal(Number(((await redis.xpending("audit:stream", AUDIT_GROUP)) as unknown[])[0]), 0), { what: "nothing left pending" });
    } finally {
      gw.app.services.auditTrail.writer.start();
    }
  });

  test("a request's entries appended twice (a retry after an ambiguous failure) are written once", async () => {
    const reader = who("twice");
    const token = await tokenFor({ sub: reader, roles: ["AGENT"], regions: ["R33"] });
    dataOf(await gw.raw(`query Twice { customer(id: "C0000301") { name } }`, {}, token));
    const [entry] = await awaitEntries({ principalId: reader }, 1);
    assert.ok(entry);
    // The record that entry came from, as the log appended it: "<request>:0" is its first read.
    const record: AuditRecord = {
      request: entry.id.replace(/:0$/, ""),
      at: entry.at,
      principalId: entry.principalId,
      principalRoles: entry.principalRoles,
      operation: entry.operation,
      operationType: "QUERY",
      transport: "HTTP",
      subscription: null,
      reads: [[entry.customerId ?? "", entry.fields, 0]],
      changes: [],
    };
    await redis.xadd("audit:stream", "*", ENTRIES_FIELD, JSON.stringify(record));
    await redis.xadd("audit:stream", "*", ENTRIES_FIELD, JSON.stringify(record));
    await eventually(async () => assert.equal(Number(await redis.xlen("audit:stream")), 0), { what: "the copies committed and deleted" });
    assert.equal((await trail({ principalId: reader })).length, 1);
  });

  test("a record the graph could not keep as written (a field name with a comma) is parked with its error; the records around it are written", async () => {
    const reader = who("parked");
    const record = (request: string, fields: string[]): AuditRecord => ({
      request, at: new Date().toISOString(), principalId: reader, principalRoles: ["AGENT"], operation: "Parked", operationType: "QUERY", transport: "HTTP", subscription: null,
      reads: [["C0000501", fields, 0], ["C0000502", ["name"], 0]], changes: [],
    });
    const bad = `parked-${process.pid}-bad`;
    await redis.xadd("audit:stream", "*", ENTRIES_FIELD, JSON.stringify(record(`parked-${process.pid}-before`, ["name"])));
    const badId = await redis.xadd("audit:stream", "*", ENTRIES_FIELD, JSON.stringify(record(bad, ["name,age"])));
    await redis.xadd("audit:stream", "*", ENTRIES_FIELD, JSON.stringify(record(`parked-${process.pid}-after`, ["age"])));
    const entries = await awaitEntries({ principalId: reader }, 4);
    assert.ok(entries.every((e) => !e.id.startsWith(bad)), "nothing of the parked record");
    const parked = await eventually(
      async () => {
        const rows = (await redis.xrange("audit:parked", "-", "+")).map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])) as Record<string, string>);
        const found = rows.find((r) => r.entry === badId);
        assert.ok(found, "the record on audit:parked");
        return found;
      },
      { what: "the record parked" },
    );
    assert.match(parked.error ?? "", /no comma/);
    assert.equal(JSON.parse(parked[ENTRIES_FIELD] ?? "{}").request, bad, "the record kept whole, to be fixed and re-appended");
  });

  test("Redis down: reads still answer, their entries wait in memory (bounded, drops counted) and reach the graph once Redis is back", async () => {
    const real = testServices();
    const redisProxy = await CuttableProxy.start(real.redisUrl);
    const cut = await startTestGateway({ redisUrl: redisProxy.through(real.redisUrl), audit: { lingerMs: 20, buffer: 2 } });
    const reader = who("outage");
    const token = await tokenFor({ sub: reader, roles: ["AGENT"], regions: ["R33"] });
    const log = cut.app.services.auditTrail.log;
    await redisProxy.cut();
    await eventually(async () => assert.notEqual(cut.app.services.redis.status, "ready"), { what: "the gateway noticing Redis is gone" });

    for (const id of ["C0000401", "C0000402", "C0000403"]) {
      const res = await cut.raw<{ customer: { name: string } }>(`query Outage($id: ID!) { customer(id: $id) { name } }`, { id }, token);
      assert.equal(res.status, 200);
      assert.ok(dataOf(res).customer.name, "the read answers");
    }
    assert.equal(log.stats.held, 2, "two entries held (AUDIT_BUFFER 2)");
    assert.equal(log.stats.dropped, 1, "the third dropped, and counted");

    await redisProxy.restore();
    const entries = await awaitEntries({ principalId: reader }, 2, 30_000);
    assert.deepEqual(entries.map((e) => e.customerId).sort(), ["C0000401", "C0000402"]);
    assert.equal(log.stats.held, 0);
  });
});
