import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { ReferenceData } from "../src/customer360/reference";
import { checkSegment } from "../src/segments/expression/check";
import { parseSegment } from "../src/segments/expression/parse";
import { segmentVocabulary } from "../src/segments/expression/vocabulary";
import { toScan } from "../src/segments/preview/plan";
import { scanCount, scanValueCounts, segmentDefinitions, type ScanCondition, type ScanValue } from "../src/graph/segments";
import { Graph, type GraphConnection } from "../src/platform/neo4j";
import { bearer } from "./auth";
import type { ChildServer } from "./children";

/**
 * Issue 11's segment scenario (`--only segments`): a marketer's questions sized by the gateway's
 * bitmaps (segmentPreview over HTTP, as the console asks) beside the same question answered by a
 * Cypher scan of every customer on the same Neo4j (src/graph/segments.ts scanCount and
 * scanValueCounts, the translation the tests hold previews equal to), each with p50/p95 and the
 * ratio, and their answers compared. Graph and trajectory predicates are measured cold (their
 * derived bitmaps dropped before each ask: the Cypher the first preview pays) and warm (cached for
 * seconds). Then how long after an accepted offer the preview counts the customer in, and how long
 * a build of the index takes and what it holds.
 */

export interface SegmentQuestion {
  name: string;
  expression: string;
  /** Asked with the preview (one request), and answered by the scan with the values' counts. */
  distribution?: { attribute?: string; tag?: string; intervals?: number; value: ScanValue };
  /** Graph or trajectory: measured cold as well. */
  derived?: boolean;
}

export interface Timing {
  p50: number;
  p95: number;
  n: number;
}

export interface QuestionResult {
  question: SegmentQuestion;
  count: number;
  preview: Timing;
  cold: Timing | null;
  scan: Timing;
  /** The scan counted the same members (a distribution: the same per value). */
  same: boolean;
}

export interface SegmentRun {
  customers: number;
  build: { seconds: number; generation: number; bitmapBytes: number; keys: number } | null;
  questions: QuestionResult[];
  /** From an accepted offer's answer to a preview that counts the customer in. */
  flip: Flips;
  /** From a change event's acceptance by ingestEvents to a preview that counts the change: a PRODUCT_ORDERED (holds(code)) and a PROFILE_CHANGE (an attribute predicate). */
  ordered: Flips;
  profile: Flips;
}

export type Flips = Timing & { p99: number; max: number };

export const SEGMENT_QUESTIONS: readonly SegmentQuestion[] = [
  { name: "count, 1 predicate (a tag)", expression: "TEL_DATA_HEAVY" },
  { name: "count, 3 predicates", expression: "TEL_DATA_HEAVY AND arpu >= 100 AND NOT holds(BROADBAND)" },
  {
    name: "count, 10 predicates",
    expression:
      '(TEL_DATA_HEAVY OR TEL_DATA_SAT_HIGH) AND arpu >= 80 AND age < 45 AND segment IN ("INDIVIDUAL", "FAMILY") AND NOT holds(BROADBAND) AND score(VAL_CHURN_SCORE) < 0.6 AND networkType = "5G" AND tenureMonths >= 12 AND NOT doNotDisturb',
  },
  {
    name: "20-interval distribution of arpu",
    expression: "holds(PLAN) AND arpu > 0",
    distribution: { attribute: "arpu", intervals: 20, value: { kind: "attribute", name: "arpu" } },
  },
  { name: "distribution of a category tag", expression: "ALL", distribution: { tag: "BAS_AGE_BAND", value: { kind: "tagValue", code: "BAS_AGE_BAND" } } },
  { name: "graph: a family member holds broadband", expression: "family(holds(BROADBAND))", derived: true },
  { name: "graph: ≥ 3 of the calling circle use 5G", expression: 'circle(networkType = "5G") >= 3', derived: true },
  { name: "trajectory: SMS offer unanswered, 14 days", expression: "unanswered(SMS, BROADBAND, 14d)", derived: true },
  { name: "trajectory: complained on HOTLINE, 48 h", expression: "complained(HOTLINE, 48h)", derived: true },
  {
    name: "10 predicates with graph and trajectory",
    expression:
      'TEL_DATA_HEAVY AND arpu >= 50 AND NOT holds(BROADBAND) AND family(holds(BROADBAND)) AND circle(networkType = "5G") >= 1 AND NOT complained(30d) AND age >= 25 AND lifecycleStage != "NEW" AND score(VAL_CHURN_SCORE) < 0.8 AND NOT doNotDisturb',
    derived: true,
  },
];

