import { int, type GraphSession } from "../platform/neo4j";
import type { CustomerNode } from "./model";
import type { ChannelCode } from "../domain/vocabulary";
import type { CustomerRecord } from "./records";
import { toDate } from "./records";

/**
 * Customers with their profile (holdings, tags, channel preferences) in one statement for the
 * whole batch: pattern comprehensions keep it one row per customer. Products and tags come back
 * as ids; their properties are reference data (src/customer360/reference.ts).
 */
export const CUSTOMER_PROFILE_PROJECTION = `
  RETURN c {.*, profile: {
    holdings: [(c)-[s:SUBSCRIBES]->(p:Product) | [p.id, s.since.epochMillis]],
    tags: [(c)-[h:HAS_TAG]->(t:Tag) | [t.id, h.value, h.score, h.at.epochMillis]],
    preferredChannels: [(c)-[r:PREFERS]->(ch:Channel) | [r.rank, ch.code]]
  }} AS c`;

export type RawProfile = {
  holdings: Array<[string, number]>;
  tags: Array<[string, string | null, number | null, number]>;
  preferredChannels: Array<[number, ChannelCode]>;
};

/** Customers by id, one round trip for the whole batch. Missing ids are absent from the map. */
export async function customersByIds(graph: GraphSession, ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
  const rows = await graph.read<{ c: CustomerNode & { profile: RawProfile } }>(`MATCH (c:Customer) WHERE c.id IN $ids ${CUSTOMER_PROFILE_PROJECTION}`, { ids });
  return new Map(rows.map((r) => [r.c.id, withProfile(r.c)]));
}

/** Which of `ids` are customers: one index lookup per id, one round trip for the batch (events are checked at the door). */
export async function existingCustomerIds(graph: GraphSession, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await graph.read<{ id: string }>(`MATCH (c:Customer) WHERE c.id IN $ids RETURN c.id AS id`, { ids: [...new Set(ids)] });
  return new Set(rows.map((r) => r.id));
}

/** Customers by MSISDN, one round trip for the batch. */
export async function customersByMsisdns(graph: GraphSession, msisdns: readonly string[]): Promise<Map<string, CustomerRecord>> {
  const rows = await graph.read<{ c: CustomerNode & { profile: RawProfile } }>(
    `MATCH (c:Customer) WHERE c.msisdn IN $msisdns ${CUSTOMER_PROFILE_PROJECTION}`,
    { msisdns },
  );
  return new Map(rows.map((r) => [r.c.msisdn, withProfile(r.c)]));
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

export interface CircleMemberRecord {
  /** Properties only: a member's profile is read through the customer loader if asked for. */
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
