import type { LifecycleStage, ValueTier } from "./vocabulary";

/**
 * The Chinese words front lines read for the value tiers and lifecycle stages: the desk headline
 * and the tag library's category values use the same ones. Keyed by the enums, so a tier or stage
 * added, renamed or removed in vocabulary.ts fails to compile here instead of showing as "MEDIUM客户".
 */
export const VALUE_TIER_LABELS: Readonly<Record<ValueTier, string>> = {
  LOW: "低价值",
  MEDIUM: "中价值",
  HIGH: "高价值",
  PREMIUM: "顶级价值",
};

/** Lifecycle stages as the tag library defines them (VAL_LIFECYCLE: 新入网期：在网≤6个月；…). */
export const LIFECYCLE_STAGE_LABELS: Readonly<Record<LifecycleStage, string>> = {
  NEW: "新入网期",
  GROWTH: "成长期",
  MATURE: "成熟期",
  DECLINE: "衰退期",
  CHURN_RISK: "流失预警期",
};
