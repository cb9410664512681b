/**
 * Seeding an empty store in bulk: the generator's data set streamed to CSV files in the header
 * format of Neo4j's importer, then `neo4j-admin database import full` builds the store from them
 * (src/main/launch/neo4j.ts) before Neo4j first starts. The graph is the one the Bolt writer
 * (./load) builds for the same seed, property types included; what the Bolt writer does in Cypher
 * beyond plain nodes and edges (constraints and indexes, the marketing set-up, the tag library's
 * statistics, the seed run) is left to {@link finishImport} once Neo4j runs, guided by a
 * `SeedImport` node the import leaves in the graph.
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync, rmSync, statSync, type WriteStream } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import type { ChannelNode, ContactNode, CustomerNode, GroupNode, HiddenPreferenceNode, ProductNode, RegionNode, TagNode } from "../src/graph/model";
import { USAGE_COUNT_FIELDS } from "../src/graph/model";
import { PRODUCT_KINDS } from "../src/domain/vocabulary";
import type { Logger } from "../src/platform/logger";
import { importNeo4jStore, installNeo4j, neo4jStoreIsFresh, type ImportNodes, type ImportRelationships, type ImportStage } from "../src/main/launch/neo4j";
import { CHANNELS, EXCLUDES, PRODUCTS, REGIONS, REQUIRES, TAGS, UPGRADES_TO, tagNode } from "./catalogue";
import { GENERATOR_VERSION, cohortCount, customerIndex, generateSteps, seededCustomerIdx, type CallEdge, type CohortRange, type GeneratedCustomer } from "./generate";
import { count, tagStatistics, tally, type TagTally } from "./statistics";

/** The importer's value types this seed uses (a column without one is a string). */
type ColumnType = "string" | "long" | "double" | "boolean" | "datetime";

/** A column: its header (`name:type`, or `:ID(group)` and friends) and how a row gives its value. */
interface Column<T> {
  header: string;
  type: ColumnType;
  value: (row: T) => unknown;
}

/** An ISO-8601 instant in UTC with milliseconds, as Date#toISOString writes it (the generator's form). */
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * How each type's values are written for the importer. A null is an empty unquoted field, which
 * the importer leaves unset, as the Bolt writer's `SET n += $props` does; an empty string is quoted.
 * Datetimes are epoch milliseconds or ISO strings, written in UTC with millisecond precision: what
 * `datetime({epochMillis: …})` stores.
 */
const FORMAT: Record<ColumnType, (v: unknown) => string> = {
  string: (v) => {
    if (v === null || v === undefined) return "";
    const s = String(v);
    // The importer reads one record per line (multi-line fields would slow it down): none are generated.
    if (s.includes("\n") || s.includes("\r")) throw new Error(`a generated string holds a line break, which the bulk import does not accept: ${JSON.stringify(s)}`);
    // Quoted only where the bare text would read otherwise: empty (an unquoted empty field is a
    // null), or holding the delimiter or a quote, or edged with white space. Most fields are ids and
    // codes: fewer bytes for the importer to read.
    if (s.includes('"')) return `"${s.replaceAll('"', '""')}"`;
    if (s.length === 0 || s.includes(",") || s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32) return `"${s}"`;
    return s;
  },
  long: (v) => {
    if (v === null || v === undefined) return "";
    if (!Number.isSafeInteger(v)) throw new Error(`expected a whole number, got ${String(v)}`);
    return String(v);
  },
  double: (v) => {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`expected a finite number, got ${String(v)}`);
    return String(v);
  },
  boolean: (v) => (v === null || v === undefined ? "" : v ? "true" : "false"),
  datetime: (v) => {
    if (v === null || v === undefined) return "";
    if (typeof v === "string" && ISO_UTC_MS.test(v)) return v;
    const ms = typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : Number.NaN;
    if (!Number.isFinite(ms)) throw new Error(`expected a date-time, got ${String(v)}`);
    return new Date(ms).toISOString();
  },
};

