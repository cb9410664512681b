import { SegmentJsonError } from "./errors";

/**
 * The syntax tree of a segment expression, its canonical text (`printSegment`) and its JSON form
 * (`segmentToJson` / `segmentFromJson`, what a visual builder edits).
 *
 * The tree is what was written, not what it means: `100 <= arpu` keeps the literal on the left,
 * `x != 1` stays a comparison, and names are not resolved (an unknown tag is a well-formed tree;
 * ./check.ts says it is unknown). Parentheses leave no node of their own: a node's span covers the
 * text of its production, parentheses inside it included and those around it not, so the text at a
 * node's span always parses back to that node, and `(TEL_FOO)` is a tag at column 2.
 */

/**
 * Where a node was written: 1-based columns, as error messages count them; `end` is exclusive, so
 * `source.slice(start - 1, end - 1)` is the node's text. A tree read from JSON has the positions of
 * its canonical text (`printSegment`).
 */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=";
export type LiteralValue = string | number | boolean;

/** `ALL`, or the empty expression: every customer. */
export interface AllNode extends Span {
  readonly kind: "all";
}
/** Two or more conditions joined by AND (`kind: "and"`) or OR (`kind: "or"`), in written order. */
export interface AndNode extends Span {
  readonly kind: "and";
  readonly of: readonly ConditionNode[];
}
export interface OrNode extends Span {
  readonly kind: "or";
  readonly of: readonly ConditionNode[];
}
export interface NotNode extends Span {
  readonly kind: "not";
  readonly of: ConditionNode;
}
/** `left op right`, as written (either side may be the literal). */
export interface CompareNode extends Span {
  readonly kind: "compare";
  readonly op: CompareOp;
  /** Where the operator was written: "needs numbers" errors point at it. */
  readonly opSpan: Span;
  readonly left: ValueNode;
  readonly right: ValueNode;
}
/** `value IN (…)`, or `value NOT IN (…)` when `negated`. */
export interface InNode extends Span {
  readonly kind: "in";
  readonly negated: boolean;
  readonly value: ValueNode;
  readonly list: readonly LiteralNode[];
}
/** `holds(BROADBAND)`: holds a product of that kind. */
export interface HoldsKindNode extends Span {
  readonly kind: "holdsKind";
  readonly productKind: string;
  /** Where the kind was written inside the parentheses. */
  readonly arg: Span;
}
/** `holds("5G-PLAN-128")`: holds the product with that business code. */
export interface HoldsCodeNode extends Span {
  readonly kind: "holdsCode";
  readonly productCode: string;
  readonly arg: Span;
}
/** A tag code standing alone: the customer carries the tag. */
export interface TagNode extends Span {
  readonly kind: "tag";
  readonly code: string;
}
/** A tag code compared or listed: the value of a category tag. */
export interface TagValueNode extends Span {
  readonly kind: "tagValue";
  readonly code: string;
}
/** `score(VAL_CHURN_SCORE)`: a tag's score. */
export interface ScoreNode extends Span {
  readonly kind: "score";
  readonly code: string;
  /** Where the tag code was written inside the parentheses. */
  readonly arg: Span;
}
/** `inSegment(CHURN_RISK)`: the customer belongs to another saved segment (by its code). */
export interface InSegmentNode extends Span {
  readonly kind: "inSegment";
  readonly code: string;
  /** Where the code was written inside the parentheses. */
  readonly arg: Span;
}
/** Who `family(…)` and `circle(…)` count: the other members of the customer's family group, or its calling circle (CALLS either way). */
export type Relation = "family" | "circle";
export const RELATIONS: readonly Relation[] = ["family", "circle"];
/**
 * `family(holds(BROADBAND))`, `circle(networkType = "5G") >= 3`: how many of the customer's family
 * members (or calling-circle contacts) satisfy the condition inside. A number when compared; standing
 * alone, a condition: at least one does.
 */
