import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { BadUserInputError } from "../src/platform/errors";
import type { Graph } from "../src/platform/neo4j";
import { customersByIds } from "../src/graph/customer";
import { EVERY_CUSTOMER, type CustomerRecord, type ProductRecord, type TagRecord } from "../src/graph/records";
import { ReferenceData } from "../src/customer360/reference";
import { CUSTOMER_ATTRIBUTES, segmentSubject, type SegmentSubject } from "../src/segments/attributes";
import { compileSegment, segmentVocabulary, SegmentExpressionError, type SegmentVocabulary } from "../src/segments/expression";
import { triggerVocabulary } from "../src/marketing/trigger";
import { payloadAttributes, validatePayload, type EventType } from "../src/domain/events";
import { PRODUCTS, TAGS, ageBand, tagNode } from "../seeds/catalogue";
import { generateChunks, type GeneratedCustomer } from "../seeds/generate";
import { SEGMENTS } from "../seeds/marketing";
import { TEST_DATA } from "./support/data";
import { testGraph } from "./support/gateway";
import { heavy, subject } from "./support/segments";

const productsById = new Map<string, ProductRecord>(PRODUCTS.map((p) => [p.id, p]));
const tagsById = new Map<string, TagRecord>(TAGS.map((t) => [t.id, tagNode(t)]));
const vocabulary: SegmentVocabulary = segmentVocabulary(productsById, tagsById);
const compile = (source: string) => compileSegment(source, vocabulary);

/** A hand-made subject: only what a test names, everything else missing. */

const matches = (source: string, s: SegmentSubject = heavy): boolean => compile(source).evaluate(s).matched;

