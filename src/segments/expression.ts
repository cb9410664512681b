/**
 * Segment expressions: which customers a strategy targets, written by operators as one line of text,
 * compiled once (checked against the tag library, the customer attributes and the catalogue) and then
 * evaluated for every decision.
 *
 * Syntax
 *   TEL_DATA_HEAVY                     the customer carries this published tag (UPPER_SNAKE tag code)
 *   BAS_AGE_BAND = "25-34岁"           a CATEGORY tag's value (= != IN); flag tags are tested bare,
 *                                      score tags through score()
 *   score(VAL_CHURN_SCORE) >= 0.6      a tag's score (any tag)
 *   arpu >= 100                        a customer attribute (lowerCamel, see CUSTOMER_ATTRIBUTES)
 *   event.percent >= 90                a field of the event that fires a strategy trigger (only in
 *                                      trigger conditions, whose vocabulary adds src/realtime/event-types.ts
 *                                      eventAttributes)
 *   lifecycleStage = "CHURN_RISK"      text, including enum values, is always quoted ("…" or '…');
 *                                      a bare UPPER_SNAKE name is always a tag code, never a value
 *   dataUsedMb > dataQuotaMb           two attributes (or scores) of the same type may be compared
 *   segment IN ("FAMILY", "ENTERPRISE")   and   segment NOT IN (…)
 *   doNotDisturb                       a boolean attribute on its own: it is true
 *   holds(BROADBAND)                   holds a product of that kind (bare kind name)
 *   holds("5G-PLAN-128")               holds the product with that business code (quoted)
 *   NOT, AND, OR (any case; also !, &&, ||), parentheses; comparisons = != < <= > >= (also ==, <>, ≠, ≤, ≥)
 *   numbers (-1, 0.6), "text", true, false
 *   ALL, true or an empty expression   every customer
 * Precedence: comparison > NOT > AND > OR, so `NOT a OR b AND c` is `(NOT a) OR (b AND c)` and
 * `NOT arpu >= 100` is `NOT (arpu >= 100)`.
 *
 * Semantics of a missing value (a tag the customer does not carry, an attribute that is unknown, e.g.
 * familyMember when the caller did not supply it, dndList when not on a list):
 *   - `<`, `<=`, `>`, `>=` and IN are false;
 *   - `=` is false and `!=` is true, so `x != v` is always exactly `NOT x = v`.
 *
 * Checked at compile time, with the column of the offending token: unknown tags, attributes, product
 * kinds and codes, enum values outside their list, malformed region ids, comparing values of different
 * types, ordering text, comparing a flag or score tag's value.
 *
 * Why hand-written rather than a library such as jsep: jsep parses JavaScript expressions, so word
 * operators (AND/OR/NOT/IN, any case), `=` for equality and `IN (…)` lists would all be plugins, and
 * its nodes carry no source positions, which the "at column N" errors operators need depend on.
 * The grammar is ten lines; a recursive-descent parser over a small tokenizer is shorter than the
 * plugins would be.
 *
 * Evaluation: the parser builds closures directly (no AST walk at evaluation time); `evaluate` runs
 * the boolean test and, only when it matches, walks the same tree once more to collect the facts
 * that made it true.
 */
import { editDistance } from "../platform/edit-distance";
import { BadUserInputError } from "../platform/errors";
import { PRODUCT_KINDS } from "../domain/vocabulary";
import type { ProductRecord, TagRecord } from "../graph/records";
import type { SegmentSubject } from "./attributes";
import type { AttributeInfo, AttributeType, AttributeValue } from "../domain/attributes";
import { CUSTOMER_ATTRIBUTES } from "./attributes";
import { isServedTag } from "../customer360/published";

/** What an expression may reference. */
export interface SegmentVocabulary {
  attributes: Readonly<Record<string, AttributeInfo>>;
  /** Published tags by code. */
  tags: ReadonlyMap<string, { name: string; valueType: "FLAG" | "CATEGORY" | "SCORE" }>;
  productKinds: readonly string[];
  productCodes: ReadonlySet<string>;
}

export interface SegmentMatch {
  matched: boolean;
  /**
   * Why it matched, in words an agent can read (e.g. "标签「流量重度用户」", "ARPU 128 ≥ 100",
   * "未持有 BROADBAND"): only the terms that made it true. Empty when it did not match.
   */
  because: string[];
}

