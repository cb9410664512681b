import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { createContext } from "../src/server/context";
import { TOOLS } from "../src/auth/principal";
import { keys } from "../src/platform/keys";
import { PropensityModel } from "../src/decisioning/propensity";
import { freshIds } from "./support/customers";
import { dataOf, startTestGateway, type TestGateway } from "./support/gateway";
import { openPolicy, testRedis } from "./support/live";

// Issue 16: the Bayesian probit model, Thompson sampling, the warm start. Real Neo4j and Redis.

const silent = pino({ level: "silent" });

describe("exploration (Thompson sampling)", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ decisioning: { exploration: true } });
    await openPolicy(gw);
  });

  test("reorders only eligible candidates, and never brings back an offer the contact policy cools down", async () => {
    const services = gw.app.services;
    const { decisioning } = services;
    const ids = await freshIds(12);
    // Evidence for every kind the customers could be offered, so the model is unsure but not blank (a blank model leaves the prior's order).
    const ctx = createContext(services);
    const products = await services.reference.products();
    const seen = new Set<string>();
    for (const id of ids) {
      const { ranked } = await decisioning.rank(ctx, id, "APP");
      for (const c of ranked) {
        const kind = products.get(c.offer.productId)?.kind ?? "UNKNOWN";
        if (seen.has(c.offer.id)) continue;
        seen.add(c.offer.id);
        for (let i = 0; i < 6; i++) await decisioning.propensity.learn(`DLEARN${c.offer.id}${i}`, c.offer.id, kind, c.features, i % 3 === 0);
      }
    }
    const firstPicks = new Map<string, Set<string>>();
    for (const id of ids) {
      const { ranked } = await decisioning.rank(createContext(services), id, "APP");
      const eligible = new Set(ranked.map((c) => c.offer.id));
      assert.ok(eligible.size >= 2, `${id} has candidates to reorder`);
      let declined: string | null = null;
      for (let round = 0; round < 8; round++) {
        // In-process, so each call decides anew (the GraphQL operation would answer a repeat from memory).
        const made = await decisioning.decider.decide(decisioning.scope(createContext(services, TOOLS)), { customerId: id, channel: "APP", limit: 2 });
        for (const d of made) {
          assert.ok(eligible.has(d.offer.id), `${id}: ${d.offer.id} is one of the eligible candidates`);
          assert.notEqual(d.offer.id, declined, `${id}: ${declined} cools down after its decline, exploring or not`);
          assert.ok(Math.abs(d.score - d.propensity * d.value * d.priority * d.relevance) < 1e-9, "the score stays the expected one");
        }
        const first = made[0];
        if (!first) continue;
        firstPicks.set(id, (firstPicks.get(id) ?? new Set()).add(first.offer.id));
        if (round === 2 && declined === null && first.contacted) {
          dataOf(await gw.raw(`mutation ($id: ID!) { respondToOffer(decisionId: $id, outcome: DECLINED) { id } }`, { id: first.id }));
          declined = first.offer.id;
        }
      }
    }
    // Exploration did something: some customer was not shown the same first offer every time.
    assert.ok([...firstPicks.values()].some((s) => s.size > 1), "Thompson sampling varies the order among uncertain candidates");
  });
});