/** A typed column named after the property it holds. */
function prop<T>(name: string, type: ColumnType, value: (row: T) => unknown): Column<T> {
  return { header: type === "string" ? name : `${name}:${type}`, type, value };
}

/** Columns for every property of a node type: the mapping must name each key of `T` (a new property fails to compile here). */
function propsOf<T>(types: { [K in keyof T]-?: ColumnType }, id?: { key: keyof T; group: string }): Column<T>[] {
  return (Object.keys(types) as (keyof T & string)[]).map((key) => {
    const type = types[key];
    const column = prop<T>(key, type, (row) => row[key]);
    return id && id.key === key ? { ...column, header: `${key}:ID(${id.group})` } : column;
  });
}

/** A relationship's ends: node ids in their id groups. */
function ends<T>(startGroup: string, start: (row: T) => string, endGroup: string, end: (row: T) => string): Column<T>[] {
  return [
    { header: `:START_ID(${startGroup})`, type: "string", value: start },
    { header: `:END_ID(${endGroup})`, type: "string", value: end },
  ];
}

/** A CSV file being written: buffered, and written out in large pieces with back-pressure. */
class CsvFile<T> {
  readonly path: string;
  private readonly stream: WriteStream;
  private parts: string[] = [];
  private size = 0;
  private readonly formats: Array<(row: T) => string>;

  /** `name.csv` with the header line, or with `part` a headerless `name.part-N.csv` (the header is in `name.csv`). */
  constructor(dir: string, name: string, columns: readonly Column<T>[], part?: number) {
    this.path = join(dir, part === undefined ? `${name}.csv` : `${name}.part-${part}.csv`);
    this.stream = createWriteStream(this.path);
    this.formats = columns.map((c) => {
      const format = FORMAT[c.type];
      const value = c.value;
      return (row: T) => format(value(row));
    });
    if (part === undefined) this.line(columns.map((c) => c.header).join(","));
  }

  write(row: T): void {
    const formats = this.formats;
    let line = (formats[0] as (row: T) => string)(row);
    for (let i = 1; i < formats.length; i++) line += "," + (formats[i] as (row: T) => string)(row);
    this.line(line);
  }

