import { datasetCounts, datasetPresence } from "./graph";
import { Graph, type GraphConnection } from "../src/platform/neo4j";
import { ensureMarketing, finishImport, seedGraph } from "../seeds/index";
import type { BulkSeedResult } from "../seeds/import";

/** The customer id of the n-th generated customer ("C0000001" for 1), as the seed names them. */
export function customerId(n: number): string {
  return `C${String(n).padStart(7, "0")}`;
}

/** What the bench ran against, for the printout. */
export interface DatasetInfo {
  customers: number;
  contacts: number;
  products: number;
  tags: number;
  seed: number;
  /** Seconds spent seeding in this run; 0 when the set was already there. */
  seededS: number;
}

/**
 * Makes sure the graph holds the requested data set, seeding it when it does not. The seed is
 * idempotent and keyed per customer, so a larger set grows from a smaller one already stored.
 */
export async function ensureDataset(
  conn: GraphConnection,
  opts: { customers: number; seed: number },
  say: (line: string) => void,
  imported: BulkSeedResult | null = null,
): Promise<DatasetInfo> {
  const graph = Graph.connect(conn);
  try {
    // A store the bulk importer just built (or one whose finish an earlier run did not reach).
    const finished = await finishImport(graph, { onProgress: progressPrinter(say) });
    if (finished) {
      const seededS = ((imported ? imported.generateMs + imported.importMs : 0) + finished.ms) / 1000;
      say(
        `imported ${finished.customers.toLocaleString("en")} customers and ${finished.contacts.toLocaleString("en")} contacts in bulk: ` +
          (imported ? `files ${(imported.generateMs / 1000).toFixed(1)} s, import ${(imported.importMs / 1000).toFixed(1)} s, ` : "") +
          `constraints and indexes ${(finished.schemaMs / 1000).toFixed(1)} s (Neo4j's start not counted)`,
      );
      const counts = await datasetCounts(graph.session());
      return { ...counts, seed: opts.seed, seededS };
    }
    const presence = await datasetPresence(graph.session(), { lastCustomerId: customerId(opts.customers), seed: opts.seed, customers: opts.customers });
    let seededS = 0;
    if (presence.lastCustomer && presence.completedRun) {
      say(`data set: ${opts.customers.toLocaleString("en")} customers (seed ${opts.seed}) already seeded`);
      if (await ensureMarketing(graph)) say("data set: added the seeded segments, offers and strategies");
    } else {
      say(
        `data set: seeding ${opts.customers.toLocaleString("en")} customers (seed ${opts.seed})` +
          (presence.lastCustomer ? " (the last customer exists, but no completed run of this seed and size was recorded)" : "") +
          "; this takes a few minutes at 100,000",
      );
      const result = await seedGraph(graph, { customers: opts.customers, seed: opts.seed, onProgress: progressPrinter(say) });
      seededS = result.ms / 1000;
      say(`seeded ${result.customers.toLocaleString("en")} customers and ${result.contacts.toLocaleString("en")} contacts in ${seededS.toFixed(1)} s`);
    }
    const counts = await datasetCounts(graph.session());
    return { ...counts, seed: opts.seed, seededS };
  } finally {
    await graph.close();
  }
}

/** One line per tenth of each seeding phase, so a long seed shows it is moving without flooding. */
export function progressPrinter(say: (line: string) => void): (p: { phase: string; done: number; total: number }) => void {
  const lastTenth = new Map<string, number>();
  return (p) => {
    const tenth = p.total > 0 ? Math.min(10, Math.floor((10 * p.done) / p.total)) : 10;
    if (lastTenth.get(p.phase) === tenth) return;
    lastTenth.set(p.phase, tenth);
    say(`  seeding ${p.phase}: ${String(tenth * 10).padStart(3)}% (${p.done.toLocaleString("en")}/${p.total.toLocaleString("en")})`);
  };
}
