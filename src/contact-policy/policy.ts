import type { Redis } from "ioredis";
import { ServiceUnavailableError } from "../platform/errors";
import { redisCall } from "../platform/redis";
import { defineScripts } from "../platform/scripts";
import type { ChannelCode, ResponseOutcome } from "../domain/vocabulary";
import { keys } from "../platform/keys";
import { Memo } from "../platform/cache";
import {
  DAY_MS,
  DEFAULT_POLICY,
  DEFAULT_RULES,
  capsFor,
  mergeRules,
  parseRules,
  quietUntil,
  type CapScope,
  type ContactPolicyConfig,
  type ContactPolicyInput,
  type ContactPolicyRules,
} from "./rules";

export type { ContactPolicyConfig, ContactPolicyInput, ContactPolicyRules } from "./rules";

/**
 * The contact policy at decision time (接触管理): do-not-disturb lists, quiet hours, frequency caps
 * in rolling windows and offer cool-downs, over counters in Redis that every replica shares and
 * that survive restarts (the server runs with appendonly).
 *
 * A decision asks twice: `screen` before scoring (read only: may this customer be contacted on
 * this channel now, and which offers are cooling down?) and `reserve` once it knows how many
 * offers it will send, which counts them atomically in one Lua script, so concurrent decisions for
 * one customer never send more than a cap allows. A decision that has ranked its candidates asks
 * both in one round trip (`screenAndReserve`). Times are always the caller's `at`, never the
 * Redis clock, so windows are exact in tests and in replays.
 *
 * Counters: one sorted set per customer and capped channel holds decision ids scored by the time
 * they were sent; a cap counts the entries of its channels newer than `at - window`. Entries older
 * than the channel's longest window are trimmed on write and the key expires after that window,
 * so memory stays bounded. Uncapped channels (hotline, store, web by default) record nothing.
 * Every key of one customer carries the hash tag {customerId}, so the scripts run in one slot of
 * a Redis Cluster.
 */

export type BlockCode = "DND_BLACK" | "DND_RED" | "QUIET_HOURS" | "CAP_REACHED";

/** The cap that stopped a contact and when it will allow one again. */
export interface FrequencyCapInfo {
  scope: "CHANNEL" | "OVERALL";
  channels: ChannelCode[];
  limit: number;
  windowDays: number;
  /** Contacts counted in the window at the time asked. */
  used: number;
  /** When the oldest counted contact leaves the window; null when the limit is 0 (never). */
  nextAvailableAt: Date | null;
}

export interface PolicyBlock {
  code: BlockCode;
  /** For the agent or operator: what stops the contact and until when, in Chinese and English. */
  message: string;
  /** When the block lifts (quiet hours end, cap frees up); null for do-not-disturb lists and caps of 0. */
  until: Date | null;
  cap: FrequencyCapInfo | null;
}

export interface CoolDown {
  until: Date;
  reason: "DECLINED" | "IGNORED";
}

export interface PolicyScreen {
  blocked: PolicyBlock | null;
  /** Offers (of those asked about) that must not be proposed yet. Empty when blocked by DND or quiet hours (nothing is read then). */
  coolingDown: Map<string, CoolDown>;
}

export interface ContactOptions {
  /**
   * The customer started this contact (opened the app, called the hotline, walked into a store):
   * the red list, quiet hours and caps are for contacts the operator starts, so only the black
   * list and cool-downs apply, and `reserve` records nothing.
   */
  customerInitiated?: boolean;
}

export interface PolicyCustomer {
  id: string;
  dndList: "RED" | "BLACK" | null;
}

/** How long an in-process copy of the policy is trusted: every replica sees a change within this. */
const CONFIG_TTL_MS = 1_000;
/** Concurrent policy changes retry their merge this many times before giving up. */
const SAVE_ATTEMPTS = 5;

export class ContactPolicy {
  private readonly config: Memo<ContactPolicyConfig>;
  private readonly scripts: PolicyScripts;

  constructor(
    private readonly redis: Redis,
    configTtlMs = CONFIG_TTL_MS,
  ) {
    this.scripts = definePolicyScripts(redis);
    // While Redis cannot be reached nobody can change the policy, so the last one read stays right.
    this.config = new Memo(() => this.load(), configTtlMs, { staleOnError: (error) => error instanceof ServiceUnavailableError, name: "contact_policy" });
  }

  /**
   * The current policy, read from Redis at most once per second per process. While Redis cannot
   * be reached the last policy read is kept (nobody can change it then), so contacts that need no
   * counters (an inbound channel, no offers to check) are still screened.
   */
  current(): Promise<ContactPolicyConfig> {
    return this.config.get();
  }