export interface CompiledSegment {
  source: string;
  /** Tag codes and attribute names the expression references, each once, in order of appearance. */
  tagCodes: readonly string[];
  attributes: readonly string[];
  evaluate(s: SegmentSubject): SegmentMatch;
}

/** A segment expression that does not parse or does not type-check; the message names the column. */
export class SegmentExpressionError extends BadUserInputError {
  constructor(
    message: string,
    /** 1-based column of the offending token in the expression. */
    readonly column: number,
    argument = "segment",
  ) {
    super(message, argument);
    this.extensions.column = column;
  }
}

/** The syntax in a few lines, for GraphQL descriptions and error hints shown to operators. */
export const SEGMENT_EXPRESSION_HELP =
  'Segment expression: tags by code (TEL_DATA_HEAVY), a category tag\'s value (BAS_AGE_BAND = "25-34岁"), ' +
  "a tag's score (score(VAL_CHURN_SCORE) >= 0.6), customer attributes in lowerCamel (arpu >= 100, " +
  'lifecycleStage = "CHURN_RISK", segment IN ("FAMILY", "ENTERPRISE"), doNotDisturb), held products ' +
  '(holds(BROADBAND) by kind, holds("5G-PLAN-128") by code), combined with NOT, AND, OR and parentheses. ' +
  "Text is quoted. Empty or ALL means every customer.";

/** Longest expression accepted, and deepest nesting, so a hostile input cannot exhaust the stack. */
const MAX_LENGTH = 4000;
const MAX_DEPTH = 40;

/** The vocabulary of the current reference data: published tags, every product kind, the catalogue's codes. */
export function segmentVocabulary(products: ReadonlyMap<string, ProductRecord>, tags: ReadonlyMap<string, TagRecord>): SegmentVocabulary {
  const published = new Map<string, { name: string; valueType: TagRecord["valueType"] }>();
  for (const t of tags.values()) if (isServedTag(t)) published.set(t.code, { name: t.name, valueType: t.valueType });
  return {
    attributes: CUSTOMER_ATTRIBUTES,
    tags: published,
    productKinds: PRODUCT_KINDS,
    productCodes: new Set([...products.values()].map((p) => p.code)),
  };
}

/** Parses and type-checks `source`; throws SegmentExpressionError (BAD_USER_INPUT) with the column when it is wrong. */
export function compileSegment(source: string, vocabulary: SegmentVocabulary, options: { argument?: string } = {}): CompiledSegment {
  const argument = options.argument ?? "segment";
  if (source.length > MAX_LENGTH) {
    throw new SegmentExpressionError(`the segment expression is ${source.length} characters long; keep it under ${MAX_LENGTH}`, MAX_LENGTH + 1, argument);
  }
  const parser = new Parser(source, vocabulary, argument);
  const root = parser.parseExpression();
  return {
    source,
    tagCodes: [...parser.tagCodes],
    attributes: [...parser.attributeNames],
    evaluate(s: SegmentSubject): SegmentMatch {
      if (!root.test(s)) return { matched: false, because: [] };
      const because: string[] = [];
      root.explain(s, true, because);
      if (because.length === 0) because.push("全部客户");
      return { matched: true, because };
    },
  };
}

// ───────────────────────────── conditions (compiled form) ─────────────────────────────

interface Cond {
  test(s: SegmentSubject): boolean;
  /** Pushes the facts that make this condition `truth` for `s`; call only when test(s) === truth. */
  explain(s: SegmentSubject, truth: boolean, out: string[]): void;
}

/** A leaf: a test and the fact it observed, phrased whichever way it came out. */
function leaf(test: (s: SegmentSubject) => boolean, fact: (s: SegmentSubject) => string): Cond {
  return { test, explain: (s, _truth, out) => void out.push(fact(s)) };
}

function constant(value: boolean): Cond {
  return { test: () => value, explain: () => undefined };
}

function not(c: Cond): Cond {
  return { test: (s) => !c.test(s), explain: (s, truth, out) => c.explain(s, !truth, out) };
}

/** AND: true because every part is; false because of the parts that are false. */
function every(parts: readonly Cond[]): Cond {
  return {
    test(s) {
      for (const p of parts) if (!p.test(s)) return false;
      return true;
    },
    explain(s, truth, out) {
      for (const p of parts) if (truth || !p.test(s)) p.explain(s, truth, out);
    },
  };
}

