import type { ProductRecord, TagRecord } from "../../graph/records";
import type { IndexedCustomer } from "../../graph/segments";
import { CUSTOMER_ATTRIBUTES, customerAttributes } from "../attributes";

/**
 * What the bitmaps hold about a customer, field by field. A *value field* has one bitmap per value
 * (`v:<field>:<value>`: the customers with that value; a customer may have several, e.g. the tags
 * it carries); a *number field* is bit-sliced (./bits.ts). Fields:
 *
 *   tag                  value field: the codes of the tags the customer carries (of any status: a
 *                        tag published later needs no rebuild; expressions name served ones only)
 *   tagv:<CODE>          value field: a CATEGORY tag's value
 *   score:<CODE>         number field: a tag's score
 *   holds:kind           value field: the kinds of the products held
 *   holds:code           value field: the business codes of the products held
 *   attr:<name>          a customer attribute (src/segments/attributes.ts): number fields for numbers,
 *                        value fields for text and true/false ("true", "false")
 *
 * Fields come in groups that change together, so a change refreshes only its group.
 */

/**
 * `trajectory`: a contact was added to the customer's trajectory (recordInteraction, a work order's
 * call). No bitmap holds the trajectory (its predicates are computed per preview window from the
 * (kind, at) index), so the index has nothing to re-read for it; listeners whose results may
 * depend on it (rule tags with `complained(48h)`) re-evaluate the customer.
 */
export type FieldGroup = "attributes" | "tags" | "holdings" | "trajectory";
/** The groups the bitmaps hold (what a change without groups refreshes). */
export const FIELD_GROUPS: readonly FieldGroup[] = ["attributes", "tags", "holdings"];

export const TAG_FIELD = "tag";
export const tagValueField = (code: string): string => `tagv:${code}`;
export const scoreField = (code: string): string => `score:${code}`;
export const HOLDS_KIND = "holds:kind";
export const HOLDS_CODE = "holds:code";
export const attributeField = (name: string): string => `attr:${name}`;

/** The attributes the bitmaps hold: every customer attribute (event fields belong to trigger conditions only). */
export const INDEXED_ATTRIBUTES: ReadonlyArray<[string, (typeof CUSTOMER_ATTRIBUTES)[string]]> = Object.entries(CUSTOMER_ATTRIBUTES).filter(([name]) => !name.includes("."));

/** One customer's fields of some groups: every field of those groups is present (empty when it has no value), so stale bits get cleared. */
export interface CustomerFields {
  idx: number;
  values: Record<string, string[]>;
  /** Numbers by field; null where the customer has none. */
  numbers: Record<string, number | null>;
}

/** What the fields are made from: the reference data (every tag, whatever its status, and the catalogue). */
export interface FieldContext {
  tags: ReadonlyMap<string, TagRecord>;
  products: ReadonlyMap<string, ProductRecord>;
}

/** A customer's fields in the groups asked for. */
export function customerFields(c: IndexedCustomer, context: FieldContext, groups: readonly FieldGroup[] = FIELD_GROUPS): CustomerFields {
  const values: Record<string, string[]> = {};
  const numbers: Record<string, number | null> = {};
  const profile = c.customer.profile;
  if (!profile) throw new Error(`the segment index needs customer ${c.customer.id} read with its profile`);
  if (groups.includes("attributes")) {
    const attributes = customerAttributes(c.customer, { familyMember: c.familyMember });
    for (const [name, info] of INDEXED_ATTRIBUTES) {
      const value = attributes[name] ?? null;
      if (info.type === "number") numbers[attributeField(name)] = typeof value === "number" && Number.isFinite(value) ? value : null;
      else values[attributeField(name)] = value === null ? [] : [String(value)];
    }
  }
  if (groups.includes("tags")) {
    const carried = new Map<string, { value: string | null; score: number | null }>();
    for (const t of profile.tags) {
      const tag = context.tags.get(t.tagId);
      if (tag) carried.set(tag.code, { value: t.value, score: t.score });
    }
    values[TAG_FIELD] = [...carried.keys()];
    for (const tag of context.tags.values()) {
      const held = carried.get(tag.code);
      if (tag.valueType === "CATEGORY") values[tagValueField(tag.code)] = held?.value != null ? [held.value] : [];
      numbers[scoreField(tag.code)] = held?.score != null && Number.isFinite(held.score) ? held.score : null;
    }
  }
  if (groups.includes("holdings")) {
    const kinds = new Set<string>();
    const codes = new Set<string>();
    for (const h of profile.holdings) {
      const product = context.products.get(h.productId);
      if (!product) continue;
      kinds.add(product.kind);
      codes.add(product.code);
    }
    values[HOLDS_KIND] = [...kinds];
    values[HOLDS_CODE] = [...codes];
  }
  return { idx: c.idx, values, numbers };
}

/** The fields of one tag (a tag's bitmaps are refreshed together when it is published or recomputed). */
export function tagFields(tag: Pick<TagRecord, "code" | "valueType">): { value: string | null; score: string } {
  return { value: tag.valueType === "CATEGORY" ? tagValueField(tag.code) : null, score: scoreField(tag.code) };
}
