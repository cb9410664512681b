import type { AttributeValue } from "../../src/domain/attributes";
import type { SegmentSubject } from "../../src/segments/attributes";

/** A hand-made segment subject: only what a test names, everything else missing. */
export function subject(opts: {
  attributes?: Record<string, AttributeValue>;
  tags?: Record<string, { value?: string; score?: number }>;
  kinds?: string[];
  codes?: string[];
}): SegmentSubject {
  return {
    attributes: opts.attributes ?? {},
    tags: new Map(Object.entries(opts.tags ?? {}).map(([code, t]) => [code, { value: t.value ?? "true", score: t.score ?? 1 }])),
    heldKinds: new Set(opts.kinds ?? []),
    heldCodes: new Set(opts.codes ?? []),
  };
}

/** A heavy-data family customer at churn risk who carries three tags and holds a 5G plan. */
export const heavy = subject({
  attributes: { arpu: 128, segment: "FAMILY", lifecycleStage: "CHURN_RISK", age: 30, doNotDisturb: false, familyMember: null, dndList: null, dataUsedMb: 5000, dataQuotaMb: 4096 },
  tags: { TEL_DATA_HEAVY: {}, BAS_AGE_BAND: { value: "25-34岁" }, VAL_CHURN_SCORE: { value: "0.72", score: 0.72 } },
  kinds: ["PLAN"],
  codes: ["5G-PLAN-128"],
});
