import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateTagDocument,
  ImportTagValuesDocument,
  PublishTagDocument,
  RemoveTagValuesDocument,
  RunTagDocument,
  SubmitTagDocument,
  TagRunStatusDocument,
  type TagInput,
} from "../schema/generated/operations";
import { scanMembers, type ScanCondition } from "../src/graph/segments";
import { toScan } from "../src/segments/preview/plan";
import { applyChange, proposeAndApply } from "./support/approval";
import { tokenFor } from "./support/auth";
import { freshIds } from "./support/customers";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { startGatewayProcess } from "./support/process-gateway";

/**
 * Rule tags computing themselves (src/tags/jobs.ts): a published rule tag's run gives exactly the
 * customers the graph's own scan of its rule finds (FLAG, CATEGORY first match, SCORE weighted
 * share), with progress moving; two replicas asked at once make one run; a replica killed mid-run
 * (SIGKILL) leaves its job to another, which resumes at the cursor and ends with the right holders;
 * an offline tag loses its schedule and never runs; imports are all or nothing; the incremental
 * refresh re-evaluates just the customers given.
 *
 * Every tag is this file's own; holders are compared over the seeded customers (ids of 8
 * characters), which no test mutates, while other files add customers of their own.
 */

const PID = process.pid.toString(36).toUpperCase();
let serial = 0;
const code = (what: string): string => `TST_JOB_${what}_${PID}_${++serial}`;

const codeOf = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;
const messageOf = (res: GraphQLResponse<unknown>): string => res.errors?.[0]?.message ?? "";

/** Seconds the crash test gives a run to be taken over and finished. */
const TAKEOVER_MS = 90_000;

