/**
 * `npm run evaluate` (entry point bench/evaluate/cli.ts): how good our decisions are for customers
 * who answer according to the hidden preferences the seed stored.
 *
 * 1. Neo4j and Redis for the evaluate profile (.data/evaluate), the data set seeded unless there;
 *    a Redis key prefix of its own per run, so the contact policy and the model start blank.
 * 2. A held-out test set and a disjoint training set of customers, drawn by the seed.
 * 3. Before learning: every test customer is ranked once (nothing written); our arbitration, a
 *    popularity baseline, a random baseline and an oracle each pick from the same candidates.
 * 4. Training: real decisions for the training customers, answered by the simulator, recorded
 *    with respondToOffer, so the propensity model learns as it would in production.
 * 5. After learning: step 3 again. Then the training customers are put back as the seed wrote
 *    them and the run's Redis keys removed, so the next run starts from the same state.
 */
import type { ProfileInvalidator } from "../../src/customer360/profiles";
import { forEachLimited } from "../../src/platform/concurrency";
import { createContext, type Services } from "../../src/server/context";
import { TOOLS } from "../../src/auth/principal";
import { wireServices } from "../../src/main/wiring";
import { arbitrate, Decider, type Decision } from "../../src/decisioning/decide";
import { PropensityModel } from "../../src/decisioning/propensity";
import { respondToOffer } from "../../src/decisioning/respond";
import { DEFAULT_REALTIME } from "../../src/platform/config";
import { ready, removeKeys } from "../redis-keys";
import { Graph, type GraphSession } from "../../src/platform/neo4j";
import { customersWithDecisions, hiddenPreferences, restoreSeededCustomers, seededAcceptances, type SeededHoldings } from "./graph";
import type { HiddenPreferenceNode } from "../../src/graph/model";
import type { ChannelCode, ProductKind, ResponseOutcome } from "../../src/domain/vocabulary";
import type { ProductRecord } from "../../src/graph/records";
import { latestSeedRun } from "../../seeds/load";
import type { Logger } from "../../src/platform/logger";
import { createRedis } from "../../src/platform/redis";
import { ensureServices } from "../../src/main/launch/environment";
import { customerIndex, generateChunks } from "../../seeds/generate";
import { rngFor } from "../../seeds/random";
import { ensureDataset } from "../dataset";
import { byPopularity, byPropensity, byTruth, shuffled, untargetedCandidates } from "./baselines";
import { Calibration, Concordance, PolicyTally, type Shown } from "./metrics";
import { splitCustomers } from "./sets";
import { retryTransient } from "./campaign-run";
import { acceptanceProbability, affinityFor, OUTCOME_RULE, sampleOutcome, SIMULATOR_RULE } from "./simulator";
import { POLICIES, renderReport, UNTARGETED_POLICIES, type CurvePoint, type LearningCurve, type PhaseResult, type PolicyName, type TrainingResult, type UntargetedPolicyName } from "./table";

export interface EvaluateOptions {
  /** Size of the seeded data set. */
  customers: number;
  /** Seed of the data set; also draws the customer sets, the random baseline and the simulated answers. */
  seed: number;
  /** Held-out customers the policies are compared on. */
  test: number;
  /** Customers decided for and answered during training (disjoint from the test set). */
  train: number;
  /** Which learning variants run (1: greedy, 2: Thompson, 3: Thompson after the warm start; 1-based, the last reported in full). */
  variants: readonly number[];
}

export const DEFAULT_EVALUATE_OPTIONS: EvaluateOptions = { customers: 20_000, seed: 42, test: 1_000, train: 3_000, variants: [1, 2, 3] };

/** Customer-initiated (the customer opened the app), so frequency caps and quiet hours stay out of the comparison. */
const CHANNEL: ChannelCode = "APP";
const LIMIT = 3;
/** Test customers ranked per request context (their graph reads go out as one statement). */
const RANK_BATCH = 100;
/**
 * Training customers decided per batch: the model learns from a batch's answers before the next
 * batch is decided, as a gateway would see its own responses within its one-second model refresh.
 */
