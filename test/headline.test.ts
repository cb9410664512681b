import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LIFECYCLE_STAGE_LABELS, VALUE_TIER_LABELS } from "../src/domain/labels";
import { LIFECYCLE_STAGES, VALUE_TIERS } from "../src/domain/vocabulary";
import { headline } from "../src/realtime/event-processor";

/** The desk headline: the line an agent reads first when a call connects. */

const caller = {
  name: "王**",
  msisdn: "13800138001",
  valueTier: "MEDIUM",
  arpu: 68.4,
  lifecycleStage: "MATURE",
  dataUsedMb: 4_300,
  dataQuotaMb: 10_240,
} as const;

describe("desk headline", () => {
  test("names the value tier and stage in the agent's words, not the enum's", () => {
    assert.equal(headline(caller), "王** · 138****8001 · 中价值客户 · ARPU ¥68 · 成熟期 · 流量已用 42%");
    assert.ok(!headline(caller).includes("MEDIUM"));
  });

  test("every value tier and lifecycle stage has a label of its own", () => {
    for (const valueTier of VALUE_TIERS) {
      const line = headline({ ...caller, valueTier });
      assert.ok(line.includes(` · ${VALUE_TIER_LABELS[valueTier]}客户 · `), line);
      assert.ok(!line.includes(valueTier), line);
    }
    for (const lifecycleStage of LIFECYCLE_STAGES) {
      assert.ok(headline({ ...caller, lifecycleStage }).includes(` · ${LIFECYCLE_STAGE_LABELS[lifecycleStage]} · `));
    }
    assert.equal(new Set(Object.values(VALUE_TIER_LABELS)).size, VALUE_TIERS.length);
    assert.equal(new Set(Object.values(LIFECYCLE_STAGE_LABELS)).size, LIFECYCLE_STAGES.length);
  });

  test("leaves out the data usage when the plan has no data quota", () => {
    assert.equal(headline({ ...caller, dataQuotaMb: 0 }), "王** · 138****8001 · 中价值客户 · ARPU ¥68 · 成熟期");
  });
});