export interface SegmentScenarioContext {
  gateway: ChildServer;
  neo4j: GraphConnection;
  redisUrl: string;
  redisKeyPrefix: string;
  /** Preview asks per question (warm); cold and scan asks are fewer, they take seconds. */
  iterations: number;
  scans: number;
  flips: number;
  say: (line: string) => void;
}

type Json = Record<string, unknown>;

async function post(url: string, token: { authorization: string }, query: string, variables: Json = {}): Promise<Json> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...token }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Json; errors?: Array<{ message: string }> };
  if (body.errors?.length || !body.data) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function timing(ms: readonly number[]): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), n: sorted.length };
}

const PREVIEW = `query($expression: String!, $distributed: Boolean!, $attribute: String, $tag: String, $intervals: Int) {
  segmentPreview(expression: $expression) { count customers
    distribution(attribute: $attribute, tag: $tag, intervals: $intervals) @include(if: $distributed) { buckets { value from to toInclusive count } missing total } } }`;

export async function runSegmentScenario(ctx: SegmentScenarioContext): Promise<SegmentRun> {
  const url = ctx.gateway.url;
  const marketer = bearer("MARKETER");
  const graph = Graph.connect({ ...ctx.neo4j, readTimeoutMs: 600_000 });
  // the derived bitmaps are dropped through a client without the gateway's prefix (the pattern carries it)
  const raw = new Redis(ctx.redisUrl);
  try {
    // the index: built at the gateway's start when missing; a rebuild measures a build
    // a poll that meets a kept-alive socket the gateway just closed (undici's "fetch failed") asks again
    const status = async (attempt = 1): Promise<Json> => {
      try {
        return (await post(url, marketer, "{ segmentIndex { state generation customers building { done total } } }")).segmentIndex as Json;
      } catch (error) {
        if (!(error instanceof TypeError) || attempt >= 5) throw error;
        ctx.say(`segments: the status poll failed (${String((error as { cause?: unknown }).cause ?? error.message)}); asking again`);
        await sleep(1_000);
        return status(attempt + 1);
      }
    };
    for (let s = await status(); s.state !== "READY"; s = await status()) {
      ctx.say(`segments: the index is being built (${JSON.stringify(s.building)})…`);
      await sleep(2_000);
    }
    ctx.say("segments: timing a rebuild of the index…");
    const before = Number((await status()).generation);
    const started = performance.now();
    await post(url, bearer("ADMIN"), "mutation { rebuildSegmentIndex { state } }");
    let after = await status();
    while (Number(after.generation) === before) {
      await sleep(200);
      after = await status();
    }
    const seconds = (performance.now() - started) / 1000;
    const { bytes, keys } = await generationSize(raw, `${ctx.redisKeyPrefix}segments:{idx}:g${String(after.generation)}:keys`);
    const build = { seconds, generation: Number(after.generation), bitmapBytes: bytes, keys };
    ctx.say(`segments: built generation ${build.generation} in ${seconds.toFixed(1)} s (${keys} keys, ${(bytes / 2 ** 20).toFixed(1)} MiB of bitmaps)`);

    // the scan side: the same expression, checked and translated as the gateway does, over the same graph
    const reference = new ReferenceData(graph);
    const [products, tags, segments] = await Promise.all([reference.products(), reference.tags(), segmentDefinitions(graph.session())]);
    const vocabulary = { ...segmentVocabulary(products, tags), segments, population: true };
    const dropDerived = async (): Promise<void> => {
      let cursor = "0";
      do {
        const [next, names] = await raw.scan(cursor, "MATCH", `${ctx.redisKeyPrefix}segments:{idx}:d:*`, "COUNT", 1000);
        cursor = next;
        if (names.length > 0) await raw.unlink(...names);
      } while (cursor !== "0");
    };

    const questions: QuestionResult[] = [];
    for (const question of SEGMENT_QUESTIONS) {
      ctx.say(`segments: ${question.name}…`);
      const d = question.distribution;
      const vars = { expression: question.expression, distributed: Boolean(d), attribute: d?.attribute ?? null, tag: d?.tag ?? null, intervals: d?.intervals ?? null };
      const ask = async (): Promise<{ ms: number; data: Json }> => {
        const t0 = performance.now();
        const data = (await post(url, marketer, PREVIEW, vars)).segmentPreview as Json;
        return { ms: performance.now() - t0, data };
      };
      let cold: Timing | null = null;
      if (question.derived) {
        const ms: number[] = [];
        for (let i = 0; i < ctx.scans; i++) {
          await dropDerived();
          ms.push((await ask()).ms);
        }
        cold = timing(ms);
      }
      for (let i = 0; i < 3; i++) await ask(); // warm-up
      const warm: number[] = [];
      let last: Json = {};
      for (let i = 0; i < ctx.iterations; i++) {
        const r = await ask();
        warm.push(r.ms);
        last = r.data;
      }
      const scan: ScanCondition = toScan(checkSegment(parseSegment(question.expression), vocabulary).root, { products, asOfMs: Math.floor(Date.now() / 10_000) * 10_000 });
      const scanMs: number[] = [];
      let same = true;
      for (let i = 0; i < ctx.scans; i++) {
        const t0 = performance.now();
        if (d) {
          const grouped = await scanValueCounts(graph.session(), scan, d.value);
          scanMs.push(performance.now() - t0);
          same = same && sameDistribution(last.distribution as Json, grouped, Boolean(d.intervals));
        } else {
          const n = await scanCount(graph.session(), scan);
          scanMs.push(performance.now() - t0);
          // a trajectory window moves with the clock: allow for the seconds between the two asks
          same = same && (n === last.count || Boolean(question.derived && Math.abs(n - Number(last.count)) <= 1));
        }
      }
      questions.push({ question, count: Number(last.count), preview: timing(warm), cold, scan: timing(scanMs), same });
    }

    ctx.say("segments: an accepted offer → the customer counted in…");
    const flip = await flips(url, ctx.flips, Number(after.customers));
    ctx.say("segments: a change event (PRODUCT_ORDERED, PROFILE_CHANGE) → the preview counts it…");
    const { ordered, profile } = await eventFlips(url, ctx.flips, Number(after.customers), [...products.values()].map((p) => ({ id: p.id, code: p.code })));
    return { customers: Number(after.customers), build, questions, flip, ordered, profile };
  } finally {
    raw.disconnect();
    await graph.close();
  }
}

