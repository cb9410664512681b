import { BadUserInputError } from "../platform/errors";
import { USAGE_COUNT_FIELDS } from "../graph/model";
import type { CustomerRecord, RegionRecord } from "../graph/records";

/** "13812345678" → "138****5678", as Chinese operators print numbers on shared screens. */
export function maskMsisdn(msisdn: string): string {
  return msisdn.length === 11 ? `${msisdn.slice(0, 3)}****${msisdn.slice(7)}` : "*".repeat(msisdn.length);
}

/** "张伟" → "张*", "欧阳娜娜" → "欧***": the first character (the surname's) and one star per character hidden. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? "*" : `${chars[0]}${"*".repeat(chars.length - 1)}`;
}

/** Accepts "13812345678", "+86 138-1234-5678" and the like; anything else is bad input. */
export function normaliseMsisdn(input: string): string {
  const digits = input.replace(/[\s-]/g, "").replace(/^(\+86|0086)/, "");
  if (!/^1\d{10}$/.test(digits)) {
    throw new BadUserInputError(`\`msisdn\` must be an 11-digit mobile number starting with 1 (optionally +86); got "${input.slice(0, 32)}".`, "msisdn");
  }
  return digits;
}

export interface RegionView {
  id: string;
  name: string;
  level: string;
  parent: RegionView | null;
}

/** A region with its parents, from the reference map (no round trip). */
export function regionChain(regions: Map<string, RegionRecord>, id: string): RegionView {
  const seen = new Set<string>();
  const build = (regionId: string): RegionView => {
    const r = regions.get(regionId);
    if (!r || seen.has(regionId)) return { id: regionId, name: regionId, level: "UNKNOWN", parent: null };
    seen.add(regionId);
    return { id: r.id, name: r.name, level: r.level, parent: r.parentId ? build(r.parentId) : null };
  };
  return build(id);
}

export type UsageView = Pick<CustomerRecord, (typeof USAGE_COUNT_FIELDS)[number]> & { month: string; dataUsedPercent: number };

/** This month's usage of a customer; counts are whole numbers as the schema's Int wants. */
export function usageSummary(c: CustomerRecord): UsageView {
  const counts = Object.fromEntries(USAGE_COUNT_FIELDS.map((k) => [k, Math.round(c[k])])) as Pick<CustomerRecord, (typeof USAGE_COUNT_FIELDS)[number]>;
  return {
    ...counts,
    month: c.usageMonth,
    dataUsedPercent: c.dataQuotaMb > 0 ? Math.round((1000 * c.dataUsedMb) / c.dataQuotaMb) / 10 : 0,
  };
}
