import assert from "node:assert/strict";
import { test } from "node:test";
import { startTestGateway } from "./support/gateway";
import { eventually } from "./support/eventually";
import { LiveClient } from "./support/live";

/**
 * The drain on a stop (src/server/server.ts `close`): /readyz says "draining" at once, the replica
 * serves on for the drain delay when a balancer watches its readiness, then closes its sockets
 * with 1012. Behind a real balancer: test/balancer.test.ts.
 */

const DELAY_MS = 1_500;

test("watched: /readyz answers 503 draining at once, requests are served through the delay, then sockets close with 1012", async () => {
  const gw = await startTestGateway({ shutdown: { drainDelayMs: DELAY_MS } });
  const readyz = new URL("/readyz", gw.origin);
  // Asked once, so watched. Its answer here may be 503 "unavailable" when a ping of Neo4j or Redis
  // outlasts 1.5 s on a busy machine: not draining is what matters.
  assert.notEqual(((await (await fetch(readyz)).json()) as { status: string }).status, "draining", "not draining before the stop");
  const live = new LiveClient(gw.url);
  const sub = live.subscribe(`subscription { deskFeed(agentId: "test-agent") { cursor } }`);
  await eventually(() => assert.equal(gw.app.services.realtime.hub.size, 1), { what: "the subscription registered" });

  const started = Date.now();
  const socketClosedAt = live.closed.then(() => Date.now());
  const closing = gw.close();
  const draining = await fetch(readyz);
  assert.equal(draining.status, 503);
  assert.equal(((await draining.json()) as { status: string }).status, "draining");
  assert.ok(gw.app.gateway.drainingSince, "the gateway says since when it drains");
  // Still serving: what reaches it before the balancer notices is answered (a document that needs
  // no Neo4j: on a busy machine a view can outlast Neo4j's read timeout, which is not the drain's).
  const res = await gw.raw<{ __typename: string }>(`{ __typename }`);
  assert.equal(res.status, 200);
  assert.equal(res.data?.__typename, "Query");

  await closing;
  assert.ok(Date.now() - started >= DELAY_MS, `the delay was served (${Date.now() - started} ms)`);
  assert.equal(await live.closed, 1012, "then every socket closed with 1012: reconnect elsewhere");
  // Sockets stay open through the delay: the balancer moves new work before clients reconnect.
  assert.ok((await socketClosedAt) - started >= DELAY_MS, `the socket closed after the delay (${(await socketClosedAt) - started} ms)`);
  await sub.ended();
  await assert.rejects(fetch(readyz), "the listener is closed");
});

test("unwatched: nothing asked /readyz, so a stop does not wait for a balancer that is not there", async () => {
  const gw = await startTestGateway({ shutdown: { drainDelayMs: 30_000 } });
  const started = Date.now();
  await gw.close();
  assert.ok(Date.now() - started < 10_000, `closed without the 30 s delay (${Date.now() - started} ms)`);
});
