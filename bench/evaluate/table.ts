import type { PolicyMetrics } from "./metrics";

/** The evaluation's printout: parameters, the comparison table, what was shown, training and timings. */

export const POLICIES = ["ours", "popularity", "random", "oracle", "attributes", "propensity"] as const;
export type PolicyName = (typeof POLICIES)[number];

/**
 * The headline comparison: the baselines choose from every offer the customer may take (a
 * popularity or random recommender has no targeting); ours from what its strategies and graph
 * signals propose. hit@k is against the best of every eligible offer for all of them.
 */
export const UNTARGETED_POLICIES = ["ours", "propensity", "popularity", "random", "attributes", "oracle"] as const;
export type UntargetedPolicyName = (typeof UNTARGETED_POLICIES)[number];

const POLICY_LABEL: Record<PolicyName, string> = {
  ours: "ours",
  popularity: "popularity",
  random: "random",
  oracle: "oracle (knows the truth)",
  attributes: "attribute oracle (knows what the attributes imply)",
  propensity: "ours by propensity",
};

/** One point of a learning curve: acceptance rates after `answers` training answers (untargeted comparison). */
export interface CurvePoint {
  answers: number;
  ours: number;
  byPropensity: number;
  popularity: number;
  attributes: number;
  oracle: number;
}

/** How one way of learning (exploration or not, warm start or not) improves with answers. */
export interface LearningCurve {
  variant: string;
  points: CurvePoint[];
}

export interface PhaseResult {
  label: string;
  /** Test customers with no eligible candidate at all (no policy can show them anything). */
  withoutCandidates: number;
  /** Eligible candidates per ranked customer, and distinct product kinds among them. */
  candidatesPerCustomer: number;
  kindsPerCustomer: number;
  /** Share of ranked customers whose candidates span no more kinds than there are placements. */
  fewKindsShare: number;
  policies: Record<PolicyName, PolicyMetrics>;
  /** The diagnostic policies over every eligible offer (hit@k against the best of those). */
  untargeted: Record<UntargetedPolicyName, PolicyMetrics>;
  untargetedKindsPerCustomer: number;
  /** Share of candidate pairs our score (and the propensity alone) orders as the truth does. */
  concordance: { score: number; propensity: number };
  /** Over every ranked candidate: the model's mean propensity and the mean true P(accept), per kind. */
  calibration: Array<{ kind: string; candidates: number; predicted: number; truth: number }>;
  seconds: number;
}

export interface TrainingResult {
  customers: number;
  decisions: number;
  controlGroup: number;
  answered: number;
  accepted: number;
  /** Offers the model has evidence for afterwards, of all offers. */
  offersWithEvidence: number;
  offers: number;
  seconds: number;
}

