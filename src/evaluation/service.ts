import { randomUUID } from "node:crypto";
import type { CampaignHooks } from "../domain/campaigns";
import type { ChannelCode } from "../domain/vocabulary";
import { isSystem, type Principal } from "../auth/principal";
import type { RequestScope } from "../customer360/scope";
import {
  campaignAlerts,
  campaignFacts,
  campaignWaveCounts,
  createAlerts,
  cubeCounts,
  existingCampaigns,
  funnelCounts,
  readReport,
  storeReport,
  ANY_STAGE,
  type CampaignAlertRecord,
  type EvaluationDimension,
  type EvaluationSelection,
} from "../graph/evaluation";
import type { CustomerScope } from "../graph/records";
import { EVERY_CUSTOMER } from "../graph/records";
import { BadUserInputError, ForbiddenError, NotFoundError } from "../platform/errors";
import type { Graph, Cypher } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import type { PubSub } from "../platform/pubsub";
import { AlertHub, AlertStream, alertsFor, DEFAULT_THRESHOLDS, type AlertThresholds } from "./alerts";
import { figures, type EvaluationRow, type Uplift } from "./figures";
import { newcombeDifference, rate } from "./stats";

/** The evaluation centre's settings. */
export interface EvaluationConfig extends AlertThresholds {
  /** Days after a decision within which holding its product counts as an order. */
  responseWindowDays: number;
  /** Months a retention offer's monthly fee counts for (retention revenue). */
  retentionMonths: number;
  /** At most one alert check per campaign this often (waveProgressed arrives per batch). */
  alertDebounceMs: number;
}

export const DEFAULT_EVALUATION: EvaluationConfig = { ...DEFAULT_THRESHOLDS, responseWindowDays: 30, retentionMonths: 12, alertDebounceMs: 1_000 };

/** What an evaluation narrows to (the schema's EvaluationFilter). */
export interface EvaluationFilter {
  campaignIds?: readonly string[] | null;
  waveId?: string | null;
  strategyId?: string | null;
  strategyVersion?: number | null;
  offerId?: string | null;
  channel?: ChannelCode | null;
  regionId?: string | null;
  tagIds?: readonly string[] | null;
  from?: Date | null;
  to?: Date | null;
}

export const RANKING_METRICS = ["INCREMENTAL_REVENUE", "ORDER_RATE", "UPLIFT", "RESPONSE_RATE"] as const;
export type RankingMetric = (typeof RANKING_METRICS)[number];

export const TREND_METRICS = ["TARGETED", "CONTACTED", "RESPONSE_RATE", "ORDER_RATE", "CONTROL_ORDER_RATE", "UPLIFT", "REVENUE", "INCREMENTAL_REVENUE"] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];

export interface TrendPoint {
  day: string;
  value: number | null;
}

export interface CubeCell {
  businessLine: string;
  scenario: string;
  lifecycleStage: string;
  activeStrategies: number;
  decisions: number;
  controlDecisions: number;
  contacted: number;
  orders: number;
  controlOrders: number;
  orderRate: number | null;
  controlOrderRate: number | null;
  /** Order rate of treated decisions − control decisions, with its Newcombe interval; null without both. */
  uplift: { value: number; lower: number; upper: number } | null;
}

export interface CampaignReport {
  campaignId: string;
  producedAt: Date;
  /** False when computed for a region-limited principal (their regions only), true for the report stored when the campaign finished. */
  stored: boolean;
  total: EvaluationRow;
  waves: EvaluationRow[];
  channels: EvaluationRow[];
}

const MAX_RANGE_DAYS = 366;
/** Alert checks and reports run behind a campaign's work, not within a request's deadline: a campaign of millions of decisions may take this long. */
const BACKGROUND_READ_TIMEOUT_MS = 120_000;
const DAY_MS = 86_400_000;

/**
 * Who sees which customers in the figures: the principal's regions when its token names some
 * (a city's marketer sees that city's customers only), every customer otherwise, and always for
 * ADMIN (the operator's whole results). Stricter than readScope for MARKETER (which reads every
 * customer masked): a region's team is judged on its region.
 */