/** Bytes and keys of one generation (STRLEN of its bitmaps), through its key list. */
async function generationSize(raw: Redis, list: string): Promise<{ bytes: number; keys: number }> {
  let cursor = "0";
  let bytes = 0;
  let keys = 0;
  do {
    const [next, names] = await raw.sscan(list, cursor, "COUNT", 1000);
    cursor = next;
    const pipeline = raw.pipeline();
    for (const name of names) pipeline.call("MEMORY", "USAGE", name);
    for (const [, n] of (await pipeline.exec()) ?? []) bytes += Number(n ?? 0);
    keys += names.length;
  } while (cursor !== "0");
  return { bytes, keys };
}

/** The preview's distribution against the scan's counts per value (intervals: bucketed here). */
function sameDistribution(d: Json, grouped: ReadonlyArray<{ value: unknown; n: number }>, intervals: boolean): boolean {
  const buckets = d.buckets as Array<{ value: string | null; from: number | null; to: number | null; toInclusive: boolean; count: number }>;
  if (!intervals) return buckets.every((b) => b.count === grouped.filter((g) => g.value !== null && String(g.value) === b.value).reduce((s, g) => s + g.n, 0));
  return buckets.every(
    (b) =>
      b.count ===
      grouped
        .filter((g) => typeof g.value === "number" && g.value >= (b.from as number) && (b.toInclusive ? g.value <= (b.to as number) : g.value < (b.to as number)))
        .reduce((s, g) => s + g.n, 0),
  );
}

/**
 * From respondToOffer(ACCEPTED) answering to the first preview that counts the customer in
 * `holds("<the product's code>")`: the change event's path (the answer writes the holding, the
 * index re-reads the customer behind it and sets its bits).
 */
