import { int, type Cypher } from "../platform/neo4j";
import { awaitOwnIndexes } from "./await-indexes";
import { inScope, withProfile, type RawProfile } from "./customer";
import type { CustomerNode } from "./model";
import type { CustomerRecord, CustomerScope } from "./records";

/**
 * The graph half of segment previews (src/segments/preview): the dense customer index (`idx`), the
 * reads that build and refresh the bitmaps, the statements that compute graph and trajectory
 * predicates into member lists (each starting from an index), and the scan translator: a segment
 * condition as one Cypher WHERE over every customer, the graph's own answer that a preview must
 * equal (tests) and beat (bench), and the fallback for the rare comparison no bitmap serves
 * (attribute against attribute).
 */

/** The constraint and indexes segment previews rely on (also in ./schema.ts SCHEMA); idempotent. */
export const SEGMENT_SCHEMA: readonly string[] = [
  // the dense index: customers by bit, and the top of the sequence for the next customer
  "CREATE CONSTRAINT customer_idx IF NOT EXISTS FOR (c:Customer) REQUIRE c.idx IS UNIQUE",
  "CREATE CONSTRAINT sequence_name IF NOT EXISTS FOR (s:Sequence) REQUIRE s.name IS UNIQUE",
  // trajectory predicates over everyone start from a window of contacts of one kind or on one channel
  "CREATE RANGE INDEX contact_kind_at IF NOT EXISTS FOR (k:Contact) ON (k.kind, k.at)",
  "CREATE RANGE INDEX contact_channel_at IF NOT EXISTS FOR (k:Contact) ON (k.channel, k.at)",
];

/** Creates the constraint and indexes above (an older store gains them) and waits until they are online. */
export async function ensureSegmentSchema(graph: Cypher, timeoutSeconds = 600): Promise<void> {
  for (const statement of SEGMENT_SCHEMA) await graph.write(statement);
  await awaitOwnIndexes(graph, SEGMENT_SCHEMA, timeoutSeconds);
}

// ───────────────────────────── the dense index ─────────────────────────────

/** Customers given an idx per statement when the build fills gaps (one transaction each). */
const ASSIGN_BATCH = 50_000;

/**
 * Gives the customers among `ids` that have no `idx` the next free ones (above the highest
 * assigned), in id order, and returns how many it gave. One allocator at a time: the statement
 * first locks the (:Sequence {name: "customerIdx"}) node, so two never hand out the same numbers
 * (and the unique constraint would refuse it if they did). `ids` null: every customer without one,
 * in batches (the index build, for customers written by tools that left it out).
 */
export async function assignCustomerIdx(graph: Cypher, ids: readonly string[] | null): Promise<number> {
  let given = 0;
  for (;;) {
    const rows = await graph.write<{ n: number }>(
      `MERGE (s:Sequence {name: 'customerIdx'}) SET s.lock = true
       WITH s, coalesce(head(COLLECT { MATCH (c:Customer) WHERE c.idx IS NOT NULL RETURN c.idx ORDER BY c.idx DESC LIMIT 1 }), 0) AS top
       CALL (top) {
         ${ids === null ? "MATCH (c:Customer) WHERE c.idx IS NULL" : "UNWIND $ids AS id MATCH (c:Customer {id: id}) WHERE c.idx IS NULL"}
         WITH DISTINCT c ORDER BY c.id LIMIT $batch
         WITH collect(c) AS cs
         UNWIND range(0, size(cs) - 1) AS i
         WITH cs[i] AS c, top + i + 1 AS idx
         SET c.idx = idx
         RETURN count(c) AS n
       }
       REMOVE s.lock
       RETURN n`,
      { ids, batch: int(ASSIGN_BATCH) },
    );
    const n = rows[0]?.n ?? 0;
    given += n;
    if (ids !== null || n < ASSIGN_BATCH) return given;
  }
}

