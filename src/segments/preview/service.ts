import { randomBytes } from "node:crypto";
import type { ReferenceData } from "../../customer360/reference";
import type { RequestScope } from "../../customer360/scope";
import { maskMsisdn, maskName } from "../../customer360/customer";
import { customersAtIdx, segmentDefinitions, type SampleMemberRecord as GraphMember, type ScanCondition, type ScanValue } from "../../graph/segments";
import { Memo } from "../../platform/cache";
import { BadUserInputError } from "../../platform/errors";
import { editDistance } from "../../platform/edit-distance";
import { hashText } from "../../platform/hash";
import { keys } from "../../platform/keys";
import type { Graph } from "../../platform/neo4j";
import type { AttributeInfo } from "../../domain/attributes";
import { CUSTOMER_ATTRIBUTES } from "../attributes";
import { checkSegment, type CheckedSegment } from "../expression/check";
import { parseSegment } from "../expression/parse";
import { jsonPathAt, printSegment, segmentFromJson, segmentToJson, type SegmentAst, type SegmentJson } from "../expression/ast";
import { SegmentExpressionError } from "../expression/errors";
import { segmentVocabulary, type SegmentVocabulary } from "../expression/vocabulary";
import { keyBits, numberOfKey } from "./bits";
import { attributeField, INDEXED_ATTRIBUTES, scoreField, TAG_FIELD, tagValueField } from "./fields";
import type { SegmentIndex } from "./index";
import { plan, toScan, type Plan } from "./plan";

/**
 * `segmentPreview(expression)`: how many customers a segment holds, how they spread over any
 * attribute or tag, and a sample of them, at once and without saving anything. The expression (text
 * or the builder's JSON) is checked against the served tags, the attributes, the catalogue and the
 * saved segments, planned into set algebra over the bitmaps (./plan.ts) and evaluated in Redis
 * (./index.ts); its members stay there for a minute under the preview's id, where its
 * distributions and sample read them.
 */

/** How long a preview's members are kept for its distributions and sample. */
const RESULT_TTL_MS = 60_000;
/** Trajectory windows are measured back from now to this precision, so previews within it share their cached bitmaps. */
const NOW_PRECISION_MS = 10_000;
export const MAX_SAMPLE = 50;
export const MAX_INTERVALS = 100;
const DEFAULT_INTERVALS = 10;
/** Indicators one preview distributes over up front (`distributionOf`). */
export const MAX_DISTRIBUTIONS = 10;
/** Values of a free-text attribute (districts, handset models) listed in a distribution at most; the rest are summed as OTHER. */
const MAX_VALUES = 200;

/** One preview, as the API returns it; its distributions and sample are asked of it. */
export interface PreviewRecord {
  /** Where its members are kept (a minute). */
  id: string;
  /** The canonical text and the JSON form of what was sized. */
  expression: string;
  json: SegmentJson;
  /** Members, and customers in all. */
  count: number;
  customers: number;
  /** The moment trajectory windows were measured back from. */
  asOf: Date;
  generation: number;
  /** The graph's own question, for whoever wants it asked (tests, the bench). */
  scan: ScanCondition;
  checked: CheckedSegment;
  /** Indicators asked for up front (`distributionOf`), checked. */
  distributionOf: string[];
}

export interface DistributionArgs {
  attribute?: string | null;
  tag?: string | null;
  intervals?: number | null;
  bounds?: readonly number[] | null;
}

/** A bucket: a value (text, true/false, a category) or an interval of numbers ([from, to), the last one closed). */
export interface BucketRecord {
  label: string;
  value: string | null;
  from: number | null;
  to: number | null;
  /** The interval includes `to` (the last one). */
  toInclusive: boolean;
  count: number;
}

export interface DistributionRecord {
  indicator: string;
  kind: "ATTRIBUTE" | "TAG";
  /** VALUES (one bucket per value) or INTERVALS (numbers). */
  type: "VALUES" | "INTERVALS";
  buckets: BucketRecord[];
  /** Members with a number below the first bound and above the last (given bounds only). */
  below: number;
  above: number;
  /** Members without a value. */
  missing: number;
  /** The preview's members: buckets, below, above and missing add up to it. */
  total: number;
}

