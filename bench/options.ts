import { parseArgs } from "node:util";

/** The parts of the bench that can be run on their own (`--only`). */
export const SCENARIOS = ["unified-view", "decisions", "realtime", "first-event", "segments", "campaigns", "desk", "balancer", "observability"] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** What runs without `--only`: observability (three gateways, bench/observability.ts) is asked for by name. */
export const DEFAULT_SCENARIOS: readonly Scenario[] = SCENARIOS.filter((s) => s !== "observability");
export const VIEW_PROFILES = ["cold", "warm"] as const;
export type ViewProfiles = (typeof VIEW_PROFILES)[number];

/** What one bench run does; every field has a command-line flag. */
export interface BenchOptions {
  /** Which scenarios run, in the order of {@link SCENARIOS}. */
  scenarios: Scenario[];
  /** Size of the seeded data set (customers C0000001 … C<customers>). */
  customers: number;
  /** Seed of the data set; also seeds the request mix, so runs are repeatable. */
  seed: number;
  /**
   * The states of the live profiles the unified view is measured in, in turn: `cold` (none of the
   * customers asked for has one: a view reads the graph) and `warm` (all of them have one, as the
   * caller the desk pops has just been decided for).
   */
  viewProfiles: ViewProfiles[];
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
  /**
   * Connections driving `nextBestOffers`, one measurement per level. Separate from `concurrency`:
   * the latency target of a decision (p99 under 20 ms) is judged at the first level.
   */
  decisionConcurrency: number[];
  /** Measured seconds of the decision load per level. */
  decisionDurationS: number;
  /**
   * Most seconds of decision warm-up. It runs at least `warmupS`, then stops at the first 10 s in
   * which Neo4j's JIT compiler took under a tenth of Neo4j's CPU: a freshly started Neo4j compiles
   * for minutes, and measuring meanwhile reports the JVM's warm-up, not a decision's cost.
   */
  decisionWarmupS: number;
  /** Decisions timed phase by phase, one at a time, in the bench process (0: skip the breakdown). */
  breakdownSample: number;
  /** Seconds of decision load on a second gateway run under `--cpu-prof` (0: no profile). */
  profileS: number;
  /** Realtime: open liveOffers subscriptions. */
  subscriptions: number;
  /** Realtime: event rates (per second) measured in turn, on one gateway and then on two. */
  realtimeRates: number[];
  /** Realtime: the gateway counts each rate is measured on (1, 2). */
  realtimeGateways: number[];
  /** Realtime: measured seconds per rate. */
  realtimeDurationS: number;
  /** First event after a start: pairs of gateway starts (warm-up off, then on). */
  firstEventPairs: number;
  /** Segments: previews asked per question (warm). */
  segmentIterations: number;
  /** Segments: Cypher scans (and cold previews) per question. */
  segmentScans: number;
  /** Segments: accepted offers timed until the preview counts the customer in. */
  segmentFlips: number;
  /** Desk: calls timed from the event to the caller painted in Chromium. */
  deskCalls: number;
  /** Balancer: the replica counts measured in turn behind HAProxy. */
  balancerReplicas: number[];
  /** Balancer: desk feeds (one agent and one socket each) for event → push. */
  balancerDesks: number;
  /** Balancer: HOTLINE_CALL_START events per second for event → push. */
  balancerRate: number;
}