const TRAIN_BATCH = 100;
/** Customers whose answers are recorded side by side: well under the driver's pool of 64 connections. */
const ANSWER_CONCURRENCY = 16;
/** Answers come a minute after the decision. */
const ANSWER_DELAY_MS = 60_000;
/** Salts of the evaluation's own random streams, apart from the seed's. */
const RANDOM_STREAM = 0xe7a2;
const OUTCOME_STREAM = 0xe7a3;

/** Answers after which the learning curve is measured (at the first training batch that reaches each). */
const CHECKPOINTS = [500, 1_000, 2_000, 4_000, 8_000];

/** The ways of learning the curve compares; the last is what the gateway does (exploration and warm start on by default). */
const VARIANTS = [
  { name: "greedy, blank model (no exploration)", exploration: false, warm: false },
  { name: "Thompson sampling, blank model", exploration: true, warm: false },
  { name: "Thompson sampling, warm-started from history", exploration: true, warm: true },
] as const;

interface Run {
  services: Services;
  products: Map<string, ProductRecord>;
  prefs: Map<string, HiddenPreferenceNode>;
  /** Per test customer: what its attributes imply for each kind (the generator's logits before the private noise). */
  logits: Map<string, Record<ProductKind, number>>;
  at: Date;
  seed: number;
}

