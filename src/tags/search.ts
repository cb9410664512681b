import { LIFECYCLE_STAGE_LABELS, VALUE_TIER_LABELS } from "../domain/labels";
import type { ChannelCode, MarketSegment } from "../domain/vocabulary";
import { searchIndicators, syncAttributeIndicators, type AttributeIndicator, type IndicatorKind, type IndicatorRow } from "../graph/tags";
import { CUSTOMER_ATTRIBUTES } from "../segments/attributes";
import { printLiteral } from "../segments/expression";
import { Memo } from "../platform/cache";
import { BadUserInputError } from "../platform/errors";
import type { Graph, Cypher } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import { intInRange, listOfAtMost } from "../platform/validate";

/**
 * Indicator search (指标搜索) for a segment builder's search box: one Neo4j full-text index
 * (Lucene, the CJK analyzer: Chinese as overlapping bigrams, Latin words lower-cased) over the
 * tags (code, name, definition, taxonomy), the category tags' values, the customer attributes
 * segment expressions test and their enumerated values. Lucene does the matching and the scoring;
 * this module only turns what was typed into a Lucene query with field weights, and each hit into
 * what the builder inserts.
 *
 * Ranking: a code typed exactly comes first (tier 0), then a name or value typed exactly (tier 1),
 * then Lucene's score with these weights: a phrase in a name (a Chinese substring) 8, a name word
 * or prefix 4, a code containing the word 6, a value 4–6, the taxonomy 2, a definition 1.5 for a
 * phrase and 0.3 for a single bigram, so definitions rank below names.
 */

export const MAX_SEARCH_TEXT = 100;
export const MAX_SEARCH_TERMS = 8;
export const MAX_SEARCH_RESULTS = 50;

/** Lucene's query syntax characters, escaped in what was typed. */
const SPECIAL = /[+\-!(){}[\]^"~*?:\\/&|]/g;
const escape = (term: string): string => term.replace(SPECIAL, (c) => `\\${c}`);

/** Runs of Chinese characters, and runs of letters, digits and underscores: the terms of a query. */
const TERMS = /\p{Script=Han}+|(?:(?!\p{Script=Han})[\p{L}\p{N}_])+/gu;
const HAN = /^\p{Script=Han}+$/u;

/** Clauses for one Latin term (letters, digits, underscores), lower-cased as the index holds it. */
function wordClauses(word: string, strict: boolean): string[] {
  const w = escape(word.toLowerCase());
  const clauses = [`code:*${w}*^6`, `name:${w}*^4`, `value:${w}*^4`, `level1:${w}*^2`, `level2:${w}*^2`, `definition:${w}*^1`];
  // A typo in a whole code or word (TEL_DATA_HAEVY, "usgae"): edit distance 1 from 4 characters, 2 from 8.
  if (!strict && word.length >= 4) {
    const distance = word.length >= 8 ? 2 : 1;
    clauses.push(`code:${w}~${distance}^3`, `level2:${w}~${distance}^1`);
  }
  return clauses;
}

/** Clauses for one run of Chinese characters: the CJK analyzer splits it into bigrams. */
function hanClauses(han: string, strict: boolean): string[] {
  if (han.length === 1) {
    // A lone character is a bigram's first half in the index (流 → 流量): a prefix query finds it.
    return [`name:${han}*^4`, `value:${han}*^4`, `name:${han}^4`, `value:${han}^4`, `level2:${han}*^2`, `definition:${han}*^0.3`];
  }
  const phrases = [`name:"${han}"^8`, `value:"${han}"^6`, `level1:"${han}"^2`, `level2:"${han}"^2`, `definition:"${han}"^1.5`];
  // Any of its bigrams: a near miss still ranks, below every phrase match.
  return strict ? phrases : [...phrases, `name:(${han})^2`, `value:(${han})^2`, `definition:(${han})^0.3`];
}

/**
 * The Lucene query for what was typed: every term must match somewhere (so "套餐 档位" needs
 * both), each in whichever field fits best. `strict` (a filter rather than a search box): a
 * Chinese term must appear whole and a word as typed, no near misses. BAD_USER_INPUT when there is
 * nothing to search for.
 */
export function indicatorQuery(typed: string, argument = "text", strict = false): { lucene: string; text: string } {
  // NFKC folds full-width input (ＡＲＰＵ, ５Ｇ) to what the index holds.
  const text = typed.normalize("NFKC").trim();
  if (text.length === 0) throw new BadUserInputError(`\`${argument}\` is empty; type part of a tag's code, name or definition, an attribute or a value, e.g. "流量" or "arpu".`, argument);
  if (text.length > MAX_SEARCH_TEXT) throw new BadUserInputError(`\`${argument}\` must be at most ${MAX_SEARCH_TEXT} characters; got ${text.length}.`, argument);
  const terms = [...new Set(text.match(TERMS) ?? [])];
  if (terms.length === 0) {
    throw new BadUserInputError(`\`${argument}\` "${text}" has no letters, digits or Chinese characters to search for; type part of a name, code or value.`, argument);
  }
  if (terms.length > MAX_SEARCH_TERMS) throw new BadUserInputError(`\`${argument}\` has ${terms.length} words; search with at most ${MAX_SEARCH_TERMS}.`, argument);
  const lucene = terms.map((t) => `+(${(HAN.test(t) ? hanClauses(t, strict) : wordClauses(t, strict)).join(" ")})`).join(" ");
  return { lucene, text };
}

/** One hit, ready for a builder: whether a segment may use it now, how an expression names it, and a condition to insert. */
export interface IndicatorHit extends IndicatorRow {
  /** A segment expression may name it now: an attribute, or a published tag and its values. */
  usable: boolean;
  /** How an expression names it: `TEL_DATA_HEAVY`, `BAS_CITY`, `score(VAL_CHURN_SCORE)`, `arpu`. */
  reference: string;
  /**
   * A whole condition a builder can insert as it is: `TEL_DATA_HEAVY`, `BAS_CITY = "杭州市"`,
   * `score(VAL_CHURN_SCORE) >= 0.5`, `doNotDisturb`, `lifecycleStage = "CHURN_RISK"`. Null for a
   * number or text attribute, which needs a threshold or a value (the builder asks for one).
   */
  expression: string | null;
}

function referenceOf(row: IndicatorRow): string {
  return row.kind === "TAG" && row.valueType === "SCORE" ? `score(${row.code})` : row.code;
}

function expressionOf(row: IndicatorRow): string | null {
  switch (row.kind) {
    case "TAG":
      // A tag standing alone: the customer carries it (a category tag with any value).
      return row.valueType === "SCORE" ? `score(${row.code}) >= 0.5` : row.code;
    case "TAG_VALUE":
    case "ATTRIBUTE_VALUE":
      return `${row.code} = ${printLiteral(row.value ?? "")}`;
    case "ATTRIBUTE":
      return row.valueType === "boolean" ? row.code : null;
  }
}

export interface SearchArgs {
  text: string;
  first: number;
  kinds?: readonly IndicatorKind[] | null;
  includeUnserved?: boolean | null;
}

// Labels for the enumerated attribute values that have no label in src/domain/labels.ts, so that
// "集团" finds segment = "ENTERPRISE" and "红名单" finds dndList = "RED".
const MARKET_LABELS: Readonly<Record<MarketSegment, string>> = { INDIVIDUAL: "个人客户", FAMILY: "家庭客户", ENTERPRISE: "集团客户" };
const CHANNEL_LABELS: Readonly<Record<ChannelCode, string>> = {
  HOTLINE: "10086热线",
  APP: "手机营业厅",
  WEB: "网上营业厅",
  SMS: "短信",
  OUTBOUND_CALL: "外呼",
  STORE: "实体营业厅",
  WECHAT: "微信",
};
const VALUE_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  segment: MARKET_LABELS,
  valueTier: VALUE_TIER_LABELS,
  lifecycleStage: LIFECYCLE_STAGE_LABELS,
  gender: { F: "女", M: "男" },
  networkType: { "4G": "4G终端", "5G": "5G终端" },
  dndList: { RED: "红名单", BLACK: "黑名单" },
  preferredChannel: CHANNEL_LABELS,
};

