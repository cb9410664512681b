import { createHash } from "node:crypto";
import type { ProductRecord } from "../../graph/records";
import type { RelatedSeed, ScanCondition, ScanValue, TrajectoryQuery } from "../../graph/segments";
import type { CompareOp, LiteralValue } from "../expression/ast";
import type { CheckedCondition, CheckedRef, CheckedValue } from "../expression/check";
import { keyBits, nextKey } from "./bits";
import { attributeField, HOLDS_CODE, HOLDS_KIND, scoreField, TAG_FIELD, tagValueField } from "./fields";

/**
 * Checked expression → what the bitmap engine runs:
 *
 * - a *program* for ./scripts/evaluate.lua: set algebra over the bitmaps of the generation served
 *   (value bitmaps, bit-sliced comparisons of numbers, AND/OR/NOT);
 * - the *derived* bitmaps it reads besides: graph predicates (family, circle) and trajectory
 *   predicates, computed by an indexed Cypher statement into a bitmap cached for seconds, and the
 *   rare comparison no bitmap serves (an attribute against another), computed by a scan;
 * - the *scan condition*: the same expression as one Cypher WHERE (src/graph/segments.ts), the
 *   graph's own answer, which names the derived bitmaps' cache keys and which tests and the bench
 *   compare previews with.
 */

/** A node of the program evaluate.lua runs; `d` reads KEYS[i], a derived bitmap. */
export type Program =
  | { o: "all" }
  | { o: "none" }
  | { o: "v"; f: string; v: string }
  | { o: "d"; i: number }
  | { o: "and" | "or"; a: Program[] }
  | { o: "not"; a: Program }
  | { o: "cmp"; f: string; op: "lt" | "ge" | "eq" | "ne"; b: string };

/** A bitmap computed from the graph rather than kept: what it means (`scan`) and how it is computed. */
export type Derived =
  | { t: "related"; key: string; scan: ScanCondition; relation: "family" | "circle"; test: (n: number) => boolean; seed: RelatedSeed | null; inner: Plan }
  | { t: "trajectory"; key: string; scan: ScanCondition; query: TrajectoryQuery }
  | { t: "scan"; key: string; scan: ScanCondition };

export interface Plan {
  program: Program;
  /** Derived bitmaps the program reads, in the order of their KEYS (the first is KEYS[3]). */
  derived: Derived[];
  scan: ScanCondition;
}

/** What planning needs besides the tree: the catalogue (product codes and kinds to ids) and the moment trajectories are measured back from. */
export interface PlanContext {
  products: ReadonlyMap<string, ProductRecord>;
  asOfMs: number;
  /** The cache key of a derived bitmap, from what it means. */
  derivedKey: (hash: string) => string;
}

/** The first derived bitmap is KEYS[3] (KEYS[1] the base, KEYS[2] the result). */
const FIRST_DERIVED_KEY = 3;

const ALL: Program = { o: "all" };
const NONE: Program = { o: "none" };

function not(p: Program): Program {
  return { o: "not", a: p };
}

/** Plans a checked condition. */
export function plan(root: CheckedCondition, context: PlanContext): Plan {
  const planner = new Planner(context);
  const program = planner.program(root);
  return { program, derived: planner.derived, scan: toScan(root, context) };
}

/** Whether `n op count` holds. */
export function countTest(op: CompareOp, count: number): (n: number) => boolean {
  switch (op) {
    case "=":
      return (n) => n === count;
    case "!=":
      return (n) => n !== count;
    case "<":
      return (n) => n < count;
    case "<=":
      return (n) => n <= count;
    case ">":
      return (n) => n > count;
    case ">=":
      return (n) => n >= count;
  }
}

class Planner {
  readonly derived: Derived[] = [];

  constructor(private readonly context: PlanContext) {}

  program(c: CheckedCondition): Program {
    switch (c.kind) {
      case "const":
        return c.value ? ALL : NONE;
      case "and":
      case "or":
        return { o: c.kind, a: c.of.map((x) => this.program(x)) };
      case "not":
        return not(this.program(c.of));
      case "tag":
        return { o: "v", f: TAG_FIELD, v: c.code };
      case "flag":
        return { o: "v", f: attributeField(c.name), v: "true" };
      case "holdsKind":
        return { o: "v", f: HOLDS_KIND, v: c.productKind };
      case "holdsCode":
        return { o: "v", f: HOLDS_CODE, v: c.productCode };
      case "segment":
        return this.program(c.of);
      case "compare": {
        if (c.right.kind !== "literal") return this.derive({ t: "scan", key: "", scan: toScan(c, this.context) });
        return this.compare(c.left, c.op, c.right.value);
      }
      case "in": {
        const any: Program = { o: "or", a: c.list.map((value) => this.compare(c.value, "=", value)) };
        return c.negated ? not(any) : any;
      }
      case "related": {
        const test = countTest(c.op, c.count);
        const scan = toScan(c, this.context);
        const seed = seedOf(c.of);
        // Customers related to nobody satisfying the condition count 0: when 0 passes the test, the
        // derived bitmap holds those counted that fail it, and the program takes everyone else.
        const zeroPasses = test(0);
        const stored = zeroPasses ? (n: number): boolean => !test(n) : test;
        const read = this.derive({ t: "related", key: "", scan, relation: c.relation, test: stored, seed, inner: plan(c.of, this.context) }, { scan, complement: zeroPasses });
        return zeroPasses ? not(read) : read;
      }
      case "trajectory": {
        const scan = toScan(c, this.context) as Extract<ScanCondition, { kind: "trajectory" }>;
        const query = { event: scan.event, channel: scan.channel, productIds: scan.productIds, sinceMs: scan.sinceMs, untilMs: scan.untilMs };
        return this.derive({ t: "trajectory", key: "", scan, query });
      }
    }
  }

