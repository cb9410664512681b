import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import WebSocket from "ws";
import { openApp, type App } from "../src/main/app";
import { operatorToken, TEST_AUTH_SECRET, tokenFor } from "./support/auth";
import { within } from "./support/eventually";
import { testServices } from "./support/gateway";
import { leftover } from "./support/leftovers";

/**
 * What the fuzz suite (test/fuzz/) found, pinned down one case each: every mistake gets a typed
 * code and a sentence of ours, the same on HTTP and on WebSocket, and nothing is logged as an
 * internal error.
 */

interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

function capturingLogger(): { log: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, lines };
}

let app: App;
let url: string;
const { log, lines } = capturingLogger();

before(async () => {
  app = await openApp({ ...testServices(), config: { port: 0, host: "127.0.0.1", redisKeyPrefix: `test:${process.pid}:`, auth: { secret: TEST_AUTH_SECRET } }, log });
  url = app.gateway.url.replace("localhost", "127.0.0.1");
});
after(() => app.close());

/** Nothing the tests below provoke is an internal error. */
function assertNothingLogged(): void {
  assert.deepEqual(
    lines.filter((l) => l.level >= 50).map((l) => l.msg),
    [],
    "nothing logged at error level",
  );
}

async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; errors: GraphQLError[]; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${await operatorToken()}`, ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, errors: (JSON.parse(text) as { errors?: GraphQLError[] }).errors ?? [], text };
}

const query = (q: string, variables?: unknown): Promise<{ status: number; errors: GraphQLError[]; text: string }> => post(JSON.stringify({ query: q, variables }));

describe("hostile input over HTTP", () => {
  test("an unknown field and a literal its type rejects are GRAPHQL_VALIDATION_FAILED; a variable its type rejects is BAD_USER_INPUT", async () => {
    assert.equal((await query("{ fuzz }")).errors[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.equal((await query('{ customer(id: "C0000001") { id nope } }')).errors[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.equal((await query("{ products(kind: NOPE) { id } }")).errors[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.equal((await query('{ parkedEvents(first: "x") { parkedId } }')).errors[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.equal((await query("query($n: Int) { parkedEvents(first: $n) { parkedId } }", { n: "x" })).errors[0]?.extensions?.code, "BAD_USER_INPUT");
    assertNothingLogged();
  });

  test("a document nested 100,000 levels deep is GRAPHQL_PARSE_FAILED with a sentence, not the stack overflow's text", async () => {
    // The token limit (2,000) does not come first: graphql-js's parser recurses once per level and
    // overflows the stack within the first 2,000 tokens of a list nested in a list.
    const deep = await query(`{ customers(ids: ${"[".repeat(100_000)}"C0000001"${"]".repeat(100_000)}) { id } }`);
    assert.equal(deep.status, 400);
    assert.equal(deep.errors[0]?.extensions?.code, "GRAPHQL_PARSE_FAILED");
    assert.match(deep.errors[0]?.message ?? "", /nested too deeply/);
    assert.doesNotMatch(deep.text, /call stack|RangeError/);
    assertNothingLogged();
  });

  test("a value of the wrong type for a guarded argument is BAD_USER_INPUT, not a FORBIDDEN quoting [object Object]", async () => {
    // The APP guard compares the customer id with the token's; it judged the raw variable, so an
    // object given for the ID was refused as customer "[object Object]" (found by the fuzz).
    const app = await tokenFor({ sub: "test:hostile-app", roles: ["APP"], customerId: "C0000001" });
    for (const id of [{ a: { a: 1 } }, ["C0000001", "C0000002"], true]) {
      const res = await post(JSON.stringify({ query: "query ($id: ID!) { customer(id: $id) { id } }", variables: { id } }), { authorization: `Bearer ${app}` });
      assert.equal(res.errors[0]?.extensions?.code, "BAD_USER_INPUT", res.text);
      assert.doesNotMatch(res.text, /\[object Object\]|another customer/);
    }
    // Coerced values are what the guard sees: an Int id is the string it coerces to.
    const other = await post(JSON.stringify({ query: "query ($id: ID!) { customer(id: $id) { id } }", variables: { id: 5 } }), { authorization: `Bearer ${app}` });
    assert.equal(other.errors[0]?.extensions?.code, "FORBIDDEN");
    assert.match(other.errors[0]?.message ?? "", /id "5" is another customer/);
    const own = await post(JSON.stringify({ query: "query ($id: ID!) { customer(id: $id) { id } }", variables: { id: "C0000001" } }), { authorization: `Bearer ${app}` });
    assert.deepEqual(JSON.parse(own.text), { data: { customer: { id: "C0000001" } } });
    assertNothingLogged();
  });

  test("more than 50 bad items in the variables is BAD_USER_INPUT, not an internal error", async () => {
    const res = await query("mutation ($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }", { e: new Array(100).fill({}) });
    assert.ok(res.errors.length > 1);
    assert.deepEqual(new Set(res.errors.map((e) => e.extensions?.code)), new Set(["BAD_USER_INPUT"]));
    assert.match(res.errors.at(-1)?.message ?? "", /more than 50 errors/);
    assertNothingLogged();
  });

  test("a rejected value of 300,000 characters is quoted only in part", async () => {
    const res = await query("query ($n: Int) { parkedEvents(first: $n) { parkedId } }", { n: "A".repeat(300_000) });
    assert.equal(res.errors[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.ok((res.errors[0]?.message.length ?? 0) < 1_100, `message of ${res.errors[0]?.message.length} characters`);
    assert.match(res.errors[0]?.message ?? "", /cut\)$/);
    assert.ok(res.text.length < 5_000);
  });

  test("a persisted-query hash the trusted documents lack is PERSISTED_QUERY_NOT_FOUND, whatever query comes with it", async () => {
    const res = await post(JSON.stringify({ query: "{ channels { code } }", extensions: { persistedQuery: { version: 1, sha256Hash: "abc" } } }));
    assert.equal(res.status, 400);
    assert.equal(res.errors[0]?.extensions?.code, "PERSISTED_QUERY_NOT_FOUND");
    assertNothingLogged();
  });

  test("a body that is not compressed as its content-encoding says gets our sentence, not zlib's", async () => {
    const res = await post(JSON.stringify({ query: "{ channels { code } }" }), { "content-encoding": "gzip" });
    assert.equal(res.status, 400);
    assert.equal(res.errors[0]?.extensions?.code, "BAD_REQUEST");
    assert.match(res.errors[0]?.message ?? "", /not compressed as its content-encoding says/);
    assert.doesNotMatch(res.text, /header check/);
    const unsupported = await post(JSON.stringify({ query: "{ channels { code } }" }), { "content-encoding": "compress" });
    assert.equal(unsupported.status, 415);
    assert.match(unsupported.errors[0]?.message ?? "", /content-encoding "compress" is not supported/);
  });

  test("a gzip bomb is refused at 1 MB inflated", async () => {
    const res = await post(gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)), { "content-encoding": "gzip" });
    assert.equal(res.status, 413);
    assert.equal(res.errors[0]?.extensions?.code, "BAD_REQUEST");
  });
});

/** A raw graphql-transport-ws session, for messages a well-behaved client never sends. */
class RawSocket {
  readonly messages: Array<{ id?: string; type: string; payload?: unknown }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly socket: WebSocket;
  private waiters: Array<() => void> = [];

  constructor(
    httpUrl: string,
    private readonly token?: string,
  ) {
    this.socket = new WebSocket(httpUrl.replace(/^http/, "ws"), "graphql-transport-ws");
    this.closed = new Promise((resolve) => this.socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    this.socket.on("message", (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString()) as { type: string });
      for (const w of [...this.waiters]) w();
    });
    leftover("raw WebSocket", this.socket, (s) => s.terminate());
  }

  async init(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once("open", resolve);
      this.socket.once("error", reject);
    });
    this.send({ type: "connection_init", payload: { authorization: `Bearer ${this.token ?? (await operatorToken())}` } });
    await this.next((m) => m.type === "connection_ack");
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** The first message (received or to come) that `match` accepts. */
  next(match: (m: { id?: string; type: string; payload?: unknown }) => boolean): Promise<{ id?: string; type: string; payload?: unknown }> {
    return within(
      new Promise((resolve) => {
        const check = (): void => {
          const found = this.messages.find(match);
          if (!found) return;
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(found);
        };
        this.waiters.push(check);
        check();
      }),
      { what: "a message from the gateway" },
    );
  }

  /** The errors of the `error` message answering subscribe `id`. */
  async errorsOf(id: string): Promise<GraphQLError[]> {
    const m = await this.next((x) => x.id === id && (x.type === "error" || x.type === "next"));
    assert.equal(m.type, "error", `an error message, got ${JSON.stringify(m)}`);
    return m.payload as GraphQLError[];
  }
}

describe("oversized identifiers and whole-library work found by the fuzz after the merges", () => {
  test("a 1,000-character principalId for revokeSessions is BAD_USER_INPUT (it would be an audit entry's target), and a token whose subject is that long is UNAUTHENTICATED", async () => {
    const long = "p".repeat(1_000);
    const revoke = await query("mutation ($p: ID!) { revokeSessions(principalId: $p) { revokedAt } }", { p: long });
    assert.equal(revoke.errors[0]?.extensions?.code, "BAD_USER_INPUT", revoke.text);
    assert.match(revoke.errors[0]?.message ?? "", /principalId must be a token subject of 1 to 200 characters; it has 1000/);
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await tokenFor({ sub: long, roles: ["ADMIN"] })}` },
      body: JSON.stringify({ query: "{ channels { code } }" }),
    });
    const body = (await res.json()) as { errors?: GraphQLError[] };
    assert.equal(res.status, 401);
    assert.equal(body.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    assert.match(body.errors?.[0]?.message ?? "", /subject \(sub\) must be 1 to 200 characters/);
    assertNothingLogged();
  });

  test("refreshTagStatistics names its tags, at most 20: the whole library (every HAS_TAG edge) is a job's, not a request's", async () => {
    const none = await query("mutation { refreshTagStatistics { id } }");
    assert.equal(none.errors[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED", none.text);
    const many = await query("mutation ($ids: [ID!]!) { refreshTagStatistics(ids: $ids) { id } }", { ids: Array.from({ length: 21 }, (_, i) => `T${i}`) });
    assert.equal(many.errors[0]?.extensions?.code, "BAD_USER_INPUT", many.text);
    assertNothingLogged();
  });
});

