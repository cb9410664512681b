/**
 * Seeding a graph with the synthetic operator data set: schema, catalogue, then customers in
 * chunks, generated on this thread while Neo4j writes the previous chunk.
 */
import type { Graph } from "../src/platform/neo4j";
import {
  clearPendingImport,
  ensureSchema,
  hasCustomers,
  latestSeedRun,
  pendingImport,
  probeChunk,
  seedMarketing,
  writeActivity,
  writeCatalogue,
  writeCustomers,
  writeSeedRun,
  type ChunkRows,
} from "./load";
import { CHANNELS, EXCLUDES, PRODUCTS, REGIONS, REQUIRES, TAGS, UPGRADES_TO, tagNode } from "./catalogue";
import { writeTagStatistics, type TagStatisticsRow } from "../src/graph/tags";
import { GENERATOR_VERSION, customerId, generateSteps, startOfUtcDay, type GeneratedChunk } from "./generate";
import { count, tagStatistics, tally, type TagTally } from "./statistics";
import { COHORT_SIZE } from "./structure";
import { marketingRows } from "./marketing";

export { generateChunks, generateCustomerById, startOfUtcDay } from "./generate";
export type { GeneratedChunk, GeneratedCustomer, GenerateOptions } from "./generate";

/**
 * Where a seed run is. Through Bolt, `phase` moves schema → catalogue → customers → done; a bulk
 * import moves files → nodes → relations → linking → post (./import), then schema → done once
 * Neo4j runs ({@link finishImport}).
 */
export interface SeedProgress {
  phase: "schema" | "catalogue" | "customers" | "files" | "nodes" | "relations" | "linking" | "post" | "done";
  done: number;
  total: number;
}

export interface SeedOptions {
  customers: number;
  seed: number;
  /** Defaults to the asOf of the seed run already in the graph, else the start of the current UTC day. */
  asOf?: Date;
  onProgress?: (p: SeedProgress) => void;
  /** Customers written per chunk (rounded to whole cohorts of 1,000); default 5,000. */
  chunkSize?: number;
}

export interface SeedResult {
  /** Customers in the data set (whether written now or found from an earlier run). */
  customers: number;
  /** Contacts in the data set. */
  contacts: number;
  /** Relationships of the customer part of the data set (LIVES_IN, SUBSCRIBES, HAS_TAG, PREFERS, MEMBER_OF, CALLS, HAD, VIA, ABOUT). */
  relationships: number;
  /** Customers written by this run (0 when everything was already there). */
  written: number;
  asOf: Date;
  ms: number;
}

/** The graph already holds a different data set; seeding into it would mix the two. */
export class SeedConflictError extends Error {
  override readonly name = "SeedConflictError";
}

/**
 * Seeds `graph` with `customers` customers of data set `seed`. Idempotent: chunks already in the
 * graph are skipped, half-written ones are repaired, so re-running (or running with more
 * customers) never duplicates anything.
 */