export function evaluationScope(p: Principal): CustomerScope {
  if (isSystem(p) || p.roles.has("ADMIN") || p.regions.length === 0) return EVERY_CUSTOMER;
  return { all: false, regions: [...p.regions], customerIds: [] };
}

/**
 * The evaluation centre (DESIGN.md "evaluation/"): funnels, uplift, breakdowns, rankings, trends,
 * the strategy cube, campaign alerts and reports. Reads go through the request's session; alert
 * checks and reports, which run behind a campaign's progress, through sessions of their own.
 */
export class EvaluationService {
  readonly config: EvaluationConfig;
  readonly hub: AlertHub;

  constructor(
    private readonly graph: Graph,
    pubsub: PubSub,
    private readonly log: Logger,
    config: Partial<EvaluationConfig> = {},
  ) {
    this.config = { ...DEFAULT_EVALUATION, ...config };
    this.hub = new AlertHub(pubsub, log);
  }

  /** Rows of the selected decisions grouped by `by`, each with its funnel and uplift. */
  async evaluate(scope: RequestScope, filter: EvaluationFilter, by: EvaluationDimension): Promise<EvaluationRow[]> {
    const selection = checkFilter(filter, by);
    if (selection.campaignIds) await this.assertCampaigns(scope.graph, selection.campaignIds);
    return this.rows(scope.graph, selection, by, evaluationScope(scope.principal));
  }

  /** 活动排行: campaigns with decisions in the range, best first by `metric` (rows without a value last). */
  async ranking(scope: RequestScope, from: Date, to: Date | null, metric: RankingMetric, first: number): Promise<EvaluationRow[]> {
    const selection = checkFilter({ from, to }, "CAMPAIGN");
    const rows = await this.rows(scope.graph, { ...selection, campaignsOnly: true }, "CAMPAIGN", evaluationScope(scope.principal));
    const score = (r: EvaluationRow): number | null => {
      switch (metric) {
        case "INCREMENTAL_REVENUE":
          return r.uplift?.incrementalRevenue.value ?? null;
        case "ORDER_RATE":
          return r.funnel.orderRate;
        case "UPLIFT":
          return r.uplift?.rateDifference.value ?? null;
        case "RESPONSE_RATE":
          return r.funnel.responseRate;
      }
    };
    return rows
      .map((r) => ({ r, s: score(r) }))
      .sort((a, b) => (a.s === null ? (b.s === null ? 0 : 1) : b.s === null ? -1 : b.s - a.s) || a.r.key.localeCompare(b.r.key))
      .slice(0, first)
      .map(({ r }) => r);
  }

  /** A metric per day (UTC) over [from, to), every day present (null where nothing was decided or the rate is unknown). */
  async trend(scope: RequestScope, filter: EvaluationFilter, metric: TrendMetric): Promise<TrendPoint[]> {
    if (!filter.from || !filter.to) throw new BadUserInputError("A trend needs both `filter.from` and `filter.to` (at most 366 days apart), e.g. the last 30 days.", "filter");
    const rows = new Map((await this.evaluate(scope, filter, "DAY")).map((r) => [r.key, r]));
    const points: TrendPoint[] = [];
    for (let t = Date.UTC(filter.from.getUTCFullYear(), filter.from.getUTCMonth(), filter.from.getUTCDate()); t < filter.to.getTime(); t += DAY_MS) {
      const day = new Date(t).toISOString().slice(0, 10);
      const row = rows.get(day);
      points.push({ day, value: row ? trendValue(row, metric) : null });
    }
    return points;
  }

