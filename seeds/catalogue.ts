/**
 * The static half of the synthetic operator: regions, the product catalogue with its
 * upgrade / requirement / exclusion rules, the seven channels, the handsets customers carry and
 * the three-level tag taxonomy whose every tag has both a statistical definition (统计口径) and
 * a predicate implementing exactly that definition.
 *
 * Codes and enums are English; what front lines read (names, definitions) is Chinese.
 */
import type { ChannelNode, ContactNode, CustomerNode, ProductNode, RegionNode, TagNode } from "../src/graph/model";
import type { ChannelCode, MarketSegment, ProductKind, TagStatus } from "../src/domain/vocabulary";
import { LIFECYCLE_STAGE_LABELS, VALUE_TIER_LABELS } from "../src/domain/labels";

// ───────────────────────────── regions ─────────────────────────────

/** How urban a district is; county-level districts drive the 县域 tag and broadband take-up. */
export type DistrictKind = "URBAN" | "COUNTY_CITY" | "COUNTY";

export interface City extends RegionNode {
  level: "CITY";
  /** Relative number of subscribers. */
  weight: number;
}

export interface District extends RegionNode {
  level: "DISTRICT";
  cityId: string;
  kind: DistrictKind;
  /** Relative number of subscribers within its city. */
  weight: number;
}

export const PROVINCE: RegionNode = { id: "R33", name: "浙江省", level: "PROVINCE" };

export const CITIES: readonly City[] = [
  { id: "R3301", name: "杭州市", level: "CITY", weight: 12.5 },
  { id: "R3302", name: "宁波市", level: "CITY", weight: 9.6 },
  { id: "R3303", name: "温州市", level: "CITY", weight: 9.7 },
  { id: "R3304", name: "嘉兴市", level: "CITY", weight: 5.6 },
  { id: "R3305", name: "湖州市", level: "CITY", weight: 3.4 },
  { id: "R3306", name: "绍兴市", level: "CITY", weight: 5.3 },
  { id: "R3307", name: "金华市", level: "CITY", weight: 7.1 },
  { id: "R3310", name: "台州市", level: "CITY", weight: 6.6 },
];

function district(id: string, name: string, kind: DistrictKind, weight: number): District {
  return { id: `R${id}`, name, level: "DISTRICT", cityId: `R${id.slice(0, 4)}`, kind, weight };
}

export const DISTRICTS: readonly District[] = [
  district("330102", "上城区", "URBAN", 1.4),
  district("330106", "西湖区", "URBAN", 1.2),
  district("330108", "滨江区", "URBAN", 0.6),
  district("330109", "萧山区", "URBAN", 2.0),
  district("330127", "淳安县", "COUNTY", 0.3),
  district("330203", "海曙区", "URBAN", 1.0),
  district("330205", "江北区", "URBAN", 0.5),
  district("330212", "鄞州区", "URBAN", 1.6),
  district("330282", "慈溪市", "COUNTY_CITY", 1.8),
  district("330225", "象山县", "COUNTY", 0.6),
  district("330302", "鹿城区", "URBAN", 1.1),
  district("330303", "龙湾区", "URBAN", 0.8),
  district("330381", "瑞安市", "COUNTY_CITY", 1.5),
  district("330382", "乐清市", "COUNTY_CITY", 1.4),
  district("330402", "南湖区", "URBAN", 0.7),
  district("330411", "秀洲区", "URBAN", 0.7),
  district("330481", "海宁市", "COUNTY_CITY", 1.1),
  district("330483", "桐乡市", "COUNTY_CITY", 1.0),
  district("330502", "吴兴区", "URBAN", 0.8),
  district("330503", "南浔区", "URBAN", 0.5),
  district("330521", "德清县", "COUNTY", 0.5),
  district("330523", "安吉县", "COUNTY", 0.6),
  district("330602", "越城区", "URBAN", 1.0),
  district("330603", "柯桥区", "URBAN", 1.1),
  district("330681", "诸暨市", "COUNTY_CITY", 1.2),
  district("330702", "婺城区", "URBAN", 0.9),
  district("330703", "金东区", "URBAN", 0.5),
  district("330782", "义乌市", "COUNTY_CITY", 1.9),
  district("330783", "东阳市", "COUNTY_CITY", 1.1),
  district("331002", "椒江区", "URBAN", 0.8),
  district("331004", "路桥区", "URBAN", 0.7),
  district("331081", "温岭市", "COUNTY_CITY", 1.4),
  district("331082", "临海市", "COUNTY_CITY", 1.1),
];

/** Every region with its parent (null for the province), province first, then cities, then districts. */
export const REGIONS: readonly { region: RegionNode; parentId: string | null }[] = [
  { region: PROVINCE, parentId: null },
  ...CITIES.map((c) => ({ region: regionNode(c), parentId: PROVINCE.id })),
  ...DISTRICTS.map((d) => ({ region: regionNode(d), parentId: d.cityId })),
];

function regionNode(r: RegionNode): RegionNode {
  return { id: r.id, name: r.name, level: r.level };
}

const CITY_BY_ID = new Map(CITIES.map((c) => [c.id, c]));
const DISTRICT_BY_ID = new Map(DISTRICTS.map((d) => [d.id, d]));

/** The district with this id; throws on an unknown id (a bug in the generator). */
export function districtById(id: string): District {
  const d = DISTRICT_BY_ID.get(id);
  if (!d) throw new Error(`unknown district ${id}`);
  return d;
}

/** The city with this id; throws on an unknown id. */
export function cityById(id: string): City {
  const c = CITY_BY_ID.get(id);
  if (!c) throw new Error(`unknown city ${id}`);
  return c;
}

// ───────────────────────────── products ─────────────────────────────

type ProductSpec = Omit<ProductNode, "id">;

function plan(code: string, name: string, network: "4G" | "5G", fee: number, dataGb: number, minutes: number, sms: number, overGb: number, overMin: number, description: string): ProductSpec {
  return {
    code,
    name,
    kind: "PLAN",
    monthlyFee: fee,
    oneOffPrice: 0,
    network,
    dataQuotaMb: dataGb * 1024,
    voiceMinutes: minutes,
    smsCount: sms,
    dataOveragePerGb: overGb,
    voiceOveragePerMinute: overMin,
    validityHours: 0,
    description,
  };
}

function extra(code: string, name: string, kind: ProductKind, opts: Partial<ProductSpec> & { description: string }): ProductSpec {
  return {
    code,
    name,
    kind,
    monthlyFee: 0,
    oneOffPrice: 0,
    network: null,
    dataQuotaMb: 0,
    voiceMinutes: 0,
    smsCount: 0,
    dataOveragePerGb: 0,
    voiceOveragePerMinute: 0,
    validityHours: 0,
    ...opts,
  };
}

