import { editDistance } from "../../platform/edit-distance";
import type { AttributeInfo, AttributeType } from "../../domain/attributes";
import { CHANNEL_CODES } from "../../domain/vocabulary";
import { SegmentExpressionError } from "./errors";
import { printLiteral } from "./ast";
import { parseSegment } from "./parse";
import type {
  AllNode,
  AndNode,
  AttributeNode,
  CompareNode,
  CompareOp,
  ConditionNode,
  HoldsCodeNode,
  HoldsKindNode,
  InNode,
  InSegmentNode,
  RelatedNode,
  Relation,
  TrajectoryEvent,
  TrajectoryNode,
  LiteralNode,
  LiteralValue,
  NotNode,
  OrNode,
  ScoreNode,
  SegmentAst,
  TagNode,
  TagValueNode,
  ValueNode,
} from "./ast";
import type { SegmentVocabulary } from "./vocabulary";

/**
 * Tree + vocabulary → checked tree: every name resolved (tags to their name and value type,
 * attributes to their AttributeInfo), every value typed, and every comparison turned so the
 * reference is on the left. Each checked node keeps the node it came from, for its position.
 * The errors are the operator-facing ones, with the column of the offending part and a "did you
 * mean" where a near name exists.
 */

/** A reference read from the subject, with the type it has. */
export type CheckedRef =
  | { readonly kind: "attribute"; readonly type: AttributeType; readonly name: string; readonly info: AttributeInfo; readonly node: AttributeNode }
  | { readonly kind: "score"; readonly type: "number"; readonly code: string; readonly tagName: string; readonly node: ScoreNode }
  | { readonly kind: "tagValue"; readonly type: "string"; readonly code: string; readonly tagName: string; readonly node: TagValueNode };

export interface CheckedLiteral {
  readonly kind: "literal";
  readonly type: AttributeType;
  readonly value: LiteralValue;
  readonly node: LiteralNode;
}

export type CheckedValue = CheckedRef | CheckedLiteral;

/** A condition whose names exist and whose types agree; what ./evaluate.ts and ./explain.ts compile. */
export type CheckedCondition =
  /** ALL, the empty expression, `true` or `false`. */
  | { readonly kind: "const"; readonly value: boolean; readonly node: AllNode | LiteralNode }
  | { readonly kind: "and" | "or"; readonly of: readonly CheckedCondition[]; readonly node: AndNode | OrNode }
  | { readonly kind: "not"; readonly of: CheckedCondition; readonly node: NotNode }
  /** The customer carries the tag (of any value type). */
  | { readonly kind: "tag"; readonly code: string; readonly tagName: string; readonly node: TagNode }
  /** A boolean attribute standing alone: it is true. */
  | { readonly kind: "flag"; readonly name: string; readonly info: AttributeInfo; readonly node: AttributeNode }
  | { readonly kind: "holdsKind"; readonly productKind: string; readonly node: HoldsKindNode }
  | { readonly kind: "holdsCode"; readonly productCode: string; readonly node: HoldsCodeNode }
  /** `left op right` with the reference on the left (`100 <= arpu` is checked as `arpu >= 100`). */
  | { readonly kind: "compare"; readonly op: CompareOp; readonly left: CheckedRef; readonly right: CheckedValue; readonly node: CompareNode }
  | { readonly kind: "in"; readonly negated: boolean; readonly value: CheckedRef; readonly list: readonly LiteralValue[]; readonly node: InNode }
  /** The customer belongs to the saved segment `code`: its expression, checked, is `of`. */
  | { readonly kind: "segment"; readonly code: string; readonly name: string; readonly of: CheckedCondition; readonly node: InSegmentNode }
  /**
   * How many of the customer's relations (other family members, calling-circle contacts) satisfy
   * `of`, compared with `count` (`family(holds(BROADBAND))` alone is `>= 1`). Population only.
   */
  | { readonly kind: "related"; readonly relation: Relation; readonly op: CompareOp; readonly count: number; readonly of: CheckedCondition; readonly node: RelatedNode | CompareNode }
  /**
   * A contact of the last `hours` before the moment of evaluation: of the kind `event` asks for, on
   * `channel` (any when null), about a product of `productKind` or with `productCode` (offers only).
   * Population only.
   */
  | {
      readonly kind: "trajectory";
      readonly event: TrajectoryEvent;
      readonly channel: string | null;
      readonly productKind: string | null;
      readonly productCode: string | null;
      readonly hours: number;
      readonly node: TrajectoryNode;
    };