export interface SampleMemberRecord {
  id: string;
  name: string;
  msisdn: string;
  masked: boolean;
  regionId: string;
  segment: string;
  valueTier: string;
  lifecycleStage: string;
  arpu: number;
}

export class SegmentPreviews {
  private readonly segments: Memo<Map<string, { name: string; expression: string }>>;

  constructor(
    readonly index: SegmentIndex,
    graph: Graph,
    private readonly reference: ReferenceData,
  ) {
    this.segments = new Memo(() => segmentDefinitions(graph.session()), 10_000, { name: "segment_definitions" });
  }

  /** What an expression may name in a preview: served tags, attributes, the catalogue, saved segments, the graph and the trajectory. */
  async vocabulary(): Promise<SegmentVocabulary> {
    const [products, tags, segments] = await Promise.all([this.reference.products(), this.reference.tags(), this.segments.get()]);
    return { ...segmentVocabulary(products, tags), segments, population: true };
  }

  /** Reads and checks an expression (text or JSON, exactly one), with the column (or JSON path) of what is wrong. */
  async check(input: { expression?: string | null; json?: unknown }): Promise<CheckedSegment> {
    const hasText = input.expression !== undefined && input.expression !== null;
    const hasJson = input.json !== undefined && input.json !== null;
    if (hasText === hasJson) {
      throw new BadUserInputError('Give the segment as `expression` (text, e.g. "TEL_DATA_HEAVY AND arpu >= 100") or as `json` (the builder\'s JSON form), exactly one of the two.', hasText ? "json" : "expression");
    }
    const ast: SegmentAst = hasText ? parseSegment(input.expression as string, { argument: "expression" }) : segmentFromJson(input.json, { argument: "json" });
    const vocabulary = await this.vocabulary();
    if (hasText) return checkSegment(ast, vocabulary, { argument: "expression" });
    try {
      return checkSegment(ast, vocabulary, { argument: "json" });
    } catch (error) {
      if (!(error instanceof SegmentExpressionError)) throw error;
      // a builder edits JSON: say where in it, as well as the column of its text
      const path = jsonPathAt(ast, error.column);
      const located = new SegmentExpressionError(`json at ${path}: ${error.message} (the column counts in its text «${printSegment(ast)}»)`, error.column, "json");
      located.extensions.jsonPath = path;
      throw located;
    }
  }

