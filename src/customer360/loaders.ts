import DataLoader from "dataloader";
import type { GraphSession } from "../platform/neo4j";
import { relatedProducts, type ProductRelation } from "../graph/catalogue";
import { contactPages, type ContactPage, type ContactPageRequest, type ContactRecord } from "../graph/contact";
import { decisionInputs, decisionsByIds, recordOfWrite, type DecisionInputRequest, type DecisionInputs, type ScopedDecision } from "../graph/decision";
import { circles, customersByIds, customersByMsisdns, type CircleMemberRecord, type CircleRequest } from "../graph/customer";
import { isOutOfScope, type CustomerRecord, type OutOfScope, type ProductRecord } from "../graph/records";
import type { RequestAccess } from "./access";
import type { ProfileStore } from "./profiles";
import { newestFirst, type QueuedDecisions } from "./queued-decisions";
import { createProfileViewLoaders } from "./view-profiles";

/**
 * One set of loaders per request ("one loader per request"): everything a query asks of many
 * customers is gathered within a tick and fetched in one Bolt round trip per kind of data. A
 * customer comes with its profile (holdings, tags, channel preferences) in the same statement,
 * so the unified view of any number of customers costs three: customers, circles, contact pages;
 * for customers whose live profile is warm, two (circle members' properties, contact pages) besides
 * two Redis MGETs.
 *
 * Customer reads are scoped: the request's data scope (./access.ts) is a parameter of the
 * statement, so a customer outside it comes back as its id only ({@link OutOfScope}), and a circle
 * member outside it without its properties.
 */
export interface Loaders {
  customer: DataLoader<string, CustomerRecord | OutOfScope | null>;
  customerByMsisdn: DataLoader<string, CustomerRecord | OutOfScope | null>;
  circle: DataLoader<CircleRequest, CircleMemberRecord[], string>;
  contactPage: DataLoader<ContactPageRequest, ContactPage, string>;
  related: Record<ProductRelation, DataLoader<string, ProductRecord[]>>;
  /** Decision inputs of many customers in one statement (the unified view of 50 asks for 50 decisions). */
  decisionInputs: DataLoader<DecisionInputRequest, DecisionInputs | null, string>;
  /** Decisions with whether their customer lies within the request's scope (answering one has rules of its own). */
  decision: DataLoader<string, ScopedDecision | null>;
}

/**
 * With `profiles`, decision inputs come from the live profiles (./profiles.ts), and the view's
 * customers and circles from them where they are warm (./view-profiles.ts); without (tools, tests
 * of the graph path), from the graph. With `queued`, decisions and trajectory pages include the
 * decisions still queued for the graph (./queued-decisions.ts), read there first.
 */
