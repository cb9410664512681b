import { int, type GraphSession } from "../platform/neo4j";
import { PROFILE_CHANGE_FIELDS, type ProfileChangeField } from "../domain/events";

/**
 * Customer changes reported by events (USAGE_UPDATE, PRODUCT_ORDERED, PRODUCT_CANCELLED,
 * PROFILE_CHANGE; src/domain/events.ts), applied to the graph: one statement per event, which
 * takes the customer's write lock first (a property set and removed in the same transaction), so
 * two changes of one customer on two replicas serialise and each sees what the other wrote.
 *
 * Every statement is a set, never an increment, guarded by the time of what it replaces, so
 * applying an event twice (a retry after a failure between the write and the acknowledgement)
 * leaves what applying it once left, and an event that arrives after a newer one of the same
 * thing changes nothing:
 *
 * - usage: `usageMonth` and `usageAt` (ms) order the reports; an older month, or an older report
 *   of the same month, is ignored; a newer month starts its counters again (absent ones at 0);
 * - holdings: SUBSCRIBES.since is when the product was ordered; a cancellation leaves a
 *   `(c)-[:CANCELLED {at}]->(p)` tombstone, so an order older than it, arriving late, does not
 *   bring the product back (a newer order removes the tombstone);
 * - profile attributes: each keeps `<field>ChangedAt` (ms); an attribute changed later is kept.
 *
 * Each returns whether something actually changed, so a redelivered event notifies nobody.
 */

/** The result of one change: `changed` false when the graph already held it (or held something newer). */
export interface AppliedChange {
  changed: boolean;
}

export interface UsageChange {
  customerId: string;
  month: string;
  at: Date;
  dataUsedMb: number | null;
  voiceUsedMinutes: number | null;
  smsUsed: number | null;
}

/** Sets this month's usage counters (see the module comment for which report wins). Null when the customer does not exist. */
export async function applyUsage(graph: GraphSession, u: UsageChange): Promise<AppliedChange | null> {
  const rows = await graph.write<{ changed: boolean }>(
    `MATCH (c:Customer {id: $customerId})
     SET c.changeLock = true
     WITH c
     WITH c, [c.usageMonth, c.dataUsedMb, c.voiceUsedMinutes, c.smsUsed] AS before,
          $month > coalesce(c.usageMonth, '') AS newer
     WITH c, before, newer, newer OR ($month = c.usageMonth AND $at >= coalesce(c.usageAt, 0)) AS apply
     CALL (c, newer, apply) {
       WITH c, newer, apply WHERE apply
       SET c.usageMonth = $month, c.usageAt = $at,
           c.dataUsedMb = coalesce($dataUsedMb, CASE WHEN newer THEN 0 ELSE c.dataUsedMb END),
           c.voiceUsedMinutes = coalesce($voiceUsedMinutes, CASE WHEN newer THEN 0 ELSE c.voiceUsedMinutes END),
           c.smsUsed = coalesce($smsUsed, CASE WHEN newer THEN 0 ELSE c.smsUsed END)
     }
     REMOVE c.changeLock
     RETURN before <> [c.usageMonth, c.dataUsedMb, c.voiceUsedMinutes, c.smsUsed] AS changed`,
    {
      customerId: u.customerId,
      month: u.month,
      at: int(u.at.getTime()),
      dataUsedMb: u.dataUsedMb === null ? null : int(u.dataUsedMb),
      voiceUsedMinutes: u.voiceUsedMinutes === null ? null : int(u.voiceUsedMinutes),
      smsUsed: u.smsUsed === null ? null : int(u.smsUsed),
    },
  );
  return rows[0] ?? null;
}

/** Which product an event names: by id (and, when given too, its business code must match), or by business code. */
export type ProductKey = { productId: string; productCode?: string } | { productCode: string };

export interface HoldingChange {
  customerId: string;
  product: ProductKey;
  at: Date;
}

/** What a holding change found: the product (null when the catalogue has none so named), and on an order the held products it replaced. */
export interface AppliedHolding extends AppliedChange {
  product: { id: string; code: string } | null;
  /** Held products the ordered one EXCLUDES, dropped (an upgrade replaces the plan it excludes). */
  dropped: string[];
}

function productMatch(key: ProductKey): { clause: string; params: { product: string; code?: string } } {
  if (!("productId" in key)) return { clause: "(p:Product {code: $product})", params: { product: key.productCode } };
  return key.productCode === undefined ? { clause: "(p:Product {id: $product})", params: { product: key.productId } } : { clause: "(p:Product {id: $product, code: $code})", params: { product: key.productId, code: key.productCode } };
}

/**
 * The customer holds the product from `at` on, and no longer holds those it EXCLUDES (as an
 * accepted offer does, src/graph/decision.ts recordResponse). Nothing changes when it is held
 * already or was cancelled after `at`. Null when the customer does not exist.
 */
