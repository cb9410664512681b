import DataLoader from "dataloader";
import type { GraphSession } from "../platform/neo4j";
import { relatedProducts, type ProductRelation } from "../graph/catalogue";
import { contactPages, type ContactPage, type ContactPageRequest } from "../graph/contact";
import { decisionInputs, decisionsByIds, type DecisionInputRequest, type DecisionInputs, type DecisionRecord } from "../graph/decision";
import { circles, customersByIds, customersByMsisdns, type CircleMemberRecord, type CircleRequest } from "../graph/customer";
import type { CustomerRecord, ProductRecord } from "../graph/records";

/**
 * One set of loaders per request ("one loader per request"): everything a query asks of many
 * customers is gathered within a tick and fetched in one Bolt round trip per kind of data. A
 * customer comes with its profile (holdings, tags, channel preferences) in the same statement,
 * so the unified view of any number of customers costs three: customers, circles, contact pages.
 */
export interface Loaders {
  customer: DataLoader<string, CustomerRecord | null>;
  customerByMsisdn: DataLoader<string, CustomerRecord | null>;
  circle: DataLoader<CircleRequest, CircleMemberRecord[], string>;
  contactPage: DataLoader<ContactPageRequest, ContactPage, string>;
  related: Record<ProductRelation, DataLoader<string, ProductRecord[]>>;
  /** Decision inputs of many customers in one statement (the unified view of 50 asks for 50 decisions). */
  decisionInputs: DataLoader<DecisionInputRequest, DecisionInputs | null, string>;
  decision: DataLoader<string, DecisionRecord | null>;
}

export function createLoaders(graph: GraphSession): Loaders {
  const customer = new DataLoader<string, CustomerRecord | null>(async (ids) => {
    const found = await customersByIds(graph, ids);
    return ids.map((id) => found.get(id) ?? null);
  });
  const customerByMsisdn = new DataLoader<string, CustomerRecord | null>(async (msisdns) => {
    const found = await customersByMsisdns(graph, msisdns);
    return msisdns.map((m) => {
      const c = found.get(m) ?? null;
      // Prime the id loader so the rest of the view does not fetch the same customer again.
      if (c) customer.prime(c.id, c);
      return c;
    });
  });
  const decisionInputsLoader = new DataLoader<DecisionInputRequest, DecisionInputs | null, string>(
    (reqs) => decisionInputs(graph, reqs),
    // A customer's ordinary decisions ask about every candidate product, an event's about the few it can offer: both are part of the key.
    { cacheKeyFn: (r) => `${r.customerId}|${r.productIds.join(",")}` },
  );
  const decision = new DataLoader<string, DecisionRecord | null>(async (ids) => {
    const found = await decisionsByIds(graph, ids);
    return ids.map((id) => found.get(id) ?? null);
  });
  return {
    decisionInputs: decisionInputsLoader,
    decision,
    customer,
    customerByMsisdn,
    circle: keyedLoader((reqs) => circles(graph, reqs), []),
    contactPage: keyedLoader((reqs) => contactPages(graph, reqs), { items: [], total: 0 }),
    related: {
      UPGRADES_TO: listLoader((ids) => relatedProducts(graph, "UPGRADES_TO", ids)),
      REQUIRES: listLoader((ids) => relatedProducts(graph, "REQUIRES", ids)),
      EXCLUDES: listLoader((ids) => relatedProducts(graph, "EXCLUDES", ids)),
    },
  };
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
