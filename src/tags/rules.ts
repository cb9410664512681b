import type { ProductRecord } from "../graph/records";
import type { RuleScan } from "../graph/tag-runs";
import type { TagSource, TagValueType } from "../domain/vocabulary";
import { TAG_SOURCES } from "../domain/vocabulary";
import { BadUserInputError } from "../platform/errors";
import { checkSegment, parseSegment, printSegment, type SegmentVocabulary } from "../segments/expression";
import { toScan } from "../segments/preview/plan";

/**
 * A rule tag's rule: how its values are computed from what segment expressions can say (attributes,
 * other tags, holdings, saved segments, graph and trajectory predicates).
 *
 * - FLAG: one `expression`; who satisfies it holds the tag (value "true", score 1, as seeded flags).
 * - CATEGORY: an ordered list of `value → expression`; a customer takes the value of the first
 *   expression it satisfies, and holds no value when it satisfies none.
 * - SCORE: a weighted list of expressions; a customer's score is the sum of the weights of the
 *   expressions it satisfies divided by the sum of all weights (0..1, rounded to 2 decimals, as
 *   seeded scores); it holds the tag when that is above 0, so its holders are those satisfying any
 *   expression. A weighted share is what a marketer can reason about ("3 of 5 signals, weighted"),
 *   always within 0..1, and it needs no model.
 *
 * The rule is part of the tag's versioned content (stored as canonical JSON, so an edit that
 * changes nothing reads as unchanged), checked with the segment checker at create and update.
 */
export interface TagRule {
  expression?: string;
  categories?: Array<{ value: string; expression: string }>;
  scores?: Array<{ weight: number; expression: string }>;
}

/** What createTag and updateTag take for a rule (GraphQL's TagRuleInput). */
export interface TagRuleInput {
  expression?: string | null;
  categories?: ReadonlyArray<{ value: string; expression: string }> | null;
  scores?: ReadonlyArray<{ weight: number; expression: string }> | null;
}

export const MAX_RULE_ITEMS = 20;
const MAX_CATEGORY_VALUE = 40;
const MAX_WEIGHT = 1000;

function fail(argument: string, message: string): never {
  throw new BadUserInputError(message, argument);
}

export function tagSource(value: string | null | undefined): TagSource {
  const v = value ?? "SEEDED";
  if (!(TAG_SOURCES as readonly string[]).includes(v)) fail("source", `\`source\` must be one of ${TAG_SOURCES.join(", ")}; got ${v}.`);
  return v as TagSource;
}

/** Parses and checks one expression of a rule; its canonical text. The error names the column and the rule's place (`argument`). */
function expression(text: string | null | undefined, argument: string, code: string, vocabulary: SegmentVocabulary): string {
  if (typeof text !== "string" || text.trim() === "") fail(argument, `\`${argument}\` must be a segment expression (e.g. "arpu >= 100 AND holds(BROADBAND)"); got nothing.`);
  const checked = checkSegment(parseSegment(text, { argument }), vocabulary, { argument });
  if (checked.tagCodes.includes(code)) {
    fail(argument, `\`${argument}\` names the tag ${code} itself: a rule computes the tag from other indicators; remove ${code} from it.`);
  }
  return printSegment(checked.ast);
}

/**
 * Checks a tag's source and rule together: a RULE tag has a rule of its value type's shape, other
 * sources none. Returns the rule as canonical JSON (null for other sources).
 */