describe("hostile input over WebSocket gets the codes HTTP gives, and the socket stays open", () => {
  test("syntax, validation, operation, variables: each an error message with its code", async () => {
    const ws = new RawSocket(url);
    await ws.init();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["syntax", { query: "{ channels { code }" }, "GRAPHQL_PARSE_FAILED"],
      ["deep", { query: `{ customers(ids: ${"[".repeat(100_000)}"C0000001"${"]".repeat(100_000)}) { id } }` }, "GRAPHQL_PARSE_FAILED"],
      ["unknown-field", { query: "{ fuzz }" }, "GRAPHQL_VALIDATION_FAILED"],
      ["bad-literal", { query: "{ products(kind: NOPE) { id } }" }, "GRAPHQL_VALIDATION_FAILED"],
      ["no-such-operation", { query: "query A { channels { code } }", operationName: "B" }, "OPERATION_RESOLUTION_FAILURE"],
      ["bad-variable", { query: "query ($n: Int!) { parkedEvents(first: $n) { parkedId } }", variables: { n: "x" } }, "BAD_USER_INPUT"],
      ["missing-variable", { query: "query ($n: Int!) { parkedEvents(first: $n) { parkedId } }" }, "BAD_USER_INPUT"],
    ];
    for (const [id, payload] of cases) ws.send({ id, type: "subscribe", payload });
    for (const [id, , code] of cases) {
      const errors = await ws.errorsOf(id);
      assert.equal(errors[0]?.extensions?.code, code, `${id}: ${JSON.stringify(errors)}`);
      assert.doesNotMatch(JSON.stringify(errors), /call stack|RangeError/);
    }
    // Still open and serving.
    ws.send({ id: "ok", type: "subscribe", payload: { query: "{ channels { code } }" } });
    const ok = await ws.next((m) => m.id === "ok" && m.type === "next");
    assert.equal((ok.payload as { data: { channels: unknown[] } }).data.channels.length, 7);
    assertNothingLogged();
  });

  test("a value of the wrong type for a guarded argument is BAD_USER_INPUT, as on HTTP", async () => {
    const ws = new RawSocket(url, await tokenFor({ sub: "test:hostile-app", roles: ["APP"], customerId: "C0000001" }));
    await ws.init();
    ws.send({ id: "obj", type: "subscribe", payload: { query: "query ($id: ID!) { customer(id: $id) { id } }", variables: { id: { a: { a: 1 } } } } });
    const errors = await ws.errorsOf("obj");
    assert.equal(errors[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(errors));
    assert.doesNotMatch(JSON.stringify(errors), /\[object Object\]|another customer/);
    ws.send({ id: "own", type: "subscribe", payload: { query: "query ($id: ID!) { customer(id: $id) { id } }", variables: { id: "C0000001" } } });
    const own = await ws.next((m) => m.id === "own" && m.type === "next");
    assert.deepEqual(own.payload, { data: { customer: { id: "C0000001" } } });
    assertNothingLogged();
  });

  test("a message over WS_MAX_PAYLOAD_BYTES closes the socket with 1009 and a reason that names the limit", async () => {
    const ws = new RawSocket(url);
    await ws.init();
    ws.send({ id: "big", type: "subscribe", payload: { query: `{ channels { code } }${" ".repeat(300 * 1024)}` } });
    const { code, reason } = await within(ws.closed, { what: "the socket to close" });
    assert.equal(code, 1009);
    assert.match(reason, /over 262144 bytes \(WS_MAX_PAYLOAD_BYTES\)/);
    assertNothingLogged();
  });

  test("a message only a server may send closes the socket with 4400 (Bad Request), not 4500", async () => {
    for (const message of [{ id: "1", type: "next", payload: { data: {} } }, { id: "1", type: "error", payload: [{ message: "x" }] }, { type: "connection_ack" }]) {
      const ws = new RawSocket(url);
      await ws.init();
      ws.send(message);
      const { code, reason } = await within(ws.closed, { what: "the socket to close" });
      assert.equal(code, 4400, `${message.type}: closed ${code} ${reason}`);
    }
    assertNothingLogged();
  });
});
