/**
 * All Cypher of seeding: schema (constraints and indexes), the static catalogue, and the
 * batched, idempotent writes of generated customers.
 *
 * Idempotency: nodes are MERGEd on their ids. Relationships of a chunk are CREATEd when the chunk
 * is new (its first customer is absent: the customers statement is one transaction, so nothing
 * else of the chunk can exist) and MERGEd when an earlier run stopped half-way through it. The
 * chunk's last statement writes hidden preferences, so a chunk whose last customer has one is
 * complete and skipped.
 */
import type { SeedImportNode } from "./import";
import neo4j from "neo4j-driver";
import { seededCustomerIdx, type CallEdge, type GeneratedCustomer, type Holding } from "./generate";
import type { Graph } from "../src/platform/neo4j";
import { ServiceUnavailableError } from "../src/platform/errors";
import type { ChannelNode, ContactNode, GroupNode, HiddenPreferenceNode, ProductNode, RegionNode, SeedRunNode, TagNode } from "../src/graph/model";
import { USAGE_COUNT_FIELDS } from "../src/graph/model";
export { ensureSchema } from "../src/graph/schema";
import { LINK_STRATEGY, SET_OFFER, SET_STRATEGY, offerParams, strategyParams, type OfferWrite, type SegmentWrite, type StrategyWrite } from "../src/graph/marketing";


/** True when at least one customer is in the graph. */
export async function hasCustomers(graph: Graph): Promise<boolean> {
  const rows = await graph.session().read<{ found: boolean }>("OPTIONAL MATCH (c:Customer) WITH c LIMIT 1 RETURN c IS NOT NULL AS found");
  return rows[0]?.found ?? false;
}

/** The most recently completed seed run, if any. */
export async function latestSeedRun(graph: Graph): Promise<SeedRunNode | null> {
  const rows = await graph.session().read<SeedRunNode>(
    `MATCH (s:SeedRun)
     RETURN s.id AS id, s.seed AS seed, s.customers AS customers, toString(s.completedAt) AS completedAt,
            CASE WHEN s.asOf IS NULL THEN null ELSE toString(s.asOf) END AS asOf, s.generatorVersion AS generatorVersion
     ORDER BY s.completedAt DESC LIMIT 1`,
  );
  return rows[0] ?? null;
}

/** Records a completed run (idempotent on its id). */
export async function writeSeedRun(graph: Graph, run: Required<SeedRunNode>): Promise<void> {
  await graph.session().write(
    `MERGE (s:SeedRun {id: $id})
     SET s.seed = $seed, s.customers = $customers, s.completedAt = datetime($completedAt), s.asOf = datetime($asOf),
         s.generatorVersion = $generatorVersion`,
    { ...run, seed: neo4j.int(run.seed), customers: neo4j.int(run.customers), generatorVersion: neo4j.int(run.generatorVersion) },
  );
}

/** An import not finished yet: the SeedImport node a bulk import leaves (seeds/import.ts). */
export type PendingImport = SeedImportNode;

/** The bulk import waiting to be finished, if any. */
export async function pendingImport(graph: Graph): Promise<PendingImport | null> {
  // The first statement on a Neo4j just started (cold planner and JIT): on a loaded machine it has
  // run past a request's read timeout, so it gets a background session's.
  const rows = await graph.backgroundSession(60_000).read<PendingImport>(
    `MATCH (s:SeedImport)
     RETURN s.id AS id, s.seed AS seed, s.customers AS customers, toString(s.asOf) AS asOf, s.generatorVersion AS generatorVersion,
            s.contacts AS contacts, s.relationships AS relationships, s.tagStatistics AS tagStatistics
     LIMIT 1`,
  );
  return rows[0] ?? null;
}

/** Removes the marker of a bulk import: the last step of finishing it. */
export async function clearPendingImport(graph: Graph): Promise<void> {
  await graph.session().write("MATCH (s:SeedImport) DELETE s");
}

// ───────────────────────────── catalogue ─────────────────────────────

