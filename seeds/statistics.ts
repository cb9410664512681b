/**
 * What a seed counts while it generates, shared by the Bolt writer (./index) and the bulk
 * import (./import): the data set's totals and the tag library's statistics, so that neither has
 * to scan a million customers' edges afterwards.
 */
import { TAGS } from "./catalogue";
import type { GeneratedCustomer } from "./generate";
import type { TagStatisticsRow } from "../src/graph/tags";

/** One tag's holders as generated: how many, the latest computation, the customers per value. */
export interface TagTally {
  customers: number;
  refreshedAt: string | null;
  values: Map<string, number>;
}

/** Adds a customer's tags to the per-tag tally. */
export function tally(tags: Map<string, TagTally>, g: GeneratedCustomer): void {
  for (const t of g.tags) {
    let entry = tags.get(t.tagId);
    if (!entry) tags.set(t.tagId, (entry = { customers: 0, refreshedAt: null, values: new Map() }));
    entry.customers += 1;
    if (entry.refreshedAt === null || t.at > entry.refreshedAt) entry.refreshedAt = t.at;
    entry.values.set(t.value, (entry.values.get(t.value) ?? 0) + 1);
  }
}

/** Every tag of the library with its tally (none for tags nobody holds); values are kept for category tags only by the write. */
export function tagStatistics(tags: ReadonlyMap<string, TagTally>): TagStatisticsRow[] {
  return TAGS.map((tag) => {
    const t = tags.get(tag.id);
    return {
      id: tag.id,
      customers: t?.customers ?? 0,
      refreshedAt: t?.refreshedAt ? new Date(t.refreshedAt).toISOString() : null,
      values: t ? [...t.values].map(([value, customers]) => ({ value, customers })) : [],
    };
  });
}

/** Adds a customer's contacts and relationships (each CALLS edge once, by its caller) to the totals. */
export function count(t: { contacts: number; relationships: number }, g: GeneratedCustomer): void {
  t.contacts += g.contacts.length;
  t.relationships += 1 + g.holdings.length + g.tags.length + g.preferredChannels.length + g.memberships.length;
  // Each CALLS edge is counted once, by its caller.
  for (const c of g.calls) if (c.from === g.customer.id) t.relationships += 1;
  for (const k of g.contacts) t.relationships += k.productId === null ? 2 : 3;
}
