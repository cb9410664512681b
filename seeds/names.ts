/**
 * Chinese display text for the synthetic data set: people's names, enterprise names and the
 * one-sentence contact summaries front lines read in a trajectory.
 */
import type { ProductNode } from "../src/graph/model";
import type { ChannelCode, ResponseOutcome } from "../src/domain/vocabulary";
import { WeightedTable, type Rng } from "./random";

/** Surnames weighted roughly as in Zhejiang (陈, 王, 张, 李, 吴, 徐 … lead). */
const SURNAMES = new WeightedTable(
  ["陈", "王", "张", "李", "吴", "徐", "林", "周", "金", "黄", "朱", "方", "沈", "杨", "赵", "郑", "叶", "胡", "何", "孙", "钱", "蒋", "应", "潘", "俞", "楼", "陆", "严", "姚", "邵", "汪", "丁", "蔡", "宋", "毛", "郭", "许", "戴", "夏", "屠", "鲍", "傅", "童", "章", "卢", "马", "高", "刘"],
  [8, 7, 5, 5, 4, 4, 3.5, 3.5, 2.5, 2.5, 2.5, 2, 2, 2, 1.5, 2, 2, 2, 1.5, 1.5, 1.2, 1.2, 1, 1.2, 1.2, 0.8, 1, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 1, 0.7, 0.7, 0.4, 0.4, 0.7, 0.5, 0.8, 0.7, 0.8, 0.8, 2],
);

// Given-name characters change with the generation: 建国 and 秀英 for elders, 浩宇 and 梓涵 for the young.
const GIVEN = {
  oldM: ["建", "国", "明", "华", "军", "平", "伟", "强", "林", "海", "忠", "德", "福", "荣", "春", "文", "志", "永", "庆", "立", "根", "发", "良", "祥"],
  oldF: ["秀", "英", "兰", "芳", "珍", "凤", "玉", "红", "梅", "霞", "美", "娟", "桂", "丽", "琴", "萍", "敏", "燕", "云", "丹", "月", "素", "菊", "彩"],
  youngM: ["浩", "宇", "轩", "子", "俊", "博", "文", "涛", "杰", "鹏", "睿", "昊", "泽", "一", "然", "晨", "铭", "航", "凯", "辰", "嘉", "豪", "宁", "逸", "天", "磊", "超", "斌"],
  youngF: ["欣", "怡", "婷", "雨", "梓", "涵", "佳", "琪", "思", "萱", "诗", "悦", "可", "馨", "彤", "雪", "晴", "瑶", "妍", "子", "一", "语", "若", "雅", "静", "琳", "璐", "颖"],
} as const;

/** A surname. */
export function surname(rng: Rng): string {
  return rng.fromTable(SURNAMES);
}

/** A one- or two-character given name fitting the person's gender and age. */
export function givenName(rng: Rng, gender: "F" | "M", age: number): string {
  const pool = age >= 50 ? (gender === "M" ? GIVEN.oldM : GIVEN.oldF) : gender === "M" ? GIVEN.youngM : GIVEN.youngF;
  const first = rng.pick(pool);
  if (rng.chance(0.35)) return first;
  let second = rng.pick(pool);
  if (second === first && rng.chance(0.7)) second = rng.pick(pool);
  return first + second;
}

const FIRMS = ["华信", "恒达", "云帆", "新禾", "博远", "天成", "中力", "瑞丰", "众合", "启明", "海纳", "金诚", "鼎盛", "宏图", "卓越", "德邦", "嘉和", "远洋", "星河", "万向", "正浩", "东方", "富春", "钱塘", "明阳", "汇通", "弘毅", "锦程"];
const INDUSTRIES = ["科技", "电子", "物流", "建设", "纺织", "医药", "贸易", "机械", "食品", "教育科技", "信息技术", "智能装备", "文化传媒", "汽车零部件", "新材料", "电商"];

/** A company name such as 杭州云帆信息技术有限公司. */
export function enterpriseName(rng: Rng, cityName: string): string {
  const city = cityName.replace(/市$/, "");
  const suffix = rng.chance(0.8) ? "有限公司" : "股份有限公司";
  return `${city}${rng.pick(FIRMS)}${rng.pick(INDUSTRIES)}${suffix}`;
}

/** The V-net of an enterprise: 杭州云帆信息技术有限公司 → 杭州云帆信息技术集团V网. */
export function vnetName(enterprise: string): string {
  return `${enterprise.replace(/(股份)?有限公司$/, "")}集团V网`;
}

// ───────────────────────────── contact summaries ─────────────────────────────

/** How a product is priced, in words: 月费20元, 一次性5元. */
export function priceText(p: ProductNode): string {
  if (p.monthlyFee > 0) return `月费${p.monthlyFee}元`;
  if (p.oneOffPrice > 0) return p.kind === "HANDSET" ? `售价${p.oneOffPrice}元` : `${p.oneOffPrice}元`;
  return "免费";
}

