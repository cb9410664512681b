import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { UnifiedViewBatchDocument } from "../schema/generated/operations";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";

const ids = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `C${String(from + i).padStart(7, "0")}`);

describe("unified view cost in Bolt round trips", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
    dataOf(await gw.request(UnifiedViewBatchDocument, { ids: ids(1) })); // loads process-wide reference data once
  });

  test("50 customers cost the same bounded number of round trips as 1", async () => {
    const one = await gw.request(UnifiedViewBatchDocument, { ids: ids(1, 100) });
    const fifty = await gw.request(UnifiedViewBatchDocument, { ids: ids(50, 200) });
    const customers = dataOf(fifty).customers;
    assert.equal(customers.length, 50);
    assert.ok(customers.every((c) => c !== null && c.contacts.edges.length > 0 && c.subscriptions.length > 0));
    // customers with their profiles, circles, contact pages with their counts (warm live profiles: fewer, test/view-profile.test.ts)
    assert.ok(fifty.roundTrips <= 3, `expected at most 3 round trips for 50 customers, got ${fifty.roundTrips}`);
    assert.equal(fifty.roundTrips, one.roundTrips, "the cost must not grow with the number of customers");
  });

  test("totalCount is counted in the page's own statement, at no extra round trip", async () => {
    const withCount = await gw.raw(`{ customer(id: "C0000005") { contacts(first: 2) { totalCount edges { cursor } } } }`);
    const without = await gw.raw(`{ customer(id: "C0000005") { contacts(first: 2) { edges { cursor } } } }`);
    // The customer (a statement while its live profile is cold, none once a decision filled it) and the page.
    assert.ok(withCount.roundTrips <= 2, `at most 2 round trips, got ${withCount.roundTrips}`);
    assert.equal(withCount.roundTrips, without.roundTrips, "the count costs no round trip of its own");
    const count = (dataOf(withCount) as { customer: { contacts: { totalCount: number } } }).customer.contacts.totalCount;
    assert.ok(count > 0);
  });
});
