import type { Services } from "../../src/server/context";
import { forEachLimited } from "../../src/platform/concurrency";
import { createContext } from "../../src/server/context";
import type { Principal, Role } from "../../src/auth/principal";
import type { Clock } from "../../src/campaigns/config";
import type { CampaignRecord } from "../../src/graph/campaigns";
import type { ChannelCode } from "../../src/domain/vocabulary";
import type { EvaluationRow } from "../../src/evaluation/figures";
import { respondToOffer } from "../../src/decisioning/respond";
import type { Graph } from "../../src/platform/neo4j";
import { ServiceUnavailableError } from "../../src/platform/errors";
import { rngFor } from "../../seeds/random";
import { answerCampaign, compareUplift, estimatedUplift, trueUplift, type CampaignMember, type SimulatedAnswer, type UpliftComparison } from "./campaign-truth";
import { hiddenPreferences, removeCampaign, waveDecisions, writeOrganicPurchases } from "./graph";

/**
 * Point 8 of issue 12, "truth, measured": one campaign run end to end through the gateway's own
 * services (segment and campaign through maker-checker, the wave on the scheduler with a clock this
 * module moves), answered by the simulated customers, and the evaluation centre's uplift set
 * against the simulator's true uplift (./campaign-truth.ts).
 *
 * The report comes the way it does in production: the campaign finishes with its wave, the
 * simulated customers answer and buy within the response window, the run moves its clock past the
 * window, and the scheduler's tick queues the report job that asks the evaluation centre for it.
 */

const DAY_MS = 86_400_000;
/** Salts of this run's random streams (answers and purchase days), apart from the seed's and run.ts's. */
const ANSWER_STREAM = 0xe7b1;
const PURCHASE_STREAM = 0xe7b2;
/** Answers recorded side by side: well under the driver's pool. */
const ANSWER_CONCURRENCY = 16;
const WRITE_BATCH = 2_000;

/** The campaign run's clock: moved by the run, read by the scheduler and the waves. */
export class MovableClock implements Clock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface CampaignTruthOptions {
  /** Draws the simulated answers and purchase days. */
  seed: number;
  /** The campaign's control share (0.01–0.5). */
  control: number;
  /** The strategy the campaign runs (its offers, frozen at approval). */
  strategyId: string;
  /** The segment expression that chooses the members. */
  expression: string;
  channel: ChannelCode;
  /** How long the wave may take, ms. */
  waveTimeoutMs: number;
}

export const DEFAULT_CAMPAIGN_TRUTH: Omit<CampaignTruthOptions, "seed" | "expression"> = { control: 0.2, strategyId: "ST02", channel: "APP", waveTimeoutMs: 30 * 60_000 };

export interface CampaignTruthResult {
  campaignId: string;
  segmentId: string;
  members: number;
  control: number;
  treated: number;
  contacted: number;
  accepted: number;
  organic: number;
  /** The evaluation centre's stored report, total row. */
  report: EvaluationRow;
  /** The same from `evaluation(filter: {campaignIds}, by: TOTAL)`, asked after the report. */
  evaluated: EvaluationRow | null;
  /** The order-rate difference the answers themselves give (what the graph should hold). */
  fromAnswers: ReturnType<typeof estimatedUplift>;
  truth: number;
  comparison: UpliftComparison;
  /** The customers the run changed (decisions, subscriptions): the caller puts them back. */
  customerIds: string[];
  seconds: { wave: number; answers: number; report: number };
}

function person(id: string, roles: Role[]): Principal {
  return { id, roles: new Set(roles), regions: [], agentId: null, teams: [], customerId: null, expiresAt: null, permissions: new Set() };
}