export async function runEvaluation(opts: EvaluateOptions, ctl: { log: Logger; say: (line: string) => void; onStop: (stop: () => Promise<void>) => void }): Promise<string> {
  const { log, say, onStop } = ctl;
  const timings: Array<[string, number]> = [];
  const started = Date.now();
  let mark = started;
  const lap = (what: string): void => {
    const now = Date.now();
    timings.push([what, (now - mark) / 1000]);
    mark = now;
  };

  say("starting Neo4j and Redis (profile evaluate, data in .data/evaluate)…");
  const env = await ensureServices({ profile: "evaluate", log });
  onStop(() => env.stop());
  if (!env.redisUrl) throw new Error("the evaluation needs Redis, and ensureServices returned none");
  lap("services");

  const dataset = await ensureDataset(env.neo4j, { customers: opts.customers, seed: opts.seed }, say);
  lap("data set");

  const graph = Graph.connect(env.neo4j);
  onStop(() => graph.close());
  const prefix = `eval:${Date.now().toString(36)}:`;
  const redis = createRedis(env.redisUrl, prefix);
  redis.on("error", (err: Error) => log.warn({ err: err.message }, "redis connection error"));
  onStop(async () => {
    await removeKeys(env.redisUrl as string, prefix);
    redis.disconnect();
  });
  await ready(redis);
  // Evaluation decides directly; the event consumer and push router are built (the context names them) but never started.
  const services = wireServices(graph, redis, log, DEFAULT_REALTIME);
  onStop(async () => services.pubsub.close());
  // Decisions are written behind the answer: this process moves them into the graph, and finishes before it stops.
  services.decisioning.writer.start();
  onStop(async () => {
    await services.decisioning.writer.drained();
    await services.decisioning.writer.stop();
  });
  await services.decisioning.propensity.reset();

  const seedRun = await latestSeedRun(graph);
  if (!seedRun?.asOf) throw new Error("the graph holds no completed seed run with an as-of date; run `npm run seed` or remove .data/evaluate and run again");
  const asOf = new Date(seedRun.asOf);
  // The generator regenerates customers of the data set in the graph, whose size may exceed ours.
  const seededData = { seed: seedRun.seed, customers: seedRun.customers, asOf };
  // Decisions happen when the data set was taken: reproducible, and the seeded usage is current then.
  const at = asOf;
  const session = graph.session();

  const leftovers = await customersWithDecisions(session);
  if (leftovers.length > 0) {
    say(`putting ${leftovers.length.toLocaleString("en")} customers decided for by an earlier run back as seeded…`);
    await restoreSeeded(session, leftovers, seededData, services.customers.profiles);
  }

  const sets = splitCustomers(opts.seed, opts.customers, opts.test, opts.train);
  const prefs = await hiddenPreferences(session, [...sets.test, ...sets.train]);
  const products = await services.reference.products();
  const snapshot = await services.marketing.snapshot();
  const seeded = await seededAcceptances(session);
  const logits = await attributeLogits(seededData, sets.test);
  const run: Run = { services, products, prefs, logits, at, seed: opts.seed };
  lap("preparation");

  say(`before learning: ranking ${sets.test.length.toLocaleString("en")} test customers…`);
  const before = await evaluatePhase(run, sets.test, seeded, "before");
  lap("before learning");

  // Each variant learns from a blank start on the same training customers, answered by the same streams.
  const curves: LearningCurve[] = [];
  let last: { training: TrainingResult; after: PhaseResult; warm: string } | undefined;
  for (const variant of VARIANTS.filter((_, i) => opts.variants.includes(i + 1))) {
    await services.decisioning.writer.drained();
    await services.decisioning.propensity.reset();
    await removeKeys(env.redisUrl, `${prefix}policy:`);
    let warm = "none";
    const points: CurvePoint[] = [];
    if (variant.warm) {
      say("warm start: learning the trajectory's historical answers (the held-out test customers' left out)…");
      const r = await services.decisioning.warmStart(session, log, { exclude: sets.test });
      warm = `${r.learned.toLocaleString("en")} historical answers (every customer's but the held-out test customers') learned in ${r.seconds.toFixed(1)} s`;
      points.push(curvePoint(0, await evaluatePhase(run, sets.test, seeded, "warm")));
    } else {
      points.push(curvePoint(0, before));
    }
    say(`training (${variant.name}): deciding for ${sets.train.length.toLocaleString("en")} customers and answering as the simulator says…`);
    const { training, accepted, after } = await train(run, sets.train, variant.exploration, say, async (answers, acceptedSoFar) => {
      const phase = await evaluatePhase(run, sets.test, withAccepted(seeded, acceptedSoFar), `${answers}`);
      points.push(curvePoint(answers, phase));
      return phase;
    });
    curves.push({ variant: variant.name, points });
    last = { training, after: after ?? (await evaluatePhase(run, sets.test, withAccepted(seeded, accepted), "after")), warm };
    lap(`training: ${variant.name}`);
    say("putting the training customers back as seeded…");
    await services.decisioning.writer.drained();
    await restoreSeeded(session, sets.train, seededData, services.customers.profiles);
  }
  if (!last) throw new Error("no learning variant ran");
  const { training } = last;
  const after = { ...last.after, label: "after" };
  lap("clean-up");
  timings.push(["total", (Date.now() - started) / 1000]);

  const activeOffers = [...snapshot.offers.values()].filter((o) => o.status === "ACTIVE");
  training.offers = activeOffers.length;
  const offerLabel = (id: string): string => {
    const o = snapshot.offers.get(id);
    return o ? `${id} ${products.get(o.productId)?.kind ?? "?"} ${o.name}` : id;
  };
  return renderReport({
    limit: LIMIT,
    setting: [
      ["data set", `${dataset.customers.toLocaleString("en")} customers (seed ${opts.seed}), as of ${asOf.toISOString().slice(0, 10)}; decisions at that moment`],
      ["customers", `test ${sets.test.length.toLocaleString("en")} (held out), training ${sets.train.length.toLocaleString("en")} (disjoint), drawn by the seed`],
      ["decisions", `channel ${CHANNEL} (customer-initiated), limit ${LIMIT}; every policy goes through the same arbitration`],
      ["simulator", SIMULATOR_RULE],
      ["", `training answers are sampled: ${OUTCOME_RULE}`],
      ["metrics", "expected, not sampled: acceptance rate = mean P(accept) over the offers shown"],
      ["", `hit@${LIMIT} = share of customers shown an offer as likely to be accepted as their best eligible candidate`],
      ["", "value = P(accept) × offer value (what our score optimises, with priority)"],
      ["baselines", "popularity = most ACCEPTED products first (seeded trajectory; after: plus the training acceptances)"],
      ["", "random = seeded shuffle; oracle = highest true P(accept) first (an upper bound)"],
      ["", "attribute oracle = highest affinity the customer's attributes imply first (the generator's logit before the private noise: the best any model could do)"],
      ["learning", "three runs from the same state: greedy and Thompson sampling from a blank model, Thompson after the warm start; the tables below are the last"],
      ["", "ours by propensity = our model's propensity alone, without offer value and priority (a diagnostic)"],
    ],
    before,
    training,
    after,
    curves,
    warmStart: last.warm,
    offerLabel,
    timings,
  });
}

