import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BadUserInputError } from "../src/platform/errors";
import type { ProductRecord, TagRecord } from "../src/graph/records";
import type { SegmentSubject } from "../src/segments/attributes";
import {
  checkSegment,
  compileChecked,
  compileSegment,
  parseSegment,
  printSegment,
  segmentFromJson,
  segmentToJson,
  segmentVocabulary,
  SegmentExpressionError,
  SegmentJsonError,
  type ConditionNode,
  type SegmentJson,
  type SegmentVocabulary,
} from "../src/segments/expression";
import { isServedTag } from "../src/customer360/published";
import { triggerVocabulary } from "../src/marketing/trigger";
import type { EventType } from "../src/domain/events";
import { PRODUCTS, TAGS, tagNode } from "../seeds/catalogue";
import { SEGMENTS, STRATEGIES } from "../seeds/marketing";
import { heavy, subject } from "./support/segments";

const productsById = new Map<string, ProductRecord>(PRODUCTS.map((p) => [p.id, p]));
const tagsById = new Map<string, TagRecord>(TAGS.map((t) => [t.id, tagNode(t)]));
const vocabulary: SegmentVocabulary = segmentVocabulary(productsById, tagsById);

/** The tree without positions, for "the same tree" comparisons. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!["start", "end", "opSpan", "arg"].includes(k)) out[k] = strip(v);
  return out;
}

/** Every condition node of a tree, root first. */
function conditions(node: ConditionNode): ConditionNode[] {
  if (node.kind === "and" || node.kind === "or") return [node, ...node.of.flatMap(conditions)];
  if (node.kind === "not") return [node, ...conditions(node.of)];
  return [node];
}

