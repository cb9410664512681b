import { randomBytes } from "node:crypto";
import { EVENT_PROCESSOR, isSystem, type Principal } from "../auth/principal";
import { inRegions } from "../auth/regions";
import { AuditCollector } from "../audit/collector";
import type { AuditService } from "../audit/service";
import type { CallRegister } from "../customer360/calls";
import type { ReferenceData } from "../customer360/reference";
import type { RequestScope } from "../customer360/scope";
import type { DecisioningService } from "../decisioning/service";
import { WORK_ORDER_TEAM, type WorkOrderFeedback, type WorkOrderKind, type WorkOrderRequest, type WorkOrderStatus } from "../domain/campaigns";
import type { ChannelCode, ContactKind, ResponseOutcome } from "../domain/vocabulary";
import type { ContactRecord } from "../graph/contact";
import { writeDecisions } from "../graph/decision";
import {
  closeAnsweredOrder,
  changeWorkOrder,
  createWorkOrders,
  effective,
  ensureWorkOrderSchema,
  holdsDecision,
  interactionFacts,
  listWorkOrders,
  workOrdersById,
  writeInteraction,
  type WorkOrderRecord,
  type WorkOrderRow,
  type WorkOrderVisibility,
} from "../graph/work-orders";
import type { MarketingService } from "../marketing/service";
import { BadUserInputError, ForbiddenError, NotFoundError } from "../platform/errors";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import type { CustomerChanges } from "../segments/preview/index";
import { checkReport, claimDenial, claimPatch, reportPatch, WORK_ORDER_CHANNEL, type Worker } from "./work-order-rules";

export type { WorkOrderRecord } from "../graph/work-orders";

/**
 * The shared work-order pool (issue 12, point 3): outbound calls, store visits and account-manager
 * follow-ups a person does for a decision. Campaign waves open orders in batches
 * ({@link WorkOrderPool.open}); a MARKETER, ADMIN or a store system dispatches one by hand
 * (`dispatchWorkOrder`). Agents of the order's team whose regions cover the customer's district
 * list and claim them; the claimer reports back, and ACCEPTED/DECLINED answer the decision through
 * `DecisioningService.respond`, the loop `respondToOffer` closes (outcome, holding, cool-downs,
 * model, trajectory). A claim holds until the order's due time; past it the order is back in the
 * pool for everyone at once (listings and claims compute it), and the sweep
 * (./work-order-sweep.ts) writes it back. Agents also record interactions (consultation,
 * complaint, note) in a customer's trajectory.
 *
 * Time for due dates and claims comes from an injectable {@link Clock}, so tests move it; the
 * trajectory's contacts are stamped with the wall clock, as every other contact is.
 */

/** Where the pool reads the time (due dates, lapsed claims); tests replace it to move time forward. */
export interface Clock {
  now(): Date;
}

export const SYSTEM_CLOCK: Clock = Object.freeze({ now: () => new Date() });

export interface WorkOrderConfig {
  /** How long a claim of an order already past its due time holds (a reassigned order gets this much time). */
  overdueHoldMs: number;
  /** How often the sweep returns lapsed claims to the pool (BullMQ repeatable job). */
  sweepEveryMs: number;
  /** Start the sweep's worker on this replica (default true; one runs each sweep whatever the replicas). */
  worker: boolean;
}

export const DEFAULT_WORK_ORDERS: WorkOrderConfig = { overdueHoldMs: 2 * 3600_000, sweepEveryMs: 60_000, worker: true };

/** Longest note on an order, and longest interaction summary: a paragraph an agent types, not a transcript. */
export const MAX_NOTE = 500;
/** How far ahead an order may be due. */
const MAX_DUE_AHEAD_MS = 90 * 24 * 3600_000;
/** An agent may add a note to a customer whose order it reported on within this long. */
const NOTE_AFTER_REPORT_MS = 24 * 3600_000;
export const MAX_PAGE = 100;

