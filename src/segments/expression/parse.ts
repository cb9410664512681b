import { SegmentExpressionError } from "./errors";
import { KEYWORDS, MAX_DEPTH, MAX_LENGTH, RELATIONS, TRAJECTORY_EVENTS, UPPER_SNAKE } from "./ast";
import type { CompareOp, ConditionNode, LiteralNode, Relation, SegmentAst, Span, TrajectoryEvent, TrajectoryNode, ValueNode } from "./ast";

/**
 * Text → tree: a tokenizer and a recursive-descent parser over the grammar in ./README.md. Only
 * syntax is checked here (a name is a tag code when it is UPPER_SNAKE, an attribute otherwise);
 * whether the names exist and the types agree is ./check.ts's business.
 *
 * Hostile input: the tokenizer reads on demand, so a 100,000-deep nest of parentheses or NOTs fails
 * at the 41st level after reading 41 tokens, and an overlong expression fails once the reading passes
 * MAX_LENGTH characters (whichever comes first), never by exhausting the stack.
 */
export function parseSegment(source: string, options: { argument?: string } = {}): SegmentAst {
  return new Parser(source, options.argument ?? "segment").parse();
}

// ───────────────────────────── tokens ─────────────────────────────

type TokenKind = "ident" | "string" | "number" | "duration" | "op" | "(" | ")" | "," | "&&" | "||" | "!" | "end";

interface Token extends Span {
  kind: TokenKind;
  /** Identifier text, operator (normalised), string contents or number text. */
  text: string;
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
/** A trajectory window: whole hours or days, `48h`, `14d`, not followed by more of a name. */
const DURATION = /(\d+)([dh])(?![A-Za-z0-9_])/y;
const SPACE = /\s/;

/** Runs a sticky regex at `at`; the match or null. */
function matchAt(re: RegExp, src: string, at: number): string | null {
  re.lastIndex = at;
  return re.exec(src)?.[0] ?? null;
}

/** Reads tokens on demand, with lookahead; past the end it keeps returning the end token. */
class Lexer {
  private i = 0;
  private readonly ahead: Token[] = [];

  constructor(
    private readonly src: string,
    private readonly argument: string,
  ) {}

  peek(n = 0): Token {
    while (this.ahead.length <= n) this.ahead.push(this.scan());
    return this.ahead[n]!;
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== "end") this.ahead.shift();
    return t;
  }

  private fail(message: string, col: number): never {
    throw new SegmentExpressionError(message, col, this.argument);
  }

  private scan(): Token {
    const src = this.src;
    while (this.i < src.length && SPACE.test(src[this.i]!)) this.i += 1;
    const i = this.i;
    if (src.length > MAX_LENGTH && i >= MAX_LENGTH) {
      this.fail(`the segment expression is ${src.length} characters long; keep it under ${MAX_LENGTH}`, MAX_LENGTH + 1);
    }
    const col = i + 1;
    if (i >= src.length) return { kind: "end", text: "", start: col, end: col };
    const token = (kind: TokenKind, text: string, length: number): Token => {
      this.i = i + length;
      return { kind, text, start: col, end: col + length };
    };
    const ident = matchAt(IDENT, src, i);
    if (ident !== null) return token("ident", ident, ident.length);
    DURATION.lastIndex = i;
    const duration = DURATION.exec(src);
    if (duration) return token("duration", `${Number(duration[1])}${duration[2]}`, duration[0].length);
    const num = matchAt(NUMBER, src, i);
    if (num !== null) {
      const after = src[i + num.length];
      if (after !== undefined && /[A-Za-z_]/.test(after)) {
        const word = matchAt(WORDISH, src, i) ?? num;
        this.fail(`${word} at column ${col} is not a number; quote text values: "${word}"`, col);
      }
      return token("number", num, num.length);
    }
    const ch = src[i]!;
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
      if (j >= src.length) this.fail(`the text starting at column ${col} has no closing ${close}`, col);
      return token("string", text, j + 1 - i);
    }
    const spelling = OPERATOR_SPELLINGS.find(([s]) => src.startsWith(s, i));
    if (spelling) return token(spelling[1], spelling[2], spelling[0].length);
    if (ch === "&" || ch === "|") this.fail(`single ${ch} at column ${col}; write ${ch === "&" ? "AND (or &&)" : "OR (or ||)"}`, col);
    return this.fail(`unexpected character "${ch}" at column ${col}`, col);
  }
}

// ───────────────────────────── parser ─────────────────────────────

/** Every function, for "unknown function" messages. */
const FUNCTIONS =
  'holds(KIND or "CODE"), score(TAG_CODE), inSegment(SEGMENT_CODE), family(CONDITION), circle(CONDITION), contacted([CHANNEL,] WINDOW), complained([CHANNEL,] WINDOW), offered([CHANNEL,] PRODUCT, WINDOW) and unanswered([CHANNEL,] PRODUCT, WINDOW)';

