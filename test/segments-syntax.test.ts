import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ProductRecord, TagRecord } from "../src/graph/records";
import {
  checkSegment,
  compileChecked,
  jsonPathAt,
  parseSegment,
  printSegment,
  referencedSegmentCodes,
  referencedTagCodes,
  segmentFromJson,
  segmentToJson,
  segmentVocabulary,
  SegmentExpressionError,
  SegmentJsonError,
  type SegmentVocabulary,
} from "../src/segments/expression";
import { PRODUCTS, TAGS, tagNode } from "../seeds/catalogue";
import { SEGMENTS } from "../seeds/marketing";
import { heavy, subject } from "./support/segments";

/**
 * The predicates segment previews add to the expression language (src/segments/expression/README.md):
 * other segments, the graph (family, calling circle) and the trajectory. Text and JSON round-trip,
 * errors carry the column, and graph and trajectory predicates are refused where one customer is
 * evaluated at a time.
 */

const productsById = new Map<string, ProductRecord>(PRODUCTS.map((p) => [p.id, p]));
const tagsById = new Map<string, TagRecord>(TAGS.map((t) => [t.id, tagNode(t)]));
const base = segmentVocabulary(productsById, tagsById);
const segments = new Map(SEGMENTS.map((s) => [s.code, { name: s.name, expression: s.expression }]));
const population: SegmentVocabulary = { ...base, segments, population: true };

/** The tree without positions (every Span-valued field and the columns). */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "start" || k === "end") continue;
    if (typeof v === "object" && v !== null && "start" in v && "end" in v && !("kind" in v)) continue;
    if (v === null && (k === "channelArg" || k === "productArg")) continue;
    out[k] = strip(v);
  }
  return out;
}

const EXAMPLES: readonly string[] = [
  "inSegment(CHURN_RISK)",
  'inSegment("CHURN_RISK") AND NOT inSegment(DATA_HEAVY)',
  'inSegment("SOME-CODE")',
  "family(holds(BROADBAND))",
  'family(holds("5G-PLAN-128"))',
  'circle(networkType = "5G") >= 3',
  "3 <= circle(holds(BROADBAND))",
  "circle(TEL_DATA_HEAVY AND arpu >= 100) > 1 OR family(score(VAL_CHURN_SCORE) >= 0.6) = 0",
  "NOT family(NOT holds(IPTV) OR circle(TEL_DATA_HEAVY) > 2)",
  'unanswered(SMS, "5G-PLAN-128", 14d)',
  "unanswered(BROADBAND, 7d)",
  "offered(APP, BROADBAND, 30d) AND NOT complained(HOTLINE, 48h)",
  "contacted(48h)",
  "contacted(STORE, 0048h)",
  "CONTACTED(SMS, 1d) or Complained(2d)",
  "family(complained(7d))",
  "TEL_DATA_HEAVY AND family(holds(BROADBAND)) AND arpu >= 50",
];