export function checkRule(source: TagSource, valueType: TagValueType, code: string, input: TagRuleInput | null | undefined, vocabulary: SegmentVocabulary): string | null {
  if (source !== "RULE") {
    if (input) fail("rule", `Only a RULE tag has a rule; this tag's source is ${source}. Set \`source: RULE\` or leave \`rule\` out.`);
    return null;
  }
  if (!input) fail("rule", `A RULE tag needs its \`rule\`: ${shapeOf(valueType)}.`);
  const hasExpression = input.expression !== undefined && input.expression !== null;
  const hasCategories = input.categories !== undefined && input.categories !== null;
  const hasScores = input.scores !== undefined && input.scores !== null;
  const wanted = valueType === "FLAG" ? "expression" : valueType === "CATEGORY" ? "categories" : "scores";
  for (const [given, name] of [
    [hasExpression, "expression"],
    [hasCategories, "categories"],
    [hasScores, "scores"],
  ] as const) {
    if (given && name !== wanted) fail(`rule.${name}`, `A ${valueType} tag's rule is ${shapeOf(valueType)}; leave \`rule.${name}\` out.`);
  }
  if (valueType === "FLAG") {
    return JSON.stringify({ expression: expression(input.expression, "rule.expression", code, vocabulary) } satisfies TagRule);
  }
  const list = (valueType === "CATEGORY" ? input.categories : input.scores) ?? null;
  if (!list || list.length === 0 || list.length > MAX_RULE_ITEMS) {
    fail(`rule.${wanted}`, `\`rule.${wanted}\` must list 1 to ${MAX_RULE_ITEMS} entries (${shapeOf(valueType)}); got ${list?.length ?? 0}.`);
  }
  if (valueType === "CATEGORY") {
    const seen = new Set<string>();
    const categories = (input.categories ?? []).map((c, i) => {
      const value = c.value?.trim() ?? "";
      if (value.length === 0 || value.length > MAX_CATEGORY_VALUE) fail(`rule.categories[${i}].value`, `\`rule.categories[${i}].value\` must have 1 to ${MAX_CATEGORY_VALUE} characters; got ${value.length}.`);
      if (seen.has(value)) fail(`rule.categories[${i}].value`, `\`rule.categories[${i}].value\` "${value}" is listed twice; each value appears once (first match wins, so merge their expressions with OR).`);
      seen.add(value);
      return { value, expression: expression(c.expression, `rule.categories[${i}].expression`, code, vocabulary) };
    });
    return JSON.stringify({ categories } satisfies TagRule);
  }
  const scores = (input.scores ?? []).map((s, i) => {
    if (!Number.isFinite(s.weight) || s.weight <= 0 || s.weight > MAX_WEIGHT) fail(`rule.scores[${i}].weight`, `\`rule.scores[${i}].weight\` must be above 0 and at most ${MAX_WEIGHT}; got ${s.weight}.`);
    return { weight: s.weight, expression: expression(s.expression, `rule.scores[${i}].expression`, code, vocabulary) };
  });
  return JSON.stringify({ scores } satisfies TagRule);
}

function shapeOf(valueType: TagValueType): string {
  if (valueType === "FLAG") return "one `expression`";
  if (valueType === "CATEGORY") return "`categories`: an ordered list of {value, expression}, the first match wins";
  return "`scores`: a list of {weight, expression}; the score is the weighted share of expressions satisfied";
}

/** A stored rule (canonical JSON) read back. */
export function parseRule(json: string | null): TagRule | null {
  return json === null ? null : (JSON.parse(json) as TagRule);
}

/**
 * Compiles a published rule for the graph, checked against the vocabulary now (a tag it names may
 * have gone offline since it was approved: then the run fails with the checker's words).
 */
export function compileRule(
  tag: { id: string; code: string; valueType: TagValueType; rule: string },
  vocabulary: SegmentVocabulary,
  products: ReadonlyMap<string, ProductRecord>,
  asOfMs: number,
): RuleScan {
  const rule = parseRule(tag.rule) ?? {};
  const items: Array<{ expression: string; value?: string; weight?: number }> =
    tag.valueType === "FLAG" ? [{ expression: rule.expression ?? "" }] : tag.valueType === "CATEGORY" ? (rule.categories ?? []) : (rule.scores ?? []);
  const conditions = items.map((item, i) => {
    const argument = `${tag.code} rule ${i + 1}`;
    const checked = checkSegment(parseSegment(item.expression, { argument }), vocabulary, { argument });
    return toScan(checked.root, { products, asOfMs });
  });
  return {
    tagId: tag.id,
    valueType: tag.valueType,
    conditions,
    values: items.map((i) => i.value ?? ""),
    weights: items.map((i) => i.weight ?? 1),
  };
}