export interface EvaluationReport {
  /** Placements per decision. */
  limit: number;
  setting: Array<[string, string]>;
  before: PhaseResult;
  training: TrainingResult;
  after: PhaseResult;
  /** The learning curves of each variant; the last is the one `training` and `after` describe. */
  curves: LearningCurve[];
  /** What the warm start of the last variant learned. */
  warmStart: string;
  /** Offer id → "name (product kind)", for the mix. */
  offerLabel: (offerId: string) => string;
  timings: Array<[string, number]>;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const fmt = (n: number): string => n.toLocaleString("en");

export function renderReport(r: EvaluationReport): string {
  const out: string[] = ["evaluate: next-best-offer quality against simulated customers", ""];
  out.push(...keyValues(r.setting), "");

  const headers = ["phase", "policy", "offers/customer", "acceptance rate", `hit@${r.limit}`, "accepts/customer", "value/customer", "acceptance vs popularity"];
  const metricsRow = (phase: PhaseResult, label: string, m: PolicyMetrics, popularity: number): string[] => [
    phase.label,
    label,
    (m.offers / Math.max(1, m.customers)).toFixed(2),
    pct(m.acceptanceRate),
    pct(m.hitRate),
    m.acceptsPerCustomer.toFixed(3),
    `${m.valuePerCustomer.toFixed(1)} ¥`,
    popularity > 0 ? `${(m.acceptanceRate / popularity).toFixed(2)}×` : "–",
  ];
  const right = [false, false, true, true, true, true, true, true];

  out.push(
    `ours against baselines that recommend from every offer the customer may take (${r.after.untargetedKindsPerCustomer.toFixed(1)} product kinds per customer); hit@${r.limit} against the best of those:`,
    "",
  );
  const headline: string[][] = [];
  for (const phase of [r.before, r.after]) {
    for (const name of UNTARGETED_POLICIES) {
      const label =
        name === "ours"
          ? "ours"
          : name === "propensity"
            ? "ours by propensity"
            : name === "oracle"
              ? "oracle (knows the truth), every eligible offer"
              : name === "attributes"
                ? "attribute oracle (no private noise), every eligible offer"
                : `${name}, every eligible offer`;
      headline.push(metricsRow(phase, label, phase.untargeted[name], phase.untargeted.popularity.acceptanceRate));
    }
  }
  out.push(...markdownTable(headers, headline, right), "");

  out.push(
    `within our candidates (diagnostic: the same policies choosing only among the ${r.after.candidatesPerCustomer.toFixed(1)} offers of ` +
      `${r.after.kindsPerCustomer.toFixed(1)} product kinds our strategies and graph signals propose; hit@${r.limit} against the best of those):`,
    "",
  );
  const within: string[][] = [];
  for (const phase of [r.before, r.after]) {
    for (const name of POLICIES) within.push(metricsRow(phase, POLICY_LABEL[name], phase.policies[name], phase.policies.popularity.acceptanceRate));
  }
  out.push(...markdownTable(headers, within, right), "");
  out.push(
    `test customers without any eligible candidate: ${fmt(r.before.withoutCandidates)} before, ${fmt(r.after.withoutCandidates)} after (left out of every row)`,
    ...[r.before, r.after].map(
      (p) =>
        `candidates ${p.label.padEnd(6)}: ${p.candidatesPerCustomer.toFixed(1)} offers of ${p.kindsPerCustomer.toFixed(1)} product kinds per customer; ` +
        `${pct(p.fewKindsShare)} of customers have no more than ${r.limit} kinds (P(accept) depends on the kind alone, so for them the choice barely matters)`,
    ),
    "",
  );

  out.push(
    `does the model order candidates as the truth does? share of one customer's candidate pairs (different true P) in the right order; 50% is chance`,
    "",
    ...markdownTable(
      ["phase", "our score", "propensity alone"],
      [r.before, r.after].map((p) => [p.label, pct(p.concordance.score), pct(p.concordance.propensity)]),
      [false, true, true],
    ),
    "",
    "model against truth per product kind, over every ranked test candidate:",
    "",
    ...markdownTable(
      ["kind", "candidates", "true P(accept)", "propensity before", "propensity after"],
      r.after.calibration.map((k) => {
        const before = r.before.calibration.find((b) => b.kind === k.kind);
        return [k.kind, fmt(k.candidates), pct(k.truth), before ? pct(before.predicted) : "–", pct(k.predicted)];
      }),
      [false, true, true, true, true],
    ),
    "",
  );

  out.push(
    "learning curve: acceptance rate of what each would show the held-out customers after n training answers (ours by score; popularity counts the training acceptances too):",
    "",
  );
  const curveRows: string[][] = [];
  for (const c of r.curves) {
    for (const p of c.points) {
      curveRows.push([c.variant, fmt(p.answers), pct(p.ours), pct(p.byPropensity), pct(p.popularity), `${(p.ours / Math.max(p.popularity, 1e-9)).toFixed(2)}×`, pct(p.attributes), `${((100 * p.ours) / Math.max(p.attributes, 1e-9)).toFixed(1)}%`, pct(p.oracle)]);
    }
  }
  out.push(
    ...markdownTable(
      ["variant", "answers", "ours", "ours by propensity", "popularity", "ours vs popularity", "attribute oracle", "ours / attribute oracle", "oracle"],
      curveRows,
      [false, true, true, true, true, true, true, true, true],
    ),
    "",
  );
  const last = r.curves.at(-1);
  const final = last?.points.at(-1);
  if (last && final) {
    const reach = last.points.find((p) => p.ours >= 0.9 * final.ours);
    out.push(
      ...keyValues([
        ["warm start", r.warmStart],
        ["90% of final", `${last.variant}: ${reach ? `${fmt(reach.answers)} answers` : "not reached"} (final ${pct(final.ours)} after ${fmt(final.answers)})`],
        ["two oracles", `oracle (knows each customer's noisy affinity) ${pct(final.oracle)} = ${(final.oracle / Math.max(final.popularity, 1e-9)).toFixed(2)}× popularity; attribute oracle (knows what the attributes imply, not the private noise) ${pct(final.attributes)} = ${(final.attributes / Math.max(final.popularity, 1e-9)).toFixed(2)}×`],
      ]),
      "",
    );
  }

  const t = r.training;
  out.push(
    ...keyValues([
      ["training", `${fmt(t.customers)} customers, ${fmt(t.decisions)} decisions (${fmt(t.controlGroup)} control group, not presented), ${fmt(t.answered)} answered`],
      ["", `${fmt(t.accepted)} accepted (${pct(t.accepted / Math.max(1, t.answered))} sampled); the model has evidence for ${t.offersWithEvidence} of ${t.offers} offers`],
      ["", `${(t.decisions / Math.max(t.seconds, 0.001)).toFixed(1)} decisions/s including their responses (${t.seconds.toFixed(1)} s)`],
    ]),
    "",
  );

  out.push("most shown offers (share of placements, true acceptance rate of those placements):", "");
  const mixes: Array<[string, PolicyMetrics]> = [
    ["ours, before", r.before.policies.ours],
    ["ours, after", r.after.policies.ours],
    ["popularity, after", r.after.policies.popularity],
    ["oracle, after", r.after.policies.oracle],
  ];
  const mixRows: string[][] = [];
  for (const [label, m] of mixes) {
    m.offerMix.slice(0, 6).forEach((o, i) => mixRows.push([i === 0 ? label : "", pct(o.share), pct(o.acceptanceRate), r.offerLabel(o.offerId)]));
  }
  // The offer last: its name is Chinese, and double-width characters would misalign any column after it.
  out.push(...markdownTable(["policy", "share", "acceptance", "offer"], mixRows, [false, true, true, false]), "");

  out.push(...keyValues(r.timings.map(([what, s]) => [what, `${s.toFixed(1)} s`])));
  return out.join("\n");
}

function keyValues(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}

/** A markdown table padded to line up in a terminal; `right` marks numeric columns. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (text: string, i: number): string => (right[i] ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => cell(c, i)).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${"-".repeat(w + 1)}:` : `${"-".repeat(w + 2)}`)).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)];
}