describe("segment previews' predicates: text and JSON", () => {
  test("text → tree → canonical text → the same tree, and JSON → the same tree", () => {
    for (const source of EXAMPLES) {
      const ast = parseSegment(source);
      const text = printSegment(ast);
      assert.deepEqual(strip(parseSegment(text)), strip(ast), source);
      assert.equal(printSegment(parseSegment(text)), text, source);
      const json = JSON.parse(JSON.stringify(segmentToJson(ast))) as unknown;
      const fromJson = segmentFromJson(json);
      assert.equal(printSegment(fromJson), text, source);
      assert.deepEqual(segmentToJson(fromJson), json, source);
      // the tree read from JSON has the positions of its canonical text
      assert.deepEqual(fromJson, parseSegment(text), source);
    }
  });

  test("canonical spellings", () => {
    assert.equal(printSegment(parseSegment("contacted(STORE, 0048h)")), "contacted(STORE, 48h)");
    assert.equal(printSegment(parseSegment("CONTACTED(SMS, 1d) or Complained(2d)")), "contacted(SMS, 1d) OR complained(2d)");
    assert.equal(printSegment(parseSegment('inSegment("CHURN_RISK")')), "inSegment(CHURN_RISK)");
    assert.equal(printSegment(parseSegment("3 <= circle(holds(BROADBAND))")), "3 <= circle(holds(BROADBAND))");
  });

  test("the JSON form of each new node", () => {
    assert.deepEqual(segmentToJson(parseSegment('unanswered(SMS, "5G-PLAN-128", 14d)')), {
      kind: "trajectory",
      event: "unanswered",
      channel: "SMS",
      productKind: null,
      productCode: "5G-PLAN-128",
      within: "14d",
    });
    assert.deepEqual(segmentToJson(parseSegment('circle(networkType = "5G") >= 3')), {
      kind: "compare",
      op: ">=",
      left: { kind: "related", relation: "circle", of: { kind: "compare", op: "=", left: { kind: "attribute", name: "networkType" }, right: { kind: "literal", value: "5G" } } },
      right: { kind: "literal", value: 3 },
    });
    assert.deepEqual(segmentToJson(parseSegment("inSegment(CHURN_RISK)")), { kind: "inSegment", code: "CHURN_RISK" });
  });

  test("the JSON reader refuses what the text could not say, naming the place", () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ kind: "trajectory", event: "sent", channel: null, productKind: null, productCode: null, within: "1d" }, "$.event", /contacted, complained, offered, unanswered/],
      [{ kind: "trajectory", event: "contacted", channel: null, productKind: null, productCode: null, within: "14 days" }, "$.within", /"48h" or "14d"/],
      [{ kind: "trajectory", event: "contacted", channel: null, productKind: null, productCode: null, within: "014d" }, "$.within", /whole hours or days/],
      [{ kind: "trajectory", event: "unanswered", channel: "SMS", productKind: null, productCode: null, within: "14d" }, "$", /about a product/],
      [{ kind: "trajectory", event: "complained", channel: null, productKind: "IPTV", productCode: null, within: "1d" }, "$", /takes no product/],
      [{ kind: "trajectory", event: "offered", channel: null, productKind: "IPTV", productCode: "X", within: "1d" }, "$", /not both/],
      [{ kind: "trajectory", event: "contacted", channel: "sms", productKind: null, productCode: null, within: "1d" }, "$.channel", /channel code/],
      [{ kind: "trajectory", event: "contacted", within: "1d" }, "$", /needs "channel"/],
      [{ kind: "related", relation: "friends", of: { kind: "all" } }, "$.relation", /family, circle/],
      [{ kind: "related", relation: "family" }, "$", /needs "of"/],
      [{ kind: "compare", op: ">=", left: { kind: "related", relation: "circle", of: { kind: "tagValue", code: "X" } }, right: { kind: "literal", value: 1 } }, "$.left.of", /value, not a condition/],
      [{ kind: "inSegment", code: "churn risk" }, "$.code", /segment code/],
    ];
    for (const [json, path, message] of cases) {
      assert.throws(
        () => segmentFromJson(json),
        (e: unknown) => e instanceof SegmentJsonError && e.jsonPath === path && message.test(e.message) && e.extensions.code === "BAD_USER_INPUT",
        JSON.stringify(json),
      );
    }
  });

  test("a column of the canonical text maps back to the JSON path of its node", () => {
    const ast = segmentFromJson({
      kind: "and",
      of: [
        { kind: "compare", op: ">=", left: { kind: "related", relation: "circle", of: { kind: "tag", code: "TEL_X" } }, right: { kind: "literal", value: 3 } },
        { kind: "in", negated: false, value: { kind: "attribute", name: "segment" }, list: ["A", "B"] },
      ],
    });
    const text = printSegment(ast); // circle(TEL_X) >= 3 AND segment IN ("A", "B")
    assert.equal(jsonPathAt(ast, text.indexOf("TEL_X") + 1), "$.of[0].left.of");
    assert.equal(jsonPathAt(ast, text.indexOf(">=") + 1), "$.of[0]");
    assert.equal(jsonPathAt(ast, text.indexOf('"B"') + 1), "$.of[1].list[1]");
    assert.equal(jsonPathAt(ast, text.indexOf("segment") + 1), "$.of[1].value");
  });

  test("family(…) nests like parentheses: the depth limit holds in text and in JSON", () => {
    let text = "ALL";
    for (let i = 0; i < 41; i++) text = `family(${text})`;
    assert.throws(() => parseSegment(text), (e: unknown) => e instanceof SegmentExpressionError && /deeper than 40/.test(e.message));
    let json: unknown = { kind: "all" };
    for (let i = 0; i < 41; i++) json = { kind: "related", relation: "family", of: json };
    assert.throws(() => segmentFromJson(json), (e: unknown) => e instanceof SegmentJsonError && /deeper than 40/.test(e.message));
  });
});