const PRODUCT_SPECS: readonly ProductSpec[] = [
  plan("4G-PLAN-18", "4G飞享18元套餐", "4G", 18, 2, 50, 0, 5, 0.19, "月费18元，含国内通用流量2GB、国内主叫50分钟，超出流量5元/GB。"),
  plan("4G-PLAN-38", "4G飞享38元套餐", "4G", 38, 10, 100, 0, 5, 0.15, "月费38元，含国内通用流量10GB、国内主叫100分钟。"),
  plan("4G-PLAN-58", "4G畅享58元套餐", "4G", 58, 20, 200, 50, 5, 0.15, "月费58元，含国内通用流量20GB、国内主叫200分钟、短信50条。"),
  plan("4G-PLAN-88", "4G畅享88元套餐", "4G", 88, 30, 500, 100, 3, 0.1, "月费88元，含国内通用流量30GB、国内主叫500分钟、短信100条。"),
  plan("4G-PLAN-138", "4G畅享138元套餐", "4G", 138, 40, 1000, 100, 3, 0.1, "月费138元，含国内通用流量40GB、国内主叫1000分钟。"),
  plan("5G-PLAN-58", "5G畅享58元套餐", "5G", 58, 20, 150, 0, 5, 0.15, "月费58元，5G网络，含国内通用流量20GB、国内主叫150分钟。"),
  plan("5G-PLAN-78", "5G畅享78元套餐", "5G", 78, 25, 200, 50, 3, 0.15, "月费78元，5G网络，含国内通用流量25GB、国内主叫200分钟。"),
  plan("5G-PLAN-98", "5G智享98元套餐", "5G", 98, 30, 300, 100, 3, 0.1, "月费98元，5G网络优先，含国内通用流量30GB、国内主叫300分钟。"),
  plan("5G-PLAN-128", "5G智享128元套餐", "5G", 128, 40, 500, 100, 3, 0.1, "月费128元，5G网络优先，含国内通用流量40GB、国内主叫500分钟。"),
  plan("5G-PLAN-158", "5G智享158元套餐", "5G", 158, 60, 700, 100, 3, 0.1, "月费158元，5G网络优先，含国内通用流量60GB、国内主叫700分钟。"),
  plan("5G-PLAN-198", "5G智享198元套餐", "5G", 198, 80, 1000, 200, 3, 0.1, "月费198元，含国内通用流量80GB、国内主叫1000分钟，赠送咪咕视频基础会员。"),
  plan("5G-PLAN-238", "5G智享238元套餐", "5G", 238, 100, 1200, 200, 3, 0.1, "月费238元，含国内通用流量100GB、国内主叫1200分钟。"),
  plan("5G-PLAN-298", "5G全球通298元套餐", "5G", 298, 120, 1500, 300, 3, 0.1, "全球通银卡，月费298元，含国内通用流量120GB、国内主叫1500分钟、机场贵宾厅2次/年。"),
  plan("5G-PLAN-398", "5G全球通398元套餐", "5G", 398, 150, 2000, 300, 3, 0.1, "全球通金卡，月费398元，含国内通用流量150GB、国内主叫2000分钟、机场贵宾厅6次/年。"),
  plan("5G-PLAN-588", "5G全球通588元尊享套餐", "5G", 588, 300, 3000, 500, 3, 0.1, "全球通钻石卡，月费588元，含国内通用流量300GB、国内主叫3000分钟、专属客户经理。"),
  {
    ...plan("FAMILY-PLAN-128", "全家享128元套餐（4G）", "4G", 128, 40, 1000, 100, 3, 0.1, "主副卡共享流量40GB、通话1000分钟，最多4名家庭成员，家庭成员间通话免费。"),
    kind: "FAMILY_PLAN",
  },
  {
    ...plan("FAMILY-PLAN-169", "全家享169元套餐（5G）", "5G", 169, 60, 1500, 200, 3, 0.1, "5G主副卡共享流量60GB、通话1500分钟，最多5名家庭成员，含家庭宽带优惠资格。"),
    kind: "FAMILY_PLAN",
  },
  {
    ...plan("FAMILY-PLAN-239", "全家享239元套餐（5G）", "5G", 239, 100, 2000, 300, 3, 0.1, "5G主副卡共享流量100GB、通话2000分钟，最多5名家庭成员，赠送魔百和基础包。"),
    kind: "FAMILY_PLAN",
  },
  extra("DATA-ADDON-5GB", "10元5GB流量包", "DATA_ADDON", { monthlyFee: 10, dataQuotaMb: 5 * 1024, description: "每月10元，叠加国内通用流量5GB，次月自动续订。" }),
  extra("DATA-ADDON-10GB", "20元10GB流量包", "DATA_ADDON", { monthlyFee: 20, dataQuotaMb: 10 * 1024, description: "每月20元，叠加国内通用流量10GB，次月自动续订。" }),
  extra("DATA-ADDON-20GB", "30元20GB流量包", "DATA_ADDON", { monthlyFee: 30, dataQuotaMb: 20 * 1024, description: "每月30元，叠加国内通用流量20GB，次月自动续订。" }),
  extra("DATA-ADDON-5G-40GB", "50元40GB 5G加速包", "DATA_ADDON", {
    monthlyFee: 50,
    dataQuotaMb: 40 * 1024,
    network: "5G",
    description: "每月50元，叠加5G流量40GB并享5G网络速率优先，仅限5G套餐客户。",
  }),
  extra("VOICE-ADDON-100", "10元100分钟语音包", "VOICE_ADDON", { monthlyFee: 10, voiceMinutes: 100, description: "每月10元，叠加国内主叫100分钟。" }),
  extra("VOICE-ADDON-300", "20元300分钟语音包", "VOICE_ADDON", { monthlyFee: 20, voiceMinutes: 300, description: "每月20元，叠加国内主叫300分钟。" }),
  extra("VOICE-ADDON-FAMILY", "亲情网畅聊包", "VOICE_ADDON", {
    monthlyFee: 5,
    voiceMinutes: 1000,
    description: "每月5元，全家享家庭成员间国内通话1000分钟，仅限全家享套餐成员。",
  }),
  extra("HOURLY-3H", "3元3小时畅玩包", "HOURLY_PACK", { oneOffPrice: 3, dataQuotaMb: 2048, validityHours: 3, description: "3元，订购后3小时内国内流量2GB，适合追剧、游戏、直播。" }),
  extra("DAY-PACK-24H", "5元24小时日包", "HOURLY_PACK", { oneOffPrice: 5, dataQuotaMb: 2048, validityHours: 24, description: "5元，订购后24小时内国内流量2GB。" }),
  extra("WEEK-PACK-7D", "15元7天周包", "HOURLY_PACK", { oneOffPrice: 15, dataQuotaMb: 10 * 1024, validityHours: 168, description: "15元，订购后7天内国内流量10GB，适合出差、旅游。" }),
  extra("ROAM-HKMO-DAY", "港澳台日租包", "ROAMING_PACK", { oneOffPrice: 25, dataQuotaMb: 3 * 1024, validityHours: 24, description: "25元/天，港澳台地区流量3GB，接听免费。" }),
  extra("ROAM-ASIA-7D", "亚洲多国7天漫游包", "ROAMING_PACK", { oneOffPrice: 98, dataQuotaMb: 10 * 1024, validityHours: 168, description: "98元，日韩新马泰等亚洲热门地区7天流量10GB。" }),
  extra("ROAM-GLOBAL-30D", "全球通用30天漫游包", "ROAMING_PACK", { oneOffPrice: 298, dataQuotaMb: 20 * 1024, validityHours: 720, description: "298元，全球80余个国家和地区30天流量20GB。" }),
  extra("BB-100M", "移动宽带100M", "BROADBAND", { monthlyFee: 30, description: "家庭宽带100Mbps，每月30元，需绑定一个移动号码。" }),
  extra("BB-300M", "移动宽带300M", "BROADBAND", { monthlyFee: 50, description: "家庭宽带300Mbps，每月50元，含智能组网路由器。" }),
  extra("BB-1000M", "千兆宽带1000M", "BROADBAND", { monthlyFee: 100, description: "千兆光宽带，每月100元，含FTTR全屋光纤组网。" }),
  extra("IPTV-BASIC", "魔百和基础包", "IPTV", { monthlyFee: 20, description: "每月20元，含央视卫视直播、回看及基础点播，需移动宽带。" }),
  extra("IPTV-4K", "魔百和4K影视包", "IPTV", { monthlyFee: 35, description: "每月35元，4K超清直播与院线影视点播，需移动宽带。" }),
  extra("HS-HUAWEI-MATE60", "华为 Mate 60 Pro", "HANDSET", { oneOffPrice: 6499, network: "5G", description: "华为旗舰5G手机，合约购机最高直降800元，需承诺在网24个月。" }),
  extra("HS-IPHONE-15", "Apple iPhone 15", "HANDSET", { oneOffPrice: 5999, network: "5G", description: "苹果5G手机，合约购机享分期免息，需承诺在网24个月。" }),
  extra("HS-XIAOMI-14", "小米 14", "HANDSET", { oneOffPrice: 3999, network: "5G", description: "小米5G旗舰手机，合约购机赠话费600元。" }),
  extra("HS-OPPO-RENO11", "OPPO Reno11", "HANDSET", { oneOffPrice: 2499, network: "5G", description: "OPPO 5G手机，以旧换新补贴最高500元。" }),
  extra("HS-VIVO-Y36", "vivo Y36", "HANDSET", { oneOffPrice: 1299, network: "5G", description: "vivo 5G大电池手机，合约购机0元起。" }),
  extra("HS-HONOR-X50", "荣耀 X50", "HANDSET", { oneOffPrice: 1399, network: "5G", description: "荣耀5G手机，合约购机赠话费300元。" }),
  extra("HS-ZTE-ELDER", "中兴 守护宝 K230", "HANDSET", { oneOffPrice: 299, network: "4G", description: "4G老人机，大字体大音量，一键呼叫亲情号码。" }),
  extra("CNT-MIGU-VIDEO", "咪咕视频钻石会员", "CONTENT", { monthlyFee: 15, description: "每月15元，咪咕视频体育赛事直播与影视会员权益。" }),
  extra("CNT-MIGU-MUSIC", "咪咕音乐白金会员", "CONTENT", { monthlyFee: 10, description: "每月10元，海量无损音乐下载及视频彩铃。" }),
  extra("CNT-TENCENT-VIDEO", "腾讯视频VIP权益包", "CONTENT", { monthlyFee: 20, description: "每月20元，腾讯视频VIP会员，话费直接抵扣。" }),
  extra("CNT-CLOUD-DRIVE", "移动云盘会员（200GB）", "CONTENT", { monthlyFee: 10, description: "每月10元，移动云盘200GB空间，照片自动备份。" }),
  extra("CNT-MIGU-READ", "咪咕阅读会员", "CONTENT", { monthlyFee: 6, description: "每月6元，畅读百万本正版电子书及有声书。" }),
];