/** How a trajectory predicate is called, for its error messages. */
function usage(event: TrajectoryEvent): string {
  return event === "offered" || event === "unanswered" ? `${event}([CHANNEL,] PRODUCT, WINDOW)` : `${event}([CHANNEL,] WINDOW)`;
}

function isOneOf<T extends string>(value: string, list: readonly T[]): value is T {
  return (list as readonly string[]).includes(value);
}

/** `-0` reads as 0, so a tree never holds a zero that prints and compares differently. */
function numberOf(text: string): number {
  const n = Number(text);
  return n === 0 ? 0 : n;
}

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;
  /** End of the last token read: where the node being built ends. */
  private lastEnd = 1;

  constructor(
    source: string,
    private readonly argument: string,
  ) {
    this.lexer = new Lexer(source, argument);
  }

  parse(): SegmentAst {
    const first = this.peek();
    if (first.kind === "end") return { kind: "all", start: 1, end: 1 };
    const node = this.parseOr();
    const t = this.peek();
    if (t.kind !== "end") {
      throw this.error(`expected AND, OR or the end of the expression at column ${t.start} but found ${this.describe(t)}`, t.start);
    }
    return node;
  }

  // A node's span is the text of its production: parentheses inside it count, those around it do not
  // (so `(TEL_FOO)` is a tag at column 2, and `(a OR b) AND c` an AND from column 1).

  private parseOr(): ConditionNode {
    const start = this.peek().start;
    const of = [this.parseAnd()];
    while (this.peek().kind === "||" || this.isWord(this.peek(), "or")) {
      this.next();
      of.push(this.parseAnd());
    }
    return of.length === 1 ? of[0]! : { kind: "or", of, start, end: this.lastEnd };
  }

  private parseAnd(): ConditionNode {
    const start = this.peek().start;
    const of = [this.parseNot()];
    while (this.peek().kind === "&&" || this.isWord(this.peek(), "and")) {
      this.next();
      of.push(this.parseNot());
    }
    return of.length === 1 ? of[0]! : { kind: "and", of, start, end: this.lastEnd };
  }

  private parseNot(): ConditionNode {
    const t = this.peek();
    if (t.kind === "!" || this.isWord(t, "not")) {
      this.next();
      this.enter(t);
      const of = this.parseNot();
      this.depth -= 1;
      return { kind: "not", of, start: t.start, end: this.lastEnd };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionNode {
    const t = this.peek();
    if (t.kind === "(") {
      this.next();
      this.enter(t);
      const inner = this.parseOr();
      this.depth -= 1;
      const close = this.peek();
      if (close.kind !== ")") {
        throw this.error(`expected ) at column ${close.start} to close the ( at column ${t.start}, but found ${this.describe(close)}`, close.start);
      }
      this.next();
      return inner;
    }
    if (this.isWord(t, "all")) {
      this.next();
      return { kind: "all", start: t.start, end: t.end };
    }
    if (t.kind === "ident" && this.peek(1).kind === "(") {
      const fn = t.text.toLowerCase();
      if (fn === "holds") return this.parseHolds();
      if (fn === "insegment") return this.parseInSegment();
      if (isOneOf(fn, TRAJECTORY_EVENTS)) return this.parseTrajectory(fn);
    }

    const left = this.parseOperand();
    const next = this.peek();
    if (next.kind === "op") {
      this.next();
      const right = this.parseOperand();
      return { kind: "compare", op: next.text as CompareOp, opSpan: { start: next.start, end: next.end }, left, right, start: left.start, end: right.end };
    }
    if (this.isWord(next, "in")) {
      this.next();
      return this.parseIn(left, false);
    }
    if (this.isWord(next, "not") && this.isWord(this.peek(1), "in")) {
      this.next();
      this.next();
      return this.parseIn(left, true);
    }
    // standing alone: a tag code is a test of the tag, anything else the checker judges as a condition
    return left.kind === "tagValue" ? { kind: "tag", code: left.code, start: left.start, end: left.end } : left;
  }

  private parseHolds(): ConditionNode {
    const fn = this.next();
    this.next(); // (
    const arg = this.next();
    const argSpan: Span = { start: arg.start, end: arg.end };
    let node: ConditionNode;
    if (arg.kind === "ident") {
      node = { kind: "holdsKind", productKind: arg.text, arg: argSpan, start: fn.start, end: 0 };
    } else if (arg.kind === "string") {
      node = { kind: "holdsCode", productCode: arg.text, arg: argSpan, start: fn.start, end: 0 };
    } else {
      throw this.error(
        `${fn.text}( at column ${fn.start} takes a product kind such as BROADBAND or a quoted product code such as "5G-PLAN-128", but found ${this.describe(arg)}`,
        arg.start,
      );
    }
    const close = this.expectClose(fn);
    return { ...node, end: close.end };
  }

  /** `inSegment(CODE)` or `inSegment("CODE-WITH-DASHES")`. */
  private parseInSegment(): ConditionNode {
    const fn = this.next();
    this.next(); // (
    const arg = this.next();
    if (!((arg.kind === "ident" && !KEYWORDS.has(arg.text.toLowerCase())) || arg.kind === "string")) {
      throw this.error(`${fn.text}( at column ${fn.start} takes a segment code such as CHURN_RISK, but found ${this.describe(arg)}`, arg.start);
    }
    const close = this.expectClose(fn);
    return { kind: "inSegment", code: arg.text, arg: { start: arg.start, end: arg.end }, start: fn.start, end: close.end };
  }

  /**
   * `contacted([CHANNEL,] WINDOW)`, `complained([CHANNEL,] WINDOW)`, `offered([CHANNEL,] PRODUCT, WINDOW)`,
   * `unanswered([CHANNEL,] PRODUCT, WINDOW)`: the arguments are told apart by their number, so a
   * channel and a product kind never need to be guessed from their names.
   */
  private parseTrajectory(event: TrajectoryEvent): ConditionNode {
    const fn = this.next();
    this.next(); // (
    const args: Token[] = [];
    for (;;) {
      const arg = this.next();
      if (arg.kind !== "ident" && arg.kind !== "string" && arg.kind !== "duration") {
        throw this.error(`${usage(event)} at column ${fn.start}: expected ${args.length === 0 ? "an argument" : "the next argument"} at column ${arg.start} but found ${this.describe(arg)}`, arg.start);
      }
      args.push(arg);
      const sep = this.next();
      if (sep.kind === ")") {
        return this.trajectoryNode(event, fn, args, sep.end);
      }
      if (sep.kind !== "," || args.length >= 3) {
        throw this.error(`${usage(event)} at column ${fn.start}: expected ${args.length >= 3 ? ")" : ", or )"} at column ${sep.start} but found ${this.describe(sep)}`, sep.start);
      }
    }
  }

  private trajectoryNode(event: TrajectoryEvent, fn: Token, args: readonly Token[], end: number): TrajectoryNode {
    const aboutProduct = event === "offered" || event === "unanswered";
    const within = args[args.length - 1] as Token;
    if (within.kind !== "duration") {
      throw this.error(`${usage(event)} at column ${fn.start}: its last argument is the window, such as 48h or 14d, but column ${within.start} has ${this.describe(within)}`, within.start);
    }
    const names = args.slice(0, -1);
    const most = aboutProduct ? 2 : 1;
    if (names.length > most || (aboutProduct && names.length === 0)) {
      const at = names.length > most ? (names[most] as Token) : within;
      throw this.error(`${usage(event)} at column ${fn.start}: ${aboutProduct ? "give the product, and the channel before it if any" : "give at most the channel before the window"} (column ${at.start})`, at.start);
    }
    const channel = aboutProduct ? (names.length === 2 ? names[0] : undefined) : names[0];
    const product = aboutProduct ? names[names.length - 1] : undefined;
    if (channel && channel.kind !== "ident") {
      throw this.error(`${usage(event)} at column ${fn.start}: the channel is a bare code such as SMS or HOTLINE, but column ${channel.start} has ${this.describe(channel)}`, channel.start);
    }
    if (product && product.kind === "duration") {
      throw this.error(`${usage(event)} at column ${fn.start}: expected a product kind such as BROADBAND or a quoted product code at column ${product.start}, but found ${product.text}`, product.start);
    }
    const span = (t: Token | undefined): Span | null => (t ? { start: t.start, end: t.end } : null);
    return {
      kind: "trajectory",
      event,
      channel: channel?.text ?? null,
      productKind: product?.kind === "ident" ? product.text : null,
      productCode: product?.kind === "string" ? product.text : null,
      within: within.text,
      channelArg: span(channel),
      productArg: span(product),
      withinArg: { start: within.start, end: within.end },
      start: fn.start,
      end,
    };
  }

  /** `family(CONDITION)` or `circle(CONDITION)`: a count of the customer's relations, or (standing alone) at least one. */
  private parseRelated(fn: Token, relation: Relation): ValueNode {
    this.next(); // (
    this.enter(fn);
    if (this.peek().kind === ")") {
      throw this.error(`${fn.text}( at column ${fn.start} needs a condition on the ${relation === "family" ? "family member" : "calling-circle contact"}, e.g. ${relation}(holds(BROADBAND))`, this.peek().start);
    }
    const of = this.parseOr();
    this.depth -= 1;
    const close = this.expectClose(fn);
    return { kind: "related", relation, of, start: fn.start, end: close.end };
  }

  private parseIn(value: ValueNode, negated: boolean): ConditionNode {
    const open = this.next();
    if (open.kind !== "(") {
      throw this.error(`expected ( after IN at column ${open.start}, e.g. segment IN ("FAMILY", "ENTERPRISE"), but found ${this.describe(open)}`, open.start);
    }
    const list: LiteralNode[] = [];
    for (;;) {
      const item = this.parseOperand();
      if (item.kind !== "literal") {
        throw this.error(`IN takes a list of values at column ${item.start}, e.g. segment IN ("FAMILY", "ENTERPRISE")`, item.start);
      }
      list.push(item);
      const sep = this.next();
      if (sep.kind === ")") return { kind: "in", negated, value, list, start: value.start, end: sep.end };
      if (sep.kind !== ",") throw this.error(`expected , or ) in the IN list at column ${sep.start} but found ${this.describe(sep)}`, sep.start);
    }
  }

  private parseOperand(): ValueNode {
    const t = this.next();
    const at = { start: t.start, end: t.end };
    if (t.kind === "duration") {
      throw this.error(`${t.text} at column ${t.start} is a window of time, which only the trajectory predicates take, e.g. complained(48h) or unanswered(SMS, BROADBAND, 14d)`, t.start);
    }
    if (t.kind === "number") return { kind: "literal", value: numberOf(t.text), ...at };
    if (t.kind === "string") return { kind: "literal", value: t.text, ...at };
    if (t.kind !== "ident") throw this.error(`expected a tag, attribute or value at column ${t.start} but found ${this.describe(t)}`, t.start);

    const lower = t.text.toLowerCase();
    if (lower === "true" || lower === "false") return { kind: "literal", value: lower === "true", ...at };
    if (KEYWORDS.has(lower)) throw this.error(`expected a tag, attribute or value at column ${t.start} but found ${t.text.toUpperCase()}`, t.start);
    if (this.peek().kind === "(") {
      if (lower === "holds" || lower === "insegment" || isOneOf(lower, TRAJECTORY_EVENTS)) {
        throw this.error(`${t.text}(…) at column ${t.start} is a condition on its own and cannot be compared; write it alone or with NOT, e.g. NOT ${lower === "holds" ? "holds(BROADBAND)" : `${t.text}(…)`}`, t.start);
      }
      if (isOneOf(lower, RELATIONS)) return this.parseRelated(t, lower);
      if (lower !== "score") {
        throw this.error(`unknown function ${t.text} at column ${t.start}; the functions are ${FUNCTIONS}`, t.start);
      }
      this.next();
      const arg = this.next();
      if (arg.kind !== "ident" || !UPPER_SNAKE.test(arg.text) || KEYWORDS.has(arg.text.toLowerCase())) {
        throw this.error(`score( at column ${t.start} takes a tag code such as VAL_CHURN_SCORE, but found ${this.describe(arg)}`, arg.start);
      }
      const close = this.expectClose(t);
      return { kind: "score", code: arg.text, arg: { start: arg.start, end: arg.end }, start: t.start, end: close.end };
    }
    if (UPPER_SNAKE.test(t.text)) return { kind: "tagValue", code: t.text, ...at };
    // lowerCamel, dotted and anything else: the checker knows the vocabulary and says what it is not
    return { kind: "attribute", name: t.text, ...at };
  }

  private expectClose(open: Token): Token {
    const t = this.next();
    if (t.kind !== ")") throw this.error(`expected ) at column ${t.start} to close ${open.text}( at column ${open.start}, but found ${this.describe(t)}`, t.start);
    return t;
  }

  private enter(t: Token): void {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw this.error(`the expression nests deeper than ${MAX_DEPTH} levels at column ${t.start}; simplify it`, t.start);
  }

  private isWord(t: Token, word: string): boolean {
    return t.kind === "ident" && t.text.toLowerCase() === word;
  }

  private describe(t: Token): string {
    if (t.kind === "end") return "the end of the expression";
    if (t.kind === "string") return JSON.stringify(t.text);
    if (t.kind === "duration") return `the window ${t.text}`;
    if (t.kind === "ident" && KEYWORDS.has(t.text.toLowerCase())) return t.text.toUpperCase();
    return t.text;
  }

  private peek(ahead = 0): Token {
    return this.lexer.peek(ahead);
  }

  private next(): Token {
    const t = this.lexer.next();
    this.lastEnd = t.end;
    return t;
  }

  private error(message: string, col: number): SegmentExpressionError {
    return new SegmentExpressionError(message, col, this.argument);
  }
}
