import type { StrategyOutcomeRow } from "../graph/decision";
import type { StrategyRecord } from "../graph/marketing";
import { referencedTagCodes, strategyIdsUsing, type Lineage } from "./impact";

/**
 * Tag evaluation's outcome half (标签评估: "is this tag worth keeping?"): how the strategies that
 * reach a tag did over a window, and a verdict for retiring it.
 *
 * - decisions: offers presented (contacted) by those strategies in the window; responses: those
 *   answered; conversions: ACCEPTED. A strategy reaching a tag through two segments counts once.
 * - The verdict, in order:
 *   UNUSED           no segment, strategy or campaign names the tag: nothing stops if it goes offline;
 *   NOT_ENOUGH_DATA  referenced, but its strategies presented fewer than {@link MIN_DECISIONS}
 *                    offers in the window: no judgement on its usefulness yet;
 *   USELESS          its conversion rate is below the library median (the median over tags with
 *                    at least MIN_DECISIONS decisions in the same window): a candidate to retire or
 *                    rework, weighed with its coverage and freshness;
 *   KEEP             otherwise.
 */

export const DEFAULT_WINDOW_DAYS = 30;
export const MAX_WINDOW_DAYS = 366;
/** Decisions below which a tag's conversion rate is noise, not evidence. */
export const MIN_DECISIONS = 30;

export const TAG_VERDICTS = ["KEEP", "UNUSED", "USELESS", "NOT_ENOUGH_DATA"] as const;
export type TagVerdict = (typeof TAG_VERDICTS)[number];

export interface OutcomeCounts {
  decisions: number;
  responses: number;
  accepted: number;
  /** responses / decisions; null without decisions. */
  responseRate: number | null;
  /** accepted / decisions; null without decisions. */
  conversionRate: number | null;
}

export interface StrategyPerformanceRecord extends OutcomeCounts {
  strategyId: string;
  code: string;
  name: string;
  status: string;
}

export interface TagPerformance extends OutcomeCounts {
  windowDays: number;
  byStrategy: StrategyPerformanceRecord[];
}

/** The outcomes of every strategy over one window, and the library median the verdicts compare with. */
export interface LibraryOutcomes {
  windowDays: number;
  byStrategy: ReadonlyMap<string, StrategyOutcomeRow>;
  /** Median conversion rate over tags with at least MIN_DECISIONS decisions; null when none has. */
  medianConversion: number | null;
}

export function counts(decisions: number, responses: number, accepted: number): OutcomeCounts {
  return { decisions, responses, accepted, responseRate: decisions > 0 ? responses / decisions : null, conversionRate: decisions > 0 ? accepted / decisions : null };
}

/** A tag code's performance: its strategies' outcomes, per strategy and summed. */
export function performanceOf(code: string, lineage: Lineage, outcomes: LibraryOutcomes): TagPerformance {
  const strategies = new Map<string, StrategyRecord>(lineage.records.strategies.map((s) => [s.id, s]));
  const byStrategy = strategyIdsUsing(code, lineage).map((id) => {
    const s = strategies.get(id);
    const o = outcomes.byStrategy.get(id);
    return { strategyId: id, code: s?.code ?? id, name: s?.name ?? id, status: s?.status ?? "UNKNOWN", ...counts(o?.decisions ?? 0, o?.responses ?? 0, o?.accepted ?? 0) };
  });
  const sum = (f: (x: StrategyPerformanceRecord) => number): number => byStrategy.reduce((n, x) => n + f(x), 0);
  return { windowDays: outcomes.windowDays, byStrategy, ...counts(sum((x) => x.decisions), sum((x) => x.responses), sum((x) => x.accepted)) };
}

/** The median conversion rate over the referenced tags with enough decisions. */
export function libraryMedian(lineage: Lineage, byStrategy: ReadonlyMap<string, StrategyOutcomeRow>, windowDays: number): number | null {
  const partial: LibraryOutcomes = { windowDays, byStrategy, medianConversion: null };
  const rates = referencedTagCodes(lineage)
    .map((code) => performanceOf(code, lineage, partial))
    .filter((p) => p.decisions >= MIN_DECISIONS)
    .map((p) => p.conversionRate as number)
    .sort((a, b) => a - b);
  if (rates.length === 0) return null;
  const mid = rates.length >> 1;
  return rates.length % 2 === 1 ? (rates[mid] as number) : ((rates[mid - 1] as number) + (rates[mid] as number)) / 2;
}

/** The verdict and a sentence a marketer can act on. */
export function verdictOf(references: { segments: number; strategies: number; campaigns: number }, p: TagPerformance, median: number | null): { verdict: TagVerdict; hint: string } {
  if (references.segments + references.strategies + references.campaigns === 0) {
    return { verdict: "UNUSED", hint: "No segment, strategy or campaign uses this tag: it can be taken offline (offlineTag) without stopping anything." };
  }
  if (p.decisions < MIN_DECISIONS) {
    return { verdict: "NOT_ENOUGH_DATA", hint: `Its strategies presented ${p.decisions} offers in the last ${p.windowDays} days (fewer than ${MIN_DECISIONS}): too few to judge; widen the window or wait.` };
  }
  const rate = p.conversionRate as number;
  if (median !== null && rate < median) {
    return { verdict: "USELESS", hint: `Strategies using it convert ${pct(rate)} of their offers, below the library median of ${pct(median)}: review its definition or retire it.` };
  }
  return { verdict: "KEEP", hint: `Strategies using it convert ${pct(rate)} of their offers${median === null ? "" : ` (library median ${pct(median)})`}.` };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