/** The static part of the graph. Product links are (from, to) product ids. */
export interface CatalogueRows {
  regions: readonly { region: RegionNode; parentId: string | null }[];
  products: readonly ProductNode[];
  upgradesTo: readonly { from: string; to: string }[];
  requires: readonly { from: string; to: string }[];
  excludes: readonly { from: string; to: string }[];
  channels: readonly ChannelNode[];
  tags: readonly TagNode[];
}

/** Writes regions, products and their rules, channels and tags; re-running converges on `rows`. */
export async function writeCatalogue(graph: Graph, rows: CatalogueRows): Promise<void> {
  const s = graph.session();
  await s.write(
    `UNWIND $rows AS r
     MERGE (x:Region {id: r.id}) SET x.name = r.name, x.level = r.level`,
    { rows: rows.regions.map((r) => r.region) },
  );
  await s.write(
    `UNWIND $rows AS r
     MATCH (child:Region {id: r.id}), (parent:Region {id: r.parentId})
     MERGE (child)-[:PART_OF]->(parent)`,
    { rows: rows.regions.filter((r) => r.parentId !== null).map((r) => ({ id: r.region.id, parentId: r.parentId })) },
  );
  await s.write(
    `UNWIND $rows AS r
     MERGE (p:Product {id: r.id}) SET p += r`,
    { rows: rows.products.map(productParams) },
  );
  // Relationship types cannot be parameters, hence one statement per rule. Links no longer in the
  // catalogue are removed so that a changed catalogue does not leave stale rules behind.
  const links = async (cypher: string, list: readonly { from: string; to: string }[]): Promise<void> => {
    await s.write(cypher, { rows: list, keys: list.map((l) => `${l.from}>${l.to}`) });
  };
  await links(
    `MATCH (a:Product)-[r:UPGRADES_TO]->(b:Product) WHERE NOT a.id + '>' + b.id IN $keys DELETE r
     WITH count(*) AS removed
     UNWIND $rows AS r MATCH (a:Product {id: r.from}), (b:Product {id: r.to}) MERGE (a)-[:UPGRADES_TO]->(b)`,
    rows.upgradesTo,
  );
  await links(
    `MATCH (a:Product)-[r:REQUIRES]->(b:Product) WHERE NOT a.id + '>' + b.id IN $keys DELETE r
     WITH count(*) AS removed
     UNWIND $rows AS r MATCH (a:Product {id: r.from}), (b:Product {id: r.to}) MERGE (a)-[:REQUIRES]->(b)`,
    rows.requires,
  );
  await links(
    `MATCH (a:Product)-[r:EXCLUDES]->(b:Product) WHERE NOT a.id + '>' + b.id IN $keys DELETE r
     WITH count(*) AS removed
     UNWIND $rows AS r MATCH (a:Product {id: r.from}), (b:Product {id: r.to}) MERGE (a)-[:EXCLUDES]->(b)`,
    rows.excludes,
  );
  await s.write(
    `UNWIND $rows AS r
     MERGE (c:Channel {code: r.code}) SET c += r`,
    { rows: rows.channels },
  );
  // A tag the tag library has versioned (edited, approved, published, taken offline through the
  // gateway) is the library's now: a re-run leaves it as it is, as it leaves an operator's segments.
  await s.write(
    `UNWIND $rows AS r
     MERGE (t:Tag {id: r.id})
     WITH t, r WHERE NOT EXISTS { (t)-[:VERSION]->(:TagVersion) }
     SET t += r`,
    { rows: rows.tags.map((t) => ({ ...t, version: neo4j.int(t.version) })) },
  );
}

function productParams(p: ProductNode): Record<string, unknown> {
  return {
    ...p,
    dataQuotaMb: neo4j.int(p.dataQuotaMb),
    voiceMinutes: neo4j.int(p.voiceMinutes),
    smsCount: neo4j.int(p.smsCount),
    validityHours: neo4j.int(p.validityHours),
  };
}

// ───────────────────────────── customers ─────────────────────────────

/** What is already in the graph of a chunk of customers. */
export type ChunkState = "absent" | "partial" | "complete";

