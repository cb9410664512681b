import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { buildGatewaySchema } from "../schema/build";
import { PERMISSIONS } from "../src/auth/permissions";
import { permissionsDocument } from "../src/main/permissions-doc";
import { rootCoordinates } from "../src/auth/policy";
import { ROLES, type Role } from "../src/auth/principal";
import { TokenVerifier, mintToken } from "../src/auth/tokens";
import { loadConfig, ConfigError } from "../src/platform/config";
import { PROJECT_ROOT } from "../src/platform/paths";
import { TEST_AUTH_SECRET, tokenFor } from "./support/auth";
import { within } from "./support/eventually";
import { startTestGateway, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { LiveClient } from "./support/live";

/**
 * Authentication and the permission matrix, on HTTP and on graphql-ws: anonymous callers and bad
 * tokens are UNAUTHENTICATED, every root operation × role is allowed exactly as the matrix says
 * (FORBIDDEN otherwise, before anything runs), argument guards hold (an APP token is its own
 * customer's, a desk feed its agent's), and a socket whose token expires is closed with 4403.
 */

const codeOf = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;

/**
 * One token per role, each holding that role only. The APP token acts for a customer that does not
 * exist, so what it may do answers NOT_FOUND rather than writing; the AGENT token holds pii:read,
 * so its customerByMsisdn of an unknown number answers null (without it, only its current caller's
 * number may be looked up: test/scoping.test.ts).
 */
async function roleToken(role: Role): Promise<string> {
  return mintToken(
    TEST_AUTH_SECRET,
    { sub: `test:${role}`, roles: [role], regions: ["R33"], agentId: "A-auth", ...(role === "APP" ? { customerId: "C9999999" } : {}), ...(role === "AGENT" ? { permissions: ["pii:read"] } : {}) },
    600,
  );
}

/**
 * A document per root operation that is harmless when allowed: unknown ids (NOT_FOUND), input that
 * fails its own checks (BAD_USER_INPUT), empty lists. What matters is whether the answer is
 * FORBIDDEN, which the policy decides before any of that runs.
 */
const SAMPLES: Record<string, string> = {
  "Query.products": "{ products { id } }",
  "Query.channels": "{ channels { code } }",
  // Every role may fetch entities its roles may read through their root fields (test/federation.test.ts has the rest).
  "Query._entities": '{ _entities(representations: [{ __typename: "Product", id: "P-none" }]) { __typename } }',
  "Query._service": "{ _service { sdl } }",
  "Query.contactPolicy": "{ contactPolicy { version } }",
  "Query.customer": '{ customer(id: "C9999999") { id } }',
  "Query.customers": '{ customers(ids: ["C9999999"]) { id } }',
  "Query.customerByMsisdn": '{ customerByMsisdn(msisdn: "19999999999") { id } }',
  "Query.nextBestOffers": '{ nextBestOffers(customerId: "C9999999", channel: APP) { id } }',
  "Query.decision": '{ decision(id: "D-none") { id } }',
  "Query.strategies": "{ strategies { id } }",
  "Query.strategy": '{ strategy(id: "ST-none") { id } }',
  "Query.offers": "{ offers { id } }",
  "Query.segments": "{ segments { id } }",
  "Query.parkedEvents": "{ parkedEvents(first: 1) { parkedId } }",
  "Query.eventPipeline": "{ eventPipeline { pending } }",
  "Query.auditTrail": "{ auditTrail(first: 1) { edges { cursor } } }",
  "Query.pendingChanges": '{ pendingChanges(author: "nobody", first: 1) { totalCount } }',
  "Query.change": '{ change(id: "CH-none") { id } }',
  "Mutation.setContactPolicy": "mutation { setContactPolicy(input: { overallCap: { limit: -1, windowDays: 7 } }) { version } }",
  "Mutation.respondToOffer": 'mutation { respondToOffer(decisionId: "D-none", outcome: ACCEPTED) { id } }',
  "Mutation.createStrategy": 'mutation { createStrategy(input: { code: "not a code" }) { id } }',
  "Mutation.updateStrategy": 'mutation { updateStrategy(id: "ST-none", input: {}) { id } }',
  "Mutation.retireStrategy": 'mutation { retireStrategy(id: "ST-none") { id } }',
  "Mutation.createOffer": 'mutation { createOffer(input: { code: "not a code" }) { id } }',
  "Mutation.updateOffer": 'mutation { updateOffer(id: "OF-none", input: {}) { id } }',
  "Mutation.retireOffer": 'mutation { retireOffer(id: "OF-none") { id } }',
  "Mutation.createSegment": 'mutation { createSegment(input: { code: "not a code" }) { id } }',
  "Mutation.updateSegment": 'mutation { updateSegment(id: "SG-none", input: {}) { id } }',
  "Query.tags": "{ tags(first: 1) { totalCount } }",
  "Query.tag": '{ tag(id: "T-none") { id } }',
  "Query.tagImpact": '{ tagImpact(id: "T-none") { campaignIds } }',
  "Query.searchIndicators": '{ searchIndicators(text: "arpu", first: 1) { code } }',
  "Query.segmentPreview": '{ segmentPreview(expression: "TEL_NO_SUCH_TAG") { count } }',
  "Query.segmentIndex": "{ segmentIndex { state } }",
  "Query.segmentSnapshot": '{ segmentSnapshot(id: "SS-none") { id } }',
  "Mutation.materializeSegment": 'mutation { materializeSegment(segmentId: "SG-none") { id } }',
  "Mutation.setSegmentRefresh": 'mutation { setSegmentRefresh(segmentId: "SG-none", hour: 25) { id } }',
  "Query.campaign": '{ campaign(id: "CP-none") { id } }',
  "Query.campaigns": "{ campaigns(first: 1) { edges { cursor } } }",
  "Mutation.createCampaign": 'mutation { createCampaign(input: { name: "x", strategyId: "ST-none", segmentId: "SG-none", startAt: "2030-01-01T00:00:00Z", waves: [] }) { id } }',
  "Mutation.updateCampaign": 'mutation { updateCampaign(id: "CP-none", input: { name: "x", strategyId: "ST-none", segmentId: "SG-none", startAt: "2030-01-01T00:00:00Z", waves: [] }) { id } }',
  "Mutation.submitCampaign": 'mutation { submitCampaign(id: "CP-none") { campaign { id } } }',
  "Mutation.launchCampaign": 'mutation { launchCampaign(id: "CP-none") { id } }',
  "Mutation.pauseCampaign": 'mutation { pauseCampaign(id: "CP-none") { id } }',
  "Mutation.resumeCampaign": 'mutation { resumeCampaign(id: "CP-none") { id } }',
  "Mutation.cancelCampaign": 'mutation { cancelCampaign(id: "CP-none") { id } }',
  "Mutation.rebuildSegmentIndex": "mutation { rebuildSegmentIndex { state } }",
  "Mutation.createTag": 'mutation { createTag(input: { code: "not a code", name: "x", level1: "Basic", level2: "x", definition: "x", valueType: FLAG }) { id } }',
  "Mutation.updateTag": 'mutation { updateTag(id: "T-none", input: {}) { id } }',
  "Mutation.submitTag": 'mutation { submitTag(id: "T-none") { id } }',
  "Mutation.promoteTag": 'mutation { promoteTag(id: "T-none") { id } }',
  "Mutation.offlineTag": 'mutation { offlineTag(id: "T-none", reason: "x") { id } }',
  "Mutation.publishTag": 'mutation { publishTag(id: "T-none") { id } }',
  "Mutation.refreshTagStatistics": "mutation { refreshTagStatistics(ids: []) { id } }",
  "Mutation.runTag": 'mutation { runTag(id: "T-none") { id } }',
  "Query.tagRun": '{ tagRun(id: "TR-none") { id } }',
  "Mutation.importTagValues": 'mutation { importTagValues(tagId: "T-none", values: []) { rows } }',
  "Mutation.removeTagValues": 'mutation { removeTagValues(tagId: "T-none", customerIds: []) { removed } }',
  "Mutation.ingestEvents": "mutation { ingestEvents(events: []) { accepted } }",
  "Mutation.retryParkedEvents": "mutation { retryParkedEvents(parkedIds: []) }",
  "Query.sessions": '{ sessions(principalId: "nobody") { id } }',
  "Mutation.revokeSessions": 'mutation { revokeSessions(principalId: "test:nobody") { revokedAt } }',
  "Mutation.approveChange": 'mutation { approveChange(id: "CH-none") { id } }',
  "Mutation.rejectChange": 'mutation { rejectChange(id: "CH-none", reason: "no") { id } }',
  "Mutation.withdrawChange": 'mutation { withdrawChange(id: "CH-none") { id } }',
  "Query.workOrders": "{ workOrders(first: 1) { edges { cursor } } }",
  "Query.workOrder": '{ workOrder(id: "WO-none") { id } }',
  "Mutation.dispatchWorkOrder": 'mutation { dispatchWorkOrder(decisionId: "D-none", kind: OUTBOUND_CALL, dueAt: "2000-01-01T00:00:00Z") { id } }',
  "Mutation.claimWorkOrder": 'mutation { claimWorkOrder(id: "WO-none") { id } }',
  "Mutation.reportWorkOrder": 'mutation { reportWorkOrder(id: "WO-none", feedback: REACHED) { id } }',
  "Mutation.recordInteraction": 'mutation { recordInteraction(input: { customerId: "C9999999", kind: NOTE, channel: HOTLINE, summary: "x" }) { id } }',
  "Subscription.liveOffers": 'subscription { liveOffers(customerId: "C9999999") { cursor } }',
  "Subscription.deskFeed": 'subscription { deskFeed(agentId: "A-auth") { cursor } }',
  "Subscription.offerFeed": "subscription { offerFeed { cursor } }",
  "Query.evaluation": '{ evaluation(filter: {campaignIds: ["CP-none"]}) { key } }',
  "Query.campaignRanking": '{ campaignRanking(from: "2019-01-01T00:00:00Z", to: "2019-01-02T00:00:00Z", metric: UPLIFT) { key } }',
  "Query.evaluationTrend": '{ evaluationTrend(filter: {from: "2019-01-01T00:00:00Z", to: "2019-01-02T00:00:00Z"}, metric: TARGETED) { day } }',
  "Query.strategyCube": '{ strategyCube(from: "2019-01-01T00:00:00Z", to: "2019-01-02T00:00:00Z") { decisions } }',
  "Query.campaignAlerts": '{ campaignAlerts(campaignId: "CP-none") { id } }',
  "Query.campaignReport": '{ campaignReport(campaignId: "CP-none") { campaignId } }',
  "Subscription.campaignAlerts": 'subscription { campaignAlerts(campaignId: "CP-none") { id } }',
};

describe("authentication and the permission matrix", () => {
  let gw: TestGateway;
  const tokens = new Map<Role, string>();
  before(async () => {
    gw = await startTestGateway();
    for (const role of ROLES) tokens.set(role, await roleToken(role));
  });

  test("every root operation of the schema has a rule and a sample here, and no rule names an operation that is gone", async () => {
    const coordinates = rootCoordinates(await buildGatewaySchema()).sort();
    assert.deepEqual(coordinates.filter((c) => !PERMISSIONS[c]), [], "operations without a rule are FORBIDDEN to everyone: add them to src/auth/permissions.ts");
    assert.deepEqual(Object.keys(PERMISSIONS).sort(), coordinates, "every rule names an operation of the schema");
    assert.deepEqual(Object.keys(SAMPLES).sort(), coordinates, "every operation has a sample in this test");
  });

  test("no token: UNAUTHENTICATED (401) with how to get one; health and readiness stay open", async () => {
    const res = await gw.raw("{ channels { code } }", undefined, null);
    assert.equal(res.status, 401);
    assert.equal(codeOf(res), "UNAUTHENTICATED");
    assert.match(res.errors?.[0]?.message ?? "", /Authorization: Bearer/);
    assert.equal(res.data ?? null, null, "nothing was executed");
    assert.equal((await fetch(`${gw.origin}/healthz`)).status, 200);
    assert.equal((await fetch(`${gw.origin}/readyz`)).status, 200);
  });

  test("a token signed with another secret, an expired one, one without a known role: UNAUTHENTICATED, each saying why", async () => {
    const forged = await mintToken("another-secret-of-at-least-32-characters!", { sub: "x", roles: ["ADMIN"] }, 600);
    assert.equal(codeOf(await gw.raw("{ channels { code } }", undefined, forged)), "UNAUTHENTICATED");
    const expired = await mintToken(TEST_AUTH_SECRET, { sub: "x", roles: ["ADMIN"] }, -10);
    const late = await gw.raw("{ channels { code } }", undefined, expired);
    assert.equal(codeOf(late), "UNAUTHENTICATED");
    assert.match(late.errors?.[0]?.message ?? "", /expired/);
    const roleless = await mintToken(TEST_AUTH_SECRET, { sub: "x", roles: ["ROOT" as Role] }, 600);
    const none = await gw.raw("{ channels { code } }", undefined, roleless);
    assert.equal(codeOf(none), "UNAUTHENTICATED");
    assert.match(none.errors?.[0]?.message ?? "", /role/);
    assert.equal(codeOf(await gw.raw("{ channels { code } }", undefined, "not-a-jwt")), "UNAUTHENTICATED");
  });

  test("queries and mutations × roles: allowed exactly as the matrix says, FORBIDDEN otherwise", async () => {
    const mismatches: string[] = [];
    for (const [coordinate, document] of Object.entries(SAMPLES)) {
      if (coordinate.startsWith("Subscription.")) continue;
      for (const role of ROLES) {
        const res = await gw.raw(document, undefined, tokens.get(role));
        const allowed = PERMISSIONS[coordinate]?.roles[role] !== undefined;
        const forbidden = codeOf(res) === "FORBIDDEN";
        if (forbidden === allowed) mismatches.push(`${coordinate} as ${role}: ${allowed ? "allowed by the matrix" : "not in the matrix"}, answered ${JSON.stringify(res.errors ?? res.data).slice(0, 160)}`);
        if (forbidden) assert.equal(res.data ?? null, null, `${coordinate} as ${role}: refused before anything ran`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test("subscriptions × roles over graphql-ws: refused on subscribe exactly as the matrix says", async () => {
    const mismatches: string[] = [];
    for (const [coordinate, document] of Object.entries(SAMPLES)) {
      if (!coordinate.startsWith("Subscription.")) continue;
      for (const role of ROLES) {
        const live = new LiveClient(gw.url, tokens.get(role));
        const sub = live.subscribe(document);
        const allowed = PERMISSIONS[coordinate]?.roles[role] !== undefined;
        // A refused subscription errors at once; an allowed one stays open (or fails later for another reason, e.g. NOT_FOUND).
        const outcome = await sub.ended(500).then(
          () => sub.errors,
          () => null,
        );
        const forbidden = outcome?.some((e) => e.extensions?.code === "FORBIDDEN") ?? false;
        if (forbidden === allowed) mismatches.push(`${coordinate} as ${role}: ${allowed ? "allowed" : "not allowed"} by the matrix, got ${JSON.stringify(outcome)}`);
        await live.close();
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test("guards: an APP token reads its own customer only; an AGENT's desk feed is its own; only SERVICE and ADMIN decide at another time", async () => {
    const app = await tokenFor({ sub: "C0000001", roles: ["APP"], customerId: "C0000001" });
    const own = await gw.raw('{ customer(id: "C0000001") { id } }', undefined, app);
    assert.equal(codeOf(own), undefined, JSON.stringify(own.errors));
    const stranger = await gw.raw('{ customer(id: "C0000002") { id } }', undefined, app);
    assert.equal(codeOf(stranger), "FORBIDDEN");
    assert.match(stranger.errors?.[0]?.message ?? "", /C0000001 only/);
    // Aliases do not get round it: one stranger among the fields refuses the whole operation.
    const mixed = await gw.raw('{ a: customer(id: "C0000001") { id } b: customer(id: "C0000002") { id } }', undefined, app);
    assert.equal(codeOf(mixed), "FORBIDDEN");
    assert.equal(mixed.data ?? null, null);
    // Nor do fragments or variables.
    const viaFragment = await gw.raw("query ($id: ID!) { ...F } fragment F on Query { customer(id: $id) { id } }", { id: "C0000002" }, app);
    assert.equal(codeOf(viaFragment), "FORBIDDEN");

    const agent = await tokenFor({ sub: "agent:A7", roles: ["AGENT"], agentId: "A7" });
    const live = new LiveClient(gw.url, agent);
    const theirs = live.subscribe('subscription { deskFeed(agentId: "A8") { cursor } }');
    await theirs.ended();
    assert.equal(theirs.errors[0]?.extensions?.code, "FORBIDDEN");

    const at = await gw.raw('{ nextBestOffers(customerId: "C9999999", channel: HOTLINE, context: { at: "2026-01-01T00:00:00Z" }) { id } }', undefined, agent);
    assert.equal(codeOf(at), "FORBIDDEN");
    assert.match(at.errors?.[0]?.message ?? "", /context\.at/);
    const service = await gw.raw('{ nextBestOffers(customerId: "C9999999", channel: HOTLINE, context: { at: "2026-01-01T00:00:00Z" }) { id } }', undefined, tokens.get("SERVICE"));
    assert.equal(codeOf(service), "NOT_FOUND", "SERVICE may simulate; the customer does not exist");
  });

  test("WebSocket: no token closes the socket with 4403; a token that expires closes it with 4403 then", async () => {
    const anonymous = new LiveClient(gw.url, null);
    assert.equal(await within(anonymous.closed, { what: "an anonymous socket closed" }), 4403);

    const brief = await mintToken(TEST_AUTH_SECRET, { sub: "svc", roles: ["SERVICE"], regions: ["R33"] }, 2);
    const live = new LiveClient(gw.url, brief);
    const feed = live.subscribe("subscription { offerFeed { cursor } }");
    // The wall clock is what is under test here: the token lives two seconds.
    assert.equal(await within(live.closed, { what: "the socket closed when its token expired", timeoutMs: 6_000 }), 4403);
    assert.equal(feed.errors.length, 0, "the subscription was accepted while the token was valid");
  });

  test("docs/SECURITY.md is the matrix as the code has it (npm run permissions)", () => {
    assert.equal(readFileSync(join(PROJECT_ROOT, "docs/SECURITY.md"), "utf8"), permissionsDocument(), "run `npm run permissions` and commit docs/SECURITY.md");
  });

  test("production refuses to start without key material; a short secret is refused", () => {
    assert.throws(() => loadConfig({ NODE_ENV: "production" }), (e: unknown) => e instanceof ConfigError && /AUTH_JWKS_URL|AUTH_SECRET/.test(e.message));
    assert.throws(() => loadConfig({ AUTH_SECRET: "short" }), (e: unknown) => e instanceof ConfigError && /32 characters/.test(e.message));
    assert.equal(loadConfig({ NODE_ENV: "production", AUTH_SECRET: TEST_AUTH_SECRET }).auth.secret, TEST_AUTH_SECRET);
  });

  test("`npm run token` mints a token the gateway accepts (its last line)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, "dist/src/main/token.js"), "--role", "AGENT", "--region", "R3301", "--agent", "A42"], {
      env: { ...process.env, AUTH_SECRET: TEST_AUTH_SECRET },
    });
    const token = stdout.trim().split("\n").at(-1) ?? "";
    const principal = await new TokenVerifier({ secret: TEST_AUTH_SECRET }).verify(token);
    assert.deepEqual([...principal.roles], ["AGENT"]);
    assert.deepEqual(principal.regions, ["R3301"]);
    assert.equal(principal.agentId, "A42");
    assert.equal(codeOf(await gw.raw('{ customer(id: "C0000001") { id } }', undefined, token)), undefined);
  });
});
