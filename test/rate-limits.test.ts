import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { NextBestOffersDocument } from "../schema/generated/operations";
import { DEFAULT_RATE_LIMITS, RateLimits } from "../src/auth/rate-limits";
import { ConfigError, loadConfig } from "../src/platform/config";
import { createLogger } from "../src/platform/logger";
import { tokenFor } from "./support/auth";
import { freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { startTestGateway, testServices, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { LiveClient, testRedis } from "./support/live";
import { CuttableProxy } from "./support/proxy";

/**
 * Per-principal rate limits counted in Redis: two replicas spend from one budget; reads,
 * decisions and mutations are separate budgets; the one over gets RATE_LIMITED with
 * retryAfterSeconds (HTTP: 429 and Retry-After; WebSocket: the error on the subscribe); while
 * Redis is down each replica counts in memory instead of refusing everything.
 */

/** Small budgets so a test reaches them: AGENT 4 reads, 2 decisions, 2 mutations a minute. */
const SMALL = { AGENT: { reads: 4, decisions: 2, mutations: 2 } };

let agents = 0;
/** A token for an agent nobody else has spent for (budgets are per principal and last a minute). */
function freshAgent(): Promise<string> {
  return freshAgentWithId().then((a) => a.token);
}

async function freshAgentWithId(): Promise<{ token: string; id: string }> {
  agents += 1;
  const id = `agent:rl-${process.pid}-${agents}-${Date.now().toString(36)}`;
  return { id, token: await tokenFor({ sub: id, roles: ["AGENT"], agentId: `rl-${agents}` }) };
}

const CHANNELS = "{ channels { code } }";

function assertLimited(res: GraphQLResponse<unknown>, budget: string, per: RegExp): void {
  assert.equal(res.status, 429, JSON.stringify(res.errors));
  const error = res.errors?.[0];
  assert.equal(error?.extensions?.code, "RATE_LIMITED");
  assert.equal(error?.extensions?.budget, budget);
  const retry = error?.extensions?.retryAfterSeconds as number;
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `retryAfterSeconds ${retry}`);
  assert.equal(res.headers.get("retry-after"), String(retry));
  assert.match(error?.message ?? "", per);
  assert.equal(res.data ?? null, null);
}

describe("rate limits shared by replicas", () => {
  let one: TestGateway;
  let two: TestGateway;
  before(async () => {
    one = await startTestGateway({ limits: { rateLimits: SMALL } });
    two = await startTestGateway({ limits: { rateLimits: SMALL } });
  });

  test("reads: 4 a minute across both replicas; the 5th gets 429 with Retry-After, on either", async () => {
    const token = await freshAgent();
    for (const gw of [one, two, one, two]) assert.equal((await gw.raw(CHANNELS, undefined, token)).errors, undefined);
    assertLimited(await one.raw(CHANNELS, undefined, token), "reads", /may make 4 reads a minute across all replicas/);
    assertLimited(await two.raw(CHANNELS, undefined, token), "reads", /Retry in \d+ s/);
    // Another agent has a budget of its own.
    assert.equal((await two.raw(CHANNELS, undefined, await freshAgent())).errors, undefined);
  });

  test("over WebSocket the refusal is the error on the subscribe, and the socket stays open", async () => {
    const token = await freshAgent();
    for (let i = 0; i < 4; i += 1) assert.equal((await one.raw(CHANNELS, undefined, token)).errors, undefined);
    const live = new LiveClient(two.url, token);
    const sub = live.subscribe(`subscription { deskFeed(agentId: "rl-${agents}") { cursor } }`);
    await sub.ended();
    assert.equal(sub.errors[0]?.extensions?.code, "RATE_LIMITED");
    assert.ok((sub.errors[0]?.extensions?.retryAfterSeconds as number) >= 1);
    assert.equal(sub.errors[0]?.extensions?.http, undefined, "no HTTP details on a socket");
    assert.equal(live.closedWith, null);
  });

  test("decisions are a budget of their own, counted per decision: 2 a minute; a batch that would make 3 is refused whole and spends nothing", async () => {
    const token = await freshAgent();
    const ids = await freshIds(3);
    const batch = await one.raw(`{ customers(ids: ${JSON.stringify(ids)}) { nextBestOffers(channel: HOTLINE, limit: 1) { id } } }`, undefined, token);
    assertLimited(batch, "decisions", /may make 2 decisions a minute across all replicas, and this operation would make 3 more/);
    assert.equal((await one.request(NextBestOffersDocument, { customerId: ids[0] as string, channel: "HOTLINE", limit: 1 }, token)).errors, undefined);
    assert.equal((await two.request(NextBestOffersDocument, { customerId: ids[1] as string, channel: "HOTLINE", limit: 1 }, token)).errors, undefined);
    assertLimited(await one.request(NextBestOffersDocument, { customerId: ids[2] as string, channel: "HOTLINE", limit: 1 }, token), "decisions", /2 decisions a minute/);
  });

  test("mutations are a budget of their own", async () => {
    const token = await freshAgent();
    const respond = 'mutation { respondToOffer(decisionId: "D-none", outcome: ACCEPTED) { id } }';
    for (let i = 0; i < 2; i += 1) assert.equal((await two.raw(respond, undefined, token)).errors?.[0]?.extensions?.code, "NOT_FOUND");
    assertLimited(await one.raw(respond, undefined, token), "mutations", /2 mutations a minute/);
  });

  test("a role with no decisions at all is FORBIDDEN from deciding through a nested field, not told to wait", async () => {
    const marketer = await tokenFor({ sub: `mk:${process.pid}`, roles: ["MARKETER"] });
    const res = await one.raw('{ customer(id: "C0000001") { nextBestOffers(channel: APP) { id } } }', undefined, marketer);
    assert.equal(res.errors?.[0]?.extensions?.code, "FORBIDDEN", JSON.stringify(res.errors));
    assert.match(res.errors?.[0]?.message ?? "", /may make no decisions/);
  });

  test("the counters live under the gateway's key prefix, one per budget and principal, for a minute", async () => {
    const { token, id } = await freshAgentWithId();
    assert.equal((await one.raw(CHANNELS, undefined, token)).errors, undefined);
    const redis = testRedis();
    assert.equal(await redis.get(`rl:reads:${id}`), "1", "rl:reads:<principal> under the gateway's prefix");
    const ttl = await redis.pttl(`rl:reads:${id}`);
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
  });
});

describe("rate limits while Redis is down", () => {
  test("each replica counts in memory: reads go on, and a flood is still held", async () => {
    const real = testServices();
    const redisProxy = await CuttableProxy.start(real.redisUrl);
    const gw = await startTestGateway({ redisUrl: redisProxy.through(real.redisUrl), limits: { rateLimits: SMALL } });
    const token = await freshAgent();
    await redisProxy.cut();
    await eventually(async () => assert.equal((await fetch(`${gw.origin}/readyz`)).status, 503), { what: "readiness to notice Redis is gone", timeoutMs: 20_000 });
    for (let i = 0; i < 4; i += 1) assert.equal((await gw.raw(CHANNELS, undefined, token)).errors, undefined, "reads are served without Redis");
    assertLimited(await gw.raw(CHANNELS, undefined, token), "reads", /4 reads a minute/);
    await redisProxy.restore();
  });
});

describe("rate-limit settings", () => {
  test("RATE_LIMITS: off, per-role overrides, and what is refused", () => {
    assert.equal(loadConfig({ RATE_LIMITS: "off" }).limits.rateLimits, "off");
    assert.deepEqual(loadConfig({}).limits.rateLimits, {});
    assert.deepEqual(loadConfig({ RATE_LIMITS: "AGENT=1/2/3, SERVICE=10/20/30" }).limits.rateLimits, {
      AGENT: { reads: 1, decisions: 2, mutations: 3 },
      SERVICE: { reads: 10, decisions: 20, mutations: 30 },
    });
    assert.throws(() => loadConfig({ RATE_LIMITS: "AGENT=lots" }), (e: unknown) => e instanceof ConfigError && /ROLE=reads\/decisions\/mutations/.test(e.message));
    const redis = testRedis();
    assert.throws(() => new RateLimits(redis, { ROOT: { reads: 1, decisions: 1, mutations: 1 } }, createLogger("t", "silent")), /names role "ROOT"/);
    const limits = new RateLimits(redis, { AGENT: { reads: 1, decisions: 2, mutations: 3 } }, createLogger("t", "silent"));
    // A person holding several roles gets the most generous of each.
    const both = { id: "x", roles: new Set(["AGENT", "MARKETER"] as const), regions: [], agentId: null, teams: [], customerId: null, expiresAt: null, permissions: new Set<string>() };
    assert.deepEqual(limits.allowance(both), { reads: DEFAULT_RATE_LIMITS.MARKETER.reads, decisions: 2, mutations: DEFAULT_RATE_LIMITS.MARKETER.mutations });
  });
});