/** OR: true because of the parts that are true; false because every part is. */
function some(parts: readonly Cond[]): Cond {
  return {
    test(s) {
      for (const p of parts) if (p.test(s)) return true;
      return false;
    },
    explain(s, truth, out) {
      for (const p of parts) if (!truth || p.test(s)) p.explain(s, truth, out);
    },
  };
}

/** A value in a comparison: a reference read from the subject, or a literal. */
interface Value {
  type: AttributeType;
  col: number;
  /** As written, for error messages. */
  source: string;
  /** As shown to agents, e.g. "ARPU", "标签「年龄段」". */
  label: string;
  /** The fact shown when the value is missing, e.g. "无标签「年龄段」". */
  missing: string;
  get(s: SegmentSubject): AttributeValue;
  literal: boolean;
  /** The literal's value, when `literal`. */
  value?: string | number | boolean;
  info?: AttributeInfo;
}

type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=";
const SYMBOL: Record<CompareOp, string> = { "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥" };
const NEGATED: Record<CompareOp, CompareOp> = { "=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<" };
const MIRRORED: Record<CompareOp, CompareOp> = { "=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

function holdsOrder(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      return false;
  }
}

function show(v: AttributeValue): string {
  if (v === null) return "无";
  if (typeof v === "boolean") return v ? "是" : "否";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  return v;
}

/** How a value is shown next to its counterpart: literals bare, references with their label. */
function showSide(side: Value, v: AttributeValue): string {
  return side.literal ? show(v) : `${side.label} ${show(v)}`;
}

function comparison(l: Value, op: CompareOp, r: Value): Cond {
  const lget = l.get;
  const rget = r.get;
  const ordering = op !== "=" && op !== "!=";
  const test = ordering
    ? (s: SegmentSubject): boolean => {
        const a = lget(s);
        const b = rget(s);
        return typeof a === "number" && typeof b === "number" && holdsOrder(op, a, b);
      }
    : op === "="
      ? (s: SegmentSubject): boolean => lget(s) === rget(s)
      : (s: SegmentSubject): boolean => lget(s) !== rget(s);
  const fact = (s: SegmentSubject): string => {
    const a = lget(s);
    const b = rget(s);
    if (a === null) return l.missing;
    if (b === null) return r.missing;
    if (l.type === "boolean" && r.literal) return `${l.label}：${show(a)}`;
    if (ordering) {
      const sym = SYMBOL[holdsOrder(op, a as number, b as number) ? op : NEGATED[op]];
      return `${l.label} ${show(a)} ${sym} ${showSide(r, b)}`;
    }
    if (a === b) return r.literal ? `${l.label}为 ${show(b)}` : `${l.label} ${show(a)} = ${showSide(r, b)}`;
    return `${l.label} ${show(a)} ≠ ${showSide(r, b)}`;
  };
  return leaf(test, fact);
}

function membership(l: Value, values: readonly (string | number | boolean)[]): Cond {
  const get = l.get;
  const set = new Set<AttributeValue>(values);
  const list = values.map(show).join("、");
  return leaf(
    (s) => {
      const v = get(s);
      return v !== null && set.has(v);
    },
    (s) => {
      const v = get(s);
      if (v === null) return l.missing;
      return set.has(v) ? `${l.label}为 ${show(v)}` : `${l.label} ${show(v)} 不在 ${list} 之列`;
    },
  );
}

// ───────────────────────────── tokens ─────────────────────────────

type TokenKind = "ident" | "string" | "number" | "op" | "(" | ")" | "," | "&&" | "||" | "!" | "end";

interface Token {
  kind: TokenKind;
  /** Identifier text, operator (normalised), string contents or number text. */
  text: string;
  col: number;
}

const OPERATOR_SPELLINGS: ReadonlyArray<[string, TokenKind, string]> = [
  // longest first
  ["&&", "&&", "&&"],
  ["||", "||", "||"],
  ["==", "op", "="],
  ["!=", "op", "!="],
  ["<>", "op", "!="],
  ["<=", "op", "<="],
  [">=", "op", ">="],
  ["=", "op", "="],
  ["<", "op", "<"],
  [">", "op", ">"],
  ["≠", "op", "!="],
  ["≤", "op", "<="],
  ["≥", "op", ">="],
  ["!", "!", "!"],
  ["(", "(", "("],
  [")", ")", ")"],
  [",", ",", ","],
  // full-width punctuation typed with a Chinese input method
  ["（", "(", "("],
  ["）", ")", ")"],
  ["，", ",", ","],
];