/** The highest idx and the number of customers: the size of the bitmaps. */
export async function customerIdxExtent(graph: Cypher): Promise<{ maxIdx: number; customers: number }> {
  const rows = await graph.read<{ maxIdx: number | null; customers: number }>(
    `CALL () { MATCH (c:Customer) RETURN count(c) AS customers }
     RETURN coalesce(head(COLLECT { MATCH (c:Customer) WHERE c.idx IS NOT NULL RETURN c.idx ORDER BY c.idx DESC LIMIT 1 }), 0) AS maxIdx, customers`,
  );
  return { maxIdx: rows[0]?.maxIdx ?? 0, customers: rows[0]?.customers ?? 0 };
}

/** A customer as the bitmaps see it: its record with profile, its idx, and whether it has family. */
export interface IndexedCustomer {
  idx: number;
  customer: CustomerRecord;
  /** Another customer shares a FAMILY group with it (the `familyMember` attribute over the population). */
  familyMember: boolean;
}

type IndexedRow = { idx: number; c: CustomerNode & { profile: RawProfile }; familyMember: boolean };

/**
 * What the bitmaps need of a customer, lean: holdings and tags without their times (a third of what
 * the unified view's profile carries, and no date conversions), the preferred channel alone.
 */
const INDEXED_PROJECTION = `RETURN c.idx AS idx, c {.*, profile: {
    holdings: [(c)-[:SUBSCRIBES]->(p:Product) | [p.id, 0]],
    tags: [(c)-[h:HAS_TAG]->(t:Tag) | [t.id, h.value, h.score, 0]],
    preferredChannels: COLLECT { MATCH (c)-[r:PREFERS]->(ch:Channel) RETURN [r.rank, ch.code] ORDER BY r.rank LIMIT 1 }
  }} AS c,
  EXISTS { (c)-[:MEMBER_OF]->(:Group {kind: 'FAMILY'})<-[:MEMBER_OF]-(m:Customer) WHERE m <> c } AS familyMember`;

function indexed(rows: readonly IndexedRow[]): IndexedCustomer[] {
  return rows.map((r) => ({ idx: r.idx, customer: withProfile(r.c), familyMember: r.familyMember }));
}

/** Customers with `from <= idx < to` (a seek on the idx index), for the index build. */
export async function customersByIdxRange(graph: Cypher, from: number, to: number): Promise<IndexedCustomer[]> {
  return indexed(await graph.read<IndexedRow>(`MATCH (c:Customer) WHERE c.idx >= $from AND c.idx < $to ${INDEXED_PROJECTION}`, { from: int(from), to: int(to) }));
}

/** Customers by id (those with an idx), as the bitmaps see them, for refreshing their bits after a change. */
export async function indexedCustomersByIds(graph: Cypher, ids: readonly string[]): Promise<IndexedCustomer[]> {
  return indexed(await graph.read<IndexedRow>(`MATCH (c:Customer) WHERE c.id IN $ids AND c.idx IS NOT NULL ${INDEXED_PROJECTION}`, { ids: [...new Set(ids)] }));
}

/** The idx of every customer (a pass over the idx index): what the bitmaps may hold, for pruning those of customers deleted. */
export async function allCustomerIdx(graph: Cypher): Promise<number[]> {
  return (await graph.read<{ idx: number }>(`MATCH (c:Customer) WHERE c.idx IS NOT NULL RETURN c.idx AS idx`)).map((r) => r.idx);
}

/** Customers by idx, as the bitmaps see them (replaying changes after a build); idx that are no customer are missing. */
export async function indexedCustomersByIdx(graph: Cypher, idx: readonly number[]): Promise<IndexedCustomer[]> {
  return indexed(await graph.read<IndexedRow>(`UNWIND $idx AS i MATCH (c:Customer {idx: i}) ${INDEXED_PROJECTION}`, { idx: [...new Set(idx)].map(int) }));
}