  /**
   * The policy's identity in maker-checker (src/approval/): its Redis key with the client's prefix,
   * so a change proposed for one deployment's policy is not applied to another's.
   */
  get id(): string {
    return `${this.redis.options.keyPrefix ?? ""}${keys.policy.config()}`;
  }

  /**
   * What `input` would make of the stored policy now: merged and validated exactly as
   * {@link update} would (BadUserInputError naming the field), stored nowhere.
   */
  async preview(input: ContactPolicyInput, by?: string): Promise<ContactPolicyConfig> {
    const stored = await this.load();
    return { ...mergeRules(stored, input), version: stored.version + 1, updatedAt: new Date(), updatedBy: by ?? null, changeId: null };
  }

  /**
   * Merges `input` over the stored policy, validates the result (BadUserInputError naming the field
   * and its allowed range) and stores it as the next version. Concurrent changes do not overwrite
   * each other: each merges over the version it read, and a save that lost the race merges again.
   * With `changeId` (an approved change being applied) it is idempotent: a change already stored
   * is not applied twice (the approval's transaction may be retried after the save).
   */
  async update(input: ContactPolicyInput, by?: string, changeId?: string): Promise<ContactPolicyConfig> {
    return (await this.save(input, by, changeId)).after;
  }

  /**
   * {@link update}, saying what the policy was before (for the audit trail); `before` is undefined
   * when `changeId` had been stored already (an earlier attempt of the same approval saved it).
   */
  async save(input: ContactPolicyInput, by?: string, changeId?: string): Promise<{ before: ContactPolicyConfig | undefined; after: ContactPolicyConfig }> {
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const stored = await this.load();
      if (changeId && stored.changeId === changeId) return { before: undefined, after: stored };
      const rules = mergeRules(stored, input);
      const updatedAt = new Date();
      const next: ContactPolicyConfig = { ...rules, version: stored.version + 1, updatedAt, updatedBy: by ?? null, changeId: changeId ?? null };
      const saved = await redisCall(
        this.scripts.contactPolicySave(keys.policy.config(), String(stored.version), String(next.version), JSON.stringify(rules), updatedAt.toISOString(), by ?? "", changeId ?? ""),
      );
      if (saved === 1) {
        this.config.set(next);
        return { before: stored, after: next };
      }
    }
    throw new ServiceUnavailableError("redis", `the contact policy changed ${SAVE_ATTEMPTS} times while this change was being saved`);
  }

  /**
   * Before scoring: may `customer` be contacted on `channel` at `at`, and which of `offerIds` are
   * cooling down? Reads only, in at most one Redis round trip (none when a do-not-disturb list or
   * quiet hours already block). Order of precedence: black list, red list, quiet hours, caps.
   */
  async screen(customer: PolicyCustomer, channel: ChannelCode, offerIds: readonly string[], at: Date, options: ContactOptions = {}): Promise<PolicyScreen> {
    const config = await this.current();
    const coolingDown = new Map<string, CoolDown>();
    const early = this.dndOrQuiet(config, customer, channel, at, options);
    if (early) return { blocked: early, coolingDown };

    const caps = options.customerInitiated ? [] : capsFor(config, channel);
    const offers = [...new Set(offerIds)];
    if (caps.length === 0 && offers.length === 0) return { blocked: null, coolingDown };

    const customerKeys = new KeyList([keys.policy.cooldowns(customer.id)]);
    const capArgs = capArguments(caps, customer.id, customerKeys);
    const reply = (await redisCall(
      this.scripts.contactPolicyScreen(customerKeys.length, ...customerKeys.all, at.getTime(), ...capArgs, offers.length, ...offers),
    )) as Array<number | string | null>;

    const blocked = capBlock(caps, reply, channel, config);
    offers.forEach((offerId, i) => {
      const cool = parseCoolDown(reply[3 + i]);
      if (cool && cool.until.getTime() > at.getTime()) coolingDown.set(offerId, cool);
    });
    return { blocked, coolingDown };
  }

  /**
   * {@link screen} and {@link reserve} in one Redis round trip, for a decision that has ranked its
   * candidates and made its picks assuming none cools down: `picked` are the picks' offers (control
   * picks too: a cooling one changes the arbitration), `decisionIds` the ids to record (the picks to
   * contact, in order). The script screens; when no cap is full and no picked offer is cooling
   * down it records the contacts in the same step, atomically, exactly as `reserve` would.
   * `reserved` is null when it did not: the screen blocked, or a pick is cooling down (the caller
   * arbitrates again without the cooling offers and calls `reserve` itself, a second round trip
   * for the rare decision that meets a cool-down).
   */
  async screenAndReserve(
    customer: PolicyCustomer,
    channel: ChannelCode,
    offerIds: readonly string[],
    picked: { offerIds: readonly string[]; decisionIds: readonly string[] },
    at: Date,
    options: ContactOptions = {},
  ): Promise<{ screen: PolicyScreen; reserved: { granted: number; limitedBy: FrequencyCapInfo | null } | null }> {
    const config = await this.current();
    const coolingDown = new Map<string, CoolDown>();
    const early = this.dndOrQuiet(config, customer, channel, at, options);
    if (early) return { screen: { blocked: early, coolingDown }, reserved: null };

    const caps = options.customerInitiated ? [] : capsFor(config, channel);
    const offers = [...new Set(offerIds)];
    // Nothing to read and nothing to count: no round trip (an uncapped channel with no offers).
    if (caps.length === 0 && offers.length === 0) return { screen: { blocked: null, coolingDown }, reserved: { granted: picked.decisionIds.length, limitedBy: null } };

    const customerKeys = new KeyList([keys.policy.cooldowns(customer.id), keys.policy.contacts(customer.id, channel)]);
    const capArgs = capArguments(caps, customer.id, customerKeys);
    const retentionMs = caps.length > 0 ? Math.max(...caps.map((c) => c.windowDays)) * DAY_MS : 0;
    const reply = (await redisCall(
      this.scripts.contactPolicyScreenReserve(
        customerKeys.length,
        ...customerKeys.all,
        at.getTime(),
        retentionMs,
        ...capArgs,
        offers.length,
        ...offers,
        picked.offerIds.length,
        ...picked.offerIds,
        picked.decisionIds.length,
        ...picked.decisionIds,
      ),
    )) as Array<number | string | null>;

    const blocked = capBlock(caps, reply, channel, config);
    offers.forEach((offerId, i) => {
      const cool = parseCoolDown(reply[7 + i]);
      if (cool && cool.until.getTime() > at.getTime()) coolingDown.set(offerId, cool);
    });
    const granted = Number(reply[3]);
    const reserved = granted < 0 ? null : { granted, limitedBy: granted < picked.decisionIds.length ? capInfo(caps, reply, 4) : null };
    return { screen: { blocked, coolingDown }, reserved };
  }

  /**
   * Records contacts on `channel` for as many of `decisionIds` as the caps allow, atomically, and
   * returns how many were granted: always the first `granted` ids. When fewer than asked,
   * `limitedBy` is the cap that stopped it. A decision id already recorded on the channel counts as
   * granted again without counting twice, so a retried decision is idempotent. DND and quiet hours
   * are `screen`'s job; a channel without caps, or a customer-initiated contact, grants everything
   * and records nothing.
   */
  async reserve(
    customerId: string,
    channel: ChannelCode,
    decisionIds: readonly string[],
    at: Date,
    options: ContactOptions = {},
  ): Promise<{ granted: number; limitedBy: FrequencyCapInfo | null }> {
    const config = await this.current();
    const caps = options.customerInitiated ? [] : capsFor(config, channel);
    if (caps.length === 0 || decisionIds.length === 0) return { granted: decisionIds.length, limitedBy: null };

    const customerKeys = new KeyList([keys.policy.contacts(customerId, channel)]);
    const capArgs = capArguments(caps, customerId, customerKeys);
    const retentionMs = Math.max(...caps.map((c) => c.windowDays)) * DAY_MS;
    const reply = (await redisCall(
      this.scripts.contactPolicyReserve(customerKeys.length, ...customerKeys.all, at.getTime(), retentionMs, ...capArgs, decisionIds.length, ...decisionIds),
    )) as number[];
    const granted = reply[0] ?? 0;
    return { granted, limitedBy: granted < decisionIds.length ? capInfo(caps, reply, 1) : null };
  }

  /**
   * A view of this policy for rehearsals (the start-up warm-up, src/main/warm-up.ts): it reads and
   * screens as this one does, and grants every reservation without recording it, so rehearsing a
   * decision spends no customer's caps.
   */
  rehearsal(): ContactPolicy {
    const dry = Object.create(this) as ContactPolicy;
    dry.reserve = (_customerId, _channel, decisionIds) => Promise.resolve({ granted: decisionIds.length, limitedBy: null });
    return dry;
  }

  /**
   * Counts a customer's response to an offer for cool-downs: DECLINED cools the offer down for
   * `declineCooldownDays`; the `ignoreLimit`-th IGNORED within `ignoreWindowDays` cools it down for
   * `ignoreCooldownDays`. Idempotent per decision id: the first response recorded for a decision wins.
   */
  async recordResponse(customerId: string, offerId: string, outcome: ResponseOutcome, at: Date, decisionId: string): Promise<void> {
    const config = await this.current();
    const rememberMs = Math.max(1, config.declineCooldownDays, config.ignoreWindowDays, config.ignoreCooldownDays) * DAY_MS;
    await redisCall(
      this.scripts.contactPolicyRespond(
        keys.policy.responses(customerId),
        keys.policy.cooldowns(customerId),
        keys.policy.ignored(customerId, offerId),
        at.getTime(),
        decisionId,
        offerId,
        outcome,
        config.declineCooldownDays * DAY_MS,
        config.ignoreWindowDays * DAY_MS,
        config.ignoreLimit,
        config.ignoreCooldownDays * DAY_MS,
        rememberMs,
      ),
    );
  }

  /** See {@link channelOrder}. */
  channelOrder(customer: ChannelOrderCustomer, allowed: readonly ChannelCode[], config: ContactPolicyRules): ChannelCode[] {
    return channelOrder(customer, allowed, config);
  }

  /** The stored policy (default when none), bypassing the cache. */
  private async load(): Promise<ContactPolicyConfig> {
    const stored = await redisCall(this.redis.hgetall(keys.policy.config()));
    if (!stored.rules) return DEFAULT_POLICY;
    let rules: ContactPolicyRules;
    try {
      // Fields added to the policy after it was stored take their defaults.
      rules = parseRules({ ...DEFAULT_RULES, ...(JSON.parse(stored.rules) as object) });
    } catch (error) {
      throw new Error(`The stored contact policy (version ${stored.version}) is invalid: ${error instanceof Error ? error.message : String(error)}`);
    }
    return {
      ...rules,
      version: Number(stored.version),
      updatedAt: stored.updatedAt ? new Date(stored.updatedAt) : null,
      updatedBy: stored.updatedBy || null,
      changeId: stored.changeId || null,
    };
  }

  private dndOrQuiet(config: ContactPolicyRules, customer: PolicyCustomer, channel: ChannelCode, at: Date, options: ContactOptions): PolicyBlock | null {
    if (customer.dndList === "BLACK") {
      return { code: "DND_BLACK", message: "免打扰黑名单客户，任何渠道均不接触。Do-not-disturb black list: no contact on any channel.", until: null, cap: null };
    }
    if (options.customerInitiated) return null;
    if (customer.dndList === "RED" && config.redListChannels.includes(channel)) {
      return {
        code: "DND_RED",
        message: `免打扰红名单客户，不通过 ${channel} 主动接触。Do-not-disturb red list: no contact by ${channel}.`,
        until: null,
        cap: null,
      };
    }
    const quietEnd = quietUntil(config, channel, at);
    if (quietEnd && config.quietHours) {
      const q = config.quietHours;
      return {
        code: "QUIET_HOURS",
        message: `免打扰时段 ${q.start}–${q.end}（${q.timeZone}），${q.end} 后再通过 ${channel} 接触。Quiet hours ${q.start}–${q.end} ${q.timeZone}: no ${channel} contact before ${q.end}.`,
        until: quietEnd,
        cap: null,
      };
    }
    return null;
  }
}

