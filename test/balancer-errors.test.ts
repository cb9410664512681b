import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { BALANCER_ERRORS, startHaproxy, type RunningHaproxy } from "../src/main/launch/haproxy";
import { freePort } from "../src/main/launch/ports";
import { eventually } from "./support/eventually";

/**
 * What a client gets when HAProxy answers itself (src/main/launch/haproxy.ts, BALANCER_ERRORS): a
 * GraphQL error with `extensions.code` and a message saying what to do, never HAProxy's HTML.
 * Real HAProxy (Debian's), no gateway: one balancer whose replicas do not listen at all (every
 * replica down, as in a Neo4j or Redis outage where /readyz answers 503 everywhere), and one whose
 * replica passes its checks but drops a request's connection without answering (a replica killed
 * mid-request).
 */

interface BalancerAnswer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: { errors?: Array<{ message: string; extensions?: { code?: string; balancer?: boolean } }> };
}

const QUERY = JSON.stringify({ query: "{ __typename }" });

async function post(url: string): Promise<BalancerAnswer> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: QUERY });
  return { status: res.status, contentType: res.headers.get("content-type"), retryAfter: res.headers.get("retry-after"), body: (await res.json()) as BalancerAnswer["body"] };
}

const expected = (status: 502 | 503 | 504) => BALANCER_ERRORS.find((e) => e.status === status)!;

async function balancer(servers: Array<{ name: string; address: string }>): Promise<RunningHaproxy> {
  const [bind, stats] = await Promise.all([freePort(), freePort()]);
  return startHaproxy({ bind: `127.0.0.1:${bind}`, statsBind: `127.0.0.1:${stats}`, servers, checkIntervalMs: 200, maxconn: 100, log: false, servedByHeader: true, dns: null });
}

describe("the balancer's own answers are GraphQL errors", () => {
  let down: RunningHaproxy;
  let dropping: RunningHaproxy;
  let replica: Server;

  before(async () => {
    // Ports nothing listens on: replicas that are down.
    const [a, b] = await Promise.all([freePort(), freePort()]);
    down = await balancer([
      { name: "g1", address: `127.0.0.1:${a}` },
      { name: "g2", address: `127.0.0.1:${b}` },
    ]);
    // Ready by its checks, but it drops every GraphQL request's connection unanswered.
    replica = createServer((req, res) => {
      if (req.url === "/readyz") res.end('{"status":"ready"}');
      else req.socket.destroy();
    });
    const port = await freePort();
    await new Promise<void>((resolve) => replica.listen(port, "127.0.0.1", resolve));
    dropping = await balancer([{ name: "g1", address: `127.0.0.1:${port}` }]);
  });

  after(async () => {
    await Promise.all([down?.stop(), dropping?.stop()]);
    await new Promise((resolve) => replica?.close(resolve));
  });

  test("no replica ready: 503, SERVICE_UNAVAILABLE, Retry-After, over HTTP and for a WebSocket upgrade", async () => {
    await eventually(
      async () => {
        const states = await down.servers();
        assert.ok(states.length > 0 && states.every((s) => s.status.startsWith("DOWN")), states.map((s) => `${s.backend}/${s.server} ${s.status}`).join(", "));
      },
      { what: "both replicas DOWN in HAProxy", timeoutMs: 10_000, intervalMs: 100 },
    );
    const answer = await post(down.url);
    assert.equal(answer.status, 503);
    assert.match(answer.contentType ?? "", /^application\/json/);
    assert.equal(answer.retryAfter, "5");
    assert.deepEqual(answer.body.errors?.map((e) => [e.extensions?.code, e.extensions?.balancer, e.message]), [["SERVICE_UNAVAILABLE", true, expected(503).message]]);

    // A subscriber's upgrade is refused with the same body (graphql-ws then retries).
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(down.url.replace(/^http/, "ws"), "graphql-transport-ws");
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on("open", () => reject(new Error("the upgrade was accepted with no replica up")));
      ws.on("error", () => undefined);
    });
    assert.equal(refused.status, 503);
    assert.equal((JSON.parse(refused.body) as BalancerAnswer["body"]).errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE");
  });

  test("a replica that drops a POST unanswered: 502, SERVICE_UNAVAILABLE, not retried (it may have been a mutation)", async () => {
    await eventually(
      async () => {
        const states = await dropping.servers();
        assert.ok(states.every((s) => s.status === "UP"), states.map((s) => `${s.backend}/${s.server} ${s.status}`).join(", "));
      },
      { what: "the replica UP", timeoutMs: 10_000, intervalMs: 100 },
    );
    const answer = await post(dropping.url);
    assert.equal(answer.status, 502);
    assert.match(answer.contentType ?? "", /^application\/json/);
    assert.equal(answer.retryAfter, null);
    assert.deepEqual(answer.body.errors?.map((e) => [e.extensions?.code, e.message]), [["SERVICE_UNAVAILABLE", expected(502).message]]);
  });
});