export function createLoaders(graph: GraphSession, access: RequestAccess, profiles: ProfileStore | null = null, queued: QueuedDecisions | null = null): Loaders {
  const fromGraph = {
    customers: async (ids: readonly string[]) => customersByIds(graph, ids, await access.readScope()),
    circles: async (reqs: readonly CircleRequest[]) => circles(graph, reqs, await access.readScope()),
  };
  const view = profiles ? createProfileViewLoaders(graph, access, profiles, fromGraph) : null;
  const customer =
    view?.customer ??
    new DataLoader<string, CustomerRecord | OutOfScope | null>(async (ids) => {
      const found = await fromGraph.customers(ids);
      return ids.map((id) => found.get(id) ?? null);
    });
  const customerByMsisdn = new DataLoader<string, CustomerRecord | OutOfScope | null>(async (msisdns) => {
    const found = await customersByMsisdns(graph, msisdns, await access.readScope());
    return msisdns.map((m) => {
      const c = found.get(m) ?? null;
      // Prime the id loader so the rest of the view does not fetch the same customer again.
      if (c && !isOutOfScope(c)) customer.prime(c.id, c);
      return c;
    });
  });
  const decisionInputsLoader = new DataLoader<DecisionInputRequest, DecisionInputs | null, string>(
    (reqs) => (profiles ? profiles.inputs(graph, reqs) : decisionInputs(graph, reqs)),
    // A customer's ordinary decisions ask about every candidate product, an event's about the few it can offer: both are part of the key.
    { cacheKeyFn: (r) => `${r.customerId}|${r.productIds.join(",")}` },
  );
  const decision = new DataLoader<string, ScopedDecision | null>(async (ids) => {
    // Queued first, then the graph (which wins): a decision flushed between the two reads is in the second.
    const waiting = queued ? await queued.decisions(ids) : new Map();
    const found = await decisionsByIds(graph, ids, await access.readScope(), new Map([...waiting].map(([id, d]) => [id, d.customerId])));
    return ids.map((id): ScopedDecision | null => {
      const row = found.get(id);
      const write = waiting.get(id);
      if (row?.record) return { record: row.record, visible: row.visible, regionId: row.regionId };
      if (write) return { record: recordOfWrite(write), visible: row?.visible ?? false, regionId: row?.regionId ?? null, unflushed: write };
      return null;
    });
  });
  return {
    decisionInputs: decisionInputsLoader,
    decision,
    customer,
    customerByMsisdn,
    circle: view?.circle ?? keyedLoader(fromGraph.circles, []),
    contactPage: keyedLoader((reqs) => (queued ? pagesWithQueued(graph, queued, reqs) : contactPages(graph, reqs)), { items: [], total: 0 }),
    related: {
      UPGRADES_TO: listLoader((ids) => relatedProducts(graph, "UPGRADES_TO", ids)),
      REQUIRES: listLoader((ids) => relatedProducts(graph, "REQUIRES", ids)),
      EXCLUDES: listLoader((ids) => relatedProducts(graph, "EXCLUDES", ids)),
    },
  };
}

/**
 * Trajectory pages with the OFFER_PRESENTED contacts of decisions still queued for the graph:
 * those read first (one pipeline), then the graph's pages, told which queued contacts each page's
 * filter takes so its count adds those the graph does not hold yet; a contact in both is shown once.
 */
async function pagesWithQueued(graph: GraphSession, queued: QueuedDecisions, requests: readonly ContactPageRequest[]): Promise<Map<string, ContactPage>> {
  const waiting = await queued.contacts(requests.map((r) => r.customerId));
  const taken = new Map(requests.map((r) => [r.key, (waiting.get(r.customerId) ?? []).filter((c) => inPage(c, r))]));
  const pages = await contactPages(graph, requests, new Map([...taken].map(([key, cs]) => [key, cs.map((c) => c.id)])));
  for (const r of requests) {
    const extra = taken.get(r.key) ?? [];
    if (extra.length === 0) continue;
    const page = pages.get(r.key) ?? { items: [], total: r.withCount ? 0 : null };
    const shown = new Set(page.items.map((c) => c.id));
    const items = [...page.items, ...extra.filter((c) => !shown.has(c.id) && (r.cursorAtMs === null || c.at.getTime() < r.cursorAtMs || (c.at.getTime() === r.cursorAtMs && c.id < (r.cursorId ?? ""))))];
    pages.set(r.key, { items: items.sort(newestFirst).slice(0, r.limit), total: page.total });
  }
  return pages;
}

/** Whether a contact passes a page's filter (time window and channels; the cursor is applied after merging). */
function inPage(c: ContactRecord, r: ContactPageRequest): boolean {
  const at = c.at.getTime();
  return at >= r.sinceMs && at <= r.untilMs && (r.channels === null || r.channels.includes(c.channel));
}

/** A loader of lists by id; an id with nothing found gets an empty list. */
function listLoader<V>(fetch: (ids: readonly string[]) => Promise<Map<string, V[]>>): DataLoader<string, V[]> {
  return new DataLoader<string, V[]>(async (ids) => {
    const found = await fetch(ids);
    return ids.map((id) => found.get(id) ?? []);
  });
}

/** A loader whose keys are request objects identified by their `key`. */
function keyedLoader<K extends { key: string }, V>(fetch: (keys: readonly K[]) => Promise<Map<string, V>>, missing: V): DataLoader<K, V, string> {
  return new DataLoader<K, V, string>(
    async (reqs) => {
      const found = await fetch(reqs);
      return reqs.map((r) => found.get(r.key) ?? missing);
    },
    { cacheKeyFn: (r) => r.key },
  );
}