/** Ranks every test customer once and lets each policy choose from the same candidates. */
async function evaluatePhase(run: Run, ids: readonly string[], popularity: ReadonlyMap<string, number>, label: string): Promise<PhaseResult> {
  const started = Date.now();
  const decider = freshDecider(run.services);
  const tallies = Object.fromEntries(POLICIES.map((p) => [p, new PolicyTally()])) as Record<PolicyName, PolicyTally>;
  const untargeted = Object.fromEntries(UNTARGETED_POLICIES.map((p) => [p, new PolicyTally()])) as Record<UntargetedPolicyName, PolicyTally>;
  const offers = [...(await run.services.marketing.snapshot()).offers.values()];
  const concordance = { score: new Concordance(), propensity: new Concordance() };
  const calibration = new Calibration();
  let withoutCandidates = 0;
  const pool = { candidates: 0, kinds: 0, fewKinds: 0, allKinds: 0 };
  for (let i = 0; i < ids.length; i += RANK_BATCH) {
    const batch = ids.slice(i, i + RANK_BATCH);
    const scope = createContext(run.services, TOOLS);
    const ranks = await Promise.all(batch.map((id) => decider.rank(run.services.decisioning.scope(scope), id, CHANNEL, { at: run.at })));
    batch.forEach((id, j) => {
      const rank = ranks[j];
      const ranked = rank?.ranked ?? [];
      if (!rank || ranked.length === 0) {
        withoutCandidates += 1;
        return;
      }
      const kinds = new Set(ranked.map((c) => run.products.get(c.offer.productId)?.kind));
      pool.candidates += ranked.length;
      pool.kinds += kinds.size;
      if (kinds.size <= LIMIT) pool.fewKinds += 1;
      const pref = preferenceOf(run, id);
      const probability = (c: (typeof ranked)[number]): number => acceptanceProbability(affinityFor(pref, run.products.get(c.offer.productId)?.kind));
      const best = Math.max(...ranked.map(probability));
      concordance.score.add(ranked.map((c) => ({ score: c.score, probability: probability(c) })));
      concordance.propensity.add(ranked.map((c) => ({ score: c.estimate.propensity, probability: probability(c) })));
      for (const c of ranked) calibration.add(run.products.get(c.offer.productId)?.kind ?? "?", c.estimate.propensity, probability(c));
      const show = (ordered: typeof ranked): Shown[] =>
        arbitrate(ordered, LIMIT, run.products).map((c) => ({ offerId: c.offer.id, probability: probability(c), value: c.offer.value }));
      tallies.ours.add(show(ranked), best);
      tallies.popularity.add(show(byPopularity(ranked, popularity)), best);
      tallies.random.add(show(shuffled(ranked, rngFor(run.seed, RANDOM_STREAM, customerIndex(id) ?? 0))), best);
      tallies.oracle.add(show(byTruth(ranked, probability)), best);
      tallies.propensity.add(show(byPropensity(ranked)), best);
      const implied = logitsOf(run, id);
      const attributes = (c: (typeof ranked)[number]): number => implied[run.products.get(c.offer.productId)?.kind ?? "PLAN"];
      tallies.attributes.add(show(byTruth(ranked, attributes)), best);

      const all = untargetedCandidates(offers, rank.inputs, run.at, CHANNEL);
      pool.allKinds += new Set(all.map((c) => run.products.get(c.offer.productId)?.kind)).size;
      const bestOfAll = Math.max(...all.map(probability));
      untargeted.ours.add(show(ranked), bestOfAll);
      untargeted.popularity.add(show(byPopularity(all, popularity)), bestOfAll);
      untargeted.random.add(show(shuffled(all, rngFor(run.seed, RANDOM_STREAM, customerIndex(id) ?? 0))), bestOfAll);
      untargeted.oracle.add(show(byTruth(all, probability)), bestOfAll);
      untargeted.attributes.add(show(byTruth(all, attributes)), bestOfAll);
      untargeted.propensity.add(show(byPropensity(ranked)), bestOfAll);
    });
  }
  const policies = Object.fromEntries(POLICIES.map((p) => [p, tallies[p].summary()])) as PhaseResult["policies"];
  const ranked = Math.max(1, ids.length - withoutCandidates);
  return {
    label,
    withoutCandidates,
    candidatesPerCustomer: pool.candidates / ranked,
    kindsPerCustomer: pool.kinds / ranked,
    fewKindsShare: pool.fewKinds / ranked,
    policies,
    untargeted: Object.fromEntries(UNTARGETED_POLICIES.map((p) => [p, untargeted[p].summary()])) as PhaseResult["untargeted"],
    untargetedKindsPerCustomer: pool.allKinds / ranked,
    concordance: { score: concordance.score.value(), propensity: concordance.propensity.value() },
    calibration: calibration.summary(),
    seconds: (Date.now() - started) / 1000,
  };
}