const QUOTES: Readonly<Record<string, string>> = { '"': '"', "'": "'", "“": "”" };

// A dotted name (event.percent) is one identifier, so the parser sees the whole path at once.
const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const NUMBER = /-?(?:\d+(?:\.\d+)?|\.\d+)/y;
const WORDISH = /[-\w.]+/y;

/** Runs a sticky regex at `at`; the match or null. */
function matchAt(re: RegExp, src: string, at: number): string | null {
  re.lastIndex = at;
  return re.exec(src)?.[0] ?? null;
}

function tokenize(src: string, argument: string): Token[] {
  const tokens: Token[] = [];
  const fail = (message: string, col: number): never => {
    throw new SegmentExpressionError(message, col, argument);
  };
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    const col = i + 1;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const ident = matchAt(IDENT, src, i);
    if (ident !== null) {
      tokens.push({ kind: "ident", text: ident, col });
      i += ident.length;
      continue;
    }
    const num = matchAt(NUMBER, src, i);
    if (num !== null) {
      const after = src[i + num.length];
      if (after !== undefined && /[A-Za-z_]/.test(after)) {
        const word = matchAt(WORDISH, src, i) ?? num;
        fail(`${word} at column ${col} is not a number; quote text values: "${word}"`, col);
      }
      tokens.push({ kind: "number", text: num, col });
      i += num.length;
      continue;
    }
    const close = QUOTES[ch];
    if (close !== undefined) {
      let text = "";
      let j = i + 1;
      while (j < src.length && src[j] !== close) {
        // a backslash escapes the next character, so a quote can be written inside text
        if (src[j] === "\\" && j + 1 < src.length) j += 1;
        text += src[j];
        j += 1;
      }
      if (j >= src.length) fail(`the text starting at column ${col} has no closing ${close}`, col);
      tokens.push({ kind: "string", text, col });
      i = j + 1;
      continue;
    }
    const spelling = OPERATOR_SPELLINGS.find(([s]) => src.startsWith(s, i));
    if (spelling) {
      tokens.push({ kind: spelling[1], text: spelling[2], col });
      i += spelling[0].length;
      continue;
    }
    if (ch === "&" || ch === "|") fail(`single ${ch} at column ${col}; write ${ch === "&" ? "AND (or &&)" : "OR (or ||)"}`, col);
    fail(`unexpected character "${ch}" at column ${col}`, col);
  }
  tokens.push({ kind: "end", text: "", col: src.length + 1 });
  return tokens;
}

// ───────────────────────────── parser ─────────────────────────────

const UPPER_SNAKE = /^[A-Z][A-Z0-9_]*$/;
const LOWER_CAMEL = /^[a-z][A-Za-z0-9]*$/;
/** An event field in a trigger condition: `event.<lowerCamel>`. */
const EVENT_FIELD = /^event\.[a-z][A-Za-z0-9]*$/;
const EVENT_PREFIX = "event.";
const KEYWORDS = new Set(["and", "or", "not", "in", "all", "true", "false"]);

/** A reference or literal as parsed, before the context (condition or comparison) decides what it means. */
type Operand =
  | { kind: "tag"; code: string; name: string; valueType: "FLAG" | "CATEGORY" | "SCORE"; col: number }
  | { kind: "score"; code: string; name: string; col: number; source: string }
  | { kind: "attribute"; name: string; info: AttributeInfo; col: number }
  | { kind: "literal"; value: string | number | boolean; col: number; source: string };

function tagLabel(name: string): string {
  return `标签「${name}」`;
}

function typeWord(t: AttributeType): string {
  return t === "number" ? "a number" : t === "string" ? "text" : "true or false";
}

function sampleLiteral(info: AttributeInfo): string {
  if (info.type === "number") return "100";
  if (info.type === "boolean") return "true";
  return `"${info.values?.[0] ?? "…"}"`;
}

class Parser {
  readonly tagCodes = new Set<string>();
  readonly attributeNames = new Set<string>();
  private readonly tokens: Token[];
  private pos = 0;
  private depth = 0;

  constructor(
    source: string,
    private readonly vocabulary: SegmentVocabulary,
    private readonly argument: string,
  ) {
    this.tokens = tokenize(source, argument);
  }

