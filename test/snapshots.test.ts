import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { parse as parseCsv } from "csv-parse/sync";
import { scanMembers } from "../src/graph/segments";
import { keys } from "../src/platform/keys";
import { membersOf } from "../src/segments/preview/bits";
import { toScan } from "../src/segments/preview/plan";
import { proposeAndApply } from "./support/approval";
import { tokenFor } from "./support/auth";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";

/**
 * Materialised segments (src/marketing/snapshots): a snapshot holds exactly the members the
 * preview counts and the graph's own scan finds; its members page without gaps or repeats; the CSV
 * export has the BOM, the header and the same rows, masked by role, within the asker's scope, and
 * refuses without a token or with a role that may not read segments; a schedule takes snapshots
 * by itself; a segment's snapshots list newest first.
 */

const PID = process.pid.toString(36).toUpperCase();
/** Attributes no test changes (holdings and tags move as other files decide and accept offers). */
const EXPRESSION = 'gender = "F" AND age >= 45';

type Snapshot = { id: string; state: string; size: number; progress: number; trigger: string; takenAt: string; version: string; customers: number };
type Member = { id: string; name: string; msisdn: string; masked: boolean; regionId: string };

const SNAPSHOT_FIELDS = "id state size progress trigger takenAt version customers";
const CREATE_SEGMENT = `mutation($input: SegmentInput!) { createSegment(input: $input) { id code pendingChange { id } } }`;
const MATERIALIZE = `mutation($id: ID!) { materializeSegment(segmentId: $id) { ${SNAPSHOT_FIELDS} } }`;
const SNAPSHOT = `query($id: ID!) { segmentSnapshot(id: $id) { ${SNAPSHOT_FIELDS} } }`;
const MEMBERS = `query($id: ID!, $first: Int!, $after: String) { segmentSnapshot(id: $id) { members(first: $first, after: $after) { edges { cursor node { id name msisdn masked regionId } } pageInfo { hasNextPage endCursor } } } }`;
const HISTORY = `query { segments { id snapshots(first: 50) { edges { node { ${SNAPSHOT_FIELDS} } } pageInfo { hasNextPage } } refreshSchedule { hour timezone } } }`;
const SET_REFRESH = `mutation($id: ID!, $hour: Int) { setSegmentRefresh(segmentId: $id, hour: $hour) { id refreshSchedule { hour timezone } } }`;

const codeOf = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;