  private line(line: string): void {
    this.parts.push(line);
    this.size += line.length;
    if (this.size >= 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.stream.write(this.parts.join("\n") + "\n");
    this.parts = [];
    this.size = 0;
  }

  /** Resolves once the file has taken what was written so far (memory stays bounded). */
  async drained(): Promise<void> {
    if (this.stream.writableNeedDrain) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
  }
}

const CUSTOMER_INT_FIELDS = new Set<string>(["age", "tenureMonths", "creditScore", "terminalAgeMonths", ...USAGE_COUNT_FIELDS]);

// The property types of each node, as the Bolt writer stores them (./load: integers where it sends
// neo4j.int, floats for other numbers, datetimes where it calls datetime()).
const CUSTOMER_TYPES: { [K in keyof CustomerNode]-?: ColumnType } = {
  id: "string",
  idx: "long",
  msisdn: "string",
  name: "string",
  gender: "string",
  age: "long",
  segment: "string",
  regionId: "string",
  tenureMonths: "long",
  arpu: "double",
  valueTier: "string",
  lifecycleStage: "string",
  creditScore: "long",
  terminalModel: "string",
  terminalAgeMonths: "long",
  networkType: "string",
  doNotDisturb: "boolean",
  dndList: "string",
  usageMonth: "string",
  dataUsedMb: "long",
  dataQuotaMb: "long",
  voiceUsedMinutes: "long",
  voiceQuotaMinutes: "long",
  smsUsed: "long",
  avgDataMb3m: "long",
  avgVoiceMinutes3m: "long",
  avgSms3m: "long",
  roamingDays3m: "long",
};
for (const [key, type] of Object.entries(CUSTOMER_TYPES)) {
  if (key !== "idx" && (type === "long") !== CUSTOMER_INT_FIELDS.has(key)) throw new Error(`seeds/import.ts: the type of Customer.${key} disagrees with the Bolt writer's integer fields`);
}

const PRODUCT_TYPES: { [K in keyof ProductNode]-?: ColumnType } = {
  id: "string",
  code: "string",
  name: "string",
  kind: "string",
  monthlyFee: "double",
  oneOffPrice: "double",
  network: "string",
  dataQuotaMb: "long",
  voiceMinutes: "long",
  smsCount: "long",
  dataOveragePerGb: "double",
  voiceOveragePerMinute: "double",
  validityHours: "long",
  description: "string",
};

const CHANNEL_TYPES: { [K in keyof ChannelNode]-?: ColumnType } = { code: "string", name: "string", outbound: "boolean", hasAgent: "boolean", push: "boolean" };
const REGION_TYPES: { [K in keyof RegionNode]-?: ColumnType } = { id: "string", name: "string", level: "string" };
const GROUP_TYPES: { [K in keyof GroupNode]-?: ColumnType } = { id: "string", kind: "string", name: "string" };
/** What the seed's catalogue sets on a tag (./catalogue tagNode); the statistics come after the import. */
type SeededTag = Pick<TagNode, "id" | "code" | "name" | "level1" | "level2" | "definition" | "valueType" | "market" | "scope" | "regionId" | "owner" | "status" | "version">;
const TAG_TYPES: { [K in keyof SeededTag]-?: ColumnType } = {
  id: "string",
  code: "string",
  name: "string",
  level1: "string",
  level2: "string",
  definition: "string",
  valueType: "string",
  market: "string",
  scope: "string",
  regionId: "string",
  owner: "string",
  status: "string",
  version: "long",
};
const CONTACT_TYPES: { [K in keyof ContactNode]-?: ColumnType } = {
  id: "string",
  customerId: "string",
  at: "datetime",
  channel: "string",
  kind: "string",
  summary: "string",
  outcome: "string",
  productId: "string",
};

/** The marker of an import not yet finished (see {@link finishImport} in ./index). */
export interface SeedImportNode {
  id: string;
  seed: number;
  customers: number;
  asOf: string;
  generatorVersion: number;
  contacts: number;
  relationships: number;
  /** JSON of the tag library's statistics, counted while generating (TagStatisticsRow[]). */
  tagStatistics: string;
}
const SEED_IMPORT_TYPES: { [K in keyof SeedImportNode]-?: ColumnType } = {
  id: "string",
  seed: "long",
  customers: "long",
  asOf: "datetime",
  generatorVersion: "long",
  contacts: "long",
  relationships: "long",
  tagStatistics: "string",
};

type Link = { from: string; to: string };
type Row<T> = { customerId: string; item: T };
type HoldingRow = Row<GeneratedCustomer["holdings"][number]>;
type TagRow = Row<GeneratedCustomer["tags"][number]>;
type PreferRow = Row<{ code: string; rank: number }>;
type MembershipRow = Row<GeneratedCustomer["memberships"][number]>;

const link = (group: string): Column<Link>[] => ends<Link>(group, (l) => l.from, group, (l) => l.to);
const PREFERENCE_TYPES = { customerId: "string", ...Object.fromEntries(PRODUCT_KINDS.map((k) => [k, "double"])) } as { [K in keyof HiddenPreferenceNode]-?: ColumnType };

/** The files of the catalogue and of the import's marker: small, written by the main thread. */
const CATALOGUE_TABLES = {
  regions: { columns: propsOf<RegionNode>(REGION_TYPES, { key: "id", group: "Region" }), labels: ["Region"] },
  products: { columns: propsOf<ProductNode>(PRODUCT_TYPES, { key: "id", group: "Product" }), labels: ["Product"] },
  channels: { columns: propsOf<ChannelNode>(CHANNEL_TYPES, { key: "code", group: "Channel" }), labels: ["Channel"] },
  tags: { columns: propsOf<SeededTag>(TAG_TYPES, { key: "id", group: "Tag" }), labels: ["Tag"] },
  seed_import: { columns: propsOf<SeedImportNode>(SEED_IMPORT_TYPES), labels: ["SeedImport"] },
  part_of: { columns: link("Region"), type: "PART_OF" },
  upgrades_to: { columns: link("Product"), type: "UPGRADES_TO" },
  requires: { columns: link("Product"), type: "REQUIRES" },
  excludes: { columns: link("Product"), type: "EXCLUDES" },
} as const;

/** The files of the customers: a header file, and one part per worker generating them. */
const CUSTOMER_TABLES = {
  groups: { columns: propsOf<GroupNode>(GROUP_TYPES, { key: "id", group: "Group" }), labels: ["Group"] },
  customers: {
    // idx is not generated: it is the customer number, as the Bolt writer stores it (./load)
    columns: propsOf<CustomerNode>(CUSTOMER_TYPES, { key: "id", group: "Customer" }).map((c) => (c.header === "idx:long" ? { ...c, value: (row: CustomerNode) => seededCustomerIdx(row.id) } : c)),
    labels: ["Customer"],
  },
  contacts: { columns: propsOf<ContactNode>(CONTACT_TYPES, { key: "id", group: "Contact" }), labels: ["Contact"] },
  preferences: { columns: propsOf<HiddenPreferenceNode>(PREFERENCE_TYPES), labels: ["HiddenPreference"] },
  lives_in: { columns: ends<CustomerNode>("Customer", (c) => c.id, "Region", (c) => c.regionId), type: "LIVES_IN" },
  subscribes: {
    columns: [...ends<HoldingRow>("Customer", (r) => r.customerId, "Product", (r) => r.item.productId), prop<HoldingRow>("since", "datetime", (r) => r.item.since)],
    type: "SUBSCRIBES",
  },
  has_tag: {
    columns: [
      ...ends<TagRow>("Customer", (r) => r.customerId, "Tag", (r) => r.item.tagId),
      prop<TagRow>("value", "string", (r) => r.item.value),
      prop<TagRow>("score", "double", (r) => r.item.score),
      prop<TagRow>("at", "datetime", (r) => r.item.at),
    ],
    type: "HAS_TAG",
  },
  prefers: { columns: [...ends<PreferRow>("Customer", (r) => r.customerId, "Channel", (r) => r.item.code), prop<PreferRow>("rank", "long", (r) => r.item.rank)], type: "PREFERS" },
  member_of: {
    columns: [...ends<MembershipRow>("Customer", (r) => r.customerId, "Group", (r) => r.item.groupId), prop<MembershipRow>("role", "string", (r) => r.item.role)],
    type: "MEMBER_OF",
  },
  calls: { columns: [...ends<CallEdge>("Customer", (c) => c.from, "Customer", (c) => c.to), prop<CallEdge>("perMonth", "long", (c) => c.perMonth)], type: "CALLS" },
  had: { columns: ends<ContactNode>("Customer", (k) => k.customerId, "Contact", (k) => k.id), type: "HAD" },
  via: { columns: ends<ContactNode>("Contact", (k) => k.id, "Channel", (k) => k.channel), type: "VIA" },
  about: { columns: ends<ContactNode>("Contact", (k) => k.id, "Product", (k) => k.productId ?? ""), type: "ABOUT" },
} as const;

type Tables = typeof CATALOGUE_TABLES & typeof CUSTOMER_TABLES;
type RowOf<C> = C extends { columns: readonly Column<infer T>[] } ? T : never;
type Files<S> = { [K in keyof S]: CsvFile<RowOf<S[K]>> };

function openFiles<S extends Record<string, { columns: readonly Column<never>[] }>>(dir: string, tables: S, part?: number): Files<S> {
  return Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, new CsvFile(dir, name, t.columns, part)])) as Files<S>;
}