/** Every customer's value and score of one tag (from the tag: its HAS_TAG edges, no scan of customers). */
export async function tagHolders(graph: Cypher, code: string): Promise<Array<{ idx: number; value: string | null; score: number | null }>> {
  return graph.read(`MATCH (:Tag {code: $code})<-[h:HAS_TAG]-(c:Customer) WHERE c.idx IS NOT NULL RETURN c.idx AS idx, h.value AS value, h.score AS score`, { code });
}

/** A member of a sample: what a segment builder shows of it (masking is the caller's). */
export interface SampleMemberRecord {
  idx: number;
  id: string;
  name: string;
  msisdn: string;
  regionId: string;
  segment: string;
  valueTier: string;
  lifecycleStage: string;
  arpu: number;
}

/** The customers at these idx that lie within `scope`, in the order asked. */
export async function customersAtIdx(graph: Cypher, idx: readonly number[], scope: CustomerScope): Promise<SampleMemberRecord[]> {
  const rows = await graph.read<{ c: SampleMemberRecord }>(
    `UNWIND range(0, size($idx) - 1) AS i
     MATCH (c:Customer {idx: $idx[i]}) WHERE ${inScope("c")}
     RETURN c {.idx, .id, .name, .msisdn, .regionId, .segment, .valueTier, .lifecycleStage, .arpu} AS c ORDER BY i`,
    { idx: idx.map(int), scope },
  );
  return rows.map((r) => r.c);
}

// ───────────────────────────── graph and trajectory predicates ─────────────────────────────

/** Where the customers a relation counts start from: holders of a product or a tag (found from that node), or listed idx. */
export type RelatedSeed = { holdsKind: string } | { holdsCode: string } | { tag: string } | { idx: readonly number[] };

/**
 * For each customer related to at least one seed customer (another member of its FAMILY group, or
 * a calling-circle contact: CALLS either way), how many distinct seed customers it is related to.
 * Starts from the seed (a product or tag node and its edges, or idx seeks) and walks out, so its
 * cost follows the seed's size and their relations, not the population.
 */
export async function relatedCounts(graph: Cypher, relation: "family" | "circle", seed: RelatedSeed): Promise<Array<[number, number]>> {
  const start =
    "holdsKind" in seed
      ? "MATCH (:Product {kind: $seed})<-[:SUBSCRIBES]-(m:Customer)"
      : "holdsCode" in seed
        ? "MATCH (:Product {code: $seed})<-[:SUBSCRIBES]-(m:Customer)"
        : "tag" in seed
          ? "MATCH (:Tag {code: $seed})<-[:HAS_TAG]-(m:Customer)"
          : "UNWIND $seed AS i MATCH (m:Customer {idx: i})";
  const value = "holdsKind" in seed ? seed.holdsKind : "holdsCode" in seed ? seed.holdsCode : "tag" in seed ? seed.tag : seed.idx.map(int);
  const walk = relation === "family" ? "MATCH (m)-[:MEMBER_OF]->(:Group {kind: 'FAMILY'})<-[:MEMBER_OF]-(c:Customer)" : "MATCH (m)-[:CALLS]-(c:Customer)";
  const rows = await graph.read<{ idx: number; n: number }>(
    `${start}
     WITH DISTINCT m
     ${walk} WHERE c <> m AND c.idx IS NOT NULL
     WITH c, count(DISTINCT m) AS n
     RETURN c.idx AS idx, n`,
    { seed: value },
  );
  return rows.map((r) => [r.idx, r.n]);
}

/** What a trajectory predicate looks for; times are epoch milliseconds, both ends inclusive. */
export interface TrajectoryQuery {
  event: "contacted" | "complained" | "offered" | "unanswered";
  channel: string | null;
  /** Offers about these products only (offered, unanswered); null for the others. */
  productIds: readonly string[] | null;
  sinceMs: number;
  untilMs: number;
}

/** The outcomes that answer an offer; IGNORED (recorded when nothing came) does not. */
const ANSWERS = ["ACCEPTED", "DECLINED", "CLICKED"];

/**
 * The idx of every customer with a matching contact in the window: a seek on the (kind, at) or
 * (channel, at) index over the window's contacts, each then checked, never a walk of every
 * customer's trajectory.
 */