export interface ChannelOrderCustomer {
  dndList: "RED" | "BLACK" | null;
  /** Most preferred first (PREFERS rank). */
  preferredChannels: readonly ChannelCode[];
}

/**
 * The channels to use for a customer, best first: the customer's preferred channels (when the
 * policy honours preference), then the policy's channel priority; only channels in `allowed` that
 * the customer's do-not-disturb list permits (none for the black list).
 */
export function channelOrder(customer: ChannelOrderCustomer, allowed: readonly ChannelCode[], rules: ContactPolicyRules): ChannelCode[] {
  if (customer.dndList === "BLACK") return [];
  const order = rules.honourPreference ? [...customer.preferredChannels, ...rules.channelPriority] : rules.channelPriority;
  return [...new Set(order)].filter((c) => allowed.includes(c) && !(customer.dndList === "RED" && rules.redListChannels.includes(c)));
}

// ───────────────────────────── helpers ─────────────────────────────

/** The KEYS of one script call: each key once, addressed by its 1-based index. */
class KeyList {
  constructor(readonly all: string[]) {}
  get length(): number {
    return this.all.length;
  }
  indexOf(key: string): number {
    let i = this.all.indexOf(key);
    if (i < 0) i = this.all.push(key) - 1;
    return i + 1;
  }
}

