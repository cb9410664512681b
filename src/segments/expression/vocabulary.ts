import { PRODUCT_KINDS } from "../../domain/vocabulary";
import type { AttributeInfo } from "../../domain/attributes";
import type { ProductRecord, TagRecord } from "../../graph/records";
import { isServedTag } from "../../customer360/published";
import { CUSTOMER_ATTRIBUTES } from "../attributes";

/** What an expression may reference: the names ./check.ts resolves and the labels explanations use. */
export interface SegmentVocabulary {
  attributes: Readonly<Record<string, AttributeInfo>>;
  /** Served (published) tags by code. */
  tags: ReadonlyMap<string, { name: string; valueType: "FLAG" | "CATEGORY" | "SCORE" }>;
  productKinds: readonly string[];
  productCodes: ReadonlySet<string>;
  /**
   * Saved segments by code, for `inSegment(CODE)`: their expressions are checked where they are
   * named, against this same vocabulary. Absent: other segments cannot be named here.
   */
  segments?: ReadonlyMap<string, { name: string; expression: string }>;
  /**
   * Whether the expression is evaluated over the whole population (segment previews and sizing,
   * src/segments/preview): only there may it use the graph (`family(…)`, `circle(…)`) and the
   * trajectory (`contacted(…)` …), which a decision's per-customer evaluation does not read.
   */
  population?: boolean;
}

/** The vocabulary of the current reference data: served tags, every product kind, the catalogue's codes. */
export function segmentVocabulary(products: ReadonlyMap<string, ProductRecord>, tags: ReadonlyMap<string, TagRecord>): SegmentVocabulary {
  const served = new Map<string, { name: string; valueType: TagRecord["valueType"] }>();
  for (const t of tags.values()) if (isServedTag(t)) served.set(t.code, { name: t.name, valueType: t.valueType });
  return {
    attributes: CUSTOMER_ATTRIBUTES,
    tags: served,
    productKinds: PRODUCT_KINDS,
    productCodes: new Set([...products.values()].map((p) => p.code)),
  };
}