/** Polls the campaign until `done` holds of it, or fails after `timeoutMs`. */
async function campaignReaches(services: Services, ctx: ReturnType<typeof createContext>, id: string, what: string, done: (c: CampaignRecord) => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const c = await services.campaigns.campaign(ctx, id);
    if (c && done(c)) return;
    if (Date.now() > until) throw new Error(`campaign ${id} did not reach "${what}" within ${timeoutMs / 1000} s (it is ${c?.status ?? "gone"}); is the scheduler's worker running?`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Runs the campaign. `services` must be wired with `clock` as the campaigns' clock, and the
 * scheduler started; the segment index built. Restores nothing: the caller puts `customerIds` back
 * (their seeded holdings) and calls {@link removeCampaign}.
 */
export async function runCampaignTruth(
  services: Services,
  graph: Graph,
  clock: MovableClock,
  opts: CampaignTruthOptions,
  say: (line: string) => void,
): Promise<CampaignTruthResult> {
  const tag = `${Date.now().toString(36).toUpperCase()}`;
  const marketer = createContext(services, person(`evaluate:marketer:${tag}`, ["MARKETER"]));
  const checker = () => createContext(services, person(`evaluate:checker:${tag}`, ["APPROVER"]));

  // The segment, through maker-checker like any other.
  const proposed = await services.marketing.proposeSegment(marketer, null, { code: `TRUTH_${tag}`, name: "真值评估客户", expression: opts.expression });
  await services.approvals.approve(checker(), proposed.pendingChange.id, "campaign truth run");
  const segmentId = proposed.id;

  const created = await services.campaigns.create(marketer, {
    name: `真值评估 ${tag}`,
    strategyId: opts.strategyId,
    segmentId,
    startAt: clock.now(),
    controlShare: opts.control,
    waves: [{ channel: opts.channel, delayDays: 0, audience: "ALL" }],
  });
  const { change } = await services.campaigns.submit(marketer, created.id);
  await services.approvals.approve(checker(), change.id, "campaign truth run");
  const wave0 = Date.now();
  say(`campaign ${created.id} approved; launching its wave on the scheduler…`);
  await services.campaigns.launch(marketer, created.id);
  await services.campaigns.scheduler.tick();
  await campaignReaches(services, marketer, created.id, "FINISHED", (c) => c.status === "FINISHED", opts.waveTimeoutMs);
  const waveSeconds = (Date.now() - wave0) / 1000;
  const decidedAt = clock.now();

  const session = graph.backgroundSession(120_000);
  const wave = created.waves[0];
  if (!wave) throw new Error(`campaign ${created.id} has no wave`);
  const rows = await waveDecisions(session, wave.id);
  const products = await services.reference.products();
  const members: CampaignMember[] = rows.map((r) => ({ ...r, kind: products.get(r.productId)?.kind }));
  const prefs = await hiddenPreferences(session, members.map((m) => m.customerId));
  const answers = answerCampaign(members, prefs, rngFor(opts.seed, ANSWER_STREAM));
  say(`wave done in ${waveSeconds.toFixed(1)} s: ${members.length.toLocaleString("en")} decisions; answering as the simulated customers…`);

  // Answers come within the first days, organic purchases any day of the window (both inside the evaluation's 30 days).
  const answers0 = Date.now();
  const snapshot = await services.marketing.snapshot();
  const ctx = createContext(services, person(`evaluate:app:${tag}`, ["APP"]));
  const deps = {
    graph: ctx.graph,
    load: (id: string) => ctx.loaders.decision.load(id),
    // The simulated customer answers its own decisions.
    authorize: async () => undefined,
    policy: services.contactPolicy,
    propensity: services.decisioning.propensity,
    offerName: (id: string) => snapshot.offers.get(id)?.name ?? id,
    productKind: (id: string) => products.get(id)?.kind ?? "UNKNOWN",
  };
  const days = rngFor(opts.seed, PURCHASE_STREAM);
  const answered = answers.filter((a): a is SimulatedAnswer & { outcome: NonNullable<SimulatedAnswer["outcome"]> } => a.outcome !== null);
  await forEachLimited(answered, ANSWER_CONCURRENCY, async (a, i) => {
    await retryTransient(() => respondToOffer(deps, a.decisionId, a.outcome, new Date(decidedAt.getTime() + (1 + (i % 3)) * DAY_MS)));
  });
  const purchases = answers.filter((a) => a.organic).map((a) => ({ customerId: a.customerId, productId: a.productId, at: new Date(decidedAt.getTime() + DAY_MS + Math.floor(days.next() * 28 * DAY_MS)) }));
  for (let i = 0; i < purchases.length; i += WRITE_BATCH) await writeOrganicPurchases(session, purchases.slice(i, i + WRITE_BATCH));
  const answersSeconds = (Date.now() - answers0) / 1000;

  // Past the response window: the tick queues the report job, which counts what came of the campaign.
  clock.advance(services.evaluation.config.responseWindowDays * DAY_MS + 60_000);
  const report0 = Date.now();
  await services.campaigns.scheduler.tick();
  await campaignReaches(services, marketer, created.id, "reported", (c) => c.reportedAt !== null, opts.waveTimeoutMs);
  const report = (await services.evaluation.report(checker(), created.id)).total;
  const evaluated = (await services.evaluation.evaluate(checker(), { campaignIds: [created.id] }, "TOTAL"))[0] ?? null;
  const reportSeconds = (Date.now() - report0) / 1000;

  const truth = trueUplift(members, prefs);
  if (truth === null || !report.uplift) throw new Error(`campaign ${created.id} has no treated or no control members (${members.length} decisions); widen the segment or the control share`);
  const control = members.filter((m) => m.control).length;
  return {
    campaignId: created.id,
    segmentId,
    members: members.length,
    control,
    treated: members.length - control,
    contacted: members.filter((m) => m.contacted && !m.control).length,
    accepted: answers.filter((a) => a.outcome === "ACCEPTED").length,
    organic: purchases.length,
    report,
    evaluated,
    fromAnswers: estimatedUplift(members, answers),
    truth,
    comparison: compareUplift(truth, report.uplift.rateDifference),
    customerIds: [...new Set(members.map((m) => m.customerId))],
    seconds: { wave: waveSeconds, answers: answersSeconds, report: reportSeconds },
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/** The printed table: the campaign's counts, the evaluation centre's estimate, the truth, PASS/FAIL against ±1 pp. */
export function renderCampaignTruth(r: CampaignTruthResult, setting: Array<[string, string]>): string {
  const u = r.report.uplift?.rateDifference;
  const rows: Array<[string, string]> = [
    ...setting,
    ["campaign", `${r.campaignId} (segment ${r.segmentId})`],
    ["members", r.members.toLocaleString("en")],
    ["control", r.control.toLocaleString("en")],
    ["treated", r.treated.toLocaleString("en")],
    ["contacted", r.contacted.toLocaleString("en")],
    ["accepted", r.accepted.toLocaleString("en")],
    ["organic purchases", `${r.organic.toLocaleString("en")} (control included)`],
    ["order rate treated", pct(r.report.funnel.orderRate ?? 0)],
    ["order rate control", pct(r.report.funnel.controlOrderRate ?? 0)],
    ["estimated uplift", u ? `${pct(u.value)}  95% CI [${pct(u.lower)}, ${pct(u.upper)}]  (evaluation report)` : "none"],
    ["true uplift", `${pct(r.truth)}  (simulator: mean over treated of P(order|treated) − P(order|not))`],
    ["difference", `${r.comparison.errorPoints >= 0 ? "+" : ""}${r.comparison.errorPoints.toFixed(2)} pp; truth ${r.comparison.covered ? "inside" : "OUTSIDE"} the 95% interval`],
    ["result", r.comparison.withinOnePoint ? "PASS (|estimate − truth| ≤ 1 pp)" : "FAIL (|estimate − truth| > 1 pp)"],
    ["timings", `wave ${r.seconds.wave.toFixed(1)} s, answers ${r.seconds.answers.toFixed(1)} s, report ${r.seconds.report.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return ["Campaign truth (issue 12 point 8)", ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`)].join("\n");
}

/**
 * Retries a call the graph refused for a transient reason: acceptances of the same product side by
 * side lock its node and Neo4j breaks the deadlock by failing one. An answer is idempotent (a
 * repeat of the same outcome returns what is recorded), so retrying is safe.
 */
export async function retryTransient<T>(fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError) || i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 20 * 2 ** i * (0.5 + Math.random())));
    }
  }
}


export { removeCampaign };