describe("the Bayesian model in Redis", () => {
  let redis: Redis;
  let other: Redis;
  before(() => {
    redis = testRedis();
    other = testRedis();
  });

  test("concurrent updates from two replicas are serialised: nothing lost, the posterior equals the sequential one in the order applied", async () => {
    const a = new PropensityModel(redis);
    const b = new PropensityModel(other);
    const features = (i: number): string[] => [`segment=${["A", "B", "C"][i % 3]}`, `age=${i % 6}`, `tag:TEL_DATA_HEAVY=${i % 2}`, `family=${i % 4}`, `circle=${i % 3}`, `arpu=${i % 5}`, `dataSat=${i % 5}`];
    const N = 150;
    const applied: Array<{ seq: number; i: number }> = [];
    const race = async (model: PropensityModel, from: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: N }, async (_, k) => {
          const i = from + k;
          const seq = await model.learn(`DRACE${i}`, "OFRACE", "RACE", features(i), i % 4 === 0);
          assert.ok(seq !== null, "learned once");
          applied.push({ seq, i });
        }),
      );
    };
    await Promise.all([race(a, 0), race(b, N)]);
    const race1 = await redis.hgetall(keys.model("kind:RACE"));
    assert.equal(Number(race1.n), 2 * N, "every update counted");
    assert.deepEqual(new Set(applied.map((x) => x.seq)).size, 2 * N, "each applied at its own place in the order");
    // A repeated answer is not learned again.
    assert.equal(await a.learn("DRACE0", "OFRACE", "RACE", features(0), true), null);

    // The same updates one by one, in the order Redis applied them, into models of their own.
    const sequential = new PropensityModel(redis);
    for (const { i } of [...applied].sort((x, y) => x.seq - y.seq)) await sequential.learn(`DSEQ${i}`, "OFSEQ", "SEQ", features(i), i % 4 === 0);
    const [kindRace, kindSeq, offerRace, offerSeq] = await Promise.all([
      redis.hgetall(keys.model("kind:RACE")),
      redis.hgetall(keys.model("kind:SEQ")),
      redis.hgetall(keys.model("OFRACE")),
      redis.hgetall(keys.model("OFSEQ")),
    ]);
    assert.deepEqual(kindRace, kindSeq);
    assert.deepEqual(offerRace, offerSeq);
    // The snapshot each process keeps holds what Redis holds.
    const snap = (await a.models()).get("kind:RACE");
    const fresh = (await new PropensityModel(redis).models()).get("kind:RACE");
    assert.deepEqual(fresh?.weights.get("bias"), snap?.weights.get("bias") ?? fresh?.weights.get("bias"));
  });
});

describe("warm start", () => {
  let gw: TestGateway;
  let history: string[] = [];
  before(async () => {
    gw = await startTestGateway();
    // The suites above taught this process's model (one key prefix per test process): the warm start needs it empty.
    await gw.app.services.decisioning.propensity.reset();
  });
  after(async () => {
    if (history.length > 0) await gw.app.services.graph.session().write("MATCH (k:Contact) WHERE k.id IN $ids DELETE k", { ids: history });
  });

  test("a model warm-started from history ranks the historically accepted kind first; once across replicas", async () => {
    const services = gw.app.services;
    const { decisioning } = services;
    const products = await services.reference.products();
    const [probe = "", ...others] = await freshIds(41);
    const blank = await decisioning.rank(createContext(services), probe, "APP");
    const kindOf = (productId: string): string => products.get(productId)?.kind ?? "?";
    const byPropensity = [...blank.ranked].sort((x, y) => y.estimate.propensity - x.estimate.propensity);
    const top = byPropensity[0];
    const low = byPropensity.filter((c) => kindOf(c.offer.productId) !== kindOf(top?.offer.productId ?? "")).at(-1);
    assert.ok(top && low, "the probe has candidates of two kinds");
    // History: 40 other customers all accepted the kind the blank model ranks lowest, and all declined the top one.
    history = others.flatMap((id, i) => [`KWARM${i}A`, `KWARM${i}D`]);
    await services.graph.session().write(
      `UNWIND $rows AS r
       CREATE (:Contact {id: r.id, customerId: r.customerId, kind: 'OFFER_RESPONSE', productId: r.productId, outcome: r.outcome, at: datetime() - duration({days: 30}), channel: 'APP'})`,
      {
        rows: others.flatMap((customerId, i) => [
          { id: `KWARM${i}A`, customerId, productId: low.offer.productId, outcome: "ACCEPTED" },
          { id: `KWARM${i}D`, customerId, productId: top.offer.productId, outcome: "DECLINED" },
        ]),
      },
    );
    const report = await decisioning.warmStart(services.graph.session(), silent, { only: others });
    assert.equal(report.skipped, null);
    // Their own seeded trajectories count too (fresh customers are the seed's, with contacts).
    assert.ok(report.learned >= 80, `learned ${report.learned}`);
    // A second replica (or a restart) does not replay it.
    assert.equal((await decisioning.warmStart(services.graph.session(), silent, { only: others })).skipped, "done before");

    const warm = await decisioning.rank(createContext(services), probe, "APP");
    const first = [...warm.ranked].sort((x, y) => y.estimate.propensity - x.estimate.propensity)[0];
    assert.equal(kindOf(first?.offer.productId ?? ""), kindOf(low.offer.productId), "the kind the history accepted comes first");
    const lowNow = warm.ranked.find((c) => c.offer.id === low.offer.id);
    const topNow = warm.ranked.find((c) => c.offer.id === top.offer.id);
    assert.ok(lowNow && topNow && lowNow.estimate.propensity > topNow.estimate.propensity);
    assert.ok(lowNow.estimate.kindEvidence >= 40);
    assert.equal(lowNow.estimate.evidence, 0, "history teaches the kind, not the offer");
  });
});