export async function applyOrder(graph: GraphSession, h: HoldingChange): Promise<AppliedHolding | null> {
  const { clause, params } = productMatch(h.product);
  const rows = await graph.write<{ id: string | null; code: string | null; changed: boolean; dropped: string[] }>(
    `MATCH (c:Customer {id: $customerId})
     SET c.changeLock = true
     WITH c
     OPTIONAL MATCH ${clause}
     WITH c, p, p IS NOT NULL
          AND NOT EXISTS { (c)-[:SUBSCRIBES]->(p) }
          AND NOT EXISTS { MATCH (c)-[t:CANCELLED]->(p) WHERE t.at > datetime($at) } AS apply
     WITH c, p, apply, CASE WHEN apply THEN [(c)-[:SUBSCRIBES]->(x:Product)-[:EXCLUDES]->(p) | x.id] ELSE [] END AS dropped
     CALL (c, p, apply) {
       WITH c, p, apply WHERE apply
       OPTIONAL MATCH (c)-[old:SUBSCRIBES]->(:Product)-[:EXCLUDES]->(p)
       DELETE old
       WITH DISTINCT c, p
       MERGE (c)-[s:SUBSCRIBES]->(p) ON CREATE SET s.since = datetime($at)
       WITH c, p
       OPTIONAL MATCH (c)-[t:CANCELLED]->(p)
       DELETE t
     }
     REMOVE c.changeLock
     RETURN p.id AS id, p.code AS code, apply AS changed, dropped`,
    { customerId: h.customerId, ...params, at: h.at.toISOString() },
  );
  const row = rows[0];
  if (!row) return null;
  return { changed: row.changed, product: row.id !== null && row.code !== null ? { id: row.id, code: row.code } : null, dropped: row.dropped };
}

/**
 * The customer no longer holds the product (unless it was ordered again after `at`), and a
 * tombstone keeps the cancellation's time against late orders. Null when the customer does not exist.
 */
export async function applyCancellation(graph: GraphSession, h: HoldingChange): Promise<AppliedHolding | null> {
  const { clause, params } = productMatch(h.product);
  const rows = await graph.write<{ id: string | null; code: string | null; changed: boolean }>(
    `MATCH (c:Customer {id: $customerId})
     SET c.changeLock = true
     WITH c
     OPTIONAL MATCH ${clause}
     OPTIONAL MATCH (c)-[s:SUBSCRIBES]->(p)
     WITH c, p, s, s IS NOT NULL AND s.since <= datetime($at) AS apply
     CALL (c, p, s, apply) {
       WITH c, p, s, apply WHERE p IS NOT NULL
       MERGE (c)-[t:CANCELLED]->(p)
       SET t.at = CASE WHEN t.at IS NULL OR t.at < datetime($at) THEN datetime($at) ELSE t.at END
       WITH s, apply WHERE apply
       DELETE s
     }
     REMOVE c.changeLock
     RETURN p.id AS id, p.code AS code, apply AS changed`,
    { customerId: h.customerId, ...params, at: h.at.toISOString() },
  );
  const row = rows[0];
  if (!row) return null;
  return { changed: row.changed, product: row.id !== null && row.code !== null ? { id: row.id, code: row.code } : null, dropped: [] };
}

export interface ProfileChange {
  customerId: string;
  at: Date;
  /** The attributes given (others are left as they are). */
  values: Partial<Record<ProfileChangeField, string | number | boolean>>;
}

/** What a profile change did: the attributes whose value it changed. */
export interface AppliedProfile extends AppliedChange {
  fields: ProfileChangeField[];
}

/**
 * Sets the attributes given, each unless it was changed later than `at` (its `<field>ChangedAt`).
 * The statement names only whitelisted attributes (PROFILE_CHANGE_FIELDS): the text is built from
 * that list, never from the payload. Null when the customer does not exist.
 */
export async function applyProfile(graph: GraphSession, p: ProfileChange): Promise<AppliedProfile | null> {
  const fields = PROFILE_CHANGE_FIELDS.filter((f) => p.values[f] !== undefined && p.values[f] !== null);
  if (fields.length === 0) return { changed: false, fields: [] };
  const taken = (f: string): string => `'${f}' IN take`;
  const sets = fields.map((f) => `c.${f} = CASE WHEN ${taken(f)} THEN $values.${f} ELSE c.${f} END, c.${f}ChangedAt = CASE WHEN ${taken(f)} THEN $at ELSE c.${f}ChangedAt END`);
  const rows = await graph.write<{ changed: ProfileChangeField[] }>(
    `MATCH (c:Customer {id: $customerId})
     SET c.changeLock = true
     WITH c
     WITH c, {${fields.map((f) => `${f}: c.${f}`).join(", ")}} AS before,
          [f IN $fields WHERE coalesce(c[f + 'ChangedAt'], 0) <= $at] AS take
     SET ${sets.join(",\n         ")}
     REMOVE c.changeLock
     RETURN [f IN take WHERE before[f] IS NULL OR before[f] <> c[f]] AS changed`,
    {
      customerId: p.customerId,
      at: int(p.at.getTime()),
      fields,
      values: Object.fromEntries(fields.map((f) => [f, f === "creditScore" ? int(Number(p.values[f])) : p.values[f]])),
    },
  );
  const row = rows[0];
  return row ? { changed: row.changed.length > 0, fields: row.changed } : null;
}