export interface RelatedNode extends Span {
  readonly kind: "related";
  readonly relation: Relation;
  readonly of: ConditionNode;
}
/** What a trajectory predicate looks for in the customer's contacts (src/domain/vocabulary.ts CONTACT_KINDS). */
export type TrajectoryEvent = "contacted" | "complained" | "offered" | "unanswered";
export const TRAJECTORY_EVENTS: readonly TrajectoryEvent[] = ["contacted", "complained", "offered", "unanswered"];
/**
 * A trajectory predicate, over the contacts of the last `within` (`48h`, `14d`) before the moment a
 * segment is sized at:
 *
 *     contacted([CHANNEL,] WINDOW)             any contact (on that channel)
 *     complained([CHANNEL,] WINDOW)            a complaint (on that channel)
 *     offered([CHANNEL,] PRODUCT, WINDOW)      an offer presented about the product (a kind, or a quoted code)
 *     unanswered([CHANNEL,] PRODUCT, WINDOW)   … that the customer has not answered (no acceptance, refusal or click since)
 */
export interface TrajectoryNode extends Span {
  readonly kind: "trajectory";
  readonly event: TrajectoryEvent;
  readonly channel: string | null;
  /** The product an offer was about: a kind (`BROADBAND`) or a business code (`"5G-PLAN-128"`); at most one, and only for offered/unanswered. */
  readonly productKind: string | null;
  readonly productCode: string | null;
  /** A whole number of hours or days: `48h`, `14d`. */
  readonly within: string;
  readonly channelArg: Span | null;
  readonly productArg: Span | null;
  readonly withinArg: Span;
}
/** A customer attribute (`arpu`) or an event field (`event.percent`); as a condition, a boolean one. */
export interface AttributeNode extends Span {
  readonly kind: "attribute";
  readonly name: string;
}
/** A number, a text or true/false; `true` and `false` are also conditions on their own. */
export interface LiteralNode extends Span {
  readonly kind: "literal";
  readonly value: LiteralValue;
}

/** What may stand on either side of a comparison or before IN. */
export type ValueNode = TagValueNode | ScoreNode | AttributeNode | LiteralNode | RelatedNode;

/**
 * What may stand where a condition is expected. Score, attribute and literal nodes are here because
 * the grammar allows them (`doNotDisturb`, `true`); the checker refuses those that are not boolean.
 */
export type ConditionNode =
  | AllNode
  | AndNode
  | OrNode
  | NotNode
  | CompareNode
  | InNode
  | HoldsKindNode
  | HoldsCodeNode
  | TagNode
  | InSegmentNode
  | RelatedNode
  | TrajectoryNode
  | ScoreNode
  | AttributeNode
  | LiteralNode;

/** A whole expression. */
export type SegmentAst = ConditionNode;

// ───────────────────────────── limits and lexical shapes ─────────────────────────────

/** Longest expression accepted, and deepest nesting, so a hostile input cannot exhaust the stack. */
export const MAX_LENGTH = 4000;
export const MAX_DEPTH = 40;

/** A tag code. */
export const UPPER_SNAKE = /^[A-Z][A-Z0-9_]*$/;
/** One identifier as the tokenizer reads it: a name, or a dotted path such as event.percent. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Words that are never names, in any case. */
export const KEYWORDS: ReadonlySet<string> = new Set(["and", "or", "not", "in", "all", "true", "false"]);

export const COMPARE_OPS: readonly CompareOp[] = ["=", "!=", "<", "<=", ">", ">="];

/** A trajectory window as written: a whole number of hours or days without leading zeros, e.g. `48h`, `14d`. */
export const WITHIN = /^[1-9][0-9]{0,5}[dh]$/;

/** How a segment code is written: bare when the tokenizer reads it back as one name, quoted otherwise (codes may hold dashes). */
export function printSegmentCode(code: string): string {
  return UPPER_SNAKE.test(code) && !KEYWORDS.has(code.toLowerCase()) ? code : quote(code);
}

// ───────────────────────────── canonical text ─────────────────────────────

/**
 * The canonical text of a tree: keywords in upper case, `=`/`!=` rather than `==`/`<>`/`≠`,
 * double-quoted text, single spaces, and parentheses only where the tree needs them (an AND or OR
 * inside an AND, OR or NOT; never around an AND inside an OR, which binds tighter anyway).
 * Parsing the result gives the same tree (positions aside), so text → tree → text is stable.
 */
export function printSegment(ast: SegmentAst): string {
  return layout(ast).text;
}