describe("segment expressions: parsing and evaluation", () => {
  test("tags, attributes and holdings, combined", () => {
    assert.equal(matches("TEL_DATA_HEAVY"), true);
    assert.equal(matches("TEL_DATA_LIGHT"), false);
    assert.equal(matches("TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)"), true);
    assert.equal(matches("TEL_DATA_HEAVY AND arpu >= 200"), false);
    assert.equal(matches('holds("5G-PLAN-128") AND holds(PLAN)'), true);
    assert.equal(matches('holds("5G-PLAN-158") OR holds(IPTV)'), false);
  });

  test("keywords in any case and their symbols", () => {
    assert.equal(matches("TEL_DATA_HEAVY and not TEL_DATA_LIGHT"), true);
    assert.equal(matches("TEL_DATA_HEAVY && !TEL_DATA_LIGHT"), true);
    assert.equal(matches("TEL_DATA_LIGHT || TEL_DATA_HEAVY"), true);
    assert.equal(matches("TEL_DATA_LIGHT Or Not TEL_DATA_HEAVY"), false);
  });

  test("precedence: comparison > NOT > AND > OR", () => {
    // (NOT heavy) OR (light AND heavy) = false OR false
    assert.equal(matches("NOT TEL_DATA_HEAVY OR TEL_DATA_LIGHT AND TEL_DATA_HEAVY"), false);
    // heavy OR (light AND nothing)
    assert.equal(matches("TEL_DATA_HEAVY OR TEL_DATA_LIGHT AND VAL_NEW"), true);
    assert.equal(matches("(TEL_DATA_HEAVY OR TEL_DATA_LIGHT) AND VAL_NEW"), false);
    assert.equal(matches("NOT arpu >= 200"), true, "NOT applies to the whole comparison");
    assert.equal(matches("NOT NOT TEL_DATA_HEAVY"), true);
    assert.equal(matches("NOT (TEL_DATA_HEAVY AND arpu > 100)"), false);
  });

  test("comparisons on numbers, text, enums and lists", () => {
    for (const [src, expected] of [
      ["arpu = 128", true],
      ["arpu != 128", false],
      ["arpu < 128", false],
      ["arpu <= 128", true],
      ["arpu > 127.5", true],
      ["arpu >= 128.01", false],
      ["100 <= arpu", true],
      ["200 < arpu", false],
      ["arpu == 128", true],
      ["arpu ≥ 100 AND arpu ≤ 130 AND arpu ≠ 129 AND arpu <> 127", true],
      ["arpu > -1", true],
      ['lifecycleStage = "CHURN_RISK"', true],
      ["lifecycleStage = 'CHURN_RISK'", true],
      ['lifecycleStage = “CHURN_RISK”', true],
      ['lifecycleStage != "NEW"', true],
      ['segment IN ("FAMILY", "ENTERPRISE")', true],
      ['segment NOT IN ("FAMILY", "ENTERPRISE")', false],
      ['segment not in ("INDIVIDUAL")', true],
      ["age IN (29, 30, 31)", true],
      ["dataUsedMb > dataQuotaMb", true],
      ["doNotDisturb", false],
      ["NOT doNotDisturb", true],
      ["doNotDisturb = false", true],
      ["（TEL_DATA_HEAVY）", true],
    ] as const) {
      assert.equal(matches(src), expected, src);
    }
  });

  test("tag values and scores", () => {
    assert.equal(matches('BAS_AGE_BAND = "25-34岁"'), true);
    assert.equal(matches('BAS_AGE_BAND IN ("≤24岁", "25-34岁")'), true);
    assert.equal(matches('BAS_AGE_BAND != "25-34岁"'), false);
    assert.equal(matches("score(VAL_CHURN_SCORE) >= 0.6"), true);
    assert.equal(matches("score(VAL_CHURN_SCORE) >= 0.8"), false);
    assert.equal(matches("SCORE(VAL_CHURN_SCORE) < 0.8"), true);
    assert.equal(matches("score(TEL_DATA_HEAVY) = 1"), true, "any carried tag has a score");
  });

  test("missing values: ordering and IN are false, = is false, != is its negation", () => {
    const none = subject({ attributes: { arpu: 50, familyMember: null, dndList: null } });
    assert.equal(matches("score(VAL_CHURN_SCORE) >= 0.6", none), false);
    assert.equal(matches("score(VAL_CHURN_SCORE) < 0.6", none), false);
    assert.equal(matches('BAS_AGE_BAND = "25-34岁"', none), false);
    assert.equal(matches('BAS_AGE_BAND != "25-34岁"', none), true);
    assert.equal(matches('BAS_AGE_BAND IN ("25-34岁")', none), false);
    assert.equal(matches('BAS_AGE_BAND NOT IN ("25-34岁")', none), true);
    assert.equal(matches("familyMember", none), false);
    assert.equal(matches("NOT familyMember", none), true);
    assert.equal(matches("familyMember = true", none), false);
    assert.equal(matches("familyMember = false", none), false);
    assert.equal(matches("familyMember != true", none), true);
    assert.equal(matches('dndList = "RED"', none), false);
    assert.equal(matches('dndList != "BLACK"', none), true);
    assert.equal(matches("age > 10", none), false, "an attribute absent from the subject is missing");
  });

  test("empty, ALL and true mean every customer; false means none", () => {
    for (const src of ["", "   ", "ALL", "all", "true", "TRUE", "(ALL)"]) {
      assert.deepEqual(compile(src).evaluate(subject({})), { matched: true, because: ["全部客户"] }, JSON.stringify(src));
    }
    assert.equal(matches("false"), false);
    assert.equal(matches("ALL AND TEL_DATA_LIGHT"), false);
  });

  test("because: only the terms that made it true, in words", () => {
    assert.deepEqual(compile("TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)").evaluate(heavy), {
      matched: true,
      because: ["标签「流量重度用户」", "ARPU 128 ≥ 100", "未持有 BROADBAND"],
    });
    assert.deepEqual(compile('TEL_DATA_LIGHT OR lifecycleStage = "CHURN_RISK" OR arpu < 50').evaluate(heavy).because, ["生命周期阶段为 CHURN_RISK"]);
    assert.deepEqual(compile("NOT (TEL_DATA_LIGHT OR arpu < 100)").evaluate(heavy).because, ["无标签「流量轻度用户」", "ARPU 128 ≥ 100"]);
    assert.deepEqual(compile("NOT (TEL_DATA_HEAVY AND arpu >= 200)").evaluate(heavy).because, ["ARPU 128 < 200"]);
    assert.deepEqual(compile('BAS_AGE_BAND = "25-34岁" AND score(VAL_CHURN_SCORE) > 0.5').evaluate(heavy).because, [
      "标签「年龄段」为 25-34岁",
      "标签「流失预警评分」得分 0.72 > 0.5",
    ]);
    assert.deepEqual(compile('segment NOT IN ("INDIVIDUAL", "ENTERPRISE") AND holds("5G-PLAN-128")').evaluate(heavy).because, [
      "客户市场 FAMILY 不在 INDIVIDUAL、ENTERPRISE 之列",
      "持有 5G-PLAN-128",
    ]);
    assert.deepEqual(compile("dataUsedMb > dataQuotaMb AND NOT doNotDisturb").evaluate(heavy).because, ["本月已用流量MB 5000 > 本月套内流量MB 4096", "免打扰：否"]);
    assert.deepEqual(compile("NOT familyMember").evaluate(heavy).because, ["家庭成员：未知"]);
    assert.deepEqual(compile("TEL_DATA_LIGHT").evaluate(heavy), { matched: false, because: [] });
  });

  test("references are listed once, in order of appearance", () => {
    const c = compile('TEL_DATA_HEAVY AND (arpu > 1 OR score(VAL_CHURN_SCORE) > 0.1) AND BAS_AGE_BAND = "x" AND arpu < 1000 AND NOT TEL_DATA_HEAVY');
    assert.deepEqual(c.tagCodes, ["TEL_DATA_HEAVY", "VAL_CHURN_SCORE", "BAS_AGE_BAND"]);
    assert.deepEqual(c.attributes, ["arpu"]);
    assert.equal(c.source, 'TEL_DATA_HEAVY AND (arpu > 1 OR score(VAL_CHURN_SCORE) > 0.1) AND BAS_AGE_BAND = "x" AND arpu < 1000 AND NOT TEL_DATA_HEAVY');
  });

  test("the attribute vocabulary describes every attribute a subject carries", () => {
    for (const [name, info] of Object.entries(CUSTOMER_ATTRIBUTES)) {
      assert.match(name, /^[a-z][A-Za-z0-9]*$/, `${name} is lowerCamel`);
      assert.ok(info.label && info.description, `${name} has a label and a description`);
      if (info.values) assert.equal(info.type, "string");
    }
  });
});

