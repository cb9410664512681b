import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Approvals } from "../approval/service";
import type { RequestScope } from "../customer360/scope";
import { CAMPAIGN_SCHEDULES, WAVE_AUDIENCES, WORK_ORDER_KINDS, type CampaignHooks, type CampaignSchedule, type CampaignStatus, type DeliveryStatus, type WaveAudience, type WorkOrderKind } from "../domain/campaigns";
import { CHANNEL_CODES, type ChannelCode } from "../domain/vocabulary";
import type { ChangeRecord } from "../graph/approval";
import {
  approveCampaign,
  campaignPage,
  campaignRefs,
  campaignsById,
  deliveredByWave,
  ensureCampaignSchema,
  insertCampaign,
  launchCampaign,
  moveCampaign,
  recordDelivery,
  updateDraft,
  type CampaignDraft,
  type CampaignRecord,
  type WaveDraft,
} from "../graph/campaigns";
import type { Decider } from "../decisioning/decide";
import type { MarketingCatalogue } from "../marketing/catalogue";
import { BadUserInputError, NotFoundError } from "../platform/errors";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import type { SegmentPreviews } from "../segments/preview/service";
import { campaignConfig, type CampaignConfig, type WorkOrderSink } from "./config";
import { CampaignScheduler } from "./scheduler";
import { WaveRunner } from "./waves";

export type { CampaignRecord, WaveRecord } from "../graph/campaigns";

/** A wave as asked for. */
export interface WaveInput {
  channel: ChannelCode;
  delayDays: number;
  audience: WaveAudience;
  workOrderKind?: WorkOrderKind | null;
}

/** A campaign as asked for (create, or a draft's new state). */
export interface CampaignInput {
  name: string;
  strategyId: string;
  segmentId: string;
  membership?: "SNAPSHOT" | "LIVE" | null;
  schedule?: CampaignSchedule | null;
  startAt: Date;
  endAt?: Date | null;
  volumeCap?: number | null;
  controlShare?: number | null;
  owners?: string[] | null;
  alertResponseRate?: number | null;
  waves: WaveInput[];
}

/** A wave's funnel: what the wave counted as it ran, and what came back (receipts, answers). */
export interface WaveFunnel {
  targeted: number;
  heldOut: number;
  contacted: number;
  delivered: number;
  deliveryFailed: number;
  responded: number;
  ordered: number;
}

