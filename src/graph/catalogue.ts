import type { Cypher, GraphSession } from "../platform/neo4j";
import type { ChannelRecord, ProductRecord, RegionRecord, TagRecord } from "./records";

/** The product catalogue, ordered by kind then fee. */
export async function listProducts(graph: Cypher): Promise<ProductRecord[]> {
  const rows = await graph.read<{ p: ProductRecord }>(
    `MATCH (p:Product) RETURN p {.*} AS p ORDER BY p.kind, p.monthlyFee, p.oneOffPrice, p.id`,
  );
  return rows.map((r) => r.p);
}

export type ProductRelation = "UPGRADES_TO" | "REQUIRES" | "EXCLUDES";

/** Products linked from each product by `relation` (both directions for EXCLUDES, which is symmetric). */
export async function relatedProducts(
  graph: GraphSession,
  relation: ProductRelation,
  ids: readonly string[],
): Promise<Map<string, ProductRecord[]>> {
  const pattern = relation === "EXCLUDES" ? "(p)-[:EXCLUDES]-(q:Product)" : `(p)-[:${relation}]->(q:Product)`;
  const rows = await graph.read<{ id: string; related: ProductRecord[] }>(
    `UNWIND $ids AS id
     MATCH (p:Product {id: id})
     OPTIONAL MATCH ${pattern}
     WITH id, q ORDER BY q.monthlyFee, q.id
     RETURN id, collect(DISTINCT q {.*}) AS related`,
    { ids },
  );
  return new Map(rows.map((r) => [r.id, r.related]));
}

/** The seven channels. */
export async function listChannels(graph: Cypher): Promise<ChannelRecord[]> {
  const rows = await graph.read<{ ch: ChannelRecord }>(`MATCH (ch:Channel) RETURN ch {.*} AS ch ORDER BY ch.code`);
  return rows.map((r) => r.ch);
}

/** Every region with its parent's id (a few dozen rows; held as reference data). */
export async function listRegions(graph: Cypher): Promise<RegionRecord[]> {
  const rows = await graph.read<{ r: RegionRecord }>(
    `MATCH (r:Region) OPTIONAL MATCH (r)-[:PART_OF]->(p:Region)
     RETURN r {.id, .name, .level, parentId: p.id} AS r ORDER BY r.id`,
  );
  return rows.map((row) => row.r);
}

/** Every tag of the library with its status (the read side shows PUBLISHED ones only). */
export async function listTags(graph: Cypher): Promise<TagRecord[]> {
  const rows = await graph.read<{ t: TagRecord }>(
    `MATCH (t:Tag) RETURN t {.id, .code, .name, .level1, .level2, .definition, .valueType, .status} AS t ORDER BY t.level1, t.level2, t.id`,
  );
  return rows.map((r) => r.t);
}

/** One product's kind and its outgoing REQUIRES, EXCLUDES and UPGRADES_TO targets (reference data). */
export interface ProductRelationsRow {
  id: string;
  kind: string;
  requires: string[];
  /** Outgoing EXCLUDES only: the seed stores the relation both ways, and eligibility reads it as the graph does. */
  excludes: string[];
  upgradesTo: string[];
}

/** The catalogue's product relations, one row per product (a few dozen): what eligibility is computed from outside the graph. */
export async function productRelations(graph: Cypher): Promise<ProductRelationsRow[]> {
  return graph.read<ProductRelationsRow>(
    `MATCH (p:Product)
     RETURN p.id AS id, p.kind AS kind,
       [(p)-[:REQUIRES]->(q:Product) | q.id] AS requires,
       [(p)-[:EXCLUDES]->(x:Product) | x.id] AS excludes,
       [(p)-[:UPGRADES_TO]->(u:Product) | u.id] AS upgradesTo
     ORDER BY p.id`,
  );
}