/** Whether a chunk from `firstId` to `lastId` is absent, half-written or complete. */
export async function probeChunk(graph: Graph, firstId: string, lastId: string): Promise<ChunkState> {
  const rows = await graph.session().read<{ started: boolean; complete: boolean }>(
    `OPTIONAL MATCH (c:Customer {id: $firstId})
     WITH c LIMIT 1
     OPTIONAL MATCH (h:HiddenPreference {customerId: $lastId})
     RETURN c IS NOT NULL AS started, h IS NOT NULL AS complete`,
    { firstId, lastId },
  );
  const row = rows[0];
  if (row?.complete) return "complete";
  return row?.started ? "partial" : "absent";
}

/** One chunk's rows, as generated. */
export interface ChunkRows {
  customers: readonly GeneratedCustomer[];
  groups: readonly GroupNode[];
  calls: readonly CallEdge[];
}

/** CREATE for a chunk that is absent, MERGE to repair one an earlier run left half-written. */
export type WriteMode = "CREATE" | "MERGE";
type Mode = WriteMode;

// Each statement exists in two forms: CREATE for a new chunk, MERGE to repair a half-written one.
// Rows carry lists rather than maps where there are many of them, and times as epoch milliseconds:
// parameter transport is a large part of a write's cost, and a list does not repeat its keys.
// Shapes are in customerRow and contactRow.
const CUSTOMERS: Record<Mode, string> = {
  CREATE: `UNWIND $rows AS r
     MERGE (c:Customer {id: r.props.id}) SET c += r.props
     WITH c, r
     MATCH (d:Region {id: r.props.regionId})
     CREATE (c)-[:LIVES_IN]->(d)
     WITH c, r
     CALL (c, r) {
       UNWIND r.holdings AS h
       MATCH (p:Product {id: h[0]})
       CREATE (c)-[:SUBSCRIBES {since: datetime({epochMillis: toInteger(h[1])})}]->(p)
     }
     CALL (c, r) {
       UNWIND r.tags AS t
       MATCH (x:Tag {id: t[0]})
       CREATE (c)-[:HAS_TAG {value: t[1], score: t[2], at: datetime({epochMillis: toInteger(t[3])})}]->(x)
     }
     CALL (c, r) {
       UNWIND range(0, size(r.prefs) - 1) AS i
       MATCH (ch:Channel {code: r.prefs[i]})
       CREATE (c)-[:PREFERS {rank: i + 1}]->(ch)
     }`,
  MERGE: `UNWIND $rows AS r
     MERGE (c:Customer {id: r.props.id}) SET c += r.props
     WITH c, r
     MATCH (d:Region {id: r.props.regionId})
     MERGE (c)-[:LIVES_IN]->(d)
     WITH c, r
     CALL (c, r) {
       UNWIND r.holdings AS h
       MATCH (p:Product {id: h[0]})
       MERGE (c)-[s:SUBSCRIBES]->(p) SET s.since = datetime({epochMillis: toInteger(h[1])})
     }
     CALL (c, r) {
       UNWIND r.tags AS t
       MATCH (x:Tag {id: t[0]})
       MERGE (c)-[e:HAS_TAG]->(x) SET e.value = t[1], e.score = t[2], e.at = datetime({epochMillis: toInteger(t[3])})
     }
     CALL (c, r) {
       UNWIND range(0, size(r.prefs) - 1) AS i
       MATCH (ch:Channel {code: r.prefs[i]})
       MERGE (c)-[e:PREFERS]->(ch) SET e.rank = i + 1
     }`,
};

const GROUPS = `UNWIND $rows AS r
     MERGE (g:Group {id: r.id}) SET g.kind = r.kind, g.name = r.name`;

const MEMBERSHIPS: Record<Mode, string> = {
  CREATE: `UNWIND $rows AS r
     MATCH (c:Customer {id: r.customerId}), (g:Group {id: r.groupId})
     CREATE (c)-[:MEMBER_OF {role: r.role}]->(g)`,
  MERGE: `UNWIND $rows AS r
     MATCH (c:Customer {id: r.customerId}), (g:Group {id: r.groupId})
     MERGE (c)-[m:MEMBER_OF]->(g) SET m.role = r.role`,
};

