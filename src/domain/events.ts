import type { AttributeInfo, AttributeValue } from "./attributes";
import { LIFECYCLE_STAGES, VALUE_TIERS } from "./vocabulary";

/**
 * The real-time events the gateway accepts (docs/API.md, "Event types"), and the payload each carries.
 *
 * One table serves three purposes: validating payloads at the door (ingestEvents and the Redis
 * Stream), naming what a strategy trigger's condition may test (`event.percent >= 90`), and
 * phrasing the event in the reasons an agent reads ("事件：流量已用 92%").
 */

export const EVENT_TYPES = [
  "LOCATION_ENTER",
  "DATA_USAGE",
  "ROAMING_START",
  "FIRST_DATA_USE",
  "APP_LOGIN",
  "HOTLINE_CALL_START",
  "HOTLINE_CALL_END",
  "BILL_PAYMENT",
  "PLAN_QUERY",
  "HANDSET_BROWSE",
  "CONTENT_SEARCH",
  "USAGE_UPDATE",
  "PRODUCT_ORDERED",
  "PRODUCT_CANCELLED",
  "PROFILE_CHANGE",
  "SERVICE_COMPLETED",
  "DELIVERY_RECEIPT",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const AREA_KINDS = ["AIRPORT", "TRAIN_STATION", "BUSINESS_DISTRICT", "SCENIC_SPOT", "STADIUM", "CAMPUS", "HOSPITAL", "SHOPPING_MALL"] as const;
export const PAYMENT_CHANNELS = ["STORE", "AGENT", "APP", "WEB", "WECHAT", "BANK", "AUTOPAY"] as const;
export const CONTENT_CATEGORIES = ["MUSIC", "READING", "VIDEO", "GAME"] as const;
/** Services whose completion a work-order or field system reports (SERVICE_COMPLETED). */
export const SERVICE_KINDS = ["REPAIR", "INSTALLATION", "RELOCATION", "SIM_REPLACEMENT", "NUMBER_TRANSFER", "COMPLAINT_RESOLVED"] as const;

/** One payload field: its type, whether it must be present, and what it may hold. */
export interface PayloadField {
  type: "number" | "string" | "boolean";
  label: string;
  description: string;
  required?: boolean;
  /** Used when the field is absent, so conditions see a value rather than "missing". */
  default?: string | number | boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Longest text accepted. */
  maxLength?: number;
  /** Numbers must be whole (counters). */
  integer?: boolean;
  /** Text must match this, described by `patternHint` in the error. */
  pattern?: RegExp;
  patternHint?: string;
}

export interface EventTypeInfo {
  label: string;
  description: string;
  fields: Readonly<Record<string, PayloadField>>;
  /** At least one of these fields must be given (an update that updates nothing is a feed's bug). */
  oneOf?: readonly string[];
  /**
   * Fields the type does not declare are refused rather than ignored: a profile change naming an
   * attribute a CRM may not change (or misspelling one) must not be dropped silently.
   */
  closed?: boolean;
}

/**
 * The customer changes events carry: usage counters of this month, a holding ordered or cancelled
 * in billing, or profile attributes a CRM changed. The event processor applies them to the graph
 * (src/graph/changes.ts) and tells the segment index and the rule tags which customers changed.
 */
export const CUSTOMER_CHANGE_EVENTS = ["USAGE_UPDATE", "PRODUCT_ORDERED", "PRODUCT_CANCELLED", "PROFILE_CHANGE"] as const satisfies readonly EventType[];
export type CustomerChangeEventType = (typeof CUSTOMER_CHANGE_EVENTS)[number];

export function isCustomerChangeEvent(type: EventType): type is CustomerChangeEventType {
  return (CUSTOMER_CHANGE_EVENTS as readonly string[]).includes(type);
}

/**
 * The profile attributes a CRM may change through PROFILE_CHANGE, each a customer attribute of
 * the same name, type and values (src/segments/attributes.ts; a test holds them equal). Identity
 * (name, number, region), derived figures (ARPU, usage percentages) and the do-not-disturb lists
 * (set by the complaints process, not by a CRM feed) are not among them.
 */
export const PROFILE_CHANGE_FIELDS = ["valueTier", "lifecycleStage", "terminalModel", "networkType", "creditScore", "doNotDisturb"] as const;
export type ProfileChangeField = (typeof PROFILE_CHANGE_FIELDS)[number];

const USAGE_MAX = 100_000_000;

const count = (label: string, description: string): PayloadField => ({ type: "number", label, description, min: 0, max: USAGE_MAX, integer: true });
const product = (verb: string): Record<string, PayloadField> => ({
  productId: { type: "string", label: "产品", description: `Id of the product ${verb}, e.g. P001 (or give productCode).`, maxLength: 64 },
  productCode: { type: "string", label: "产品编码", description: `Business code of the product ${verb}, e.g. 5G-PLAN-128 (or give productId).`, maxLength: 64 },
  orderId: { type: "string", label: "订单", description: "The billing system's order id, for tracing.", maxLength: 64 },
});

const text = (label: string, description: string, extra: Partial<PayloadField> = {}): PayloadField => ({ type: "string", label, description, maxLength: 200, ...extra });

export const EVENT_CATALOGUE: Readonly<Record<EventType, EventTypeInfo>> = {
  LOCATION_ENTER: {
    label: "进入区域",
    description: "The customer's phone entered an area the location feed watches.",
    fields: {
      area: text("区域类型", "Kind of area entered.", { required: true, values: AREA_KINDS }),
      place: text("地点", "Name of the place, e.g. 杭州东站."),
    },
  },
  DATA_USAGE: {
    label: "流量使用",
    description: "The customer is using data; the usage feed reports how much of the month's quota is used.",
    fields: {
      percent: { type: "number", label: "流量已用%", description: "Percent of the month's data quota used (may exceed 100).", required: true, min: 0, max: 10_000 },
    },
  },
  ROAMING_START: {
    label: "漫游通话",
    description: "A call while roaming, reported by signalling at hang-up.",
    fields: {
      destination: text("漫游地", "Where the customer is roaming, e.g. 香港 or 北京.", { required: true }),
      international: { type: "boolean", label: "国际及港澳台漫游", description: "Outside the mainland.", default: false },
      firstCall: { type: "boolean", label: "首次漫游通话", description: "The first call of this trip.", default: true },
    },
  },
  FIRST_DATA_USE: {
    label: "首次使用流量",
    description: "The first data session of a customer who has not used data this month.",
    fields: {
      app: text("应用", "The app that opened the session."),
    },
  },
  APP_LOGIN: {
    label: "登录营业厅",
    description: "The customer logged in to the app or the web hall.",
    fields: {
      channel: text("渠道", "Which hall.", { values: ["APP", "WEB"], default: "APP" }),
    },
  },
  HOTLINE_CALL_START: {
    label: "热线来电",
    description: "A 10086 call connected to an agent; the agent's desktop gets the caller's view and offers.",
    fields: {
      agentId: text("坐席", "The agent the call connected to.", { required: true, maxLength: 64 }),
      callId: text("通话", "The call's id in the contact centre.", { maxLength: 64 }),
    },
  },
  HOTLINE_CALL_END: {
    label: "热线挂机",
    description: "A 10086 call ended; from now on the agent sees the caller masked again (without this event, 30 minutes after the call started).",
    fields: {
      agentId: text("坐席", "The agent the call was connected to.", { required: true, maxLength: 64 }),
      callId: text("通话", "The call's id in the contact centre (when given, only that call ends).", { maxLength: 64 }),
    },
  },
  BILL_PAYMENT: {
    label: "缴费",
    description: "The customer paid a bill.",
    fields: {
      amount: { type: "number", label: "缴费金额", description: "Amount paid, yuan.", required: true, min: 0, max: 1_000_000 },
      channel: text("缴费渠道", "Where the customer paid.", { required: true, values: PAYMENT_CHANNELS }),
    },
  },
  PLAN_QUERY: {
    label: "套餐查询",
    description: "The customer looked up their plan or balance.",
    fields: {
      channel: text("渠道", "Where the query was made.", { values: ["APP", "WEB", "SMS", "HOTLINE", "WECHAT"], default: "APP" }),
    },
  },
  HANDSET_BROWSE: {
    label: "浏览终端",
    description: "The customer browsed a handset page.",
    fields: {
      brand: text("品牌", "Brand of the handset browsed."),
      model: text("机型", "Model of the handset browsed."),
    },
  },
  CONTENT_SEARCH: {
    label: "内容搜索",
    description: "The customer searched for or listened to content in an app.",
    fields: {
      category: text("内容类型", "Kind of content.", { required: true, values: CONTENT_CATEGORIES }),
      query: text("搜索词", "What was searched."),
    },
  },
  USAGE_UPDATE: {
    label: "本月用量",
    description:
      "The usage feed's counters of one month so far (cumulative, not increments): they replace the customer's usage of that month. A report for an older month than the one held, or older than the last report of the same month, changes nothing.",
    fields: {
      month: text("账期月份", "The month the counters are of, YYYY-MM.", { required: true, maxLength: 7, pattern: /^\d{4}-(0[1-9]|1[0-2])$/, patternHint: "a month written YYYY-MM, e.g. 2026-11" }),
      dataUsedMb: count("本月已用流量MB", "Data used this month so far, MB."),
      voiceUsedMinutes: count("本月已用语音分钟", "Outgoing call minutes this month so far."),
      smsUsed: count("本月短信条数", "SMS sent this month so far."),
    },
    oneOf: ["dataUsedMb", "voiceUsedMinutes", "smsUsed"],
  },
  PRODUCT_ORDERED: {
    label: "订购产品",
    description:
      "Billing opened a product for the customer (at the event's time): the customer holds it from then on, and held products it EXCLUDES (the plan it replaces) are dropped. A product missing from the catalogue parks the event.",
    fields: product("ordered"),
    oneOf: ["productId", "productCode"],
  },
  PRODUCT_CANCELLED: {
    label: "退订产品",
    description: "Billing closed a product of the customer (at the event's time): the customer no longer holds it. An order older than the cancellation, arriving late, does not bring it back.",
    fields: product("cancelled"),
    oneOf: ["productId", "productCode"],
  },
  SERVICE_COMPLETED: {
    label: "服务完成",
    description: "A service for the customer was completed (a repair, an installation, …): follow-up strategies (追尾) offer on the channel where it happened (the app when none is given).",
    fields: {
      service: text("服务类型", "What was done.", { required: true, values: SERVICE_KINDS }),
      channel: text("服务渠道", "Where it happened; ONSITE (a technician's visit) follows up in the app.", { values: ["STORE", "HOTLINE", "APP", "WEB", "WECHAT", "ONSITE"] }),
      orderId: text("工单", "The work order's id, for tracing.", { maxLength: 64 }),
    },
  },
  DELIVERY_RECEIPT: {
    label: "送达回执",
    description: "A channel system's receipt for a campaign outbox message (SMS, APP, WECHAT): the decision is marked delivered, or failed with the reason. The first receipt of a decision stands.",
    fields: {
      decisionId: text("决策", "The decision the outbox message carried.", { required: true, maxLength: 200 }),
      status: text("状态", "DELIVERED or FAILED.", { required: true, values: ["DELIVERED", "FAILED"] }),
      reason: text("原因", "Why it failed.", { maxLength: 200 }),
    },
  },
  PROFILE_CHANGE: {
    label: "客户资料变更",
    description: `A CRM changed profile attributes of the customer; only ${PROFILE_CHANGE_FIELDS.join(", ")} may be given (any other field is refused). An attribute changed later than this event is kept.`,
    fields: {
      valueTier: text("价值等级", "Value tier.", { values: VALUE_TIERS }),
      lifecycleStage: text("生命周期阶段", "Lifecycle stage.", { values: LIFECYCLE_STAGES }),
      terminalModel: text("终端型号", 'Model of the handset in use, e.g. "iPhone 15".', { maxLength: 64 }),
      networkType: text("终端网络", "Network the handset supports.", { values: ["4G", "5G"] }),
      creditScore: { type: "number", label: "信用分", description: "Credit score, 350..950.", min: 350, max: 950, integer: true },
      doNotDisturb: { type: "boolean", label: "免打扰", description: "On a do-not-disturb list." },
    } satisfies Record<ProfileChangeField, PayloadField>,
    oneOf: PROFILE_CHANGE_FIELDS,
    closed: true,
  },
};

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** The attribute name a trigger condition uses for a payload field: `event.percent`. */
export function eventAttributeName(field: string): string {
  return `event.${field}`;
}

/** What a trigger condition on this event type may reference beyond the customer's attributes. */
export function eventAttributes(type: EventType): Record<string, AttributeInfo> {
  const out: Record<string, AttributeInfo> = {};
  for (const [name, f] of Object.entries(EVENT_CATALOGUE[type].fields)) {
    out[eventAttributeName(name)] = { type: f.type, label: f.label, description: f.description, ...(f.values ? { values: f.values } : {}) };
  }
  return out;
}

/** A payload that passed validation: every declared field present (defaults filled) or null. */
export type EventPayload = Readonly<Record<string, string | number | boolean | null>>;

/** A payload problem: the field (as `payload.x`) and what to do about it. */
export class PayloadError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * Checks a payload against its type's fields. Fields the type does not declare are kept out of the
 * result (feeds add fields over time; a condition can only test declared ones) but do not fail.
 * Only the payload's own fields count: `__proto__`, `constructor` and anything inherited through
 * a prototype are ignored, so `{"__proto__": {"percent": 95}}` has no percent.
 */
export function validatePayload(type: EventType, payload: unknown): EventPayload {
  const info = EVENT_CATALOGUE[type];
  if (payload !== undefined && payload !== null && (typeof payload !== "object" || Array.isArray(payload))) {
    throw new PayloadError(`payload of a ${type} event must be an object such as ${example(type)}; got ${describe(payload)}`, "payload");
  }
  const given = (payload ?? {}) as Record<string, unknown>;
  const out: Record<string, string | number | boolean | null> = {};
  for (const [name, f] of Object.entries(info.fields)) {
    const field = `payload.${name}`;
    const v = Object.hasOwn(given, name) ? given[name] : undefined;
    if (v === undefined || v === null) {
      if (f.required) throw new PayloadError(`${field} is required for ${type} events (${f.description}), e.g. ${example(type)}`, field);
      out[name] = f.default ?? null;
      continue;
    }
    if (typeof v !== f.type) throw new PayloadError(`${field} must be a ${f.type}; got ${describe(v)}`, field);
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new PayloadError(`${field} must be a finite number; got ${String(v)}`, field);
      if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) {
        throw new PayloadError(`${field} must be between ${f.min ?? "-∞"} and ${f.max ?? "∞"}; got ${v}`, field);
      }
      if (f.integer && !Number.isInteger(v)) throw new PayloadError(`${field} must be a whole number; got ${v}`, field);
    }
    if (typeof v === "string") {
      if (f.values && !f.values.includes(v)) throw new PayloadError(`${field} must be one of ${f.values.join(", ")}; got "${v.slice(0, 40)}"`, field);
      if (f.maxLength !== undefined && v.length > f.maxLength) throw new PayloadError(`${field} is ${v.length} characters long; keep it under ${f.maxLength}`, field);
      if (f.pattern && !f.pattern.test(v)) throw new PayloadError(`${field} must be ${f.patternHint ?? `text matching ${String(f.pattern)}`}; got "${v.slice(0, 40)}"`, field);
    }
    out[name] = v as string | number | boolean;
  }
  if (info.closed) {
    const unknown = Object.keys(given).find((name) => !Object.hasOwn(info.fields, name));
    if (unknown !== undefined) {
      throw new PayloadError(`payload.${unknown.slice(0, 40)} may not be changed by a ${type} event; give only ${Object.keys(info.fields).join(", ")}`, `payload.${unknown.slice(0, 40)}`);
    }
  }
  if (info.oneOf && info.oneOf.every((name) => out[name] === null || out[name] === undefined)) {
    throw new PayloadError(`a ${type} event must give at least one of ${info.oneOf.map((n) => `payload.${n}`).join(", ")}, e.g. ${example(type)}`, `payload.${info.oneOf[0] ?? ""}`);
  }
  return out;
}