// Every expression of test/segment-expression.test.ts (valid ones and those refused by the checker
// alike: each parses), the seeded segments and trigger conditions, and a few spellings of note.
const SEGMENT_EXAMPLES: readonly string[] = [
  "TEL_DATA_HEAVY",
  "TEL_DATA_LIGHT",
  "TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)",
  "TEL_DATA_HEAVY AND arpu >= 200",
  'holds("5G-PLAN-128") AND holds(PLAN)',
  'holds("5G-PLAN-158") OR holds(IPTV)',
  "TEL_DATA_HEAVY and not TEL_DATA_LIGHT",
  "TEL_DATA_HEAVY && !TEL_DATA_LIGHT",
  "TEL_DATA_LIGHT || TEL_DATA_HEAVY",
  "TEL_DATA_LIGHT Or Not TEL_DATA_HEAVY",
  "NOT TEL_DATA_HEAVY OR TEL_DATA_LIGHT AND TEL_DATA_HEAVY",
  "TEL_DATA_HEAVY OR TEL_DATA_LIGHT AND VAL_NEW",
  "(TEL_DATA_HEAVY OR TEL_DATA_LIGHT) AND VAL_NEW",
  "NOT arpu >= 200",
  "NOT NOT TEL_DATA_HEAVY",
  "NOT (TEL_DATA_HEAVY AND arpu > 100)",
  "arpu = 128",
  "arpu != 128",
  "arpu < 128",
  "arpu <= 128",
  "arpu > 127.5",
  "arpu >= 128.01",
  "100 <= arpu",
  "200 < arpu",
  "arpu == 128",
  "arpu ≥ 100 AND arpu ≤ 130 AND arpu ≠ 129 AND arpu <> 127",
  "arpu > -1",
  'lifecycleStage = "CHURN_RISK"',
  "lifecycleStage = 'CHURN_RISK'",
  "lifecycleStage = “CHURN_RISK”",
  'lifecycleStage != "NEW"',
  'segment IN ("FAMILY", "ENTERPRISE")',
  'segment NOT IN ("FAMILY", "ENTERPRISE")',
  'segment not in ("INDIVIDUAL")',
  "age IN (29, 30, 31)",
  "dataUsedMb > dataQuotaMb",
  "doNotDisturb",
  "NOT doNotDisturb",
  "doNotDisturb = false",
  "（TEL_DATA_HEAVY）",
  'BAS_AGE_BAND = "25-34岁"',
  'BAS_AGE_BAND IN ("≤24岁", "25-34岁")',
  'BAS_AGE_BAND != "25-34岁"',
  "score(VAL_CHURN_SCORE) >= 0.6",
  "score(VAL_CHURN_SCORE) >= 0.8",
  "SCORE(VAL_CHURN_SCORE) < 0.8",
  "score(TEL_DATA_HEAVY) = 1",
  "score(VAL_CHURN_SCORE) < 0.6",
  'BAS_AGE_BAND NOT IN ("25-34岁")',
  "familyMember",
  "NOT familyMember",
  "familyMember = true",
  "familyMember = false",
  "familyMember != true",
  'dndList = "RED"',
  'dndList != "BLACK"',
  "age > 10",
  "",
  "   ",
  "ALL",
  "all",
  "true",
  "TRUE",
  "(ALL)",
  "false",
  "ALL AND TEL_DATA_LIGHT",
  'TEL_DATA_LIGHT OR lifecycleStage = "CHURN_RISK" OR arpu < 50',
  "NOT (TEL_DATA_LIGHT OR arpu < 100)",
  "NOT (TEL_DATA_HEAVY AND arpu >= 200)",
  'BAS_AGE_BAND = "25-34岁" AND score(VAL_CHURN_SCORE) > 0.5',
  'segment NOT IN ("INDIVIDUAL", "ENTERPRISE") AND holds("5G-PLAN-128")',
  "dataUsedMb > dataQuotaMb AND NOT doNotDisturb",
  'TEL_DATA_HEAVY AND (arpu > 1 OR score(VAL_CHURN_SCORE) > 0.1) AND BAS_AGE_BAND = "x" AND arpu < 1000 AND NOT TEL_DATA_HEAVY',
  'cityId = "R3301" AND regionId != "R330102"',
  'lifecycleStage = "CHURN_RISK" OR score(VAL_CHURN_SCORE) >= 0.4',
  'segment IN ("FAMILY", "ENTERPRISE") AND dataUsedPercent >= 90',
  "age >= 25 AND age <= 34",
  'holds("5G-PLAN-128") OR holds(IPTV)',
  "familyMember AND NOT TEL_FAMILY_PLAN",
  'cityId = "R3301" AND networkType = "5G"',
  'valueTier IN ("HIGH", "PREMIUM") AND NOT doNotDisturb AND preferredChannel != "STORE"',
  "voiceUsedMinutes > voiceQuotaMinutes",
  // refused by the checker, not the parser
  "TEL_DATA_HEAVY AND TEL_FOO",
  "TEL_DATA_HEAVE",
  "BROADBAND",
  "lifecycleStage = CHURN_RISK",
  'arpu >= "high"',
  "segment = 1",
  'doNotDisturb = "yes"',
  'lifecycleStage = "churn_risk"',
  'segment IN ("FAMILY", "HOUSE")',
  'segment < "FAMILY"',
  'regionId = "R33"',
  "arpuu > 1",
  "Arpu > 1",
  "arpu",
  "segment",
  "score(VAL_CHURN_SCORE)",
  'TEL_DATA_HEAVY = "true"',
  "VAL_CHURN_SCORE >= 0.6",
  "holds(BROADBND)",
  'holds("5G-PLAN-999")',
  'holds("5g-plan-128")',
  'holds("BROADBAND")',
  '"abc" = "abc"',
  '"abc"',
  "event.percent >= 90",
  "arpu >= 1 OR event.x",
  "customer.arpu > 1",
  // spellings the canonical text normalises
  "a_b",
  'text = "say \\"hi\\" \\\\ there"',
  "(TEL_DATA_HEAVY AND TEL_DATA_LIGHT) AND VAL_NEW",
  "TEL_DATA_HEAVY AND (TEL_DATA_LIGHT AND VAL_NEW)",
  "(TEL_DATA_HEAVY OR TEL_DATA_LIGHT) OR VAL_NEW",
  "NOT (NOT TEL_DATA_HEAVY)",
  "((((arpu>-0.5))))&&!(age<=.5||age>=-0)",
  ...SEGMENTS.map((s) => s.expression),
];

