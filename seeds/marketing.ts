/**
 * The operator's standing marketing set-up: target segments, offers with a creative per channel,
 * and the strategies of the strategy cube (business line × scenario × lifecycle stage) that tie
 * them together. Seeded once; operators change them through the strategy mutations afterwards,
 * so a re-seed creates what is missing and never overwrites their edits.
 */
import type { OfferNode, SegmentNode, StrategyNode } from "../src/graph/model";
import type { ChannelCode, LifecycleStage } from "../src/domain/vocabulary";
import { DEFAULT_TRIGGER_MAX_DELAY_SECONDS, type OfferWrite, type SegmentWrite, type StrategyTrigger, type StrategyWrite } from "../src/graph/marketing";
import type { EventType } from "../src/domain/events";
import { productByCode } from "./catalogue";

export type SeedSegment = Omit<SegmentNode, "updatedAt">;

export interface SeedOffer extends Omit<OfferNode, "updatedAt" | "creatives" | "validFrom"> {
  creatives: Partial<Record<ChannelCode, string>>;
}

export interface SeedStrategy extends Omit<StrategyNode, "updatedAt" | "validFrom" | "triggerEventType" | "triggerCondition" | "triggerMaxDelaySeconds"> {
  segmentId: string;
  offerIds: string[];
  channels: ChannelCode[];
  trigger: StrategyTrigger | null;
}

export const SEGMENTS: readonly SeedSegment[] = [
  { id: "SG01", code: "CHURN_RISK", name: "流失预警客户", expression: `lifecycleStage = "CHURN_RISK" OR score(VAL_CHURN_SCORE) >= 0.6` },
  { id: "SG02", code: "DATA_HEAVY", name: "流量高饱和客户", expression: `TEL_DATA_SAT_HIGH OR TEL_DATA_OVER OR TEL_DATA_HEAVY` },
  { id: "SG03", code: "FIVE_G_READY", name: "5G迁转潜客", expression: `TEL_4GPLAN_5GTERM OR TEL_5G_PROPENSITY` },
  { id: "SG04", code: "FAMILY_NO_FAMILY_PLAN", name: "未办全家享的家庭", expression: `(FAM_SIZE OR FAM_HEAD OR FAM_KIDS) AND NOT holds(FAMILY_PLAN)` },
  { id: "SG05", code: "HOUSEHOLD_NO_BROADBAND", name: "无宽带家庭", expression: `FAM_BB_PROSPECT OR (NOT holds(BROADBAND) AND (FAM_HEAD OR segment = "FAMILY"))` },
  { id: "SG06", code: "BROADBAND_NO_IPTV", name: "宽带未开魔百和", expression: `holds(BROADBAND) AND NOT holds(IPTV)` },
  { id: "SG07", code: "TRAVELLERS", name: "差旅及漫游客户", expression: `TEL_ROAM_INTL OR TEL_ROAM_FREQ OR LIF_AIRPORT OR LIF_TRAVELLER OR roamingDays3m >= 3` },
  { id: "SG08", code: "CONTENT_FANS", name: "内容爱好者", expression: `LIF_LONG_VIDEO OR LIF_MUSIC OR LIF_READING OR LIF_CONTENT_PROPENSITY` },
  { id: "SG09", code: "OLD_TERMINAL", name: "换机潜客", expression: `TEL_TERM_OLD OR terminalAgeMonths >= 30` },
  { id: "SG10", code: "ON_THE_GO", name: "通勤及游戏人群", expression: `LIF_COMMUTER OR LIF_GAMING OR LIF_SHORT_VIDEO` },
  { id: "SG11", code: "VOICE_HEAVY", name: "语音高饱和客户", expression: `TEL_VOICE_HEAVY OR TEL_VOICE_OVER` },
  { id: "SG12", code: "NEW_CUSTOMERS", name: "新入网客户", expression: `lifecycleStage = "NEW"` },
  // Event-triggered strategies target everyone and let their trigger condition carry the rule.
  { id: "SG13", code: "EVERYONE", name: "全部客户", expression: `ALL` },
];