/** The customer attributes as the search indexes them, from the segment vocabulary itself. */
export function attributeIndicators(): AttributeIndicator[] {
  return Object.entries(CUSTOMER_ATTRIBUTES).map(([code, info]) => ({
    code,
    name: info.label,
    definition: info.description,
    type: info.type,
    values: (info.values ?? []).map((value) => ({ value, name: VALUE_LABELS[code]?.[value] ?? value })),
  }));
}

/**
 * The search, and the attribute nodes it needs: mirrored from the code into the graph once per
 * process (at start, and again before a search if that failed), so a gateway that gains an
 * attribute indexes it without a re-seed.
 */
export class IndicatorSearch {
  private readonly synced: Memo<void>;

  constructor(
    private readonly graph: Graph,
    private readonly log: Logger,
  ) {
    this.synced = new Memo(() => syncAttributeIndicators(this.graph.session(), attributeIndicators()), Number.POSITIVE_INFINITY);
  }

  /** Mirrors the attributes now; a failure is logged and retried before the next search. */
  start(): void {
    this.synced.get().catch((error: unknown) => this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "indicator search: mirroring the attributes failed; retried on the first search"));
  }

  async search(graph: Cypher, args: SearchArgs): Promise<IndicatorHit[]> {
    const first = intInRange("first", args.first, 1, MAX_SEARCH_RESULTS);
    const kinds = args.kinds ? [...new Set(listOfAtMost("kinds", args.kinds, 4))] : null;
    const { lucene, text } = indicatorQuery(args.text);
    await this.synced.get();
    const rows = await searchIndicators(graph, {
      lucene,
      text,
      kinds: kinds && kinds.length > 0 ? kinds : null,
      includeUnserved: args.includeUnserved ?? false,
      window: Math.min(500, first * 5 + 50),
      first,
    });
    return rows.map((row) => ({ ...row, usable: row.status === null || row.status === "PUBLISHED", reference: referenceOf(row), expression: expressionOf(row) }));
  }
}