const CONSULT_PLAIN = [
  "咨询本月话费账单明细",
  "查询积分余额及兑换规则",
  "咨询5G网络覆盖范围",
  "咨询停机保号办理条件",
  "查询上月话费扣费详情",
  "咨询实名认证及补卡流程",
  "咨询携号转网相关政策",
  "查询话费余额及缴费记录",
] as const;

/** A consultation without a product. */
export function consultPlain(rng: Rng): string {
  return rng.pick(CONSULT_PLAIN);
}

/** A consultation about a product the customer holds. */
export function consultHeld(rng: Rng, p: ProductNode): string {
  switch (p.kind) {
    case "PLAN":
    case "FAMILY_PLAN":
      return rng.pick([`咨询${p.name}包含的流量和通话`, `查询本月剩余流量，当前套餐为${p.name}`, `咨询更换套餐的生效规则，当前为${p.name}`]);
    case "BROADBAND":
      return rng.pick([`咨询${p.name}报修进度`, `咨询${p.name}续费及到期时间`]);
    case "IPTV":
      return `咨询${p.name}节目单及回看功能`;
    case "HANDSET":
      return `咨询${p.name}合约期剩余时间`;
    default:
      return `查询${p.name}的使用情况`;
  }
}

/** A consultation about a product the customer does not hold (interest). */
export function consultInterest(p: ProductNode): string {
  return `咨询${p.name}资费及办理条件（${priceText(p)}）`;
}

/** A business handled: ordering or changing to a product. */
export function handlingOrder(p: ProductNode, newCustomer: boolean): string {
  if (p.kind === "PLAN" || p.kind === "FAMILY_PLAN") return newCustomer ? `新入网办理${p.name}` : `变更主套餐为${p.name}`;
  if (p.kind === "HANDSET") return `合约购机：${p.name}，承诺在网24个月`;
  if (p.kind === "BROADBAND") return `新装${p.name}，预约上门安装`;
  return `办理${p.name}（${priceText(p)}）`;
}

const HANDLING_PLAIN = ["话费充值50元", "话费充值100元", "话费充值200元", "补换SIM卡", "修改服务密码", "开具电子发票", "办理停机保号", "更新实名登记信息"] as const;

/** A business handled without a product. */
export function handlingPlain(rng: Rng): string {
  return rng.pick(HANDLING_PLAIN);
}

/** A cancellation of a product the customer no longer holds. */
export function handlingCancel(p: ProductNode): string {
  return `退订${p.name}`;
}

const COMPLAINT_PLAIN = ["投诉家中信号弱、通话断续", "投诉营销短信过多", "投诉营业厅办理业务排队时间长", "投诉话费账单与实际使用不符", "投诉地下车库无信号"] as const;

/** A complaint, about a held product when given one. */
export function complaint(rng: Rng, p: ProductNode | null): string {
  if (!p) return rng.pick(COMPLAINT_PLAIN);
  switch (p.kind) {
    case "BROADBAND":
      return rng.pick([`投诉${p.name}网速慢、频繁掉线`, `投诉${p.name}报修后上门不及时`]);
    case "IPTV":
      return `投诉${p.name}播放卡顿`;
    case "PLAN":
    case "FAMILY_PLAN":
      return rng.pick([`投诉本月流量超套费用过高（${p.name}）`, `投诉${p.name}套餐内容与宣传不符`]);
    default:
      return `投诉${p.name}扣费有异议`;
  }
}

const PRESENT_TEMPLATES: Record<ChannelCode, (p: ProductNode) => string> = {
  SMS: (p) => `短信推荐${p.name}（${priceText(p)}），回复1办理`,
  OUTBOUND_CALL: (p) => `外呼推荐${p.name}（${priceText(p)}）`,
  APP: (p) => `APP首页营销位展示${p.name}`,
  WECHAT: (p) => `微信公众号推送${p.name}优惠`,
  HOTLINE: (p) => `热线坐席在来电中推荐${p.name}`,
  STORE: (p) => `营业厅前台推荐${p.name}`,
  WEB: (p) => `网上营业厅弹窗推荐${p.name}`,
};

/** An offer shown on a channel. */
export function offerPresented(channel: ChannelCode, p: ProductNode): string {
  return PRESENT_TEMPLATES[channel](p);
}

/** The customer's answer to an offer. */
export function offerResponse(outcome: ResponseOutcome, p: ProductNode): string {
  switch (outcome) {
    case "ACCEPTED":
      return `客户接受推荐，成功办理${p.name}`;
    case "DECLINED":
      return `客户明确拒绝${p.name}推荐`;
    case "IGNORED":
      return `客户未回应${p.name}推荐`;
    case "CLICKED":
      return `客户点击查看${p.name}详情，暂未办理`;
  }
}
