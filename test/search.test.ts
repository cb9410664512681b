import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { CreateTagDocument, PublishTagDocument, SearchIndicatorsDocument, SubmitTagDocument, type SearchIndicatorsQuery, type TagInput } from "../schema/generated/operations";
import { indicatorQuery } from "../src/tags/search";
import { compileSegment, segmentVocabulary } from "../src/segments/expression";
import { tokenFor } from "./support/auth";
import { dataOf, startTestGateway, testGraph, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { teardown } from "./support/leftovers";

/**
 * Indicator search (src/tags/search.ts) on the real full-text index (CJK analyzer): tags by code,
 * Chinese name, definition and taxonomy, category values and customer attributes, ranked (an exact
 * code first, a Chinese name substring above a definition that mentions it), only what a builder
 * may use unless asked, and every hit's expression usable as written.
 */

const PID = process.pid.toString(36).toUpperCase();
type Hit = SearchIndicatorsQuery["searchIndicators"][number];

const codeOf = (res: GraphQLResponse<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;
const argumentOf = (res: GraphQLResponse<unknown>): unknown => res.errors?.[0]?.extensions?.argument;

describe("indicator search: fuzzy, ranked, Chinese included", () => {
  let gw: TestGateway;
  const tokens = { marketer: "", approver: "" };
  const created: string[] = [];
  /** A word of this file's own, in Chinese, so the ranking tests see only these tags. */
  const word = `琥珀${String.fromCodePoint(0x4e00 + (process.pid % 2000))}${String.fromCodePoint(0x4e00 + ((process.pid >> 11) % 2000))}`;
  const codes = { name: `TST_SRCH_NAME_${PID}`, definition: `TST_SRCH_DEF_${PID}`, draft: `TST_SRCH_DRAFT_${PID}` };

  const search = async (text: string, extra: Record<string, unknown> = {}): Promise<Hit[]> =>
    dataOf(await gw.request(SearchIndicatorsDocument, { text, first: 20, ...extra }, tokens.marketer)).searchIndicators;

  const make = async (input: TagInput, publish: boolean): Promise<void> => {
    const tag = dataOf(await gw.request(CreateTagDocument, { input }, tokens.marketer)).createTag;
    created.push(tag.id);
    if (!publish) return;
    const change = dataOf(await gw.request(SubmitTagDocument, { id: tag.id }, tokens.marketer)).submitTag.pendingChange?.id;
    dataOf(await gw.raw(`mutation($id: ID!) { approveChange(id: $id) { id } }`, { id: change }, tokens.approver));
    dataOf(await gw.request(PublishTagDocument, { id: tag.id }, tokens.marketer));
  };

  before(async () => {
    gw = await startTestGateway();
    tokens.marketer = await tokenFor({ sub: `test:search:marketer:${PID}`, roles: ["MARKETER"] });
    tokens.approver = await tokenFor({ sub: `test:search:approver:${PID}`, roles: ["APPROVER"] });
    const base = { level1: "Life & Internet", level2: "App preferences", valueType: "FLAG" } as const;
    // The word in a name, and only in another tag's definition: the name must rank first.
    await make({ ...base, code: codes.name, name: `${word}达人`, definition: "近30天使用该类应用累计时长大于10小时的客户。" }, true);
    await make({ ...base, code: codes.definition, name: "应用偏好测试", definition: `近30天访问${word}相关页面大于3次的客户。` }, true);
    await make({ ...base, code: codes.draft, name: `${word}草稿`, definition: "尚未发布的测试标签口径定义。" }, false);
    const graph = testGraph();
    teardown("this file's tags", () =>
      graph.session().write(`UNWIND $ids AS id MATCH (t:Tag {id: id}) OPTIONAL MATCH (t)-[:VERSION|LOGGED]->(x) DETACH DELETE x WITH DISTINCT t DETACH DELETE t`, { ids: created }),
    );
  });

  test("an exact code comes first, whatever its case; a Chinese name substring ranks above a definition that mentions it", async () => {
    const [first] = await search("TEL_DATA_HEAVY");
    assert.deepEqual([first?.kind, first?.code, first?.usable], ["TAG", "TEL_DATA_HEAVY", true]);
    assert.equal((await search("tel_data_heavy"))[0]?.code, "TEL_DATA_HEAVY", "case does not matter");
    assert.equal((await search("arpu"))[0]?.code, "arpu", "an attribute's name is a code too");

    const hits = await search(word);
    assert.deepEqual(
      hits.map((h) => h.code),
      [codes.name, codes.definition],
      "the name match first, the definition match after it, the draft not at all",
    );
    assert.ok((hits[0]?.score ?? 0) > (hits[1]?.score ?? 0));
    // A part of the name: bigrams match too.
    assert.equal((await search(word.slice(0, 2)))[0]?.code, codes.name);
  });

  test("Chinese, codes, words and typos find what a marketer means", async () => {
    const data = await search("流量");
    assert.ok(data.length >= 5 && data.every((h) => `${h.name}${h.description}${h.value ?? ""}`.includes("流量")), JSON.stringify(data.map((h) => h.name)));
    assert.ok(data.some((h) => h.kind === "ATTRIBUTE" && h.code === "dataUsedMb"), "attributes are searched with the tags");
    assert.ok((await search("heavy")).some((h) => h.code === "TEL_DATA_HEAVY"), "a word inside a code");
    assert.ok((await search("TEL_DATA_HAEVY")).some((h) => h.code === "TEL_DATA_HEAVY"), "a typo in a code");
    const both = await search("套餐 档位");
    assert.equal(both[0]?.code, "TEL_PLAN_BAND", "every word must match: 主套餐档位");
    assert.ok((await search("ＡＲＰＵ"))[0]?.code === "arpu", "full-width input is folded");
  });

  test("values: a category tag's value and an enumerated attribute's, with the expression a builder inserts", async () => {
    const city = (await search("杭州")).find((h) => h.kind === "TAG_VALUE");
    assert.deepEqual([city?.code, city?.value, city?.expression, city?.usable], ["BAS_CITY", "杭州市", 'BAS_CITY = "杭州市"', true]);
    assert.ok((city?.customers ?? 0) > 0, "with its customers from the statistics");
    const churn = (await search("流失预警")).find((h) => h.kind === "ATTRIBUTE_VALUE");
    assert.deepEqual([churn?.code, churn?.value, churn?.valueLabel, churn?.expression], ["lifecycleStage", "CHURN_RISK", "流失预警期", 'lifecycleStage = "CHURN_RISK"']);
    const ages = await search("25-34");
    assert.ok(ages.some((h) => h.kind === "TAG_VALUE" && h.code === "BAS_AGE_BAND" && h.value === "25-34岁"));
  });

  test("builders see only what a segment may use; the library sees the rest, marked", async () => {
    assert.equal((await search(`${word}草稿`)).some((h) => h.code === codes.draft), false, "a draft is not offered to builders");
    const drafts = await search(`${word}草稿`, { includeUnserved: true });
    const draft = drafts.find((h) => h.code === codes.draft);
    assert.deepEqual([draft?.status, draft?.usable], ["DRAFT", false]);
    assert.equal((await search("飞信")).some((h) => h.code === "LIF_FETION"), false, "an offline tag is not offered");
    const fetion = (await search("飞信", { includeUnserved: true })).find((h) => h.code === "LIF_FETION");
    assert.deepEqual([fetion?.status, fetion?.usable], ["OFFLINE", false]);
    const attributes = await search("流量", { kinds: ["ATTRIBUTE"] });
    assert.ok(attributes.length > 0 && attributes.every((h) => h.kind === "ATTRIBUTE"));
  });

  test("every usable hit's condition compiles as a segment as inserted, and its reference in a comparison", async () => {
    const reference = gw.app.services.reference;
    for (const text of ["流量", "杭州", "流失", "arpu", "家庭", "5G", "渠道", "价值"]) {
      const hits = await search(text, { first: 50 });
      // The vocabulary as of now: other files publish tags meanwhile, and their gateways' words do not reach this one.
      reference.invalidate();
      const vocabulary = segmentVocabulary(await reference.products(), await reference.tags());
      for (const hit of hits) {
        assert.ok(hit.usable, `${text}: only usable hits by default`);
        if (hit.expression !== null && hit.expression !== undefined) assert.doesNotThrow(() => compileSegment(hit.expression ?? "", vocabulary), `${text}: ${hit.expression}`);
        else assert.ok(hit.kind === "ATTRIBUTE" && hit.valueType !== "boolean", `${text}: only number and text attributes need a threshold (${hit.code})`);
        // The reference as a builder completes it (text attributes take one of their values: not sampled here).
        const sample = { number: `${hit.reference} >= 1`, SCORE: `${hit.reference} >= 0.5`, boolean: hit.reference, FLAG: hit.reference, CATEGORY: `${hit.reference} = "x"` }[hit.valueType];
        if ((hit.kind === "TAG" || hit.kind === "ATTRIBUTE") && sample) assert.doesNotThrow(() => compileSegment(sample, vocabulary), `${text}: ${sample}`);
      }
    }
  });

  test("bad input: clear errors; Lucene syntax typed in is searched for, never run", async () => {
    for (const [text, first] of [["", 20], ["!!! ???", 20], ["流量", 0], ["流量", 51], ["x".repeat(101), 20], ["a b c d e f g h i", 20]] as const) {
      const res = await gw.request(SearchIndicatorsDocument, { text, first }, tokens.marketer);
      assert.equal(codeOf(res), "BAD_USER_INPUT", `${JSON.stringify(text)} first ${first}: ${JSON.stringify(res.errors)}`);
      assert.ok(["text", "first"].includes(String(argumentOf(res))));
    }
    for (const text of ["name:* OR *:*", 'code:"x" AND (', "流量^100 OR definition:*"]) {
      const res = await gw.request(SearchIndicatorsDocument, { text, first: 5 }, tokens.marketer);
      assert.equal(res.errors, undefined, `${text}: ${JSON.stringify(res.errors)}`);
    }
    // The query as built: every term required, its special characters escaped.
    assert.equal(indicatorQuery("a:b").lucene.startsWith("+("), true);
    assert.doesNotMatch(indicatorQuery("code:*").lucene, /code:\*\*/);
  });
});
