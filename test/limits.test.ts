import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { Kind, parse, validate, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from "graphql";
import { buildGatewaySchema } from "../schema/build";
import { UnifiedViewBatchDocument } from "../schema/generated/operations";
import { DECISION_COST, QUERY_LIMITS, operationCost } from "../src/auth/cost";
import { PROJECT_ROOT } from "../src/platform/paths";
import { queryLimitRules } from "../src/server/limits";
import { tokenFor } from "./support/auth";
import { freshIds } from "./support/customers";
import { eventually, within } from "./support/eventually";
import { AUDIT_AT_THE_END, dataOf, startTestGateway, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { LiveClient, subscriptionsOn, type Collector } from "./support/live";

/**
 * Query limits on both transports (depth, aliases, directives, tokens, cost; introspection and
 * suggestions off in production), batches and body size over HTTP, and the socket's own limits:
 * message size, operations per socket and subscriptions per principal, and the Origin of the upgrade.
 */

const codeOf = (errors: ReadonlyArray<{ extensions?: Record<string, unknown> }> | undefined): unknown => errors?.[0]?.extensions?.code;

/** Runs one query or mutation over graphql-ws and returns what the subscription saw. */
async function overSocket(gw: TestGateway, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Collector<Record<string, unknown>>> {
  const live = new LiveClient(gw.url, token);
  const sub = live.subscribe(query, variables);
  await sub.ended();
  await live.close();
  return sub;
}

/** The customer's trajectory length as the graph has it. */
async function trajectoryLength(gw: TestGateway, id: string): Promise<number> {
  const res = await gw.raw<{ customer: { contacts: { totalCount: number } } }>("query ($id: ID!) { customer(id: $id) { contacts(first: 1) { totalCount } } }", { id });
  return dataOf(res).customer.contacts.totalCount;
}

/** Refused on both transports with BAD_USER_INPUT naming `limit`, before anything reached Neo4j. */
async function refusedOnBoth(gw: TestGateway, query: string, limit: string, message: RegExp, variables: Record<string, unknown> = {}): Promise<void> {
  const before = gw.app.services.graph.stats.started;
  const http = await gw.raw(query, variables);
  assert.equal(codeOf(http.errors), "BAD_USER_INPUT", JSON.stringify(http.errors));
  assert.equal(http.errors?.[0]?.extensions?.limit, limit);
  assert.match(http.errors?.[0]?.message ?? "", message);
  assert.equal(http.status, 400);
  assert.equal(http.data ?? null, null);
  const ws = await overSocket(gw, query, variables);
  assert.equal(codeOf(ws.errors), "BAD_USER_INPUT", JSON.stringify(ws.errors));
  assert.equal(ws.errors[0]?.extensions?.limit, limit);
  assert.match(ws.errors[0]?.message ?? "", message);
  assert.equal(ws.items.length, 0);
  assert.equal(gw.app.services.graph.stats.started, before, "no statement reached Neo4j");
}

const deepCircle = (levels: number): string => (levels === 0 ? "id" : `circle(limit: 50) { customer { ${deepCircle(levels - 1)} } }`);

describe("query limits, the same on HTTP and WebSocket", () => {
  let gw: TestGateway;
  before(async () => {
    // refusedOnBoth counts the gateway's statements: no background audit commit in between.
    gw = await startTestGateway({ audit: AUDIT_AT_THE_END });
    await eventually(() => assert.equal(gw.app.services.graph.stats.started, gw.app.services.graph.stats.settled), { what: "the start-up statements settled" });
  });

  test("every operation the front lines send passes, at its largest (the desk's view of 100 customers at once)", async () => {
    const schema = await buildGatewaySchema();
    const dir = join(PROJECT_ROOT, "schema/operations");
    const definitions = readdirSync(dir)
      .filter((f) => f.endsWith(".graphql"))
      .flatMap((f) => parse(readFileSync(join(dir, f), "utf8")).definitions);
    const fragments = definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
    const operations = definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    assert.ok(operations.length >= 11);
    const largest: Record<string, unknown> = { ids: Array.from({ length: 100 }, (_, i) => `C${String(i + 1).padStart(7, "0")}`), first: 100, limit: 10, events: Array.from({ length: 1000 }, () => ({})) };
    for (const operation of operations) {
      const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
      assert.deepEqual(validate(schema, document, queryLimitRules(true)).map((e) => e.message), [], operation.name?.value);
      const variables = Object.fromEntries((operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, largest[v.variable.name.value] ?? "x"]));
      const cost = operationCost(schema, document, operation.name?.value, { ...variables, channel: "APP", customerId: "C0000001", id: "C0000001", agentId: "A1", msisdn: "1", decisionId: "D", outcome: "ACCEPTED" });
      assert.ok(cost === null || cost.cost <= QUERY_LIMITS.maxCost, `${operation.name?.value} costs ${cost?.cost}`);
    }
    const ids = Array.from({ length: 100 }, (_, i) => `C${String(i + 1).padStart(7, "0")}`);
    const batch = await gw.request(UnifiedViewBatchDocument, { ids });
    assert.equal(dataOf(batch).customers.length, 100);
  });

  test("20 nested circle(limit: 50) levels: refused at once for depth, nothing read (it ran the gateway out of memory)", async () => {
    const started = Date.now();
    await refusedOnBoth(gw, `{ customer(id: "C0000001") { ${deepCircle(20)} } }`, "depth", /42 levels of nesting; the limit is 10/);
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });

  test("three circle(limit: 50) levels pass the depth limit but cost 255,101 (> 20,000): refused for cost; two levels are served", async () => {
    await refusedOnBoth(gw, `{ customer(id: "C0000001") { ${deepCircle(3)} } }`, "cost", /would cost 255101; the limit is 20000/);
    // The same shape through a variable is costed the same (Armor's own cost limit reads literals only).
    await refusedOnBoth(gw, `query ($n: Int!) { customer(id: "C0000001") { circle(limit: $n) { customer { circle(limit: $n) { customer { circle(limit: $n) { customer { id } } } } } } } }`, "cost", /would cost 255101/, { n: 50 });
    const two = await gw.raw(`{ customer(id: "C0000001") { ${deepCircle(2)} } }`);
    assert.equal(two.errors, undefined, JSON.stringify(two.errors));
  });

  test("an aliased flood of nextBestOffers is refused before any decision is written: 500 (too many tokens), 16 (too many aliases)", async () => {
    const [customerId] = await freshIds(1);
    const flood = (n: number): string => `query ($c: ID!) { ${Array.from({ length: n }, (_, i) => `a${i}: nextBestOffers(customerId: $c, channel: APP) { id }`).join(" ")} }`;
    const before = await trajectoryLength(gw, customerId as string);
    await refusedOnBoth(gw, flood(500), "tokens", /more than 2000 tokens/, { c: customerId });
    await refusedOnBoth(gw, flood(16), "aliases", /16 aliased fields; the limit is 15/, { c: customerId });
    assert.equal(await trajectoryLength(gw, customerId as string), before, "no decision was written");
  });

  test("decisions weigh 150: nextBestOffers for 2 × 100 customers (aliases within their limit) is refused for cost, nothing written", async () => {
    const ids = await freshIds(100);
    const list = JSON.stringify(ids);
    const query = `{ a: customers(ids: ${list}) { nextBestOffers(channel: APP, limit: 1) { id } } b: customers(ids: ${list}) { nextBestOffers(channel: SMS, limit: 1) { id } } }`;
    const before = await trajectoryLength(gw, ids[0] as string);
    await refusedOnBoth(gw, query, "cost", new RegExp(`200 decisions at ${DECISION_COST} each\\); the limit is 20000`));
    assert.equal(await trajectoryLength(gw, ids[0] as string), before);
  });

  test("too many tokens (refused while parsing) and too many directives", async () => {
    const tokens = `{ ${Array.from({ length: 2_100 }, () => "__typename").join(" ")} channels { code } }`;
    await refusedOnBoth(gw, tokens, "tokens", /more than 2000 tokens, the limit/);
    const directives = `{ channels { code ${Array.from({ length: 21 }, () => "@include(if: true)").join(" ")} } }`;
    await refusedOnBoth(gw, directives, "directives", /21 directives; the limit is 20/);
  });

  test("development: introspection and field suggestions are on", async () => {
    const res = await gw.raw("{ __schema { queryType { name } } }");
    assert.equal((res.data as { __schema: { queryType: { name: string } } }).__schema.queryType.name, "Query");
    const typo = await gw.raw("{ channels { cod } }");
    assert.match(typo.errors?.[0]?.message ?? "", /Did you mean "code"\?/);
  });

  test("production: introspection is refused and suggestions are hidden, on both transports", async () => {
    const prod = await startTestGateway({ production: true });
    for (const errors of [(await prod.raw("{ __schema { queryType { name } } }")).errors, (await overSocket(prod, "{ __schema { queryType { name } } }")).errors]) {
      assert.equal(codeOf(errors), "GRAPHQL_VALIDATION_FAILED", JSON.stringify(errors));
      assert.match(errors?.[0]?.message ?? "", /Introspection is off in production/);
    }
    for (const errors of [(await prod.raw("{ channels { cod } }")).errors, (await overSocket(prod, "{ channels { cod } }")).errors]) {
      assert.equal(errors?.[0]?.message, 'Cannot query field "cod" on type "Channel".');
    }
  });
});

describe("HTTP requests: batches and body size", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  const post = async (body: string): Promise<GraphQLResponse<unknown>> => {
    const res = await fetch(gw.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${await tokenFor()}` }, body });
    return { ...((await res.json()) as object), status: res.status, roundTrips: 0, headers: res.headers };
  };

  test("a batch (JSON array) is refused with 400 and says to send one operation per request; nothing runs", async () => {
    const res = await post(JSON.stringify([{ query: "{ channels { code } }" }, { query: "{ products { id } }" }]));
    assert.equal(res.status, 400);
    assert.equal(codeOf(res.errors), "BAD_REQUEST");
    assert.match(res.errors?.[0]?.message ?? "", /Batched requests \(a JSON array of 2 operations\) are not accepted; send one operation per request/);
  });

  test("a body over 1 MB is refused with 413 before it is parsed", async () => {
    const res = await post(JSON.stringify({ query: "{ channels { code } }", variables: { pad: "x".repeat(1_100_000) } }));
    assert.equal(res.status, 413);
    assert.equal(codeOf(res.errors), "BAD_REQUEST");
    assert.match(res.errors?.[0]?.message ?? "", /larger than 1 MB/);
  });
});

describe("WebSocket limits: message size, operations per socket and per principal, Origin", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });

  test("a message announcing 99 MB closes the socket with 1009 before it is read, and the process does not grow", async () => {
    const { port } = new URL(gw.url);
    const socket = connect(Number(port), "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      ["GET /graphql HTTP/1.1", `Host: 127.0.0.1:${port}`, "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: graphql-transport-ws", "", ""].join("\r\n"),
    );
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    assert.match(Buffer.concat(received).toString("latin1"), /^HTTP\/1\.1 101/);
    received.length = 0;
    const rssBefore = process.memoryUsage().rss;
    // A masked text frame header announcing 99 MB, then the first MiB of it; the rest never needs to be sent.
    const length = 99 * 1024 * 1024;
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
    socket.write(header);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    while (!socket.destroyed && socket.writable && sent < 1024 * 1024) {
      socket.write(chunk);
      sent += chunk.length;
    }
    try {
      await within(closed, { what: "the gateway to close the socket", timeoutMs: 5_000 });
    } finally {
      socket.destroy();
    }
    const frames = Buffer.concat(received);
    // The close frame: opcode 0x8, status code 1009 (message too big).
    assert.equal(frames[0], 0x88, `a close frame, got ${frames.subarray(0, 8).toString("hex")}`);
    assert.equal(frames.readUInt16BE(2), 1009);
    assert.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024, "the gateway did not buffer the message");
    // The gateway still serves.
    assert.equal((await gw.raw("{ channels { code } }")).errors, undefined);
  });

  test("the 101st operation on one socket is refused, saying the limit; the 100 stay open", async () => {
    const live = new LiveClient(gw.url);
    const subs = Array.from({ length: 100 }, () => live.subscribe("subscription { offerFeed { cursor } }"));
    await subscriptionsOn(gw, 100);
    const extra = live.subscribe("subscription { offerFeed { cursor } }");
    await extra.ended();
    assert.equal(codeOf(extra.errors), "BAD_USER_INPUT");
    assert.equal(extra.errors[0]?.extensions?.limit, "operationsPerSocket");
    assert.match(extra.errors[0]?.message ?? "", /already has 100 operations open, the limit \(WS_MAX_SUBSCRIPTIONS\)/);
    assert.ok(subs.every((s) => !s.over));
    await live.close();
    await subscriptionsOn(gw, 0);
  });

  test("subscriptions per principal across its sockets: the one over the limit is refused, and a slot frees when one ends", async () => {
    const small = await startTestGateway({ limits: { wsMaxSubscriptionsPerPrincipal: 3 } });
    const token = await tokenFor({ sub: `svc:${process.pid}:per-principal`, roles: ["SERVICE"] });
    const a = new LiveClient(small.url, token);
    const b = new LiveClient(small.url, token);
    const held = [a.subscribe("subscription { offerFeed { cursor } }"), a.subscribe("subscription { offerFeed { cursor } }"), b.subscribe("subscription { offerFeed { cursor } }")];
    await subscriptionsOn(small, 3);
    const fourth = b.subscribe("subscription { offerFeed { cursor } }");
    await fourth.ended();
    assert.equal(fourth.errors[0]?.extensions?.limit, "subscriptionsPerPrincipal");
    assert.match(fourth.errors[0]?.message ?? "", /already holds 3 subscriptions on this gateway, the limit/);
    // Someone else is not affected.
    const other = new LiveClient(small.url);
    other.subscribe("subscription { offerFeed { cursor } }");
    await subscriptionsOn(small, 4);
    held[0]?.dispose();
    await subscriptionsOn(small, 3);
    b.subscribe("subscription { offerFeed { cursor } }");
    await subscriptionsOn(small, 4);
  });

  /** The status line of a WebSocket upgrade sent with `origin` (undefined: none). */
  const upgrade = (url: string, origin?: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const req = httpRequest({
        host: hostname,
        port,
        path: "/graphql",
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          "sec-websocket-protocol": "graphql-transport-ws",
          ...(origin ? { origin } : {}),
        },
      });
      req.on("upgrade", (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });

  test("Origin on the upgrade: none (not a browser) and the gateway's own host pass, a foreign page gets 403", async () => {
    const { host } = new URL(gw.url);
    assert.equal(await upgrade(gw.url), 101);
    assert.equal(await upgrade(gw.url, `http://${host}`), 101);
    assert.equal(await upgrade(gw.url, "https://evil.example"), 403);
    const listed = await startTestGateway({ limits: { allowedOrigins: ["https://desk.example.cn"] } });
    assert.equal(await upgrade(listed.url, "https://desk.example.cn"), 101);
    assert.equal(await upgrade(listed.url, `http://${new URL(listed.url).host}`), 403, "once origins are listed, only they pass");
    assert.equal(await upgrade(listed.url), 101);
  });
});

describe("readiness", () => {
  test("/readyz says ok or unavailable per service, never a driver's message", async () => {
    const gw = await startTestGateway();
    const res = await fetch(`${gw.origin}/readyz`);
    assert.deepEqual(await res.json(), { status: "ready", neo4j: "ok", redis: "ok" });
  });
});
