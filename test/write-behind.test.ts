import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { NextBestOffersDocument, RespondToOfferDocument, TrajectoryDocument, UnifiedViewDocument } from "../schema/generated/operations";
import { DECISION_GROUP } from "../src/decisioning/writer";
import { presentedContactId } from "../src/graph/decision";
import { keys } from "../src/platform/keys";
import type { Graph } from "../src/platform/neo4j";
import { operatorToken } from "./support/auth";
import { freshCustomer } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, postGraphQL, startTestGateway, testGraph, type TestGateway } from "./support/gateway";
import { startGatewayProcess } from "./support/process-gateway";
import { testRedis } from "./support/live";

/**
 * Issue 13, point 2: decisions are written behind the answer. A decision is durable in a Redis
 * stream and readable at once; replicas' movers commit the stream to Neo4j in batches. These tests
 * hold the movers back so that "before the flush" is a state, not a race.
 */

const PREFIX = `test:${process.pid}:`;

interface Made {
  id: string;
  contacted: boolean;
  offer: { product: { id: string } };
}

describe("decisions written behind the answer", () => {
  let gw: TestGateway;
  let graph: Graph;
  let redis: Redis;
  before(async () => {
    // A short claim: the test kills a replica holding a batch and waits for this one to take it over.
    gw = await startTestGateway({ decisionWriter: { claimAfterMs: 1_000, lingerMs: 20 } });
    graph = testGraph();
    redis = testRedis(PREFIX);
  });

  const inGraph = async (ids: readonly string[]): Promise<Map<string, { n: number; outcome: string | null; contacts: number }>> => {
    const rows = await graph.session().read<{ id: string; n: number; outcome: string | null; contacts: number }>(
      `UNWIND $ids AS id MATCH (d:Decision {id: id})
       RETURN id, count(d) AS n, head(collect(d.outcome)) AS outcome, COUNT { MATCH (k:Contact {decisionId: id, kind: 'OFFER_PRESENTED'}) } AS contacts`,
      { ids },
    );
    return new Map(rows.map((r) => [r.id, r]));
  };

  async function decide(customerId: string): Promise<Made[]> {
    return dataOf(await gw.request(NextBestOffersDocument, { customerId, channel: "HOTLINE", limit: 3 })).nextBestOffers;
  }

  test("before the flush: decision(id), the trajectory (with its count) and respondToOffer see the decision; after it, the graph has each once", async () => {
    const writer = gw.app.services.decisioning.writer;
    await writer.stop();
    const { customer } = await freshCustomer();
    const seededCount = dataOf(await gw.request(TrajectoryDocument, { id: customer.id, first: 5 })).customer?.contacts.totalCount ?? 0;
    const made = await decide(customer.id);
    const presented = made.filter((d) => d.contacted);
    assert.ok(presented.length >= 2, `at least two presented decisions for ${customer.id}`);
    assert.equal((await inGraph(made.map((d) => d.id))).size, 0, "nothing in the graph yet: the answer did not wait for Neo4j");
    assert.ok((await redis.xlen(keys.decisions.stream())) >= 1, "the decisions are on the stream");

    // decision(id) before the flush reads as after it.
    const first = presented[0] as Made;
    const read = dataOf(await gw.raw<{ decision: { id: string; outcome: string | null; offer: { product: { id: string } } } | null }>(`query ($id: ID!) { decision(id: $id) { id outcome offer { product { id } } } }`, { id: first.id })).decision;
    assert.deepEqual(read, { id: first.id, outcome: null, offer: { product: { id: first.offer.product.id } } });

    // The trajectory shows the offers presented, newest first, and counts them.
    const page = dataOf(await gw.request(TrajectoryDocument, { id: customer.id, first: 5 })).customer?.contacts;
    const shown = page?.edges.map((e) => e.node.id) ?? [];
    assert.deepEqual(shown.slice(0, presented.length).sort(), presented.map((d) => presentedContactId(d.id)).sort(), "each presented offer first in the trajectory");
    assert.equal(page?.totalCount, seededCount + presented.length, "the count includes what is queued");
    const hotline = dataOf(await gw.request(TrajectoryDocument, { id: customer.id, first: 5, channels: ["SMS"] })).customer?.contacts;
    const queuedIds = presented.map((d) => presentedContactId(d.id));
    assert.ok(!hotline?.edges.some((e) => queuedIds.includes(e.node.id)), "a channel filter applies to queued contacts too");

    // Answering an unflushed decision writes it first, in the answer's transaction.
    const answered = dataOf(await gw.request(RespondToOfferDocument, { decisionId: first.id, outcome: "ACCEPTED" })).respondToOffer;
    assert.equal(answered.outcome, "ACCEPTED");
    const held = dataOf(await gw.request(UnifiedViewDocument, { id: customer.id })).customer?.subscriptions.map((s) => s.product.id) ?? [];
    assert.ok(held.includes(first.offer.product.id), "the acceptance subscribed the customer");
    assert.equal((await inGraph([first.id])).get(first.id)?.outcome, "ACCEPTED");

    // The flush: every decision once, the answered one keeps its answer, nothing queued is left.
    writer.start();
    await writer.drained();
    const flushed = await inGraph(made.map((d) => d.id));
    assert.equal(flushed.size, made.length, "every decision in the graph");
    for (const d of made) {
      const row = flushed.get(d.id);
      assert.equal(row?.n, 1, `${d.id} once`);
      assert.equal(row?.contacts, d.contacted ? 1 : 0, `${d.id}: one OFFER_PRESENTED contact when presented`);
    }
    assert.equal(flushed.get(first.id)?.outcome, "ACCEPTED", "the flush did not undo the answer");
    assert.equal(await redis.exists(...made.map((d) => keys.decisions.queued(d.id))), 0, "no queued copy left");
    assert.equal(await redis.hlen(keys.decisions.queuedContacts(customer.id)), 0, "no queued contact left");
    const after = dataOf(await gw.request(TrajectoryDocument, { id: customer.id, first: 5 })).customer?.contacts;
    assert.equal(after?.totalCount, seededCount + presented.length + 1, "the same count from the graph, plus the answer");
  });

  test("a replica killed holding a batch: another replica's mover commits it, each decision once", async () => {
    const writer = gw.app.services.decisioning.writer;
    // This replica's mover stands aside, so the other process's mover takes the entries and holds them.
    await writer.stop();
    try {
      // The other replica gathers for a minute before committing: it is killed holding its batch.
      const replica = await startGatewayProcess({ DECISION_WRITE_LINGER_MS: "60000", DECISION_WRITE_BATCH: "1000", DECISION_WRITE_CLAIM_AFTER_MS: "600000" });
      const token = await operatorToken();
      const ids: string[] = [];
      const customers: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const { customer } = await freshCustomer();
        customers.push(customer.id);
        const made = dataOf(await postGraphQL<{ nextBestOffers: Made[] }>(replica.url, `query ($id: ID!) { nextBestOffers(customerId: $id, channel: APP, limit: 3) { id contacted offer { product { id } } } }`, { id: customer.id }, token)).nextBestOffers;
        ids.push(...made.map((d) => d.id));
      }
      assert.ok(ids.length >= 3, "decisions made on the other replica");
      await eventually(
        async () => {
          const summary = (await redis.xpending(keys.decisions.stream(), DECISION_GROUP)) as [number, ...unknown[]];
          assert.ok(Number(summary[0]) >= 3, `${summary[0]} entries pending with the other replica's mover`);
        },
        { what: "the other replica's mover holding the entries" },
      );
      assert.equal((await inGraph(ids)).size, 0, "nothing committed before the kill");
      await replica.kill();

      writer.start();
      await eventually(async () => assert.equal((await inGraph(ids)).size, ids.length), { what: "every decision committed by this replica", timeoutMs: 30_000 });
      const rows = await inGraph(ids);
      assert.ok([...rows.values()].every((r) => r.n === 1), "each decision once");
      assert.ok(writer.stats.claimed >= 1, "claimed from the dead replica");
      await eventually(async () => assert.equal(Number(((await redis.xpending(keys.decisions.stream(), DECISION_GROUP)) as unknown[])[0]), 0), { what: "nothing left pending" });
      for (const id of customers) assert.equal(await redis.hlen(keys.decisions.queuedContacts(id)), 0, `${id}: no queued contact left`);
    } finally {
      writer.start();
    }
  });

  test("a batch written twice (a mover died after its commit, before its acknowledgement) is written once", async () => {
    const writer = gw.app.services.decisioning.writer;
    const { customer } = await freshCustomer();
    const made = await decide(customer.id);
    await writer.drained();
    // The same rows appended again, as an unacknowledged batch would be delivered again.
    const rows = await graph.session().read<{ d: Record<string, unknown> }>("MATCH (d:Decision {customerId: $id}) RETURN d {.*, at: toString(d.at)} AS d", { id: customer.id });
    const again = rows.map(({ d }) => ({ ...d, summary: "again", strategyId: d.strategyId ?? null, eventId: d.eventId ?? null }));
    await redis.xadd(keys.decisions.stream(), "*", "rows", JSON.stringify(again));
    await writer.drained();
    const counted = await inGraph(made.map((d) => d.id));
    for (const d of made) assert.equal(counted.get(d.id)?.n, 1, `${d.id} once`);
    assert.ok([...counted.values()].every((r) => r.contacts <= 1), "no second contact");
  });
});