/** A creative per channel from one pitch: SMS and app text for pushes, a script where a person speaks. */
function creatives(name: string, pitch: string): Partial<Record<ChannelCode, string>> {
  return {
    SMS: `【中国移动】${pitch}回复“办理”即可订购${name}。拒收请回复R`,
    APP: `${name}｜${pitch}`,
    WECHAT: `${name}：${pitch}点击了解详情`,
    WEB: `${name}：${pitch}`,
    HOTLINE: `您好，根据您的使用情况，为您推荐${name}。${pitch}需要我现在为您办理吗？`,
    OUTBOUND_CALL: `您好，这里是中国移动客服。${pitch}为您推荐${name}，现在办理即可生效，您看可以吗？`,
    STORE: `为客户推荐${name}：${pitch}`,
  };
}

function offer(id: string, code: string, productCode: string, name: string, pitch: string, value: number, basePropensity: number, extra: Partial<SeedOffer> = {}): SeedOffer {
  return {
    id,
    code,
    name,
    productId: productByCode(productCode).id,
    creatives: creatives(name, pitch),
    validUntil: null,
    regionIds: [],
    value,
    priority: 1,
    basePropensity,
    status: "ACTIVE",
    ...extra,
  };
}

/** Values are the expected margin over the offer's horizon in yuan, kept within one order of magnitude so propensity decides. */
export const OFFERS: readonly SeedOffer[] = [
  offer("OF01", "OFF-RET-DATA-10GB", "DATA-ADDON-10GB", "挽留专享10GB流量包", "老客户专享，每月20元得10GB，首三月半价。", 90, 0.06, { priority: 1.2 }),
  offer("OF02", "OFF-RET-VOICE-300", "VOICE-ADDON-300", "挽留专享300分钟语音包", "每月20元加300分钟通话，首三月半价。", 70, 0.04),
  offer("OF03", "OFF-RET-MIGU-VIDEO", "CNT-MIGU-VIDEO", "咪咕视频会员三个月免费", "在网承诺12个月，赠咪咕视频钻石会员三个月。", 60, 0.05),
  offer("OF04", "OFF-DATA-5GB", "DATA-ADDON-5GB", "5GB流量包", "每月10元叠加5GB流量，告别超额费用。", 60, 0.05),
  offer("OF05", "OFF-DATA-10GB", "DATA-ADDON-10GB", "10GB流量包", "每月20元叠加10GB流量。", 80, 0.04),
  offer("OF06", "OFF-DATA-20GB", "DATA-ADDON-20GB", "20GB流量包", "每月30元叠加20GB流量，重度用户首选。", 100, 0.03),
  offer("OF07", "OFF-DATA-5G-40GB", "DATA-ADDON-5G-40GB", "5G加速包", "每月50元享40GB 5G流量，速率优先。", 120, 0.02),
  offer("OF08", "OFF-PLAN-5G-58", "5G-PLAN-58", "5G畅享58元套餐", "同价升级5G，流量20GB、通话150分钟。", 100, 0.03),
  offer("OF09", "OFF-PLAN-5G-78", "5G-PLAN-78", "5G畅享78元套餐", "流量25GB、通话200分钟，5G网速。", 120, 0.03),
  offer("OF10", "OFF-PLAN-5G-98", "5G-PLAN-98", "5G智享98元套餐", "流量30GB、通话300分钟，5G优先。", 130, 0.025),
  offer("OF11", "OFF-PLAN-5G-128", "5G-PLAN-128", "5G智享128元套餐", "流量40GB、通话500分钟。", 140, 0.02),
  offer("OF12", "OFF-PLAN-5G-158", "5G-PLAN-158", "5G智享158元套餐", "流量60GB、通话700分钟。", 150, 0.015),
  offer("OF13", "OFF-PLAN-4G-58", "4G-PLAN-58", "4G畅享58元套餐", "流量20GB、通话200分钟，性价比之选。", 80, 0.03),
  offer("OF14", "OFF-PLAN-4G-88", "4G-PLAN-88", "4G畅享88元套餐", "流量30GB、通话500分钟。", 90, 0.025),
  offer("OF15", "OFF-FAMILY-128", "FAMILY-PLAN-128", "全家享128元套餐", "主副卡共享40GB，家人通话免费。", 180, 0.03),
  offer("OF16", "OFF-FAMILY-169", "FAMILY-PLAN-169", "全家享169元套餐", "5G全家共享60GB，含宽带优惠资格。", 200, 0.025),
  offer("OF17", "OFF-FAMILY-239", "FAMILY-PLAN-239", "全家享239元套餐", "5G全家共享100GB，赠魔百和基础包。", 220, 0.015),
  offer("OF18", "OFF-BB-300M", "BB-300M", "300M宽带新装", "每月50元，含智能组网路由器，免费上门安装。", 180, 0.03),
  offer("OF19", "OFF-BB-1000M", "BB-1000M", "千兆宽带新装", "千兆光宽带含FTTR全屋组网，每月100元。", 200, 0.015),
  offer("OF20", "OFF-BB-100M", "BB-100M", "100M宽带新装", "每月30元，绑定手机号即可安装。", 120, 0.03),
  offer("OF21", "OFF-IPTV-BASIC", "IPTV-BASIC", "魔百和基础包", "每月20元，央视卫视直播与回看。", 80, 0.04),
  offer("OF22", "OFF-IPTV-4K", "IPTV-4K", "魔百和4K影视包", "每月35元，4K超清院线大片。", 100, 0.025),
  offer("OF23", "OFF-ROAM-HKMO", "ROAM-HKMO-DAY", "港澳台日租包", "25元/天畅享3GB，出行更安心。", 40, 0.05),
  offer("OF24", "OFF-ROAM-ASIA", "ROAM-ASIA-7D", "亚洲7天漫游包", "98元7天10GB，日韩新马泰通用。", 70, 0.04),
  offer("OF25", "OFF-ROAM-GLOBAL", "ROAM-GLOBAL-30D", "全球30天漫游包", "298元30天20GB，80余个国家地区通用。", 120, 0.02),
  offer("OF26", "OFF-CNT-MIGU-VIDEO", "CNT-MIGU-VIDEO", "咪咕视频钻石会员", "每月15元，体育赛事直播与影视会员。", 60, 0.04),
  offer("OF27", "OFF-CNT-MIGU-MUSIC", "CNT-MIGU-MUSIC", "咪咕音乐白金会员", "每月10元，无损音乐与视频彩铃。", 45, 0.04),
  offer("OF28", "OFF-CNT-TENCENT", "CNT-TENCENT-VIDEO", "腾讯视频VIP权益包", "每月20元，话费直接抵扣。", 70, 0.04),
  offer("OF29", "OFF-CNT-CLOUD", "CNT-CLOUD-DRIVE", "移动云盘会员", "每月10元，200GB空间自动备份照片。", 45, 0.04),
  offer("OF30", "OFF-CNT-READ", "CNT-MIGU-READ", "咪咕阅读会员", "每月6元，百万本正版好书。", 30, 0.04),
  offer("OF31", "OFF-HS-HUAWEI", "HS-HUAWEI-MATE60", "华为Mate 60 Pro合约购机", "合约购机最高直降800元。", 150, 0.01),
  offer("OF32", "OFF-HS-XIAOMI", "HS-XIAOMI-14", "小米14合约购机", "合约购机赠话费600元。", 120, 0.015),
  offer("OF33", "OFF-HS-VIVO", "HS-VIVO-Y36", "vivo Y36 0元购", "5G大电池手机，合约购机0元起。", 90, 0.02),
  offer("OF34", "OFF-HS-HONOR", "HS-HONOR-X50", "荣耀X50合约购机", "合约购机赠话费300元。", 90, 0.02),
  offer("OF35", "OFF-HS-ELDER", "HS-ZTE-ELDER", "老人机关爱购", "大字体大音量，一键呼叫亲情号码。", 40, 0.02),
  offer("OF36", "OFF-HOURLY-3H", "HOURLY-3H", "3元3小时畅玩包", "3元享3小时2GB，追剧游戏不心疼。", 30, 0.06),
  offer("OF37", "OFF-DAY-PACK", "DAY-PACK-24H", "5元日包", "5元24小时2GB。", 35, 0.05),
  offer("OF38", "OFF-WEEK-PACK", "WEEK-PACK-7D", "15元7天周包", "15元7天10GB，出差旅游必备。", 45, 0.04),
  offer("OF39", "OFF-VOICE-100", "VOICE-ADDON-100", "100分钟语音包", "每月10元加100分钟通话。", 40, 0.04),
  offer("OF40", "OFF-VOICE-300", "VOICE-ADDON-300", "300分钟语音包", "每月20元加300分钟通话。", 60, 0.03),
  // Proposed only when a store or agent payment fires MOB-RT-PAY-001: the bonus moves the next payment online.
  offer("OF41", "OFF-RT-PAY-ONLINE", "HOURLY-3H", "线上缴费送流量", "下次在中国移动APP缴费，即送3元3小时畅玩包（2GB），缴费更省心。", 25, 0.08),
];