export async function trajectoryMembers(graph: Cypher, q: TrajectoryQuery): Promise<number[]> {
  const kind = q.event === "complained" ? "COMPLAINT" : q.event === "contacted" ? null : "OFFER_PRESENTED";
  const window = "k.at >= datetime({epochMillis: $since}) AND k.at <= datetime({epochMillis: $until})";
  // contacted() of any channel: one seek per channel on (channel, at)
  const start =
    kind !== null
      ? `MATCH (k:Contact) USING INDEX k:Contact(kind, at) WHERE k.kind = $kind AND ${window} AND ($channel IS NULL OR k.channel = $channel)`
      : `UNWIND $channels AS ch MATCH (k:Contact) USING INDEX k:Contact(channel, at) WHERE k.channel = ch AND ${window}`;
  const unanswered =
    q.event === "unanswered"
      ? `AND NOT EXISTS { MATCH (r:Contact) USING INDEX r:Contact(customerId, at)
           WHERE r.customerId = k.customerId AND r.at >= k.at AND r.at <= datetime({epochMillis: $until})
             AND r.kind = 'OFFER_RESPONSE' AND r.productId = k.productId AND r.outcome IN $answers }`
      : "";
  const rows = await graph.read<{ idx: number }>(
    `${start}
       AND ($products IS NULL OR k.productId IN $products) ${unanswered}
     WITH DISTINCT k.customerId AS id
     MATCH (c:Customer {id: id}) WHERE c.idx IS NOT NULL
     RETURN c.idx AS idx`,
    {
      kind,
      channel: q.channel,
      channels: q.channel === null ? CHANNELS : [q.channel],
      products: q.productIds,
      since: int(q.sinceMs),
      until: int(q.untilMs),
      answers: ANSWERS,
    },
  );
  return rows.map((r) => r.idx);
}

const CHANNELS = ["HOTLINE", "APP", "WEB", "SMS", "OUTBOUND_CALL", "STORE", "WECHAT"];

// ───────────────────────────── the scan translator ─────────────────────────────

export type ScanOp = "=" | "!=" | "<" | "<=" | ">" | ">=";
export type ScanLiteral = string | number | boolean;

/** A value of a segment condition, for the scan translator. */
export type ScanValue =
  | { kind: "attribute"; name: string }
  | { kind: "score"; code: string }
  | { kind: "tagValue"; code: string }
  | { kind: "literal"; value: ScanLiteral };

/**
 * A checked segment condition (src/segments/expression/check.ts) as the scan translator reads it:
 * names resolved, product codes to ids for trajectories, windows to times.
 */
export type ScanCondition =
  | { kind: "const"; value: boolean }
  | { kind: "and" | "or"; of: readonly ScanCondition[] }
  | { kind: "not"; of: ScanCondition }
  | { kind: "tag"; code: string }
  | { kind: "flag"; name: string }
  | { kind: "holdsKind"; productKind: string }
  | { kind: "holdsCode"; productCode: string }
  | { kind: "compare"; op: ScanOp; left: ScanValue; right: ScanValue }
  | { kind: "in"; negated: boolean; value: ScanValue; list: readonly ScanLiteral[] }
  | { kind: "related"; relation: "family" | "circle"; op: ScanOp; count: number; of: ScanCondition }
  | ({ kind: "trajectory" } & TrajectoryQuery);

/**
 * The attributes as Cypher over a customer `v`, computed exactly as src/segments/attributes.ts
 * computes them in JavaScript (same floating-point operations in the same order), so a scan and a
 * bitmap agree to the last customer.
 */