  /** `left op value` for a literal value. */
  private compare(left: CheckedRef, op: CompareOp, value: LiteralValue): Program {
    const numeric = left.kind === "score" || (left.kind === "attribute" && left.type === "number");
    if (numeric) {
      const field = left.kind === "score" ? scoreField(left.code) : attributeField(left.name);
      return numberCompare(field, op, value as number);
    }
    const field = left.kind === "tagValue" ? tagValueField(left.code) : attributeField(left.name);
    const equal: Program = { o: "v", f: field, v: String(value) };
    // the checker admits only = and != for text and true/false
    return op === "!=" ? not(equal) : equal;
  }

  /** Registers a derived bitmap under the hash of what it holds (`meaning`, its scan by default); the same twice is read once. */
  private derive(d: Derived, meaning: unknown = d.scan): Program {
    const key = this.context.derivedKey(createHash("sha1").update(JSON.stringify(meaning)).digest("hex"));
    const existing = this.derived.findIndex((x) => x.key === key);
    if (existing >= 0) return { o: "d", i: FIRST_DERIVED_KEY + existing };
    this.derived.push({ ...d, key });
    return { o: "d", i: FIRST_DERIVED_KEY + this.derived.length - 1 };
  }
}

/**
 * A number field compared with a number, as the scripts take it: everything is "below a key" (or
 * its complement among those with a value), `<=` and `>` being "below the next key"; `=` and `!=`
 * compare every slice.
 */
export function numberCompare(field: string, op: CompareOp, value: number): Program {
  const key = keyBits(value);
  switch (op) {
    case "<":
      return { o: "cmp", f: field, op: "lt", b: key };
    case "<=":
      return { o: "cmp", f: field, op: "lt", b: nextKey(key) };
    case ">=":
      return { o: "cmp", f: field, op: "ge", b: key };
    case ">":
      return { o: "cmp", f: field, op: "ge", b: nextKey(key) };
    case "=":
      return { o: "cmp", f: field, op: "eq", b: key };
    case "!=":
      return { o: "cmp", f: field, op: "ne", b: key };
  }
}

/** The relations of holders of a product or a tag are found from that node; anything else from the members' idx. */
function seedOf(c: CheckedCondition): RelatedSeed | null {
  if (c.kind === "holdsKind") return { holdsKind: c.productKind };
  if (c.kind === "holdsCode") return { holdsCode: c.productCode };
  if (c.kind === "tag") return { tag: c.code };
  if (c.kind === "segment") return seedOf(c.of);
  return null;
}

function scanValue(v: CheckedValue): ScanValue {
  switch (v.kind) {
    case "attribute":
      return { kind: "attribute", name: v.name };
    case "score":
      return { kind: "score", code: v.code };
    case "tagValue":
      return { kind: "tagValue", code: v.code };
    case "literal":
      return { kind: "literal", value: v.value };
  }
}

/** The checked condition as the scan translator reads it (src/graph/segments.ts ScanCondition). */
export function toScan(c: CheckedCondition, context: Pick<PlanContext, "products" | "asOfMs">): ScanCondition {
  switch (c.kind) {
    case "const":
      return { kind: "const", value: c.value };
    case "and":
    case "or":
      return { kind: c.kind, of: c.of.map((x) => toScan(x, context)) };
    case "not":
      return { kind: "not", of: toScan(c.of, context) };
    case "tag":
      return { kind: "tag", code: c.code };
    case "flag":
      return { kind: "flag", name: c.name };
    case "holdsKind":
      return { kind: "holdsKind", productKind: c.productKind };
    case "holdsCode":
      return { kind: "holdsCode", productCode: c.productCode };
    case "segment":
      return toScan(c.of, context);
    case "compare":
      return { kind: "compare", op: c.op, left: scanValue(c.left), right: scanValue(c.right) };
    case "in":
      return { kind: "in", negated: c.negated, value: scanValue(c.value), list: c.list };
    case "related":
      return { kind: "related", relation: c.relation, op: c.op, count: c.count, of: toScan(c.of, context) };
    case "trajectory": {
      const products = [...context.products.values()];
      const productIds =
        c.productKind !== null
          ? products.filter((p) => p.kind === c.productKind).map((p) => p.id)
          : c.productCode !== null
            ? products.filter((p) => p.code === c.productCode).map((p) => p.id)
            : null;
      return { kind: "trajectory", event: c.event, channel: c.channel, productIds, sinceMs: context.asOfMs - c.hours * 3_600_000, untilMs: context.asOfMs };
    }
  }
}
