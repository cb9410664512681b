import type { AttributeValue } from "../../domain/attributes";
import type { SegmentSubject } from "../attributes";
import type { CompareOp } from "./ast";
import type { CheckedCondition, CheckedValue } from "./check";

/**
 * Checked tree → closures, built once per expression; evaluating a customer then walks no tree and
 * allocates nothing. It runs for every strategy on every decision, so the common shapes get their
 * own closures: an attribute compared with a literal reads the attribute inline, and AND/OR of two
 * or three parts call them directly rather than looping.
 */

/** Whether a condition holds for a subject. */
export type Test = (s: SegmentSubject) => boolean;
/** A value read from a subject; null when missing. */
export type Read = (s: SegmentSubject) => AttributeValue;

const ALWAYS: Test = () => true;
const NEVER: Test = () => false;

/**
 * The test of a checked condition. `tests`, when given, receives the test of every node compiled
 * (the explanation reuses them to tell which parts were true).
 */
export function compileTest(node: CheckedCondition, tests?: Map<CheckedCondition, Test>): Test {
  const test = build(node, tests);
  tests?.set(node, test);
  return test;
}

/** How a value is read from a subject (a literal reads itself). */
export function compileRead(v: CheckedValue): Read {
  switch (v.kind) {
    case "attribute": {
      const name = v.name;
      return (s) => s.attributes[name] ?? null;
    }
    case "score": {
      const code = v.code;
      return (s) => s.tags.get(code)?.score ?? null;
    }
    case "tagValue": {
      const code = v.code;
      return (s) => s.tags.get(code)?.value ?? null;
    }
    case "literal": {
      const value = v.value;
      return () => value;
    }
  }
}

/** Whether `a op b` holds for two numbers; only the ordering operators are asked. */
export function holdsOrder(op: CompareOp, a: number, b: number): boolean {
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

function build(node: CheckedCondition, tests: Map<CheckedCondition, Test> | undefined): Test {
  switch (node.kind) {
    case "const":
      return node.value ? ALWAYS : NEVER;
    case "and": {
      const parts = node.of.map((p) => compileTest(p, tests));
      const [a, b, c] = parts;
      if (parts.length === 2) return (s) => a!(s) && b!(s);
      if (parts.length === 3) return (s) => a!(s) && b!(s) && c!(s);
      return (s) => {
        for (const p of parts) if (!p(s)) return false;
        return true;
      };
    }
    case "or": {
      const parts = node.of.map((p) => compileTest(p, tests));
      const [a, b, c] = parts;
      if (parts.length === 2) return (s) => a!(s) || b!(s);
      if (parts.length === 3) return (s) => a!(s) || b!(s) || c!(s);
      return (s) => {
        for (const p of parts) if (p(s)) return true;
        return false;
      };
    }
    case "not": {
      const inner = compileTest(node.of, tests);
      return (s) => !inner(s);
    }
    case "tag": {
      const code = node.code;
      return (s) => s.tags.has(code);
    }
    case "flag": {
      const name = node.name;
      return (s) => s.attributes[name] === true;
    }
    case "holdsKind": {
      const kind = node.productKind;
      return (s) => s.heldKinds.has(kind);
    }
    case "holdsCode": {
      const code = node.productCode;
      return (s) => s.heldCodes.has(code);
    }
    case "compare":
      return compare(node);
    case "in": {
      const read = compileRead(node.value);
      const set = new Set<AttributeValue>(node.list);
      // a missing value (null) is in no list: the list holds literals only
      return node.negated ? (s) => !set.has(read(s)) : (s) => set.has(read(s));
    }
    case "segment":
      return compileTest(node.of, tests);
    case "related":
    case "trajectory":
      // The checker admits them only in population vocabularies, which the bitmap engine evaluates.
      throw new Error(`${node.kind} predicates are evaluated over the population (src/segments/preview), not per customer`);
  }
}

function compare(node: Extract<CheckedCondition, { kind: "compare" }>): Test {
  const { op, left, right } = node;
  if (right.kind === "literal") {
    const c = right.value;
    if (left.kind === "attribute") {
      const name = left.name;
      // `=` against a literal: a missing value (null or absent) equals no literal
      if (op === "=") return (s) => s.attributes[name] === c;
      if (op === "!=") return (s) => s.attributes[name] !== c;
      return ordering(op, c as number, (s) => s.attributes[name]);
    }
    const read = compileRead(left);
    if (op === "=") return (s) => read(s) === c;
    if (op === "!=") return (s) => read(s) !== c;
    return ordering(op, c as number, read);
  }
  const l = compileRead(left);
  const r = compileRead(right);
  if (op === "=") return (s) => l(s) === r(s);
  if (op === "!=") return (s) => l(s) !== r(s);
  return (s) => {
    const a = l(s);
    const b = r(s);
    return typeof a === "number" && typeof b === "number" && holdsOrder(op, a, b);
  };
}

/** `read(s) op c` for a number literal `c`; false when the value is missing or not a number. */
function ordering(op: CompareOp, c: number, read: (s: SegmentSubject) => AttributeValue | undefined): Test {
  switch (op) {
    case "<":
      return (s) => {
        const a = read(s);
        return typeof a === "number" && a < c;
      };
    case "<=":
      return (s) => {
        const a = read(s);
        return typeof a === "number" && a <= c;
      };
    case ">":
      return (s) => {
        const a = read(s);
        return typeof a === "number" && a > c;
      };
    default:
      return (s) => {
        const a = read(s);
        return typeof a === "number" && a >= c;
      };
  }
}
