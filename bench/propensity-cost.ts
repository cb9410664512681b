/**
 * What scoring costs on the decision's hot path: `node dist/bench/propensity-cost.js` (after
 * `npx tsc -p tsconfig.json`). The propensity model's per-process snapshot, filled as after a long
 * run (every kind and offer with a weight for every feature value it can see), and one decision's
 * worth of candidates estimated (and, with exploration, sampled) over and over. Pure CPU, no
 * Redis: the hot path reads the snapshot only.
 */
import { performance } from "node:perf_hooks";
import { kindFeatures, offerFeatures, PropensityModel, standardNormal, type Models, type ModelState } from "../src/decisioning/propensity";
import { FEATURE_CARDINALITY } from "../src/decisioning/features";
import type { Redis } from "ioredis";

const KINDS = ["PLAN", "FAMILY_PLAN", "DATA_ADDON", "VOICE_ADDON", "HOURLY_PACK", "ROAMING_PACK", "BROADBAND", "IPTV", "HANDSET", "CONTENT"];
const OFFERS_PER_KIND = 4;
/** Candidates one decision scores (the evaluation's customers average about 10). */
const CANDIDATES = 12;
const ROUNDS = 20_000;

function randomFeatures(rand: () => number): string[] {
  const out: string[] = [];
  for (const [name, cardinality] of FEATURE_CARDINALITY) {
    const v = Math.floor(rand() * cardinality);
    out.push(`${name}=${name === "segment" ? ["A", "B", "C"][v % 3] : name === "network" ? (v ? "5G" : "4G") : v}`);
  }
  return out;
}

function main(): void {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const models: Models = new Map();
  const fill = (id: string, features: (f: string[]) => string[]): void => {
    const state: ModelState = { n: 5_000, n1: 400, weights: new Map() };
    for (let i = 0; i < 300; i++) for (const f of features(randomFeatures(rand))) state.weights.set(f, [rand() - 0.5, 0.01 * rand()]);
    models.set(id, state);
  };
  for (const kind of KINDS) {
    fill(`kind:${kind}`, kindFeatures);
    for (let o = 0; o < OFFERS_PER_KIND; o++) fill(`${kind}-${o}`, offerFeatures);
  }
  // Only the pure methods are used: no Redis behind this model.
  const model = new PropensityModel({ defineCommand: () => undefined } as unknown as Redis);
  const decisions = Array.from({ length: 200 }, () => {
    const base = randomFeatures(rand);
    return Array.from({ length: CANDIDATES }, (_, c) => ({ kind: KINDS[c % KINDS.length] as string, offer: `${KINDS[c % KINDS.length]}-${c % OFFERS_PER_KIND}`, features: base }));
  });
  let sink = 0;
  const measure = (explore: boolean): number => {
    const started = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of decisions[r % decisions.length] ?? []) {
        const e = model.estimate(models, c.offer, c.kind, c.features, 0.05);
        sink += explore ? model.sample(e, standardNormal) : e.propensity;
      }
    }
    return ((performance.now() - started) * 1000) / ROUNDS;
  };
  measure(true); // warm the JIT
  const expected = measure(false);
  const explored = measure(true);
  const weights = [...models.values()].reduce((n, m) => n + m.weights.size, 0);
  console.log(`snapshot: ${models.size} models, ${weights.toLocaleString("en")} weights; ${CANDIDATES} candidates per decision, ${ROUNDS.toLocaleString("en")} decisions`);
  console.log(`scoring per decision: ${expected.toFixed(1)} µs expected, ${explored.toFixed(1)} µs with Thompson sampling (${(explored / CANDIDATES).toFixed(2)} µs per candidate)`);
  if (Number.isNaN(sink)) console.log("unreachable");
}

main();
