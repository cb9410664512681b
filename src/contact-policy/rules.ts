import { z } from "zod";
import { BadUserInputError } from "../platform/errors";
import { CHANNEL_CODES, type ChannelCode } from "../domain/vocabulary";

/**
 * The contact policy's rules (接触策略): who may be contacted on which channel, how often and when.
 * One value for the whole gateway, stored in Redis by ./contact-policy.ts; this module owns its
 * shape, its defaults, how a partial change merges over it and how it is validated.
 */

/** At most `limit` contacts within any rolling `windowDays` days. */
export interface CapRule {
  limit: number;
  windowDays: number;
}

/** A cap shared by several channels: contacts on all of them count together. */
export interface OverallCap extends CapRule {
  channels: ChannelCode[];
}

/** Local times "HH:MM" in `timeZone`; wraps midnight when start > end (21:00–08:00). */
export interface QuietHours {
  start: string;
  end: string;
  timeZone: string;
  channels: ChannelCode[];
}

export interface ContactPolicyRules {
  /** Channels never used for a customer on the do-not-disturb red list (the operator-initiated ones). The black list blocks every channel. */
  redListChannels: ChannelCode[];
  /** Per-channel caps; a channel without an entry is not capped (inbound channels). */
  channelCaps: Partial<Record<ChannelCode, CapRule>>;
  overallCap: OverallCap | null;
  quietHours: QuietHours | null;
  /** An offer the customer declined is not proposed again for this long (0 = not at all). */
  declineCooldownDays: number;
  /** `ignoreLimit` ignores of one offer within `ignoreWindowDays` suppress it for `ignoreCooldownDays`. */
  ignoreLimit: number;
  ignoreWindowDays: number;
  ignoreCooldownDays: number;
  /** Every channel once, most preferred first (normalised: unlisted channels are appended in catalogue order). */
  channelPriority: ChannelCode[];
  /** Put the customer's own preferred channels (PREFERS rank) before the policy's priority. */
  honourPreference: boolean;
}

export interface ContactPolicyConfig extends ContactPolicyRules {
  /** 0 for the built-in default; +1 with every stored change. */
  version: number;
  updatedAt: Date | null;
  /** Who proposed the change that made this version. */
  updatedBy: string | null;
  /** The approved change (src/approval/) that made this version; null for the default and for versions stored without one. */
  changeId: string | null;
}

/**
 * A change: fields left out keep their current value. `channelCaps` replaces the caps of the
 * channels it names and `removeChannelCaps` uncaps channels; `overallCap` and `quietHours` merge
 * field by field over the current value (or the default when there is none), and `null` removes them.
 */
export interface ContactPolicyInput {
  redListChannels?: ChannelCode[] | null;
  channelCaps?: Array<{ channel: ChannelCode; limit: number; windowDays: number }> | null;
  removeChannelCaps?: ChannelCode[] | null;
  overallCap?: PartialOrNull<OverallCap> | null;
  quietHours?: PartialOrNull<QuietHours> | null;
  declineCooldownDays?: number | null;
  ignoreLimit?: number | null;
  ignoreWindowDays?: number | null;
  ignoreCooldownDays?: number | null;
  channelPriority?: ChannelCode[] | null;
  honourPreference?: boolean | null;
}

/** Fields left out, or null, keep their current value. */
export type PartialOrNull<T> = { [K in keyof T]?: T[K] | null };

const OUTBOUND: ChannelCode[] = ["SMS", "OUTBOUND_CALL"];
const PUSH: ChannelCode[] = ["SMS", "OUTBOUND_CALL", "APP", "WECHAT"];

/**
 * The policy in force while none is stored. Pega's defaults (one SMS per customer per week; an offer
 * ignored twice in 30 days is suppressed for 60) plus an operator's usual quiet hours: no outbound
 * or push contact between 21:00 and 08:00 Beijing time. The red list mirrors Channel.outbound,
 * the capped and quiet channels Channel.push (seeds/catalogue.ts).
 */