const CALLS: Record<Mode, string> = {
  CREATE: `UNWIND $rows AS r
     MATCH (a:Customer {id: r.from}), (b:Customer {id: r.to})
     CREATE (a)-[:CALLS {perMonth: r.perMonth}]->(b)`,
  MERGE: `UNWIND $rows AS r
     MATCH (a:Customer {id: r.from}), (b:Customer {id: r.to})
     MERGE (a)-[k:CALLS]->(b) SET k.perMonth = r.perMonth`,
};

// Contacts come grouped by customer so that each customer is looked up once.
const CONTACTS: Record<Mode, string> = {
  CREATE: `UNWIND $rows AS r
     MATCH (c:Customer {id: r.customerId})
     UNWIND r.contacts AS k
     CREATE (x:Contact {id: k[0], customerId: r.customerId, at: datetime({epochMillis: toInteger(k[1])}), channel: k[2], kind: k[3],
                        summary: k[4], outcome: k[5], productId: k[6]})
     CREATE (c)-[:HAD]->(x)
     WITH x, k
     MATCH (ch:Channel {code: k[2]})
     CREATE (x)-[:VIA]->(ch)
     WITH x, k
     WHERE k[6] IS NOT NULL
     MATCH (p:Product {id: k[6]})
     CREATE (x)-[:ABOUT]->(p)`,
  MERGE: `UNWIND $rows AS r
     MATCH (c:Customer {id: r.customerId})
     UNWIND r.contacts AS k
     MERGE (x:Contact {id: k[0]})
     SET x.customerId = r.customerId, x.at = datetime({epochMillis: toInteger(k[1])}), x.channel = k[2], x.kind = k[3],
         x.summary = k[4], x.outcome = k[5], x.productId = k[6]
     MERGE (c)-[:HAD]->(x)
     WITH x, k
     MATCH (ch:Channel {code: k[2]})
     MERGE (x)-[:VIA]->(ch)
     WITH x, k
     WHERE k[6] IS NOT NULL
     MATCH (p:Product {id: k[6]})
     MERGE (x)-[:ABOUT]->(p)`,
};

const PREFERENCES = `UNWIND $rows AS r
     MERGE (h:HiddenPreference {customerId: r.customerId}) SET h += r`;

/** Contacts per statement: big enough to amortise a round trip, small enough for a modest heap. */
const CONTACTS_PER_STATEMENT = 20_000;

const INT_FIELDS = ["age", "tenureMonths", "creditScore", "terminalAgeMonths", ...USAGE_COUNT_FIELDS] as const;

/** A customer as the CUSTOMERS statement reads it: holdings [productId, sinceMs], tags [tagId, value, score, atMs], prefs in rank order. */
function customerRow(g: GeneratedCustomer): Record<string, unknown> {
  // JavaScript numbers travel as floats; counts are stored as integers.
  const props: Record<string, unknown> = { ...g.customer };
  for (const f of INT_FIELDS) props[f] = neo4j.int(g.customer[f]);
  const idx = seededCustomerIdx(g.customer.id);
  if (idx !== null) props.idx = neo4j.int(idx);
  return {
    props,
    holdings: g.holdings.map((h: Holding) => [h.productId, Date.parse(h.since)]),
    tags: g.tags.map((t) => [t.tagId, t.value, t.score, Date.parse(t.at)]),
    prefs: g.preferredChannels,
  };
}

/** A contact as the CONTACTS statement reads it: [id, atMs, channel, kind, summary, outcome, productId]. */
function contactRow(k: ContactNode): unknown[] {
  return [k.id, Date.parse(k.at), k.channel, k.kind, k.summary, k.outcome, k.productId];
}

/**
 * Writes a chunk's customers with LIVES_IN, SUBSCRIBES, HAS_TAG and PREFERS, and its groups with
 * MEMBER_OF. Must precede {@link writeActivity} of the same chunk.
 */
export async function writeCustomers(graph: Graph, chunk: ChunkRows, mode: Mode): Promise<void> {
  await retrying(() => graph.session().write(CUSTOMERS[mode], { rows: chunk.customers.map(customerRow) }));
  await retrying(() => graph.session().write(GROUPS, { rows: chunk.groups }));
  const memberships = chunk.customers.flatMap((g) => g.memberships.map((m) => ({ customerId: g.customer.id, groupId: m.groupId, role: m.role })));
  await retrying(() => graph.session().write(MEMBERSHIPS[mode], { rows: memberships }));
}

