import type { Team, WorkOrderFeedback, WorkOrderKind } from "../domain/campaigns";
import type { ChannelCode } from "../domain/vocabulary";
import type { WorkOrderPatch, WorkOrderRecord } from "../graph/work-orders";
import { effective } from "../graph/work-orders";
import { BadUserInputError, ConflictError, ForbiddenError } from "../platform/errors";
import { inRegions } from "../auth/regions";

/**
 * The work order's state machine, pure: what a claim or a report changes, or why it is refused.
 * The graph module applies the patch inside the transaction that locked the order
 * (src/graph/work-orders.ts changeWorkOrder), so each rule sees the order as committed.
 *
 *   OPEN ──claim──▶ CLAIMED ──ACCEPTED/DECLINED──▶ DONE
 *                     │  REACHED: stays CLAIMED (contact noted); CALL_BACK: stays, due at the call-back
 *                     │  NOT_REACHED, or past its due time: back to OPEN, reassignments + 1
 */

/** The channel a person works an order of each kind on: its script is the offer's creative there, its contacts are written there. */
export const WORK_ORDER_CHANNEL: Readonly<Record<WorkOrderKind, ChannelCode>> = Object.freeze({ OUTBOUND_CALL: "OUTBOUND_CALL", STORE_VISIT: "STORE", ACCOUNT_MANAGER: "OUTBOUND_CALL" });

/** Who asks, as far as the pool's rules go. */
export interface Worker {
  agentId: string;
  teams: readonly Team[];
  regions: readonly string[];
}

/** Whether the worker may see and claim the order: one of its teams, in its regions. Null when it may, else why not. */
export function claimDenial(w: Worker, order: Pick<WorkOrderRecord, "id" | "team" | "regionId">): string | null {
  if (!w.teams.includes(order.team)) {
    return `Work order ${order.id} is for team ${order.team}; this token works in ${w.teams.length > 0 ? `team(s) ${w.teams.join(", ")}` : "no team (its token has no teams claim)"}. Ask for a token with teams including ${order.team}.`;
  }
  if (!inRegions(order.regionId, w.regions)) {
    return `Work order ${order.id} is for a customer in ${order.regionId}, outside this token's regions (${w.regions.join(", ") || "none given"}). Nothing was claimed.`;
  }
  return null;
}

/**
 * A claim: an OPEN order (or one whose claim lapsed) becomes the worker's until its due time; an
 * order already overdue gets `overdueHoldMs` from now, so a reassigned order is workable.
 */
export function claimPatch(current: WorkOrderRecord, w: Worker, now: Date, overdueHoldMs: number): WorkOrderPatch {
  const order = effective(current, now);
  const why = claimDenial(w, order);
  if (why) throw new ForbiddenError(why);
  if (order.status === "CLAIMED") {
    if (order.claimedBy === w.agentId) return {}; // a repeated claim: already the worker's
    throw new ConflictError(
      `Work order ${order.id} was claimed by agent ${order.claimedBy ?? "(unknown)"} at ${order.claimedAt?.toISOString() ?? "(unknown)"} and is theirs until ${order.dueAt.toISOString()}; take another from the pool (workOrders(status: OPEN)).`,
    );
  }
  if (order.status !== "OPEN") throw new ConflictError(`Work order ${order.id} is ${order.status}${order.feedback ? ` (${order.feedback})` : ""}; only OPEN orders can be claimed.`);
  const dueAt = order.dueAt.getTime() < now.getTime() ? new Date(now.getTime() + overdueHoldMs) : order.dueAt;
  return { status: "CLAIMED", claimedBy: w.agentId, claimedAt: now, dueAt, reassignments: order.reassignments };
}

/** The largest time ahead a call-back may be set. */
export const MAX_CALL_BACK_MS = 30 * 24 * 3600_000;

/** Checks a report before anything is written (so an answer is never recorded for an order the worker does not hold). */
export function checkReport(current: WorkOrderRecord, agentId: string, feedback: WorkOrderFeedback, callBackAt: Date | null, now: Date): void {
  if (current.status === "DONE") {
    if (current.claimedBy === agentId && current.feedback === feedback) return; // a retried report: answered the same
    throw new ConflictError(`Work order ${current.id} is already DONE (${current.feedback ?? "no feedback"} at ${current.feedbackAt?.toISOString() ?? "(unknown)"}); nothing was recorded.`);
  }
  if (current.status === "CANCELLED") throw new ConflictError(`Work order ${current.id} was CANCELLED; nothing was recorded.`);
  const order = effective(current, now);
  if (order.status !== "CLAIMED" || order.claimedBy !== agentId) {
    const lapsed = current.status === "CLAIMED" && current.claimedBy === agentId;
    throw new ForbiddenError(
      lapsed
        ? `Your claim on work order ${current.id} lapsed at ${current.dueAt.toISOString()} (its due time) and the order went back to the pool; claim it again (claimWorkOrder) and report. Nothing was recorded.`
        : `Work order ${current.id} is not claimed by you (agent ${agentId}); claim it first (claimWorkOrder). Nothing was recorded.`,
    );
  }
  if (feedback === "CALL_BACK") {
    if (!callBackAt) throw new BadUserInputError("CALL_BACK needs `callBackAt`: when the customer asked to be called again (ISO-8601).", "callBackAt");
    const ahead = callBackAt.getTime() - now.getTime();
    if (!(ahead > 0 && ahead <= MAX_CALL_BACK_MS)) {
      throw new BadUserInputError(`\`callBackAt\` must lie after now and within 30 days; got ${Number.isFinite(callBackAt.getTime()) ? callBackAt.toISOString() : "an invalid date"}.`, "callBackAt");
    }
  } else if (callBackAt) {
    throw new BadUserInputError(`\`callBackAt\` goes with CALL_BACK only; this report is ${feedback}. Leave it out.`, "callBackAt");
  }
}

/** What a report changes on the order (after {@link checkReport}, and after an answer was recorded). */
export function reportPatch(current: WorkOrderRecord, agentId: string, feedback: WorkOrderFeedback, callBackAt: Date | null, note: string | null, now: Date): WorkOrderPatch {
  if (current.status === "DONE" && current.claimedBy === agentId && current.feedback === feedback) return {};
  const common = { feedback, feedbackAt: now, ...(note !== null ? { note } : {}) };
  switch (feedback) {
    case "ACCEPTED":
    case "DECLINED":
      // The answer is in: the order is done whatever happened to the claim meanwhile.
      return { ...common, status: "DONE", claimedBy: agentId, callBackAt: null };
    case "REACHED":
      return { ...common };
    case "CALL_BACK":
      return { ...common, callBackAt, dueAt: callBackAt ?? current.dueAt };
    case "NOT_REACHED":
      return { ...common, status: "OPEN", claimedBy: null, claimedAt: null, reassignments: current.reassignments + 1 };
  }
}
