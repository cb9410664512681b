import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

/**
 * The pages' words, Chinese first (the front lines' language) and English beside. A key missing
 * from English fails to compile; the language chosen is kept in localStorage.
 */
const zh = {
  "app.desk": "10086 坐席工作台",
  "app.hall": "掌上营业厅",
  "app.console": "营销管理台",
  "lang.switch": "English",
  "signin.title": "登录",
  "signin.paste": "粘贴访问令牌（Bearer JWT）",
  "signin.submit": "登录",
  "signin.dev": "开发环境令牌",
  "signin.bad": "令牌无法解析：应为三段以“.”分隔的 JWT。",
  "signin.role": "此页面需要角色：",
  "signout": "退出",
  "common.loading": "加载中…",
  "common.none": "无",
  "common.error": "出错了：",
  "common.yuan": "元",
  "desk.waiting": "等待来电…",
  "desk.agent": "坐席",
  "desk.live": "实时连接",
  "desk.caller": "来电客户",
  "desk.value": "价值",
  "desk.stage": "生命周期",
  "desk.tags": "客户标签",
  "desk.holdings": "在用产品",
  "desk.usage": "本月用量",
  "desk.circle": "家庭与交往圈",
  "desk.trajectory": "接触轨迹",
  "desk.allChannels": "全部渠道",
  "desk.since": "起始日期",
  "desk.more": "加载更多",
  "desk.end": "没有更多了",
  "desk.advice": "套餐建议",
  "desk.offers": "推荐话术",
  "desk.why": "为什么推荐",
  "desk.accept": "客户接受",
  "desk.decline": "客户拒绝",
  "desk.responded": "已记录：",
  "desk.note": "服务记录",
  "desk.notePlaceholder": "记录本次咨询、投诉或备注…",
  "desk.noteSave": "保存记录",
  "desk.noteKind": "类型",
  "desk.workOrders": "我的工单",
  "desk.due": "到期",
  "desk.arpu": "ARPU",
  "desk.tenure": "在网",
  "desk.months": "个月",
  "usage.data": "流量(MB)",
  "usage.voice": "语音(分钟)",
  "usage.sms": "短信(条)",
  "usage.thisMonth": "本月",
  "usage.avg3m": "近三月平均",
  "usage.quota": "套餐内",
  "advice.current": "当前套餐",
  "advice.recommended": "建议套餐",
  "advice.difference": "每月差额",
  "advice.saving": "每月可省",
  "hall.myPlan": "我的套餐",
  "hall.usage": "用量",
  "hall.forYou": "为您推荐",
  "hall.live": "限时推荐",
  "hall.accept": "立即办理",
  "hall.decline": "不感兴趣",
  "hall.thanks": "已收到您的选择",
  "console.segments": "客群圈选",
  "console.tags": "标签库",
  "console.campaigns": "营销活动",
  "console.search": "搜索指标或标签…",
  "console.expression": "表达式",
  "console.count": "客户数",
  "console.share": "占比",
  "console.distribution": "分布",
  "console.sample": "样本客户（已脱敏）",
  "console.addCondition": "添加条件",
  "console.all": "全部满足",
  "console.any": "任一满足",
  "console.remove": "删除",
  "console.status": "状态",
  "console.coverage": "覆盖客户",
  "console.name": "名称",
  "console.waves": "波次",
  "console.progress": "进度",
  "console.emptyExpression": "从左侧搜索添加条件",
  "kind.CONSULTATION": "咨询",
  "kind.HANDLING": "办理",
  "kind.COMPLAINT": "投诉",
  "kind.OFFER_PRESENTED": "推荐",
  "kind.OFFER_RESPONSE": "推荐回应",
  "kind.NOTE": "备注",
  "channel.HOTLINE": "10086热线",
  "channel.APP": "掌厅APP",
  "channel.WEB": "网厅",
  "channel.SMS": "短信",
  "channel.OUTBOUND_CALL": "外呼",
  "channel.STORE": "营业厅",
  "channel.WECHAT": "微信",
  "tier.LOW": "低价值",
  "tier.MEDIUM": "中价值",
  "tier.HIGH": "高价值",
  "tier.PREMIUM": "顶级价值",
  "stage.NEW": "新入网期",
  "stage.GROWTH": "成长期",
  "stage.MATURE": "成熟期",
  "stage.DECLINE": "衰退期",
  "stage.CHURN_RISK": "流失预警期",
  "outcome.ACCEPTED": "接受",
  "outcome.DECLINED": "拒绝",
  "outcome.IGNORED": "忽略",
  "outcome.CLICKED": "点击",
};

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  "app.desk": "10086 agent desktop",
  "app.hall": "Mobile business hall",
  "app.console": "Marketing console",
  "lang.switch": "中文",
  "signin.title": "Sign in",
  "signin.paste": "Paste an access token (Bearer JWT)",
  "signin.submit": "Sign in",
  "signin.dev": "Development tokens",
  "signin.bad": "The token does not parse: a JWT is three parts separated by '.'.",
  "signin.role": "This page needs the role: ",
  signout: "Sign out",
  "common.loading": "Loading…",
  "common.none": "None",
  "common.error": "Error: ",
  "common.yuan": "yuan",
  "desk.waiting": "Waiting for a call…",
  "desk.agent": "Agent",
  "desk.live": "Live",
  "desk.caller": "Caller",
  "desk.value": "Value",
  "desk.stage": "Lifecycle",
  "desk.tags": "Tags",
  "desk.holdings": "Holdings",
  "desk.usage": "This month's usage",
  "desk.circle": "Family and calling circle",
  "desk.trajectory": "Trajectory",
  "desk.allChannels": "All channels",
  "desk.since": "Since",
  "desk.more": "Load more",
  "desk.end": "No more",
  "desk.advice": "Plan advice",
  "desk.offers": "Offers and scripts",
  "desk.why": "Why this offer",
  "desk.accept": "Accepted",
  "desk.decline": "Declined",
  "desk.responded": "Recorded: ",
  "desk.note": "Interaction note",
  "desk.notePlaceholder": "Note a consultation, complaint or remark…",
  "desk.noteSave": "Save note",
  "desk.noteKind": "Kind",
  "desk.workOrders": "My work orders",
  "desk.due": "Due",
  "desk.arpu": "ARPU",
  "desk.tenure": "Tenure",
  "desk.months": "months",
  "usage.data": "Data (MB)",
  "usage.voice": "Voice (min)",
  "usage.sms": "SMS",
  "usage.thisMonth": "This month",
  "usage.avg3m": "3-month average",
  "usage.quota": "Plan quota",
  "advice.current": "Current plan",
  "advice.recommended": "Recommended",
  "advice.difference": "Monthly difference",
  "advice.saving": "Monthly saving",
  "hall.myPlan": "My plan",
  "hall.usage": "Usage",
  "hall.forYou": "For you",
  "hall.live": "Just for now",
  "hall.accept": "Get it",
  "hall.decline": "Not interested",
  "hall.thanks": "Thanks, noted",
  "console.segments": "Segment builder",
  "console.tags": "Tag library",
  "console.campaigns": "Campaigns",
  "console.search": "Search indicators or tags…",
  "console.expression": "Expression",
  "console.count": "Customers",
  "console.share": "Share",
  "console.distribution": "Distribution",
  "console.sample": "Sample (masked)",
  "console.addCondition": "Add condition",
  "console.all": "All of",
  "console.any": "Any of",
  "console.remove": "Remove",
  "console.status": "Status",
  "console.coverage": "Customers",
  "console.name": "Name",
  "console.waves": "Waves",
  "console.progress": "Progress",
  "console.emptyExpression": "Search on the left to add conditions",
  "kind.CONSULTATION": "Consultation",
  "kind.HANDLING": "Handling",
  "kind.COMPLAINT": "Complaint",
  "kind.OFFER_PRESENTED": "Offer presented",
  "kind.OFFER_RESPONSE": "Offer response",
  "kind.NOTE": "Note",
  "channel.HOTLINE": "10086 hotline",
  "channel.APP": "App",
  "channel.WEB": "Web",
  "channel.SMS": "SMS",
  "channel.OUTBOUND_CALL": "Outbound call",
  "channel.STORE": "Store",
  "channel.WECHAT": "WeChat",
  "tier.LOW": "Low value",
  "tier.MEDIUM": "Medium value",
  "tier.HIGH": "High value",
  "tier.PREMIUM": "Premium",
  "stage.NEW": "New",
  "stage.GROWTH": "Growth",
  "stage.MATURE": "Mature",
  "stage.DECLINE": "Decline",
  "stage.CHURN_RISK": "Churn risk",
  "outcome.ACCEPTED": "Accepted",
  "outcome.DECLINED": "Declined",
  "outcome.IGNORED": "Ignored",
  "outcome.CLICKED": "Clicked",
};

export type Lang = "zh-CN" | "en";
const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { "zh-CN": zh, en };

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  /** The word for `key`; an unknown dynamic key (an enum value added later) shows as itself. */
  t(key: MessageKey): string;
  /** For keys built from enum values (`tier.${valueTier}`). */
  tx(key: string): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem("lang") === "en" ? "en" : "zh-CN"));
  useEffect(() => {
    localStorage.setItem("lang", lang);
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo<I18n>(() => {
    const dict = DICTIONARIES[lang];
    return { lang, setLang, t: (key) => dict[key], tx: (key) => (dict as Record<string, string>)[key] ?? key.slice(key.indexOf(".") + 1) };
  }, [lang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error("useI18n outside I18nProvider");
  return i18n;
}

/** The button that switches between Chinese and English. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <button type="button" className="link" data-testid="lang-switch" onClick={() => setLang(lang === "en" ? "zh-CN" : "en")}>
      {t("lang.switch")}
    </button>
  );
}