describe("segment expressions: errors say what is wrong and where", () => {
  const cases: Array<[source: string, message: RegExp, column: number]> = [
    ["TEL_DATA_HEAVY AND TEL_FOO", /^unknown tag TEL_FOO at column 20; tags are the upper-case codes of published tags, such as TEL_DATA_HEAVY$/, 20],
    ["TEL_DATA_HEAVE", /unknown tag TEL_DATA_HEAVE at column 1; did you mean TEL_DATA_HEAVY\?/, 1],
    ["VAL_PORT_OUT_RISK", /unknown tag VAL_PORT_OUT_RISK at column 1/, 1],
    ["BROADBAND", /BROADBAND is a product kind: write holds\(BROADBAND\)/, 1],
    ["lifecycleStage = CHURN_RISK", /CHURN_RISK looks like a lifecycleStage value, and text values are quoted: lifecycleStage = "CHURN_RISK"/, 18],
    ['arpu >= "high"', /^cannot compare arpu \(a number\) with "high" \(text\) at column 9; e\.g\. arpu >= 100$/, 9],
    ["segment = 1", /cannot compare segment \(text\) with 1 \(a number\) at column 11; e\.g\. segment = "INDIVIDUAL"/, 11],
    ["doNotDisturb = \"yes\"", /cannot compare doNotDisturb \(true or false\)/, 16],
    ['lifecycleStage = "churn_risk"', /unknown lifecycleStage value "churn_risk" at column 18; did you mean CHURN_RISK\?; lifecycleStage is one of NEW, GROWTH, MATURE, DECLINE, CHURN_RISK/, 18],
    ['segment IN ("FAMILY", "HOUSE")', /unknown segment value "HOUSE" at column 23/, 23],
    ['segment < "FAMILY"', /< at column 9 needs numbers, but segment is text; use =, != or IN/, 9],
    ['regionId = "R33"', /"R33" at column 12 is not a valid regionId/, 12],
    ["arpuu > 1", /unknown attribute arpuu at column 1; did you mean arpu\?/, 1],
    ["Arpu > 1", /Arpu at column 1 is neither a tag code .* nor a customer attribute .*; did you mean arpu\?/, 1],
    ["arpu", /arpu at column 1 is a number, not a condition; compare it, e.g\. arpu >= 100/, 1],
    ["segment", /segment at column 1 is text, not a condition; compare it, e\.g\. segment = "INDIVIDUAL"/, 1],
    ["score(VAL_CHURN_SCORE)", /score\(VAL_CHURN_SCORE\) at column 1 is a number, not a condition/, 1],
    ['TEL_DATA_HEAVY = "true"', /TEL_DATA_HEAVY at column 1 is a flag tag and has no value to compare; write TEL_DATA_HEAVY or NOT TEL_DATA_HEAVY/, 1],
    ["VAL_CHURN_SCORE >= 0.6", /VAL_CHURN_SCORE at column 1 is a score tag; compare its score, e\.g\. score\(VAL_CHURN_SCORE\) >= 0\.6/, 1],
    ["holds(BROADBND)", /unknown product kind BROADBND at column 7; did you mean BROADBAND\?/, 7],
    ['holds("5G-PLAN-999")', /unknown product code "5G-PLAN-999" at column 7/, 7],
    ['holds("5g-plan-128")', /did you mean 5G-PLAN-128\?/, 7],
    ['holds("BROADBAND")', /BROADBAND is a product kind, write it without quotes: holds\(BROADBAND\)/, 7],
    ["holds(1)", /holds\( at column 1 takes a product kind/, 7],
    ["holds(BROADBAND) = true", /expected AND, OR or the end of the expression at column 18 but found =/, 18],
    ["arpu = holds(BROADBAND)", /holds\(…\) at column 8 is a condition on its own/, 8],
    ["foo(1)", /unknown function foo at column 1/, 1],
    ["(TEL_DATA_HEAVY", /expected \) at column 16 to close the \( at column 1, but found the end of the expression/, 16],
    ["TEL_DATA_HEAVY TEL_DATA_LIGHT", /expected AND, OR or the end of the expression at column 16 but found TEL_DATA_LIGHT/, 16],
    ["arpu >=", /expected a tag, attribute or value at column 8 but found the end of the expression/, 8],
    ["TEL_DATA_HEAVY AND", /expected a tag, attribute or value at column 19/, 19],
    ["AND TEL_DATA_HEAVY", /expected a tag, attribute or value at column 1 but found AND/, 1],
    ['"abc" = "abc"', /compares two values/, 1],
    ['"abc"', /"abc" at column 1 is a value, not a condition/, 1],
    ["networkType = 5G", /5G at column 15 is not a number; quote text values: "5G"/, 15],
    ['BAS_AGE_BAND = "25-34岁', /the text starting at column 16 has no closing "/, 16],
    ["arpu > 1 & age > 2", /single & at column 10; write AND \(or &&\)/, 10],
    ["arpu > 1 ; age > 2", /unexpected character ";" at column 10/, 10],
    ['segment IN "FAMILY"', /expected \( after IN at column 12/, 12],
    ['segment IN ("FAMILY" "ENTERPRISE")', /expected , or \) in the IN list at column 22/, 22],
    ["segment IN (arpu)", /IN takes a list of values at column 13/, 13],
    ["score(arpu) > 1", /score\( at column 1 takes a tag code such as VAL_CHURN_SCORE, but found arpu/, 7],
    ["(".repeat(60) + "ALL" + ")".repeat(60), /nests deeper than 40 levels/, 41],
    ["NOT ".repeat(60) + "ALL", /nests deeper than 40 levels/, 161],
  ];

  for (const [source, message, column] of cases) {
    test(source.length > 40 ? `${source.slice(0, 40)}…` : source, () => {
      assert.throws(
        () => compile(source),
        (e: unknown) => {
          assert.ok(e instanceof SegmentExpressionError, `SegmentExpressionError, got ${String(e)}`);
          assert.ok(e instanceof BadUserInputError);
          assert.match(e.message, message);
          assert.equal(e.column, column);
          assert.deepEqual(e.extensions, { argument: "segment", code: "BAD_USER_INPUT", column });
          return true;
        },
      );
    });
  }

  test("valid ids and a custom argument name", () => {
    assert.doesNotThrow(() => compile('cityId = "R3301" AND regionId != "R330102"'));
    assert.throws(
      () => compileSegment("TEL_FOO", vocabulary, { argument: "input.segment" }),
      (e: unknown) => e instanceof SegmentExpressionError && e.extensions.argument === "input.segment",
    );
  });

  test("an overlong expression is refused", () => {
    assert.throws(() => compile("TEL_DATA_HEAVY OR ".repeat(300) + "TEL_DATA_HEAVY"), /keep it under 4000/);
  });
});

describe("trigger conditions: event fields as event.<field>", () => {
  const triggerCompile = (type: EventType, source: string) => compileSegment(source, triggerVocabulary(vocabulary, type), { argument: "trigger.condition" });
  /** `heavy` as the customer of an event of `type` with this payload (validated, defaults filled). */
  const withEvent = (type: EventType, payload: Record<string, unknown>): SegmentSubject => ({
    ...heavy,
    attributes: { ...heavy.attributes, ...payloadAttributes(validatePayload(type, payload)) },
  });

  test("numbers, enums and booleans of the payload, next to the customer's tags, attributes and holdings", () => {
    const usage = triggerCompile("DATA_USAGE", "event.percent >= 90 AND NOT holds(DATA_ADDON)");
    assert.deepEqual(usage.evaluate(withEvent("DATA_USAGE", { percent: 92 })), { matched: true, because: ["流量已用% 92 ≥ 90", "未持有 DATA_ADDON"] });
    assert.equal(usage.evaluate(withEvent("DATA_USAGE", { percent: 80 })).matched, false);
    assert.deepEqual(usage.attributes, ["event.percent"]);

    const place = triggerCompile("LOCATION_ENTER", 'event.area IN ("AIRPORT", "TRAIN_STATION", "BUSINESS_DISTRICT") AND arpu >= 100');
    assert.deepEqual(place.evaluate(withEvent("LOCATION_ENTER", { area: "AIRPORT", place: "萧山机场" })).because, ["区域类型为 AIRPORT", "ARPU 128 ≥ 100"]);
    assert.equal(place.evaluate(withEvent("LOCATION_ENTER", { area: "HOSPITAL" })).matched, false);

    const roaming = triggerCompile("ROAMING_START", "event.firstCall AND event.international AND NOT holds(ROAMING_PACK)");
    assert.deepEqual(roaming.evaluate(withEvent("ROAMING_START", { destination: "香港", international: true })).because, [
      "首次漫游通话：是",
      "国际及港澳台漫游：是",
      "未持有 ROAMING_PACK",
    ]);
    assert.equal(roaming.evaluate(withEvent("ROAMING_START", { destination: "北京" })).matched, false, "international defaults to false");
    assert.equal(triggerCompile("ROAMING_START", "event.firstCall = false").evaluate(withEvent("ROAMING_START", { destination: "香港", firstCall: false })).matched, true);

    assert.equal(triggerCompile("CONTENT_SEARCH", 'event.category = "MUSIC"').evaluate(withEvent("CONTENT_SEARCH", { category: "MUSIC", query: "晴天" })).matched, true);
    assert.equal(triggerCompile("BILL_PAYMENT", "event.amount>=100&&event.channel!=\"APP\"").evaluate(withEvent("BILL_PAYMENT", { amount: 100, channel: "STORE" })).matched, true, "no spaces needed");
  });

  test("a field missing from the payload behaves like any missing value", () => {
    const c = triggerCompile("HANDSET_BROWSE", 'event.brand = "华为"');
    assert.equal(c.evaluate(withEvent("HANDSET_BROWSE", {})).matched, false);
    assert.equal(triggerCompile("HANDSET_BROWSE", 'event.brand != "华为"').evaluate(withEvent("HANDSET_BROWSE", {})).matched, true);
    assert.equal(triggerCompile("DATA_USAGE", "event.percent >= 90").evaluate(heavy).matched, false, "no event at all: nothing to compare");
  });

  const errors: Array<[type: EventType | null, source: string, message: RegExp, column: number]> = [
    ["DATA_USAGE", "event.percnt >= 90", /^unknown event field event\.percnt at column 1; did you mean event\.percent\?; this event's fields are event\.percent$/, 1],
    ["DATA_USAGE", "arpu > 1 AND Event.Percent >= 90", /unknown event field Event\.Percent at column 14; did you mean event\.percent\?/, 14],
    ["DATA_USAGE", 'event.area = "AIRPORT"', /unknown event field event\.area at column 1; this event's fields are event\.percent/, 1],
    ["DATA_USAGE", "percent >= 90", /unknown attribute percent at column 1; did you mean event\.percent\? \(event fields are written event\.<field>\); attributes are segment, .*; event fields are event\.percent$/, 1],
    ["DATA_USAGE", 'event.percent >= "90"', /cannot compare event\.percent \(a number\) with "90" \(text\) at column 18; e\.g\. event\.percent >= 100/, 18],
    ["DATA_USAGE", "event.percent", /event\.percent at column 1 is a number, not a condition/, 1],
    ["LOCATION_ENTER", 'event.area = "AIRPRT"', /unknown event\.area value "AIRPRT" at column 14; did you mean AIRPORT\?; event\.area is one of AIRPORT, TRAIN_STATION/, 14],
    ["LOCATION_ENTER", "event.area = AIRPORT", /AIRPORT looks like a event\.area value, and text values are quoted: event\.area = "AIRPORT"/, 14],
    ["LOCATION_ENTER", "customer.arpu > 1", /customer\.arpu at column 1 is not a name an expression knows; the only dotted names are event fields/, 1],
    [null, "event.percent >= 90", /^event\.percent at column 1 is an event field, and event fields are only available in strategy trigger conditions/, 1],
    [null, "arpu >= 1 OR event.x", /event\.x at column 14 is an event field, and event fields are only available in strategy trigger conditions/, 14],
  ];

  for (const [type, source, message, column] of errors) {
    test(`${type ?? "segment"}: ${source}`, () => {
      assert.throws(
        () => (type ? triggerCompile(type, source) : compile(source)),
        (e: unknown) => {
          assert.ok(e instanceof SegmentExpressionError, `SegmentExpressionError, got ${String(e)}`);
          assert.match(e.message, message);
          assert.equal(e.column, column);
          assert.equal(e.extensions.argument, type ? "trigger.condition" : "segment");
          return true;
        },
      );
    });
  }

  test("a trigger vocabulary adds the event's fields and nothing else", () => {
    const v = triggerVocabulary(vocabulary, "ROAMING_START");
    assert.deepEqual(Object.keys(v.attributes).filter((a) => a.includes(".")), ["event.destination", "event.international", "event.firstCall"]);
    assert.equal(v.tags, vocabulary.tags);
    assert.ok(!Object.keys(vocabulary.attributes).some((a) => a.startsWith("event.")), "segments see no event fields");
  });
});

/** The record the read side would return for a generated customer (published and unpublished tags alike). */
function recordOf(g: GeneratedCustomer): CustomerRecord {
  return {
    ...g.customer,
    profile: {
      holdings: g.holdings.map((h) => ({ productId: h.productId, since: new Date(h.since) })),
      tags: g.tags.map((t) => ({ tagId: t.tagId, value: t.value, score: t.score, at: new Date(t.at) })),
      preferredChannels: g.preferredChannels,
    },
  };
}

describe("segment expressions over the test data set's customers", () => {
  const generated: GeneratedCustomer[] = [];
  const subjects = new Map<string, SegmentSubject>();
  const tagId = new Map(TAGS.map((t) => [t.code, t.id]));

  before(() => {
    for (const chunk of generateChunks({ seed: TEST_DATA.seed, customers: TEST_DATA.customers, asOf: new Date(TEST_DATA.asOf) })) {
      for (const g of chunk.customers) {
        generated.push(g);
        const familyMember = g.memberships.some((m) => m.kind === "FAMILY");
        subjects.set(g.customer.id, segmentSubject(recordOf(g), productsById, tagsById, { familyMember }));
      }
    }
  });

  const carries = (g: GeneratedCustomer, code: string): GeneratedCustomer["tags"][number] | undefined => g.tags.find((t) => t.tagId === tagId.get(code));
  const heldKind = (g: GeneratedCustomer, kind: string): boolean => g.holdings.some((h) => productsById.get(h.productId)?.kind === kind);
  const heldCode = (g: GeneratedCustomer, code: string): boolean => g.holdings.some((h) => productsById.get(h.productId)?.code === code);

  const expectations: Array<[source: string, direct: (g: GeneratedCustomer) => boolean]> = [
    ["TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)", (g) => !!carries(g, "TEL_DATA_HEAVY") && g.customer.arpu >= 100 && !heldKind(g, "BROADBAND")],
    [
      'lifecycleStage = "CHURN_RISK" OR score(VAL_CHURN_SCORE) >= 0.4',
      (g) => g.customer.lifecycleStage === "CHURN_RISK" || (carries(g, "VAL_CHURN_SCORE")?.score ?? -1) >= 0.4,
    ],
    [
      'segment IN ("FAMILY", "ENTERPRISE") AND dataUsedPercent >= 90',
      (g) => g.customer.segment !== "INDIVIDUAL" && g.customer.dataQuotaMb > 0 && (g.customer.dataUsedMb / g.customer.dataQuotaMb) * 100 >= 90,
    ],
    ['BAS_AGE_BAND = "25-34岁"', (g) => ageBand(g.customer.age) === "25-34岁"],
    ["age >= 25 AND age <= 34", (g) => ageBand(g.customer.age) === "25-34岁"],
    ['holds("5G-PLAN-128") OR holds(IPTV)', (g) => heldCode(g, "5G-PLAN-128") || heldKind(g, "IPTV")],
    ["familyMember AND NOT TEL_FAMILY_PLAN", (g) => g.memberships.some((m) => m.kind === "FAMILY") && !carries(g, "TEL_FAMILY_PLAN")],
    ['cityId = "R3301" AND networkType = "5G"', (g) => g.customer.regionId.startsWith("R3301") && g.customer.networkType === "5G"],
    ['valueTier IN ("HIGH", "PREMIUM") AND NOT doNotDisturb AND preferredChannel != "STORE"', (g) => (g.customer.valueTier === "HIGH" || g.customer.valueTier === "PREMIUM") && !g.customer.doNotDisturb && g.preferredChannels[0] !== "STORE"],
    ["voiceUsedMinutes > voiceQuotaMinutes", (g) => g.customer.voiceUsedMinutes > g.customer.voiceQuotaMinutes],
  ];

  for (const [source, direct] of expectations) {
    test(source, () => {
      const compiled = compile(source);
      let matched = 0;
      for (const g of generated) {
        const result = compiled.evaluate(subjects.get(g.customer.id)!);
        assert.equal(result.matched, direct(g), `${g.customer.id}: ${source}`);
        if (result.matched) {
          matched += 1;
          assert.ok(result.because.length > 0, `${g.customer.id} matched for a reason`);
        }
      }
      assert.ok(matched > 0 && matched < generated.length, `${source} splits the data set (${matched} of ${generated.length})`);
    });
  }

  test("every seeded segment compiles and holds some but not all customers (EVERYONE, the event strategies' target, holds all)", () => {
    for (const segment of SEGMENTS) {
      const compiled = compile(segment.expression);
      const matched = generated.filter((g) => compiled.evaluate(subjects.get(g.customer.id)!).matched).length;
      if (segment.code === "EVERYONE") assert.equal(matched, generated.length);
      else assert.ok(matched > 0 && matched < generated.length, `${segment.code} (${segment.expression}) holds ${matched} of ${generated.length}`);
    }
  });

  test("unpublished tags are not part of a subject even though customers carry them", () => {
    const draft = TAGS.find((t) => t.code === "VAL_PORT_OUT_RISK")!;
    const carriers = generated.filter((g) => g.tags.some((t) => t.tagId === draft.id));
    assert.ok(carriers.length > 0, "some customers carry the draft tag");
    for (const g of carriers) assert.equal(subjects.get(g.customer.id)!.tags.has("VAL_PORT_OUT_RISK"), false);
    const published = new Set(TAGS.filter((t) => t.status === "PUBLISHED").map((t) => t.code));
    for (const s of subjects.values()) for (const code of s.tags.keys()) assert.ok(published.has(code), code);
  });

  test("evaluation takes microseconds", () => {
    const segments = expectations.map(([source]) => compile(source));
    const all = [...subjects.values()];
    let evaluations = 0;
    const started = process.hrtime.bigint();
    for (let round = 0; round < 3; round++) {
      for (const s of all) {
        for (const c of segments) {
          c.evaluate(s);
          evaluations += 1;
        }
      }
    }
    const micros = Number(process.hrtime.bigint() - started) / 1000 / evaluations;
    assert.ok(micros < 20, `${micros.toFixed(2)} µs per evaluation`);
  });

  describe("subjects built from the customers read from the graph", () => {
    let graph: Graph;
    before(() => {
      graph = testGraph();
    });

    test("equal the subjects of the generator's customers", async () => {
      const reference = new ReferenceData(graph);
      const [products, tags] = await Promise.all([reference.products(), reference.tags()]);
      // Seeded customers are only read by the tests (those that change customers make their own).
      const ids = generated.filter((_, i) => i % 10 === 0).map((g) => g.customer.id);
      const read = await customersByIds(graph.session(), ids, EVERY_CUSTOMER);
      assert.equal(read.size, ids.length);
      for (const id of ids) {
        const fromGraph = segmentSubject(read.get(id) as CustomerRecord, products, tags);
        const expected = subjects.get(id)!;
        assert.deepEqual(fromGraph.attributes, { ...expected.attributes, familyMember: null }, id);
        assert.deepEqual(fromGraph.tags, expected.tags, id);
        assert.deepEqual(fromGraph.heldKinds, expected.heldKinds, id);
        assert.deepEqual(fromGraph.heldCodes, expected.heldCodes, id);
      }
      // Other test files publish tags (and products) of their own meanwhile: the seeded ones give the same vocabulary.
      const seededTags = new Map([...tags].filter(([id]) => tagsById.has(id)));
      const seededProducts = new Map([...products].filter(([id]) => productsById.has(id)));
      assert.deepEqual(segmentVocabulary(seededProducts, seededTags), vocabulary, "the graph's reference data gives the same vocabulary");
    });
  });
});
