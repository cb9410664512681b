import { int, type GraphSession } from "../platform/neo4j";
import type { CustomerNode } from "./model";
import type { ChannelCode } from "../domain/vocabulary";
import type { CustomerRecord, CustomerScope, OutOfScope } from "./records";
import { toDate } from "./records";

/**
 * Customers with their profile (holdings, tags, channel preferences) in one statement for the
 * whole batch: pattern comprehensions keep it one row per customer. Products and tags come back
 * as ids; their properties are reference data (src/customer360/reference.ts).
 */
const CUSTOMER_PROFILE_MAP = `c {.*, profile: {
    holdings: [(c)-[s:SUBSCRIBES]->(p:Product) | [p.id, s.since.epochMillis]],
    tags: [(c)-[h:HAS_TAG]->(t:Tag) | [t.id, h.value, h.score, h.at.epochMillis]],
    preferredChannels: [(c)-[r:PREFERS]->(ch:Channel) | [r.rank, ch.code]]
  }}`;

export const CUSTOMER_PROFILE_PROJECTION = `
  RETURN ${CUSTOMER_PROFILE_MAP} AS c`;

/**
 * Whether the customer bound to `v` lies within `$scope` (a {@link CustomerScope}): a filter on a
 * node already found through its index, so scoping never turns a seek into a scan.
 */
export function inScope(v: string): string {
  return `($scope.all OR ${v}.id IN $scope.customerIds OR any(region IN $scope.regions WHERE ${v}.regionId STARTS WITH region))`;
}

/**
 * Customers found by `lookup` (a MATCH of `c` through an index), those in `$scope` with their
 * profile, the others as their id only: their properties never leave the graph.
 */
function scopedCustomers(lookup: string, key: string): string {
  return `${lookup}
  WITH c, ${inScope("c")} AS visible
  RETURN ${key} AS key, c.id AS id, CASE WHEN visible THEN ${CUSTOMER_PROFILE_MAP} END AS c`;
}

/** The statement behind {@link customersByIds} (exported so a test can check its plan seeks the index). */
export const CUSTOMERS_BY_IDS = scopedCustomers("MATCH (c:Customer) WHERE c.id IN $ids", "c.id");
/** Keyed by the number asked for (the asker's own input). */
const CUSTOMERS_BY_MSISDNS = scopedCustomers("MATCH (c:Customer) WHERE c.msisdn IN $msisdns", "c.msisdn");

type ScopedRow = { key: string; id: string; c: (CustomerNode & { profile: RawProfile }) | null };

function scopedRecord(row: ScopedRow): CustomerRecord | OutOfScope {
  return row.c ? withProfile(row.c) : { outOfScope: true, id: row.id };
}

export type RawProfile = {
  holdings: Array<[string, number]>;
  tags: Array<[string, string | null, number | null, number]>;
  preferredChannels: Array<[number, ChannelCode]>;
};

/**
 * Customers by id, one round trip for the whole batch: those within `scope` with their profile,
 * the others marked out of scope. Missing ids are absent from the map.
 */
export async function customersByIds(graph: GraphSession, ids: readonly string[], scope: CustomerScope): Promise<Map<string, CustomerRecord | OutOfScope>> {
  const rows = await graph.read<ScopedRow>(CUSTOMERS_BY_IDS, { ids, scope });
  return new Map(rows.map((r) => [r.key, scopedRecord(r)]));
}

/** The district of each of `ids` that is a customer: one index lookup per id, one round trip for the batch. */
export async function customerRegions(graph: GraphSession, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await graph.read<{ id: string; regionId: string }>(`MATCH (c:Customer) WHERE c.id IN $ids RETURN c.id AS id, c.regionId AS regionId`, { ids: [...new Set(ids)] });
  return new Map(rows.map((r) => [r.id, r.regionId]));
}

/** Which of `ids` are customers: one index lookup per id, one round trip for the batch (events are checked at the door). */
export async function existingCustomerIds(graph: GraphSession, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await graph.read<{ id: string }>(`MATCH (c:Customer) WHERE c.id IN $ids RETURN c.id AS id`, { ids: [...new Set(ids)] });
  return new Set(rows.map((r) => r.id));
}

/**
 * A customer to warm the hot paths with at start (src/main/warm-up.ts): the one with the lowest
 * dense index (`idx`, a seek on its unique index with the order it gives), or any customer when
 * none has one yet; null in an empty graph.
 */
export async function firstCustomer(graph: GraphSession): Promise<{ id: string; msisdn: string } | null> {
  const [indexed] = await graph.read<{ id: string; msisdn: string }>(`MATCH (c:Customer) WHERE c.idx >= 0 RETURN c.id AS id, c.msisdn AS msisdn ORDER BY c.idx LIMIT 1`);
  if (indexed) return indexed;
  const [any] = await graph.read<{ id: string; msisdn: string }>(`MATCH (c:Customer) RETURN c.id AS id, c.msisdn AS msisdn LIMIT 1`);
  return any ?? null;
}

/** Customers by MSISDN, one round trip for the batch, scoped as {@link customersByIds}. */
export async function customersByMsisdns(graph: GraphSession, msisdns: readonly string[], scope: CustomerScope): Promise<Map<string, CustomerRecord | OutOfScope>> {
  const rows = await graph.read<ScopedRow>(CUSTOMERS_BY_MSISDNS, { msisdns, scope });
  return new Map(rows.map((r) => [r.key, scopedRecord(r)]));
}