/** A checked expression and what it references. */
export interface CheckedSegment {
  readonly ast: SegmentAst;
  readonly root: CheckedCondition;
  /** Tag codes and attribute names the expression references, each once, in order of appearance. */
  readonly tagCodes: readonly string[];
  readonly attributes: readonly string[];
}

/** Type-checks a tree against a vocabulary; throws SegmentExpressionError (BAD_USER_INPUT) with the column when it is wrong. */
export function checkSegment(ast: SegmentAst, vocabulary: SegmentVocabulary, options: { argument?: string; segment?: string } = {}): CheckedSegment {
  // A saved segment's own code: naming itself, directly or through others, is a cycle.
  const checker = new Checker(vocabulary, options.argument ?? "segment", options.segment ? [options.segment] : []);
  const root = checker.condition(ast);
  return { ast, root, tagCodes: [...checker.tagCodes], attributes: [...checker.attributeNames] };
}

const MIRRORED: Record<CompareOp, CompareOp> = { "=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
/** The longest trajectory window: a year and a day. */
export const MAX_WINDOW_HOURS = 366 * 24;
/** How deep `inSegment(…)` may nest: a segment naming a segment naming a segment … */
const MAX_SEGMENT_NESTING = 8;
const LOWER_CAMEL = /^[a-z][A-Za-z0-9]*$/;
/** An event field in a trigger condition: `event.<lowerCamel>`. */
const EVENT_FIELD = /^event\.[a-z][A-Za-z0-9]*$/;
const EVENT_PREFIX = "event.";

function typeWord(t: AttributeType): string {
  return t === "number" ? "a number" : t === "string" ? "text" : "true or false";
}

function sampleLiteral(info: AttributeInfo): string {
  if (info.type === "number") return "100";
  if (info.type === "boolean") return "true";
  return `"${info.values?.[0] ?? "…"}"`;
}

/** A value as operators wrote it, for messages. */
function sourceOf(v: CheckedValue): string {
  switch (v.kind) {
    case "attribute":
      return v.name;
    case "score":
      return `score(${v.code})`;
    case "tagValue":
      return v.code;
    case "literal":
      return typeof v.value === "string" ? JSON.stringify(v.value) : printLiteral(v.value);
  }
}

/** A tag code where a value is expected, found in the vocabulary but not yet judged fit for comparison. */
interface TagInValue {
  readonly kind: "tagInValue";
  readonly node: TagValueNode;
  readonly tag: { name: string; valueType: "FLAG" | "CATEGORY" | "SCORE" };
}
type Resolved = CheckedValue | TagInValue;

class Checker {
  readonly tagCodes = new Set<string>();
  readonly attributeNames = new Set<string>();

  constructor(
    private readonly vocabulary: SegmentVocabulary,
    private readonly argument: string,
    /** The segments whose expressions are being checked, outermost first: naming one of them again is a cycle. */
    private readonly within: readonly string[] = [],
  ) {}

  condition(node: ConditionNode): CheckedCondition {
    switch (node.kind) {
      case "all":
        return { kind: "const", value: true, node };
      case "and":
      case "or":
        return { kind: node.kind, of: node.of.map((part) => this.condition(part)), node };
      case "not":
        return { kind: "not", of: this.condition(node.of), node };
      case "tag": {
        const tag = this.tag(node.code, node.start);
        return { kind: "tag", code: node.code, tagName: tag.name, node };
      }
      case "holdsKind":
        return this.holdsKind(node);
      case "holdsCode":
        return this.holdsCode(node);
      case "inSegment":
        return this.inSegment(node);
      case "related":
        return this.related(node, node, ">=", 1);
      case "trajectory":
        return this.trajectory(node);
      case "compare":
        return this.compare(node);
      case "in":
        return this.in(node);
      case "score":
        this.score(node);
        throw this.error(`score(${node.code}) at column ${node.start} is a number, not a condition; compare it, e.g. score(${node.code}) >= 0.6`, node.start);
      case "attribute": {
        const info = this.attribute(node);
        if (info.type !== "boolean") {
          throw this.error(
            `${node.name} at column ${node.start} is ${typeWord(info.type)}, not a condition; compare it, e.g. ${node.name} ${info.type === "number" ? ">=" : "="} ${sampleLiteral(info)}`,
            node.start,
          );
        }
        return { kind: "flag", name: node.name, info, node };
      }
      case "literal":
        if (typeof node.value === "boolean") return { kind: "const", value: node.value, node };
        throw this.error(
          `${sourceOf(this.literal(node))} at column ${node.start} is a value, not a condition; compare an attribute or tag with it, e.g. arpu >= 100`,
          node.start,
        );
    }
  }

  private holdsKind(node: HoldsKindNode): CheckedCondition {
    const kind = node.productKind;
    const kinds = this.vocabulary.productKinds;
    if (!kinds.includes(kind)) {
      throw this.error(
        `unknown product kind ${kind} at column ${node.arg.start}${suggest(kind, kinds, true)}; kinds are ${kinds.join(", ")} (a product code is quoted: holds("5G-PLAN-128"))`,
        node.arg.start,
      );
    }
    return { kind: "holdsKind", productKind: kind, node };
  }

  private holdsCode(node: HoldsCodeNode): CheckedCondition {
    const code = node.productCode;
    if (!this.vocabulary.productCodes.has(code)) {
      const hint = this.vocabulary.productKinds.includes(code)
        ? `; ${code} is a product kind, write it without quotes: holds(${code})`
        : suggest(code, this.vocabulary.productCodes, true);
      throw this.error(`unknown product code "${code}" at column ${node.arg.start}${hint}`, node.arg.start);
    }
    return { kind: "holdsCode", productCode: code, node };
  }

  /** `inSegment(CODE)`: the named segment's expression, checked here (cycles and depth refused). */
  private inSegment(node: InSegmentNode): CheckedCondition {
    const { code } = node;
    const col = node.arg.start;
    const segments = this.vocabulary.segments;
    if (!segments) {
      throw this.error(`inSegment(${code}) at column ${node.start}: other segments cannot be named here; name them in segment previews and saved segments`, node.start);
    }
    const segment = segments.get(code);
    if (!segment) {
      throw this.error(`unknown segment ${code} at column ${col}${suggest(code, segments.keys(), true)}; segments are named by their code (see the segments query)`, col);
    }
    if (this.within.includes(code)) {
      throw this.error(`inSegment(${code}) at column ${node.start} makes a cycle: ${[...this.within, code].join(" → ")}; a segment cannot contain itself`, node.start);
    }
    if (this.within.length >= MAX_SEGMENT_NESTING) {
      throw this.error(`inSegment(${code}) at column ${node.start} nests segments deeper than ${MAX_SEGMENT_NESTING} (${[...this.within, code].join(" → ")}); name fewer segments inside one another`, node.start);
    }
    const inner = new Checker(this.vocabulary, this.argument, [...this.within, code]);
    let of: CheckedCondition;
    try {
      of = inner.condition(parseSegment(segment.expression, { argument: this.argument }));
    } catch (error) {
      if (!(error instanceof SegmentExpressionError)) throw error;
      // the inner message names columns of the other expression: say so, and point at the name here
      throw this.error(`segment ${code} (named at column ${node.start}) cannot be used here: in its expression «${segment.expression}», ${error.message}`, node.start);
    }
    for (const c of inner.tagCodes) this.tagCodes.add(c);
    for (const a of inner.attributeNames) this.attributeNames.add(a);
    return { kind: "segment", code, name: segment.name, of, node };
  }

  /** `family(…)` / `circle(…)` compared with a count (`op count`); the condition inside is checked like any. */
  private related(related: RelatedNode, node: RelatedNode | CompareNode, op: CompareOp, count: number): CheckedCondition {
    this.population(related, `${related.relation}(…)`);
    const of = this.condition(related.of);
    return { kind: "related", relation: related.relation, op, count, of, node };
  }

  private trajectory(node: TrajectoryNode): CheckedCondition {
    this.population(node, `${node.event}(…)`);
    if (node.channel !== null && !(CHANNEL_CODES as readonly string[]).includes(node.channel)) {
      const at = node.channelArg?.start ?? node.start;
      throw this.error(`unknown channel ${node.channel} at column ${at}${suggest(node.channel, CHANNEL_CODES, true)}; channels are ${CHANNEL_CODES.join(", ")}`, at);
    }
    const at = node.productArg?.start ?? node.start;
    if (node.productKind !== null && !this.vocabulary.productKinds.includes(node.productKind)) {
      throw this.error(
        `unknown product kind ${node.productKind} at column ${at}${suggest(node.productKind, this.vocabulary.productKinds, true)}; kinds are ${this.vocabulary.productKinds.join(", ")} (a product code is quoted: "5G-PLAN-128")`,
        at,
      );
    }
    if (node.productCode !== null && !this.vocabulary.productCodes.has(node.productCode)) {
      throw this.error(`unknown product code "${node.productCode}" at column ${at}${suggest(node.productCode, this.vocabulary.productCodes, true)}`, at);
    }
    const amount = Number(node.within.slice(0, -1));
    const hours = node.within.endsWith("d") ? amount * 24 : amount;
    if (hours < 1 || hours > MAX_WINDOW_HOURS) {
      throw this.error(`the window ${node.within} at column ${node.withinArg.start} must be from 1h to 366d`, node.withinArg.start);
    }
    return { kind: "trajectory", event: node.event, channel: node.channel, productKind: node.productKind, productCode: node.productCode, hours, node };
  }

  /** Graph and trajectory predicates need the whole population (a preview), not one customer's profile. */
  private population(node: RelatedNode | TrajectoryNode, what: string): void {
    if (this.vocabulary.population) return;
    throw this.error(
      `${what} at column ${node.start} is sized over the whole population (segmentPreview), and a strategy deciding for one customer at a time cannot evaluate it yet; target a segment without family(…), circle(…) or trajectory predicates`,
      node.start,
    );
  }

  /** A comparison with `family(…)` or `circle(…)` on one side: the other must be a number. */
  private relatedCompare(node: CompareNode): CheckedCondition {
    const [related, other, op] = node.left.kind === "related" ? [node.left, node.right, node.op] : [node.right as RelatedNode, node.left, MIRRORED[node.op]];
    if (other.kind !== "literal" || typeof other.value !== "number") {
      const what = other.kind === "related" ? `${other.relation}(…)` : other.kind === "literal" ? printLiteral(other.value) : "a tag or attribute";
      throw this.error(`${related.relation}(…) at column ${related.start} counts customers; compare it with a number, e.g. ${related.relation}(holds(BROADBAND)) >= 2, not with ${what}`, other.start);
    }
    return this.related(related, node, op, other.value);
  }

  private compare(node: CompareNode): CheckedCondition {
    if (node.left.kind === "related" || node.right.kind === "related") return this.relatedCompare(node);
    // resolve both sides first, then their roles, as the errors have always come in that order
    const left = this.resolve(node.left);
    const right = this.resolve(node.right);
    let l = this.comparable(left);
    let r = this.comparable(right);
    let op = node.op;
    if (l.kind === "literal" && r.kind === "literal") {
      throw this.error(`the comparison at column ${node.opSpan.start} compares two values; compare a tag or attribute with a value, e.g. arpu >= 100`, l.node.start);
    }
    if (l.kind === "literal") {
      [l, r] = [r, l];
      op = MIRRORED[op];
    }
    const ref = l as CheckedRef;
    this.checkComparable(ref, r, op, node.opSpan.start);
    return { kind: "compare", op, left: ref, right: r, node };
  }

  private in(node: InNode): CheckedCondition {
    if (node.value.kind === "related") {
      throw this.error(`${node.value.relation}(…) at column ${node.value.start} counts customers; compare it with a number (>= 2) rather than listing values`, node.value.start);
    }
    const value = this.comparable(this.resolve(node.value));
    if (value.kind === "literal") {
      throw this.error(`IN needs a tag or attribute on its left, but column ${value.node.start} has the value ${sourceOf(value)}`, value.node.start);
    }
    for (const item of node.list) this.checkComparable(value, this.literal(item), "=", item.start);
    return { kind: "in", negated: node.negated, value, list: node.list.map((item) => item.value), node };
  }

  /** Type-checks `l op r` where `l` is a reference; throws at the column of the part in the wrong. */
  private checkComparable(l: CheckedRef, r: CheckedValue, op: CompareOp, opCol: number): void {
    const info = l.kind === "attribute" ? l.info : undefined;
    if (l.type !== r.type) {
      const example = info ? `${sourceOf(l)} ${op} ${sampleLiteral(info)}` : `${sourceOf(l)} ${op} "…"`;
      throw this.error(
        `cannot compare ${sourceOf(l)} (${typeWord(l.type)}) with ${sourceOf(r)} (${typeWord(r.type)}) at column ${r.node.start}; e.g. ${example}`,
        r.node.start,
      );
    }
    if (op !== "=" && op !== "!=" && l.type !== "number") {
      throw this.error(`${op} at column ${opCol} needs numbers, but ${sourceOf(l)} is ${typeWord(l.type)}; use =, != or IN`, opCol);
    }
    if (r.kind !== "literal" || typeof r.value !== "string" || !info) return;
    const value = r.value;
    if (info.values && !info.values.includes(value)) {
      throw this.error(
        `unknown ${sourceOf(l)} value "${value}" at column ${r.node.start}${suggest(value, info.values, true)}; ${sourceOf(l)} is one of ${info.values.join(", ")}`,
        r.node.start,
      );
    }
    if (info.pattern && !info.pattern.test(value)) {
      throw this.error(`"${value}" at column ${r.node.start} is not a valid ${sourceOf(l)}; it looks like ${info.description}`, r.node.start);
    }
  }

  /** A value node with its name resolved; a tag value's fitness for comparison is judged by `comparable`. */
  private resolve(node: Exclude<ValueNode, RelatedNode>): Resolved {
    switch (node.kind) {
      case "literal":
        return this.literal(node);
      case "attribute": {
        const info = this.attribute(node);
        return { kind: "attribute", type: info.type, name: node.name, info, node };
      }
      case "score":
        return this.score(node);
      case "tagValue":
        return { kind: "tagInValue", node, tag: this.tag(node.code, node.start) };
    }
  }

  /** Only a category tag has a value to compare: a flag tag is tested bare, a score tag through score(). */
  private comparable(v: Resolved): CheckedValue {
    if (v.kind !== "tagInValue") return v;
    const { node, tag } = v;
    const code = node.code;
    if (tag.valueType === "FLAG") {
      throw this.error(`${code} at column ${node.start} is a flag tag and has no value to compare; write ${code} or NOT ${code}`, node.start);
    }
    if (tag.valueType === "SCORE") {
      throw this.error(`${code} at column ${node.start} is a score tag; compare its score, e.g. score(${code}) >= 0.6`, node.start);
    }
    return { kind: "tagValue", type: "string", code, tagName: tag.name, node };
  }

  private literal(node: LiteralNode): CheckedLiteral {
    return { kind: "literal", type: typeof node.value as AttributeType, value: node.value, node };
  }

  private score(node: ScoreNode): CheckedRef {
    const tag = this.tag(node.code, node.arg.start);
    return { kind: "score", type: "number", code: node.code, tagName: tag.name, node };
  }

  /** The attribute (or event field) this name means, recorded as referenced; a helpful error otherwise. */
  private attribute(node: AttributeNode): AttributeInfo {
    const name = node.name;
    const col = node.start;
    const attributes = this.vocabulary.attributes;
    if (name.includes(".")) return this.eventField(node);
    if (!LOWER_CAMEL.test(name)) {
      const names = [...this.vocabulary.tags.keys(), ...Object.keys(attributes)];
      throw this.error(
        `${name} at column ${col} is neither a tag code (UPPER_SNAKE, e.g. TEL_DATA_HEAVY) nor a customer attribute (lowerCamel, e.g. arpu)${suggest(name, names, true)}`,
        col,
      );
    }
    const info = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
    if (!info) {
      const customer = Object.keys(attributes).filter((a) => !a.startsWith(EVENT_PREFIX));
      // `percent` in a trigger condition most likely means the event's field
      const hint = Object.hasOwn(attributes, `${EVENT_PREFIX}${name}`)
        ? `; did you mean ${EVENT_PREFIX}${name}? (event fields are written event.<field>)`
        : suggest(name, Object.keys(attributes), true);
      throw this.error(`unknown attribute ${name} at column ${col}${hint}; attributes are ${customer.join(", ")}${this.eventFieldList()}`, col);
    }
    this.attributeNames.add(name);
    return info;
  }

  /** `event.<field>`: a field of the triggering event, known only to trigger conditions' vocabularies. */
  private eventField(node: AttributeNode): AttributeInfo {
    const { name, start: col } = node;
    const attributes = this.vocabulary.attributes;
    const events = Object.keys(attributes).filter((a) => a.startsWith(EVENT_PREFIX));
    const info = EVENT_FIELD.test(name) && Object.hasOwn(attributes, name) ? attributes[name] : undefined;
    if (info) {
      this.attributeNames.add(name);
      return info;
    }
    if (!name.toLowerCase().startsWith(EVENT_PREFIX)) {
      throw this.error(
        `${name} at column ${col} is not a name an expression knows; the only dotted names are event fields (event.percent) in strategy trigger conditions${suggest(name, events, true)}`,
        col,
      );
    }
    if (events.length === 0) {
      throw this.error(
        `${name} at column ${col} is an event field, and event fields are only available in strategy trigger conditions (a segment holds customers, whatever event happens)`,
        col,
      );
    }
    throw this.error(`unknown event field ${name} at column ${col}${suggest(name, events, true)}; this event's fields are ${events.join(", ")}`, col);
  }

  /** "; event fields are …" when the vocabulary has any (a trigger condition's), else "". */
  private eventFieldList(): string {
    const events = Object.keys(this.vocabulary.attributes).filter((a) => a.startsWith(EVENT_PREFIX));
    return events.length > 0 ? `; event fields are ${events.join(", ")}` : "";
  }

  /** The served tag with this code, recorded as referenced; a helpful error otherwise. */
  private tag(code: string, col: number): { name: string; valueType: "FLAG" | "CATEGORY" | "SCORE" } {
    const tags = this.vocabulary.tags;
    const tag = tags.get(code);
    if (tag) {
      this.tagCodes.add(code);
      return tag;
    }
    let hint: string;
    if (this.vocabulary.productKinds.includes(code)) hint = `; ${code} is a product kind: write holds(${code})`;
    else {
      const owner = Object.entries(this.vocabulary.attributes).find(([, info]) => info.values?.includes(code));
      hint = owner
        ? `; ${code} looks like a ${owner[0]} value, and text values are quoted: ${owner[0]} = "${code}"`
        : suggest(code, tags.keys()) ||
          `; tags are the upper-case codes of published tags, such as ${tags.has("TEL_DATA_HEAVY") ? "TEL_DATA_HEAVY" : (tags.keys().next().value ?? "TEL_DATA_HEAVY")}`;
    }
    throw this.error(`unknown tag ${code} at column ${col}${hint}`, col);
  }

  private error(message: string, col: number): SegmentExpressionError {
    return new SegmentExpressionError(message, col, this.argument);
  }
}

/** "; did you mean X?" for the closest candidate (edit distance at most 2, less for short words), or "". */
function suggest(word: string, candidates: Iterable<string>, ignoreCase = false): string {
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