  /** The moment a preview's trajectory windows end: `asOf` when given (checked), else now to ten seconds. */
  asOf(asOf: Date | null | undefined, now = Date.now()): number {
    if (asOf === null || asOf === undefined) return Math.floor(now / NOW_PRECISION_MS) * NOW_PRECISION_MS;
    const ms = asOf.getTime();
    if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > now + 86_400_000) {
      throw new BadUserInputError(`\`asOf\` must be a time from 2000 to now; got ${Number.isFinite(ms) ? asOf.toISOString() : "an invalid date"}. Leave it out to measure trajectory windows back from now.`, "asOf");
    }
    return ms;
  }

  /** Plans a checked expression for a moment (what the bench and tests run directly). */
  async plan(checked: CheckedSegment, asOfMs: number): Promise<Plan> {
    return plan(checked.root, { products: await this.reference.products(), asOfMs, derivedKey: keys.segments.derived });
  }

  /** Sizes a segment: its members stay a minute under the preview's id for its distributions and sample. */
  async preview(input: { expression?: string | null; json?: unknown; asOf?: Date | null; distributionOf?: readonly string[] | null }): Promise<PreviewRecord> {
    const distributionOf = [...new Set(input.distributionOf ?? [])];
    if (distributionOf.length > MAX_DISTRIBUTIONS) {
      throw new BadUserInputError(`\`distributionOf\` names at most ${MAX_DISTRIBUTIONS} indicators; got ${distributionOf.length}.`, "distributionOf");
    }
    const checked = await this.check(input);
    const vocabulary = await this.vocabulary();
    for (const indicator of distributionOf) {
      if (vocabulary.tags.has(indicator) || INDEXED_ATTRIBUTES.some(([n]) => n === indicator)) continue;
      const near = suggest(indicator, [...vocabulary.tags.keys(), ...INDEXED_ATTRIBUTES.map(([n]) => n)]);
      throw new BadUserInputError(`\`distributionOf\` names ${indicator}, which is neither a published tag's code nor a customer attribute${near ? `; did you mean ${near}?` : ""}.`, "distributionOf");
    }
    const asOfMs = this.asOf(input.asOf);
    const planned = await this.plan(checked, asOfMs);
    const id = randomBytes(9).toString("base64url");
    const result = await this.index.evaluate(planned, keys.segments.result(id), RESULT_TTL_MS);
    return {
      id,
      expression: printSegment(checked.ast),
      json: segmentToJson(checked.ast),
      count: result.members,
      customers: result.customers,
      asOf: new Date(asOfMs),
      generation: result.generation,
      scan: planned.scan,
      checked,
      distributionOf,
    };
  }

  /** How a preview's members spread over an attribute or a tag. */
  async distribution(preview: PreviewRecord, args: DistributionArgs): Promise<DistributionRecord> {
    const resultKey = keys.segments.result(preview.id);
    const hasAttribute = args.attribute !== undefined && args.attribute !== null;
    const hasTag = args.tag !== undefined && args.tag !== null;
    if (hasAttribute === hasTag) throw new BadUserInputError("Give `attribute` (e.g. \"arpu\") or `tag` (a published tag's code), exactly one.", hasAttribute ? "tag" : "attribute");
    const base = { total: preview.count, below: 0, above: 0 };
    if (hasAttribute) {
      const name = args.attribute as string;
      const info = indexedAttribute(name);
      if (info.type === "number") return { ...base, indicator: name, kind: "ATTRIBUTE", ...(await this.intervals(resultKey, attributeField(name), preview.count, args)) };
      noIntervals(args, `${name} is ${info.type === "boolean" ? "true or false" : "text"}`);
      const values = info.type === "boolean" ? ["true", "false"] : (info.values ?? null);
      return { ...base, indicator: name, kind: "ATTRIBUTE", ...(await this.values(resultKey, attributeField(name), values, preview.count)) };
    }
    const code = args.tag as string;
    const vocabulary = await this.vocabulary();
    const tag = vocabulary.tags.get(code);
    if (!tag) {
      const near = suggest(code, vocabulary.tags.keys());
      throw new BadUserInputError(`There is no published tag ${code}${near ? `; did you mean ${near}?` : ""} (a tag is named by its code, see searchIndicators).`, "tag");
    }
    if (tag.valueType === "SCORE") return { ...base, indicator: code, kind: "TAG", ...(await this.intervals(resultKey, scoreField(code), preview.count, args)) };
    noIntervals(args, `${code} is a ${tag.valueType.toLowerCase()} tag`);
    if (tag.valueType === "CATEGORY") return { ...base, indicator: code, kind: "TAG", ...(await this.values(resultKey, tagValueField(code), null, preview.count)) };
    const [[, carried] = ["", 0]] = await this.index.store.countValues(resultKey, TAG_FIELD, [code]);
    return {
      ...base,
      indicator: code,
      kind: "TAG",
      type: "VALUES",
      missing: 0,
      buckets: [bucket("true", carried), bucket("false", preview.count - carried)],
    };
  }

  /** A sample of a preview's members (the same for the same expression), as the asker may see them: within its scope, masked unless it may see them whole. */
  async sample(scope: RequestScope, preview: PreviewRecord, first: number): Promise<SampleMemberRecord[]> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_SAMPLE) throw new BadUserInputError(`\`first\` must be a whole number from 0 to ${MAX_SAMPLE}; got ${first}.`, "first");
    const ranks = sampleRanks(preview.count, first, hashText(preview.expression));
    const idx = await this.index.store.sample(keys.segments.result(preview.id), ranks);
    if (idx.length === 0) return [];
    const found = await customersAtIdx(scope.graph, idx, await scope.access.readScope());
    return Promise.all(found.map((c) => shownMember(scope, c)));
  }

  private async values(resultKey: string, field: string, values: readonly string[] | null, total: number): Promise<Pick<DistributionRecord, "type" | "buckets" | "missing">> {
    const counts = (await this.index.store.countValues(resultKey, field, values)).filter(([, n]) => values !== null || n > 0);
    if (values === null) counts.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shown = counts.slice(0, MAX_VALUES);
    const rest = counts.slice(MAX_VALUES).reduce((sum, [, n]) => sum + n, 0);
    const buckets = shown.map(([value, n]) => bucket(value, n));
    if (rest > 0) buckets.push({ label: "OTHER", value: null, from: null, to: null, toInclusive: false, count: rest });
    const held = counts.reduce((sum, [, n]) => sum + n, 0);
    return { type: "VALUES", buckets, missing: total - held };
  }

  private async intervals(resultKey: string, field: string, total: number, args: DistributionArgs): Promise<Pick<DistributionRecord, "type" | "buckets" | "missing" | "below" | "above">> {
    const bounds = await this.bounds(resultKey, field, args);
    if (bounds === null) return { type: "INTERVALS", buckets: [], missing: total, below: 0, above: 0 };
    const { present, below, atOrBelowLast } = await this.index.store.countBelow(resultKey, field, bounds.map(keyBits));
    const buckets: BucketRecord[] = [];
    for (let j = 0; j < bounds.length - 1; j++) {
      const last = j === bounds.length - 2;
      const from = bounds[j] as number;
      const to = bounds[j + 1] as number;
      const count = (last ? atOrBelowLast : (below[j + 1] as number)) - (below[j] as number);
      buckets.push({ label: `[${show(from)}, ${show(to)}${last ? "]" : ")"}`, value: null, from, to, toInclusive: last, count });
    }
    return { type: "INTERVALS", buckets, missing: total - present, below: below[0] as number, above: present - atOrBelowLast };
  }

  /** The interval bounds: as given (checked), or `intervals` equal parts between the members' smallest and largest value (null: none has a value). */
  private async bounds(resultKey: string, field: string, args: DistributionArgs): Promise<number[] | null> {
    if (args.bounds !== undefined && args.bounds !== null) {
      if (args.intervals !== undefined && args.intervals !== null) throw new BadUserInputError("Give `intervals` or `bounds`, not both.", "bounds");
      const b = args.bounds;
      if (b.length < 2 || b.length > MAX_INTERVALS + 1) throw new BadUserInputError(`\`bounds\` needs 2 to ${MAX_INTERVALS + 1} numbers (n + 1 bounds make n intervals); got ${b.length}.`, "bounds");
      for (let i = 0; i < b.length; i++) {
        if (!Number.isFinite(b[i])) throw new BadUserInputError(`\`bounds[${i}]\` must be a finite number.`, "bounds");
        if (i > 0 && (b[i] as number) <= (b[i - 1] as number)) throw new BadUserInputError(`\`bounds\` must rise strictly: bounds[${i}] = ${b[i]} is not above bounds[${i - 1}] = ${b[i - 1]}.`, "bounds");
      }
      return [...b];
    }
    const n = args.intervals ?? DEFAULT_INTERVALS;
    if (!Number.isInteger(n) || n < 1 || n > MAX_INTERVALS) throw new BadUserInputError(`\`intervals\` must be a whole number from 1 to ${MAX_INTERVALS}; got ${n}.`, "intervals");
    const { min, max } = await this.index.store.extremes(resultKey, field);
    if (min === null || max === null) return null;
    return niceBounds(numberOfKey(min), numberOfKey(max), n);
  }
}