async function flips(url: string, samples: number, customers: number): Promise<SegmentRun["flip"]> {
  const feed = bearer("SERVICE");
  const marketer = bearer("MARKETER");
  const ms: number[] = [];
  const count = async (expression: string): Promise<number> => Number(((await post(url, marketer, "query($e: String!) { segmentPreview(expression: $e) { count } }", { e: expression })).segmentPreview as Json).count);
  for (let i = 0; ms.length < samples && i < samples * 20; i++) {
    const id = `C${String(1 + Math.floor(Math.random() * customers)).padStart(7, "0")}`;
    const decided = (await post(url, feed, `query($id: ID!) { nextBestOffers(customerId: $id, channel: APP, limit: 1) { id contacted offer { product { code } } } }`, { id }))
      .nextBestOffers as Array<{ id: string; contacted: boolean; offer: { product: { code: string } } }>;
    // a control-group decision was never presented and cannot be answered
    const d = decided.find((x) => x.contacted);
    if (!d) continue;
    const expression = `holds(${JSON.stringify(d.offer.product.code)})`;
    const before = await count(expression);
    await post(url, feed, `mutation($id: ID!) { respondToOffer(decisionId: $id, outcome: ACCEPTED) { id } }`, { id: d.id });
    const t0 = performance.now();
    while ((await count(expression)) === before) {
      if (performance.now() - t0 > 10_000) throw new Error(`${id} was not counted in ${expression} within 10 s of accepting`);
    }
    ms.push(performance.now() - t0);
  }
  return flipTiming(ms);
}

function flipTiming(ms: readonly number[]): Flips {
  const sorted = [...ms].sort((a, b) => a - b);
  const t = timing(ms);
  return { ...t, p99: sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

const INGEST = `mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted events { status error { field message } } } }`;

/**
 * From ingestEvents accepting a change event to the first preview that counts the change: a
 * PRODUCT_ORDERED of a product the customer does not hold, until `holds("<code>")` counts one more;
 * a PROFILE_CHANGE of the terminal model to a value nobody has, until `terminalModel = "<it>"`
 * counts 1. The path: the stream, the consumer, the graph statement, the index re-reading the
 * customer behind it. The customers changed are the bench's own data set (it is re-seeded).
 */
async function eventFlips(url: string, samples: number, customers: number, products: ReadonlyArray<{ id: string; code: string }>): Promise<{ ordered: Flips; profile: Flips }> {
  const feed = bearer("SERVICE");
  const marketer = bearer("MARKETER");
  const count = async (expression: string): Promise<number> => Number(((await post(url, marketer, "query($e: String!) { segmentPreview(expression: $e) { count } }", { e: expression })).segmentPreview as Json).count);
  const send = async (event: Json): Promise<void> => {
    const out = (await post(url, feed, INGEST, { events: [event] })).ingestEvents as { accepted: number; events: Array<{ error: unknown }> };
    if (out.accepted !== 1) throw new Error(`the bench's ${String(event.type)} event was not accepted: ${JSON.stringify(out.events[0]?.error)}`);
  };
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const ordered: number[] = [];
  const profile: number[] = [];
  for (let i = 0; i < samples; i++) {
    const id = `C${String(1 + Math.floor(Math.random() * customers)).padStart(7, "0")}`;
    const held = (await post(url, marketer, `query($id: ID!) { customer(id: $id) { subscriptions { product { id } } } }`, { id })).customer as { subscriptions: Array<{ product: { id: string } }> };
    const owned = new Set(held.subscriptions.map((s) => s.product.id));
    const open = products.filter((p) => !owned.has(p.id));
    const product = open[Math.floor(Math.random() * open.length)];
    if (product) {
      const expression = `holds(${JSON.stringify(product.code)})`;
      const before = await count(expression);
      await send({ id: `bench-order-${run}-${i}`, customerId: id, type: "PRODUCT_ORDERED", payload: { productCode: product.code } });
      const t0 = performance.now();
      while ((await count(expression)) <= before) {
        if (performance.now() - t0 > 10_000) throw new Error(`${id} was not counted in ${expression} within 10 s of its PRODUCT_ORDERED`);
      }
      ordered.push(performance.now() - t0);
    }
    const model = `bench-${run}-${i}`;
    await send({ id: `bench-profile-${run}-${i}`, customerId: id, type: "PROFILE_CHANGE", payload: { terminalModel: model } });
    const t0 = performance.now();
    while ((await count(`terminalModel = ${JSON.stringify(model)}`)) !== 1) {
      if (performance.now() - t0 > 10_000) throw new Error(`${id} was not counted in terminalModel = "${model}" within 10 s of its PROFILE_CHANGE`);
    }
    profile.push(performance.now() - t0);
  }
  return { ordered: flipTiming(ordered), profile: flipTiming(profile) };
}
