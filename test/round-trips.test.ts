import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { UnifiedViewBatchDocument } from "../schema/generated/operations";
import { eventually } from "./support/eventually";
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
    // cold: customers' profiles, circle members, contact pages with their counts (warm: the pages only, test/view-profile.test.ts)
    assert.ok(fifty.roundTrips <= 3, `expected at most 3 round trips for 50 customers, got ${fifty.roundTrips}`);
    assert.equal(fifty.roundTrips, one.roundTrips, "the cost must not grow with the number of customers");
  });

  test("totalCount is counted in the page's own statement, at no extra round trip", async () => {
    // The customer's live profile filled first (a cold one costs a statement of its own), so only the page is counted.
    await eventually(async () => assert.equal((await gw.raw(`{ customer(id: "C0000005") { id } }`)).roundTrips, 0), { what: "C0000005's profile filled" });
    const withCount = await gw.raw(`{ customer(id: "C0000005") { contacts(first: 2) { totalCount edges { cursor } } } }`);
    const without = await gw.raw(`{ customer(id: "C0000005") { contacts(first: 2) { edges { cursor } } } }`);
    assert.equal(withCount.roundTrips, 1);
    assert.equal(without.roundTrips, 1);
    const count = (dataOf(withCount) as { customer: { contacts: { totalCount: number } } }).customer.contacts.totalCount;
    assert.ok(count > 0);
  });
});