/**
 * `n` intervals of one round width (1, 1.2, 1.5, 2, 2.5, 3, 4 … 9 × 10^k, the first wide enough) from a multiple of it, covering
 * [lo, hi]: labels a person reads at a glance, and bounds whose keys end in zeros, which the
 * bit-sliced comparison stops early on. One interval of a single value is [lo, lo].
 */
const NICE = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 10];

export function niceBounds(lo: number, hi: number, n: number): number[] {
  if (lo === hi) return [lo, hi];
  // n intervals of width w from floor(lo / w) * w reach hi when (n - 1) w >= hi - lo
  const raw = (hi - lo) / Math.max(1, n - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const width = NICE.map((m) => m * magnitude).find((w) => w >= raw) ?? 10 * magnitude;
  const start = Math.floor(lo / width) * width;
  // twelve digits drop the float noise of j × 0.06 (0.6599999999999999 → 0.66), still strictly rising
  const bounds = Array.from({ length: n + 1 }, (_, j) => Number((start + j * width).toPrecision(12)));
  // rounding never leaves the largest value out
  if ((bounds[n] as number) < hi) bounds[n] = hi;
  return bounds;
}

/** An attribute the bitmaps hold, or BAD_USER_INPUT with the near names. */
function indexedAttribute(name: string): AttributeInfo {
  const found = INDEXED_ATTRIBUTES.find(([n]) => n === name);
  if (found) return found[1];
  const near = suggest(name, Object.keys(CUSTOMER_ATTRIBUTES));
  throw new BadUserInputError(`There is no customer attribute ${name}${near ? `; did you mean ${near}?` : ""}. Attributes are ${INDEXED_ATTRIBUTES.map(([n]) => n).join(", ")}.`, "attribute");
}

function noIntervals(args: DistributionArgs, why: string): void {
  if ((args.intervals !== undefined && args.intervals !== null) || (args.bounds !== undefined && args.bounds !== null)) {
    throw new BadUserInputError(`\`intervals\` and \`bounds\` are for numbers and ${why}: its distribution is one bucket per value; leave them out.`, args.bounds ? "bounds" : "intervals");
  }
}

function bucket(value: string, count: number): BucketRecord {
  return { label: value, value, from: null, to: null, toInclusive: false, count };
}

/** A number for a label: at most six significant digits. */
function show(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** The closest name (edit distance at most 2), or null. */
function suggest(word: string, names: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const n of names) {
    const d = editDistance(n.toLowerCase(), word.toLowerCase(), bestDistance - 1);
    if (d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * `first` distinct ranks among `count` members, ascending, drawn by a generator seeded with the
 * expression: the same segment shows the same sample while its members stay the same.
 */
export function sampleRanks(count: number, first: number, seed: number): number[] {
  if (first >= count) return Array.from({ length: count }, (_, i) => i);
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ranks = new Set<number>();
  while (ranks.size < first) ranks.add(Math.floor(next() * count));
  return [...ranks].sort((a, b) => a - b);
}

/** The scan value a distribution's indicator reads, for comparing with the graph (tests, bench). */
export function distributionScanValue(args: { attribute?: string | null; tag?: string | null }, valueType?: "FLAG" | "CATEGORY" | "SCORE"): ScanValue {
  if (args.attribute) return { kind: "attribute", name: args.attribute };
  return valueType === "SCORE" ? { kind: "score", code: args.tag as string } : { kind: "tagValue", code: args.tag as string };
}

export { toScan };

/** A segment member as the asker may see it: name and MSISDN whole only where its scope unmasks that customer (samples, snapshots, exports). */
export async function shownMember(scope: RequestScope, c: GraphMember): Promise<SampleMemberRecord> {
  const whole = await scope.access.unmasked(c.id);
  return {
    id: c.id,
    name: whole ? c.name : maskName(c.name),
    msisdn: whole ? c.msisdn : maskMsisdn(c.msisdn),
    masked: !whole,
    regionId: c.regionId,
    segment: c.segment,
    valueTier: c.valueTier,
    lifecycleStage: c.lifecycleStage,
    arpu: c.arpu,
  };
}