/** The catalogue, in id order ("P001", "P002", …). */
export const PRODUCTS: readonly ProductNode[] = PRODUCT_SPECS.map((spec, i) => ({ id: `P${String(i + 1).padStart(3, "0")}`, ...spec }));

const PRODUCT_BY_CODE = new Map(PRODUCTS.map((p) => [p.code, p]));
const PRODUCT_BY_ID = new Map(PRODUCTS.map((p) => [p.id, p]));

/** The product with this business code; throws on an unknown code (a bug in the generator). */
export function productByCode(code: string): ProductNode {
  const p = PRODUCT_BY_CODE.get(code);
  if (!p) throw new Error(`unknown product code ${code}`);
  return p;
}

/** The product with this id; throws on an unknown id. */
export function productById(id: string): ProductNode {
  const p = PRODUCT_BY_ID.get(id);
  if (!p) throw new Error(`unknown product id ${id}`);
  return p;
}

/** All products of one kind, in catalogue order. */
export function productsOfKind(kind: ProductKind): ProductNode[] {
  return PRODUCTS.filter((p) => p.kind === kind);
}

/** True for the products a customer holds exactly one of: PLAN and FAMILY_PLAN. */
export function isMainPlan(p: ProductNode): boolean {
  return p.kind === "PLAN" || p.kind === "FAMILY_PLAN";
}

/** A directed product-to-product rule, by product id. */
export interface ProductLink {
  from: string;
  to: string;
}

const MAIN_PLANS = PRODUCTS.filter(isMainPlan);
const ids = (codes: readonly string[]): string[] => codes.map((c) => productByCode(c).id);

function chain(codes: readonly string[]): ProductLink[] {
  const out: ProductLink[] = [];
  const list = ids(codes);
  for (let i = 0; i + 1 < list.length; i++) out.push({ from: list[i] as string, to: list[i + 1] as string });
  return out;
}

function pairwise(products: readonly ProductNode[]): ProductLink[] {
  const out: ProductLink[] = [];
  for (const a of products) for (const b of products) if (a.id !== b.id) out.push({ from: a.id, to: b.id });
  return out;
}

/** The upgrade ladders: within 4G, within 5G, 4G → 5G, family plans, broadband speeds, IPTV, data add-ons. */
export const UPGRADES_TO: readonly ProductLink[] = [
  ...chain(["4G-PLAN-18", "4G-PLAN-38", "4G-PLAN-58", "4G-PLAN-88", "4G-PLAN-138"]),
  ...chain(["5G-PLAN-58", "5G-PLAN-78", "5G-PLAN-98", "5G-PLAN-128", "5G-PLAN-158", "5G-PLAN-198", "5G-PLAN-238", "5G-PLAN-298", "5G-PLAN-398", "5G-PLAN-588"]),
  ...chain(["4G-PLAN-38", "5G-PLAN-58"]),
  ...chain(["4G-PLAN-58", "5G-PLAN-78"]),
  ...chain(["4G-PLAN-88", "5G-PLAN-128"]),
  ...chain(["4G-PLAN-138", "5G-PLAN-158"]),
  ...chain(["FAMILY-PLAN-128", "FAMILY-PLAN-169", "FAMILY-PLAN-239"]),
  ...chain(["BB-100M", "BB-300M", "BB-1000M"]),
  ...chain(["IPTV-BASIC", "IPTV-4K"]),
  ...chain(["DATA-ADDON-5GB", "DATA-ADDON-10GB", "DATA-ADDON-20GB"]),
];

/**
 * What a product needs. Semantics: a product's REQUIRES targets are alternatives; the
 * requirement is met when the customer holds at least one of them (any-of), e.g. IPTV needs
 * one of the three broadband products, an add-on needs some main plan.
 */
export const REQUIRES: readonly ProductLink[] = PRODUCTS.flatMap((p): ProductLink[] => {
  const to = (targets: readonly ProductNode[]): ProductLink[] => targets.map((t) => ({ from: p.id, to: t.id }));
  if (isMainPlan(p)) return [];
  if (p.code === "DATA-ADDON-5G-40GB") return to(MAIN_PLANS.filter((m) => m.network === "5G"));
  if (p.code === "VOICE-ADDON-FAMILY") return to(MAIN_PLANS.filter((m) => m.kind === "FAMILY_PLAN"));
  if (p.kind === "IPTV") return to(productsOfKind("BROADBAND"));
  // Everything else is billed to a mobile number, so it needs a main plan.
  return to(MAIN_PLANS);
});

/** Mutually exclusive products, stored in both directions: main plans, broadband speeds, IPTV packages, roaming packs. */
export const EXCLUDES: readonly ProductLink[] = [
  ...pairwise(MAIN_PLANS),
  ...pairwise(productsOfKind("BROADBAND")),
  ...pairwise(productsOfKind("IPTV")),
  ...pairwise(productsOfKind("ROAMING_PACK")),
];

function linkIndex(links: readonly ProductLink[], bothWays: boolean): Map<string, string[]> {
  const index = new Map<string, string[]>();
  const add = (from: string, to: string): void => {
    const list = index.get(from);
    if (list) {
      if (!list.includes(to)) list.push(to);
    } else index.set(from, [to]);
  };
  for (const l of links) {
    add(l.from, l.to);
    if (bothWays) add(l.to, l.from);
  }
  return index;
}

const REQUIRES_OF = linkIndex(REQUIRES, false);
const EXCLUDES_OF = linkIndex(EXCLUDES, true);
const UPGRADES_OF = linkIndex(UPGRADES_TO, false);

/** True when `held` (product ids) satisfies every rule for adding `candidateId`: some REQUIRES target held, no EXCLUDES either way. */
export function canHold(candidateId: string, held: ReadonlySet<string>): boolean {
  const requires = REQUIRES_OF.get(candidateId);
  if (requires && !requires.some((id) => held.has(id))) return false;
  const excludes = EXCLUDES_OF.get(candidateId);
  return !(excludes && excludes.some((id) => held.has(id)));
}

/** The products one step up the ladder from `productId`. */
export function upgradesOf(productId: string): readonly string[] {
  return UPGRADES_OF.get(productId) ?? [];
}

// ───────────────────────────── channels ─────────────────────────────

/** The seven touchpoints, in the order of CHANNEL_CODES. */
export const CHANNELS: readonly ChannelNode[] = [
  { code: "HOTLINE", name: "10086热线", outbound: false, hasAgent: true, push: false },
  { code: "APP", name: "中国移动APP", outbound: false, hasAgent: false, push: true },
  { code: "WEB", name: "网上营业厅", outbound: false, hasAgent: false, push: false },
  { code: "SMS", name: "10086短信", outbound: true, hasAgent: false, push: true },
  { code: "OUTBOUND_CALL", name: "外呼", outbound: true, hasAgent: true, push: true },
  { code: "STORE", name: "营业厅", outbound: false, hasAgent: true, push: false },
  { code: "WECHAT", name: "微信公众号", outbound: false, hasAgent: false, push: true },
];

// ───────────────────────────── terminals ─────────────────────────────

