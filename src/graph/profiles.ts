import type { Cypher } from "../platform/neo4j";
import type { CustomerNode } from "./model";
import { CUSTOMER_PROFILE_PROJECTION, RANKED_TIES, type CircleRelation, type RawProfile } from "./customer";

/**
 * The graph side of the live decision profile (src/customer360/profiles.ts): what a decision reads
 * about a customer, in the shape it is stored in Redis, and who else's profile a change touches.
 */

/**
 * What a decision reads about one customer, as stored: the customer with its profile (attributes,
 * holdings, tags, channel preferences, as {@link CUSTOMER_PROFILE_PROJECTION} returns it) and the
 * holdings of each family member and each calling-circle contact (lists of product ids, exactly
 * what DECISION_INPUTS in ./decision.ts collects). Eligibility, adoption counts and upgrade pairs
 * are derived from it and the catalogue's relations at read time.
 */
export interface StoredProfile {
  c: CustomerNode & { profile: RawProfile };
  family: string[][];
  circle: string[][];
  /**
   * The unified view's circle: the customer's strongest {@link MAX_STORED_TIES} ties (family,
   * V-net, enterprise, calls), strongest first, ranked as the graph's circles() ranks them
   * (RANKED_TIES), as [member id, relations, calls per month, strength]. The members themselves
   * are read from their own profiles: their properties change with their own events.
   */
  ties: StoredTie[];
}

/** One tie of a stored profile: [member id, relations, calls per month, strength]. */
export type StoredTie = [string, CircleRelation[], number, number];

/** Ties kept per profile: the most a view's circle(limit) may ask for (MAX_CIRCLE in src/customer360/service.ts). */
export const MAX_STORED_TIES = 50;

/**
 * One walk of the customer's ties gives all three parts: the ties as the view's circle ranks them
 * ({@link RANKED_TIES}), and from the same members the holdings of those tied by FAMILY (family) and
 * by CALLS (circle): the members DECISION_INPUTS reads with FAMILY_AND_CIRCLE_HOLDINGS (./decision.ts), so
 * both paths count the same (a test holds the two equal). One walk, not two: a fill is on the
 * decision's miss path.
 */
const PROFILES = `
  UNWIND $ids AS id
  MATCH (c:Customer {id: id})
  CALL (c) {
    ${RANKED_TIES}
    WITH m, relations, calls, strength,
         CASE WHEN 'FAMILY' IN relations OR 'CALLS' IN relations THEN [(m)-[:SUBSCRIBES]->(p:Product) | p.id] END AS held
    RETURN collect([m.id, relations, calls, strength])[0..${MAX_STORED_TIES}] AS ties,
           collect(CASE WHEN 'FAMILY' IN relations THEN held END) AS family,
           collect(CASE WHEN 'CALLS' IN relations THEN held END) AS circle
  }
  WITH c, family, circle, ties
  ${CUSTOMER_PROFILE_PROJECTION}, family, circle, ties`;

/** The stored shape of each of `ids` that is a customer (one statement for all); unknown ids are absent. */
export async function profilesByIds(graph: Cypher, ids: readonly string[]): Promise<Map<string, StoredProfile>> {
  if (ids.length === 0) return new Map();
  const rows = await graph.read<StoredProfile>(PROFILES, { ids: [...new Set(ids)] });
  return new Map(rows.map((r) => [r.c.id, { c: r.c, family: r.family, circle: r.circle, ties: r.ties }]));
}

/**
 * The family members and calling-circle contacts of `ids` (one statement for all): the customers
 * whose adoption counts a change of `ids`' holdings moves. Read after the change, so a membership
 * the change itself added is included.
 */
export async function profileNeighbours(graph: Cypher, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await graph.read<{ ids: string[] }>(
    `UNWIND $ids AS id
     MATCH (c:Customer {id: id})
     CALL (c) {
       MATCH (c)-[:MEMBER_OF]->(:Group {kind: 'FAMILY'})<-[:MEMBER_OF]-(m:Customer) RETURN m.id AS mid
       UNION
       MATCH (c)-[:CALLS]-(m:Customer) RETURN m.id AS mid
     }
     RETURN collect(DISTINCT mid) AS ids`,
    { ids: [...new Set(ids)] },
  );
  return rows[0]?.ids ?? [];
}