async function drainAll(files: Record<string, CsvFile<never>>): Promise<void> {
  await Promise.all(Object.values(files).map((f) => f.drained()));
}

async function closeAll(files: Record<string, CsvFile<never>>): Promise<void> {
  await Promise.all(Object.values(files).map((f) => f.close()));
}

/** The importer's arguments for a directory written by {@link writeImportFiles} with `parts` customer parts. */
function importGroups(dir: string, parts: number): { nodes: ImportNodes[]; relationships: ImportRelationships[] } {
  const nodes: ImportNodes[] = [];
  const relationships: ImportRelationships[] = [];
  const tables: Tables = { ...CATALOGUE_TABLES, ...CUSTOMER_TABLES };
  for (const [name, table] of Object.entries(tables) as [string, { labels?: readonly string[]; type?: string }][]) {
    const files = [join(dir, `${name}.csv`), ...(name in CUSTOMER_TABLES ? Array.from({ length: parts }, (_, p) => join(dir, `${name}.part-${p}.csv`)) : [])];
    if (table.labels) nodes.push({ labels: table.labels, files });
    else if (table.type) relationships.push({ type: table.type, files });
  }
  return { nodes, relationships };
}

/** What generating a part of the customers counted, sent back by its worker. */
export interface PartResult {
  contacts: number;
  relationships: number;
  /** Per tag: [tagId, customers, refreshedAt, [value, customers][]]. */
  tags: Array<[string, number, string | null, Array<[string, number]>]>;
}