/** A point of the learning curve from a phase's untargeted comparison (ours from its candidates, the baselines from every eligible offer). */
function curvePoint(answers: number, p: PhaseResult): CurvePoint {
  const u = p.untargeted;
  return { answers, ours: u.ours.acceptanceRate, byPropensity: u.propensity.acceptanceRate, popularity: u.popularity.acceptanceRate, attributes: u.attributes.acceptanceRate, oracle: u.oracle.acceptanceRate };
}

function withAccepted(seeded: ReadonlyMap<string, number>, accepted: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(seeded);
  for (const [productId, n] of accepted) out.set(productId, (out.get(productId) ?? 0) + n);
  return out;
}

/**
 * Real decisions for the training customers, answered by the simulator through respondToOffer;
 * `checkpoint` runs after the first batch that reaches each of CHECKPOINTS answers (the last phase it returns is the "after").
 */
async function train(
  run: Run,
  ids: readonly string[],
  exploration: boolean,
  say: (line: string) => void,
  checkpoint: (answers: number, accepted: ReadonlyMap<string, number>) => Promise<PhaseResult>,
): Promise<{ training: TrainingResult; accepted: Map<string, number>; after: PhaseResult | undefined }> {
  let next = 0;
  let after: PhaseResult | undefined;
  let measuring = 0;
  const started = Date.now();
  const { contactPolicy } = run.services;
  const snapshot = await run.services.marketing.snapshot();
  const accepted = new Map<string, number>();
  const t: TrainingResult = { customers: ids.length, decisions: 0, controlGroup: 0, answered: 0, accepted: 0, offersWithEvidence: 0, offers: 0, seconds: 0 };
  let tenth = 0;
  for (let i = 0; i < ids.length; i += TRAIN_BATCH) {
    const batch = ids.slice(i, i + TRAIN_BATCH);
    // The simulator decides and answers as the gateway's tools, for every customer.
    const ctx = createContext(run.services, TOOLS);
    const decider = freshDecider(run.services, exploration);
    const made = await Promise.all(batch.map((customerId) => decider.decide(run.services.decisioning.scope(ctx), { customerId, channel: CHANNEL, limit: LIMIT, context: { at: run.at } })));
    const deps = {
      graph: ctx.graph,
      load: (id: string) => ctx.loaders.decision.load(id),
      // The simulated customer answers its own decisions.
      authorize: async () => undefined,
      policy: contactPolicy,
      propensity: run.services.decisioning.propensity,
      offerName: (id: string) => snapshot.offers.get(id)?.name ?? id,
      productKind: (id: string) => run.products.get(id)?.kind ?? "UNKNOWN",
    };
    // One customer's answers in order (two acceptances may touch the same subscriptions); a few customers side by side.
    await forEachLimited(batch, ANSWER_CONCURRENCY, async (customerId, j) => {
      const rng = rngFor(run.seed, OUTCOME_STREAM, customerIndex(customerId) ?? 0);
      const pref = preferenceOf(run, customerId);
      for (const d of made[j] ?? []) {
        t.decisions += 1;
        if (!d.contacted) {
          t.controlGroup += 1;
          continue;
        }
        const outcome: ResponseOutcome = sampleOutcome(rng, affinityFor(pref, kindOf(run, d)));
        await retryTransient(() => respondToOffer(deps, d.id, outcome, new Date(run.at.getTime() + ANSWER_DELAY_MS)));
        t.answered += 1;
        if (outcome === "ACCEPTED") {
          t.accepted += 1;
          accepted.set(d.offer.productId, (accepted.get(d.offer.productId) ?? 0) + 1);
        }
      }
    });
    const final = i + TRAIN_BATCH >= ids.length;
    if ((next < CHECKPOINTS.length && t.answered >= (CHECKPOINTS[next] as number)) || final) {
      while (next < CHECKPOINTS.length && t.answered >= (CHECKPOINTS[next] as number)) next += 1;
      // The model a decision made now would read: the batch's answers are in Redis.
      const from = Date.now();
      after = await checkpoint(t.answered, accepted);
      measuring += Date.now() - from;
    }
    const done = Math.min(ids.length, i + TRAIN_BATCH);
    const nowTenth = Math.floor((10 * done) / ids.length);
    if (nowTenth > tenth) {
      tenth = nowTenth;
      const s = (Date.now() - started) / 1000;
      say(
        `  training: ${String(tenth * 10).padStart(3)}% (${done.toLocaleString("en")} customers, ${t.decisions.toLocaleString("en")} decisions, ` +
          `${t.accepted.toLocaleString("en")} accepted, ${(t.decisions / Math.max(s, 0.001)).toFixed(1)} decisions/s)`,
      );
    }
  }
  t.offersWithEvidence = [...(await new PropensityModel(run.services.redis).models()).keys()].filter((id) => !id.startsWith("kind:")).length;
  t.seconds = (Date.now() - started - measuring) / 1000;
  return { training: t, accepted, after };
}