  /** The strategy cube over decisions made in [from, to): per business line × scenario × lifecycle stage. */
  async cube(scope: RequestScope, from: Date, to: Date): Promise<CubeCell[]> {
    checkRange(from, to);
    const { active, cells } = await cubeCounts(scope.graph, from.getTime(), to.getTime(), evaluationScope(scope.principal), this.config.responseWindowDays);
    const byKey = new Map<string, CubeCell>();
    const cellOf = (bl: string, sc: string, st: string): CubeCell => {
      const key = `${bl}|${sc}|${st}`;
      let cell = byKey.get(key);
      if (!cell) {
        cell = { businessLine: bl, scenario: sc, lifecycleStage: st, activeStrategies: 0, decisions: 0, controlDecisions: 0, contacted: 0, orders: 0, controlOrders: 0, orderRate: null, controlOrderRate: null, uplift: null };
        byKey.set(key, cell);
      }
      return cell;
    };
    for (const [bl, sc, st, n] of active) cellOf(bl, sc, st).activeStrategies = n;
    for (const c of cells) {
      const cell = cellOf(c.businessLine, c.scenario, c.lifecycleStage);
      const treated = c.decisions - c.controlDecisions;
      Object.assign(cell, {
        decisions: c.decisions,
        controlDecisions: c.controlDecisions,
        contacted: c.contacted,
        orders: c.ordersTreated,
        controlOrders: c.ordersControl,
        orderRate: rate(c.ordersTreated, treated),
        controlOrderRate: rate(c.ordersControl, c.controlDecisions),
      });
      const interval = newcombeDifference(c.ordersTreated, treated, c.ordersControl, c.controlDecisions);
      if (interval) cell.uplift = { value: c.ordersTreated / treated - c.ordersControl / c.controlDecisions, ...interval };
    }
    const order = (s: string): string => (s === ANY_STAGE ? "~" : s);
    return [...byKey.values()].sort((a, b) => a.businessLine.localeCompare(b.businessLine) || a.scenario.localeCompare(b.scenario) || order(a.lifecycleStage).localeCompare(order(b.lifecycleStage)));
  }

  /** The campaign's alerts raised so far, oldest first. */
  async alerts(scope: RequestScope, campaignId: string): Promise<CampaignAlertRecord[]> {
    await this.assertCampaigns(scope.graph, [campaignId]);
    return campaignAlerts(scope.graph, campaignId);
  }

  /**
   * Checks the campaign's alerts now: raises (stores) those not raised before and publishes them
   * to every replica. Returns the alerts this check raised.
   */
  async checkAlerts(campaignId: string): Promise<CampaignAlertRecord[]> {
    const session = this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS);
    const found = await campaignWaveCounts(session, campaignId);
    if (!found) return [];
    const candidates = alertsFor(found.campaign, found.waves, this.config, Date.now());
    const raised = await createAlerts(session, candidates, randomUUID());
    for (const alert of raised) await this.hub.publish(alert);
    if (raised.length > 0) this.log.info({ campaignId, alerts: raised.map((a) => a.id) }, "campaign alerts raised");
    return raised;
  }

  /**
   * The campaign's alerts from now on, for its owners (token subjects in `owners`) and ADMIN;
   * anyone else is FORBIDDEN. Resolves once the replica listens, so nothing raised later is missed.
   */
  async subscribeAlerts(scope: RequestScope, campaignId: string): Promise<AsyncIterableIterator<CampaignAlertRecord>> {
    const campaign = await campaignFacts(scope.graph, campaignId);
    if (!campaign) throw new NotFoundError(`There is no campaign with id ${campaignId}; take the id from the campaign list.`);
    const p = scope.principal;
    if (!p.roles.has("ADMIN") && !campaign.owners.includes(p.id)) {
      throw new ForbiddenError(`Campaign ${campaignId}'s alerts go to its owners (${campaign.owners.join(", ") || "none named"}) and ADMIN; "${p.id}" is neither. Ask an owner to add you.`);
    }
    const stream = new AlertStream();
    stream.unsubscribe = await this.hub.add(campaignId, stream.push);
    return stream;
  }

  /**
   * The campaign's evaluation report: the one stored when it finished; for a region-limited
   * principal, computed now over their regions (the stored one counts every customer).
   * NOT_FOUND when there is no such campaign, or it has not finished (no report yet).
   */
  async report(scope: RequestScope, campaignId: string): Promise<CampaignReport> {
    await this.assertCampaigns(scope.graph, [campaignId]);
    const within = evaluationScope(scope.principal);
    if (!within.all) return this.compute(scope.graph, campaignId, within, new Date(), false);
    const stored = await readReport(scope.graph, campaignId);
    if (!stored)
      throw new NotFoundError(
        `Campaign ${campaignId} has no evaluation report yet: it is produced ${this.config.responseWindowDays} days after the campaign ends (its reportDueAt), once the response window has closed and the orders its contacts brought are in. Until then, ask evaluation(filter: {campaignIds: ["${campaignId}"]}) for the figures so far.`,
      );
    return { ...(JSON.parse(stored.body) as Omit<CampaignReport, "producedAt">), producedAt: new Date(stored.producedAt), stored: true };
  }

  /** Produces and stores the campaign's report once (a repeat, on this replica or another, finds it and does nothing). Returns whether this call stored it. */
  async produceReport(campaignId: string): Promise<boolean> {
    const session = this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS);
    if (await readReport(session, campaignId)) return false;
    const report = await this.compute(session, campaignId, EVERY_CUSTOMER, new Date(), true);
    const { producedAt, ...body } = report;
    const { created } = await storeReport(session, { campaignId, producedAt: producedAt.getTime(), body: JSON.stringify(body) }, randomUUID());
    if (created) this.log.info({ campaignId }, "evaluation report produced");
    return created;
  }

  private async compute(graph: Cypher, campaignId: string, within: CustomerScope, producedAt: Date, stored: boolean): Promise<CampaignReport> {
    const selection = { campaignIds: [campaignId] };
    const [total, waves, channels] = [
      await this.rows(graph, selection, "TOTAL", within),
      await this.rows(graph, selection, "WAVE", within),
      await this.rows(graph, selection, "CHANNEL", within),
    ];
    const empty = figures({ key: "ALL", targeted: 0, heldOut: 0, contacted: 0, delivered: 0, deliveryFailed: 0, responded: 0, accepted: 0, orderedTreated: 0, orderedControl: 0, revenue: 0, controlRevenue: 0, treatedValue: 0, retainedTreated: 0, retainedControl: 0, retentionFeeTreated: 0, retentionFeeControl: 0 }, this.config.retentionMonths);
    return { campaignId, producedAt, stored, total: total[0] ?? empty, waves, channels };
  }

  private async rows(graph: Cypher, selection: EvaluationSelection, by: EvaluationDimension, within: CustomerScope): Promise<EvaluationRow[]> {
    const counts = await funnelCounts(graph, selection, by, within, this.config.responseWindowDays);
    return counts.map((c) => figures(c, this.config.retentionMonths));
  }

  private async assertCampaigns(graph: Cypher, ids: readonly string[]): Promise<void> {
    const found = await existingCampaigns(graph, ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new NotFoundError(`There is no campaign with id ${missing.join(", ")}; take campaign ids from the campaign list.`);
  }
}