export interface CampaignConnection {
  edges: Array<{ cursor: string; node: CampaignRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const NO_HOOKS: CampaignHooks = { reportDelayDays: 30, waveProgressed: () => undefined, produceReport: () => Promise.resolve() };
export const MAX_WAVES = 10;
export const MAX_CAMPAIGN_PAGE = 100;
const MAX_NAME = 100;
const PUSH_CHANNELS: readonly ChannelCode[] = ["SMS", "APP", "WECHAT", "OUTBOUND_CALL", "STORE"];

/**
 * Campaigns (DESIGN "Campaigns"): a strategy × a segment × a schedule × waves, with maker-checker.
 * DRAFT (create, update) → SUBMITTED (submit: a CAMPAIGN change through src/approval) → APPROVED
 * (an APPROVER other than the submitter approves it with approveChange; the strategy's version is
 * frozen) → RUNNING (launch: the waves get due times from `startAt`) ⇄ PAUSED → FINISHED (the last
 * wave of the last round done); CANCELLED from any state before FINISHED. Waves run on the
 * scheduler (./scheduler.ts, ./waves.ts).
 *
 * Constructor hooks, wired in src/main/wiring.ts: `hooks` (the evaluation centre's CampaignHooks,
 * default none), `sink` (the work-order pool, default none: person-served waves then decide but
 * open no orders), and the clock inside `config` (tests move it).
 */
export class CampaignService {
  readonly scheduler: CampaignScheduler;
  readonly runner: WaveRunner;
  readonly config: CampaignConfig;
  private schema: Promise<void> | null = null;
  private readonly funnelMemo = new WeakMap<CampaignRecord, Promise<Map<string, WaveFunnel>>>();

  constructor(
    private readonly graph: Graph,
    redis: Redis,
    private readonly approvals: Approvals,
    decider: Decider,
    catalogue: MarketingCatalogue,
    previews: SegmentPreviews,
    log: Logger,
    config: Partial<CampaignConfig> = {},
    hooks: CampaignHooks = NO_HOOKS,
    sink: WorkOrderSink | null = null,
  ) {
    this.config = campaignConfig(config);
    this.runner = new WaveRunner(graph, redis, decider, catalogue, previews, hooks, sink, this.config, log);
    this.scheduler = new CampaignScheduler(graph, redis, this.runner, hooks, this.config, log);
    this.approvals.register({
      kind: "CAMPAIGN",
      noun: "campaign",
      targetType: "Campaign",
      deciders: ["APPROVER", "ADMIN"],
      apply: async (tx, change: ChangeRecord) => {
        const approved = await approveCampaign(tx, change.targetId, this.config.clock.now());
        if (!approved) throw new BadUserInputError(`Campaign ${change.targetId} is no longer SUBMITTED (it was cancelled or changed); nothing was approved.`, "id");
        return { before: { status: "SUBMITTED" }, after: { status: "APPROVED", strategyVersion: approved.strategyVersion } };
      },
      // Rejected or withdrawn: the campaign is a DRAFT again, for its author to edit and submit anew.
      dropped: async (tx, change: ChangeRecord) => {
        await moveCampaign(tx, change.targetId, ["SUBMITTED"], "DRAFT", this.config.clock.now());
      },
    });
  }

  /** Starts the scheduler (its worker and tick) once the schema exists. */
  start(): void {
    void this.ensureSchema().catch(() => undefined);
    this.scheduler.start();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  private ensureSchema(): Promise<void> {
    return (this.schema ??= ensureCampaignSchema(this.graph.backgroundSession(60_000)).catch((error: unknown) => {
      this.schema = null;
      throw error;
    }));
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  /** Writes a DRAFT after checking it whole; BAD_USER_INPUT says what to fix. */
  async create(scope: RequestScope, input: CampaignInput): Promise<CampaignRecord> {
    await this.ensureSchema();
    const { draft, waves } = await this.check(scope, input);
    const id = `CP${Date.now().toString(36).toUpperCase()}${randomBytes(3).toString("hex").toUpperCase()}`;
    await insertCampaign(scope.graph, id, draft, waves, scope.principal.id, this.config.clock.now(), this.scheduler.deployment);
    scope.audit.change({ action: "CREATE", targetType: "Campaign", targetId: id, before: null, after: { ...draft, waves } });
    return this.mustFind(scope, id);
  }

  /** Replaces a DRAFT's fields and waves; BAD_USER_INPUT once it is submitted. */
  async update(scope: RequestScope, id: string, input: CampaignInput): Promise<CampaignRecord> {
    const before = await this.mustFind(scope, id);
    if (before.status !== "DRAFT") throw new BadUserInputError(`Campaign ${id} is ${before.status}: only a DRAFT can be edited. Cancel it and create a new one to change it.`, "id");
    const { draft, waves } = await this.check(scope, input);
    if (!(await updateDraft(scope.graph, id, draft, waves, this.config.clock.now()))) throw new BadUserInputError(`Campaign ${id} was submitted meanwhile: only a DRAFT can be edited.`, "id");
    scope.audit.change({ action: "UPDATE", targetType: "Campaign", targetId: id, before, after: { ...draft, waves } });
    return this.mustFind(scope, id);
  }

  /** DRAFT → SUBMITTED, with a CAMPAIGN change for an approver (not the submitter) to approve. */
  async submit(scope: RequestScope, id: string): Promise<{ campaign: CampaignRecord; change: ChangeRecord }> {
    const before = await this.mustFind(scope, id);
    if (before.status !== "DRAFT") throw new BadUserInputError(`Campaign ${id} is ${before.status}: only a DRAFT can be submitted.`, "id");
    // Re-checked at submission: the strategy or segment may have been retired since the draft was written.
    await this.check(scope, inputOf(before));
    const moved = await moveCampaign(scope.graph, id, ["DRAFT"], "SUBMITTED", this.config.clock.now());
    if (!moved) throw new BadUserInputError(`Campaign ${id} was submitted meanwhile.`, "id");
    try {
      const change = await this.approvals.submit(scope, { kind: "CAMPAIGN", action: "SET", targetId: id, payload: { status: "APPROVED", name: before.name } });
      return { campaign: moved, change };
    } catch (error) {
      // Nothing half-written: the campaign goes back to DRAFT when its change could not be stored.
      await moveCampaign(scope.graph, id, ["SUBMITTED"], "DRAFT", this.config.clock.now());
      throw error;
    }
  }

  /** APPROVED → RUNNING: the waves are scheduled from `startAt` (or now, if that has passed) and due waves queued at once. */
  async launch(scope: RequestScope, id: string): Promise<CampaignRecord> {
    const before = await this.mustFind(scope, id);
    if (before.status !== "APPROVED") throw new BadUserInputError(`Campaign ${id} is ${before.status}: only an APPROVED campaign can be launched${before.status === "SUBMITTED" ? " (it awaits approval: an approver approves its change with approveChange)" : ""}.`, "id");
    const now = this.config.clock.now();
    const first = before.startAt.getTime() > now.getTime() ? before.startAt : now;
    const launched = await launchCampaign(scope.graph, id, first, now);
    if (!launched) throw new BadUserInputError(`Campaign ${id} was launched or cancelled meanwhile.`, "id");
    scope.audit.change({ action: "LAUNCH", targetType: "Campaign", targetId: id, before: { status: before.status }, after: { status: launched.status } });
    await this.scheduler.tick();
    return launched;
  }

  /** RUNNING → PAUSED: the wave running stops after its current batch; due waves wait. */
  pause(scope: RequestScope, id: string): Promise<CampaignRecord> {
    return this.move(scope, id, ["RUNNING"], "PAUSED", "paused (only a RUNNING campaign can be paused)");
  }

  /** PAUSED → RUNNING: waiting waves are queued at once (a paused wave resumes after its last batch). */
  async resume(scope: RequestScope, id: string): Promise<CampaignRecord> {
    const resumed = await this.move(scope, id, ["PAUSED"], "RUNNING", "resumed (only a PAUSED campaign can be resumed)");
    await this.scheduler.tick();
    return resumed;
  }

  /**
   * Any state before FINISHED → CANCELLED: nothing more is decided or sent. A campaign that had
   * started still gets its report once the response window after the cancellation closes: what it
   * did contact is judged like any other campaign's.
   */
  cancel(scope: RequestScope, id: string): Promise<CampaignRecord> {
    return this.move(scope, id, ["DRAFT", "SUBMITTED", "APPROVED", "RUNNING", "PAUSED"], "CANCELLED", "cancelled (it is FINISHED or CANCELLED already)", true);
  }

  private async move(scope: RequestScope, id: string, from: CampaignStatus[], to: CampaignStatus, what: string, ends = false): Promise<CampaignRecord> {
    const before = await this.mustFind(scope, id);
    const now = this.config.clock.now();
    const moved = await moveCampaign(scope.graph, id, from, to, now, ends ? this.runner.reportDueAfter(now) : null);
    if (!moved) throw new BadUserInputError(`Campaign ${id} is ${before.status} and cannot be ${what}.`, "id");
    scope.audit.change({ action: to, targetType: "Campaign", targetId: id, before: { status: before.status }, after: { status: to } });
    return moved;
  }

  // ───────────────────────────── reads ─────────────────────────────

  async campaign(scope: RequestScope, id: string): Promise<CampaignRecord | null> {
    await this.ensureSchema();
    return (await campaignsById(scope.graph, [id])).get(id) ?? null;
  }

  async campaigns(scope: RequestScope, status: CampaignStatus | null, first: number, after: string | null): Promise<CampaignConnection> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_CAMPAIGN_PAGE) throw new BadUserInputError(`\`first\` must be a whole number from 1 to ${MAX_CAMPAIGN_PAGE}; got ${first}.`, "first");
    await this.ensureSchema();
    const position = after === null ? null : decodeCursor(after);
    const rows = await campaignPage(scope.graph, status, position, first + 1);
    const edges = rows.slice(0, first).map((node) => ({ cursor: Buffer.from(JSON.stringify([node.createdAt.getTime(), node.id])).toString("base64url"), node }));
    return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /** The funnels of a campaign's waves: one statement per campaign read, however many of its waves ask (memoised on the record). */
  funnels(scope: RequestScope, campaign: CampaignRecord): Promise<Map<string, WaveFunnel>> {
    let memo = this.funnelMemo.get(campaign);
    if (!memo) {
      memo = this.readFunnels(scope, campaign);
      this.funnelMemo.set(campaign, memo);
    }
    return memo;
  }

  private async readFunnels(scope: RequestScope, campaign: CampaignRecord): Promise<Map<string, WaveFunnel>> {
    const counts = await deliveredByWave(scope.graph, campaign.waves.map((w) => w.id));
    return new Map(
      campaign.waves.map((w) => {
        const c = counts.get(w.id);
        return [w.id, { targeted: w.targeted, heldOut: w.heldOut, contacted: w.contacted, delivered: c?.delivered ?? 0, deliveryFailed: c?.failed ?? 0, responded: c?.responded ?? 0, ordered: c?.ordered ?? 0 }];
      }),
    );
  }

  /** A channel's DELIVERY_RECEIPT (the realtime pipeline calls this): sets deliveredAt or deliveryFailed once. False for a decision of no campaign. */
  deliveryReceipt(decisionId: string, status: DeliveryStatus, reason: string | null, at: Date): Promise<boolean> {
    return recordDelivery(this.graph.backgroundSession(30_000), decisionId, status, reason, at);
  }

  private async mustFind(scope: RequestScope, id: string): Promise<CampaignRecord> {
    const found = await this.campaign(scope, id);
    if (!found) throw new NotFoundError(`There is no campaign with id ${id}; see the campaigns query.`);
    return found;
  }

  // ───────────────────────────── checks ─────────────────────────────

  private async check(scope: RequestScope, input: CampaignInput): Promise<{ draft: CampaignDraft; waves: WaveDraft[] }> {
    const name = (input.name ?? "").trim();
    if (name.length === 0 || name.length > MAX_NAME) throw new BadUserInputError(`\`name\` must be 1 to ${MAX_NAME} characters; got ${name.length}.`, "name");
    const schedule = input.schedule ?? "ONCE";
    if (!CAMPAIGN_SCHEDULES.includes(schedule)) throw new BadUserInputError(`\`schedule\` must be one of ${CAMPAIGN_SCHEDULES.join(", ")}; got ${String(schedule)}.`, "schedule");
    const membership = input.membership ?? "LIVE";
    if (membership !== "LIVE" && membership !== "SNAPSHOT") throw new BadUserInputError(`\`membership\` must be LIVE (the segment re-evaluated per wave) or SNAPSHOT (frozen at the first wave); got ${String(membership)}.`, "membership");
    if (!(input.startAt instanceof Date) || Number.isNaN(input.startAt.getTime())) throw new BadUserInputError("`startAt` must be a date-time such as 2026-12-01T09:00:00+08:00.", "startAt");
    const endAt = input.endAt ?? null;
    if (endAt && endAt.getTime() <= input.startAt.getTime()) throw new BadUserInputError(`\`endAt\` (${endAt.toISOString()}) must be after \`startAt\` (${input.startAt.toISOString()}).`, "endAt");
    if (schedule !== "ONCE" && !endAt) throw new BadUserInputError(`A ${schedule} campaign repeats until \`endAt\`: give an end date-time, or make it ONCE.`, "endAt");
    const controlShare = input.controlShare ?? 0.1;
    if (!Number.isFinite(controlShare) || controlShare < 0 || controlShare > 0.5) throw new BadUserInputError(`\`controlShare\` must be from 0 to 0.5 (the share of members held out in every wave); got ${controlShare}.`, "controlShare");
    const volumeCap = input.volumeCap ?? null;
    if (volumeCap !== null && (!Number.isInteger(volumeCap) || volumeCap < 1)) throw new BadUserInputError(`\`volumeCap\` must be a whole number of contacts of at least 1, or null for none; got ${volumeCap}.`, "volumeCap");
    const alertResponseRate = input.alertResponseRate ?? 0;
    if (!Number.isFinite(alertResponseRate) || alertResponseRate < 0 || alertResponseRate > 1) throw new BadUserInputError(`\`alertResponseRate\` must be from 0 to 1 (0: no alert); got ${alertResponseRate}.`, "alertResponseRate");
    const waves = input.waves ?? [];
    if (waves.length < 1 || waves.length > MAX_WAVES) throw new BadUserInputError(`A campaign has 1 to ${MAX_WAVES} waves; got ${waves.length}.`, "waves");
    const refs = await campaignRefs(scope.graph, input.strategyId, input.segmentId);
    if (!refs.strategy) throw new BadUserInputError(`There is no strategy ${input.strategyId}; see the strategies query.`, "strategyId");
    if (refs.strategy.status !== "ACTIVE") throw new BadUserInputError(`Strategy ${input.strategyId} is ${refs.strategy.status}: a campaign runs an ACTIVE strategy.`, "strategyId");
    if (refs.strategy.triggered) throw new BadUserInputError(`Strategy ${input.strategyId} is event-triggered: a campaign runs a strategy without a trigger.`, "strategyId");
    if (!refs.segment) throw new BadUserInputError(`There is no segment ${input.segmentId}; see the segments query.`, "segmentId");
    const drafts = waves.map((w, i): WaveDraft => {
      const at = `waves[${i}]`;
      if (!CHANNEL_CODES.includes(w.channel)) throw new BadUserInputError(`${at}.channel must be one of ${PUSH_CHANNELS.join(", ")}; got ${String(w.channel)}.`, at);
      if (!PUSH_CHANNELS.includes(w.channel)) throw new BadUserInputError(`${at}.channel ${w.channel} is one customers come to; a wave goes out on ${PUSH_CHANNELS.join(", ")}.`, at);
      if (!refs.strategy?.channels.includes(w.channel)) throw new BadUserInputError(`${at}.channel ${w.channel} is not one of strategy ${input.strategyId}'s channels (${refs.strategy?.channels.join(", ")}); pick one of those or add it to the strategy.`, at);
      if (!Number.isFinite(w.delayDays) || w.delayDays < 0 || w.delayDays > 365) throw new BadUserInputError(`${at}.delayDays must be from 0 to 365 (days after the previous wave); got ${w.delayDays}.`, at);
      if (!WAVE_AUDIENCES.includes(w.audience)) throw new BadUserInputError(`${at}.audience must be one of ${WAVE_AUDIENCES.join(", ")}; got ${String(w.audience)}.`, at);
      if (i === 0 && (w.audience !== "ALL" || w.delayDays !== 0)) throw new BadUserInputError(`The first wave reaches ALL members with delayDays 0 (at the campaign's start); got ${w.audience} after ${w.delayDays} days.`, at);
      const kind = w.workOrderKind ?? null;
      if (kind !== null && (!WORK_ORDER_KINDS.includes(kind) || (w.channel !== "OUTBOUND_CALL" && w.channel !== "STORE"))) {
        throw new BadUserInputError(`${at}.workOrderKind is for OUTBOUND_CALL and STORE waves (one of ${WORK_ORDER_KINDS.join(", ")}); leave it out for ${w.channel}.`, at);
      }
      return { index: i + 1, channel: w.channel, workOrderKind: kind, delayDays: w.delayDays, audience: w.audience };
    });
    const owners = [...new Set(input.owners ?? [scope.principal.id])];
    return {
      draft: { name, strategyId: input.strategyId, segmentId: input.segmentId, membership, schedule, startAt: input.startAt, endAt, volumeCap, controlShare, owners, alertResponseRate },
      waves: drafts,
    };
  }
}

function inputOf(c: CampaignRecord): CampaignInput {
  return {
    name: c.name,
    strategyId: c.strategyId,
    segmentId: c.segmentId,
    membership: c.membership,
    schedule: c.schedule,
    startAt: c.startAt,
    endAt: c.endAt,
    volumeCap: c.volumeCap,
    controlShare: c.controlShare,
    owners: c.owners,
    alertResponseRate: c.alertResponseRate,
    waves: c.waves.filter((w) => w.round === 1).map((w) => ({ channel: w.channel, delayDays: w.delayDays, audience: w.audience, workOrderKind: w.workOrderKind })),
  };
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "string") return [v[0], v[1]];
  } catch {
    // falls through
  }
  throw new BadUserInputError(`\`after\` is not a cursor this API issued ("${cursor.slice(0, 40)}"); pass the \`endCursor\` of a previous page, or omit it.`, "after");
}