export async function seedGraph(graph: Graph, opts: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? ((): void => undefined);
  const total = opts.customers;
  if (!Number.isSafeInteger(total) || total < 1) throw new RangeError(`customers must be a positive integer, got ${total}`);

  // A bulk import interrupted before it was finished is finished first (its seed run recorded).
  await finishImport(graph, { onProgress: opts.onProgress });
  progress({ phase: "schema", done: 0, total: 1 });
  await ensureSchema(graph);
  progress({ phase: "schema", done: 1, total: 1 });

  const asOf = await resolveAsOf(graph, opts);

  progress({ phase: "catalogue", done: 0, total: 1 });
  await writeCatalogue(graph, {
    regions: REGIONS,
    products: PRODUCTS,
    upgradesTo: UPGRADES_TO,
    requires: REQUIRES,
    excludes: EXCLUDES,
    channels: CHANNELS,
    tags: TAGS.map(tagNode),
  });
  await seedMarketing(graph, marketingRows());
  progress({ phase: "catalogue", done: 1, total: 1 });

  const perWrite = Math.max(1, Math.ceil((opts.chunkSize ?? 5 * COHORT_SIZE) / COHORT_SIZE));
  const totals = { contacts: 0, relationships: 0 };
  let written = 0;
  // Two writers in a pipeline: the customers of chunk k+1 are written while the calls, contacts
  // and preferences of chunk k are; meanwhile this thread generates chunk k+2.
  let customersInFlight: Promise<void> | null = null;
  let activityChain: Promise<void> = Promise.resolve();
  const activities: Promise<void>[] = [];
  let batch: GeneratedChunk[] = [];
  const tagTally = new Map<string, TagTally>();

  const start = async (chunks: GeneratedChunk[]): Promise<void> => {
    const rows = mergeChunks(chunks);
    const first = chunks[0]?.first ?? 1;
    const last = chunks[chunks.length - 1]?.last ?? first;
    const state = await probeChunk(graph, customerId(first), customerId(last));
    if (state === "complete") {
      activityChain = activityChain.then(() => progress({ phase: "customers", done: last, total }));
    } else {
      const mode = state === "absent" ? "CREATE" : "MERGE";
      await writeCustomers(graph, rows, mode);
      written += rows.customers.length;
      activityChain = activityChain.then(async () => {
        await writeActivity(graph, rows, mode);
        progress({ phase: "customers", done: last, total });
      });
    }
    // Awaited later; the no-op handler keeps a failure from counting as unhandled meanwhile.
    activityChain.catch(() => undefined);
    activities.push(activityChain);
  };

  const launch = async (chunks: GeneratedChunk[]): Promise<void> => {
    if (customersInFlight) await customersInFlight;
    // Bounded memory: at most one chunk's activity waits behind the one being written.
    const older = activities[activities.length - 2];
    if (older) await older;
    customersInFlight = start(chunks);
    customersInFlight.catch(() => undefined);
  };

  progress({ phase: "customers", done: 0, total });
  for (const step of generateSteps({ seed: opts.seed, customers: total, asOf })) {
    // A pause between steps lets the driver send and receive while this thread generates.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (step === null) continue;
    batch.push(step);
    for (const g of step.customers) {
      count(totals, g);
      tally(tagTally, g);
    }
    if (batch.length >= perWrite) {
      await launch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await launch(batch);
  if (customersInFlight) await customersInFlight;
  await activityChain;
  // The tag library's statistics (coverage, refresh time, category values for the indicator
  // search), as refreshTagStatistics computes them from the edges, counted while generating.
  await writeTagStatistics(graph.session(), tagStatistics(tagTally));

  await writeSeedRun(graph, {
    id: `seed-${opts.seed}-${total}`,
    seed: opts.seed,
    customers: total,
    completedAt: new Date().toISOString(),
    asOf: asOf.toISOString(),
    generatorVersion: GENERATOR_VERSION,
  });
  progress({ phase: "done", done: total, total });
  return { customers: total, contacts: totals.contacts, relationships: totals.relationships, written, asOf, ms: Date.now() - started };
}

/**
 * Adds the seeded segments, offers and strategies a graph lacks (by id) to a graph seeded before
 * they existed, with the constraints they need: a graph without marketing gets all of it, one
 * seeded by an earlier version the ones added since (the event-triggered strategies). What exists
 * is never touched, so an operator's edits stay. The constraints and indexes are (re)created every
 * time (idempotent): a graph seeded by an earlier version gets the ones added since (the approval
 * process's). Returns true when it wrote anything.
 */
export async function ensureMarketing(graph: Graph): Promise<boolean> {
  await ensureSchema(graph);
  const created = await seedMarketing(graph, marketingRows());
  return created.segments + created.offers + created.strategies > 0;
}

/** What {@link finishImport} finished. */
export interface FinishedImport {
  customers: number;
  contacts: number;
  relationships: number;
  seed: number;
  asOf: Date;
  /** Milliseconds for the constraints and indexes (their population over the imported data) and the rest. */
  schemaMs: number;
  ms: number;
}

/**
 * Completes a store built by the bulk importer (./import), once Neo4j runs on it: the constraints
 * and indexes (populated over the imported data, awaited), the marketing set-up, the tag library's
 * statistics counted while generating, the seed run; the SeedImport marker last, so an interrupted
 * finish is done again by the next seed command. Returns null when no import was pending.
 */
export async function finishImport(graph: Graph, opts: { onProgress?: (p: SeedProgress) => void } = {}): Promise<FinishedImport | null> {
  const pending = await pendingImport(graph);
  if (!pending) return null;
  const started = Date.now();
  const progress = opts.onProgress ?? ((): void => undefined);
  progress({ phase: "schema", done: 0, total: 1 });
  await ensureSchema(graph);
  const schemaMs = Date.now() - started;
  progress({ phase: "schema", done: 1, total: 1 });
  await seedMarketing(graph, marketingRows());
  await writeTagStatistics(graph.session(), JSON.parse(pending.tagStatistics) as TagStatisticsRow[]);
  await writeSeedRun(graph, {
    id: `seed-${pending.seed}-${pending.customers}`,
    seed: pending.seed,
    customers: pending.customers,
    completedAt: new Date().toISOString(),
    asOf: new Date(pending.asOf).toISOString(),
    generatorVersion: pending.generatorVersion,
  });
  await clearPendingImport(graph);
  return {
    customers: pending.customers,
    contacts: pending.contacts,
    relationships: pending.relationships,
    seed: pending.seed,
    asOf: new Date(pending.asOf),
    schemaMs,
    ms: Date.now() - started,
  };
}

/** True when the graph holds at least one customer. */
export async function isSeeded(graph: Graph): Promise<boolean> {
  return hasCustomers(graph);
}

/**
 * The asOf to use: the one asked for, else the one of the data set already in the graph (so that
 * re-runs on later days extend it consistently), else the start of today (UTC). A graph holding
 * another seed or another asOf is refused.
 */
async function resolveAsOf(graph: Graph, opts: SeedOptions): Promise<Date> {
  const existing = await latestSeedRun(graph);
  const storedAsOf = existing?.asOf ? new Date(existing.asOf) : null;
  const asOf = opts.asOf ?? storedAsOf ?? startOfUtcDay();
  if (Number.isNaN(asOf.getTime())) throw new RangeError("asOf must be a valid date");
  if (existing && (existing.seed !== opts.seed || (storedAsOf && storedAsOf.getTime() !== asOf.getTime()))) {
    const held = `seed ${existing.seed}${storedAsOf ? ` as of ${storedAsOf.toISOString().slice(0, 10)}` : ""}`;
    throw new SeedConflictError(
      `The graph already holds the data set of ${held}; adding seed ${opts.seed} as of ${asOf.toISOString().slice(0, 10)} would mix two data sets — use the same seed and as-of, or an empty database.`,
    );
  }
  if (existing && (existing.generatorVersion ?? 0) !== GENERATOR_VERSION) {
    throw new SeedConflictError(
      `The graph was seeded by generator version ${existing.generatorVersion ?? "0 (unversioned)"}, this is version ${GENERATOR_VERSION}; extending it would mix two versions of the data — seed an empty database instead.`,
    );
  }
  return asOf;
}

function mergeChunks(chunks: readonly GeneratedChunk[]): ChunkRows {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  return {
    customers: chunks.flatMap((c) => c.customers),
    groups: chunks.flatMap((c) => c.groups),
    calls: chunks.flatMap((c) => c.calls),
  };
}