function trendValue(r: EvaluationRow, metric: TrendMetric): number | null {
  const u: Uplift | null = r.uplift;
  switch (metric) {
    case "TARGETED":
      return r.funnel.targeted;
    case "CONTACTED":
      return r.funnel.contacted;
    case "RESPONSE_RATE":
      return r.funnel.responseRate;
    case "ORDER_RATE":
      return r.funnel.orderRate;
    case "CONTROL_ORDER_RATE":
      return r.funnel.controlOrderRate;
    case "UPLIFT":
      return u?.rateDifference.value ?? null;
    case "REVENUE":
      return r.funnel.revenue;
    case "INCREMENTAL_REVENUE":
      return u?.incrementalRevenue.value ?? null;
  }
}

function checkRange(from: Date, to: Date | null | undefined): void {
  if (to && to.getTime() <= from.getTime()) throw new BadUserInputError(`\`to\` (${to.toISOString()}) must come after \`from\` (${from.toISOString()}).`, "to");
  const end = to ? to.getTime() : Date.now();
  if (end - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new BadUserInputError(`A time range spans at most ${MAX_RANGE_DAYS} days; ${from.toISOString()} to ${new Date(end).toISOString()} is longer. Narrow it, or ask per campaign.`, "from");
  }
}

const ID_LIST_MAX = 100;