/** The job of one worker: cohorts `range` of the data set into part `part` of the files in `dir`. */
export interface PartJob {
  dir: string;
  part: number;
  seed: number;
  customers: number;
  asOfMs: number;
  range: CohortRange;
}

/**
 * Writes the customers of cohorts `job.range` into part `job.part` of the customer files, reporting
 * the customers written after each cohort. Runs in a worker thread (./import-worker).
 */
export async function writeCustomerPart(job: PartJob, onCustomers: (n: number) => void): Promise<PartResult> {
  const f = openFiles(job.dir, CUSTOMER_TABLES, job.part);
  const totals = { contacts: 0, relationships: 0 };
  const tagTally = new Map<string, TagTally>();
  try {
    for (const step of generateSteps({ seed: job.seed, customers: job.customers, asOf: new Date(job.asOfMs) }, job.range)) {
      if (step === null) continue;
      for (const g of step.groups) f.groups.write(g);
      for (const g of step.customers) {
        writeCustomer(f, g);
        count(totals, g);
        tally(tagTally, g);
      }
      // The Bolt writer matches both ends of a call; one whose end is not in the data set is not written.
      for (const c of step.calls) if ((customerIndex(c.to) ?? Infinity) <= job.customers && (customerIndex(c.from) ?? Infinity) <= job.customers) f.calls.write(c);
      await drainAll(f);
      onCustomers(step.customers.length);
    }
  } finally {
    await closeAll(f);
  }
  return {
    ...totals,
    tags: [...tagTally].map(([id, t]) => [id, t.customers, t.refreshedAt, [...t.values]]),
  };
}

function writeCustomer(f: Files<typeof CUSTOMER_TABLES>, g: GeneratedCustomer): void {
  const c = g.customer;
  const customerId = c.id;
  f.customers.write(c);
  f.lives_in.write(c);
  for (const item of g.holdings) f.subscribes.write({ customerId, item });
  for (const item of g.tags) f.has_tag.write({ customerId, item });
  g.preferredChannels.forEach((code, i) => f.prefers.write({ customerId, item: { code, rank: i + 1 } }));
  for (const item of g.memberships) f.member_of.write({ customerId, item });
  for (const k of g.contacts) {
    f.contacts.write(k);
    f.had.write(k);
    f.via.write(k);
    if (k.productId !== null) f.about.write(k);
  }
  f.preferences.write(g.preference);
}

/** Where a bulk seed is: generating the files, then the importer's stages. */
export type BulkPhase = "files" | "nodes" | "relations" | "linking" | "post";

const STAGE_PHASE: Record<ImportStage, BulkPhase> = {
  "Node import": "nodes",
  "Relationship import": "relations",
  "Relationship linking": "linking",
  "Post processing": "post",
};