/** Caps as script arguments: count, then per cap its limit, window (ms) and the KEYS indexes of its channels. */
function capArguments(caps: readonly CapScope[], customerId: string, customerKeys: KeyList): number[] {
  const args: number[] = [caps.length];
  for (const cap of caps) {
    const indexes = cap.channels.map((ch) => customerKeys.indexOf(keys.policy.contacts(customerId, ch)));
    args.push(cap.limit, cap.windowDays * DAY_MS, indexes.length, ...indexes);
  }
  return args;
}

/** Reads the script's [cap index (1-based, 0 = none full), contacts counted, frees up at (ms, 0 = never)] from `offset`. */
function capInfo(caps: readonly CapScope[], reply: ReadonlyArray<number | string | null>, offset: number): FrequencyCapInfo | null {
  const cap = caps[Number(reply[offset]) - 1];
  if (!cap) return null;
  const freeAt = Number(reply[offset + 2]);
  return { scope: cap.scope, channels: cap.channels, limit: cap.limit, windowDays: cap.windowDays, used: Number(reply[offset + 1]), nextAvailableAt: freeAt > 0 ? new Date(freeAt) : null };
}

function capBlock(caps: readonly CapScope[], reply: ReadonlyArray<number | string | null>, channel: ChannelCode, config: ContactPolicyRules): PolicyBlock | null {
  const cap = capInfo(caps, reply, 0);
  if (!cap) return null;
  const zone = config.quietHours?.timeZone ?? "Asia/Shanghai";
  const next = cap.nextAvailableAt ? localTime(cap.nextAvailableAt, zone) : null;
  const where = cap.scope === "CHANNEL" ? channel : `${cap.channels.join("/")} 合计`;
  const whereEn = cap.scope === "CHANNEL" ? `on ${channel}` : `on ${cap.channels.join(", ")} together`;
  return {
    code: "CAP_REACHED",
    message:
      `接触频次已满：${where} 每 ${cap.windowDays} 天最多 ${cap.limit} 次，已 ${cap.used} 次` +
      (next ? `，${next} 后可再接触。` : "。") +
      `Frequency cap reached: at most ${cap.limit} ${cap.limit === 1 ? "contact" : "contacts"} ${whereEn} per ${cap.windowDays} days; ${cap.used} made` +
      (next ? `; next possible at ${next}.` : "."),
    until: cap.nextAvailableAt,
    cap,
  };
}

