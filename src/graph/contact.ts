import { int, type GraphSession, type ProfiledPlan } from "../platform/neo4j";
import type { ChannelCode, ContactKind, ResponseOutcome } from "../domain/vocabulary";
import { toDate } from "./records";

/** One page request of a customer's trajectory, newest first. Times are epoch milliseconds. */
export interface ContactPageRequest {
  key: string;
  customerId: string;
  limit: number; // page size + 1, so the caller learns whether there is a next page
  sinceMs: number; // inclusive lower bound
  untilMs: number; // inclusive upper bound of the filter (what totalCount counts)
  upperMs: number; // inclusive upper bound of this page: min(until, cursor time)
  cursorAtMs: number | null; // the last contact seen: resume strictly after it
  cursorId: string | null;
  channels: ChannelCode[] | null;
  /** Also count every contact matching the filters (only when the client asked for totalCount). */
  withCount: boolean;
}

export interface ContactRecord {
  id: string;
  at: Date;
  channel: ChannelCode;
  kind: ContactKind;
  summary: string;
  outcome: ResponseOutcome | null;
  productId: string | null;
  /** The decision an OFFER_PRESENTED or OFFER_RESPONSE contact belongs to (gateway decisions only; seeded history has none). */
  decisionId?: string | null;
}

export interface ContactPage {
  items: ContactRecord[];
  /** Present when the request asked for it. */
  total: number | null;
}

/**
 * Pages of several customers' trajectories in one round trip. Each page is a seek on the
 * (customerId, at) range index read backwards, so its cost follows the page size, not the
 * customer's history. ORDER BY names the index's own keys first (customerId, at) so the planner
 * reads the index in order and stops early (PartialTop); ties on `at` are broken by id.
 */
export async function contactPages(graph: GraphSession, requests: readonly ContactPageRequest[], queued: ReadonlyMap<string, readonly string[]> = new Map()): Promise<Map<string, ContactPage>> {
  // LIMIT must be a constant per statement, so pages are fetched one statement per page size;
  // a request nearly always uses one size, so this is one round trip.
  const bySize = new Map<number, ContactPageRequest[]>();
  for (const r of requests) bySize.set(r.limit, [...(bySize.get(r.limit) ?? []), r]);
  const results = await Promise.all([...bySize].map(([limit, group]) => contactPagesOfSize(graph, limit, group, queued)));
  return new Map(results.flatMap((m) => [...m]));
}

const CONTACT_PAGES = `
  UNWIND $requests AS r
  CALL (r) {
    MATCH (k:Contact)
    WHERE k.customerId = r.customerId
      AND k.at >= datetime({epochMillis: r.sinceMs}) AND k.at <= datetime({epochMillis: r.upperMs})
      AND (r.cursorAtMs IS NULL OR k.at < datetime({epochMillis: r.cursorAtMs}) OR k.id < r.cursorId)
      AND (r.channels IS NULL OR k.channel IN r.channels)
    WITH k ORDER BY k.customerId DESC, k.at DESC, k.id DESC LIMIT $limit
    RETURN collect(k {.id, .channel, .kind, .summary, .outcome, .productId, .decisionId, at: k.at.epochMillis}) AS items
  }
  RETURN r.key AS key, items,
    CASE WHEN r.withCount THEN COUNT {
      MATCH (k:Contact)
      WHERE k.customerId = r.customerId
        AND k.at >= datetime({epochMillis: r.sinceMs}) AND k.at <= datetime({epochMillis: r.untilMs})
        AND (r.channels IS NULL OR k.channel IN r.channels)
    } + size([id IN r.queued WHERE NOT EXISTS { MATCH (:Contact {id: id}) }]) END AS total`;

function contactPageParams(limit: number, requests: readonly ContactPageRequest[], queued: ReadonlyMap<string, readonly string[]> = new Map()): Record<string, unknown> {
  return {
    requests: requests.map((r) => ({
      ...r,
      queued: queued.get(r.key) ?? [],
      sinceMs: int(r.sinceMs),
      upperMs: int(r.upperMs),
      untilMs: int(r.untilMs),
      cursorAtMs: r.cursorAtMs === null ? null : int(r.cursorAtMs),
    })),
    limit: int(limit),
  };
}

async function contactPagesOfSize(graph: GraphSession, limit: number, requests: readonly ContactPageRequest[], queued: ReadonlyMap<string, readonly string[]>): Promise<Map<string, ContactPage>> {
  const rows = await graph.read<{ key: string; items: Array<Omit<ContactRecord, "at"> & { at: number }>; total: number | null }>(
    CONTACT_PAGES,
    contactPageParams(limit, requests, queued),
  );
  return new Map(rows.map((r) => [r.key, { items: r.items.map((i) => ({ ...i, at: toDate(i.at) })), total: r.total }]));
}

/**
 * How many index entries one page request reads, from Neo4j's own profile of the page query:
 * the proof (and the regression test) that a page costs in proportion to its size.
 */
export async function contactPageIndexRowsRead(graph: GraphSession, request: ContactPageRequest): Promise<number> {
  const plan = await graph.profile(CONTACT_PAGES, contactPageParams(request.limit, [request]));
  const seek = findOperator(plan, (op) => op.operatorType.startsWith("NodeIndexSeek"));
  if (!seek) throw new Error(`the trajectory query no longer seeks the index; its plan starts with ${plan.operatorType}`);
  return seek.rows;
}

function findOperator(plan: ProfiledPlan, match: (op: ProfiledPlan) => boolean): ProfiledPlan | undefined {
  if (match(plan)) return plan;
  for (const child of plan.children) {
    const found = findOperator(child, match);
    if (found) return found;
  }
  return undefined;
}
