import type { AttributeValue } from "../../domain/attributes";
import type { SegmentSubject } from "../attributes";
import type { CompareOp } from "./ast";
import type { CheckedCondition, CheckedValue } from "./check";
import { compileRead, holdsOrder, type Test } from "./evaluate";

/**
 * Why a condition came out as it did, in words an agent reads: "标签「流量重度用户」",
 * "ARPU 128 ≥ 100", "未持有 BROADBAND". Only the terms that decided it: for a true AND every part,
 * for a true OR the parts that are true, and through NOT the reasons its operand is false.
 * Compiled once into closures, like the test; run only for subjects that matched.
 */

/** Pushes onto `out` the facts that make the condition `truth` for `s`; call only when its test gives `truth`. */
export type Explain = (s: SegmentSubject, truth: boolean, out: string[]) => void;

/** The explanation of a checked condition; `testOf` gives the test of any node of it (see compileTest). */
export function compileExplain(node: CheckedCondition, testOf: (n: CheckedCondition) => Test): Explain {
  switch (node.kind) {
    case "const":
      return () => undefined;
    case "not": {
      const inner = compileExplain(node.of, testOf);
      return (s, truth, out) => inner(s, !truth, out);
    }
    case "and": {
      const tests = node.of.map(testOf);
      const parts = node.of.map((p) => compileExplain(p, testOf));
      // true because every part is; false because of the parts that are false
      return (s, truth, out) => {
        for (let i = 0; i < parts.length; i++) if (truth || !tests[i]!(s)) parts[i]!(s, truth, out);
      };
    }
    case "or": {
      const tests = node.of.map(testOf);
      const parts = node.of.map((p) => compileExplain(p, testOf));
      // true because of the parts that are true; false because every part is
      return (s, truth, out) => {
        for (let i = 0; i < parts.length; i++) if (!truth || tests[i]!(s)) parts[i]!(s, truth, out);
      };
    }
    // leaves: the fact observed, phrased whichever way it came out
    case "tag": {
      const { code } = node;
      const label = tagLabel(node.tagName);
      return leaf((s) => (s.tags.has(code) ? label : `无${label}`));
    }
    case "flag": {
      const { name, info } = node;
      return leaf((s) => {
        const v = s.attributes[name] ?? null;
        return `${info.label}：${v === null ? "未知" : show(v)}`;
      });
    }
    case "holdsKind": {
      const kind = node.productKind;
      return leaf((s) => (s.heldKinds.has(kind) ? `持有 ${kind}` : `未持有 ${kind}`));
    }
    case "holdsCode": {
      const code = node.productCode;
      return leaf((s) => (s.heldCodes.has(code) ? `持有 ${code}` : `未持有 ${code}`));
    }
    case "compare":
      return leaf(comparisonFact(node.left, node.op, node.right));
    case "segment": {
      const label = `客群「${node.name}」`;
      const test = testOf(node.of);
      return leaf((s) => (test(s) ? `属于${label}` : `不属于${label}`));
    }
    case "related":
    case "trajectory":
      throw new Error(`${node.kind} predicates are evaluated over the population (src/segments/preview), not per customer`);
    case "in": {
      // NOT IN tells the same fact as IN: the value and whether it is listed
      const read = compileRead(node.value);
      const set = new Set<AttributeValue>(node.list);
      const list = node.list.map(show).join("、");
      const label = labelOf(node.value);
      const missing = missingOf(node.value);
      return leaf((s) => {
        const v = read(s);
        if (v === null) return missing;
        return set.has(v) ? `${label}为 ${show(v)}` : `${label} ${show(v)} 不在 ${list} 之列`;
      });
    }
  }
}

function leaf(fact: (s: SegmentSubject) => string): Explain {
  return (s, _truth, out) => void out.push(fact(s));
}

const SYMBOL: Record<CompareOp, string> = { "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥" };
const NEGATED: Record<CompareOp, CompareOp> = { "=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<" };

function comparisonFact(l: CheckedValue, op: CompareOp, r: CheckedValue): (s: SegmentSubject) => string {
  const lget = compileRead(l);
  const rget = compileRead(r);
  const lLabel = labelOf(l);
  const lMissing = missingOf(l);
  const rMissing = missingOf(r);
  const rLiteral = r.kind === "literal";
  const rLabel = labelOf(r);
  const ordering = op !== "=" && op !== "!=";
  /** How the right side is shown next to the left: a literal bare, a reference with its label. */
  const showRight = (v: AttributeValue): string => (rLiteral ? show(v) : `${rLabel} ${show(v)}`);
  return (s) => {
    const a = lget(s);
    const b = rget(s);
    if (a === null) return lMissing;
    if (b === null) return rMissing;
    if (l.type === "boolean" && rLiteral) return `${lLabel}：${show(a)}`;
    if (ordering) {
      const sym = SYMBOL[holdsOrder(op, a as number, b as number) ? op : NEGATED[op]];
      return `${lLabel} ${show(a)} ${sym} ${showRight(b)}`;
    }
    if (a === b) return rLiteral ? `${lLabel}为 ${show(b)}` : `${lLabel} ${show(a)} = ${showRight(b)}`;
    return `${lLabel} ${show(a)} ≠ ${showRight(b)}`;
  };
}

function tagLabel(name: string): string {
  return `标签「${name}」`;
}

/** How a value is named to agents, e.g. "ARPU", "标签「年龄段」", "标签「流失预警评分」得分". */
function labelOf(v: CheckedValue): string {
  switch (v.kind) {
    case "attribute":
      return v.info.label;
    case "score":
      return `${tagLabel(v.tagName)}得分`;
    case "tagValue":
      return tagLabel(v.tagName);
    case "literal":
      return show(v.value);
  }
}

/** The fact shown when the value is missing, e.g. "无标签「年龄段」", "家庭成员：未知". */
function missingOf(v: CheckedValue): string {
  switch (v.kind) {
    case "attribute":
      return `${v.info.label}：${v.info.type === "boolean" ? "未知" : "无"}`;
    case "score":
    case "tagValue":
      return `无${tagLabel(v.tagName)}`;
    case "literal":
      return "";
  }
}

function show(v: AttributeValue): string {
  if (v === null) return "无";
  if (typeof v === "boolean") return v ? "是" : "否";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  return v;
}