function attributeCypher(name: string, v: string): string {
  switch (name) {
    case "cityId":
      return `substring(${v}.regionId, 0, 5)`;
    case "dataUsedPercent":
      return `CASE WHEN ${v}.dataQuotaMb > 0 THEN toFloat(${v}.dataUsedMb) / ${v}.dataQuotaMb * 100 ELSE 0 END`;
    case "voiceUsedPercent":
      return `CASE WHEN ${v}.voiceQuotaMinutes > 0 THEN toFloat(${v}.voiceUsedMinutes) / ${v}.voiceQuotaMinutes * 100 ELSE 0 END`;
    case "preferredChannel":
      return `head(COLLECT { MATCH (${v})-[r:PREFERS]->(ch:Channel) RETURN ch.code ORDER BY r.rank LIMIT 1 })`;
    case "familyMember":
      return `EXISTS { (${v})-[:MEMBER_OF]->(:Group {kind: 'FAMILY'})<-[:MEMBER_OF]-(fm:Customer) WHERE fm <> ${v} }`;
    default:
      if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw new Error(`no Cypher for attribute ${name}`);
      return `${v}.${name}`;
  }
}

/** Builds one WHERE over customers from a scan condition, with its parameters. */
class ScanWriter {
  readonly params: Record<string, unknown> = {};
  private n = 0;

  param(value: unknown): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `$${name}`;
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  value(x: ScanValue, v: string): string {
    switch (x.kind) {
      case "attribute":
        return attributeCypher(x.name, v);
      case "score":
        return `head(COLLECT { MATCH (${v})-[h:HAS_TAG]->(:Tag {code: ${this.param(x.code)}}) RETURN h.score })`;
      case "tagValue":
        return `head(COLLECT { MATCH (${v})-[h:HAS_TAG]->(:Tag {code: ${this.param(x.code)}}) RETURN h.value })`;
      case "literal":
        return this.param(x.value);
    }
  }

  condition(c: ScanCondition, v: string): string {
    switch (c.kind) {
      case "const":
        return c.value ? "true" : "false";
      case "and":
      case "or":
        return `(${c.of.map((x) => this.condition(x, v)).join(c.kind === "and" ? " AND " : " OR ")})`;
      case "not":
        return `(NOT ${this.condition(c.of, v)})`;
      case "tag":
        return `EXISTS { (${v})-[:HAS_TAG]->(:Tag {code: ${this.param(c.code)}}) }`;
      case "flag":
        return `coalesce(${attributeCypher(c.name, v)} = true, false)`;
      case "holdsKind":
        return `EXISTS { (${v})-[:SUBSCRIBES]->(:Product {kind: ${this.param(c.productKind)}}) }`;
      case "holdsCode":
        return `EXISTS { (${v})-[:SUBSCRIBES]->(:Product {code: ${this.param(c.productCode)}}) }`;
      case "compare": {
        const l = this.value(c.left, v);
        const r = this.value(c.right, v);
        // missing values: ordering and = are false, != is its negation; two missing values are equal
        const equal = `coalesce(${l} = ${r}, ${l} IS NULL AND ${r} IS NULL)`;
        if (c.op === "=") return equal;
        if (c.op === "!=") return `(NOT ${equal})`;
        return `coalesce(${l} ${c.op} ${r}, false)`;
      }
      case "in": {
        const test = `coalesce(${this.value(c.value, v)} IN ${this.param(c.list)}, false)`;
        return c.negated ? `(NOT ${test})` : test;
      }
      case "related": {
        const m = this.fresh("m");
        const walk = c.relation === "family" ? `(${v})-[:MEMBER_OF]->(:Group {kind: 'FAMILY'})<-[:MEMBER_OF]-(${m}:Customer)` : `(${v})-[:CALLS]-(${m}:Customer)`;
        const n = `size(COLLECT { MATCH ${walk} WHERE ${m} <> ${v} AND ${this.condition(c.of, m)} RETURN DISTINCT ${m} })`;
        return `(${n} ${c.op === "!=" ? "<>" : c.op} ${this.param(c.count)})`;
      }
      case "trajectory": {
        const k = this.fresh("k");
        const since = `datetime({epochMillis: ${this.param(int(c.sinceMs))}})`;
        const until = `datetime({epochMillis: ${this.param(int(c.untilMs))}})`;
        const kind = c.event === "complained" ? "COMPLAINT" : c.event === "contacted" ? null : "OFFER_PRESENTED";
        // each customer's contacts in the window: a seek on the trajectory index (customerId, at)
        const parts = [`${k}.customerId = ${v}.id`, `${k}.at >= ${since}`, `${k}.at <= ${until}`];
        if (kind) parts.push(`${k}.kind = ${this.param(kind)}`);
        if (c.channel !== null) parts.push(`${k}.channel = ${this.param(c.channel)}`);
        if (c.productIds !== null) parts.push(`${k}.productId IN ${this.param(c.productIds)}`);
        if (c.event === "unanswered") {
          const r = this.fresh("r");
          parts.push(
            `NOT EXISTS { MATCH (${r}:Contact) USING INDEX ${r}:Contact(customerId, at) WHERE ${r}.customerId = ${v}.id AND ${r}.at >= ${k}.at AND ${r}.at <= ${until}
               AND ${r}.kind = 'OFFER_RESPONSE' AND ${r}.productId = ${k}.productId AND ${r}.outcome IN ${this.param(ANSWERS)} }`,
          );
        }
        return `EXISTS { MATCH (${k}:Contact) USING INDEX ${k}:Contact(customerId, at) WHERE ${parts.join(" AND ")} }`;
      }
    }
  }
}