export interface BulkSeedOptions {
  /** The launcher data directory of a store that never started ({@link neo4jStoreIsFresh}). */
  storeDir: string;
  customers: number;
  seed: number;
  asOf: Date;
  log: Logger;
  onProgress?: (p: { phase: BulkPhase; done: number; total: number }) => void;
  /** Registers the importer's stop, so that a stop signal ends it before this process exits. */
  onStop?: (stop: () => Promise<void>) => void;
  /** Worker threads generating the files; default: one per core, at most 4. */
  workers?: number;
  /** Importer memory; defaults suit a million customers on a machine shared with others. */
  heap?: string;
  offHeap?: string;
}

export interface BulkSeedResult {
  customers: number;
  contacts: number;
  relationships: number;
  /** Milliseconds generating the files, and in the importer. */
  generateMs: number;
  importMs: number;
  /** Size of the files the importer read. */
  bytes: number;
}

/** The store was started before: the bulk import would overwrite it. */
export class StoreNotFreshError extends Error {
  override readonly name = "StoreNotFreshError";
}

/**
 * Generates data set `seed` of `customers` customers as of `asOf` into CSV files beside the store,
 * then builds the store from them with Neo4j's importer, and removes the files. The store must
 * never have been started; it is ready for Neo4j to start, after which finishImport (./index)
 * completes it.
 */