export const USAGE = `usage: npm run bench -- [--only LIST] [--customers N] [--seed N] [--concurrency N] [--duration S] [--warmup S] [--slices N] [--compare N] [--view-profiles LIST]
                      [--decision-concurrency N] [--decision-duration S] [--decision-warmup S] [--breakdown N] [--profile S]
                      [--subscriptions N] [--realtime-rates LIST] [--realtime-gateways LIST] [--realtime-duration S] [--first-event-pairs N]
                      [--segment-iterations N] [--segment-scans N] [--segment-flips N] [--desk-calls N]
                      [--balancer-replicas LIST] [--balancer-desks N] [--balancer-rate N]
  --only                  scenarios to run, comma-separated: ${SCENARIOS.join(", ")} (default: all but observability,
                          which measures the unified view and decisions with metrics, and metrics and traces, against
                          both off, on three gateways in alternating slices; it takes --concurrency, --duration,
                          --slices, --warmup and the first --decision-concurrency)
  --customers             customers in the data set (default 100000); seeded once into .data/bench
  --seed                  data-set seed (default 42)
  --concurrency           unified view: connections per side, one request in flight each (default 16)
  --duration              unified view: measured seconds per side (default 20)
  --warmup                unmeasured seconds per side (and before the decision load) first (default 20)
  --slices                unified view: measured time cut into N alternating slices per side (default 4)
  --compare               unified view: customers whose answers are compared between the sides (default 25)
  --view-profiles         unified view: the live profiles' states measured in turn, comma-separated: cold (no customer
                          asked for has one), warm (the bench fills them first, as a decision at the call's pop does)
                          (default cold,warm)
  --decision-concurrency  decisions: connections, one request in flight each; a comma-separated list measures
                          each level in turn, the first is the one the p99 target is judged at (default 4)
  --decision-duration     decisions: measured seconds per level (default 20)
  --decision-warmup       decisions: most seconds of warm-up; at least --warmup, then until Neo4j's JIT compiler
                          takes under 10% of its CPU over 10 s (default 240)
  --breakdown             decisions: decisions timed phase by phase, one at a time (default 300; 0 skips)
  --profile               decisions: seconds of load on a second gateway under --cpu-prof, summarised (default 0: off)
  --subscriptions         realtime: open liveOffers subscriptions, over one WebSocket per 50 (default 10000)
  --realtime-rates        realtime: events per second, comma-separated, each measured on one gateway and then on two
                          (default 200,500,1000; every rate is measured, the backlog of one drained before the next)
  --realtime-gateways     realtime: gateway counts each rate runs on, comma-separated, 1 or 2 (default 1,2)
  --realtime-duration     realtime: measured seconds per rate (default 15)
  --first-event-pairs     first-event: gateway starts per mode, warm-up off and on in turn (default 3)
  --segment-iterations    segments: previews timed per question, one at a time (default 40)
  --segment-scans         segments: Cypher scans and cold previews timed per question (default 5)
  --segment-flips         segments: accepted offers, and change events of each kind, timed until a preview counts the change (default 30)
  --desk-calls            desk: HOTLINE_CALL_START events, one at a time, each timed to its caller painted on /desk in Chromium
                          (CHROMIUM_PATH, default /usr/bin/chromium) (default 50)
  --balancer-replicas     balancer: gateway replicas behind HAProxy, measured in turn, comma-separated (default 1,3); the unified
                          view uses --concurrency, --duration and --warmup
  --balancer-desks        balancer: desk feeds through HAProxy, one agent and one socket each (default 200)
  --balancer-rate         balancer: HOTLINE_CALL_START events per second through HAProxy (default 50)`;