const TRIGGER_EXAMPLES: ReadonlyArray<[EventType, string]> = [
  ["DATA_USAGE", "event.percent >= 90 AND NOT holds(DATA_ADDON)"],
  ["LOCATION_ENTER", 'event.area IN ("AIRPORT", "TRAIN_STATION", "BUSINESS_DISTRICT") AND arpu >= 100'],
  ["ROAMING_START", "event.firstCall AND event.international AND NOT holds(ROAMING_PACK)"],
  ["ROAMING_START", "event.firstCall = false"],
  ["CONTENT_SEARCH", 'event.category = "MUSIC"'],
  ["BILL_PAYMENT", 'event.amount>=100&&event.channel!="APP"'],
  ["HANDSET_BROWSE", 'event.brand = "华为"'],
  ["HANDSET_BROWSE", 'event.brand != "华为"'],
  ["DATA_USAGE", "event.percnt >= 90"],
  ["DATA_USAGE", "arpu > 1 AND Event.Percent >= 90"],
  ["DATA_USAGE", "percent >= 90"],
  ["DATA_USAGE", "event.percent"],
  ["LOCATION_ENTER", "event.area = AIRPORT"],
  ...STRATEGIES.flatMap((s): Array<[EventType, string]> => (s.trigger ? [[s.trigger.eventType, s.trigger.condition]] : [])),
];

const ALL_EXAMPLES: readonly string[] = [...SEGMENT_EXAMPLES, ...TRIGGER_EXAMPLES.map(([, source]) => source)];

describe("segment syntax tree: positions", () => {
  test("every node carries 1-based columns, end exclusive", () => {
    const source = "TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)";
    const ast = parseSegment(source);
    assert.deepEqual(ast, {
      kind: "and",
      start: 1,
      end: 56,
      of: [
        { kind: "tag", code: "TEL_DATA_HEAVY", start: 1, end: 15 },
        {
          kind: "compare",
          op: ">=",
          opSpan: { start: 25, end: 27 },
          left: { kind: "attribute", name: "arpu", start: 20, end: 24 },
          right: { kind: "literal", value: 100, start: 28, end: 31 },
          start: 20,
          end: 31,
        },
        { kind: "not", of: { kind: "holdsKind", productKind: "BROADBAND", arg: { start: 46, end: 55 }, start: 40, end: 56 }, start: 36, end: 56 },
      ],
    });
  });

  test("strings, scores, holds by code and IN lists", () => {
    const source = `score(VAL_CHURN_SCORE) > 0.5 OR holds("5G-PLAN-128") OR segment NOT IN ('FAMILY', "X")`;
    const ast = parseSegment(source);
    assert.equal(ast.kind, "or");
    if (ast.kind !== "or") return;
    const [score, holds, inList] = ast.of;
    assert.deepEqual(score, {
      kind: "compare",
      op: ">",
      opSpan: { start: 24, end: 25 },
      left: { kind: "score", code: "VAL_CHURN_SCORE", arg: { start: 7, end: 22 }, start: 1, end: 23 },
      right: { kind: "literal", value: 0.5, start: 26, end: 29 },
      start: 1,
      end: 29,
    });
    assert.deepEqual(holds, { kind: "holdsCode", productCode: "5G-PLAN-128", arg: { start: 39, end: 52 }, start: 33, end: 53 });
    assert.deepEqual(inList, {
      kind: "in",
      negated: true,
      value: { kind: "attribute", name: "segment", start: 57, end: 64 },
      list: [
        { kind: "literal", value: "FAMILY", start: 73, end: 81 },
        { kind: "literal", value: "X", start: 83, end: 86 },
      ],
      start: 57,
      end: 87,
    });
  });

  test("parentheses belong to the enclosing node: (TEL_FOO) is a tag at column 2", () => {
    const ast = parseSegment("((TEL_FOO)) AND (a OR b)");
    assert.deepEqual(strip(ast), { kind: "and", of: [{ kind: "tag", code: "TEL_FOO" }, { kind: "or", of: [{ kind: "attribute", name: "a" }, { kind: "attribute", name: "b" }] }] });
    assert.equal(ast.start, 1);
    assert.equal(ast.end, 25);
    if (ast.kind !== "and") return;
    assert.deepEqual([ast.of[0]!.start, ast.of[0]!.end], [3, 10]);
    assert.deepEqual([ast.of[1]!.start, ast.of[1]!.end], [18, 24]);
    assert.throws(() => checkSegment(ast, vocabulary), (e: unknown) => e instanceof SegmentExpressionError && e.column === 3);
    assert.deepEqual(parseSegment(""), { kind: "all", start: 1, end: 1 });
  });

  test("the text at every condition's span parses back to that condition", () => {
    for (const source of ALL_EXAMPLES) {
      const ast = parseSegment(source);
      for (const node of conditions(ast)) {
        const text = source.slice(node.start - 1, node.end - 1);
        assert.deepEqual(strip(parseSegment(text)), strip(node), `${source}: ${text}`);
      }
    }
  });
});

