import { pino } from "pino";
import { DEFAULT_EVALUATE_OPTIONS, runEvaluation, type EvaluateOptions } from "./run";
import { parseFlags, wholeNumberFlag } from "../../src/platform/cli-args";
import { runMain } from "../../src/platform/run-main";
import { runCampaignEvaluation, type CampaignEvaluateOptions } from "./campaign-main";
import { parseCampaignArgs } from "./cli-args";

/**
 * `npm run evaluate -- [--customers N] [--seed S] [--test N] [--train N]`: our decisions against a
 * popularity and a random baseline for customers simulated from the seed's hidden preferences,
 * before and after the model learned (bench/evaluate/run.ts). The table goes to stdout, progress
 * and logs to stderr.
 *
 * `npm run evaluate -- --campaign [--customers N] [--seed S] [--control 0.2]`: one campaign run end
 * to end, its estimated uplift against the simulator's truth (bench/evaluate/campaign-main.ts).
 */

const USAGE = "usage: npm run evaluate -- [--customers N] [--seed S] [--test N] [--train N] [--variants 1,2,3]";
const HELP = `${USAGE}
  decision quality: our decisions against a popularity and a random baseline, before and after learning
       npm run evaluate -- --campaign [--customers N] [--seed S] [--control 0.2]
  campaign truth: one campaign end to end, its estimated uplift against the simulator's true uplift`;

/** Parses the command line, or returns the one sentence that says what is wrong with it. */
export function parseEvaluateArgs(argv: readonly string[]): EvaluateOptions | { error: string } {
  const parsed = parseFlags(argv, ["customers", "seed", "test", "train", "variants"], USAGE);
  if ("error" in parsed) return parsed;
  const { values } = parsed;
  const opts = { ...DEFAULT_EVALUATE_OPTIONS };
  if (values.variants !== undefined) {
    const list = values.variants.split(",").map((v) => Number(v.trim()));
    if (list.length === 0 || list.some((v) => ![1, 2, 3].includes(v))) {
      return { error: `--variants lists learning variants among 1 (greedy), 2 (Thompson) and 3 (Thompson after the warm start), e.g. "2,3"; got "${values.variants.slice(0, 40)}".` };
    }
    opts.variants = [...new Set(list)].sort();
  }
  const limits: Record<Exclude<keyof EvaluateOptions, "variants">, [number, number]> = {
    customers: [2, 10_000_000],
    seed: [0, 0xffffffff],
    test: [1, 1_000_000],
    train: [0, 1_000_000],
  };
  for (const key of Object.keys(limits) as Array<keyof typeof limits>) {
    const text = values[key];
    if (text === undefined) continue;
    const n = wholeNumberFlag(key, text, ...limits[key]);
    if (typeof n !== "number") return n;
    opts[key] = n;
  }
  if (opts.test + opts.train > opts.customers) {
    return { error: `--test (${opts.test}) and --train (${opts.train}) together must not exceed --customers (${opts.customers}); lower them or seed more customers.` };
  }
  return opts;
}

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const campaign = argv.includes("--campaign");
const parsed = campaign ? parseCampaignArgs(argv.filter((a) => a !== "--campaign")) : parseEvaluateArgs(argv);
if ("error" in parsed) {
  console.error(parsed.error);
  process.exit(2);
}

runMain(
  async (onStop) => {
    // Logs go to stderr with the progress lines; stdout carries only the table.
    const log = pino({ name: "evaluate", level: process.env.LOG_LEVEL ?? "warn" }, pino.destination(2));
    const say = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    const report = campaign ? await runCampaignEvaluation(parsed as CampaignEvaluateOptions, { log, say, onStop }) : await runEvaluation(parsed as EvaluateOptions, { log, say, onStop });
    console.log(`\n${report}\n`);
  },
  { exitWhenDone: true },
);