/** Who the pool acts as when a campaign wave opens orders (on the audit trail). */
export const CAMPAIGN_WAVES: Principal = Object.freeze({ ...EVENT_PROCESSOR, id: "system:campaign-waves" });

/** The interactions an agent may record (recordInteraction). */
export const INTERACTION_KINDS: readonly ContactKind[] = ["CONSULTATION", "COMPLAINT", "NOTE"];

/** What recordInteraction takes. */
export interface InteractionInput {
  customerId: string;
  kind: ContactKind;
  channel: ChannelCode;
  summary: string;
  productId?: string | null;
  decisionId?: string | null;
  workOrderId?: string | null;
}

export interface WorkOrderListArgs {
  status?: WorkOrderStatus | null;
  kind?: WorkOrderKind | null;
  mine?: boolean | null;
  overdue?: boolean | null;
  first: number;
  after?: string | null;
}

export interface WorkOrderConnectionRoot {
  edges: Array<{ cursor: string; node: WorkOrderRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A fresh order id: "WO" + base-36 time + random (sorts roughly by creation). */
export function workOrderId(now: Date): string {
  return `WO${now.getTime().toString(36).toUpperCase()}${randomBytes(4).toString("hex").toUpperCase()}`;
}

/**
 * What a campaign wave calls (wired at merge): `open(requests)` creates the orders of a batch of
 * wave members in one UNWIND statement, idempotently (one order per decision: a retried batch, a
 * resumed wave, adds nothing). Construct with the graph and, for the audit trail, the audit service.
 */
export class WorkOrderPool {
  private schema: Promise<void> | null = null;

  constructor(
    private readonly graph: Graph,
    private readonly audit: AuditService | null = null,
    readonly clockSource: { clock: Clock } = { clock: SYSTEM_CLOCK },
  ) {}

  /** Creates the constraints once per process (retried on the next call after a failure). */
  ready(): Promise<void> {
    return (this.schema ??= ensureWorkOrderSchema(this.graph).catch((error: unknown) => {
      this.schema = null;
      throw error;
    }));
  }

  /** Opens the orders of a batch of wave members (OUTBOUND_CALL → OUTBOUND, STORE_VISIT → STORE, ACCOUNT_MANAGER); one per decision. */
  async open(requests: readonly WorkOrderRequest[]): Promise<void> {
    if (requests.length === 0) return;
    await this.ready();
    const now = this.clockSource.clock.now();
    const rows = requests.map(
      (r): WorkOrderRow => ({
        id: workOrderId(now),
        decisionId: r.decisionId,
        customerId: r.customerId,
        regionId: r.regionId,
        kind: r.kind,
        team: WORK_ORDER_TEAM[r.kind],
        campaignId: r.campaignId,
        waveId: r.waveId,
        offerId: r.offerId,
        script: r.script,
        dueAt: new Date(r.dueAt),
        createdBy: CAMPAIGN_WAVES.id,
        note: null,
      }),
    );
    const bad = rows.find((r) => !Number.isFinite(r.dueAt.getTime()));
    if (bad) throw new BadUserInputError(`Work order for decision ${bad.decisionId}: dueAt must be an ISO-8601 time; nothing was opened.`, "dueAt");
    const made = await createWorkOrders(this.graph.session(), rows, now);
    const created = made.filter((m) => m.created);
    if (created.length > 0 && this.audit) {
      const collector = new AuditCollector();
      const byWave = new Map<string, number>();
      for (const m of created) byWave.set(m.order.waveId ?? "", (byWave.get(m.order.waveId ?? "") ?? 0) + 1);
      for (const [waveId, count] of byWave) {
        collector.change({ action: "openWorkOrders", targetType: "Wave", targetId: waveId, before: null, after: { created: count } });
      }
      this.audit.record(CAMPAIGN_WAVES, collector, { name: "openWorkOrders", type: "MUTATION", transport: "HTTP", subscription: null });
    }
  }
}

/** The pool's face to resolvers (`ctx.workOrders`): listing, dispatch, claim, report, and agents' interactions. */
export class WorkOrderService {
  readonly pool: WorkOrderPool;
  /** Replace to move time (tests); the sweep reads it too. */
  clock: Clock = SYSTEM_CLOCK;

  constructor(
    private readonly graph: Graph,
    private readonly reference: ReferenceData,
    private readonly marketing: MarketingService,
    private readonly decisioning: DecisioningService,
    private readonly calls: CallRegister | null,
    private readonly changes: CustomerChanges | null,
    private readonly audit: AuditService | null,
    private readonly log: Logger,
    readonly config: WorkOrderConfig = DEFAULT_WORK_ORDERS,
  ) {
    this.pool = new WorkOrderPool(graph, audit, this);
  }

  /**
   * A decision with a work order was answered (DecisioningService.workOrderHolders): its order, OPEN or
   * claimed by another agent than the one answering, is CANCELLED so nobody calls a customer who
   * already answered. Never rejects: a failure is logged, and the order's report later finds the
   * decision answered.
   */
  async answered(decisionId: string, outcome: ResponseOutcome, byAgentId: string | null): Promise<void> {
    try {
      const note = `Closed: the customer answered ${outcome} ${byAgentId ? `to agent ${byAgentId}` : "on another channel"} before this order was worked.`;
      const before = await closeAnsweredOrder(this.graph.session(), decisionId, byAgentId, note, this.clock.now());
      if (!before || !this.audit) return;
      const collector = new AuditCollector();
      collector.change({ action: "closeWorkOrder", targetType: "WorkOrder", targetId: before.id, customerId: before.customerId, before: { status: before.status, claimedBy: before.claimedBy }, after: { status: "CANCELLED", note } });
      this.audit.record(CAMPAIGN_WAVES, collector, { name: "closeWorkOrder", type: "MUTATION", transport: "HTTP", subscription: null });
    } catch (error) {
      this.log.warn({ decisionId, err: error instanceof Error ? error.message : String(error) }, "closing the answered decision's work order failed; its report will find the decision answered");
    }
  }

  /** Whether the agent holds a claim on the decision's order now (DecisioningService.workOrderHolders: it may answer that decision). */
  holds(agentId: string, decisionId: string): Promise<boolean> {
    return holdsDecision(this.graph.session(), agentId, decisionId, this.clock.now());
  }

  // ───────────────────────────── reading ─────────────────────────────

  /** A page of the orders the principal may see, earliest due first; lapsed claims show as OPEN. */
  async list(scope: RequestScope, args: WorkOrderListArgs): Promise<WorkOrderConnectionRoot> {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE) throw new BadUserInputError(`\`first\` must be 1 to ${MAX_PAGE}; got ${args.first}.`, "first");
    const p = scope.principal;
    if (args.mine && !p.agentId) throw new BadUserInputError("`mine` lists the orders an agent claimed; this token has no agentId. Leave `mine` out.", "mine");
    await this.pool.ready();
    const visibility = visibilityOf(p);
    const orders = await listWorkOrders(
      scope.graph,
      visibility,
      { status: args.status ?? null, kind: args.kind ?? null, mine: args.mine === true, overdue: args.overdue ?? null, after: decodeCursor(args.after), first: args.first },
      this.clock.now(),
    );
    const page = orders.slice(0, args.first);
    const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
    return { edges, pageInfo: { hasNextPage: orders.length > args.first, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /** One order as the principal may see it (lapsed claims as OPEN); null when unknown; FORBIDDEN when not the principal's to see. */
  async get(scope: RequestScope, id: string): Promise<WorkOrderRecord | null> {
    await this.pool.ready();
    const found = (await workOrdersById(scope.graph, [id])).get(id);
    if (!found) return null;
    const order = effective(found, this.clock.now());
    const why = viewDenial(scope.principal, order);
    if (why) throw new ForbiddenError(why);
    return order;
  }

  // ───────────────────────────── changing ─────────────────────────────

  /**
   * Dispatches an order for an existing decision by hand (a store manager's follow-up): the
   * decision must have been presented on a person-served channel (OUTBOUND_CALL or STORE) and not
   * answered. Idempotent per decision: a second dispatch returns the order the first made.
   */
  async dispatch(scope: RequestScope, input: { decisionId: string; kind: WorkOrderKind; dueAt: Date; note?: string | null }): Promise<WorkOrderRecord> {
    const now = this.clock.now();
    const note = optionalText(input.note, "note");
    const ahead = input.dueAt.getTime() - now.getTime();
    if (!(ahead > 0 && ahead <= MAX_DUE_AHEAD_MS)) {
      throw new BadUserInputError(`\`dueAt\` must lie after now and within 90 days; got ${Number.isFinite(input.dueAt.getTime()) ? input.dueAt.toISOString() : "an invalid date"}.`, "dueAt");
    }
    const scoped = await scope.loaders.decision.load(input.decisionId);
    if (!scoped) throw new NotFoundError(`There is no decision with id ${input.decisionId}; quote the id a nextBestOffers answer gave (on OUTBOUND_CALL or STORE).`);
    if (!scoped.visible) throw new ForbiddenError(`Decision ${input.decisionId} is about a customer outside what this token may read; nothing was dispatched.`);
    const d = scoped.record;
    const channel = WORK_ORDER_CHANNEL[input.kind];
    const fits = input.kind === "ACCOUNT_MANAGER" ? d.channel === "OUTBOUND_CALL" || d.channel === "STORE" : d.channel === channel;
    if (!fits) {
      throw new BadUserInputError(
        `A ${input.kind} order works a decision made on ${input.kind === "ACCOUNT_MANAGER" ? "OUTBOUND_CALL or STORE" : channel}; decision ${d.id} was made on ${d.channel}. Decide on that channel (nextBestOffers) and dispatch that decision.`,
        "kind",
      );
    }
    if (!d.contacted) throw new BadUserInputError(`Decision ${d.id} was not presented (control group, or held back by the contact policy), so nobody may work it; nothing was dispatched.`, "decisionId");
    if (d.outcome !== null) throw new BadUserInputError(`Decision ${d.id} was already answered ${d.outcome}; there is nothing left to work.`, "decisionId");
    if (!scoped.regionId) throw new NotFoundError(`The customer of decision ${d.id} is no longer in the graph; nothing was dispatched.`);
    const offer = (await this.marketing.snapshot()).offers.get(d.offerId);
    const script = offer?.creatives[channel] ?? offer?.creatives.HOTLINE ?? offer?.name ?? d.offerId;
    await this.pool.ready();
    const rows: WorkOrderRow[] = [
        {
          id: workOrderId(now),
          decisionId: d.id,
          customerId: d.customerId,
          regionId: scoped.regionId,
          kind: input.kind,
          team: WORK_ORDER_TEAM[input.kind],
          campaignId: d.campaignId ?? null,
          waveId: d.waveId ?? null,
          offerId: d.offerId,
          script,
          dueAt: input.dueAt,
          createdBy: scope.principal.id,
          note,
        },
      ];
    // A decision still queued for the graph (written behind the answer) is written with its order, so the order can mark it.
    const unflushed = scoped.unflushed;
    const [made] = unflushed
      ? await scope.graph.transaction(async (tx) => {
          await writeDecisions(tx, [unflushed]);
          return createWorkOrders(tx, rows, now);
        })
      : await createWorkOrders(scope.graph, rows, now);
    if (!made) throw new Error(`dispatching decision ${d.id} wrote no work order`);
    if (made.created) {
      scope.audit.change({ action: "dispatchWorkOrder", targetType: "WorkOrder", targetId: made.order.id, customerId: d.customerId, before: null, after: auditView(made.order) });
    }
    return made.order;
  }

  /** Claims an order for the asking agent: atomic (of two agents at once, one wins; the other is CONFLICT). */
  async claim(scope: RequestScope, id: string): Promise<WorkOrderRecord> {
    const worker = workerOf(scope.principal);
    await this.pool.ready();
    const now = this.clock.now();
    const changed = await changeWorkOrder(scope.graph, id, (current) => claimPatch(current, worker, now, this.config.overdueHoldMs));
    if (!changed) throw new NotFoundError(`There is no work order with id ${id}; list the pool with workOrders(status: OPEN).`);
    if (changed.before.status !== changed.after.status || changed.before.claimedBy !== changed.after.claimedBy) {
      scope.audit.change({ action: "claimWorkOrder", targetType: "WorkOrder", targetId: id, customerId: changed.after.customerId, before: auditView(changed.before), after: auditView(changed.after) });
    }
    return changed.after;
  }

  /**
   * The claimer's report. ACCEPTED/DECLINED answer the decision (DecisioningService.respond: the
   * same loop as respondToOffer), then close the order; REACHED and CALL_BACK note the contact in
   * the trajectory with the order's change, in one transaction; NOT_REACHED returns the order to
   * the pool. Refusals write nothing.
   */
  async report(scope: RequestScope, id: string, feedback: WorkOrderFeedback, callBackAt: Date | null, noteText: string | null | undefined): Promise<WorkOrderRecord> {
    const worker = workerOf(scope.principal);
    const note = optionalText(noteText, "note");
    await this.pool.ready();
    const now = this.clock.now();
    const current = (await workOrdersById(scope.graph, [id])).get(id);
    if (!current) throw new NotFoundError(`There is no work order with id ${id}; list yours with workOrders(mine: true).`);
    checkReport(current, worker.agentId, feedback, callBackAt, now);
    if (current.status === "DONE") return current; // a retried report that already went through
    const answers = feedback === "ACCEPTED" || feedback === "DECLINED";
    // The answer first: respond is idempotent, so a report retried after the order's write failed completes it.
    if (answers) await this.decisioning.respond(scope, current.decisionId, feedback);
    const channel = WORK_ORDER_CHANNEL[current.kind];
    const offerName = (await this.marketing.snapshot()).offers.get(current.offerId)?.name ?? current.offerId;
    const contact = contactOfReport(feedback, offerName, callBackAt, note);
    const changed = await changeWorkOrder(
      scope.graph,
      id,
      (locked) => {
        // An answered decision closes the order whatever happened to the claim meanwhile; the rest checks again under the lock.
        if (!answers) checkReport(locked, worker.agentId, feedback, callBackAt, now);
        return reportPatch(locked, worker.agentId, feedback, callBackAt, note, now);
      },
      contact
        ? async (tx, _before, after) => {
            await writeInteraction(tx, {
              id: `K${after.id}-${now.getTime().toString(36)}`,
              customerId: after.customerId,
              at: new Date(),
              channel,
              kind: "NOTE",
              summary: contact,
              productId: null,
              decisionId: after.decisionId,
              workOrderId: after.id,
              recordedBy: worker.agentId,
            });
          }
        : undefined,
    );
    if (!changed) throw new NotFoundError(`Work order ${id} disappeared while it was reported on.`);
    scope.audit.change({ action: "reportWorkOrder", targetType: "WorkOrder", targetId: id, customerId: changed.after.customerId, before: auditView(changed.before), after: auditView(changed.after) });
    if (contact) this.changes?.changed([changed.after.customerId], ["trajectory"]);
    return changed.after;
  }

  /**
   * Records an agent's (or a system's) interaction in a customer's trajectory. An AGENT records
   * for a customer it is talking to or talked to on a call in the last 24 hours (the desk's wrap-up),
   * or whose work order it holds or reported on in the last 24 hours; a SERVICE for customers in
   * its regions. Seen at once in `contacts`, and by the next segment preview (trajectory predicates).
   */
  async recordInteraction(scope: RequestScope, input: InteractionInput): Promise<ContactRecord> {
    const p = scope.principal;
    if (!INTERACTION_KINDS.includes(input.kind)) {
      throw new BadUserInputError(`\`kind\` must be one of ${INTERACTION_KINDS.join(", ")} (offers and their answers are recorded by nextBestOffers and respondToOffer); got ${input.kind}.`, "kind");
    }
    const summary = input.summary.trim();
    if (summary.length === 0 || summary.length > MAX_NOTE) {
      throw new BadUserInputError(`\`summary\` must be 1 to ${MAX_NOTE} characters of what happened; got ${summary.length} after trimming.`, "summary");
    }
    const productId = input.productId ?? null;
    if (productId !== null && !(await this.reference.products()).has(productId)) {
      throw new BadUserInputError(`\`productId\` ${productId} is not in the catalogue; give a product id such as products() lists, or leave it out.`, "productId");
    }
    const now = this.clock.now();
    const facts = await interactionFacts(scope.graph, input.customerId, p.roles.has("AGENT") ? p.agentId : null, now, NOTE_AFTER_REPORT_MS);
    if (facts.regionId === null) throw new NotFoundError(`There is no customer with id ${input.customerId}; nothing was recorded.`);
    if (!isSystem(p)) {
      const why = await this.interactionDenial(p, input.customerId, facts);
      if (why) throw new ForbiddenError(why);
    }
    if (input.decisionId) {
      const d = await scope.loaders.decision.load(input.decisionId);
      if (!d || d.record.customerId !== input.customerId) {
        throw new BadUserInputError(`\`decisionId\` ${input.decisionId} is not a decision of customer ${input.customerId}; give one of theirs or leave it out.`, "decisionId");
      }
    }
    if (input.workOrderId) {
      const w = (await workOrdersById(scope.graph, [input.workOrderId])).get(input.workOrderId);
      if (!w || w.customerId !== input.customerId) {
        throw new BadUserInputError(`\`workOrderId\` ${input.workOrderId} is not a work order of customer ${input.customerId}; give one of theirs or leave it out.`, "workOrderId");
      }
    }
    const at = new Date();
    const id = `KI${at.getTime().toString(36).toUpperCase()}${randomBytes(4).toString("hex").toUpperCase()}`;
    const written = await writeInteraction(scope.graph, {
      id,
      customerId: input.customerId,
      at,
      channel: input.channel,
      kind: input.kind,
      summary,
      productId,
      decisionId: input.decisionId ?? null,
      workOrderId: input.workOrderId ?? null,
      recordedBy: p.agentId ?? p.id,
    });
    if (!written) throw new NotFoundError(`Customer ${input.customerId} or channel ${input.channel} is not in the graph; nothing was recorded.`);
    scope.audit.change({
      action: "recordInteraction",
      targetType: "Contact",
      targetId: id,
      customerId: input.customerId,
      before: null,
      after: { kind: input.kind, channel: input.channel, productId, decisionId: input.decisionId ?? null, workOrderId: input.workOrderId ?? null, length: summary.length },
    });
    this.changes?.changed([input.customerId], ["trajectory"]);
    return { id, at, channel: input.channel, kind: input.kind, summary, outcome: null, productId, decisionId: input.decisionId ?? null };
  }

  private async interactionDenial(p: Principal, customerId: string, facts: { regionId: string | null; works: boolean }): Promise<string | null> {
    const reasons: string[] = [];
    if (p.roles.has("SERVICE")) {
      if (facts.regionId !== null && inRegions(facts.regionId, p.regions)) return null;
      reasons.push(`a SERVICE token records for customers in its regions (${p.regions.join(", ") || "none given"}) only`);
    }
    if (p.roles.has("AGENT")) {
      if (p.agentId !== null && (facts.works || (this.calls !== null && (await this.calls.talkedTo(p.agentId, customerId))))) return null;
      reasons.push(`an AGENT token records for a customer it is talking to or talked to on a call in the last 24 hours, or whose work order it holds or reported on in the last 24 hours (agent ${p.agentId ?? "(none)"})`);
    }
    return `Customer ${customerId} is not yours to record an interaction for: ${reasons.join("; ") || "this token's roles record none"}. Nothing was recorded.`;
  }
}

/** The asking agent, or FORBIDDEN: claims and reports are an agent's, under its agentId. */
function workerOf(p: Principal): Worker {
  if (!p.roles.has("AGENT") || p.agentId === null) {
    throw new ForbiddenError("Work orders are claimed and reported by agents: this needs an AGENT token with an agentId (and the teams it works in). Nothing was changed.");
  }
  return { agentId: p.agentId, teams: p.teams, regions: p.regions };
}

/** Who sees what in listings: supervisors every order of their regions, agents their teams' open pool and their own. */
export function visibilityOf(p: Principal): WorkOrderVisibility {
  const supervisor = p.roles.has("MARKETER") || p.roles.has("ADMIN");
  const all = supervisor ? { regions: p.regions.length > 0 ? [...p.regions] : null } : p.roles.has("SERVICE") && p.regions.length > 0 ? { regions: [...p.regions] } : null;
  const agent = p.roles.has("AGENT") ? p.agentId : null;
  const pool = agent !== null && p.teams.length > 0 && p.regions.length > 0 ? { teams: [...p.teams], regions: [...p.regions] } : null;
  return { all, pool, agentId: agent };
}

/** Why the principal may not see this order (as it stands now), or null. */
function viewDenial(p: Principal, order: WorkOrderRecord): string | null {
  const v = visibilityOf(p);
  if (v.all && (v.all.regions === null || inRegions(order.regionId, v.all.regions))) return null;
  if (v.agentId !== null && order.claimedBy === v.agentId) return null;
  if (v.agentId !== null && order.status === "OPEN") {
    const why = claimDenial({ agentId: v.agentId, teams: p.teams, regions: p.regions }, order);
    if (!why) return null;
    return why.replace("Nothing was claimed.", "").trim();
  }
  return `Work order ${order.id} is not yours to see: agents see the open orders of their teams and regions and their own; MARKETER and ADMIN every order of their regions.`;
}

/** The trajectory entry a report brings: the customer was reached without an answer, or asked to be called back. */
function contactOfReport(feedback: WorkOrderFeedback, offerName: string, callBackAt: Date | null, note: string | null): string | null {
  const tail = note ? `（${note}）` : "";
  if (feedback === "REACHED") return `外呼/到店联系客户，介绍${offerName}，客户暂未答复${tail}`;
  if (feedback === "CALL_BACK") return `客户约定回访时间 ${callBackAt?.toISOString() ?? ""}，推荐${offerName}${tail}`;
  return null;
}

function optionalText(value: string | null | undefined, argument: string): string | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text.length > MAX_NOTE) throw new BadUserInputError(`\`${argument}\` must be at most ${MAX_NOTE} characters; got ${text.length}. Shorten it.`, argument);
  return text.length > 0 ? text : null;
}

function auditView(o: WorkOrderRecord): Record<string, unknown> {
  return { status: o.status, claimedBy: o.claimedBy, dueAt: o.dueAt, feedback: o.feedback, callBackAt: o.callBackAt, reassignments: o.reassignments, decisionId: o.decisionId, kind: o.kind };
}

function encodeCursor(o: WorkOrderRecord): string {
  return Buffer.from(JSON.stringify([o.dueAt.getTime(), o.id])).toString("base64url");
}

function decodeCursor(cursor: string | null | undefined): { dueMs: number; id: string } | null {
  if (!cursor) return null;
  try {
    const [dueMs, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof dueMs === "number" && Number.isFinite(dueMs) && typeof id === "string") return { dueMs, id };
  } catch {
    // falls through to the error below
  }
  throw new BadUserInputError("`after` is not a cursor this listing gave; pass an `endCursor` from a previous page, or leave it out.", "after");
}
