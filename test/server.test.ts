import { operatorToken, TEST_AUTH_SECRET } from "./support/auth";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { openApp, type App } from "../src/main/app";
import { StartupError } from "../src/platform/errors";
import { testServices } from "./support/gateway";

/** The HTTP side of the gateway: how it starts on a busy port, what it says to a subscription, its headers. */

/** A logger whose lines the test reads, to check what was (not) logged. */
function capturingLogger(): { log: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, lines };
}

function open(port: number, log: pino.Logger): Promise<App> {
  return openApp({ ...testServices(), config: { port, host: "127.0.0.1", redisKeyPrefix: `test:${process.pid}:`, auth: { secret: TEST_AUTH_SECRET } }, log });
}

describe("a busy port", () => {
  test("fails at once with one sentence naming the port, and leaves nothing open", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const started = Date.now();
      await assert.rejects(open(port, capturingLogger().log), (error: unknown) => {
        assert.ok(error instanceof StartupError, `a StartupError, got ${String(error)}`);
        assert.equal(error.message, `Port ${port} is already in use (another gateway?); stop it or set PORT to a free port.`);
        return true;
      });
      // Redis waits up to 3 s for its first connection before serving; the port check comes after it.
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    // Nothing left behind: node's test runner would wait for ever on a Redis or Neo4j connection left open.
  });
});

describe("HTTP", () => {
  let app: App;
  let url: string;
  const { log, lines } = capturingLogger();
  const SUBSCRIPTION = `subscription { offerFeed(channel: SMS) { cursor customerId } }`;

  before(async () => {
    app = await open(0, log);
    url = app.gateway.url.replace("localhost", "127.0.0.1");
  });
  after(() => app.close());

  const post = (accept: string) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", accept }, body: JSON.stringify({ query: SUBSCRIPTION }) });

  test("a subscription over HTTP is a client error pointing at the WebSocket, not an internal error, and is not logged as one", async () => {
    const res = await post("application/graphql-response+json");
    assert.equal(res.status, 400);
    const body = (await res.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    assert.equal(body.data, undefined);
    assert.equal(body.errors.length, 1);
    assert.equal(body.errors[0]?.extensions.code, "BAD_REQUEST");
    const host = new URL(url).host;
    assert.equal(body.errors[0]?.message, `Subscriptions are served over WebSocket (graphql-ws) at ws://${host}/graphql; HTTP serves queries and mutations.`);
    assert.deepEqual(Object.keys(body.errors[0]?.extensions ?? {}), ["code"], "no stack trace, no http internals");
    assert.deepEqual(lines.filter((l) => l.level >= 50), [], "nothing logged at error level");
  });

  test("a client accepting only application/json gets the same error with status 200, as for any request error", async () => {
    const res = await post("application/json");
    assert.equal(res.status, 200);
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, "BAD_REQUEST");
  });

  test("responses do not advertise the framework (no X-Powered-By)", async () => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${await operatorToken()}` }, body: JSON.stringify({ query: "{ channels { code } }" }) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(res.headers.get("x-powered-by"), null);
    const health = await fetch(new URL("/healthz", url));
    await health.arrayBuffer();
    assert.equal(health.headers.get("x-powered-by"), null);
  });
});