export async function bulkSeed(opts: BulkSeedOptions): Promise<BulkSeedResult> {
  if (!neo4jStoreIsFresh(opts.storeDir)) {
    throw new StoreNotFreshError(
      `The Neo4j store in ${opts.storeDir} has been started before, so it may hold data: the bulk import only builds a store that never started. Seed it through Bolt (npm run seed -- --bolt), or stop its Neo4j and delete ${opts.storeDir} to start over.`,
    );
  }
  const dir = `${opts.storeDir}.import`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Stopped half-way (a signal exits before the finally below): the files go too, after the importer.
  opts.onStop?.(async () => rmSync(dir, { recursive: true, force: true }));
  // On a machine that never built ops/neo4j, Maven fetches Neo4j's jars while the files are written.
  const installed = installNeo4j(opts.log);
  installed.catch(() => undefined);
  try {
    const started = Date.now();
    const written = await writeImportFiles(dir, opts);
    const generateMs = Date.now() - started;
    await installed;
    const summary = await importNeo4jStore({
      dataDir: opts.storeDir,
      ...written.groups,
      heap: opts.heap ?? "1g",
      offHeap: opts.offHeap ?? "3g",
      log: opts.log,
      onProgress: (stage, percent) => opts.onProgress?.({ phase: STAGE_PHASE[stage], done: percent, total: 100 }),
      onStop: opts.onStop,
    });
    return { customers: opts.customers, contacts: written.contacts, relationships: written.relationships, generateMs, importMs: summary.ms, bytes: written.bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The id of the one SeedImport node. */
export const SEED_IMPORT_ID = "seed-import";

/**
 * Writes the import files of the data set into `dir`: the catalogue on this thread, the customers
 * in worker threads, each a contiguous range of cohorts into its own part of each file (memory
 * stays bounded: each writes cohort by cohort).
 */
export async function writeImportFiles(
  dir: string,
  opts: Pick<BulkSeedOptions, "customers" | "seed" | "asOf" | "onProgress" | "workers">,
): Promise<{ groups: { nodes: ImportNodes[]; relationships: ImportRelationships[] }; contacts: number; relationships: number; bytes: number }> {
  const cohorts = cohortCount(opts.customers);
  const workers = Math.max(1, Math.min(opts.workers ?? Math.min(4, availableParallelism()), cohorts));
  const progress = opts.onProgress ?? ((): void => undefined);

  const catalogue = openFiles(dir, CATALOGUE_TABLES);
  const headers = openFiles(dir, CUSTOMER_TABLES);
  try {
    for (const { region, parentId } of REGIONS) {
      catalogue.regions.write(region);
      if (parentId !== null) catalogue.part_of.write({ from: region.id, to: parentId });
    }
    for (const p of PRODUCTS) catalogue.products.write(p);
    for (const l of UPGRADES_TO) catalogue.upgrades_to.write(l);
    for (const l of REQUIRES) catalogue.requires.write(l);
    for (const l of EXCLUDES) catalogue.excludes.write(l);
    for (const c of CHANNELS) catalogue.channels.write(c);
    for (const t of TAGS) catalogue.tags.write(tagNode(t));
    await closeAll(headers);

    let done = 0;
    progress({ phase: "files", done, total: opts.customers });
    const jobs: PartJob[] = Array.from({ length: workers }, (_, part) => ({
      dir,
      part,
      seed: opts.seed,
      customers: opts.customers,
      asOfMs: opts.asOf.getTime(),
      range: { from: Math.floor((part * cohorts) / workers), to: Math.floor(((part + 1) * cohorts) / workers) },
    }));
    const results = await runParts(jobs, (n) => {
      done += n;
      progress({ phase: "files", done, total: opts.customers });
    });

    const totals = { contacts: 0, relationships: 0 };
    const tagTally = new Map<string, TagTally>();
    for (const r of results) {
      totals.contacts += r.contacts;
      totals.relationships += r.relationships;
      for (const [id, customers, refreshedAt, values] of r.tags) {
        let t = tagTally.get(id);
        if (!t) tagTally.set(id, (t = { customers: 0, refreshedAt: null, values: new Map() }));
        t.customers += customers;
        if (refreshedAt !== null && (t.refreshedAt === null || refreshedAt > t.refreshedAt)) t.refreshedAt = refreshedAt;
        for (const [value, n] of values) t.values.set(value, (t.values.get(value) ?? 0) + n);
      }
    }
    catalogue.seed_import.write({
      id: SEED_IMPORT_ID,
      seed: opts.seed,
      customers: opts.customers,
      asOf: opts.asOf.toISOString(),
      generatorVersion: GENERATOR_VERSION,
      contacts: totals.contacts,
      relationships: totals.relationships,
      tagStatistics: JSON.stringify(tagStatistics(tagTally)),
    });
    await closeAll(catalogue);
    const groups = importGroups(dir, workers);
    const bytes = [...groups.nodes, ...groups.relationships].reduce((sum, g) => sum + g.files.reduce((s, p) => s + statSync(p).size, 0), 0);
    return { groups, ...totals, bytes };
  } catch (error) {
    await closeAll(catalogue).catch(() => undefined);
    await closeAll(headers).catch(() => undefined);
    throw error;
  }
}

/** Message a part's worker posts: customers written so far, its result, or its failure. */
export type PartMessage = { customers: number } | { result: PartResult } | { error: string };

/**
 * Runs each job in a worker thread (./import-worker). A larger young generation than Node's
 * default: generating makes short-lived objects by the million, and collecting them dominated.
 * The first failure stops the others.
 */
async function runParts(jobs: readonly PartJob[], onCustomers: (n: number) => void): Promise<PartResult[]> {
  const script = join(__dirname, "import-worker.js");
  const running: Worker[] = [];
  try {
    return await Promise.all(
      jobs.map(
        (job) =>
          new Promise<PartResult>((resolve, reject) => {
            const worker = new Worker(script, { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 96 } });
            running.push(worker);
            let result: PartResult | null = null;
            worker.on("message", (m: PartMessage) => {
              if ("customers" in m) onCustomers(m.customers);
              else if ("result" in m) result = m.result;
              else reject(new Error(`generating the import files failed: ${m.error}`));
            });
            worker.once("error", reject);
            worker.once("exit", (code) => (result ? resolve(result) : reject(new Error(`a worker generating the import files exited (code ${code}) before it was done`))));
          }),
      ),
    );
  } finally {
    await Promise.all(running.map((w) => w.terminate()));
  }
}
