import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { before, describe, test } from "node:test";
import { print } from "graphql";
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { Client, fetchExchange } from "@urql/core";
import { CatalogueDocument, UnifiedViewDocument } from "../schema/generated/operations";
import { openApp, type App } from "../src/main/app";
import { createLogger } from "../src/platform/logger";
import { operatorToken, TEST_AUTH_SECRET } from "./support/auth";
import { eventually } from "./support/eventually";
import { testServices } from "./support/gateway";
import { leftover } from "./support/leftovers";

/**
 * What a client team expects of the HTTP side, tried with the clients they use (urql, Apollo
 * Client 4, graphql-request): CORS for a front end on another origin, urql's GET for short queries,
 * compressed answers, a request id in the answer and in every log line, and an access log.
 */

const FRONT_END = "http://desk.example.test:5173";

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [key: string]: unknown;
}

let app: App;
let url: string;
let token: string;
const lines: LogLine[] = [];

before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const log = createLogger("http-conventions", "info", sink);
  app = leftover(
    "gateway",
    await openApp({ ...testServices(), config: { port: 0, host: "127.0.0.1", redisKeyPrefix: `test:${process.pid}:`, auth: { secret: TEST_AUTH_SECRET }, limits: { allowedOrigins: [FRONT_END] } }, log }),
    (a) => a.close(),
  );
  url = app.gateway.url.replace("localhost", "127.0.0.1");
  token = await operatorToken();
});

const VIEW = print(UnifiedViewDocument);

describe("CORS", () => {
  test("a preflight from an allowed origin gets 204 and the headers a browser needs; others get no allowance", async () => {
    const preflight = (origin: string) =>
      fetch(url, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-graph-bookmark" } });
    const allowed = await preflight(FRONT_END);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), FRONT_END);
    assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /authorization/i);
    assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /x-graph-bookmark/i);
    assert.equal(allowed.headers.get("access-control-allow-credentials"), null, "tokens, not cookies: no credentials");
    const other = await preflight("http://evil.example.test");
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  test("an answer to an allowed origin names it and exposes the request id and the graph bookmark", async () => {
    const res = await fetch(url, { method: "POST", headers: { origin: FRONT_END, "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: "{ channels { code } }" }) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), FRONT_END);
    assert.match(res.headers.get("access-control-expose-headers") ?? "", /X-Request-Id/);
    assert.match(res.headers.get("access-control-expose-headers") ?? "", /X-Graph-Bookmark/);
    assert.match(res.headers.get("vary") ?? "", /Origin/);
  });
});

describe("clients", () => {
  test("urql's default (GET for short queries) is served, with the same answer as POST", async () => {
    const methods: string[] = [];
    const client = new Client({
      url,
      exchanges: [fetchExchange],
      fetchOptions: { headers: { authorization: `Bearer ${token}` } },
      fetch: (input, init) => {
        methods.push(init?.method ?? "GET");
        return fetch(input, init);
      },
    });
    const viaUrql = await client.query(UnifiedViewDocument, { id: "C0000001" }).toPromise();
    assert.equal(viaUrql.error, undefined, viaUrql.error?.message);
    assert.deepEqual(methods, ["GET"], "urql sent its default GET");
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: VIEW, variables: { id: "C0000001" } }) });
    const viaPost = (await res.json()) as { data: unknown };
    assert.deepEqual(viaUrql.data, viaPost.data);
    assert.equal(viaUrql.data?.customer?.id, "C0000001");
  });

  test("a GET without a token (what a forged cross-site request looks like) is UNAUTHENTICATED; a mutation over GET is refused", async () => {
    const anonymous = await fetch(`${url}?query=${encodeURIComponent('{ customer(id: "C0000001") { id msisdn } }')}`);
    const body = (await anonymous.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, "UNAUTHENTICATED");
    assert.equal(body.data ?? null, null);
    const mutation = await fetch(`${url}?query=${encodeURIComponent('mutation { respondToOffer(decisionId: "x", outcome: ACCEPTED) { id } }')}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(mutation.status, 405);
  });

  test("Apollo Client 4 and graphql-request get the same answer", async () => {
    const apollo = new ApolloClient({ link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }), cache: new InMemoryCache() });
    const viaApollo = await apollo.query({ query: CatalogueDocument, variables: { kind: "PLAN" } });
    const { GraphQLClient } = await import("graphql-request");
    const viaRequest = await new GraphQLClient(url, { headers: { authorization: `Bearer ${token}` } }).request(CatalogueDocument, { kind: "PLAN" });
    assert.ok(viaRequest.products.length > 0);
    // Apollo's cache adds __typename to what it asks; the rest is the same.
    const ids = (products: ReadonlyArray<{ id: string }>) => products.map((p) => p.id);
    assert.deepEqual(ids(viaApollo.data?.products ?? []), ids(viaRequest.products));
    await apollo.clearStore();
  });
});

describe("answers", () => {
  test("are compressed for a client that asks, and never stored by a cache", async () => {
    const ask = (encoding?: string) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...(encoding ? { "accept-encoding": encoding } : {}) },
        body: JSON.stringify({ query: VIEW, variables: { id: "C0000001" } }),
      });
    const gzip = await ask("gzip");
    assert.equal(gzip.headers.get("content-encoding"), "gzip");
    assert.equal(gzip.headers.get("cache-control"), "no-store");
    assert.match(gzip.headers.get("vary") ?? "", /Authorization/);
    const plain = await ask("identity");
    assert.equal(plain.headers.get("content-encoding"), null);
    // fetch inflates the gzip answer: the same JSON either way.
    assert.deepEqual(await gzip.json(), await plain.json());
  });

  test("carry a request id (the caller's when sane), which the request's access-log line carries", async () => {
    const given = "desk-7f3a.42";
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": given }, body: JSON.stringify({ query: "{ nope }", operationName: null }) });
    assert.equal(res.headers.get("x-request-id"), given);
    const forged = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": "a\"}{ injected" }, body: JSON.stringify({ query: "{ channels { code } }" }) });
    const fresh = forged.headers.get("x-request-id") ?? "";
    assert.match(fresh, /^[0-9a-f-]{36}$/, "an id that could forge a log line is replaced by a fresh one");

    const viewId = "http-conventions-view";
    await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": viewId }, body: JSON.stringify({ query: VIEW, variables: { id: "C0000001" }, operationName: "UnifiedView" }) });
    const access = await eventually(() => {
      const line = lines.find((l) => l.msg === "request" && l.reqId === viewId);
      assert.ok(line, "an access-log line for the request");
      return line;
    }, { what: "the access-log line" });
    assert.equal(access.method, "POST");
    assert.equal(access.path, "/graphql");
    assert.equal(access.status, 200);
    assert.equal(access.operation, "UnifiedView");
    assert.equal(access.principal, "test:operator");
    assert.equal(typeof access.ms, "number");
    // No query string, no variables, no token in the access log.
    const all = JSON.stringify(lines.filter((l) => l.reqId === viewId));
    assert.doesNotMatch(all, /C0000001|Bearer/);
    // Probes are answered without an access-log line.
    await fetch(new URL("/healthz", url));
    await eventually(() => assert.ok(lines.some((l) => l.reqId === fresh)), { what: "the forged request's access-log line" });
    assert.equal(lines.filter((l) => l.path === "/healthz").length, 0);
  });
});