/**
 * A decider over the shared caches with a model of its own, whose first read waits for the counts
 * in Redis: the shared one serves a stale snapshot while it refreshes, so which decisions saw the
 * last batch's answers would depend on timing, and the same seed would not give the same table.
 */
function freshDecider(services: Services, exploration = false): Decider {
  return new Decider(services.reference, services.marketing.catalogue, new PropensityModel(services.redis), services.contactPolicy, { exploration });
}

function logitsOf(run: Run, customerId: string): Record<ProductKind, number> {
  const z = run.logits.get(customerId);
  if (!z) throw new Error(`customer ${customerId} was not regenerated for the attribute oracle`);
  return z;
}

/** What the test customers' attributes imply per kind: the generator is deterministic, so they are regenerated (never read from the graph: it holds only the noisy affinity). */
async function attributeLogits(data: { seed: number; customers: number; asOf: Date }, ids: readonly string[]): Promise<Map<string, Record<ProductKind, number>>> {
  const wanted = new Set(ids);
  const last = Math.max(...ids.map((id) => customerIndex(id) ?? 0));
  const out = new Map<string, Record<ProductKind, number>>();
  for (const chunk of generateChunks({ seed: data.seed, customers: data.customers, asOf: data.asOf })) {
    for (const g of chunk.customers) if (wanted.has(g.customer.id)) out.set(g.customer.id, g.preferenceLogits);
    if (chunk.last >= last) break;
  }
  return out;
}

function kindOf(run: Run, d: Decision): ProductRecord["kind"] | undefined {
  return run.products.get(d.offer.productId)?.kind;
}

function preferenceOf(run: Run, customerId: string): HiddenPreferenceNode {
  const pref = run.prefs.get(customerId);
  if (!pref) throw new Error(`customer ${customerId} has no hidden preference in the graph; the data set is incomplete — remove .data/evaluate and run again`);
  return pref;
}

/** Regenerates the customers' seeded holdings (the generator is deterministic) and writes them back; their decisions and the contacts those wrote go. */
export async function restoreSeeded(session: GraphSession, ids: readonly string[], data: { seed: number; customers: number; asOf: Date }, profiles: ProfileInvalidator | null = null): Promise<void> {
  const wanted = new Set(ids);
  const last = Math.max(...ids.map((id) => customerIndex(id) ?? 0));
  const rows: SeededHoldings[] = [];
  for (const chunk of generateChunks({ seed: data.seed, customers: data.customers, asOf: data.asOf })) {
    for (const g of chunk.customers) {
      if (wanted.has(g.customer.id)) rows.push({ customerId: g.customer.id, holdings: g.holdings.map((h) => [h.productId, Date.parse(h.since)]) });
    }
    if (chunk.last >= last) break;
  }
  for (let i = 0; i < rows.length; i += 1_000) await restoreSeededCustomers(session, rows.slice(i, i + 1_000));
  // Written under the gateway's services: the live decision profiles of these customers (and their families and circles) are stale now.
  await profiles?.invalidate(ids);
}


