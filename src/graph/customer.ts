import { int, type GraphSession } from "./db";
import type { CustomerRecord, CustomerTagRecord, HoldingRecord, ProductRecord, TagRecord } from "./records";
import { toDate } from "./records";
import type { ChannelCode } from "./model";

/** Customers by id, one round trip for the whole batch. Missing ids are absent from the map. */
export async function customersByIds(graph: GraphSession, ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
  const rows = await graph.read<{ c: CustomerRecord }>(
    `MATCH (c:Customer) WHERE c.id IN $ids RETURN c {.*} AS c`,
    { ids },
  );
  return new Map(rows.map((r) => [r.c.id, r.c]));
}

/** Customers by MSISDN, one round trip for the batch. */
export async function customersByMsisdns(graph: GraphSession, msisdns: readonly string[]): Promise<Map<string, CustomerRecord>> {
  const rows = await graph.read<{ c: CustomerRecord }>(
    `MATCH (c:Customer) WHERE c.msisdn IN $msisdns RETURN c {.*} AS c`,
    { msisdns },
  );
  return new Map(rows.map((r) => [r.c.msisdn, r.c]));
}

/** Products held by each customer, with the date they were taken. */
export async function holdingsByCustomer(graph: GraphSession, ids: readonly string[]): Promise<Map<string, HoldingRecord[]>> {
  const rows = await graph.read<{ id: string; holdings: Array<{ product: ProductRecord; since: number }> }>(
    `UNWIND $ids AS id
     MATCH (:Customer {id: id})-[s:SUBSCRIBES]->(p:Product)
     WITH id, s, p ORDER BY s.since, p.id
     RETURN id, collect({product: p {.*}, since: s.since.epochMillis}) AS holdings`,
    { ids },
  );
  return new Map(rows.map((r) => [r.id, r.holdings.map((h) => ({ product: h.product, since: toDate(h.since) }))]));
}

/** Published tags of each customer, grouped taxonomy-first so the desktop can show them by family. */
export async function tagsByCustomer(graph: GraphSession, ids: readonly string[]): Promise<Map<string, CustomerTagRecord[]>> {
  const rows = await graph.read<{ id: string; tags: Array<{ tag: TagRecord; value: string | null; score: number | null; at: number }> }>(
    `UNWIND $ids AS id
     MATCH (:Customer {id: id})-[h:HAS_TAG]->(t:Tag)
     WHERE t.status = 'PUBLISHED'
     WITH id, h, t ORDER BY t.level1, t.level2, t.id
     RETURN id, collect({
       tag: t {.id, .code, .name, .level1, .level2, .definition, .valueType},
       value: h.value, score: h.score, at: h.at.epochMillis
     }) AS tags`,
    { ids },
  );
  return new Map(rows.map((r) => [r.id, r.tags.map((t) => ({ ...t, at: toDate(t.at) }))]));
}

/** Channel codes each customer prefers, most preferred first. */
export async function preferredChannelsByCustomer(graph: GraphSession, ids: readonly string[]): Promise<Map<string, ChannelCode[]>> {
  const rows = await graph.read<{ id: string; codes: ChannelCode[] }>(
    `UNWIND $ids AS id
     MATCH (:Customer {id: id})-[r:PREFERS]->(ch:Channel)
     WITH id, r.rank AS rank, ch.code AS code ORDER BY rank
     RETURN id, collect(code) AS codes`,
    { ids },
  );
  return new Map(rows.map((r) => [r.id, r.codes]));
}

export interface CircleRequest {
  key: string;
  customerId: string;
  limit: number;
}

export interface CircleMemberRecord {
  customer: CustomerRecord;
  relations: Array<"FAMILY" | "VNET" | "ENTERPRISE" | "CALLS">;
  strength: number;
  callsPerMonth: number;
}

/**
 * Family, V-net, enterprise and calling-circle members of each customer, strongest tie first.
 * Strength combines independent reasons, 1 − Π(1 − wᵢ): family 0.6, V-net 0.3, enterprise 0.1,
 * calls min(0.9, calls per month / 50). So a family member one calls daily outranks a V-net peer.
 */
export async function circles(graph: GraphSession, requests: readonly CircleRequest[]): Promise<Map<string, CircleMemberRecord[]>> {
  const rows = await graph.read<{ key: string; members: CircleMemberRecord[] }>(
    `UNWIND $requests AS r
     MATCH (c:Customer {id: r.customerId})
     CALL (c) {
       MATCH (c)-[:MEMBER_OF]->(g:Group)<-[:MEMBER_OF]-(m:Customer)
       RETURN m, g.kind AS relation, 0 AS calls
       UNION ALL
       MATCH (c)-[k:CALLS]-(m:Customer)
       RETURN m, 'CALLS' AS relation, k.perMonth AS calls
     }
     WITH r, m, collect(DISTINCT relation) AS relations, sum(calls) AS calls
     WITH r, m, relations, calls,
          1.0 - (CASE WHEN 'FAMILY' IN relations THEN 0.4 ELSE 1.0 END)
              * (CASE WHEN 'VNET' IN relations THEN 0.7 ELSE 1.0 END)
              * (CASE WHEN 'ENTERPRISE' IN relations THEN 0.9 ELSE 1.0 END)
              * (1.0 - CASE WHEN calls / 50.0 > 0.9 THEN 0.9 ELSE calls / 50.0 END) AS strength
     ORDER BY strength DESC, m.id
     WITH r, collect({customer: m {.*}, relations: relations, strength: strength, callsPerMonth: calls})[0..r.limit] AS members
     RETURN r.key AS key, members`,
    { requests: requests.map((r) => ({ ...r, limit: int(r.limit) })) },
  );
  const order = ["FAMILY", "VNET", "ENTERPRISE", "CALLS"] as const;
  return new Map(
    rows.map((r) => [
      r.key,
      r.members.map((m) => ({ ...m, relations: [...m.relations].sort((a, b) => order.indexOf(a) - order.indexOf(b)) })),
    ]),
  );
}