  parseExpression(): Cond {
    if (this.peek().kind === "end") return constant(true);
    const cond = this.parseOr();
    const t = this.peek();
    if (t.kind !== "end") {
      throw this.error(`expected AND, OR or the end of the expression at column ${t.col} but found ${this.describe(t)}`, t.col);
    }
    return cond;
  }

  private parseOr(): Cond {
    const parts = [this.parseAnd()];
    while (this.peek().kind === "||" || this.isWord(this.peek(), "or")) {
      this.next();
      parts.push(this.parseAnd());
    }
    return parts.length === 1 ? parts[0]! : some(parts);
  }

  private parseAnd(): Cond {
    const parts = [this.parseNot()];
    while (this.peek().kind === "&&" || this.isWord(this.peek(), "and")) {
      this.next();
      parts.push(this.parseNot());
    }
    return parts.length === 1 ? parts[0]! : every(parts);
  }

  private parseNot(): Cond {
    const t = this.peek();
    if (t.kind === "!" || this.isWord(t, "not")) {
      this.next();
      this.enter(t);
      const inner = this.parseNot();
      this.depth -= 1;
      return not(inner);
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Cond {
    const t = this.peek();
    if (t.kind === "(") {
      this.next();
      this.enter(t);
      const inner = this.parseOr();
      this.depth -= 1;
      const close = this.peek();
      if (close.kind !== ")") {
        throw this.error(`expected ) at column ${close.col} to close the ( at column ${t.col}, but found ${this.describe(close)}`, close.col);
      }
      this.next();
      return inner;
    }
    if (this.isWord(t, "all")) {
      this.next();
      return constant(true);
    }
    if (t.kind === "ident" && t.text.toLowerCase() === "holds" && this.peek(1).kind === "(") return this.parseHolds();

    const left = this.parseOperand();
    const next = this.peek();
    if (next.kind === "op") {
      this.next();
      return this.compare(left, next.text as CompareOp, this.parseOperand(), next);
    }
    if (this.isWord(next, "in")) {
      this.next();
      return this.parseIn(left);
    }
    if (this.isWord(next, "not") && this.isWord(this.peek(1), "in")) {
      this.next();
      this.next();
      return not(this.parseIn(left));
    }
    return this.condition(left);
  }

  /** An operand standing alone as a condition. */
  private condition(o: Operand): Cond {
    switch (o.kind) {
      case "tag": {
        const { code, name } = o;
        return leaf(
          (s) => s.tags.has(code),
          (s) => (s.tags.has(code) ? tagLabel(name) : `无${tagLabel(name)}`),
        );
      }
      case "score":
        throw this.error(`${o.source} at column ${o.col} is a number, not a condition; compare it, e.g. ${o.source} >= 0.6`, o.col);
      case "attribute": {
        const { name, info } = o;
        if (info.type !== "boolean") {
          throw this.error(
            `${name} at column ${o.col} is ${typeWord(info.type)}, not a condition; compare it, e.g. ${name} ${info.type === "number" ? ">=" : "="} ${sampleLiteral(info)}`,
            o.col,
          );
        }
        return leaf(
          (s) => s.attributes[name] === true,
          (s) => {
            const v = s.attributes[name] ?? null;
            return `${info.label}：${v === null ? "未知" : show(v)}`;
          },
        );
      }
      case "literal":
        if (typeof o.value === "boolean") return constant(o.value);
        throw this.error(`${o.source} at column ${o.col} is a value, not a condition; compare an attribute or tag with it, e.g. arpu >= 100`, o.col);
    }
  }

  private parseHolds(): Cond {
    const fn = this.next();
    this.next(); // (
    const arg = this.next();
    let cond: Cond;
    if (arg.kind === "ident") {
      const kind = arg.text;
      if (!this.vocabulary.productKinds.includes(kind)) {
        throw this.error(
          `unknown product kind ${kind} at column ${arg.col}${this.suggest(kind, this.vocabulary.productKinds, true)}; kinds are ${this.vocabulary.productKinds.join(", ")} (a product code is quoted: holds("5G-PLAN-128"))`,
          arg.col,
        );
      }
      cond = leaf(
        (s) => s.heldKinds.has(kind),
        (s) => (s.heldKinds.has(kind) ? `持有 ${kind}` : `未持有 ${kind}`),
      );
    } else if (arg.kind === "string") {
      const code = arg.text;
      if (!this.vocabulary.productCodes.has(code)) {
        const hint = this.vocabulary.productKinds.includes(code)
          ? `; ${code} is a product kind, write it without quotes: holds(${code})`
          : this.suggest(code, [...this.vocabulary.productCodes], true);
        throw this.error(`unknown product code "${code}" at column ${arg.col}${hint}`, arg.col);
      }
      cond = leaf(
        (s) => s.heldCodes.has(code),
        (s) => (s.heldCodes.has(code) ? `持有 ${code}` : `未持有 ${code}`),
      );
    } else {
      throw this.error(
        `${fn.text}( at column ${fn.col} takes a product kind such as BROADBAND or a quoted product code such as "5G-PLAN-128", but found ${this.describe(arg)}`,
        arg.col,
      );
    }
    this.expectClose(fn);
    return cond;
  }

  private parseIn(left: Operand): Cond {
    const l = this.valueOf(left);
    if (l.literal) throw this.error(`IN needs a tag or attribute on its left, but column ${l.col} has the value ${l.source}`, l.col);
    const open = this.next();
    if (open.kind !== "(") {
      throw this.error(`expected ( after IN at column ${open.col}, e.g. segment IN ("FAMILY", "ENTERPRISE"), but found ${this.describe(open)}`, open.col);
    }
    const values: (string | number | boolean)[] = [];
    for (;;) {
      const item = this.parseOperand();
      if (item.kind !== "literal") {
        throw this.error(`IN takes a list of values at column ${item.col}, e.g. segment IN ("FAMILY", "ENTERPRISE")`, item.col);
      }
      this.checkComparable(l, this.valueOf(item), "=", item.col);
      values.push(item.value);
      const sep = this.next();
      if (sep.kind === ")") break;
      if (sep.kind !== ",") throw this.error(`expected , or ) in the IN list at column ${sep.col} but found ${this.describe(sep)}`, sep.col);
    }
    return membership(l, values);
  }

  private compare(left: Operand, op: CompareOp, right: Operand, opToken: Token): Cond {
    let l = this.valueOf(left);
    let r = this.valueOf(right);
    if (l.literal && r.literal) {
      throw this.error(`the comparison at column ${opToken.col} compares two values; compare a tag or attribute with a value, e.g. arpu >= 100`, l.col);
    }
    if (l.literal) {
      [l, r] = [r, l];
      op = MIRRORED[op];
    }
    this.checkComparable(l, r, op, opToken.col);
    return comparison(l, op, r);
  }

  /** Type-checks `l op r` where `l` is a reference; throws at the column of the part in the wrong. */
  private checkComparable(l: Value, r: Value, op: CompareOp, opCol: number): void {
    if (l.type !== r.type) {
      const example = l.info ? `${l.source} ${op} ${sampleLiteral(l.info)}` : `${l.source} ${op} "…"`;
      throw this.error(`cannot compare ${l.source} (${typeWord(l.type)}) with ${r.source} (${typeWord(r.type)}) at column ${r.col}; e.g. ${example}`, r.col);
    }
    if (op !== "=" && op !== "!=" && l.type !== "number") {
      throw this.error(`${op} at column ${opCol} needs numbers, but ${l.source} is ${typeWord(l.type)}; use =, != or IN`, opCol);
    }
    const value = r.value;
    const info = l.info;
    if (typeof value !== "string" || !info) return;
    if (info.values && !info.values.includes(value)) {
      throw this.error(
        `unknown ${l.source} value "${value}" at column ${r.col}${this.suggest(value, info.values, true)}; ${l.source} is one of ${info.values.join(", ")}`,
        r.col,
      );
    }
    if (info.pattern && !info.pattern.test(value)) {
      throw this.error(`"${value}" at column ${r.col} is not a valid ${l.source}; it looks like ${info.description}`, r.col);
    }
  }

  /** What an operand means on either side of a comparison. */
  private valueOf(o: Operand): Value {
    switch (o.kind) {
      case "literal": {
        const v = o.value;
        return { type: typeof v as AttributeType, col: o.col, source: o.source, label: show(v), missing: "", get: () => v, literal: true, value: v };
      }
      case "attribute": {
        const { name, info } = o;
        return {
          type: info.type,
          col: o.col,
          source: name,
          label: info.label,
          missing: `${info.label}：${info.type === "boolean" ? "未知" : "无"}`,
          get: (s) => s.attributes[name] ?? null,
          literal: false,
          info,
        };
      }
      case "score": {
        const { code, name } = o;
        return {
          type: "number",
          col: o.col,
          source: o.source,
          label: `${tagLabel(name)}得分`,
          missing: `无${tagLabel(name)}`,
          get: (s) => s.tags.get(code)?.score ?? null,
          literal: false,
        };
      }
      case "tag": {
        const { code, name } = o;
        if (o.valueType === "FLAG") {
          throw this.error(`${code} at column ${o.col} is a flag tag and has no value to compare; write ${code} or NOT ${code}`, o.col);
        }
        if (o.valueType === "SCORE") {
          throw this.error(`${code} at column ${o.col} is a score tag; compare its score, e.g. score(${code}) >= 0.6`, o.col);
        }
        return {
          type: "string",
          col: o.col,
          source: code,
          label: tagLabel(name),
          missing: `无${tagLabel(name)}`,
          get: (s) => s.tags.get(code)?.value ?? null,
          literal: false,
        };
      }
    }
  }

  private parseOperand(): Operand {
    const t = this.next();
    if (t.kind === "number") return { kind: "literal", value: Number(t.text), col: t.col, source: t.text };
    if (t.kind === "string") return { kind: "literal", value: t.text, col: t.col, source: JSON.stringify(t.text) };
    if (t.kind !== "ident") throw this.error(`expected a tag, attribute or value at column ${t.col} but found ${this.describe(t)}`, t.col);

    const lower = t.text.toLowerCase();
    if (lower === "true" || lower === "false") return { kind: "literal", value: lower === "true", col: t.col, source: lower };
    if (KEYWORDS.has(lower)) throw this.error(`expected a tag, attribute or value at column ${t.col} but found ${t.text.toUpperCase()}`, t.col);
    if (this.peek().kind === "(") {
      if (lower === "holds") {
        throw this.error(`holds(…) at column ${t.col} is a condition on its own and cannot be compared; write holds(BROADBAND) or NOT holds(BROADBAND)`, t.col);
      }
      if (lower !== "score") {
        throw this.error(`unknown function ${t.text} at column ${t.col}; the functions are holds(KIND or "CODE") and score(TAG_CODE)`, t.col);
      }
      this.next();
      const arg = this.next();
      if (arg.kind !== "ident" || !UPPER_SNAKE.test(arg.text) || KEYWORDS.has(arg.text.toLowerCase())) {
        throw this.error(`score( at column ${t.col} takes a tag code such as VAL_CHURN_SCORE, but found ${this.describe(arg)}`, arg.col);
      }
      const tag = this.tag(arg);
      this.expectClose(t);
      return { kind: "score", code: arg.text, name: tag.name, col: t.col, source: `score(${arg.text})` };
    }
    if (UPPER_SNAKE.test(t.text)) {
      const tag = this.tag(t);
      return { kind: "tag", code: t.text, name: tag.name, valueType: tag.valueType, col: t.col };
    }
    if (t.text.includes(".")) return this.eventField(t);
    if (LOWER_CAMEL.test(t.text)) {
      const info = Object.hasOwn(this.vocabulary.attributes, t.text) ? this.vocabulary.attributes[t.text] : undefined;
      if (!info) {
        const customer = Object.keys(this.vocabulary.attributes).filter((name) => !name.startsWith(EVENT_PREFIX));
        // `percent` in a trigger condition most likely means the event's field
        const hint = Object.hasOwn(this.vocabulary.attributes, `${EVENT_PREFIX}${t.text}`)
          ? `; did you mean ${EVENT_PREFIX}${t.text}? (event fields are written event.<field>)`
          : this.suggest(t.text, Object.keys(this.vocabulary.attributes), true);
        throw this.error(`unknown attribute ${t.text} at column ${t.col}${hint}; attributes are ${customer.join(", ")}${this.eventFieldList()}`, t.col);
      }
      this.attributeNames.add(t.text);
      return { kind: "attribute", name: t.text, info, col: t.col };
    }
    const names = [...this.vocabulary.tags.keys(), ...Object.keys(this.vocabulary.attributes)];
    throw this.error(
      `${t.text} at column ${t.col} is neither a tag code (UPPER_SNAKE, e.g. TEL_DATA_HEAVY) nor a customer attribute (lowerCamel, e.g. arpu)${this.suggest(t.text, names, true)}`,
      t.col,
    );
  }

  /** `event.<field>`: a field of the triggering event, known only to trigger conditions' vocabularies. */
  private eventField(t: Token): Operand {
    const events = Object.keys(this.vocabulary.attributes).filter((name) => name.startsWith(EVENT_PREFIX));
    const info = EVENT_FIELD.test(t.text) && Object.hasOwn(this.vocabulary.attributes, t.text) ? this.vocabulary.attributes[t.text] : undefined;
    if (info) {
      this.attributeNames.add(t.text);
      return { kind: "attribute", name: t.text, info, col: t.col };
    }
    if (!t.text.toLowerCase().startsWith(EVENT_PREFIX)) {
      throw this.error(
        `${t.text} at column ${t.col} is not a name an expression knows; the only dotted names are event fields (event.percent) in strategy trigger conditions${this.suggest(t.text, events, true)}`,
        t.col,
      );
    }
    if (events.length === 0) {
      throw this.error(
        `${t.text} at column ${t.col} is an event field, and event fields are only available in strategy trigger conditions (a segment holds customers, whatever event happens)`,
        t.col,
      );
    }
    throw this.error(`unknown event field ${t.text} at column ${t.col}${this.suggest(t.text, events, true)}; this event's fields are ${events.join(", ")}`, t.col);
  }

  /** "; event fields are …" when the vocabulary has any (a trigger condition's), else "". */
  private eventFieldList(): string {
    const events = Object.keys(this.vocabulary.attributes).filter((name) => name.startsWith(EVENT_PREFIX));
    return events.length > 0 ? `; event fields are ${events.join(", ")}` : "";
  }

  /** The published tag with this code, recorded as referenced; a helpful error otherwise. */
  private tag(t: Token): { name: string; valueType: "FLAG" | "CATEGORY" | "SCORE" } {
    const tag = this.vocabulary.tags.get(t.text);
    if (tag) {
      this.tagCodes.add(t.text);
      return tag;
    }
    let hint: string;
    if (this.vocabulary.productKinds.includes(t.text)) hint = `; ${t.text} is a product kind: write holds(${t.text})`;
    else {
      const owner = Object.entries(this.vocabulary.attributes).find(([, info]) => info.values?.includes(t.text));
      hint = owner
        ? `; ${t.text} looks like a ${owner[0]} value, and text values are quoted: ${owner[0]} = "${t.text}"`
        : this.suggest(t.text, this.vocabulary.tags.keys()) ||
          `; tags are the upper-case codes of published tags, such as ${this.vocabulary.tags.has("TEL_DATA_HEAVY") ? "TEL_DATA_HEAVY" : (this.vocabulary.tags.keys().next().value ?? "TEL_DATA_HEAVY")}`;
    }
    throw this.error(`unknown tag ${t.text} at column ${t.col}${hint}`, t.col);
  }

  private expectClose(open: Token): void {
    const t = this.next();
    if (t.kind !== ")") throw this.error(`expected ) at column ${t.col} to close ${open.text}( at column ${open.col}, but found ${this.describe(t)}`, t.col);
  }

  /** "; did you mean X?" for the closest candidate (edit distance at most 2, less for short words), or "". */
  private suggest(word: string, candidates: Iterable<string>, ignoreCase = false): string {
    const norm = (x: string): string => (ignoreCase ? x.toLowerCase() : x);
    const target = norm(word);
    let best: string | undefined;
    let bestDistance = Math.min(2, Math.floor(word.length / 3)) + 1;
    for (const c of candidates) {
      const d = editDistance(norm(c), target, bestDistance - 1);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best === undefined ? "" : `; did you mean ${best}?`;
  }

  private enter(t: Token): void {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw this.error(`the expression nests deeper than ${MAX_DEPTH} levels at column ${t.col}; simplify it`, t.col);
  }

  private isWord(t: Token, word: string): boolean {
    return t.kind === "ident" && t.text.toLowerCase() === word;
  }

  private describe(t: Token): string {
    if (t.kind === "end") return "the end of the expression";
    if (t.kind === "string") return JSON.stringify(t.text);
    if (t.kind === "ident" && KEYWORDS.has(t.text.toLowerCase())) return t.text.toUpperCase();
    return t.text;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos += 1;
    return t;
  }

  private error(message: string, col: number): SegmentExpressionError {
    return new SegmentExpressionError(message, col, this.argument);
  }
}
