import { parseFlags, wholeNumberFlag } from "../../src/platform/cli-args";
import { DEFAULT_CAMPAIGN_EVALUATE, type CampaignEvaluateOptions } from "./campaign-main";

/** The campaign truth command's usage line. */
export const CAMPAIGN_USAGE = "usage: npm run evaluate -- --campaign [--customers N] [--seed S] [--control 0.2]";

/** Parses `--campaign` runs' command line (without the `--campaign` flag), or says what is wrong with it. */
export function parseCampaignArgs(argv: readonly string[]): CampaignEvaluateOptions | { error: string } {
  const parsed = parseFlags(argv, ["customers", "seed", "control"], CAMPAIGN_USAGE);
  if ("error" in parsed) return parsed;
  const { values } = parsed;
  const opts = { ...DEFAULT_CAMPAIGN_EVALUATE };
  if (values.customers !== undefined) {
    const n = wholeNumberFlag("customers", values.customers, 100, 10_000_000);
    if (typeof n !== "number") return n;
    opts.customers = n;
  }
  if (values.seed !== undefined) {
    const n = wholeNumberFlag("seed", values.seed, 0, 0xffffffff);
    if (typeof n !== "number") return n;
    opts.seed = n;
  }
  if (values.control !== undefined) {
    const share = Number(values.control);
    if (!/^\d*\.?\d+$/.test(values.control) || !(share >= 0.01 && share <= 0.5)) {
      return { error: `--control is the control group's share of the members, from 0.01 to 0.5 (e.g. 0.2); got "${values.control.slice(0, 40)}".` };
    }
    opts.control = share;
  }
  return opts;
}