describe("segment syntax tree: canonical text", () => {
  test("text → tree → text → tree gives the same tree for every example, and the text is stable", () => {
    for (const source of ALL_EXAMPLES) {
      const ast = parseSegment(source);
      const printed = printSegment(ast);
      const again = parseSegment(printed);
      assert.deepEqual(strip(again), strip(ast), `${source} → ${printed}`);
      assert.equal(printSegment(again), printed, source);
    }
  });

  test("keywords, operators, quotes, numbers and parentheses are normalised", () => {
    const cases: Array<[string, string]> = [
      ["", "ALL"],
      ["all", "ALL"],
      ["TEL_DATA_HEAVY && !TEL_DATA_LIGHT || VAL_NEW", "TEL_DATA_HEAVY AND NOT TEL_DATA_LIGHT OR VAL_NEW"],
      ["arpu == 128 and arpu<>1 AND arpu ≥ 1 and arpu≤2 and arpu ≠ 3", "arpu = 128 AND arpu != 1 AND arpu >= 1 AND arpu <= 2 AND arpu != 3"],
      ["lifecycleStage = 'CHURN_RISK'", 'lifecycleStage = "CHURN_RISK"'],
      ["lifecycleStage = “CHURN_RISK”", 'lifecycleStage = "CHURN_RISK"'],
      ["（TEL_DATA_HEAVY）", "TEL_DATA_HEAVY"],
      ["((TEL_DATA_HEAVY OR TEL_DATA_LIGHT)) AND VAL_NEW", "(TEL_DATA_HEAVY OR TEL_DATA_LIGHT) AND VAL_NEW"],
      ["TEL_DATA_HEAVY OR (TEL_DATA_LIGHT AND VAL_NEW)", "TEL_DATA_HEAVY OR TEL_DATA_LIGHT AND VAL_NEW"],
      ["(a AND b) AND c", "(a AND b) AND c"],
      ["a OR (b OR c)", "a OR (b OR c)"],
      ["NOT (a AND b)", "NOT (a AND b)"],
      ["NOT (a)", "NOT a"],
      ["NOT (arpu >= 1)", "NOT arpu >= 1"],
      ["segment not in ('A','B')", 'segment NOT IN ("A", "B")'],
      ["SCORE(VAL_CHURN_SCORE)>=.6", "score(VAL_CHURN_SCORE) >= 0.6"],
      ['HOLDS("x")', 'holds("x")'],
      ["arpu > -0", "arpu > 0"],
      ["arpu > 1.50", "arpu > 1.5"],
      ["x = 'say \"hi\"'", 'x = "say \\"hi\\""'],
      ["TRUE", "true"],
    ];
    for (const [source, canonical] of cases) assert.equal(printSegment(parseSegment(source)), canonical, source);
  });

  test("numbers are written without exponents and read back exactly", () => {
    for (const n of [1e21, 1.5e-7, -2.5e-10, 123456789012345680000, 5e-324, Number.MAX_VALUE, 0.1 + 0.2]) {
      const printed = printSegment({ kind: "compare", op: ">", opSpan: { start: 0, end: 0 }, left: { kind: "attribute", name: "arpu", start: 0, end: 0 }, right: { kind: "literal", value: n, start: 0, end: 0 }, start: 0, end: 0 });
      assert.doesNotMatch(printed, /e/, printed);
      const ast = parseSegment(printed);
      assert.ok(ast.kind === "compare" && ast.right.kind === "literal" && ast.right.value === n, `${n} → ${printed}`);
    }
  });
});