/** The payload as trigger conditions see it: `event.<field>` attributes. */
export function payloadAttributes(payload: EventPayload): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, v] of Object.entries(payload)) out[eventAttributeName(name)] = v;
  return out;
}

/** A one-line description of an event for reasons and trajectory summaries, e.g. "流量使用（流量已用% 92）". */
export function describeEvent(type: EventType, payload: EventPayload): string {
  const info = EVENT_CATALOGUE[type];
  const parts = Object.entries(info.fields)
    .filter(([name]) => payload[name] !== null && payload[name] !== undefined && name !== "agentId" && name !== "callId")
    .map(([name, f]) => `${f.label} ${show(payload[name] ?? null)}`);
  return parts.length > 0 ? `${info.label}（${parts.join("，")}）` : info.label;
}

function show(v: string | number | boolean | null): string {
  if (typeof v === "boolean") return v ? "是" : "否";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(1);
  return v ?? "无";
}

function example(type: EventType): string {
  const info = EVENT_CATALOGUE[type];
  const first = info.oneOf?.[0];
  const fields = Object.entries(info.fields).filter(([name, f]) => f.required || name === first);
  const sample = fields.map(([name, f]) => `"${name}": ${f.type === "number" ? "92" : f.type === "boolean" ? "true" : `"${f.values?.[0] ?? (f.pattern ? "2026-11" : "…")}"`}`);
  return `{${sample.join(", ")}}`;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the text "${v.slice(0, 40)}"`;
  return `${typeof v} ${JSON.stringify(v)?.slice(0, 40) ?? String(v)}`;
}