/** The filter as a selection, or BAD_USER_INPUT saying what is missing or wrong. */
function checkFilter(f: EvaluationFilter, by: EvaluationDimension): EvaluationSelection {
  const s: EvaluationSelection = {};
  if (f.campaignIds) {
    if (f.campaignIds.length === 0 || f.campaignIds.length > ID_LIST_MAX) throw new BadUserInputError(`\`campaignIds\` takes 1 to ${ID_LIST_MAX} campaign ids; got ${f.campaignIds.length}.`, "campaignIds");
    s.campaignIds = [...new Set(f.campaignIds)];
  }
  if (f.from) {
    checkRange(f.from, f.to);
    s.fromMs = f.from.getTime();
  } else if (f.to) {
    throw new BadUserInputError("`to` needs a `from` too: a time range has both ends (or leave out both and name campaigns).", "from");
  }
  if (f.to) s.toMs = f.to.getTime();
  if (!s.campaignIds && !f.strategyId && s.fromMs === undefined) {
    throw new BadUserInputError("Say which decisions to evaluate: `campaignIds`, a `strategyId`, or a time range (`from`, and `to` or now).", "filter");
  }
  if (f.waveId) s.waveId = f.waveId;
  if (f.strategyId) s.strategyId = f.strategyId;
  if (f.strategyVersion !== null && f.strategyVersion !== undefined) s.strategyVersion = f.strategyVersion;
  if (f.offerId) s.offerId = f.offerId;
  if (f.channel) s.channel = f.channel;
  if (f.regionId) {
    if (!/^R\d{2,}$/.test(f.regionId)) throw new BadUserInputError(`\`regionId\` is a region id such as R33 (province), R3301 (city) or R330102 (district); got "${f.regionId.slice(0, 40)}".`, "regionId");
    s.regionId = f.regionId;
  }
  if (f.tagIds) {
    if (f.tagIds.length === 0 || f.tagIds.length > ID_LIST_MAX) throw new BadUserInputError(`\`tagIds\` takes 1 to ${ID_LIST_MAX} tag ids; got ${f.tagIds.length}.`, "tagIds");
    s.tagIds = [...new Set(f.tagIds)];
  }
  if (by === "TAG" && !s.tagIds) throw new BadUserInputError("Grouping by TAG needs `filter.tagIds`: the tags whose holders make the rows (a customer holding several counts in each).", "tagIds");
  return s;
}

/** Tries of one alert check, the retries 1 s, 2 s, 4 s … apart. */
const ALERT_ATTEMPTS = 4;
const ALERT_RETRY_MS = 1_000;

/**
 * What the evaluation centre does when a campaign moves (src/domain/campaigns.ts CampaignHooks),
 * wired for the campaigns room in src/main/wiring.ts. Alert checks run behind the wave's work,
 * at most once per `alertDebounceMs` per campaign (a wave reports progress per batch); a check
 * asked for while one waits is folded into it, so the last progress is always checked.
 */
export class CampaignEvaluationHooks implements CampaignHooks {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastCheck = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly evaluation: EvaluationService,
    private readonly log: Logger,
  ) {}

  waveProgressed(campaignId: string, _waveId: string): void {
    this.schedule(campaignId, 1);
  }

  /**
   * A failed check (Neo4j or Redis away) is tried again after a backoff, a few times: the last
   * batch of a wave brings no further progress to check it for.
   */
  private schedule(campaignId: string, attempt: number): void {
    if (this.closed || this.timers.has(campaignId)) return;
    const debounce = (this.lastCheck.get(campaignId) ?? 0) + this.evaluation.config.alertDebounceMs - Date.now();
    const wait = Math.max(0, debounce, attempt > 1 ? ALERT_RETRY_MS * 2 ** (attempt - 2) : 0);
    const timer = setTimeout(() => {
      this.timers.delete(campaignId);
      this.lastCheck.set(campaignId, Date.now());
      this.evaluation.checkAlerts(campaignId).catch((error: unknown) => {
        const again = attempt < ALERT_ATTEMPTS;
        this.log.warn({ campaignId, attempt, err: error instanceof Error ? error.message : String(error) }, again ? "campaign alert check failed; trying again" : "campaign alert check failed; the next progress checks again");
        if (again) this.schedule(campaignId, attempt + 1);
      });
    }, wait);
    timer.unref();
    this.timers.set(campaignId, timer);
  }

  /** The report waits out the response window its "ordered" counts look through. */
  get reportDelayDays(): number {
    return this.evaluation.config.responseWindowDays;
  }

  async produceReport(campaignId: string): Promise<void> {
    await this.evaluation.produceReport(campaignId);
  }

  /** Drops pending checks (shutdown). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
