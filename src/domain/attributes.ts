/**
 * What an attribute a segment expression or a trigger condition can test looks like: its type, the
 * label agents read, and the values it may take. Customer attributes (src/segments/attributes.ts)
 * and event payload fields (./events.ts) are both described this way.
 */

export type AttributeType = "number" | "string" | "boolean";
export type AttributeValue = string | number | boolean | null;

/** What an operator (and the expression's type checker) knows about one attribute. */
export interface AttributeInfo {
  type: AttributeType;
  /** Short Chinese name used in match reasons agents read, e.g. "ARPU 128 ≥ 100". */
  label: string;
  description: string;
  /** The only values a string attribute takes (enums); absent for free text. */
  values?: readonly string[];
  /** Shape of a valid value of a free-text attribute (ids), so a typo fails at compile time. */
  pattern?: RegExp;
}
