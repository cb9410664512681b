import type { GraphSession } from "./db";
import type { ChannelCode, ContactKind, ResponseOutcome } from "./model";
import type { ProductRecord } from "./records";
import { toDate } from "./records";

/** One page request of a customer's trajectory, newest first. Times are epoch milliseconds. */
export interface ContactPageRequest {
  key: string;
  customerId: string;
  limit: number; // page size + 1, so the caller learns whether there is a next page
  sinceMs: number; // inclusive lower bound
  upperMs: number; // inclusive upper bound: min(until, cursor time)
  cursorAtMs: number | null; // the last contact seen: resume strictly after it
  cursorId: string | null;
  channels: ChannelCode[] | null;
}

export interface ContactFilter {
  key: string;
  customerId: string;
  sinceMs: number;
  untilMs: number;
  channels: ChannelCode[] | null;
}

export interface ContactRecord {
  id: string;
  at: Date;
  channel: ChannelCode;
  kind: ContactKind;
  summary: string;
  outcome: ResponseOutcome | null;
  product: ProductRecord | null;
}

/**
 * Pages of several customers' trajectories in one round trip. Each page is a seek on the
 * (customerId, at) range index read backwards, so its cost follows the page size, not the
 * customer's history; ties on `at` are broken by id (the index gives order by time and
 * Neo4j's partial sort orders equal times by id without reading further).
 */
export async function contactPages(graph: GraphSession, requests: readonly ContactPageRequest[]): Promise<Map<string, ContactRecord[]>> {
  const rows = await graph.read<{ key: string; items: Array<Omit<ContactRecord, "at"> & { at: number }> }>(
    `UNWIND $requests AS r
     CALL (r) {
       MATCH (k:Contact)
       WHERE k.customerId = r.customerId
         AND k.at >= datetime({epochMillis: r.sinceMs}) AND k.at <= datetime({epochMillis: r.upperMs})
         AND (r.cursorAtMs IS NULL OR k.at < datetime({epochMillis: r.cursorAtMs}) OR k.id < r.cursorId)
         AND (r.channels IS NULL OR k.channel IN r.channels)
       WITH k ORDER BY k.at DESC, k.id DESC LIMIT r.limit
       OPTIONAL MATCH (k)-[:ABOUT]->(p:Product)
       RETURN collect(k {.id, .channel, .kind, .summary, .outcome, at: k.at.epochMillis, product: p {.*}}) AS items
     }
     RETURN r.key AS key, items`,
    { requests },
  );
  return new Map(rows.map((r) => [r.key, r.items.map((i) => ({ ...i, at: toDate(i.at) }))]));
}

/** How many contacts match each filter (index-backed count; only run when totalCount is asked for). */
export async function contactCounts(graph: GraphSession, filters: readonly ContactFilter[]): Promise<Map<string, number>> {
  const rows = await graph.read<{ key: string; n: number }>(
    `UNWIND $filters AS f
     CALL (f) {
       MATCH (k:Contact)
       WHERE k.customerId = f.customerId
         AND k.at >= datetime({epochMillis: f.sinceMs}) AND k.at <= datetime({epochMillis: f.untilMs})
         AND (f.channels IS NULL OR k.channel IN f.channels)
       RETURN count(k) AS n
     }
     RETURN f.key AS key, n`,
    { filters },
  );
  return new Map(rows.map((r) => [r.key, r.n]));
}