export interface Terminal {
  model: string;
  brand: string;
  is5G: boolean;
  /** List price in yuan. */
  price: number;
  /** Release month, "YYYY-MM". */
  released: string;
  /** Suited to elderly users (large fonts, simple). */
  elder: boolean;
  /** The HANDSET product when the operator sells this model. */
  productCode: string | null;
}

function terminal(brand: string, model: string, is5G: boolean, price: number, released: string, productCode: string | null = null, elder = false): Terminal {
  return { brand, model, is5G, price, released, productCode, elder };
}

/** Handsets seen on the network: the operator's current range plus older and cheaper models. */
export const TERMINALS: readonly Terminal[] = [
  terminal("华为", "华为 Mate 70 Pro", true, 6499, "2024-11"),
  terminal("华为", "华为 Mate 60 Pro", true, 6499, "2023-09", "HS-HUAWEI-MATE60"),
  terminal("华为", "华为 Mate 40 Pro", true, 6499, "2020-10"),
  terminal("华为", "华为 nova 11", false, 2599, "2023-04"),
  terminal("华为", "华为 P30", false, 3988, "2019-04"),
  terminal("华为", "华为 畅享 20", true, 1299, "2020-09", null, true),
  terminal("苹果", "Apple iPhone 16 Pro", true, 7999, "2024-09"),
  terminal("苹果", "Apple iPhone 15", true, 5999, "2023-09", "HS-IPHONE-15"),
  terminal("苹果", "Apple iPhone 13", true, 5999, "2021-09"),
  terminal("苹果", "Apple iPhone 11", false, 5499, "2019-09"),
  terminal("苹果", "Apple iPhone 8", false, 5888, "2017-09"),
  terminal("小米", "小米 15", true, 4499, "2024-10"),
  terminal("小米", "小米 14", true, 3999, "2023-10", "HS-XIAOMI-14"),
  terminal("小米", "Redmi K70", true, 2499, "2023-11"),
  terminal("小米", "Redmi Note 9", false, 999, "2020-11", null, true),
  terminal("小米", "小米 8", false, 2699, "2018-05"),
  terminal("OPPO", "OPPO Reno11", true, 2499, "2023-11", "HS-OPPO-RENO11"),
  terminal("OPPO", "OPPO A1", true, 1599, "2023-04", null, true),
  terminal("OPPO", "OPPO R17", false, 2799, "2018-08"),
  terminal("vivo", "vivo X100", true, 3999, "2023-11"),
  terminal("vivo", "vivo Y36", true, 1299, "2023-06", "HS-VIVO-Y36", true),
  terminal("vivo", "vivo X21", false, 2998, "2018-03"),
  terminal("荣耀", "荣耀 Magic6", true, 4399, "2024-01"),
  terminal("荣耀", "荣耀 X50", true, 1399, "2023-07", "HS-HONOR-X50", true),
  terminal("荣耀", "荣耀 畅玩 9A", false, 899, "2020-04", null, true),
  terminal("中兴", "中兴 守护宝 K230", false, 299, "2022-03", "HS-ZTE-ELDER", true),
];

const TERMINAL_BY_MODEL = new Map(TERMINALS.map((t) => [t.model, t]));

/** The terminal with this model name; throws on an unknown model. */
export function terminalByModel(model: string): Terminal {
  const t = TERMINAL_BY_MODEL.get(model);
  if (!t) throw new Error(`unknown terminal ${model}`);
  return t;
}

// ───────────────────────────── tags ─────────────────────────────

/**
 * Raw behaviour from signalling, DPI and billing feeds. It is not stored on the Customer node
 * (the tag mart summarises it into tags, as an operator's would); the generator keeps it so that
 * tag predicates and tests can check tags against what produced them.
 */
export interface Behaviour {
  /** Monthly averages over the last 3 months, from DPI (hours or sessions). */
  shortVideoHours: number;
  longVideoHours: number;
  gameHours: number;
  musicHours: number;
  readingHours: number;
  shoppingSessions: number;
  financeSessions: number;
  navigationHours: number;
  /** Days last month with a home → work → home location pattern. */
  commuteDays: number;
  /** Days in the last 3 months spent in another city of China. */
  domesticTripDays3m: number;
  /** Airport visits in the last 3 months. */
  airportVisits3m: number;
  /** Visits to a major business district last month. */
  businessDistrictVisits: number;
  /** Visits to the West Lake scenic area in the last 3 months (Hangzhou residents). */
  westLakeVisits3m: number;
  /** Nights last month spent outside the home city. */
  awayNights: number;
  /** Days last month at a university campus. */
  campusDays: number;
  /** Fetion (飞信) active days last month: a retired product, kept for the offline legacy tag. */
  fetionDays: number;
  /** ARPU of the month three months before the usage month, yuan. */
  arpuPrev: number;
  /** Days from asOf until the customer's contract (handset or minimum-spend) ends; null when none. */
  contractEndDays: number | null;
}

/** What a tag predicate may look at: one generated customer with everything known about it. */
export interface TagSubject {
  customer: CustomerNode;
  asOf: Date;
  mainPlan: ProductNode;
  holdings: readonly { product: ProductNode; since: string }[];
  terminal: Terminal;
  behaviour: Behaviour;
  /** Family group context, when the customer belongs to one. Ages and sizes count members that exist in the data set. */
  family: { groupId: string; role: "HEAD" | "MEMBER"; size: number; memberAges: readonly number[]; broadband: boolean } | null;
  enterprise: { groupId: string; role: "HEAD" | "MEMBER" } | null;
  /** Outgoing calls per V-net the customer belongs to: total calls per month to its members and how many distinct members. */
  vnets: readonly { groupId: string; callsPerMonth: number; callees: number }[];
  /** The six months of contacts before asOf. */
  contacts: readonly ContactNode[];
  /** Preferred channels, rank 1 first. */
  preferredChannels: readonly ChannelCode[];
}

/** A tag's value for one customer: category label or flag, and a score in [0, 1]. */
export interface TagHit {
  value: string;
  score: number;
}

/** A leaf tag with the predicate that implements its definition. */
export interface TagDefinition extends TagNode {
  /** The tag's value for this customer, or null when the customer does not carry the tag. */
  evaluate(s: TagSubject): TagHit | null;
}

const GB = 1024;
const FLAG: TagHit = { value: "true", score: 1 };
const flag = (on: boolean): TagHit | null => (on ? FLAG : null);
const flagScore = (on: boolean, score: number): TagHit | null => (on ? { value: "true", score: round2(Math.min(1, Math.max(0, score))) } : null);
const category = (value: string): TagHit => ({ value, score: 1 });

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Age bands of the 年龄段 tag. */
export function ageBand(age: number): string {
  if (age <= 24) return "≤24岁";
  if (age <= 34) return "25-34岁";
  if (age <= 44) return "35-44岁";
  if (age <= 54) return "45-54岁";
  if (age <= 64) return "55-64岁";
  return "≥65岁";
}

/** Fee bands of the 主套餐档位 tag. */
export function planFeeBand(fee: number): string {
  if (fee < 50) return "50元以下";
  if (fee < 100) return "50-99元";
  if (fee < 200) return "100-199元";
  return "200元及以上";
}

/** The ARPU thresholds (yuan) of the value tiers: LOW < 40 ≤ MEDIUM < 100 ≤ HIGH < 200 ≤ PREMIUM. */
export function valueTierOf(arpu: number): CustomerNode["valueTier"] {
  if (arpu < 40) return "LOW";
  if (arpu < 100) return "MEDIUM";
  if (arpu < 200) return "HIGH";
  return "PREMIUM";
}

function countContacts(s: TagSubject, pred: (c: ContactNode) => boolean): number {
  let n = 0;
  for (const c of s.contacts) if (pred(c)) n += 1;
  return n;
}

function holds(s: TagSubject, pred: (p: ProductNode) => boolean): boolean {
  return s.holdings.some((h) => pred(h.product));
}

function monthsBetween(fromIso: string, to: Date): number {
  const from = new Date(fromIso);
  return (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth()) - (to.getUTCDate() < from.getUTCDate() ? 1 : 0);
}

/** Relative ARPU drop against three months earlier, 0 when ARPU did not fall. */
export function arpuDrop(s: Pick<TagSubject, "customer" | "behaviour">): number {
  const prev = s.behaviour.arpuPrev;
  return prev > 0 ? Math.max(0, (prev - s.customer.arpu) / prev) : 0;
}