/** The tree again with the positions of its canonical text, and that text. */
function layout(ast: SegmentAst): { ast: SegmentAst; text: string } {
  const w = new Writer();
  return { ast: w.condition(ast, undefined), text: w.text };
}

/** Whether a `child` condition needs parentheses under a `parent` to parse back as the same tree. */
function needsParens(parent: ConditionNode["kind"] | undefined, child: ConditionNode["kind"]): boolean {
  if (parent === undefined) return false;
  if (child === "and") return parent === "and" || parent === "not";
  if (child === "or") return parent === "and" || parent === "or" || parent === "not";
  return false;
}

/** Text with a double quote; a backslash escapes `"` and itself, as the tokenizer reads them. */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * A number as the tokenizer reads it: no exponent (1e21 is written out, 1e-7 as 0.0000001), which
 * String() would use for very large and very small numbers. Digits are String()'s, so the value
 * reads back exactly.
 */
export function plainNumber(n: number): string {
  const s = String(n);
  const e = s.indexOf("e");
  if (e < 0) return s;
  const negative = s.startsWith("-");
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/** The canonical spelling of a literal. */
export function printLiteral(value: LiteralValue): string {
  if (typeof value === "string") return quote(value);
  if (typeof value === "number") return plainNumber(value);
  return value ? "true" : "false";
}

/** Writes canonical text and rebuilds each node with the span it got in that text. */
class Writer {
  text = "";

  private get col(): number {
    return this.text.length + 1;
  }

  private word(s: string): Span {
    const start = this.col;
    this.text += s;
    return { start, end: this.col };
  }

  condition(n: ConditionNode, parent: ConditionNode["kind"] | undefined): ConditionNode {
    if (!needsParens(parent, n.kind)) return this.bare(n);
    this.text += "(";
    const inner = this.bare(n);
    this.text += ")";
    return inner;
  }

  private bare(n: ConditionNode): ConditionNode {
    const start = this.col;
    switch (n.kind) {
      case "all":
        this.text += "ALL";
        return { kind: "all", start, end: this.col };
      case "and":
      case "or": {
        const of: ConditionNode[] = [];
        for (const [i, part] of n.of.entries()) {
          if (i > 0) this.text += n.kind === "and" ? " AND " : " OR ";
          of.push(this.condition(part, n.kind));
        }
        return { kind: n.kind, of, start, end: this.col };
      }
      case "not": {
        this.text += "NOT ";
        const of = this.condition(n.of, "not");
        return { kind: "not", of, start, end: this.col };
      }
      case "compare": {
        const left = this.value(n.left);
        this.text += " ";
        const opSpan = this.word(n.op);
        this.text += " ";
        const right = this.value(n.right);
        return { kind: "compare", op: n.op, opSpan, left, right, start, end: this.col };
      }
      case "in": {
        const value = this.value(n.value);
        this.text += n.negated ? " NOT IN (" : " IN (";
        const list: LiteralNode[] = [];
        for (const [i, item] of n.list.entries()) {
          if (i > 0) this.text += ", ";
          list.push({ kind: "literal", value: item.value, ...this.word(printLiteral(item.value)) });
        }
        this.text += ")";
        return { kind: "in", negated: n.negated, value, list, start, end: this.col };
      }
      case "holdsKind": {
        this.text += "holds(";
        const arg = this.word(n.productKind);
        this.text += ")";
        return { kind: "holdsKind", productKind: n.productKind, arg, start, end: this.col };
      }
      case "holdsCode": {
        this.text += "holds(";
        const arg = this.word(quote(n.productCode));
        this.text += ")";
        return { kind: "holdsCode", productCode: n.productCode, arg, start, end: this.col };
      }
      case "tag":
        return { kind: "tag", code: n.code, ...this.word(n.code) };
      case "inSegment": {
        this.text += "inSegment(";
        const arg = this.word(printSegmentCode(n.code));
        this.text += ")";
        return { kind: "inSegment", code: n.code, arg, start, end: this.col };
      }
      case "trajectory": {
        this.text += `${n.event}(`;
        const channelArg = n.channel === null ? null : this.word(n.channel);
        if (channelArg) this.text += ", ";
        let productArg: Span | null = null;
        if (n.productKind !== null) productArg = this.word(n.productKind);
        else if (n.productCode !== null) productArg = this.word(quote(n.productCode));
        if (productArg) this.text += ", ";
        const withinArg = this.word(n.within);
        this.text += ")";
        return { kind: "trajectory", event: n.event, channel: n.channel, productKind: n.productKind, productCode: n.productCode, within: n.within, channelArg, productArg, withinArg, start, end: this.col };
      }
      case "related":
      case "score":
      case "attribute":
      case "literal":
        return this.value(n);
    }
  }

  private value<T extends ValueNode>(n: T): T;
  private value(n: ValueNode): ValueNode {
    switch (n.kind) {
      case "tagValue":
        return { kind: "tagValue", code: n.code, ...this.word(n.code) };
      case "attribute":
        return { kind: "attribute", name: n.name, ...this.word(n.name) };
      case "literal":
        return { kind: "literal", value: n.value, ...this.word(printLiteral(n.value)) };
      case "score": {
        const start = this.col;
        this.text += "score(";
        const arg = this.word(n.code);
        this.text += ")";
        return { kind: "score", code: n.code, arg, start, end: this.col };
      }
      case "related": {
        const start = this.col;
        this.text += `${n.relation}(`;
        const of = this.condition(n.of, undefined);
        this.text += ")";
        return { kind: "related", relation: n.relation, of, start, end: this.col };
      }
    }
  }
}

// ───────────────────────────── JSON form ─────────────────────────────

/**
 * The JSON form of a condition: the tree without positions. Example, for
 * `TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)`:
 *
 *     { "kind": "and", "of": [
 *       { "kind": "tag", "code": "TEL_DATA_HEAVY" },
 *       { "kind": "compare", "op": ">=", "left": { "kind": "attribute", "name": "arpu" },
 *         "right": { "kind": "literal", "value": 100 } },
 *       { "kind": "not", "of": { "kind": "holdsKind", "productKind": "BROADBAND" } } ] }
 */
export type SegmentJson =
  | { kind: "all" }
  | { kind: "and" | "or"; of: SegmentJson[] }
  | { kind: "not"; of: SegmentJson }
  | { kind: "compare"; op: CompareOp; left: SegmentValueJson; right: SegmentValueJson }
  | { kind: "in"; negated: boolean; value: SegmentValueJson; list: LiteralValue[] }
  | { kind: "holdsKind"; productKind: string }
  | { kind: "holdsCode"; productCode: string }
  | { kind: "tag"; code: string }
  | { kind: "inSegment"; code: string }
  | { kind: "related"; relation: Relation; of: SegmentJson }
  | { kind: "trajectory"; event: TrajectoryEvent; channel: string | null; productKind: string | null; productCode: string | null; within: string }
  | { kind: "score"; code: string }
  | { kind: "attribute"; name: string }
  | { kind: "literal"; value: LiteralValue };

/** The JSON form of a value: either side of a comparison, or the left of IN. */
export type SegmentValueJson =
  | { kind: "tagValue"; code: string }
  | { kind: "score"; code: string }
  | { kind: "attribute"; name: string }
  | { kind: "literal"; value: LiteralValue }
  | { kind: "related"; relation: Relation; of: SegmentJson };

/** The JSON form of a tree (positions dropped); plain objects and arrays only, fields in a fixed order. */
export function segmentToJson(ast: SegmentAst): SegmentJson {
  switch (ast.kind) {
    case "all":
      return { kind: "all" };
    case "and":
    case "or":
      return { kind: ast.kind, of: ast.of.map(segmentToJson) };
    case "not":
      return { kind: "not", of: segmentToJson(ast.of) };
    case "compare":
      return { kind: "compare", op: ast.op, left: valueToJson(ast.left), right: valueToJson(ast.right) };
    case "in":
      return { kind: "in", negated: ast.negated, value: valueToJson(ast.value), list: ast.list.map((l) => l.value) };
    case "holdsKind":
      return { kind: "holdsKind", productKind: ast.productKind };
    case "holdsCode":
      return { kind: "holdsCode", productCode: ast.productCode };
    case "tag":
      return { kind: "tag", code: ast.code };
    case "inSegment":
      return { kind: "inSegment", code: ast.code };
    case "trajectory":
      return { kind: "trajectory", event: ast.event, channel: ast.channel, productKind: ast.productKind, productCode: ast.productCode, within: ast.within };
    case "related":
    case "score":
    case "attribute":
    case "literal":
      return valueToJson(ast);
  }
}

function valueToJson<T extends ValueNode>(n: T): Extract<SegmentValueJson, { kind: T["kind"] }>;
function valueToJson(n: ValueNode): SegmentValueJson {
  switch (n.kind) {
    case "tagValue":
      return { kind: "tagValue", code: n.code };
    case "score":
      return { kind: "score", code: n.code };
    case "attribute":
      return { kind: "attribute", name: n.name };
    case "literal":
      return { kind: "literal", value: n.value };
    case "related":
      return { kind: "related", relation: n.relation, of: segmentToJson(n.of) };
  }
}

/**
 * Reads the JSON form from untrusted input (a visual builder, an API client) into a tree whose
 * positions are those of its canonical text, so the checker's "at column N" errors point into
 * `printSegment` of the result. Refuses anything the canonical text could not say, with a
 * SegmentJsonError naming the path: unknown kinds, missing, extra (`__proto__` included) or
 * mistyped fields, names the tokenizer would read differently, nesting deeper than the text allows,
 * and documents whose text would exceed the length limit. An AND or OR of a single condition is
 * that condition (builders produce them while editing); an empty one is refused.
 */
export function segmentFromJson(json: unknown, options: { argument?: string } = {}): SegmentAst {
  const reader = new JsonReader(options.argument ?? "segment");
  const tree = reader.condition(json, "$", 0, undefined);
  const { ast, text } = layout(tree);
  if (text.length > MAX_LENGTH) {
    throw new SegmentJsonError(`the expression is ${text.length} characters long as text; keep it under ${MAX_LENGTH}`, "$", reader.argument);
  }
  return ast;
}

const CONDITION_FIELDS = {
  all: [],
  and: ["of"],
  or: ["of"],
  not: ["of"],
  compare: ["op", "left", "right"],
  in: ["negated", "value", "list"],
  holdsKind: ["productKind"],
  holdsCode: ["productCode"],
  tag: ["code"],
  inSegment: ["code"],
  related: ["relation", "of"],
  trajectory: ["event", "channel", "productKind", "productCode", "within"],
  score: ["code"],
  attribute: ["name"],
  literal: ["value"],
} as const satisfies Record<ConditionNode["kind"], readonly string[]>;
const VALUE_KINDS = ["tagValue", "score", "attribute", "literal", "related"] as const satisfies readonly ValueNode["kind"][];
const VALUE_FIELDS = { tagValue: ["code"], score: ["code"], attribute: ["name"], literal: ["value"], related: ["relation", "of"] } as const satisfies Record<ValueNode["kind"], readonly string[]>;
/** A segment code as the admin accepts it (src/marketing/admin.ts). */
const SEGMENT_CODE = /^[A-Z0-9][A-Z0-9_-]{1,39}$/;
const CONDITION_KINDS = Object.keys(CONDITION_FIELDS) as Array<keyof typeof CONDITION_FIELDS>;

/** No positions yet: the writer assigns them. */
const NOWHERE: Span = { start: 0, end: 0 };

/** Validates the JSON form into a tree without positions; stops early on size and depth. */
class JsonReader {
  /** Nodes read plus characters of text and names: a lower bound of the canonical text's length. */
  private size = 0;

  constructor(readonly argument: string) {}

  /** `depth`: nesting the condition will have in the canonical text (NOTs and parentheses), as the parser counts it. */
  condition(json: unknown, path: string, depth: number, parent: ConditionNode["kind"] | undefined): ConditionNode {
    const obj = this.object(json, path, "a condition", '{"kind":"tag","code":"TEL_DATA_HEAVY"}');
    const kind = this.kind(obj, path, CONDITION_KINDS, "a condition");
    if (kind === "tagValue") this.fail(path, `a tagValue is a value, not a condition; a tag standing alone is {"kind":"tag","code":"…"}`);
    if (!isOneOf(kind, CONDITION_KINDS)) {
      this.fail(`${path}.kind`, `unknown kind ${JSON.stringify(kind)}; a condition is one of ${CONDITION_KINDS.join(", ")}`);
    }
    this.fields(obj, path, kind, CONDITION_FIELDS[kind]);
    this.grow(1, path);

    let parts: readonly unknown[] = [];
    if (kind === "and" || kind === "or") {
      parts = this.array(obj.of, `${path}.of`, "conditions");
      if (parts.length === 0) this.fail(`${path}.of`, `an ${kind.toUpperCase()} needs at least one condition`);
      // one condition alone is itself, as text would have it, nested as deep as the group would have been
      if (parts.length === 1) return this.condition(parts[0], `${path}.of[0]`, depth, parent);
    }

    const own = depth + (kind === "not" ? 1 : 0) + (needsParens(parent, kind) ? 1 : 0);
    if (own > MAX_DEPTH) this.fail(path, `the expression nests deeper than ${MAX_DEPTH} levels; simplify it`);

    switch (kind) {
      case "all":
        return { kind, ...NOWHERE };
      case "and":
      case "or":
        return { kind, of: parts.map((item, i) => this.condition(item, `${path}.of[${i}]`, own, kind)), ...NOWHERE };
      case "not":
        return { kind, of: this.condition(obj.of, `${path}.of`, own, kind), ...NOWHERE };
      case "compare": {
        const op = obj.op;
        if (typeof op !== "string" || !isOneOf(op, COMPARE_OPS)) this.fail(`${path}.op`, `expected one of ${COMPARE_OPS.join(" ")} but found ${describeJson(op)}`);
        const left = this.value(obj.left, `${path}.left`, own);
        const right = this.value(obj.right, `${path}.right`, own);
        return { kind, op, opSpan: NOWHERE, left, right, ...NOWHERE };
      }
      case "in": {
        if (typeof obj.negated !== "boolean") this.fail(`${path}.negated`, `expected true or false but found ${describeJson(obj.negated)}`);
        const value = this.value(obj.value, `${path}.value`, own);
        const items = this.array(obj.list, `${path}.list`, "values");
        if (items.length === 0) this.fail(`${path}.list`, "an IN list needs at least one value");
        const list = items.map((item, i): LiteralNode => ({ kind: "literal", value: this.literal(item, `${path}.list[${i}]`), ...NOWHERE }));
        return { kind, negated: obj.negated, value, list, ...NOWHERE };
      }
      case "holdsKind": {
        const productKind = this.name(obj.productKind, `${path}.productKind`, IDENTIFIER, "a product kind such as BROADBAND");
        return { kind, productKind, arg: NOWHERE, ...NOWHERE };
      }
      case "holdsCode":
        return { kind, productCode: this.text(obj.productCode, `${path}.productCode`, 'a product code such as "5G-PLAN-128"'), arg: NOWHERE, ...NOWHERE };
      case "tag":
        return { kind, code: this.tagCode(obj.code, `${path}.code`), ...NOWHERE };
      case "inSegment":
        return { kind, code: this.name(obj.code, `${path}.code`, SEGMENT_CODE, "a segment code such as CHURN_RISK"), arg: NOWHERE, ...NOWHERE };
      case "trajectory":
        return this.trajectory(obj, path);
      case "related":
      case "score":
      case "attribute":
      case "literal":
        return this.valueOf(kind, obj, path, own);
    }
  }

  private trajectory(obj: Readonly<Record<string, unknown>>, path: string): TrajectoryNode {
    const event = obj.event;
    if (typeof event !== "string" || !isOneOf(event, TRAJECTORY_EVENTS)) this.fail(`${path}.event`, `expected one of ${TRAJECTORY_EVENTS.join(", ")} but found ${describeJson(event)}`);
    const channel = obj.channel === null ? null : this.name(obj.channel, `${path}.channel`, UPPER_SNAKE, "a channel code such as SMS, or null");
    const productKind = obj.productKind === null ? null : this.name(obj.productKind, `${path}.productKind`, IDENTIFIER, "a product kind such as BROADBAND, or null");
    const productCode = obj.productCode === null ? null : this.text(obj.productCode, `${path}.productCode`, 'a product code such as "5G-PLAN-128", or null');
    const aboutProduct = event === "offered" || event === "unanswered";
    if (productKind !== null && productCode !== null) this.fail(path, "give productKind or productCode, not both");
    if (aboutProduct && productKind === null && productCode === null) this.fail(path, `${event} is about a product: give productKind or productCode`);
    if (!aboutProduct && (productKind !== null || productCode !== null)) this.fail(path, `${event} takes no product; productKind and productCode are null`);
    const within = obj.within;
    if (typeof within !== "string" || !WITHIN.test(within)) this.fail(`${path}.within`, `expected a window such as "48h" or "14d" (whole hours or days) but found ${describeJson(within)}`);
    this.grow(within.length, path);
    return { kind: "trajectory", event, channel, productKind, productCode, within, channelArg: null, productArg: null, withinArg: NOWHERE, ...NOWHERE };
  }

  private value(json: unknown, path: string, depth: number): ValueNode {
    const obj = this.object(json, path, "a value", '{"kind":"attribute","name":"arpu"}');
    const kind = this.kind(obj, path, VALUE_KINDS, "a value");
    if (!isOneOf(kind, VALUE_KINDS)) {
      const hint = kind === "tag" ? '; a tag\'s value is {"kind":"tagValue","code":"…"}' : "";
      this.fail(`${path}.kind`, `${isOneOf(kind, CONDITION_KINDS) ? `${an(kind)} is a condition, not a value` : `unknown kind ${JSON.stringify(kind)}`}; a value is one of ${VALUE_KINDS.join(", ")}${hint}`);
    }
    this.fields(obj, path, kind, VALUE_FIELDS[kind]);
    this.grow(1, path);
    return this.valueOf(kind, obj, path, depth);
  }

  private valueOf<K extends ValueNode["kind"]>(kind: K, obj: Readonly<Record<string, unknown>>, path: string, depth: number): Extract<ValueNode, { kind: K }>;
  private valueOf(kind: ValueNode["kind"], obj: Readonly<Record<string, unknown>>, path: string, depth: number): ValueNode {
    switch (kind) {
      case "related": {
        const relation = obj.relation;
        if (typeof relation !== "string" || !isOneOf(relation, RELATIONS)) this.fail(`${path}.relation`, `expected one of ${RELATIONS.join(", ")} but found ${describeJson(relation)}`);
        // the parentheses of family(…) nest like any others
        if (depth + 1 > MAX_DEPTH) this.fail(path, `the expression nests deeper than ${MAX_DEPTH} levels; simplify it`);
        return { kind, relation, of: this.condition(obj.of, `${path}.of`, depth + 1, undefined), ...NOWHERE };
      }
      case "tagValue":
        return { kind, code: this.tagCode(obj.code, `${path}.code`), ...NOWHERE };
      case "score":
        return { kind, code: this.tagCode(obj.code, `${path}.code`), arg: NOWHERE, ...NOWHERE };
      case "attribute": {
        const name = this.name(obj.name, `${path}.name`, IDENTIFIER, "an attribute name such as arpu or event.percent");
        // an upper-case name would read back as a tag code
        if (UPPER_SNAKE.test(name)) this.fail(`${path}.name`, `${name} is written like a tag code; attributes are lowerCamel, e.g. arpu`);
        return { kind, name, ...NOWHERE };
      }
      case "literal":
        return { kind, value: this.literal(obj.value, `${path}.value`), ...NOWHERE };
    }
  }

  private literal(json: unknown, path: string): LiteralValue {
    if (typeof json === "boolean") return json;
    if (typeof json === "number") {
      if (!Number.isFinite(json)) this.fail(path, `expected a finite number but found ${describeJson(json)}`);
      this.grow(1, path);
      return json === 0 ? 0 : json; // -0 reads back as 0
    }
    if (typeof json === "string") {
      this.grow(json.length, path);
      return json;
    }
    return this.fail(path, `expected a number, a text or true/false but found ${describeJson(json)}`);
  }

  private tagCode(json: unknown, path: string): string {
    return this.name(json, path, UPPER_SNAKE, "a tag code such as TEL_DATA_HEAVY");
  }

  /** A name the tokenizer reads as one identifier and the parser not as a keyword. */
  private name(json: unknown, path: string, shape: RegExp, what: string): string {
    if (typeof json !== "string" || !shape.test(json) || KEYWORDS.has(json.toLowerCase())) {
      this.fail(path, `expected ${what} but found ${describeJson(json)}`);
    }
    this.grow(json.length, path);
    return json;
  }

  private text(json: unknown, path: string, what: string): string {
    if (typeof json !== "string") this.fail(path, `expected ${what} but found ${describeJson(json)}`);
    this.grow(json.length, path);
    return json;
  }

  private object(json: unknown, path: string, what: string, example: string): Readonly<Record<string, unknown>> {
    if (typeof json !== "object" || json === null || Array.isArray(json)) this.fail(path, `expected ${what} such as ${example} but found ${describeJson(json)}`);
    const proto: unknown = Object.getPrototypeOf(json);
    if (proto !== Object.prototype && proto !== null) this.fail(path, `expected ${what} as a plain JSON object`);
    return json as Readonly<Record<string, unknown>>;
  }

  private array(json: unknown, path: string, what: string): readonly unknown[] {
    if (!Array.isArray(json)) this.fail(path, `expected a list of ${what} but found ${describeJson(json)}`);
    this.grow(json.length, path);
    return json;
  }

  private kind(obj: Readonly<Record<string, unknown>>, path: string, kinds: readonly string[], what: string): string {
    if (!Object.hasOwn(obj, "kind")) this.fail(path, `${what} needs a "kind", one of ${kinds.join(", ")}`);
    const kind = obj.kind;
    if (typeof kind !== "string") this.fail(`${path}.kind`, `expected one of ${kinds.join(", ")} but found ${describeJson(kind)}`);
    return kind;
  }

  /** Exactly `kind` and `expected`, as own properties: anything else (`__proto__`, `constructor`, typos) is refused. */
  private fields(obj: Readonly<Record<string, unknown>>, path: string, kind: string, expected: readonly string[]): void {
    for (const key of Reflect.ownKeys(obj)) {
      if (typeof key === "string" && (key === "kind" || expected.includes(key))) continue;
      const field = typeof key === "string" ? key : String(key);
      const has = expected.length > 0 ? `has kind and ${expected.join(", ")}` : "has only kind";
      this.fail(fieldPath(path, field), `unexpected field ${JSON.stringify(field)}; ${an(kind)} node ${has}`);
    }
    for (const key of expected) if (!Object.hasOwn(obj, key)) this.fail(path, `${an(kind)} node needs ${JSON.stringify(key)}`);
  }

  private grow(by: number, path: string): void {
    this.size += by;
    if (this.size > MAX_LENGTH) this.fail(path, `the expression is too large: its text would exceed ${MAX_LENGTH} characters`);
  }

  private fail(path: string, message: string): never {
    throw new SegmentJsonError(message, path, this.argument);
  }
}

/** "an and", "a tag": the kind with its article. */
function an(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

function isOneOf<T extends string>(value: string, list: readonly T[]): value is T {
  return (list as readonly string[]).includes(value);
}

/** `$.a.b` for names, `$.a["x-y"]` for anything else. */
function fieldPath(path: string, field: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(field) ? `${path}.${field}` : `${path}[${JSON.stringify(field)}]`;
}

/** A JSON value in a few words, for "but found …". */
function describeJson(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

/**
 * The JSON path (`$.of[1].left`) of the innermost node of a tree whose text spans `column`: where a
 * checker error about a tree read from JSON lies in that JSON. `$` when no node holds it.
 */
export function jsonPathAt(ast: SegmentAst, column: number): string {
  let found = "$";
  const inside = (n: Span): boolean => n.start <= column && column < Math.max(n.end, n.start + 1);
  const visit = (n: ConditionNode | ValueNode, path: string): void => {
    if (!inside(n)) return;
    found = path;
    switch (n.kind) {
      case "and":
      case "or":
        n.of.forEach((c, i) => visit(c, `${path}.of[${i}]`));
        return;
      case "not":
      case "related":
        visit(n.of, `${path}.of`);
        return;
      case "compare":
        visit(n.left, `${path}.left`);
        visit(n.right, `${path}.right`);
        return;
      case "in":
        visit(n.value, `${path}.value`);
        n.list.forEach((l, i) => {
          if (inside(l)) found = `${path}.list[${i}]`;
        });
        return;
      default:
        return;
    }
  };
  visit(ast, "$");
  return found;
}