/** A scan condition as `WHERE` text over customers bound to `c`, with its parameters. */
export function scanWhere(condition: ScanCondition): { where: string; params: Record<string, unknown> } {
  const writer = new ScanWriter();
  return { where: writer.condition(condition, "c"), params: writer.params };
}

/**
 * Several scan conditions over customers bound to `v`, as boolean Cypher expressions sharing one
 * parameter map (their parameters never clash): what a rule tag's job evaluates per customer.
 */
export function scanConditions(conditions: readonly ScanCondition[], v = "c"): { expressions: string[]; params: Record<string, unknown> } {
  const writer = new ScanWriter();
  return { expressions: conditions.map((c) => writer.condition(c, v)), params: writer.params };
}

/** How many customers satisfy the condition: one pass over every customer (what a preview replaces). */
export async function scanCount(graph: Cypher, condition: ScanCondition): Promise<number> {
  const { where, params } = scanWhere(condition);
  const rows = await graph.read<{ n: number }>(`MATCH (c:Customer) WHERE ${where} RETURN count(c) AS n`, params);
  return rows[0]?.n ?? 0;
}

/** The idx of every customer satisfying the condition: a pass over every customer (the fallback for what no bitmap serves). */
export async function scanMembers(graph: Cypher, condition: ScanCondition): Promise<number[]> {
  const { where, params } = scanWhere(condition);
  const rows = await graph.read<{ idx: number }>(`MATCH (c:Customer) WHERE c.idx IS NOT NULL AND ${where} RETURN c.idx AS idx`, params);
  return rows.map((r) => r.idx);
}

/**
 * How the segment's customers spread over one value (an attribute, or a tag's value or score):
 * counts per distinct value, by one pass over every customer; the Cypher a distribution's bitmaps
 * replace. Missing values come back under null.
 */
export async function scanValueCounts(graph: Cypher, condition: ScanCondition, value: ScanValue): Promise<Array<{ value: ScanLiteral | null; n: number }>> {
  const writer = new ScanWriter();
  const where = writer.condition(condition, "c");
  const expr = writer.value(value, "c");
  return graph.read(`MATCH (c:Customer) WHERE ${where} WITH ${expr} AS value RETURN value, count(*) AS n`, writer.params);
}

/** Every saved segment's code, name and expression (what `inSegment(CODE)` names). */
export async function segmentDefinitions(graph: Cypher): Promise<Map<string, { name: string; expression: string }>> {
  const rows = await graph.read<{ code: string; name: string; expression: string }>(`MATCH (g:Segment) RETURN g.code AS code, g.name AS name, g.expression AS expression`);
  return new Map(rows.map((r) => [r.code, { name: r.name, expression: r.expression }]));
}