describe("rule tags as jobs", () => {
  let gw: TestGateway;
  const created: string[] = [];

  before(async () => {
    gw = await startTestGateway({ tagJobs: { batch: 250, pauseMs: 40, lockMs: 2_000 } });
  });

  after(async () => {
    // This file's tags leave no edges behind for other files' customer views.
    const graph = testGraph({ scope: "file" });
    await graph.session().write(`MATCH (t:Tag) WHERE t.id IN $ids OPTIONAL MATCH (t)-[r:RAN]->(run) DETACH DELETE t, run`, { ids: created });
  });

  const input = (what: string, extra: Partial<TagInput>): TagInput => ({
    code: code(what),
    name: `规则标签${what}`,
    level1: "Telecom",
    level2: "Data usage",
    definition: `按规则每日计算的测试标签（${what}）。`,
    valueType: "FLAG",
    ...extra,
  });

  /** Created, approved by the checker and published. */
  const published = async (tagInput: TagInput): Promise<{ id: string; code: string }> => {
    const tag = dataOf(await gw.request(CreateTagDocument, { input: tagInput })).createTag;
    created.push(tag.id);
    const submitted = dataOf(await gw.request(SubmitTagDocument, { id: tag.id })).submitTag;
    await applyChange(gw, submitted);
    dataOf(await gw.request(PublishTagDocument, { id: tag.id }));
    return tag;
  };

  const status = async (id: string, g: TestGateway = gw) => {
    const tag = dataOf(await g.request(TagRunStatusDocument, { id })).tag;
    assert.ok(tag, `tag ${id} exists`);
    return tag;
  };

  const finished = (id: string, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const run = (await status(id)).lastRun;
        assert.ok(run, "a run is recorded");
        assert.notEqual(run.state, "FAILED", `the run failed: ${run.error ?? ""}`);
        assert.equal(run.state, "SUCCEEDED");
        return run;
      },
      { what: `tag ${id}'s run succeeds`, timeoutMs, intervalMs: 100 },
    );

  /** The scan condition of an expression, as a preview plans it. */
  const scanOf = async (expression: string): Promise<ScanCondition> => {
    const checked = await gw.app.services.segments.check({ expression });
    return toScan(checked.root, { products: await gw.app.services.reference.products(), asOfMs: Date.now() });
  };

  /** Seeded customers' idx satisfying an expression. */
  const membersOf = async (expression: string): Promise<Set<number>> => {
    const seeded = await seededIdx();
    return new Set((await scanMembers(testGraph().session(), await scanOf(expression))).filter((i) => seeded.has(i)));
  };
  let seededCache: Set<number> | null = null;
  const seededIdx = async (): Promise<Set<number>> =>
    (seededCache ??= new Set((await testGraph().session().read<{ idx: number }>(`MATCH (c:Customer) WHERE size(c.id) = 8 AND c.idx IS NOT NULL RETURN c.idx AS idx`)).map((r) => r.idx)));

  /** Seeded holders of a tag: idx → [value, score]. */
  const holdersOf = async (tagId: string): Promise<Map<number, [string | null, number | null]>> => {
    const rows = await testGraph()
      .session()
      .read<{ idx: number; value: string | null; score: number | null }>(
        `MATCH (c:Customer)-[h:HAS_TAG]->(:Tag {id: $tagId}) WHERE size(c.id) = 8 RETURN c.idx AS idx, h.value AS value, h.score AS score`,
        { tagId },
      );
    return new Map(rows.map((r) => [r.idx, [r.value, r.score]]));
  };

  const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b);

  test("a FLAG rule tag run holds exactly the scan's members, with progress moving, and is recorded on the tag", async () => {
    const expression = "arpu >= 80 AND holds(BROADBAND)";
    const tag = await published(input("FLAG", { source: "RULE", rule: { expression } }));
    const before = await status(tag.id);
    assert.equal(before.source, "RULE");
    assert.equal(before.rule?.expression, expression);
    assert.ok(before.nextRunAt, "a published rule tag has its daily run scheduled");

    const run = dataOf(await gw.request(RunTagDocument, { id: tag.id })).runTag;
    assert.equal(run.trigger, "DEMAND");
    // the progress is seen between the first batch and the last
    const moving = await eventually(
      async () => {
        const r = (await status(tag.id)).lastRun;
        assert.ok(r && r.state === "RUNNING" && r.done > 0 && r.done < r.total, "a run part way through");
        return r;
      },
      { what: "the run's progress part way", timeoutMs: 30_000, intervalMs: 10 },
    );
    assert.ok(moving.progress > 0 && moving.progress < 1);

    const done = await finished(tag.id);
    assert.equal(done.id, run.id);
    assert.equal(done.done, done.total, "every customer evaluated once");
    assert.equal(done.progress, 1);
    const expected = await membersOf(expression);
    const holders = await holdersOf(tag.id);
    assert.ok(expected.size > 0, "the rule matches someone");
    assert.deepEqual(sorted(holders.keys()), sorted(expected));
    assert.ok([...holders.values()].every(([v, s]) => v === "true" && s === 1));
    const after = await status(tag.id);
    assert.equal(after.lastRunHolders, done.holders);
    assert.ok(after.lastRunAt);

    // run again: nothing changes, nobody is added or removed
    dataOf(await gw.request(RunTagDocument, { id: tag.id }));
    const again = await eventually(
      async () => {
        const r = (await status(tag.id)).lastRun;
        assert.ok(r && r.id !== run.id && r.state === "SUCCEEDED");
        return r;
      },
      { what: "the second run", timeoutMs: 60_000, intervalMs: 100 },
    );
    // Over the seeded customers nothing changes; other files write customers of their own meanwhile,
    // which the second run may find (added) but none it held is removed or changed.
    assert.deepEqual([again.removed, again.changed], [0, 0]);
    assert.deepEqual(sorted((await holdersOf(tag.id)).keys()), sorted(expected), "the seeded holders are the same");
    assert.ok(again.added <= (again.holders ?? 0) - expected.size, `only other files' customers can be new: added ${again.added}, holders ${again.holders}, seeded ${expected.size}`);
  });

  test("CATEGORY (first match wins) and SCORE (weighted share) rule tags equal the scan", async () => {
    const categories = [
      { value: "高", expression: "arpu >= 150" },
      { value: "中", expression: "arpu >= 80" },
      { value: "家庭", expression: 'segment = "FAMILY"' },
    ];
    const category = await published(input("CAT", { valueType: "CATEGORY", source: "RULE", rule: { categories } }));
    const scores = [
      { weight: 2, expression: "TEL_DATA_HEAVY" },
      { weight: 1, expression: "holds(BROADBAND)" },
      { weight: 1, expression: "family(holds(BROADBAND))" },
    ];
    const score = await published(input("SCORE", { valueType: "SCORE", source: "RULE", rule: { scores } }));
    dataOf(await gw.request(RunTagDocument, { id: category.id }));
    dataOf(await gw.request(RunTagDocument, { id: score.id }));
    await finished(category.id);
    await finished(score.id);

    const sets = await Promise.all(categories.map((c) => membersOf(c.expression)));
    const expectedCategory = new Map<number, string>();
    categories.forEach((c, i) => {
      for (const idx of sets[i] ?? []) if (!expectedCategory.has(idx)) expectedCategory.set(idx, c.value);
    });
    const gotCategory = await holdersOf(category.id);
    assert.deepEqual(
      sorted(gotCategory.keys()).map((i) => [i, gotCategory.get(i)?.[0]]),
      sorted(expectedCategory.keys()).map((i) => [i, expectedCategory.get(i)]),
    );

    const scoreSets = await Promise.all(scores.map((s) => membersOf(s.expression)));
    const total = scores.reduce((a, s) => a + s.weight, 0);
    const expectedScore = new Map<number, number>();
    for (const idx of await seededIdx()) {
      const sum = scores.reduce((a, s, i) => a + (scoreSets[i]?.has(idx) ? s.weight : 0), 0);
      if (sum > 0) expectedScore.set(idx, Math.round((sum / total) * 100) / 100);
    }
    const gotScore = await holdersOf(score.id);
    assert.deepEqual(
      sorted(gotScore.keys()).map((i) => [i, gotScore.get(i)?.[1]]),
      sorted(expectedScore.keys()).map((i) => [i, expectedScore.get(i)]),
    );
  });

  test("a rule is checked at create with the column of a bad expression, and may not name its own tag", async () => {
    const bad = await gw.request(CreateTagDocument, { input: input("BAD", { source: "RULE", rule: { expression: "arpu >= 80 AND holdz(BROADBAND)" } }) });
    assert.equal(codeOf(bad), "BAD_USER_INPUT");
    assert.equal(bad.errors?.[0]?.extensions?.argument, "rule.expression");
    assert.equal(typeof bad.errors?.[0]?.extensions?.column, "number");
    const self = input("SELF", { source: "RULE" });
    const own = await gw.request(CreateTagDocument, { input: { ...self, rule: { expression: `${self.code} OR arpu > 10` } } });
    assert.equal(codeOf(own), "BAD_USER_INPUT");
    const shape = await gw.request(CreateTagDocument, { input: input("SHAPE", { valueType: "SCORE", source: "RULE", rule: { expression: "arpu > 1" } }) });
    assert.equal(codeOf(shape), "BAD_USER_INPUT");
    assert.match(messageOf(shape), /scores/);
  });

  test("two replicas asked to run one tag at once make one run", async () => {
    const other = await startTestGateway({ tagJobs: { worker: false } });
    const tag = await published(input("ONCE", { source: "RULE", rule: { expression: "arpu >= 120" } }));
    const [a, b] = await Promise.all([gw.request(RunTagDocument, { id: tag.id }), other.request(RunTagDocument, { id: tag.id })]);
    assert.equal(dataOf(a).runTag.id, dataOf(b).runTag.id, "both answer the same run");
    const done = await finished(tag.id);
    assert.equal(done.attempts, 1);
    const runs = await testGraph().session().read<{ n: number }>(`MATCH (:Tag {id: $id})-[:RAN]->(r:TagRun) RETURN count(r) AS n`, { id: tag.id });
    assert.equal(runs[0]?.n, 1);
  });

  test("a replica killed mid-run: another takes its job over and ends with the right holders", async () => {
    const tag = await published(input("CRASH", { source: "RULE", rule: { expression: 'arpu >= 60 AND NOT segment = "ENTERPRISE"' } }));
    // this gateway's worker steps aside, so the other process takes the job
    await gw.app.services.tagJobs.stop();
    const proc = await startGatewayProcess({ TAG_JOB_BATCH: "100", TAG_JOB_PAUSE_MS: "150", TAG_JOB_LOCK_MS: "2000" });
    const run = dataOf(await gw.request(RunTagDocument, { id: tag.id })).runTag;
    await eventually(
      async () => {
        const r = (await status(tag.id)).lastRun;
        assert.ok(r && r.state === "RUNNING" && r.done > 0, `the process is part way: ${r ? `${r.state} ${r.done}/${r.total}` : "no run"}`);
      },
      { what: "the other process runs the job", timeoutMs: 30_000, intervalMs: 20 },
    );
    await proc.kill();
    const stoppedAt = (await status(tag.id)).lastRun;
    assert.ok(stoppedAt && stoppedAt.done < stoppedAt.total, `killed before it finished: ${stoppedAt?.state} ${stoppedAt?.done}/${stoppedAt?.total}`);
    gw.app.services.tagJobs.start();
    const done = await finished(tag.id, TAKEOVER_MS);
    assert.equal(done.id, run.id, "the same run resumed");
    assert.ok(done.attempts >= 2, "resumed by a second worker");
    assert.equal(done.done, done.total, "no batch lost or applied twice");
    const expected = await membersOf('arpu >= 60 AND NOT segment = "ENTERPRISE"');
    assert.deepEqual(sorted((await holdersOf(tag.id)).keys()), sorted(expected));
    // Counts over the seeded customers only: other files' customers come and go meanwhile (one
    // written before the run and refreshed by its own gateway mid-run is held, not added, by it;
    // one deleted mid-run was added, not held at the end).
    assert.ok(done.added >= expected.size, `a first run adds every seeded holder: added ${done.added}, seeded holders ${expected.size}`);
  });

  test("an offline tag loses its schedule and never runs", async () => {
    const tag = await published(input("OFF", { source: "RULE", rule: { expression: "arpu >= 200" } }));
    assert.ok((await status(tag.id)).nextRunAt);
    await proposeAndApply(gw, `mutation($id: ID!) { offlineTag(id: $id, reason: "测试下线") { id pendingChange { id } } }`, { id: tag.id });
    const off = await status(tag.id);
    assert.equal(off.status, "OFFLINE");
    assert.equal(await gw.app.services.tagJobs.nextRunAt(tag.id), null, "its daily run is gone");
    const refused = await gw.request(RunTagDocument, { id: tag.id });
    assert.equal(codeOf(refused), "CONFLICT");
    assert.match(messageOf(refused), /offline tag never runs/);
  });

  test("imports: batches, a bad row named by its index and nothing written, removal", async () => {
    const tag = await published(input("IMP", { valueType: "SCORE", source: "IMPORTED" }));
    const ids = await freshIds(3);
    const [a, b, c] = ids as [string, string, string];
    const ok = dataOf(await gw.request(ImportTagValuesDocument, { tagId: tag.id, values: [{ customerId: a, score: 0.3 }, { customerId: b, score: 0.9 }] })).importTagValues;
    assert.deepEqual([ok.rows, ok.added, ok.updated], [2, 2, 0]);

    const badScore = await gw.request(ImportTagValuesDocument, { tagId: tag.id, values: [{ customerId: c, score: 0.5 }, { customerId: a, score: 1.5 }] });
    assert.equal(codeOf(badScore), "BAD_USER_INPUT");
    assert.match(messageOf(badScore), /values\[1\]\.score/);
    const unknown = await gw.request(ImportTagValuesDocument, { tagId: tag.id, values: [{ customerId: c, score: 0.5 }, { customerId: "C9NOBODY", score: 0.5 }] });
    assert.equal(codeOf(unknown), "NOT_FOUND");
    assert.match(messageOf(unknown), /values\[1\]/);
    const held = async (): Promise<Array<[string, number]>> =>
      (
        await testGraph()
          .session()
          .read<{ id: string; score: number }>(`MATCH (c:Customer)-[h:HAS_TAG]->(:Tag {id: $id}) RETURN c.id AS id, h.score AS score ORDER BY id`, { id: tag.id })
      ).map((r) => [r.id, r.score]);
    assert.deepEqual(await held(), [
      [a, 0.3],
      [b, 0.9],
    ], "the refused calls wrote nothing");

    const update = dataOf(await gw.request(ImportTagValuesDocument, { tagId: tag.id, values: [{ customerId: a, score: 0.5 }, { customerId: c, score: 0.1 }] })).importTagValues;
    assert.deepEqual([update.added, update.updated], [1, 1]);
    const removed = dataOf(await gw.request(RemoveTagValuesDocument, { tagId: tag.id, customerIds: [b, c] })).removeTagValues;
    assert.equal(removed.removed, 2);
    assert.deepEqual(await held(), [[a, 0.5]]);

    const tooMany = await gw.request(ImportTagValuesDocument, { tagId: tag.id, values: Array.from({ length: 10_001 }, (_, i) => ({ customerId: `X${i}`, score: 0.1 })) });
    assert.equal(codeOf(tooMany), "BAD_USER_INPUT");
    const agent = await gw.request(ImportTagValuesDocument, { tagId: tag.id, values: [{ customerId: a, score: 0.2 }] }, await tokenFor({ sub: `test:jobs:agent:${PID}`, roles: ["AGENT"] }));
    assert.equal(codeOf(agent), "FORBIDDEN", "importing is for MARKETER and SERVICE");
  });

  test("the incremental refresh re-evaluates just the customers given", async () => {
    const tag = await published(input("INC", { source: "RULE", rule: { expression: "arpu >= 100" } }));
    const ids = await freshIds(2);
    const [rich, poor] = ids as [string, string];
    const graph = testGraph().session();
    await graph.write(`MATCH (c:Customer) WHERE c.id IN $ids SET c.arpu = CASE c.id WHEN $rich THEN 150.0 ELSE 20.0 END`, { ids, rich });
    // (other rule tags of this file are published too: the refresh evaluates them all)
    assert.ok((await gw.app.services.tagJobs.refresh(ids)).includes(rich));
    const holders = async (): Promise<string[]> =>
      (await graph.read<{ id: string }>(`MATCH (c:Customer)-[:HAS_TAG]->(:Tag {id: $tag}) WHERE c.id IN $ids RETURN c.id AS id ORDER BY id`, { tag: tag.id, ids })).map((r) => r.id);
    assert.deepEqual(await holders(), [rich]);
    // the other way round
    await graph.write(`MATCH (c:Customer) WHERE c.id IN $ids SET c.arpu = CASE c.id WHEN $rich THEN 10.0 ELSE 300.0 END`, { ids, rich });
    assert.deepEqual((await gw.app.services.tagJobs.refresh(ids)).sort(), [...ids].sort(), "both changed");
    assert.deepEqual(await holders(), [poor]);
  });
});