export function withProfile(c: CustomerNode & { profile: RawProfile }): CustomerRecord {
  const { holdings, tags, preferredChannels } = c.profile;
  return {
    ...c,
    profile: {
      holdings: holdings.map(([productId, since]) => ({ productId, since: toDate(since) })).sort((a, b) => a.since.getTime() - b.since.getTime() || (a.productId < b.productId ? -1 : 1)),
      tags: tags.map(([tagId, value, score, at]) => ({ tagId, value, score, at: toDate(at) })),
      preferredChannels: preferredChannels.sort((a, b) => a[0] - b[0]).map(([, code]) => code),
    },
  };
}

export interface CircleRequest {
  key: string;
  customerId: string;
  limit: number;
}

/** How a circle member is tied to the customer. */
export type CircleRelation = "FAMILY" | "VNET" | "ENTERPRISE" | "CALLS";

export interface CircleMemberRecord {
  /**
   * Properties only (a member's profile is read through the customer loader if asked for); null
   * when the member lies outside the asker's scope: then only its name and number are known,
   * for showing masked.
   */
  customer: CustomerRecord | null;
  name: string;
  msisdn: string;
  relations: CircleRelation[];
  strength: number;
  callsPerMonth: number;
}

/**
 * Family, V-net, enterprise and calling-circle members of each customer, strongest tie first.
 * Strength combines independent reasons, 1 − Π(1 − wᵢ): family 0.6, V-net 0.3, enterprise 0.1,
 * calls min(0.9, calls per month / 50). So a family member one calls daily outranks a V-net peer.
 */
export async function circles(graph: GraphSession, requests: readonly CircleRequest[], scope: CustomerScope): Promise<Map<string, CircleMemberRecord[]>> {
  const rows = await graph.read<{ key: string; members: CircleMemberRecord[] }>(
    `UNWIND $requests AS r
     MATCH (c:Customer {id: r.customerId})
     ${RANKED_TIES}
     WITH r, collect({customer: CASE WHEN ${inScope("m")} THEN m {.*} END, name: m.name, msisdn: m.msisdn,
       relations: relations, strength: strength, callsPerMonth: calls})[0..r.limit] AS members
     RETURN r.key AS key, members`,
    { requests: requests.map((r) => ({ ...r, limit: int(r.limit) })), scope },
  );
  return new Map(rows.map((r) => [r.key, r.members.map((m) => ({ ...m, relations: sortRelations(m.relations) }))]));
}

/** The order a member's relations are listed in (the first is the tie shown). */
const RELATION_ORDER = ["FAMILY", "VNET", "ENTERPRISE", "CALLS"] as const;

/** A member's relations in {@link RELATION_ORDER} (the graph collects them in no particular order). */
export function sortRelations(relations: readonly CircleRelation[]): CircleRelation[] {
  return [...relations].sort((a, b) => RELATION_ORDER.indexOf(a) - RELATION_ORDER.indexOf(b));
}

/**
 * The ties of the customer bound to `c`, strongest first, one row each (`m`, `relations`, `calls`,
 * `strength`; what was bound before stays in scope): the ranking {@link circles} and the live
 * profile (./profiles.ts) share, so the view reads the same circle from either.
 */
export const RANKED_TIES = `CALL (c) {
       CALL (c) {
         MATCH (c)-[:MEMBER_OF]->(g:Group)<-[:MEMBER_OF]-(m:Customer)
         RETURN m, g.kind AS relation, 0 AS calls
         UNION ALL
         MATCH (c)-[k:CALLS]-(m:Customer)
         RETURN m, 'CALLS' AS relation, k.perMonth AS calls
       }
       WITH m, collect(DISTINCT relation) AS relations, sum(calls) AS calls
       RETURN m, relations, calls,
          1.0 - (CASE WHEN 'FAMILY' IN relations THEN 0.4 ELSE 1.0 END)
              * (CASE WHEN 'VNET' IN relations THEN 0.7 ELSE 1.0 END)
              * (CASE WHEN 'ENTERPRISE' IN relations THEN 0.9 ELSE 1.0 END)
              * (1.0 - CASE WHEN calls / 50.0 > 0.9 THEN 0.9 ELSE calls / 50.0 END) AS strength
     }
     WITH *
     ORDER BY strength DESC, m.id`;

/** A circle member read by id for the unified view: its name and number always (shown masked outside the scope), its properties within `$scope`. */
export interface ScopedMemberRow {
  id: string;
  name: string;
  msisdn: string;
  c: CustomerNode | null;
}

/**
 * Circle members by id (those whose live profile is not in Redis), one round trip for the batch:
 * within `scope` their properties, as {@link circles} reads a member (its profile is read through
 * the customer loader if asked for); the others with their name and number only, which the view
 * shows masked.
 */
export async function circleMembersByIds(graph: GraphSession, ids: readonly string[], scope: CustomerScope): Promise<Map<string, ScopedMemberRow>> {
  if (ids.length === 0) return new Map();
  const rows = await graph.read<ScopedMemberRow>(
    `MATCH (c:Customer) WHERE c.id IN $ids
     RETURN c.id AS id, c.name AS name, c.msisdn AS msisdn, CASE WHEN ${inScope("c")} THEN c {.*} END AS c`,
    { ids, scope },
  );
  return new Map(rows.map((r) => [r.id, r]));
}