function parseCoolDown(value: number | string | null | undefined): CoolDown | null {
  if (typeof value !== "string") return null;
  const [until, reason] = value.split("|");
  return reason === "DECLINED" || reason === "IGNORED" ? { until: new Date(Number(until)), reason } : null;
}

function localTime(at: Date, zone: string): string {
  const f = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return `${f.format(at)} (${zone})`;
}

// ───────────────────────────── Lua ─────────────────────────────

type Arg = string | number;
interface PolicyScripts {
  contactPolicyScreen(numKeys: number, ...args: Arg[]): Promise<unknown>;
  contactPolicyReserve(numKeys: number, ...args: Arg[]): Promise<unknown>;
  contactPolicyScreenReserve(numKeys: number, ...args: Arg[]): Promise<unknown>;
  contactPolicyRespond(...args: Arg[]): Promise<unknown>;
  contactPolicySave(...args: Arg[]): Promise<unknown>;
}

/** Registers the scripts (./scripts/*.lua; screen, reserve and screen-reserve share caps.lua) on the client. */
function definePolicyScripts(redis: Redis): PolicyScripts {
  const dir = "src/contact-policy/scripts";
  defineScripts(redis, [
    { name: "contactPolicyScreen", files: [`${dir}/caps.lua`, `${dir}/screen.lua`], readOnly: true },
    { name: "contactPolicyReserve", files: [`${dir}/caps.lua`, `${dir}/reserve.lua`] },
    { name: "contactPolicyScreenReserve", files: [`${dir}/caps.lua`, `${dir}/screen-reserve.lua`] },
    { name: "contactPolicyRespond", files: [`${dir}/respond.lua`], numberOfKeys: 3 },
    { name: "contactPolicySave", files: [`${dir}/save.lua`], numberOfKeys: 1 },
  ]);
  return redis as unknown as PolicyScripts;
}
