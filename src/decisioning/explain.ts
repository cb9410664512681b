import type { ProductRecord } from "../graph/records";
import type { Candidate } from "./candidates";
import type { PropensityEstimate } from "./propensity";
import { describeTrigger } from "./trigger-match";

/** What kind of fact a reason states, so screens can style or filter them. */
export const REASON_KINDS = ["STRATEGY", "SEGMENT", "GRAPH", "UPGRADE_PATH", "MODEL", "SCORE", "CONTEXT", "CONTROL_GROUP", "TRIGGER", "STORY", "ADVICE"] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];

export interface Reason {
  kind: ReasonKind;
  text: string;
}

export interface ScoreParts {
  score: number;
  propensity: number;
  value: number;
  priority: number;
  relevance: number;
}

const SATURATION_LABELS = ["50%以下", "50-80%", "80-100%", "100-110%", "110-120%", "120-130%", "130-140%", "140%以上"];

const ATTRIBUTE_LABELS: Record<string, (v: string) => string> = {
  segment: (v) => `市场类型 ${v}`,
  lifecycle: (v) => `生命周期 ${v}`,
  age: (v) => `年龄段 ${["25岁以下", "25-29岁", "30-34岁", "35-44岁", "45-49岁", "50-54岁", "55-64岁", "65岁及以上"][Number(v)] ?? v}`,
  tenure: (v) => `网龄 ${["1年以下", "1-3年", "3-7年", "7年以上"][Number(v)] ?? v}`,
  arpu: (v) => `ARPU ${["40元以下", "40-80元", "80-130元", "130-200元", "200元以上"][Number(v)] ?? v}`,
  network: (v) => `${v} 网络`,
  dataSat: (v) => `近三月流量饱和度 ${SATURATION_LABELS[Number(v)] ?? v}`,
  voiceSat: (v) => `近三月语音饱和度 ${SATURATION_LABELS[Number(v)] ?? v}`,
  terminalAge: (v) => `终端使用 ${["1年以内", "1-2年", "2-3年", "3-4年", "4-5年", "5年以上"][Number(v)] ?? v}`,
  roaming: (v) => `近三月漫游 ${["0天", "1-3天", "4-9天", "10-19天", "20-39天", "40天以上"][Number(v)] ?? v}`,
  dataVolume: (v) => `月均流量 ${["5GB以下", "5-10GB", "10-20GB", "20-40GB", "40GB以上"][Number(v)] ?? v}`,
  family: (v) => `家庭成员持有情况 ${["无人持有", "少数持有", "半数以上持有", "全部持有"][Number(v)] ?? v}`,
  circle: (v) => `通话圈持有 ${["0人", "1人", "2人及以上"][Number(v)] ?? v}`,
};