describe("segment syntax tree: JSON form", () => {
  test("the documented example", () => {
    const ast = parseSegment('TEL_DATA_HEAVY AND arpu >= 100 AND segment NOT IN ("INDIVIDUAL") AND NOT holds(BROADBAND)');
    assert.deepEqual(segmentToJson(ast), {
      kind: "and",
      of: [
        { kind: "tag", code: "TEL_DATA_HEAVY" },
        { kind: "compare", op: ">=", left: { kind: "attribute", name: "arpu" }, right: { kind: "literal", value: 100 } },
        { kind: "in", negated: true, value: { kind: "attribute", name: "segment" }, list: ["INDIVIDUAL"] },
        { kind: "not", of: { kind: "holdsKind", productKind: "BROADBAND" } },
      ],
    });
  });

  test("text → tree → JSON → tree equals the tree of the canonical text, positions included, for every example", () => {
    for (const source of ALL_EXAMPLES) {
      const ast = parseSegment(source);
      const json: unknown = JSON.parse(JSON.stringify(segmentToJson(ast)));
      const fromJson = segmentFromJson(json);
      assert.deepEqual(fromJson, parseSegment(printSegment(ast)), source);
      assert.deepEqual(segmentToJson(fromJson), json, source);
    }
  });

  test("a tree read from JSON evaluates like its text, and its errors point into its canonical text", () => {
    const json: SegmentJson = {
      kind: "or",
      of: [
        { kind: "and", of: [{ kind: "tag", code: "TEL_DATA_HEAVY" }, { kind: "compare", op: "<=", left: { kind: "literal", value: 100 }, right: { kind: "attribute", name: "arpu" } }] },
        { kind: "in", negated: false, value: { kind: "tagValue", code: "BAS_AGE_BAND" }, list: ["25-34岁"] },
      ],
    };
    const ast = segmentFromJson(json);
    assert.equal(printSegment(ast), 'TEL_DATA_HEAVY AND 100 <= arpu OR BAS_AGE_BAND IN ("25-34岁")');
    const compiled = compileChecked(checkSegment(ast, vocabulary));
    assert.equal(compiled.source, printSegment(ast));
    assert.deepEqual(compiled.evaluate(heavy), { matched: true, because: ["标签「流量重度用户」", "ARPU 128 ≥ 100", "标签「年龄段」为 25-34岁"] });

    const wrong = segmentFromJson({ kind: "and", of: [{ kind: "tag", code: "TEL_DATA_HEAVY" }, { kind: "tag", code: "TEL_FOO" }] });
    assert.throws(
      () => checkSegment(wrong, vocabulary, { argument: "input.segment" }),
      (e: unknown) => e instanceof SegmentExpressionError && e.column === 20 && /^unknown tag TEL_FOO at column 20/.test(e.message) && e.extensions.argument === "input.segment",
    );
  });

  test("an AND or OR of one condition is that condition", () => {
    assert.deepEqual(segmentFromJson({ kind: "and", of: [{ kind: "or", of: [{ kind: "tag", code: "TEL_DATA_HEAVY" }] }] }), parseSegment("TEL_DATA_HEAVY"));
    assert.equal(printSegment(segmentFromJson({ kind: "not", of: { kind: "and", of: [{ kind: "or", of: [{ kind: "tag", code: "A" }, { kind: "tag", code: "B" }] }] } })), "NOT (A OR B)");
  });

  const deep = (levels: number, kind: "not" | "and"): unknown => {
    let node: unknown = { kind: "all" };
    for (let i = 0; i < levels; i++) node = kind === "not" ? { kind: "not", of: node } : { kind: "and", of: [{ kind: "all" }, { kind: "or", of: [{ kind: "all" }, node] }] };
    return node;
  };

  const refusals: Array<[name: string, json: unknown, path: string, message: RegExp]> = [
    ["not an object", "TEL_DATA_HEAVY", "$", /expected a condition such as \{"kind":"tag","code":"TEL_DATA_HEAVY"\} but found "TEL_DATA_HEAVY"/],
    ["null", null, "$", /but found null/],
    ["a list", [{ kind: "all" }], "$", /but found a list/],
    ["a class instance", new Date(0), "$", /plain JSON object/],
    ["no kind", { code: "X" }, "$", /a condition needs a "kind", one of all, and, or, not, compare, in, holdsKind, holdsCode, tag, inSegment, related, trajectory, score, attribute, literal/],
    ["unknown kind", { kind: "and", of: [{ kind: "all" }, { kind: "attr", name: "arpu" }] }, "$.of[1].kind", /unknown kind "attr"; a condition is one of all, and/],
    ["kind not text", { kind: 3 }, "$.kind", /expected one of all, and, .* but found 3/],
    ["a value as a condition", { kind: "tagValue", code: "BAS_AGE_BAND" }, "$", /a tagValue is a value, not a condition; a tag standing alone is \{"kind":"tag"/],
    ["a condition as a value", { kind: "compare", op: "=", left: { kind: "tag", code: "BAS_AGE_BAND" }, right: { kind: "literal", value: "x" } }, "$.left.kind", /a tag is a condition, not a value; a value is one of tagValue, score, attribute, literal, related; a tag's value is \{"kind":"tagValue"/],
    ["__proto__ key", JSON.parse('{"kind":"tag","code":"TEL_DATA_HEAVY","__proto__":{"polluted":true}}'), "$.__proto__", /unexpected field "__proto__"; a tag node has kind and code/],
    ["constructor key", { kind: "all", constructor: {} }, "$.constructor", /unexpected field "constructor"; an all node has only kind/],
    ["a misspelt field", { kind: "not", of: { kind: "all" }, off: 1 }, "$.off", /unexpected field "off"/],
    ["an odd field name", { kind: "all", "a-b": 1 }, '$["a-b"]', /unexpected field "a-b"/],
    ["missing field", { kind: "compare", op: "=", left: { kind: "attribute", name: "arpu" } }, "$", /a compare node needs "right"/],
    ["of not a list", { kind: "and", of: { kind: "all" } }, "$.of", /expected a list of conditions but found an object/],
    ["empty AND", { kind: "and", of: [] }, "$.of", /an AND needs at least one condition/],
    ["op unknown", { kind: "compare", op: "=>", left: { kind: "attribute", name: "arpu" }, right: { kind: "literal", value: 1 } }, "$.op", /expected one of = != < <= > >= but found "=>"/],
    ["tag code lower case", { kind: "tag", code: "tel_data_heavy" }, "$.code", /expected a tag code such as TEL_DATA_HEAVY but found "tel_data_heavy"/],
    ["tag code a keyword", { kind: "tag", code: "AND" }, "$.code", /expected a tag code/],
    ["tag code a number", { kind: "score", code: 7 }, "$.code", /expected a tag code such as TEL_DATA_HEAVY but found 7/],
    ["attribute with a space", { kind: "attribute", name: "arpu 1" }, "$.name", /expected an attribute name such as arpu or event.percent but found "arpu 1"/],
    ["attribute a keyword", { kind: "attribute", name: "not" }, "$.name", /expected an attribute name/],
    ["attribute in upper case", { kind: "attribute", name: "ARPU" }, "$.name", /ARPU is written like a tag code; attributes are lowerCamel/],
    ["product kind with a dash", { kind: "holdsKind", productKind: "5G-PLAN" }, "$.productKind", /expected a product kind such as BROADBAND/],
    ["product code not text", { kind: "holdsCode", productCode: null }, "$.productCode", /expected a product code such as "5G-PLAN-128" but found null/],
    ["literal an object", { kind: "literal", value: { a: 1 } }, "$.value", /expected a number, a text or true\/false but found an object/],
    ["literal not finite", { kind: "compare", op: ">", left: { kind: "attribute", name: "arpu" }, right: { kind: "literal", value: Infinity } }, "$.right.value", /expected a finite number but found Infinity/],
    ["negated missing", { kind: "in", value: { kind: "attribute", name: "segment" }, list: ["FAMILY"] }, "$", /an in node needs "negated"/],
    ["negated not boolean", { kind: "in", negated: "no", value: { kind: "attribute", name: "segment" }, list: ["FAMILY"] }, "$.negated", /expected true or false but found "no"/],
    ["empty IN list", { kind: "in", negated: false, value: { kind: "attribute", name: "segment" }, list: [] }, "$.list", /an IN list needs at least one value/],
    ["IN list of nodes", { kind: "in", negated: false, value: { kind: "attribute", name: "segment" }, list: [{ kind: "literal", value: "FAMILY" }] }, "$.list[0]", /expected a number, a text or true\/false but found an object/],
    ["41 NOTs", deep(41, "not"), "$" + ".of".repeat(40), /the expression nests deeper than 40 levels; simplify it/],
    ["100,000 NOTs", deep(100_000, "not"), "$" + ".of".repeat(40), /nests deeper than 40 levels/],
    ["AND/OR nested past the limit", deep(50, "and"), "$" + ".of[1]".repeat(81), /nests deeper than 40 levels/],
    ["too large", { kind: "or", of: Array.from({ length: 3000 }, () => ({ kind: "tag", code: "TEL_DATA_HEAVY" })) }, "$.of[66].code", /too large: its text would exceed 4000 characters/],
    ["too long as text", { kind: "or", of: Array.from({ length: 1000 }, () => ({ kind: "tag", code: "A" })) }, "$", /^input\.segment at \$: the expression is 4996 characters long as text; keep it under 4000$/],
  ];

  for (const [name, json, path, message] of refusals) {
    test(`refused: ${name}`, () => {
      assert.throws(
        () => segmentFromJson(json, { argument: "input.segment" }),
        (e: unknown) => {
          assert.ok(e instanceof SegmentJsonError, `SegmentJsonError, got ${String(e)}`);
          assert.ok(e instanceof BadUserInputError);
          assert.match(e.message, message);
          assert.ok(e.message.startsWith(`input.segment at ${path}: `), e.message);
          assert.equal(e.jsonPath, path);
          assert.deepEqual(e.extensions, { argument: "input.segment", code: "BAD_USER_INPUT", jsonPath: path });
          return true;
        },
      );
    });
  }

  test("a __proto__ key pollutes nothing", () => {
    assert.throws(() => segmentFromJson(JSON.parse('{"kind":"all","__proto__":{"polluted":true}}')), SegmentJsonError);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });
});

describe("segment syntax tree: hostile text", () => {
  test("100,000 nested parentheses fail fast with the depth error", () => {
    const source = "(".repeat(100_000) + "ALL" + ")".repeat(100_000);
    const started = process.hrtime.bigint();
    assert.throws(
      () => compileSegment(source, vocabulary),
      (e: unknown) => e instanceof SegmentExpressionError && e.column === 41 && /^the expression nests deeper than 40 levels at column 41; simplify it$/.test(e.message),
    );
    assert.throws(() => parseSegment(source), /nests deeper than 40 levels at column 41/);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 1000, `${ms.toFixed(1)} ms`);
  });

  test("100,000 NOTs and 100,000 unclosed parentheses alike", () => {
    assert.throws(() => parseSegment("NOT ".repeat(100_000) + "ALL"), (e: unknown) => e instanceof SegmentExpressionError && e.column === 161);
    assert.throws(() => parseSegment("!".repeat(100_000) + "ALL"), (e: unknown) => e instanceof SegmentExpressionError && e.column === 41);
    assert.throws(() => parseSegment("(".repeat(100_000)), (e: unknown) => e instanceof SegmentExpressionError && e.column === 41);
  });

  test("an overlong expression is refused even when every part of it is fine", () => {
    const source = "TEL_DATA_HEAVY OR ".repeat(300) + "TEL_DATA_HEAVY";
    assert.throws(() => parseSegment(source), (e: unknown) => e instanceof SegmentExpressionError && e.column === 4001 && /is 5414 characters long; keep it under 4000/.test(e.message));
    assert.throws(() => parseSegment("ALL" + " ".repeat(4000)), /keep it under 4000/, "trailing space counts");
    assert.doesNotThrow(() => parseSegment("ALL" + " ".repeat(3997)));
  });
});

const none = subject({ attributes: { arpu: 50, familyMember: null, dndList: null } });

describe("segment syntax tree: evaluation as before", () => {
  // The results test/segment-expression.test.ts expects of the expression compiled from text.
  const expectations: Array<[source: string, s: SegmentSubject, matched: boolean, because?: string[]]> = [
    ["TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)", heavy, true, ["标签「流量重度用户」", "ARPU 128 ≥ 100", "未持有 BROADBAND"]],
    ['TEL_DATA_LIGHT OR lifecycleStage = "CHURN_RISK" OR arpu < 50', heavy, true, ["生命周期阶段为 CHURN_RISK"]],
    ["NOT (TEL_DATA_LIGHT OR arpu < 100)", heavy, true, ["无标签「流量轻度用户」", "ARPU 128 ≥ 100"]],
    ["NOT (TEL_DATA_HEAVY AND arpu >= 200)", heavy, true, ["ARPU 128 < 200"]],
    ['BAS_AGE_BAND = "25-34岁" AND score(VAL_CHURN_SCORE) > 0.5', heavy, true, ["标签「年龄段」为 25-34岁", "标签「流失预警评分」得分 0.72 > 0.5"]],
    ['segment NOT IN ("INDIVIDUAL", "ENTERPRISE") AND holds("5G-PLAN-128")', heavy, true, ["客户市场 FAMILY 不在 INDIVIDUAL、ENTERPRISE 之列", "持有 5G-PLAN-128"]],
    ["dataUsedMb > dataQuotaMb AND NOT doNotDisturb", heavy, true, ["本月已用流量MB 5000 > 本月套内流量MB 4096", "免打扰：否"]],
    ["NOT familyMember", heavy, true, ["家庭成员：未知"]],
    ["TEL_DATA_LIGHT", heavy, false, []],
    ["ALL", none, true, ["全部客户"]],
    ["", none, true, ["全部客户"]],
    ["100 <= arpu", heavy, true, ["ARPU 128 ≥ 100"]],
    ["200 < arpu", heavy, false],
    ["arpu ≥ 100 AND arpu ≤ 130 AND arpu ≠ 129 AND arpu <> 127", heavy, true],
    ["NOT TEL_DATA_HEAVY OR TEL_DATA_LIGHT AND TEL_DATA_HEAVY", heavy, false],
    ["TEL_DATA_HEAVY OR TEL_DATA_LIGHT AND VAL_NEW", heavy, true],
    ["(TEL_DATA_HEAVY OR TEL_DATA_LIGHT) AND VAL_NEW", heavy, false],
    ["NOT arpu >= 200", heavy, true],
    ['segment not in ("INDIVIDUAL")', heavy, true],
    ["age IN (29, 30, 31)", heavy, true],
    ["doNotDisturb = false", heavy, true, ["免打扰：否"]],
    ["score(TEL_DATA_HEAVY) = 1", heavy, true],
    ["score(VAL_CHURN_SCORE) < 0.6", none, false],
    ['BAS_AGE_BAND != "25-34岁"', none, true, ["无标签「年龄段」"]],
    ['BAS_AGE_BAND NOT IN ("25-34岁")', none, true, ["无标签「年龄段」"]],
    ["familyMember = false", none, false],
    ["familyMember != true", none, true, ["家庭成员：未知"]],
    ['dndList != "BLACK"', none, true, ["免打扰名单：无"]],
    ["age > 10", none, false],
    ["false", heavy, false],
    ["ALL AND TEL_DATA_LIGHT", heavy, false],
  ];

  for (const [source, s, matched, because] of expectations) {
    test(source || "(empty)", () => {
      const fromText = compileSegment(source, vocabulary);
      const result = fromText.evaluate(s);
      assert.equal(result.matched, matched);
      if (because) assert.deepEqual(result.because, because);
      assert.deepEqual(strip(fromText.ast), strip(parseSegment(source)), "the compiled segment carries its tree");
      // the same through the canonical text and through JSON
      assert.deepEqual(compileSegment(printSegment(fromText.ast), vocabulary).evaluate(s), result);
      assert.deepEqual(compileChecked(checkSegment(segmentFromJson(segmentToJson(fromText.ast)), vocabulary)).evaluate(s), result);
    });
  }

  test("trigger conditions through the canonical text and JSON check alike", () => {
    for (const [type, source] of TRIGGER_EXAMPLES) {
      const v = triggerVocabulary(vocabulary, type);
      const outcome = (f: () => unknown): string => {
        try {
          f();
          return "ok";
        } catch (e) {
          return e instanceof Error ? e.message.replace(/at column \d+/g, "at column N") : String(e);
        }
      };
      const ast = parseSegment(source);
      const fromText = outcome(() => checkSegment(ast, v));
      assert.equal(outcome(() => checkSegment(parseSegment(printSegment(ast)), v)), fromText, source);
      assert.equal(outcome(() => checkSegment(segmentFromJson(segmentToJson(ast)), v)), fromText, source);
    }
  });
});

describe("served tags: one rule", () => {
  test("only PUBLISHED tags are served, and only served tags are in the vocabulary", () => {
    assert.equal(isServedTag({ status: "PUBLISHED" }), true);
    for (const status of ["DRAFT", "PENDING_APPROVAL", "APPROVED", "OFFLINE"] as const) assert.equal(isServedTag({ status }), false, status);
    const served = TAGS.filter((t) => isServedTag(t)).map((t) => t.code);
    assert.deepEqual([...vocabulary.tags.keys()].sort(), served.sort());
    assert.ok(!vocabulary.tags.has("VAL_PORT_OUT_RISK"), "a draft tag is not in the vocabulary");
  });
});
