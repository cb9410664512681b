import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ChannelCode } from "../src/domain/vocabulary";
import { EVALUATION_DIMENSIONS, type EvaluationDimension } from "../src/graph/evaluation";
import { ALERT_KINDS, type AlertKind } from "../src/evaluation/alerts";
import { RANKING_METRICS, TREND_METRICS, type RankingMetric, type TrendMetric } from "../src/evaluation/service";
import { ChannelCodeEnum } from "./enums";
import { DateTimeScalar } from "./scalars";

function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const EvaluationDimensionEnum = enumOf<EvaluationDimension>(EVALUATION_DIMENSIONS);
registerEnumType(EvaluationDimensionEnum, {
  name: "EvaluationDimension",
  description:
    "What evaluation rows are grouped by: TOTAL (one row), CAMPAIGN, STRATEGY_VERSION (key `<strategyId>@<version>`), WAVE, OFFER, CHANNEL, REGION (the customer's city, e.g. R3301), TAG (one row per tag of filter.tagIds, its holders), DAY (UTC date of the decision, YYYY-MM-DD).",
});

export const RankingMetricEnum = enumOf<RankingMetric>(RANKING_METRICS);
registerEnumType(RankingMetricEnum, { name: "RankingMetric", description: "What 活动排行 orders campaigns by, best first: incremental revenue, treated order rate, uplift (order-rate difference), response rate." });

export const TrendMetricEnum = enumOf<TrendMetric>(TREND_METRICS);
registerEnumType(TrendMetricEnum, { name: "TrendMetric", description: "The figure a trend follows per day." });

export const AlertKindEnum = enumOf<AlertKind>(ALERT_KINDS);
registerEnumType(AlertKindEnum, {
  name: "CampaignAlertKind",
  description:
    "LOW_RESPONSE_RATE: a wave's response rate below the campaign's alertResponseRate once it has 200 contacts. CAPS_EXHAUSTED: over 20% of a wave's treated members held back by the contact policy. DELIVERY_FAILURES: over 10% of a wave's contacts failed to deliver. CONTROL_GROUP_DRIFT: the held-out share differs from the campaign's controlShare beyond chance (binomial z-test, p < 0.001).",
});

@InputType({ description: "Which decisions an evaluation adds up. Name campaigns, a strategy, or a time range (at most 366 days); every other field narrows further." })
export class EvaluationFilter {
  @Field(() => [ID], { nullable: true, description: "Decisions of these campaigns (1–100)." })
  campaignIds?: string[] | null;

  @Field(() => ID, { nullable: true })
  waveId?: string | null;

  @Field(() => ID, { nullable: true })
  strategyId?: string | null;

  @Field(() => Int, { nullable: true, description: "With strategyId: decisions made with this version of it." })
  strategyVersion?: number | null;

  @Field(() => ID, { nullable: true })
  offerId?: string | null;

  @Field(() => ChannelCodeEnum, { nullable: true })
  channel?: ChannelCode | null;

  @Field(() => ID, { nullable: true, description: "Customers living in this province, city or district (R33, R3301, R330102)." })
  regionId?: string | null;

  @Field(() => [ID], { nullable: true, description: "Customers holding at least one of these tags (1–100); required to group by TAG." })
  tagIds?: string[] | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Decisions made at or after this time." })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Decisions made before this time (default: now)." })
  to?: Date | null;
}

@ObjectType({ description: "An estimate with its 95% confidence interval." })
export class Estimate {
  @Field(() => Float)
  value!: number;

  @Field(() => Float)
  lower!: number;

  @Field(() => Float)
  upper!: number;
}

@ObjectType({
  description:
    "A group's funnel, counted in customers (a customer reached by two waves counts once in the campaign's row and once in each wave's). Treated = targeted − heldOut: every member outside the control group, including those the contact policy held back (intent to treat, so the comparison with the randomised control group stays fair). Rates are null where their base is 0.",
})
export class Funnel {
  @Field(() => Int, { description: "Members who got a decision (treated and control)." })
  targeted!: number;

  @Field(() => Int, { description: "Members of the control group: decided, never contacted." })
  heldOut!: number;

  @Field(() => Int, { description: "targeted − heldOut." })
  treated!: number;

  @Field(() => Int, { description: "Treated members the offer was presented to (the contact policy let it through)." })
  contacted!: number;

  @Field(() => Int, { description: "Contacted members whose channel reported delivery." })
  delivered!: number;

  @Field(() => Int, { description: "Contacted members whose channel reported a failed delivery." })
  deliveryFailed!: number;

  @Field(() => Int, { description: "Contacted members who answered (any outcome)." })
  responded!: number;

  @Field(() => Int, { description: "Of those, ACCEPTED." })
  accepted!: number;

  @Field(() => Int, {
    description:
      "Treated members who ordered: came to hold the decision's product within the response window (30 days) after the decision (SUBSCRIBES.since in [decision.at, decision.at + window]). An ACCEPTED answer produces it; so does buying on one's own, which is why the control group can order too.",
  })
  ordered!: number;

  @Field(() => Int, { description: "Control-group members who ordered (the same definition)." })
  controlOrdered!: number;

  @Field(() => Float, { nullable: true, description: "contacted / treated." })
  contactRate!: number | null;

  @Field(() => Float, { nullable: true, description: "delivered / contacted." })
  deliveryRate!: number | null;

  @Field(() => Float, { nullable: true, description: "responded / contacted." })
  responseRate!: number | null;