describe("segment previews' predicates: errors with their column", () => {
  const cases: Array<[string, RegExp, number]> = [
    ["contacted(SMS)", /last argument is the window/, 11],
    ["offered(48h)", /give the product/, 9],
    ["unanswered(SMS, BROADBAND, X, 14d)", /expected \) at column 29/, 29],
    ["complained(SMS, \"x\", 2d)", /at most the channel/, 17],
    ["contacted(\"SMS\", 2d)", /bare code such as SMS/, 11],
    ["offered(SMS, 3d, 4d)", /product kind such as BROADBAND/, 14],
    ["arpu > 14d", /window of time/, 8],
    ["family()", /needs a condition/, 8],
    ["family(holds(BROADBAND) >= 1", /expected \) at column 25 to close family\(/, 25],
    ["foo(1)", /unknown function foo at column 1; the functions are holds/, 1],
    ["1 < holds(BROADBAND)", /holds\(…\) at column 5 is a condition on its own/, 5],
    ["true = complained(2d)", /complained\(…\) at column 8 is a condition on its own/, 8],
    ["holds(BROADBAND) > 1", /expected AND, OR or the end of the expression at column 18/, 18],
    ["inSegment(1)", /takes a segment code/, 11],
  ];
  test("syntax errors", () => {
    for (const [source, message, column] of cases) {
      assert.throws(
        () => parseSegment(source),
        (e: unknown) => e instanceof SegmentExpressionError && message.test(e.message) && e.column === column && e.extensions.column === column,
        source,
      );
    }
  });

  const checks: Array<[string, RegExp, number, SegmentVocabulary?]> = [
    ["contacted(FAX, 2d)", /unknown channel FAX at column 11/, 11],
    ["contacted(SMSS, 2d)", /did you mean SMS\?/, 11],
    ["offered(SMS, BROADBND, 2d)", /unknown product kind BROADBND at column 14; did you mean BROADBAND\?/, 14],
    ['unanswered("5G-PLAN-999", 2d)', /unknown product code "5G-PLAN-999" at column 12/, 12],
    ["contacted(367d)", /window 367d at column 11 must be from 1h to 366d/, 11],
    ["contacted(0h)", /must be from 1h/, 11],
    ["family(holds(BROADBAND)) >= arpu", /compare it with a number/, 29],
    ['circle(TEL_DATA_HEAVY) = "3"', /compare it with a number/, 26],
    ["family(TEL_DATA_HEAVY) IN (1, 2)", /rather than listing values/, 1],
    ["family(TEL_DATA_HEAVEY)", /unknown tag TEL_DATA_HEAVEY at column 8/, 8],
    ["inSegment(CHURN_RSK)", /unknown segment CHURN_RSK at column 11; did you mean CHURN_RISK\?/, 11],
    ["family(holds(BROADBAND))", /sized over the whole population/, 1, { ...base, segments }],
    ["TEL_DATA_HEAVY AND complained(2d)", /sized over the whole population/, 20, { ...base, segments }],
    ["inSegment(CHURN_RISK)", /other segments cannot be named here/, 1, base],
  ];
  test("type errors", () => {
    for (const [source, message, column, vocabulary] of checks) {
      assert.throws(
        () => checkSegment(parseSegment(source), vocabulary ?? population),
        (e: unknown) => e instanceof SegmentExpressionError && message.test(e.message) && e.column === column,
        source,
      );
    }
  });

  test("a segment that names itself, directly or through others, is a cycle", () => {
    const looped: SegmentVocabulary = {
      ...population,
      segments: new Map([
        ["A_SEG", { name: "A", expression: "TEL_DATA_HEAVY AND inSegment(B_SEG)" }],
        ["B_SEG", { name: "B", expression: "inSegment(A_SEG) OR arpu > 1" }],
        ["BROKEN", { name: "broken", expression: "TEL_NO_SUCH_TAG" }],
      ]),
    };
    assert.throws(
      () => checkSegment(parseSegment("arpu > 0 AND inSegment(A_SEG)"), looped),
      (e: unknown) => e instanceof SegmentExpressionError && /makes a cycle: A_SEG → B_SEG → A_SEG/.test(e.message) && e.column === 14,
    );
    assert.throws(
      () => checkSegment(parseSegment("inSegment(B_SEG)"), looped, { segment: "A_SEG" }),
      (e: unknown) => e instanceof SegmentExpressionError && /cycle/.test(e.message),
    );
    assert.throws(
      () => checkSegment(parseSegment("NOT inSegment(BROKEN)"), looped),
      (e: unknown) => e instanceof SegmentExpressionError && /segment BROKEN \(named at column 5\) cannot be used here: .*unknown tag TEL_NO_SUCH_TAG/.test(e.message) && e.column === 5,
    );
  });
});