/**
 * The churn-warning score of tag VAL_CHURN_SCORE, also what puts a customer in CHURN_RISK:
 * 0.35·min(1, ARPU drop/50%) + 0.2·min(complaints in 6 months, 3)/3 + 0.2·[contract ends within 90 days]
 * + 0.15·[3-month average data < 30% of quota] + 0.1·[tenure < 12 months].
 */
export function churnScore(s: Pick<TagSubject, "customer" | "behaviour" | "contacts">): number {
  const c = s.customer;
  let complaints = 0;
  for (const k of s.contacts) if (k.kind === "COMPLAINT") complaints += 1;
  const contractEnding = s.behaviour.contractEndDays !== null && s.behaviour.contractEndDays <= 90;
  const underUsing = c.dataQuotaMb > 0 && c.avgDataMb3m < 0.3 * c.dataQuotaMb;
  const score =
    0.35 * Math.min(1, arpuDrop(s) / 0.5) +
    (0.2 * Math.min(complaints, 3)) / 3 +
    (contractEnding ? 0.2 : 0) +
    (underUsing ? 0.15 : 0) +
    (c.tenureMonths < 12 ? 0.1 : 0);
  return round2(score);
}

/** Channels counted as online self-service. */
const ONLINE: ReadonlySet<ChannelCode> = new Set(["APP", "WEB", "WECHAT"]);

type TagSpec = Omit<TagDefinition, "id" | "version" | "status" | "scope" | "market" | "owner"> & {
  market?: MarketSegment;
  scope?: "PROVINCE" | "CITY";
  status?: TagStatus;
  version?: number;
  owner?: string;
};

/** Who answers for the seeded tags' definitions: the province's marketing centre, unless a city branch made the tag. */
const PROVINCE_OWNER = "省公司市场部";

const B = "Basic";
const T = "Telecom";
const L = "Life & Internet";
const V = "Value & Lifecycle";