  @Field(() => Float, { nullable: true, description: "ordered / treated." })
  orderRate!: number | null;

  @Field(() => Float, { nullable: true, description: "controlOrdered / heldOut." })
  controlOrderRate!: number | null;

  @Field(() => Float, { description: "Yuan: Σ over treated members who ordered of the decision's value (the offer's expected margin over its horizon)." })
  revenue!: number;

  @Field(() => Float, {
    description: "Yuan, RETENTION-scenario strategies only: the monthly fee of what treated members ordered × 12 months (taking a retention offer counts as keeping the customer for the horizon).",
  })
  retentionRevenue!: number;
}

@ObjectType({
  description:
    "Treated versus control. The rate difference's 95% interval is Newcombe's hybrid score interval (Statistics in Medicine 17 (1998) 873–890, method 10: Wilson intervals of each rate combined), sound at small counts where Wald's is not. The other intervals are that interval scaled.",
})
export class Uplift {
  @Field(() => Estimate, { description: "Order rate treated − order rate control." })
  rateDifference!: Estimate;

  @Field(() => Estimate, { description: "treated × rate difference." })
  incrementalOrders!: Estimate;

  @Field(() => Float, { description: "Yuan: the mean value of the treated orders (of the treated decisions while nobody ordered)." })
  revenuePerOrder!: number;

  @Field(() => Estimate, { description: "Yuan: incrementalOrders × revenuePerOrder." })
  incrementalRevenue!: Estimate;

  @Field(() => Estimate, {
    nullable: true,
    description: "Yuan, RETENTION-scenario strategies: treated × (retention-order rate treated − control) × mean monthly fee × 12; null when no retention order was made in either group.",
  })
  incrementalRetentionRevenue!: Estimate | null;
}

@ObjectType({ description: "One group of an evaluation." })
export class EvaluationRow {
  @Field(() => String, { description: "The group's key under the dimension asked (a campaign id, a wave id, a channel code, a city id, a tag id, a date; ALL for TOTAL)." })
  key!: string;

  @Field(() => Funnel)
  funnel!: Funnel;

  @Field(() => Uplift, { nullable: true, description: "Null when the group has no control (or no treated) members: nothing to compare." })
  uplift!: Uplift | null;
}

@ObjectType({ description: "A figure on one day (UTC)." })
export class TrendPoint {
  @Field(() => String, { description: "YYYY-MM-DD." })
  day!: string;

  @Field(() => Float, { nullable: true, description: "Null when nothing was decided that day or the rate has no base." })
  value!: number | null;
}

@ObjectType({ description: "One cell of the strategy cube (business line × scenario × lifecycle stage), counted in decisions over the range asked." })
export class StrategyCubeCell {
  @Field(() => String, { description: "MOBILE, FAMILY, HOME, CONTENT, TERMINAL, ENTERPRISE; NONE for decisions without a strategy." })
  businessLine!: string;

  @Field(() => String, { description: "RETENTION, UPGRADE, CROSS_SELL, ACQUISITION, CARE; NONE without a strategy." })
  scenario!: string;

  @Field(() => String, { description: "A lifecycle stage; ANY for strategies of every stage; NONE without a strategy." })
  lifecycleStage!: string;

  @Field(() => Int, { description: "ACTIVE strategies of the cell now." })
  activeStrategies!: number;

  @Field(() => Int)
  decisions!: number;

  @Field(() => Int, { description: "Decisions for control-group members." })
  controlDecisions!: number;

  @Field(() => Int)
  contacted!: number;

  @Field(() => Int, { description: "Treated decisions followed by an order (see Funnel.ordered)." })
  orders!: number;

  @Field(() => Int, { description: "Control decisions followed by an order." })
  controlOrders!: number;

  @Field(() => Float, { nullable: true })
  orderRate!: number | null;

  @Field(() => Float, { nullable: true })
  controlOrderRate!: number | null;

  @Field(() => Estimate, { nullable: true, description: "orderRate − controlOrderRate with its Newcombe 95% interval; null without both groups." })
  uplift!: Estimate | null;
}

@ObjectType({ description: "An alert raised while a campaign runs; raised once per campaign × kind × wave." })
export class CampaignAlert {
  @Field(() => ID, { description: "<campaignId>:<kind>:<waveId>." })
  id!: string;

  @Field(() => ID)
  campaignId!: string;

  @Field(() => ID)
  waveId!: string;

  @Field(() => AlertKindEnum)
  kind!: AlertKind;

  @Field(() => String)
  message!: string;

  @Field(() => Float, { description: "The observed share or rate." })
  observed!: number;

  @Field(() => Float, { description: "The threshold it crossed (for CONTROL_GROUP_DRIFT, the planned controlShare)." })
  threshold!: number;

  @Field(() => DateTimeScalar)
  at!: Date;
}

@ObjectType({ description: "A campaign's evaluation report, produced once when it finished." })
export class CampaignReport {
  @Field(() => ID)
  campaignId!: string;

  @Field(() => DateTimeScalar)
  producedAt!: Date;

  @Field(() => Boolean, { description: "True: the report stored once the response window after the campaign closed (every customer). False: computed now for a region-limited token, over its regions only." })
  stored!: boolean;

  @Field(() => EvaluationRow)
  total!: EvaluationRow;

  @Field(() => [EvaluationRow])
  waves!: EvaluationRow[];

  @Field(() => [EvaluationRow])
  channels!: EvaluationRow[];
}
