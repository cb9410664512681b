/**
 * Segment expressions: which customers a strategy targets (and, in trigger conditions, which events
 * fire it), written by operators as one line of text or built as JSON by a visual builder.
 *
 * A pipeline, one file per stage (the grammar, the semantics and the design are in ./README.md):
 *
 *   text ──parse.ts──▶ tree (ast.ts, with positions) ──check.ts──▶ checked tree ──evaluate.ts──▶ test(subject)
 *   JSON ──ast.ts────▶ tree          tree ──ast.ts──▶ text, JSON                  └─explain.ts──▶ because
 *
 * `compileSegment` runs it all for the common case: text in, an evaluator out, with the
 * operator-facing errors (column, "did you mean") of whichever stage refuses the text.
 */
import type { SegmentSubject } from "../attributes";
import { parseSegment } from "./parse";
import { checkSegment, type CheckedCondition, type CheckedSegment } from "./check";
import { compileTest, type Test } from "./evaluate";
import { compileExplain } from "./explain";
import { printSegment, type SegmentAst } from "./ast";
import type { SegmentVocabulary } from "./vocabulary";

export { parseSegment } from "./parse";
export { checkSegment } from "./check";
export type { CheckedCondition, CheckedLiteral, CheckedRef, CheckedSegment, CheckedValue } from "./check";
export { jsonPathAt, printSegment, printLiteral, segmentFromJson, segmentToJson, KEYWORDS, MAX_DEPTH, MAX_LENGTH, RELATIONS, TRAJECTORY_EVENTS, UPPER_SNAKE } from "./ast";
export type * from "./ast";
export { SegmentExpressionError, SegmentJsonError } from "./errors";
export { segmentVocabulary, type SegmentVocabulary } from "./vocabulary";
export { referencedSegmentCodes, referencedTagCodes, tagCodesIn } from "./references";
export { MAX_WINDOW_HOURS } from "./check";

/** Whether an expression holds for a customer, and why. */
export interface SegmentMatch {
  matched: boolean;
  /**
   * Why it matched, in words an agent can read (e.g. "标签「流量重度用户」", "ARPU 128 ≥ 100",
   * "未持有 BROADBAND"): only the terms that made it true. Empty when it did not match.
   */
  because: string[];
}

/** An expression ready to evaluate, compiled once and evaluated for every decision. */
export interface CompiledSegment {
  /** The text compiled (for a tree compiled directly, its canonical text). */
  source: string;
  /** The syntax tree, positions relative to `source`. */
  ast: SegmentAst;
  /** Tag codes and attribute names the expression references, each once, in order of appearance. */
  tagCodes: readonly string[];
  attributes: readonly string[];
  evaluate(s: SegmentSubject): SegmentMatch;
}

/** The syntax in a few lines, for GraphQL descriptions and error hints shown to operators. */
export const SEGMENT_EXPRESSION_HELP =
  'Segment expression: tags by code (TEL_DATA_HEAVY), a category tag\'s value (BAS_AGE_BAND = "25-34岁"), ' +
  "a tag's score (score(VAL_CHURN_SCORE) >= 0.6), customer attributes in lowerCamel (arpu >= 100, " +
  'lifecycleStage = "CHURN_RISK", segment IN ("FAMILY", "ENTERPRISE"), doNotDisturb), held products ' +
  '(holds(BROADBAND) by kind, holds("5G-PLAN-128") by code), combined with NOT, AND, OR and parentheses. ' +
  "Text is quoted. Empty or ALL means every customer.";

/** What segment previews add to the language, for the preview's GraphQL description. */
export const SEGMENT_PREVIEW_HELP =
  "Besides tags, attributes and holdings, a preview may name saved segments (inSegment(CHURN_RISK)), the graph (family(holds(BROADBAND)): a family member holds it; " +
  'circle(networkType = "5G") >= 3: at least 3 of the calling circle) and the trajectory (contacted(HOTLINE, 48h), complained(48h), offered(SMS, BROADBAND, 14d), ' +
  'unanswered(SMS, "5G-PLAN-128", 14d): offered and not answered).';

/** Parses and type-checks `source`; throws SegmentExpressionError (BAD_USER_INPUT) with the column when it is wrong. */
export function compileSegment(source: string, vocabulary: SegmentVocabulary, options: { argument?: string } = {}): CompiledSegment {
  const ast = parseSegment(source, options);
  return compileChecked(checkSegment(ast, vocabulary, options), source);
}

/**
 * The evaluator of an already checked expression (e.g. one read with segmentFromJson and checked);
 * `source` defaults to its canonical text.
 */
export function compileChecked(checked: CheckedSegment, source: string = printSegment(checked.ast)): CompiledSegment {
  const tests = new Map<CheckedCondition, Test>();
  const test = compileTest(checked.root, tests);
  const explain = compileExplain(checked.root, (n) => tests.get(n) ?? compileTest(n, tests));
  return {
    source,
    ast: checked.ast,
    tagCodes: checked.tagCodes,
    attributes: checked.attributes,
    evaluate(s: SegmentSubject): SegmentMatch {
      if (!test(s)) return { matched: false, because: [] };
      const because: string[] = [];
      explain(s, true, because);
      if (because.length === 0) because.push("全部客户");
      return { matched: true, because };
    },
  };
}