/**
 * Writes a chunk's CALLS, its contacts with HAD, VIA and ABOUT, and last its hidden preferences
 * (the chunk's completion mark). May run while {@link writeCustomers} writes the next chunk: the
 * two touch different nodes and, on the shared catalogue nodes, different relationship types.
 */
export async function writeActivity(graph: Graph, chunk: ChunkRows, mode: Mode): Promise<void> {
  const calls = chunk.calls.map((c) => ({ ...c, perMonth: neo4j.int(c.perMonth) }));
  await retrying(() => graph.session().write(CALLS[mode], { rows: calls }));

  let batch: { customerId: string; contacts: unknown[][] }[] = [];
  let batchSize = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const rows = batch;
    await retrying(() => graph.session().write(CONTACTS[mode], { rows }));
    batch = [];
    batchSize = 0;
  };
  for (const g of chunk.customers) {
    batch.push({ customerId: g.customer.id, contacts: g.contacts.map(contactRow) });
    batchSize += g.contacts.length;
    if (batchSize >= CONTACTS_PER_STATEMENT) await flush();
  }
  await flush();

  const preferences = chunk.customers.map((g) => g.preference satisfies HiddenPreferenceNode);
  await retrying(() => graph.session().write(PREFERENCES, { rows: preferences }));
}

/**
 * Transient failures (a deadlock between the two pipelined writers, a lock timeout, a moment
 * without a free connection) are retried a few times: the executor reports them, after the
 * driver's own retries, as ServiceUnavailableError, which the driver deems safe to retry too.
 */
async function retrying<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof ServiceUnavailableError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** How many seed rows of each kind a seed run created (the others were there already). */
export interface SeededMarketing {
  segments: number;
  offers: number;
  strategies: number;
}

/**
 * The seed's marketing set-up. Creates what is missing by id and leaves what exists alone, so that an
 * operator's edits survive a re-seed (an offer whose product an operator changed keeps its product).
 */
export async function seedMarketing(graph: Graph, rows: { segments: SegmentWrite[]; offers: OfferWrite[]; strategies: StrategyWrite[] }): Promise<SeededMarketing> {
  const session = graph.session();
  const created = async (statement: string, params: Record<string, unknown>): Promise<number> =>
    (await session.write<{ created: number }>(statement, params))[0]?.created ?? 0;
  const segments = await created(
    `UNWIND $rows AS r
     OPTIONAL MATCH (existing:Segment {id: r.id})
     WITH r WHERE existing IS NULL
     MERGE (g:Segment {id: r.id}) ON CREATE SET g.code = r.code, g.name = r.name, g.expression = r.expression, g.updatedAt = datetime()
     RETURN count(g) AS created`,
    { rows: rows.segments },
  );
  const offers = await created(
    `UNWIND $rows AS r
     OPTIONAL MATCH (existing:Offer {id: r.id})
     WITH r WHERE existing IS NULL
     MERGE (o:Offer {id: r.id})
     ON CREATE SET ${SET_OFFER}
     WITH o, r
     MATCH (p:Product {id: r.productId})
     MERGE (o)-[:OF]->(p)
     RETURN count(o) AS created`,
    { rows: rows.offers.map(offerParams) },
  );
  const strategies = await created(
    `UNWIND $rows AS r
     OPTIONAL MATCH (existing:Strategy {id: r.id})
     WITH r WHERE existing IS NULL
     CREATE (s:Strategy {id: r.id})
     SET ${SET_STRATEGY}
     ${LINK_STRATEGY}
     RETURN count(s) AS created`,
    { rows: rows.strategies.map(strategyParams) },
  );
  return { segments, offers, strategies };
}

/** True when the graph holds any offer (the marketing set-up has been seeded). */
export async function hasMarketing(graph: Graph): Promise<boolean> {
  const rows = await graph.session().read<{ n: number }>("MATCH (o:Offer) RETURN count(o) > 0 AS n LIMIT 1");
  return Boolean(rows[0]?.n);
}