const TAG_SPECS: readonly TagSpec[] = [
  // ── Basic ──
  {
    code: "BAS_FEMALE", name: "女性客户", level1: B, level2: "Demographics", valueType: "FLAG",
    definition: "实名登记证件性别为女的客户。",
    evaluate: (s) => flag(s.customer.gender === "F"),
  },
  {
    code: "BAS_AGE_BAND", name: "年龄段", level1: B, level2: "Demographics", valueType: "CATEGORY",
    definition: "按实名登记证件计算的周岁年龄分档：≤24岁、25-34岁、35-44岁、45-54岁、55-64岁、≥65岁。",
    evaluate: (s) => category(ageBand(s.customer.age)),
  },
  {
    code: "BAS_YOUTH", name: "青年客户", level1: B, level2: "Demographics", valueType: "FLAG",
    definition: "实名登记周岁年龄在18岁（含）至30岁（含）之间的客户。",
    evaluate: (s) => flag(s.customer.age >= 18 && s.customer.age <= 30),
  },
  {
    code: "BAS_SILVER", name: "银发客户", level1: B, level2: "Demographics", valueType: "FLAG",
    definition: "实名登记周岁年龄≥60岁的客户。",
    evaluate: (s) => flag(s.customer.age >= 60),
  },
  {
    code: "BAS_STUDENT", name: "校园客户", level1: B, level2: "Demographics", valueType: "FLAG",
    definition: "年龄16-24岁且上月在高校校园基站驻留天数≥10天的客户。",
    evaluate: (s) => flag(s.customer.age >= 16 && s.customer.age <= 24 && s.behaviour.campusDays >= 10),
  },
  {
    code: "BAS_CITY", name: "归属地市", level1: B, level2: "Region", valueType: "CATEGORY",
    definition: "客户号码归属的地市（按常住区县所属地市）。",
    evaluate: (s) => category(cityById(districtById(s.customer.regionId).cityId).name),
  },
  {
    code: "BAS_COUNTY", name: "县域客户", level1: B, level2: "Region", valueType: "FLAG",
    definition: "常住区县为县（不含市辖区、县级市）的客户。",
    evaluate: (s) => flag(districtById(s.customer.regionId).kind === "COUNTY"),
  },
  {
    code: "BAS_WESTLAKE", name: "西湖景区常客", level1: B, level2: "Region", valueType: "FLAG", scope: "CITY", regionId: "R3301", owner: "杭州分公司市场部",
    definition: "杭州市客户中，近3个月在西湖景区基站驻留≥30分钟的到访次数≥4次（杭州市分公司自建标签）。",
    evaluate: (s) => flag(districtById(s.customer.regionId).cityId === "R3301" && s.behaviour.westLakeVisits3m >= 4),
  },
  {
    code: "BAS_AWAY", name: "异地常驻客户", level1: B, level2: "Region", valueType: "FLAG",
    definition: "上月夜间（22:00-6:00）常驻位置在归属地市以外的天数≥15天的客户。",
    evaluate: (s) => flag(s.behaviour.awayNights >= 15),
  },
  {
    code: "FAM_HEAD", name: "家庭户主", level1: B, level2: "Family", valueType: "FLAG", market: "FAMILY",
    definition: "在家庭群组中登记为户主（HEAD）的客户。",
    evaluate: (s) => flag(s.family?.role === "HEAD"),
  },
  {
    code: "FAM_SIZE", name: "多成员家庭", level1: B, level2: "Family", valueType: "CATEGORY", market: "FAMILY",
    definition: "所在家庭群组本网成员人数（含本人）≥3人的客户，取值3人、4人、5人及以上。",
    evaluate: (s) => (s.family && s.family.size >= 3 ? category(s.family.size >= 5 ? "5人及以上" : `${s.family.size}人`) : null),
  },
  {
    code: "FAM_KIDS", name: "有孩家庭", level1: B, level2: "Family", valueType: "FLAG", market: "FAMILY",
    definition: "所在家庭群组中有本网成员年龄<18岁的客户。",
    evaluate: (s) => flag(s.family !== null && s.family.memberAges.some((a) => a < 18)),
  },
  {
    code: "FAM_ELDER", name: "有老人家庭", level1: B, level2: "Family", valueType: "FLAG", market: "FAMILY",
    definition: "所在家庭群组中有本网成员年龄≥65岁的客户。",
    evaluate: (s) => flag(s.family !== null && s.family.memberAges.some((a) => a >= 65)),
  },
  {
    code: "FAM_BB_PROSPECT", name: "家庭宽带潜客", level1: B, level2: "Family", valueType: "FLAG", market: "FAMILY",
    definition: "家庭群组户主，且本家庭无任何成员订购移动宽带。",
    evaluate: (s) => flag(s.family?.role === "HEAD" && !s.family.broadband),
  },
  {
    code: "FAM_CONVERGED", name: "融合套餐家庭", level1: B, level2: "Family", valueType: "FLAG", market: "FAMILY",
    definition: "主套餐为全家享套餐，且本家庭有成员订购移动宽带的客户。",
    evaluate: (s) => flag(s.mainPlan.kind === "FAMILY_PLAN" && s.family !== null && s.family.broadband),
  },
  {
    code: "OCC_ENTERPRISE", name: "集团客户成员", level1: B, level2: "Occupation", valueType: "FLAG", market: "ENTERPRISE",
    definition: "在集团客户群组中登记为成员或关键人的客户。",
    evaluate: (s) => flag(s.enterprise !== null),
  },
  {
    code: "OCC_KEY_PERSON", name: "集团关键人", level1: B, level2: "Occupation", valueType: "FLAG", market: "ENTERPRISE",
    definition: "在集团客户群组中登记为集团联系人（HEAD）的客户。",
    evaluate: (s) => flag(s.enterprise?.role === "HEAD"),
  },
  {
    code: "OCC_BUSINESS", name: "商务人士", level1: B, level2: "Occupation", valueType: "FLAG",
    definition: "近3个月月均主叫通话≥600分钟，且近3个月国内出差天数≥6天或国际漫游天数≥3天。",
    evaluate: (s) => flag(s.customer.avgVoiceMinutes3m >= 600 && (s.behaviour.domesticTripDays3m >= 6 || s.customer.roamingDays3m >= 3)),
  },
  {
    code: "OCC_DRIVER", name: "网约车司机", level1: B, level2: "Occupation", valueType: "FLAG",
    definition: "近3个月导航及网约车司机端APP月均使用时长≥60小时的客户。",
    evaluate: (s) => flag(s.behaviour.navigationHours >= 60),
  },
  // ── Telecom ──
  {
    code: "TEL_PLAN_BAND", name: "主套餐档位", level1: T, level2: "Plan", valueType: "CATEGORY",
    definition: "按当前主套餐（含全家享）月费分档：50元以下、50-99元、100-199元、200元及以上。",
    evaluate: (s) => category(planFeeBand(s.mainPlan.monthlyFee)),
  },
  {
    code: "TEL_PLAN_5G", name: "5G套餐客户", level1: T, level2: "Plan", valueType: "FLAG",
    definition: "当前主套餐为5G套餐（含5G全家享）的客户。",
    evaluate: (s) => flag(s.mainPlan.network === "5G"),
  },
  {
    code: "TEL_PLAN_LOW", name: "低档套餐客户", level1: T, level2: "Plan", valueType: "FLAG",
    definition: "当前主套餐月费<30元的客户。",
    evaluate: (s) => flag(s.mainPlan.monthlyFee < 30),
  },
  {
    code: "TEL_PLAN_HIGH", name: "高端套餐客户", level1: T, level2: "Plan", valueType: "FLAG",
    definition: "当前主套餐月费≥198元的客户。",
    evaluate: (s) => flag(s.mainPlan.monthlyFee >= 198),
  },
  {
    code: "TEL_FAMILY_PLAN", name: "全家享套餐客户", level1: T, level2: "Plan", valueType: "FLAG", market: "FAMILY",
    definition: "当前主套餐为全家享家庭套餐（主卡或副卡）的客户。",
    evaluate: (s) => flag(s.mainPlan.kind === "FAMILY_PLAN"),
  },
  {
    code: "TEL_PLAN_STALE", name: "套餐五年未变更", level1: T, level2: "Plan", valueType: "FLAG",
    definition: "当前主套餐生效时间距统计日≥60个月的客户。",
    evaluate: (s) => {
      const main = s.holdings.find((h) => h.product.id === s.mainPlan.id);
      return flag(main !== undefined && monthsBetween(main.since, s.asOf) >= 60);
    },
  },
  {
    code: "TEL_DATA_HEAVY", name: "流量重度用户", level1: T, level2: "Data usage", valueType: "FLAG", version: 2,
    definition: "近3个月月均国内流量≥20GB（20480MB）的客户。",
    evaluate: (s) => flagScore(s.customer.avgDataMb3m >= 20 * GB, s.customer.avgDataMb3m / (60 * GB)),
  },
  {
    code: "TEL_DATA_LIGHT", name: "流量轻度用户", level1: T, level2: "Data usage", valueType: "FLAG",
    definition: "近3个月月均国内流量<1GB（1024MB）的客户。",
    evaluate: (s) => flag(s.customer.avgDataMb3m < GB),
  },
  {
    code: "TEL_DATA_OVER", name: "本月流量超套", level1: T, level2: "Data usage", valueType: "FLAG",
    definition: "本月截至统计日已用流量超过套餐及叠加包内流量总额的客户。",
    evaluate: (s) => flag(s.customer.dataUsedMb > s.customer.dataQuotaMb),
  },
  {
    code: "TEL_DATA_SAT_HIGH", name: "流量饱和度高", level1: T, level2: "Data usage", valueType: "FLAG",
    definition: "近3个月月均流量≥套餐及叠加包内流量总额的90%的客户。",
    evaluate: (s) => flagScore(s.customer.dataQuotaMb > 0 && s.customer.avgDataMb3m >= 0.9 * s.customer.dataQuotaMb, s.customer.avgDataMb3m / Math.max(1, s.customer.dataQuotaMb) - 0.5),
  },
  {
    code: "TEL_DATA_SAT_LOW", name: "流量饱和度低", level1: T, level2: "Data usage", valueType: "FLAG",
    definition: "近3个月月均流量≤套餐及叠加包内流量总额的30%的客户（套餐降档风险）。",
    evaluate: (s) => flag(s.customer.dataQuotaMb > 0 && s.customer.avgDataMb3m <= 0.3 * s.customer.dataQuotaMb),
  },
  {
    code: "TEL_5G_PROPENSITY", name: "5G迁转倾向分", level1: T, level2: "Data usage", valueType: "SCORE",
    definition: "对4G主套餐客户计算 0.4×[终端支持5G] + 0.3×min(1, 近3月月均流量/套餐及叠加包流量) + 0.3×min(1, ARPU/150)，得分≥0.75的客户打标。",
    evaluate: (s) => {
      if (s.mainPlan.network !== "4G") return null;
      const c = s.customer;
      const score = round2(0.4 * (s.terminal.is5G ? 1 : 0) + 0.3 * Math.min(1, c.avgDataMb3m / Math.max(1, c.dataQuotaMb)) + 0.3 * Math.min(1, c.arpu / 150));
      return score >= 0.75 ? { value: score.toFixed(2), score } : null;
    },
  },
  {
    code: "TEL_VOICE_HEAVY", name: "语音重度用户", level1: T, level2: "Voice usage", valueType: "FLAG",
    definition: "近3个月月均主叫通话时长≥1000分钟的客户。",
    evaluate: (s) => flag(s.customer.avgVoiceMinutes3m >= 1000),
  },
  {
    code: "TEL_VOICE_LIGHT", name: "语音轻度用户", level1: T, level2: "Voice usage", valueType: "FLAG",
    definition: "近3个月月均主叫通话时长<50分钟的客户。",
    evaluate: (s) => flag(s.customer.avgVoiceMinutes3m < 50),
  },
  {
    code: "TEL_VOICE_OVER", name: "本月语音超套", level1: T, level2: "Voice usage", valueType: "FLAG",
    definition: "本月截至统计日主叫通话分钟数超过套餐及语音包内分钟数20%以上的客户。",
    evaluate: (s) => flag(s.customer.voiceUsedMinutes > 1.2 * s.customer.voiceQuotaMinutes),
  },
  {
    code: "TEL_SMS_ACTIVE", name: "短信活跃用户", level1: T, level2: "Voice usage", valueType: "FLAG",
    definition: "近3个月月均点对点短信发送≥60条的客户。",
    evaluate: (s) => flag(s.customer.avgSms3m >= 60),
  },
  {
    code: "TEL_TERM_BRAND", name: "终端品牌", level1: T, level2: "Terminal", valueType: "CATEGORY",
    definition: "当前在用主终端（按IMEI识别）的品牌。",
    evaluate: (s) => category(s.terminal.brand),
  },
  {
    code: "TEL_TERM_OLD", name: "换机潜客", level1: T, level2: "Terminal", valueType: "FLAG",
    definition: "当前在用终端使用时长≥36个月的客户。",
    evaluate: (s) => flagScore(s.customer.terminalAgeMonths >= 36, s.customer.terminalAgeMonths / 60),
  },
  {
    code: "TEL_TERM_5G", name: "5G活跃终端客户", level1: T, level2: "Terminal", valueType: "FLAG",
    definition: "当前在用终端支持5G网络且近3个月月均流量≥10GB的客户（5G活跃终端）。",
    evaluate: (s) => flag(s.terminal.is5G && s.customer.avgDataMb3m >= 10 * GB),
  },
  {
    code: "TEL_5GPLAN_4GTERM", name: "5G套餐4G终端", level1: T, level2: "Terminal", valueType: "FLAG",
    definition: "主套餐为5G套餐但在用终端不支持5G的客户（换机营销目标）。",
    evaluate: (s) => flag(s.mainPlan.network === "5G" && !s.terminal.is5G),
  },
  {
    code: "TEL_4GPLAN_5GTERM", name: "5G终端未迁转", level1: T, level2: "Terminal", valueType: "FLAG",
    definition: "在用终端支持5G、主套餐仍为4G套餐，且近3个月月均流量≥套餐及叠加包流量70%的客户（套餐迁转目标）。",
    evaluate: (s) => flag(s.mainPlan.network === "4G" && s.terminal.is5G && s.customer.avgDataMb3m >= 0.7 * s.customer.dataQuotaMb),
  },
  {
    code: "TEL_TERM_PREMIUM", name: "高端机用户", level1: T, level2: "Terminal", valueType: "FLAG",
    definition: "在用终端上市价≥6000元的客户。",
    evaluate: (s) => flag(s.terminal.price >= 6000),
  },
  {
    code: "TEL_TERM_CONTRACT", name: "合约机客户", level1: T, level2: "Terminal", valueType: "FLAG",
    definition: "当前持有在网合约购机产品的客户。",
    evaluate: (s) => flag(holds(s, (p) => p.kind === "HANDSET")),
  },
  {
    code: "TEL_ROAM_INTL", name: "国际漫游客户", level1: T, level2: "Roaming", valueType: "FLAG",
    definition: "近3个月国际及港澳台漫游天数≥1天的客户。",
    evaluate: (s) => flag(s.customer.roamingDays3m >= 1),
  },
  {
    code: "TEL_ROAM_FREQ", name: "高频漫游客户", level1: T, level2: "Roaming", valueType: "FLAG",
    definition: "近3个月国际及港澳台漫游天数≥10天的客户。",
    evaluate: (s) => flagScore(s.customer.roamingDays3m >= 10, s.customer.roamingDays3m / 30),
  },
  {
    code: "TEL_BROADBAND", name: "宽带客户", level1: T, level2: "Home broadband", valueType: "FLAG",
    definition: "本人名下订购移动宽带（任一速率）的客户。",
    evaluate: (s) => flag(holds(s, (p) => p.kind === "BROADBAND")),
  },
  {
    code: "TEL_GIGABIT", name: "千兆宽带客户", level1: T, level2: "Home broadband", valueType: "FLAG",
    definition: "本人名下订购千兆（1000M）宽带的客户。",
    evaluate: (s) => flag(holds(s, (p) => p.code === "BB-1000M")),
  },
  {
    code: "TEL_IPTV", name: "魔百和客户", level1: T, level2: "Home broadband", valueType: "FLAG",
    definition: "本人名下订购魔百和（IPTV）任一产品的客户。",
    evaluate: (s) => flag(holds(s, (p) => p.kind === "IPTV")),
  },
  {
    code: "TEL_VNET_MEMBER", name: "集团V网成员", level1: T, level2: "V-net", valueType: "FLAG", market: "ENTERPRISE",
    definition: "加入任一集团V网（虚拟专用网）的客户。",
    evaluate: (s) => flag(s.vnets.length > 0),
  },
  {
    code: "TEL_VNET_PREF", name: "V网偏好", level1: T, level2: "V-net", valueType: "FLAG", market: "ENTERPRISE",
    definition: "近3个月对同一V网内成员月均主叫通话次数>10次且V网内联系人>3人的客户。",
    evaluate: (s) => {
      const best = s.vnets.find((v) => v.callsPerMonth > 10 && v.callees > 3);
      return best ? { value: "true", score: round2(Math.min(1, best.callsPerMonth / 60)) } : null;
    },
  },
  // ── Life & Internet ──
  {
    code: "LIF_SHORT_VIDEO", name: "短视频重度偏好", level1: L, level2: "App preferences", valueType: "FLAG",
    definition: "近3个月抖音、快手等短视频APP月均使用时长≥45小时的客户。",
    evaluate: (s) => flagScore(s.behaviour.shortVideoHours >= 45, s.behaviour.shortVideoHours / 120),
  },
  {
    code: "LIF_LONG_VIDEO", name: "长视频偏好", level1: L, level2: "App preferences", valueType: "FLAG",
    definition: "近3个月腾讯视频、爱奇艺、咪咕视频等长视频APP月均使用时长≥20小时的客户。",
    evaluate: (s) => flagScore(s.behaviour.longVideoHours >= 20, s.behaviour.longVideoHours / 60),
  },
  {
    code: "LIF_GAMING", name: "手游玩家", level1: L, level2: "App preferences", valueType: "FLAG",
    definition: "近3个月手机游戏月均使用时长≥25小时的客户。",
    evaluate: (s) => flagScore(s.behaviour.gameHours >= 25, s.behaviour.gameHours / 80),
  },
  {
    code: "LIF_MUSIC", name: "音乐偏好", level1: L, level2: "App preferences", valueType: "FLAG",
    definition: "近3个月音乐类APP月均使用时长≥20小时的客户。",
    evaluate: (s) => flagScore(s.behaviour.musicHours >= 20, s.behaviour.musicHours / 60),
  },
  {
    code: "LIF_SHOPPING", name: "网购达人", level1: L, level2: "App preferences", valueType: "FLAG",
    definition: "近3个月电商类APP月均访问≥50次的客户。",
    evaluate: (s) => flag(s.behaviour.shoppingSessions >= 50),
  },
  {
    code: "LIF_READING", name: "阅读偏好", level1: L, level2: "App preferences", valueType: "FLAG",
    definition: "近3个月阅读及有声书类APP月均使用时长≥15小时的客户。",
    evaluate: (s) => flag(s.behaviour.readingHours >= 15),
  },
  {
    code: "LIF_FINANCE", name: "理财偏好", level1: L, level2: "App preferences", valueType: "FLAG",
    definition: "近3个月银行、证券、理财类APP月均访问≥20次的客户。",
    evaluate: (s) => flag(s.behaviour.financeSessions >= 20),
  },
  {
    code: "LIF_COMMUTER", name: "通勤族", level1: L, level2: "Location patterns", valueType: "FLAG",
    definition: "上月呈现居住地—工作地—居住地规律位置轨迹的天数≥20天的客户。",
    evaluate: (s) => flag(s.behaviour.commuteDays >= 20),
  },
  {
    code: "LIF_TRAVELLER", name: "差旅常客", level1: L, level2: "Location patterns", valueType: "FLAG",
    definition: "近3个月在归属省外或省内其他地市驻留的天数合计≥6天的客户。",
    evaluate: (s) => flag(s.behaviour.domesticTripDays3m >= 6),
  },
  {
    code: "LIF_AIRPORT", name: "机场高频出行", level1: L, level2: "Location patterns", valueType: "FLAG",
    definition: "近3个月到达机场基站覆盖区域≥3次的客户。",
    evaluate: (s) => flag(s.behaviour.airportVisits3m >= 3),
  },
  {
    code: "LIF_BIZ_DISTRICT", name: "商圈常客", level1: L, level2: "Location patterns", valueType: "FLAG",
    definition: "上月到访核心商圈（驻留≥1小时）≥8次的客户。",
    evaluate: (s) => flag(s.behaviour.businessDistrictVisits >= 8),
  },
  {
    code: "LIF_CONTENT_MEMBER", name: "权益会员客户", level1: L, level2: "Content", valueType: "FLAG",
    definition: "当前订购任一视频、音乐、阅读或云盘权益会员产品的客户。",
    evaluate: (s) => flag(holds(s, (p) => p.kind === "CONTENT")),
  },
  {
    code: "LIF_CONTENT_PROPENSITY", name: "内容付费倾向分", level1: L, level2: "Content", valueType: "SCORE",
    definition: "对近3个月长视频、音乐、阅读月均时长合计≥40小时的客户打标，得分为min(1, 三者月均时长合计/80)。",
    evaluate: (s) => {
      const hours = s.behaviour.longVideoHours + s.behaviour.musicHours + s.behaviour.readingHours;
      if (hours < 40) return null;
      const score = round2(Math.min(1, hours / 80));
      return { value: score.toFixed(2), score };
    },
  },
  {
    code: "LIF_ONLINE_FIRST", name: "线上渠道偏好", level1: L, level2: "Channel preference", valueType: "FLAG",
    definition: "第一、第二偏好接触渠道均为线上渠道（中国移动APP、网上营业厅、微信公众号）的客户。",
    evaluate: (s) => flag(s.preferredChannels.length >= 2 && s.preferredChannels.slice(0, 2).every((c) => ONLINE.has(c))),
  },
  {
    code: "LIF_STORE_FIRST", name: "营业厅偏好", level1: L, level2: "Channel preference", valueType: "FLAG",
    definition: "首选接触渠道为实体营业厅的客户。",
    evaluate: (s) => flag(s.preferredChannels[0] === "STORE"),
  },
  {
    code: "LIF_HOTLINE_FREQ", name: "热线高频客户", level1: L, level2: "Channel preference", valueType: "FLAG",
    definition: "近6个月经10086热线接触（咨询、办理、投诉）≥4次的客户。",
    evaluate: (s) => flag(countContacts(s, (c) => c.channel === "HOTLINE" && (c.kind === "CONSULTATION" || c.kind === "HANDLING" || c.kind === "COMPLAINT")) >= 4),
  },
  // ── Value & Lifecycle ──
  {
    code: "VAL_LIFECYCLE", name: "生命周期阶段", level1: V, level2: "Lifecycle", valueType: "CATEGORY",
    definition: "新入网期：在网≤6个月；流失预警期：流失预警评分≥0.4；衰退期：ARPU较3个月前下降≥15%；成长期：在网≤36个月或ARPU较3个月前上升≥10%；其余为成熟期（按此顺序判定）。",
    evaluate: (s) => category(LIFECYCLE_STAGE_LABELS[s.customer.lifecycleStage]),
  },
  {
    code: "VAL_NEW", name: "新入网客户", level1: V, level2: "Lifecycle", valueType: "FLAG",
    definition: "在网时长≤3个月的客户。",
    evaluate: (s) => flag(s.customer.tenureMonths <= 3),
  },
  {
    code: "VAL_LOYAL", name: "十年老客户", level1: V, level2: "Lifecycle", valueType: "FLAG",
    definition: "在网时长≥120个月的客户。",
    evaluate: (s) => flag(s.customer.tenureMonths >= 120),
  },
  {
    code: "VAL_TIER", name: "价值等级", level1: V, level2: "Value", valueType: "CATEGORY",
    definition: "按近3个月月均移动ARPU（不含宽带、魔百和）分档：<40元低价值，40-99元中价值，100-199元高价值，≥200元顶级价值。",
    evaluate: (s) => category(VALUE_TIER_LABELS[s.customer.valueTier]),
  },
  {
    code: "VAL_HIGH", name: "高价值客户", level1: V, level2: "Value", valueType: "FLAG",
    definition: "近3个月月均移动ARPU（不含宽带、魔百和）≥100元的客户。",
    evaluate: (s) => flagScore(s.customer.arpu >= 100, s.customer.arpu / 300),
  },
  {
    code: "VAL_CREDIT_HIGH", name: "高信用客户", level1: V, level2: "Value", valueType: "FLAG",
    definition: "信用分≥800分的客户（信用分区间350-950）。",
    evaluate: (s) => flag(s.customer.creditScore >= 800),
  },
  {
    code: "VAL_ARPU_DROP", name: "ARPU下滑客户", level1: V, level2: "Value", valueType: "FLAG",
    definition: "近3个月月均ARPU较3个月前当月ARPU下降≥30%的客户。",
    evaluate: (s) => flagScore(arpuDrop(s) >= 0.3, arpuDrop(s)),
  },
  {
    code: "VAL_NEG_PROFIT_88", name: "88元套餐负利润客户", level1: V, level2: "Value", valueType: "FLAG",
    definition: "主套餐为4G畅享88元套餐，且近3个月月均流量超出套餐内流量50%以上的客户。",
    evaluate: (s) => flag(s.mainPlan.code === "4G-PLAN-88" && s.customer.avgDataMb3m > 1.5 * s.mainPlan.dataQuotaMb),
  },
  {
    code: "VAL_CHURN_SCORE", name: "流失预警评分", level1: V, level2: "Churn", valueType: "SCORE", version: 3,
    definition: "得分 = 0.35×min(1, ARPU降幅/50%) + 0.2×min(近6月投诉次数,3)/3 + 0.2×[合约90天内到期] + 0.15×[近3月月均流量<套餐30%] + 0.1×[在网<12个月]，得分≥0.25的客户打标。",
    evaluate: (s) => {
      const score = churnScore(s);
      return score >= 0.25 ? { value: score.toFixed(2), score } : null;
    },
  },
  {
    code: "VAL_COMPLAINER", name: "投诉敏感客户", level1: V, level2: "Churn", valueType: "FLAG",
    definition: "近6个月投诉≥2次的客户。",
    evaluate: (s) => flag(countContacts(s, (c) => c.kind === "COMPLAINT") >= 2),
  },
  {
    code: "VAL_CONTRACT_END", name: "合约到期客户", level1: V, level2: "Churn", valueType: "FLAG",
    definition: "购机或保底消费合约将在60天内到期的客户。",
    evaluate: (s) => flag(s.behaviour.contractEndDays !== null && s.behaviour.contractEndDays <= 60),
  },
  {
    code: "VAL_RESPONSIVE", name: "营销敏感客户", level1: V, level2: "Marketing response", valueType: "FLAG",
    definition: "近6个月对营销推荐有接受或点击响应≥2次的客户。",
    evaluate: (s) => flag(countContacts(s, (c) => c.kind === "OFFER_RESPONSE" && (c.outcome === "ACCEPTED" || c.outcome === "CLICKED")) >= 2),
  },
  {
    code: "VAL_OFFER_FATIGUE", name: "营销疲劳客户", level1: V, level2: "Marketing response", valueType: "FLAG",
    definition: "近6个月对营销推荐拒绝或未响应≥4次的客户。",
    evaluate: (s) => flag(countContacts(s, (c) => c.kind === "OFFER_RESPONSE" && (c.outcome === "DECLINED" || c.outcome === "IGNORED")) >= 4),
  },
  {
    code: "VAL_DND", name: "免打扰客户", level1: V, level2: "Marketing response", valueType: "CATEGORY",
    definition: "已登记免打扰的客户，取值红名单（不外呼不短信）或黑名单（不做任何营销）。",
    evaluate: (s) => (s.customer.doNotDisturb ? category(s.customer.dndList === "BLACK" ? "黑名单" : "红名单") : null),
  },
  // ── not published: the API must hide these, though customers still carry them ──
  {
    code: "VAL_PORT_OUT_RISK", name: "疑似携号转网倾向", level1: V, level2: "Churn", valueType: "FLAG", status: "DRAFT",
    definition: "流失预警评分≥0.5且近6个月投诉≥1次的客户（试算中，待审批）。",
    evaluate: (s) => flag(churnScore(s) >= 0.5 && countContacts(s, (c) => c.kind === "COMPLAINT") >= 1),
  },
  {
    code: "LIF_FETION", name: "飞信活跃用户", level1: L, level2: "App preferences", valueType: "FLAG", status: "OFFLINE", version: 4,
    definition: "上月飞信活跃天数≥1天的客户（飞信业务已下线，标签停用）。",
    evaluate: (s) => flag(s.behaviour.fetionDays >= 1),
  },
  {
    code: "TEL_RINGBACK_LEGACY", name: "彩铃订购用户（旧口径）", level1: T, level2: "Voice usage", valueType: "FLAG", status: "OFFLINE", version: 2,
    definition: "在网≥60个月且近3个月音乐类APP月均使用≥10小时的客户（旧口径，已由视频彩铃标签替代）。",
    evaluate: (s) => flag(s.customer.tenureMonths >= 60 && s.behaviour.musicHours >= 10),
  },
];

