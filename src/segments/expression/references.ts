import type { ConditionNode, SegmentAst, ValueNode } from "./ast";
import { parseSegment } from "./parse";

/**
 * The tag codes an expression names (a tag standing alone, a category tag's value, a score), each
 * once, in order of appearance; read from the syntax tree alone, so an expression naming a tag
 * that is no longer served (offline, unpublished, unknown) still tells which. The tag library's
 * lineage (what uses a tag) and the segments' flags (which tags stop them) are built on it.
 */
export function referencedTagCodes(ast: SegmentAst): string[] {
  const codes = new Set<string>();
  const value = (v: ValueNode): void => {
    if (v.kind === "tagValue" || v.kind === "score") codes.add(v.code);
    if (v.kind === "related") walk(v.of);
  };
  const walk = (node: ConditionNode): void => {
    switch (node.kind) {
      case "and":
      case "or":
        for (const child of node.of) walk(child);
        return;
      case "not":
        walk(node.of);
        return;
      case "compare":
        value(node.left);
        value(node.right);
        return;
      case "in":
        value(node.value);
        return;
      case "tag":
      case "score":
        codes.add(node.code);
        return;
      case "related":
        walk(node.of);
        return;
      default:
        return;
    }
  };
  walk(ast);
  return [...codes];
}

/**
 * The segment codes an expression names with `inSegment(…)`, each once, in order of appearance
 * (only those named directly: what they name in turn is theirs).
 */
export function referencedSegmentCodes(ast: SegmentAst): string[] {
  const codes = new Set<string>();
  const walk = (node: ConditionNode | ValueNode): void => {
    switch (node.kind) {
      case "and":
      case "or":
        for (const child of node.of) walk(child);
        return;
      case "not":
      case "related":
        walk(node.of);
        return;
      case "compare":
        walk(node.left);
        walk(node.right);
        return;
      case "inSegment":
        codes.add(node.code);
        return;
      default:
        return;
    }
  };
  walk(ast);
  return [...codes];
}

/**
 * The tag codes the text of an expression names; an expression that does not parse names none
 * (a stored expression always parsed when it was approved, so this only happens to hand-written
 * data, which then cannot be traced).
 */
export function tagCodesIn(source: string): string[] {
  try {
    return referencedTagCodes(parseSegment(source));
  } catch {
    return [];
  }
}