function strategy(
  id: string,
  code: string,
  name: string,
  businessLine: string,
  scenario: string,
  lifecycleStage: LifecycleStage | null,
  segmentId: string,
  offerIds: string[],
  channels: ChannelCode[],
  priority: number,
  description: string,
): SeedStrategy {
  return { id, code, name, businessLine, scenario, lifecycleStage, segmentId, offerIds, channels, priority, validUntil: null, controlShare: 0.1, status: "ACTIVE", description, trigger: null };
}

/**
 * An event-triggered strategy (DOMAIN, "Real-time event marketing"): scenario REALTIME, any
 * lifecycle stage, no control group (a push either goes or it does not; pushes in tests must be
 * deterministic). Uplift of triggered offers is measured by the event pipeline, not by hold-outs here.
 */
function triggered(
  id: string,
  code: string,
  name: string,
  businessLine: string,
  segmentId: string,
  trigger: { eventType: EventType; condition: string; maxDelaySeconds?: number },
  offerIds: string[],
  channels: ChannelCode[],
  priority: number,
  description: string,
): SeedStrategy {
  return {
    ...strategy(id, code, name, businessLine, "REALTIME", null, segmentId, offerIds, channels, priority, description),
    controlShare: 0,
    trigger: { eventType: trigger.eventType, condition: trigger.condition, maxDelaySeconds: trigger.maxDelaySeconds ?? DEFAULT_TRIGGER_MAX_DELAY_SECONDS },
  };
}

