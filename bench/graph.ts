import type { GraphSession } from "../src/platform/neo4j";

/** What the bench finds in the graph before it decides whether to seed. */
export interface DatasetPresence {
  /** The set's last customer (e.g. C0100000 for 100,000) is there. */
  lastCustomer: boolean;
  /** A seed run of this seed with at least this many customers completed (SeedRun node). */
  completedRun: boolean;
}

/**
 * Whether a data set of `customers` customers from `seed` is fully in the graph. `isSeeded` only
 * says some customer exists; a larger or interrupted earlier run needs both checks.
 */
export async function datasetPresence(
  graph: GraphSession,
  opts: { lastCustomerId: string; seed: number; customers: number },
): Promise<DatasetPresence> {
  const rows = await graph.read<DatasetPresence>(
    `OPTIONAL MATCH (c:Customer {id: $lastCustomerId})
     WITH count(c) > 0 AS lastCustomer
     OPTIONAL MATCH (r:SeedRun) WHERE r.seed = $seed AND r.customers >= $customers
     RETURN lastCustomer, count(r) > 0 AS completedRun`,
    opts,
  );
  return rows[0] ?? { lastCustomer: false, completedRun: false };
}

/**
 * Node counts of the seeded data set (answered from Neo4j's count store, not a scan). Contacts the
 * gateway wrote since (decisions, labelled Decided) are not part of the data set and not counted.
 */
export async function datasetCounts(graph: GraphSession): Promise<{ customers: number; contacts: number; products: number; tags: number }> {
  const rows = await graph.read<{ customers: number; contacts: number; products: number; tags: number }>(
    `CALL () { MATCH (c:Customer) RETURN count(c) AS customers }
     CALL () { MATCH (k:Contact) RETURN count(k) AS allContacts }
     CALL () { MATCH (k:Decided) RETURN count(k) AS decided }
     CALL () { MATCH (p:Product) RETURN count(p) AS products }
     CALL () { MATCH (t:Tag) RETURN count(t) AS tags }
     RETURN customers, allContacts - decided AS contacts, products, tags`,
  );
  return rows[0] ?? { customers: 0, contacts: 0, products: 0, tags: 0 };
}
