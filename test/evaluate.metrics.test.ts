import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PolicyTally } from "../bench/evaluate/metrics";
import { acceptanceProbability, sampleOutcome } from "../bench/evaluate/simulator";
import { rngFor } from "../seeds/random";

// The evaluation's arithmetic (npm run evaluate): if these drift, the printed quality figures lie.
describe("evaluation metrics", () => {
  test("the simulator: P(accept) = 0.6 · affinity², clamped, and sampled outcomes follow it", () => {
    assert.equal(acceptanceProbability(0), 0);
    assert.equal(acceptanceProbability(0.5), 0.15);
    assert.equal(acceptanceProbability(1), 0.6);
    assert.equal(acceptanceProbability(1.7), 0.6);
    const rng = rngFor(1, 2, 3);
    let accepted = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (sampleOutcome(rng, 0.8) === "ACCEPTED") accepted += 1;
    assert.ok(Math.abs(accepted / n - 0.384) < 0.015, `sampled ${accepted / n}, expected about 0.384`);
  });

  test("acceptance rate, hit rate, accepts and value per customer, offer mix", () => {
    const tally = new PolicyTally();
    tally.add(
      [
        { offerId: "A", probability: 0.2, value: 100 },
        { offerId: "B", probability: 0.1, value: 50 },
      ],
      0.2,
    );
    tally.add([{ offerId: "A", probability: 0.3, value: 100 }], 0.4);
    const m = tally.summary();
    assert.equal(m.customers, 2);
    assert.equal(m.offers, 3);
    assert.ok(Math.abs(m.acceptanceRate - 0.2) < 1e-12, "(0.2 + 0.1 + 0.3) / 3");
    assert.equal(m.hitRate, 0.5, "the first customer saw their best offer, the second did not");
    assert.ok(Math.abs(m.acceptsPerCustomer - 0.3) < 1e-12, "0.6 expected acceptances over 2 customers");
    assert.ok(Math.abs(m.valuePerCustomer - (20 + 5 + 30) / 2) < 1e-9);
    assert.equal(m.offerMix[0]?.offerId, "A");
    assert.ok(Math.abs((m.offerMix[0]?.share ?? 0) - 2 / 3) < 1e-12);
    assert.ok(Math.abs((m.offerMix[0]?.acceptanceRate ?? 0) - 0.25) < 1e-12);
  });
});