const ALL: ChannelCode[] = ["HOTLINE", "APP", "WEB", "SMS", "OUTBOUND_CALL", "STORE", "WECHAT"];
const SELF_AND_AGENT: ChannelCode[] = ["HOTLINE", "APP", "WEB", "STORE", "WECHAT"];

export const STRATEGIES: readonly SeedStrategy[] = [
  strategy("ST01", "MOB-RET-CHURN-001", "流失预警挽留", "MOBILE", "RETENTION", "CHURN_RISK", "SG01", ["OF01", "OF02", "OF03"], ["HOTLINE", "OUTBOUND_CALL", "STORE", "APP", "SMS"], 1.5, "流失预警客户优先外呼挽留，赠送流量、语音或权益。"),
  strategy("ST02", "MOB-UPG-HEAVY-001", "流量高饱和升档", "MOBILE", "UPGRADE", "GROWTH", "SG02", ["OF04", "OF05", "OF06", "OF07", "OF09", "OF10", "OF11", "OF12", "OF14"], ALL, 1.2, "流量饱和或超套客户推荐加装流量包或升档套餐。"),
  strategy("ST03", "MOB-UPG-5G-001", "5G迁转", "MOBILE", "UPGRADE", "MATURE", "SG03", ["OF08", "OF09", "OF10", "OF11"], ALL, 1.1, "5G终端仍用4G套餐的客户，同价或小幅加价升级5G。"),
  strategy("ST04", "FAM-XSL-PLAN-001", "全家享融合", "FAMILY", "CROSS_SELL", null, "SG04", ["OF15", "OF16", "OF17"], ALL, 1.3, "多成员家庭推荐全家享，主副卡共享。"),
  strategy("ST05", "HOM-ACQ-BB-001", "家庭宽带新装", "HOME", "ACQUISITION", null, "SG05", ["OF18", "OF19", "OF20"], ALL, 1.2, "无宽带家庭推荐移动宽带，上门安装。"),
  strategy("ST06", "HOM-XSL-IPTV-001", "魔百和加装", "HOME", "CROSS_SELL", null, "SG06", ["OF21", "OF22"], SELF_AND_AGENT.concat(["SMS"]), 1.0, "宽带客户推荐魔百和。"),
  strategy("ST07", "MOB-XSL-ROAM-001", "出行漫游", "MOBILE", "CROSS_SELL", null, "SG07", ["OF23", "OF24", "OF25", "OF38"], ALL, 1.0, "差旅及漫游客户推荐漫游包与周包。"),
  strategy("ST08", "CNT-XSL-FAN-001", "内容权益", "CONTENT", "CROSS_SELL", null, "SG08", ["OF26", "OF27", "OF28", "OF29", "OF30"], ["APP", "WEB", "WECHAT", "SMS", "HOTLINE"], 0.9, "视频、音乐、阅读爱好者推荐同类内容权益。"),
  strategy("ST09", "TRM-UPG-OLD-001", "换机焕新", "TERMINAL", "UPGRADE", "MATURE", "SG09", ["OF31", "OF32", "OF33", "OF34", "OF35"], ["STORE", "APP", "HOTLINE", "OUTBOUND_CALL", "WECHAT"], 1.0, "终端使用超过两年半的客户推荐合约购机。"),
  strategy("ST10", "MOB-XSL-HOURLY-001", "畅玩包", "MOBILE", "CROSS_SELL", "GROWTH", "SG10", ["OF36", "OF37", "OF38"], ["APP", "WECHAT", "SMS", "WEB"], 0.8, "通勤、游戏、短视频人群推荐时长包。"),
  strategy("ST11", "MOB-XSL-VOICE-001", "语音加油包", "MOBILE", "CROSS_SELL", null, "SG11", ["OF39", "OF40"], ALL, 0.9, "语音饱和客户推荐语音包。"),
  strategy("ST12", "MOB-CARE-NEW-001", "新入网关怀", "MOBILE", "CARE", "NEW", "SG12", ["OF29", "OF04", "OF36"], ["APP", "SMS", "WECHAT", "HOTLINE"], 1.0, "新入网客户推荐云盘与流量包，培养使用习惯。"),

  // One per row of the operators' trigger table. A domestic "two cities one family" roaming bundle has
  // no product in the catalogue, so ROAMING_START only fires for international roaming.
  triggered("ST13", "MOB-RT-PAY-001", "营业厅缴费引导线上", "MOBILE", "SG13", { eventType: "BILL_PAYMENT", condition: `event.channel IN ("STORE", "AGENT")` }, ["OF41"], ["APP", "SMS"], 1.0, "在营业厅或代理点缴费的客户，推送线上缴费送流量，引导下次线上缴费。"),
  triggered("ST14", "MOB-RT-LOGIN-001", "营业厅登录5G迁转", "MOBILE", "SG03", { eventType: "APP_LOGIN", condition: `event.channel = "APP"` }, ["OF08", "OF09", "OF10", "OF11"], ["APP"], 1.1, "5G迁转目标客户登录手机营业厅时，在首页显著位置展示5G套餐活动。"),
  triggered("ST15", "MOB-RT-ROAM-001", "首次漫游通话推漫游包", "MOBILE", "SG13", { eventType: "ROAMING_START", condition: `event.firstCall AND event.international AND NOT holds(ROAMING_PACK)` }, ["OF23", "OF24", "OF25"], ["SMS", "APP"], 1.2, "境外首次漫游通话挂机后，向未订漫游包的客户推送漫游包。"),
  triggered("ST16", "MOB-RT-PLACE-001", "机场车站商圈时长包", "MOBILE", "SG13", { eventType: "LOCATION_ENTER", condition: `event.area IN ("AIRPORT", "TRAIN_STATION", "BUSINESS_DISTRICT")` }, ["OF36", "OF37"], ["APP", "SMS"], 1.0, "进入机场、火车站、商圈时推送时长流量包。"),
  triggered("ST17", "MOB-RT-DATA-001", "流量将尽加油包", "MOBILE", "SG13", { eventType: "DATA_USAGE", condition: `event.percent >= 90 AND NOT holds(DATA_ADDON)` }, ["OF04", "OF05", "OF06"], ["APP", "SMS"], 1.3, "套餐流量已用九成且仍在使用流量、未订流量包的客户，下次用流量时推送加油包。"),
  triggered("ST18", "MOB-RT-FIRST-001", "首次用流量投诉敏感关怀", "MOBILE", "SG13", { eventType: "FIRST_DATA_USE", condition: `VAL_COMPLAINER AND NOT holds(DATA_ADDON)` }, ["OF04", "OF05"], ["APP", "SMS"], 1.2, "投诉敏感客户本月首次使用流量且无流量包时，即时推送流量包，避免超套引发投诉。"),
  triggered("ST19", "TRM-RT-BROWSE-001", "浏览终端换机推荐", "TERMINAL", "SG13", { eventType: "HANDSET_BROWSE", condition: `TEL_TERM_OLD OR terminalAgeMonths >= 24`, maxDelaySeconds: 300 }, ["OF31", "OF32", "OF33", "OF34"], ["APP", "SMS", "OUTBOUND_CALL"], 1.1, "疑似换机客户浏览终端页面，五分钟内推送合约购机优惠。"),
  triggered("ST20", "CNT-RT-MUSIC-001", "搜歌推音乐会员", "CONTENT", "SG13", { eventType: "CONTENT_SEARCH", condition: `event.category = "MUSIC"` }, ["OF27"], ["APP"], 1.0, "搜索或收听音乐时推荐咪咕音乐会员。"),
  triggered("ST21", "CNT-RT-READ-001", "搜书推阅读会员", "CONTENT", "SG13", { eventType: "CONTENT_SEARCH", condition: `event.category = "READING"` }, ["OF30"], ["APP"], 1.0, "搜索小说时推荐咪咕阅读会员。"),
  triggered("ST22", "CNT-RT-VIDEO-001", "搜剧推视频会员", "CONTENT", "SG13", { eventType: "CONTENT_SEARCH", condition: `event.category = "VIDEO"` }, ["OF26"], ["APP"], 1.0, "搜索影视内容时推荐咪咕视频会员。"),

  // 追尾 (issue 12 point 5): right after a completed service, one follow-up offer on the channel where it
  // happened (src/realtime/event-processor.ts, FOLLOW_UP_SCENARIO); a campaign's story hold comes first.
  scenario("FOLLOW_UP", triggered("ST23", "MOB-FU-PAY-001", "缴费后追尾推荐", "MOBILE", "SG13", { eventType: "BILL_PAYMENT", condition: "" }, ["OF29", "OF30", "OF27"], SELF_AND_AGENT, 1.0, "缴费完成后，在缴费的渠道（营业厅、APP等）顺势推荐一项权益。")),
  scenario("FOLLOW_UP", triggered("ST24", "MOB-FU-PLAN-001", "改套餐后追尾推荐", "MOBILE", "SG13", { eventType: "PRODUCT_ORDERED", condition: "" }, ["OF26", "OF28", "OF29", "OF39"], SELF_AND_AGENT, 1.0, "办理套餐变更后，推荐与新套餐配套的权益或语音包（仅主套餐订购触发）。")),
  scenario("FOLLOW_UP", triggered("ST25", "HOM-FU-REPAIR-001", "维修装机后追尾推荐", "HOME", "SG13", { eventType: "SERVICE_COMPLETED", condition: "" }, ["OF21", "OF22", "OF29", "OF27"], SELF_AND_AGENT, 1.0, "维修、装机等服务完成后，在服务渠道推荐魔百和或权益。")),
  // Plan query (套餐查询): the offer of the plan that plan advice recommends for the customer's usage, with the advice.
  scenario("PLAN_ADVICE", triggered("ST26", "MOB-RT-PLANQ-001", "套餐查询匹配推荐", "MOBILE", "SG13", { eventType: "PLAN_QUERY", condition: "" }, ["OF08", "OF09", "OF10", "OF11", "OF12", "OF13", "OF14"], ["APP", "WEB", "WECHAT", "HOTLINE"], 1.0, "客户查询套餐时，按近三月用量给出套餐建议，并推荐所建议套餐的优惠。")),
];

/** A triggered strategy of a scenario with its own handling in the event processor (follow-ups, plan advice). */
function scenario(name: "FOLLOW_UP" | "PLAN_ADVICE", s: SeedStrategy): SeedStrategy {
  return { ...s, scenario: name };
}

/** When the seeded offers and strategies start: the beginning of the year of the data set. */
const SEEDED_FROM = new Date("2026-01-01T00:00:00.000Z");

/** The seed's rows in the shape src/graph/marketing.ts writes. */
export function marketingRows(): { segments: SegmentWrite[]; offers: OfferWrite[]; strategies: StrategyWrite[] } {
  return {
    segments: SEGMENTS.map((s) => ({ ...s })),
    offers: OFFERS.map((o) => ({ ...o, validFrom: SEEDED_FROM, validUntil: null })),
    strategies: STRATEGIES.map((s) => ({ ...s, validFrom: SEEDED_FROM, validUntil: null })),
  };
}
