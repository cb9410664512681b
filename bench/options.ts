import { parseArgs } from "node:util";

/** What one bench run does; every field has a command-line flag. */
export interface BenchOptions {
  /** Size of the seeded data set (customers C0000001 … C<customers>). */
  customers: number;
  /** Seed of the data set; also seeds the request mix, so runs are repeatable. */
  seed: number;
  /** Open HTTP connections per side, each with one request in flight. */
  concurrency: number;
  /** Measured seconds per side. */
  durationS: number;
  /** Unmeasured seconds per side before measuring (JIT, plan caches, page cache). */
  warmupS: number;
  /**
   * The measured time of each side is cut into this many slices, run alternately (ours, theirs,
   * theirs, ours, …), so that anything else slowing the machine for a while hits both alike.
   */
  slices: number;
  /** Customers whose answers are compared field by field between the two sides. */
  compareSample: number;
}

export const USAGE = `usage: npm run bench -- [--customers N] [--seed N] [--concurrency N] [--duration S] [--warmup S] [--slices N] [--compare N]
  --customers    customers in the data set (default 100000); seeded once into .data/bench
  --seed         data-set seed (default 42)
  --concurrency  connections per side, one request in flight each (default 16)
  --duration     measured seconds per side (default 20)
  --warmup       unmeasured seconds per side first (default 20)
  --slices       measured time cut into N alternating slices per side (default 4)
  --compare      customers whose answers are compared between the sides (default 25)`;

/** Parses the command line; throws an Error whose message names the bad flag. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      customers: { type: "string", default: "100000" },
      seed: { type: "string", default: "42" },
      concurrency: { type: "string", default: "16" },
      duration: { type: "string", default: "20" },
      warmup: { type: "string", default: "20" },
      slices: { type: "string", default: "4" },
      compare: { type: "string", default: "25" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  return {
    customers: intFlag("customers", values.customers, 1, 9_999_999),
    seed: intFlag("seed", values.seed, 0, 2 ** 31 - 1),
    concurrency: intFlag("concurrency", values.concurrency, 1, 1_000),
    durationS: intFlag("duration", values.duration, 1, 3_600),
    warmupS: intFlag("warmup", values.warmup, 0, 600),
    slices: intFlag("slices", values.slices, 1, 100),
    compareSample: intFlag("compare", values.compare, 0, 1_000),
  };
}

function intFlag(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}; got "${raw}".\n${USAGE}`);
  }
  return n;
}