export const DEFAULT_RULES: ContactPolicyRules = {
  redListChannels: OUTBOUND,
  channelCaps: {
    SMS: { limit: 1, windowDays: 7 },
    OUTBOUND_CALL: { limit: 1, windowDays: 30 },
    APP: { limit: 3, windowDays: 7 },
    WECHAT: { limit: 3, windowDays: 7 },
  },
  overallCap: { channels: PUSH, limit: 4, windowDays: 7 },
  quietHours: { start: "21:00", end: "08:00", timeZone: "Asia/Shanghai", channels: PUSH },
  declineCooldownDays: 30,
  ignoreLimit: 2,
  ignoreWindowDays: 30,
  ignoreCooldownDays: 60,
  channelPriority: ["APP", "WECHAT", "SMS", "OUTBOUND_CALL", "HOTLINE", "STORE", "WEB"],
  honourPreference: true,
};

export const DEFAULT_POLICY: ContactPolicyConfig = { ...DEFAULT_RULES, version: 0, updatedAt: null, updatedBy: null, changeId: null };

export const DAY_MS = 86_400_000;

// ───────────────────────────── validation ─────────────────────────────

const LIMITS = {
  capLimit: [0, 1000],
  windowDays: [1, 365],
  cooldownDays: [0, 365],
  ignoreLimit: [1, 100],
} as const;

const wholeNumber = ([min, max]: readonly [number, number], unit = "") => {
  const error = (iss: { input?: unknown }): string => `must be a whole number from ${min} to ${max}${unit}; got ${JSON.stringify(iss.input)}`;
  return z.number({ error }).refine((n) => Number.isInteger(n) && n >= min && n <= max, { error });
};

const channel = z.enum(CHANNEL_CODES, { error: (iss) => `must be one of ${CHANNEL_CODES.join(", ")}; got ${JSON.stringify(iss.input)}` });

const channelSet = (allowEmpty: boolean) =>
  z.array(channel).superRefine((list, ctx) => {
    const dup = list.find((c, i) => list.indexOf(c) !== i);
    if (dup) ctx.addIssue({ code: "custom", message: `names ${dup} twice; list each channel once` });
    if (!allowEmpty && list.length === 0) ctx.addIssue({ code: "custom", message: "must name at least one channel" });
  });

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: (iss) => `must be a time of day "HH:MM" from 00:00 to 23:59; got ${JSON.stringify(iss.input)}` });

const timeZone = z.string().refine(isTimeZone, { error: (iss) => `must be an IANA time zone such as "Asia/Shanghai"; got ${JSON.stringify(iss.input)}` });

const capRule = z.object({ limit: wholeNumber(LIMITS.capLimit, " contacts"), windowDays: wholeNumber(LIMITS.windowDays, " days") });

const rulesSchema = z.object({
  redListChannels: channelSet(true),
  channelCaps: z.partialRecord(channel, capRule),
  overallCap: z.object({ channels: channelSet(false), limit: capRule.shape.limit, windowDays: capRule.shape.windowDays }).nullable(),
  quietHours: z
    .object({ start: timeOfDay, end: timeOfDay, timeZone, channels: channelSet(true) })
    .refine((q) => q.start !== q.end, { path: ["end"], error: "must differ from quietHours.start (set quietHours to null for no quiet hours)" })
    .nullable(),
  declineCooldownDays: wholeNumber(LIMITS.cooldownDays, " days"),
  ignoreLimit: wholeNumber(LIMITS.ignoreLimit, " ignores"),
  ignoreWindowDays: wholeNumber(LIMITS.windowDays, " days"),
  ignoreCooldownDays: wholeNumber(LIMITS.cooldownDays, " days"),
  channelPriority: channelSet(true).transform((list) => [...list, ...CHANNEL_CODES.filter((c) => !list.includes(c))]),
  honourPreference: z.boolean({ error: (iss) => `must be true or false; got ${JSON.stringify(iss.input)}` }),
});

/**
 * Parses rules (merged input, or what Redis holds) and names every bad field with its allowed
 * range, e.g. "`quietHours.start` must be a time of day "HH:MM" from 00:00 to 23:59; got "25:00"".
 */
