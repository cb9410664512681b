import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { TrajectoryDocument, type ChannelCode, type TrajectoryQuery } from "../schema/generated/operations";
import { contactPageIndexRowsRead } from "../src/graph/contact";
import { pageRequest } from "../src/customer360/trajectory";
import { dataOf, startTestGateway, testGraph, type TestGateway } from "./support/gateway";

type Edge = NonNullable<TrajectoryQuery["customer"]>["contacts"]["edges"][number];

describe("contact trajectory paging", () => {
  let gw: TestGateway;
  let busiest: string;
  let all: Edge[];

  before(async () => {
    gw = await startTestGateway();
    // The customer with the longest history among the first 200 makes the paging interesting.
    let best = { id: "", n: -1 };
    for (let i = 1; i <= 200; i++) {
      const id = `C${String(i).padStart(7, "0")}`;
      const page = dataOf(await gw.request(TrajectoryDocument, { id, first: 1 }));
      const n = page.customer?.contacts.totalCount ?? 0;
      if (n > best.n) best = { id, n };
    }
    busiest = best.id;
    assert.ok(best.n >= 15, `expected a customer with at least 15 contacts among the first 200, best was ${best.n}`);
    const everything = dataOf(await gw.request(TrajectoryDocument, { id: busiest, first: 100 }));
    all = everything.customer?.contacts.edges ?? [];
    assert.equal(all.length, best.n);
  });

  test("pages cover the whole history once, newest first, with no gaps or duplicates", async () => {
    for (const size of [1, 3, 7]) {
      const seen: Edge[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 200; guard++) {
        const page: TrajectoryQuery = dataOf(await gw.request(TrajectoryDocument, { id: busiest, first: size, after }));
        const contacts = page.customer?.contacts;
        assert.ok(contacts);
        assert.ok(contacts.edges.length <= size);
        seen.push(...contacts.edges);
        if (!contacts.pageInfo.hasNextPage) break;
        assert.equal(contacts.pageInfo.endCursor, contacts.edges.at(-1)?.cursor);
        after = contacts.pageInfo.endCursor;
      }
      assert.deepEqual(
        seen.map((e) => e.node.id),
        all.map((e) => e.node.id),
        `page size ${size} must reproduce the full trajectory`,
      );
    }
    const times = all.map((e) => Date.parse(e.node.at));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! >= times[i]!, "newest first");
  });

  test("channel filter returns exactly the contacts on those channels, in order", async () => {
    const channels = [...new Set(all.map((e) => e.node.channel.code))].slice(0, 2) as ChannelCode[];
    const expected = all.filter((e) => channels.includes(e.node.channel.code));
    const got = dataOf(await gw.request(TrajectoryDocument, { id: busiest, first: 100, channels }));
    assert.deepEqual(got.customer?.contacts.edges.map((e) => e.node.id), expected.map((e) => e.node.id));
    assert.equal(got.customer?.contacts.totalCount, expected.length);
  });

  test("since and until bound the window inclusively and page within it", async () => {
    const newest = all[2]!.node.at;
    const oldest = all[all.length - 3]!.node.at;
    const expected = all.filter((e) => Date.parse(e.node.at) >= Date.parse(oldest) && Date.parse(e.node.at) <= Date.parse(newest));
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: TrajectoryQuery = dataOf(await gw.request(TrajectoryDocument, { id: busiest, first: 4, after, since: oldest, until: newest }));
      const contacts = page.customer!.contacts;
      assert.equal(contacts.totalCount, expected.length);
      seen.push(...contacts.edges.map((e) => e.node.id));
      after = contacts.pageInfo.hasNextPage ? contacts.pageInfo.endCursor : null;
    } while (after);
    assert.deepEqual(seen, expected.map((e) => e.node.id));
  });

  test("a page reads index entries in proportion to its size, not to the history", async () => {
    const graph = testGraph();
    for (const first of [1, 5]) {
      const page = pageRequest(busiest, { first });
      const read = await contactPageIndexRowsRead(graph.session(), page);
      // first + 1 rows are asked for (to know whether there is a next page); PartialTop may read one more tie group.
      assert.ok(read <= first + 3, `a page of ${first} read ${read} index entries of a history of ${all.length}`);
    }
    const second = pageRequest(busiest, { first: 2, after: all[9]!.cursor });
    assert.ok((await contactPageIndexRowsRead(graph.session(), second)) <= 5, "resuming after a cursor seeks, it does not scan");
  });

  test("a customer without contacts in the window gets an empty page", async () => {
    const got = dataOf(await gw.request(TrajectoryDocument, { id: busiest, since: "2000-01-01T00:00:00Z", until: "2000-02-01T00:00:00Z" }));
    assert.deepEqual(got.customer?.contacts, { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });
});
