import type { FunnelCounts } from "../graph/evaluation";
import { newcombeDifference, rate, type Interval } from "./stats";

/**
 * From a group's counts to what the evaluation centre shows: the funnel with its rates, and the
 * uplift (treated versus control) with its 95% interval. Pure, so the arithmetic is tested on its own.
 *
 * Definitions (also in the schema's descriptions):
 * - treated = targeted − held out (intent to treat: members the contact policy held back stay in,
 *   so the comparison with the randomised control group stays fair);
 * - ordered: the customer came to hold the decision's product within the response window after it
 *   (measurable for the control group too; src/graph/evaluation.ts);
 * - revenue per order: the decision's `value`, the offer's expected margin over its horizon (yuan),
 *   so revenue is Σ value over treated customers who ordered;
 * - incremental orders = treated × (order rate treated − order rate control), its interval the
 *   rate difference's (Newcombe) times treated; incremental revenue = that × revenue per order
 *   (the mean value of the treated orders; the mean value of the treated decisions while nobody ordered);
 * - retention revenue (RETENTION-scenario strategies): the monthly fee of what treated customers
 *   ordered × the retention horizon in months (a customer taking a retention offer counts as kept
 *   for the horizon); incremental: treated × (retention-order rate treated − control) × mean fee × horizon.
 */

/** An estimate with its 95% interval. */
export interface Estimate {
  value: number;
  lower: number;
  upper: number;
}

export interface Funnel {
  targeted: number;
  heldOut: number;
  treated: number;
  contacted: number;
  delivered: number;
  deliveryFailed: number;
  responded: number;
  accepted: number;
  ordered: number;
  controlOrdered: number;
  contactRate: number | null;
  deliveryRate: number | null;
  responseRate: number | null;
  orderRate: number | null;
  controlOrderRate: number | null;
  revenue: number;
  retentionRevenue: number;
}

export interface Uplift {
  /** Order rate treated − control. */
  rateDifference: Estimate;
  incrementalOrders: Estimate;
  revenuePerOrder: number;
  incrementalRevenue: Estimate;
  /** Null when no RETENTION-scenario decision ordered in either group. */
  incrementalRetentionRevenue: Estimate | null;
}

export interface EvaluationRow {
  key: string;
  funnel: Funnel;
  /** Null when either group is empty (no control group: nothing to compare with). */
  uplift: Uplift | null;
}

function scaled(interval: Interval, value: number, factor: number): Estimate {
  return { value: value * factor, lower: interval.lower * factor, upper: interval.upper * factor };
}

/** The funnel and uplift of one group's counts; `retentionMonths` is the retention horizon. */
export function figures(c: FunnelCounts, retentionMonths: number): EvaluationRow {
  const treated = c.targeted - c.heldOut;
  const funnel: Funnel = {
    targeted: c.targeted,
    heldOut: c.heldOut,
    treated,
    contacted: c.contacted,
    delivered: c.delivered,
    deliveryFailed: c.deliveryFailed,
    responded: c.responded,
    accepted: c.accepted,
    ordered: c.orderedTreated,
    controlOrdered: c.orderedControl,
    contactRate: rate(c.contacted, treated),
    deliveryRate: rate(c.delivered, c.contacted),
    responseRate: rate(c.responded, c.contacted),
    orderRate: rate(c.orderedTreated, treated),
    controlOrderRate: rate(c.orderedControl, c.heldOut),
    revenue: c.revenue,
    retentionRevenue: c.retentionFeeTreated * retentionMonths,
  };
  return { key: c.key, funnel, uplift: uplift(c, treated, retentionMonths) };
}

function uplift(c: FunnelCounts, treated: number, retentionMonths: number): Uplift | null {
  const interval = newcombeDifference(c.orderedTreated, treated, c.orderedControl, c.heldOut);
  if (!interval) return null;
  const difference = c.orderedTreated / treated - c.orderedControl / c.heldOut;
  const revenuePerOrder = c.orderedTreated > 0 ? c.revenue / c.orderedTreated : c.treatedValue / treated;
  const incrementalOrders = scaled(interval, difference, treated);
  let retention: Estimate | null = null;
  if (c.retainedTreated + c.retainedControl > 0) {
    const retentionInterval = newcombeDifference(c.retainedTreated, treated, c.retainedControl, c.heldOut) as Interval;
    const meanFee = (c.retentionFeeTreated + c.retentionFeeControl) / (c.retainedTreated + c.retainedControl);
    const retentionDifference = c.retainedTreated / treated - c.retainedControl / c.heldOut;
    retention = scaled(retentionInterval, retentionDifference, treated * meanFee * retentionMonths);
  }
  return {
    rateDifference: { value: difference, lower: interval.lower, upper: interval.upper },
    incrementalOrders,
    revenuePerOrder,
    incrementalRevenue: scaled(interval, difference, treated * revenuePerOrder),
    incrementalRetentionRevenue: retention,
  };
}