export function parseRules(candidate: unknown): ContactPolicyRules {
  const parsed = rulesSchema.safeParse(candidate);
  if (parsed.success) return parsed.data as ContactPolicyRules;
  const problems = parsed.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));
  throw new BadUserInputError(problems.map((p) => `\`${p.field}\` ${p.message}.`).join(" "), problems[0]?.field);
}

/** The current rules with `input` applied; throws BadUserInputError naming the field when the result is invalid. */
export function mergeRules(current: ContactPolicyRules, input: ContactPolicyInput): ContactPolicyRules {
  const next: Record<string, unknown> = { ...current, channelCaps: { ...current.channelCaps } };
  for (const field of ["redListChannels", "declineCooldownDays", "ignoreLimit", "ignoreWindowDays", "ignoreCooldownDays", "channelPriority", "honourPreference"] as const) {
    const value = input[field];
    if (value === null) throw new BadUserInputError(`\`${field}\` cannot be null; leave it out to keep the current value.`, field);
    if (value !== undefined) next[field] = value;
  }

  const caps = next.channelCaps as Record<string, unknown>;
  const named = new Set<ChannelCode>();
  for (const cap of input.channelCaps ?? []) {
    if (named.has(cap.channel)) throw new BadUserInputError(`\`channelCaps\` names ${cap.channel} twice; give each channel one cap.`, "channelCaps");
    named.add(cap.channel);
    caps[cap.channel] = { limit: cap.limit, windowDays: cap.windowDays };
  }
  for (const ch of input.removeChannelCaps ?? []) {
    if (named.has(ch)) throw new BadUserInputError(`${ch} is both in \`channelCaps\` and in \`removeChannelCaps\`; keep it in one of them.`, "removeChannelCaps");
    delete caps[ch];
  }

  if (input.overallCap === null) next.overallCap = null;
  else if (input.overallCap) next.overallCap = { ...(current.overallCap ?? DEFAULT_RULES.overallCap), ...definedFields(input.overallCap) };
  if (input.quietHours === null) next.quietHours = null;
  else if (input.quietHours) next.quietHours = { ...(current.quietHours ?? DEFAULT_RULES.quietHours), ...definedFields(input.quietHours) };

  return parseRules(next);
}

function definedFields<T extends object>(partial: PartialOrNull<T>): Partial<T> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

// ───────────────────────────── rule helpers ─────────────────────────────

/** A cap as the counting script sees it: which channels count together, how many, over what window. */
export interface CapScope extends CapRule {
  scope: "CHANNEL" | "OVERALL";
  channels: ChannelCode[];
}

/** The caps a contact on `channel` must respect: its own and the overall cap when that covers it. */
export function capsFor(rules: ContactPolicyRules, channel: ChannelCode): CapScope[] {
  const caps: CapScope[] = [];
  const own = rules.channelCaps[channel];
  if (own) caps.push({ scope: "CHANNEL", channels: [channel], ...own });
  if (rules.overallCap?.channels.includes(channel)) caps.push({ scope: "OVERALL", ...rules.overallCap });
  return caps;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(zone, f);
  }
  return f;
}

function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When `at` falls in the quiet hours of `channel`, the moment they end; null otherwise.
 * The end is found by counting local minutes, so across a daylight-saving change it may be an hour off.
 */
export function quietUntil(rules: ContactPolicyRules, channel: ChannelCode, at: Date): Date | null {
  const q = rules.quietHours;
  if (!q || !q.channels.includes(channel)) return null;
  const parts = formatterFor(q.timeZone).formatToParts(at);
  const local = Number(parts.find((p) => p.type === "hour")?.value) * 60 + Number(parts.find((p) => p.type === "minute")?.value);
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  const quiet = start < end ? local >= start && local < end : local >= start || local < end;
  if (!quiet) return null;
  const wholeMinute = Math.floor(at.getTime() / 60_000) * 60_000;
  return new Date(wholeMinute + ((end - local + 1440) % 1440) * 60_000);
}