describe("segment snapshots", () => {
  let gw: TestGateway;
  let segmentId = "";
  let marketer = "";
  let piiAdmin = "";
  let approver = "";
  let agent = "";
  const graph = testGraph();

  const materialize = async (token = marketer): Promise<Snapshot> => {
    const started = dataOf(await gw.raw<{ materializeSegment: Snapshot }>(MATERIALIZE, { id: segmentId }, token)).materializeSegment;
    assert.equal(started.state, "RUNNING");
    return eventually(async () => {
      const s = dataOf(await gw.raw<{ segmentSnapshot: Snapshot }>(SNAPSHOT, { id: started.id })).segmentSnapshot;
      assert.equal(s.state, "READY", `snapshot ${s.id} is ${s.state}`);
      return s;
    }, { what: "the snapshot", timeoutMs: 30_000 });
  };

  const exportCsv = (id: string, token: string | null): Promise<Response> =>
    fetch(`${gw.origin}/exports/snapshots/${id}.csv`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  before(async () => {
    gw = await startTestGateway({ snapshots: { scheduleEveryMs: 1_500 } });
    await gw.app.services.segments.index.build();
    [marketer, piiAdmin, approver, agent] = await Promise.all([
      tokenFor({ sub: `test:snap-marketer:${PID}`, roles: ["MARKETER"] }),
      tokenFor({ sub: `test:snap-admin:${PID}`, roles: ["ADMIN"], permissions: ["pii:read"] }),
      tokenFor({ sub: `test:snap-approver:${PID}`, roles: ["APPROVER"] }),
      tokenFor({ sub: `test:snap-agent:${PID}`, roles: ["AGENT"], regions: ["R33"], agentId: "snap-agent" }),
    ]);
    const created = await proposeAndApply<{ createSegment: { id: string } }>(gw, CREATE_SEGMENT, { input: { code: `SNAP_TEST_${PID}`, name: "快照测试：45岁以上女性", expression: EXPRESSION } }, marketer);
    segmentId = created.createSegment.id;
  });

  test("a snapshot holds the preview's count and the graph scan's members, and pages through them without gaps or repeats", async () => {
    const snapshot = await materialize();
    const preview = dataOf(await gw.raw<{ segmentPreview: { count: number } }>(`query($e: String!) { segmentPreview(expression: $e) { count } }`, { e: EXPRESSION }, marketer)).segmentPreview;
    assert.equal(snapshot.size, preview.count, "the snapshot's size is the preview's count");
    assert.ok(snapshot.size > 0);

    // the graph's own answer, over the customers this gateway's index holds (other files keep writing customers of their own)
    const { segments } = gw.app.services;
    const checked = await segments.check({ expression: EXPRESSION });
    const scan = toScan(checked.root, { products: await gw.app.services.reference.products(), asOfMs: Date.now() });
    const generation = await segments.index.store.current();
    const indexed = new Set(membersOf(await segments.index.store.bytes(`${keys.segments.generation(generation as number)}:all`)));
    const scanned = (await scanMembers(graph.session(), scan)).filter((i) => indexed.has(i)).sort((a, b) => a - b);
    assert.equal(snapshot.size, scanned.length, "the snapshot's size is the scan's count");

    // pages of 97 as the operator (every customer in scope): every member once, in a stable order
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 1000);
      const page: { edges: Array<{ cursor: string; node: Member }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = dataOf(
        await gw.raw<{ segmentSnapshot: { members: never } }>(MEMBERS, { id: snapshot.id, first: 97, after }, marketer),
      ).segmentSnapshot.members;
      seen.push(...page.edges.map((e) => e.node.id));
      for (const e of page.edges) assert.ok(e.node.masked && e.node.msisdn.includes("*"), "a MARKETER sees members masked");
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.equal(new Set(seen).size, seen.length, "no member twice");
    const expectedIds = (await graph.session().read<{ id: string }>("UNWIND $idx AS i MATCH (c:Customer {idx: i}) RETURN c.id AS id", { idx: scanned })).map((r) => r.id);
    assert.deepEqual([...seen].sort(), expectedIds.sort(), "the pages hold exactly the scan's members");
  });

  test("the CSV export: BOM, header, the members' rows masked by role, the asker's scope, audited; refused without a token or the role", async () => {
    const snapshot = await materialize();

    const asMarketer = await exportCsv(snapshot.id, marketer);
    assert.equal(asMarketer.status, 200);
    assert.match(asMarketer.headers.get("content-type") ?? "", /^text\/csv; charset=utf-8/);
    assert.match(asMarketer.headers.get("content-disposition") ?? "", /attachment; filename="segment-SNAP_TEST_.*\.csv"/);
    const bytes = Buffer.from(await asMarketer.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 BOM first");
    const rows = parseCsv(bytes.subarray(3).toString("utf8"), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(rows[0] ?? {}), ["customerId", "name", "msisdn", "masked", "regionId", "segment", "valueTier", "lifecycleStage", "arpu"]);
    assert.equal(rows.length, snapshot.size, "a row per member");
    assert.equal(new Set(rows.map((r) => r.customerId)).size, rows.length);
    assert.ok(rows.every((r) => r.masked === "true" && r.msisdn?.includes("*")), "a MARKETER's export is masked");

    // an ADMIN holding pii:read sees the numbers whole; the rows are the same customers
    const asAdmin = await exportCsv(snapshot.id, piiAdmin);
    assert.equal(asAdmin.status, 200);
    const adminRows = parseCsv((await asAdmin.text()).replace(/^\uFEFF/, ""), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(adminRows.map((r) => r.customerId), rows.map((r) => r.customerId));
    assert.ok(adminRows.every((r) => r.masked === "false" && /^1\d{10}$/.test(r.msisdn ?? "")), "pii:read sees the MSISDN whole");
    const whole = await graph.session().read<{ id: string; name: string; msisdn: string }>("UNWIND $ids AS id MATCH (c:Customer {id: id}) RETURN c.id AS id, c.name AS name, c.msisdn AS msisdn", { ids: adminRows.slice(0, 20).map((r) => r.customerId) });
    for (const c of whole) {
      const row = adminRows.find((r) => r.customerId === c.id);
      assert.equal(row?.name, c.name, "names survive the quoting (Chinese, UTF-8)");
      assert.equal(row?.msisdn, c.msisdn);
    }

    // scope: an APPROVER may read segments but no customer: the header alone
    const asApprover = await exportCsv(snapshot.id, approver);
    assert.equal(asApprover.status, 200);
    assert.equal((await asApprover.text()).replace(/^\uFEFF/, "").trim(), "customerId,name,msisdn,masked,regionId,segment,valueTier,lifecycleStage,arpu");

    // refusals
    const anonymous = await exportCsv(snapshot.id, null);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, "UNAUTHENTICATED");
    const wrongRole = await exportCsv(snapshot.id, agent);
    assert.equal(wrongRole.status, 403);
    assert.equal(((await wrongRole.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, "FORBIDDEN");
    assert.equal((await exportCsv("NO_SUCH_SNAPSHOT", marketer)).status, 404);

    // audited: who exported which snapshot, how many rows
    await eventually(async () => {
      const entries = await graph.session().read<{ principalId: string; after: string }>(
        "MATCH (a:AuditEntry) WHERE a.action = 'EXPORT' AND a.targetId = $id RETURN a.principalId AS principalId, a.after AS after",
        { id: snapshot.id },
      );
      const byWhom = new Map(entries.map((e) => [e.principalId, JSON.parse(e.after) as { rows: number; unmasked: number }]));
      assert.deepEqual(byWhom.get(`test:snap-marketer:${PID}`), { segmentId, rows: rows.length, unmasked: 0, format: "CSV" });
      assert.deepEqual(byWhom.get(`test:snap-admin:${PID}`), { segmentId, rows: rows.length, unmasked: rows.length, format: "CSV" });
      assert.deepEqual(byWhom.get(`test:snap-approver:${PID}`), { segmentId, rows: 0, unmasked: 0, format: "CSV" });
    }, { what: "the snapshot", timeoutMs: 30_000 });
  });

  test("only the segment roles may take snapshots", async () => {
    const res = await gw.raw(MATERIALIZE, { id: segmentId }, agent);
    assert.equal(codeOf(res), "FORBIDDEN");
    assert.equal(codeOf(await gw.raw(MATERIALIZE, { id: "SG_NOPE" }, marketer)), "NOT_FOUND");
  });

  test("a refresh schedule takes snapshots by itself; a segment's snapshots list newest first", async () => {
    const set = dataOf(await gw.raw<{ setSegmentRefresh: { refreshSchedule: { hour: number; timezone: string } | null } }>(SET_REFRESH, { id: segmentId, hour: 3 }, marketer)).setSegmentRefresh;
    assert.deepEqual(set.refreshSchedule, { hour: 3, timezone: "Asia/Shanghai" });
    assert.equal(codeOf(await gw.raw(SET_REFRESH, { id: segmentId, hour: 24 }, marketer)), "BAD_USER_INPUT");
    type History = { segments: Array<{ id: string; snapshots: { edges: Array<{ node: Snapshot }> }; refreshSchedule: { hour: number } | null }> };
    const scheduled = await eventually(async () => {
      const segment = dataOf(await gw.raw<History>(HISTORY, {}, marketer)).segments.find((g) => g.id === segmentId);
      const ready = segment?.snapshots.edges.map((e) => e.node).filter((s) => s.trigger === "SCHEDULE" && s.state === "READY") ?? [];
      assert.ok(ready.length >= 2, `scheduled snapshots: ${ready.length}`);
      return segment!;
    }, { what: "the snapshot", timeoutMs: 30_000 });
    dataOf(await gw.raw(SET_REFRESH, { id: segmentId, hour: null }, marketer));
    const times = scheduled.snapshots.edges.map((e) => Date.parse(e.node.takenAt));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
    const sizes = new Set(scheduled.snapshots.edges.filter((e) => e.node.state === "READY").map((e) => e.node.size));
    assert.equal(sizes.size, 1, "the same customers, the same size over time");
    assert.equal(scheduled.refreshSchedule?.hour, 3);
  });
});