/** The tag library: every leaf tag with its definition and predicate, in id order ("T001", …). */
export const TAGS: readonly TagDefinition[] = TAG_SPECS.map((spec, i) => ({
  ...spec,
  id: `T${String(i + 1).padStart(3, "0")}`,
  market: spec.market ?? "INDIVIDUAL",
  scope: spec.scope ?? "PROVINCE",
  owner: spec.owner ?? PROVINCE_OWNER,
  status: spec.status ?? "PUBLISHED",
  version: spec.version ?? 1,
}));

/** The stored part of a tag (no predicate). */
export function tagNode(t: TagDefinition): TagNode {
  return {
    id: t.id,
    code: t.code,
    name: t.name,
    level1: t.level1,
    level2: t.level2,
    definition: t.definition,
    valueType: t.valueType,
    market: t.market,
    scope: t.scope,
    ...(t.regionId ? { regionId: t.regionId } : {}),
    ...(t.owner ? { owner: t.owner } : {}),
    status: t.status,
    version: t.version,
  };
}

const TAG_BY_CODE = new Map(TAGS.map((t) => [t.code, t]));

/** The tag with this code; throws on an unknown code. */
export function tagByCode(code: string): TagDefinition {
  const t = TAG_BY_CODE.get(code);
  if (!t) throw new Error(`unknown tag code ${code}`);
  return t;
}