/** A model feature ("tag:LIF_LONG_VIDEO=1", "dataSat=3") in words; `tagName` maps tag codes to names. */
export function describeFeature(feature: string, tagName: (code: string) => string | undefined): string {
  const [name = "", value = ""] = feature.split("=");
  if (name.startsWith("holds:")) return `已持有${name.slice(6)}类产品`;
  if (name.startsWith("tag:")) {
    const code = name.slice(4);
    return `${value === "1" ? "" : "无"}标签「${tagName(code) ?? code}」`;
  }
  return ATTRIBUTE_LABELS[name]?.(value) ?? feature;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/**
 * The reasons of one decision, in the order an agent reads them: the event that fired it (for a
 * push), which strategy and why the customer is in its segment, what the graph shows, how likely the customer is to accept and why,
 * and how the score was made.
 */
export function explain(input: {
  candidate: Candidate;
  parts: ScoreParts;
  estimate: PropensityEstimate;
  /** The propensity Thompson sampling drew for this decision, when it explored. */
  sampled?: number | undefined;
  products: ReadonlyMap<string, ProductRecord>;
  familySize: number;
  tagName: (code: string) => string | undefined;
  contextKinds: readonly string[];
  controlGroup: boolean;
}): Reason[] {
  const { candidate: c, parts, estimate, products } = input;
  const product = products.get(c.offer.productId);
  const productName = product?.name ?? c.offer.name;
  const reasons: Reason[] = [];
  if (c.trigger) reasons.push({ kind: "TRIGGER", text: describeTrigger(c.trigger) });
  if (c.strategy) {
    const s = c.strategy;
    reasons.push({
      kind: "STRATEGY",
      text: `策略 ${s.code}「${s.name}」（${s.businessLine} · ${s.scenario}${s.lifecycleStage ? ` · ${s.lifecycleStage}` : ""}，优先级 ${s.priority}）`,
    });
    reasons.push({
      kind: "SEGMENT",
      text: `属于目标客群「${s.segment.name}」${c.segmentBecause.length > 0 ? `：${c.segmentBecause.join("，")}` : ""}`,
    });
  }
  if (c.familyHolders > 0) {
    reasons.push({ kind: "GRAPH", text: `${input.familySize} 位家庭成员中有 ${c.familyHolders} 位已办理${productName}` });
  }
  if (c.circleHolders > 0) {
    reasons.push({ kind: "GRAPH", text: `通话圈中有 ${c.circleHolders} 位联系人已办理${productName}` });
  }
  if (c.upgradeFromProductId) {
    const from = products.get(c.upgradeFromProductId);
    reasons.push({ kind: "UPGRADE_PATH", text: `当前持有的${from?.name ?? c.upgradeFromProductId}可升级为${productName}` });
  }
  if (c.modelProposed) {
    reasons.push({ kind: "MODEL", text: `模型推荐（客户→产品）：同类产品已学习 ${estimate.kindEvidence} 次响应，该客户接受${productName}的概率较高` });
  }
  if (product && input.contextKinds.includes(product.kind)) {
    reasons.push({ kind: "CONTEXT", text: `与当前场景相关（${product.kind}），相关度 ×${parts.relevance}` });
  }
  if (estimate.evidence === 0 && estimate.kindEvidence === 0) {
    reasons.push({ kind: "MODEL", text: `该offer尚无响应数据，采用先验倾向 ${round(estimate.prior * 100, 1)}%（基础响应率 ${round(c.offer.basePropensity * 100, 1)}%，结合客群与关系网络）` });
  } else {
    const drivers = estimate.drivers.map((d) => `${describeFeature(d.feature, input.tagName)}（×${round(d.factor, 1)}）`);
    reasons.push({
      kind: "MODEL",
      text: `自适应模型已学习该offer ${estimate.evidence} 次响应、同类产品 ${estimate.kindEvidence} 次响应，预测接受概率 ${round(parts.propensity * 100, 1)}%${drivers.length > 0 ? `；主要促成因素：${drivers.join("、")}` : ""}`,
    });
  }
  if (input.sampled !== undefined && estimate.kindEvidence > 0) {
    const sd = Math.sqrt(estimate.belief.variance);
    reasons.push({
      kind: "MODEL",
      text: `探索排序：按模型不确定性（概率单位标准差 ${round(sd, 2)}）抽样的倾向 ${round(input.sampled * 100, 1)}% 参与排序，以便学习不确定的offer；得分仍按预测倾向计算`,
    });
  }
  reasons.push({
    kind: "SCORE",
    text: `得分 ${round(parts.score, 3)} = 倾向 ${round(parts.propensity, 4)} × 价值 ${parts.value} 元 × 优先级 ${round(parts.priority, 2)} × 场景相关度 ${parts.relevance}`,
  });
  if (input.controlGroup) {
    reasons.push({ kind: "CONTROL_GROUP", text: `客户属于该策略的对照组（${round((c.strategy?.controlShare ?? 0) * 100, 1)}%），本次只决策不触达，用于测算增量` });
  }
  return reasons;
}