describe("segment previews' predicates: meaning", () => {
  test("another segment is its expression, evaluated and explained per customer", () => {
    const checked = checkSegment(parseSegment("inSegment(CHURN_RISK) AND arpu > 100"), population);
    const compiled = compileChecked(checked);
    // CHURN_RISK is lifecycleStage = "CHURN_RISK" OR score(VAL_CHURN_SCORE) >= 0.6
    assert.deepEqual(compiled.evaluate(heavy), { matched: true, because: ["属于客群「流失预警客户」", "ARPU 128 > 100"] });
    assert.equal(compiled.evaluate(subject({ attributes: { arpu: 200, lifecycleStage: "MATURE" } })).matched, false);
    assert.deepEqual(checked.tagCodes, ["VAL_CHURN_SCORE"]);
    assert.deepEqual(checked.attributes, ["lifecycleStage", "arpu"]);
  });

  test("references: tags inside family(…) count, segments named directly", () => {
    const ast = parseSegment("inSegment(CHURN_RISK) AND family(TEL_DATA_HEAVY OR score(VAL_CHURN_SCORE) > 0.5) >= 2 AND NOT inSegment(DATA_HEAVY)");
    assert.deepEqual(referencedTagCodes(ast), ["TEL_DATA_HEAVY", "VAL_CHURN_SCORE"]);
    assert.deepEqual(referencedSegmentCodes(ast), ["CHURN_RISK", "DATA_HEAVY"]);
  });

  test("comparisons with a count are turned count-first", () => {
    const checked = checkSegment(parseSegment("2 < circle(holds(BROADBAND))"), population);
    assert.equal(checked.root.kind, "related");
    if (checked.root.kind !== "related") return;
    assert.equal(checked.root.op, ">");
    assert.equal(checked.root.count, 2);
    const alone = checkSegment(parseSegment("family(holds(BROADBAND))"), population).root;
    assert.deepEqual([alone.kind === "related" && alone.op, alone.kind === "related" && alone.count], [">=", 1]);
    const window = checkSegment(parseSegment("complained(HOTLINE, 2d)"), population).root;
    assert.equal(window.kind === "trajectory" && window.hours, 48);
  });
});