/** Parses the command line; throws an Error whose message names the bad flag. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      only: { type: "string", default: DEFAULT_SCENARIOS.join(",") },
      customers: { type: "string", default: "100000" },
      seed: { type: "string", default: "42" },
      concurrency: { type: "string", default: "16" },
      duration: { type: "string", default: "20" },
      warmup: { type: "string", default: "20" },
      slices: { type: "string", default: "4" },
      compare: { type: "string", default: "25" },
      "view-profiles": { type: "string", default: VIEW_PROFILES.join(",") },
      "decision-concurrency": { type: "string", default: "4" },
      "decision-duration": { type: "string", default: "20" },
      "decision-warmup": { type: "string", default: "240" },
      breakdown: { type: "string", default: "300" },
      profile: { type: "string", default: "0" },
      subscriptions: { type: "string", default: "10000" },
      "realtime-rates": { type: "string", default: "200,500,1000" },
      "realtime-gateways": { type: "string", default: "1,2" },
      "realtime-duration": { type: "string", default: "15" },
      "first-event-pairs": { type: "string", default: "3" },
      "segment-iterations": { type: "string", default: "40" },
      "segment-scans": { type: "string", default: "5" },
      "segment-flips": { type: "string", default: "30" },
      "desk-calls": { type: "string", default: "50" },
      "balancer-replicas": { type: "string", default: "1,3" },
      "balancer-desks": { type: "string", default: "200" },
      "balancer-rate": { type: "string", default: "50" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  return {
    scenarios: scenarioList(values.only),
    customers: intFlag("customers", values.customers, 1, 9_999_999),
    seed: intFlag("seed", values.seed, 0, 2 ** 31 - 1),
    concurrency: intFlag("concurrency", values.concurrency, 1, 1_000),
    durationS: intFlag("duration", values.duration, 1, 3_600),
    warmupS: intFlag("warmup", values.warmup, 0, 600),
    slices: intFlag("slices", values.slices, 1, 100),
    compareSample: intFlag("compare", values.compare, 0, 1_000),
    viewProfiles: viewProfileList(values["view-profiles"]),
    decisionConcurrency: values["decision-concurrency"].split(",").map((level) => intFlag("decision-concurrency", level.trim(), 1, 1_000)),
    decisionDurationS: intFlag("decision-duration", values["decision-duration"], 1, 3_600),
    decisionWarmupS: intFlag("decision-warmup", values["decision-warmup"], 0, 3_600),
    breakdownSample: intFlag("breakdown", values.breakdown, 0, 100_000),
    profileS: intFlag("profile", values.profile, 0, 600),
    subscriptions: intFlag("subscriptions", values.subscriptions, 1, 100_000),
    realtimeRates: values["realtime-rates"].split(",").map((rate) => intFlag("realtime-rates", rate.trim(), 1, 100_000)),
    realtimeGateways: values["realtime-gateways"].split(",").map((n) => intFlag("realtime-gateways", n.trim(), 1, 2)),
    realtimeDurationS: intFlag("realtime-duration", values["realtime-duration"], 1, 3_600),
    firstEventPairs: intFlag("first-event-pairs", values["first-event-pairs"], 1, 50),
    segmentIterations: intFlag("segment-iterations", values["segment-iterations"], 1, 100_000),
    segmentScans: intFlag("segment-scans", values["segment-scans"], 1, 1_000),
    segmentFlips: intFlag("segment-flips", values["segment-flips"], 0, 10_000),
    deskCalls: intFlag("desk-calls", values["desk-calls"], 1, 10_000),
    balancerReplicas: values["balancer-replicas"].split(",").map((n) => intFlag("balancer-replicas", n.trim(), 1, 16)),
    balancerDesks: intFlag("balancer-desks", values["balancer-desks"], 1, 10_000),
    balancerRate: intFlag("balancer-rate", values["balancer-rate"], 1, 10_000),
  };
}

function viewProfileList(raw: string): ViewProfiles[] {
  const asked = raw.split(",").map((s) => s.trim());
  if (asked.length === 0 || asked.some((s) => !(VIEW_PROFILES as readonly string[]).includes(s))) {
    throw new Error(`--view-profiles takes a comma-separated list of ${VIEW_PROFILES.join(", ")}; got "${raw}".\n${USAGE}`);
  }
  return VIEW_PROFILES.filter((s) => asked.includes(s));
}

function scenarioList(raw: string): Scenario[] {
  const asked = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = asked.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (asked.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes a comma-separated list of ${SCENARIOS.join(", ")}; got "${raw}".\n${USAGE}`);
  }
  return SCENARIOS.filter((s) => asked.includes(s));
}

function intFlag(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}; got "${raw}".\n${USAGE}`);
  }
  return n;
}
