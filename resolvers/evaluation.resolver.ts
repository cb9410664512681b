import { Arg, Ctx, Int, Query, Resolver, Root, Subscription, ID } from "type-graphql";
import { CampaignAlert, CampaignReport, EvaluationDimensionEnum, EvaluationFilter, EvaluationRow, RankingMetricEnum, StrategyCubeCell, TrendMetricEnum, TrendPoint } from "../schema/evaluation.type";
import { DateTimeScalar } from "../schema/scalars";
import type { GatewayContext } from "../src/server/context";
import type { EvaluationDimension } from "../src/graph/evaluation";
import type { CampaignAlertRecord } from "../src/graph/evaluation";
import type { CampaignReport as ReportRecord, CubeCell, RankingMetric, TrendMetric, TrendPoint as TrendRecord } from "../src/evaluation/service";
import type { EvaluationRow as RowRecord } from "../src/evaluation/figures";
import { intInRange } from "../src/platform/validate";

function alertView(a: CampaignAlertRecord): CampaignAlert {
  return { ...a, kind: a.kind as CampaignAlert["kind"], at: new Date(a.at) };
}

@Resolver()
export class EvaluationResolver {
  @Query(() => [EvaluationRow], {
    description:
      "The evaluation centre: the funnel (targeted, held out, contacted, delivered, responded, ordered, with rates) and the uplift (treated versus control, 95% interval) of the decisions `filter` selects, one row per group of `by`. A token naming regions counts only its regions' customers.",
  })
  evaluation(
    @Ctx() ctx: GatewayContext,
    @Arg("filter", () => EvaluationFilter) filter: EvaluationFilter,
    @Arg("by", () => EvaluationDimensionEnum, { defaultValue: "TOTAL" }) by: EvaluationDimension,
  ): Promise<RowRecord[]> {
    return ctx.evaluation.evaluate(ctx, filter, by);
  }

  @Query(() => [EvaluationRow], { description: "活动排行: campaigns with decisions in [from, to), best first by `metric` (rows whose metric is unknown last); each row keyed by campaign id." })
  campaignRanking(
    @Ctx() ctx: GatewayContext,
    @Arg("from", () => DateTimeScalar) from: Date,
    @Arg("to", () => DateTimeScalar, { nullable: true }) to: Date | null,
    @Arg("metric", () => RankingMetricEnum) metric: RankingMetric,
    @Arg("first", () => Int, { defaultValue: 20 }) first: number,
  ): Promise<RowRecord[]> {
    intInRange("first", first, 1, 200);
    return ctx.evaluation.ranking(ctx, from, to ?? null, metric, first);
  }

  @Query(() => [TrendPoint], { description: "A metric per day (UTC) of the decisions `filter` selects; `filter.from` and `filter.to` are required, every day between them is present." })
  evaluationTrend(
    @Ctx() ctx: GatewayContext,
    @Arg("filter", () => EvaluationFilter) filter: EvaluationFilter,
    @Arg("metric", () => TrendMetricEnum) metric: TrendMetric,
  ): Promise<TrendRecord[]> {
    return ctx.evaluation.trend(ctx, filter, metric);
  }

  @Query(() => [StrategyCubeCell], { description: "The strategy cube: business line × scenario × lifecycle stage, per cell the active strategies and what the decisions made in [from, to) came to (all decisions, not only campaigns')." })
  strategyCube(@Ctx() ctx: GatewayContext, @Arg("from", () => DateTimeScalar) from: Date, @Arg("to", () => DateTimeScalar) to: Date): Promise<CubeCell[]> {
    return ctx.evaluation.cube(ctx, from, to);
  }

  @Query(() => [CampaignAlert], { description: "The alerts a campaign raised while running, oldest first." })
  async campaignAlerts(@Ctx() ctx: GatewayContext, @Arg("campaignId", () => ID) campaignId: string): Promise<CampaignAlert[]> {
    return (await ctx.evaluation.alerts(ctx, campaignId)).map(alertView);
  }

  @Query(() => CampaignReport, { description: "A campaign's evaluation report, produced once when the response window after its end has closed (Campaign.reportDueAt); NOT_FOUND before that: ask evaluation for the figures so far." })
  campaignReport(@Ctx() ctx: GatewayContext, @Arg("campaignId", () => ID) campaignId: string): Promise<ReportRecord> {
    return ctx.evaluation.report(ctx, campaignId);
  }

  @Subscription(() => CampaignAlert, {
    name: "campaignAlerts",
    description: "Alerts as a running campaign raises them (each once), for the campaign's owners and ADMIN; anyone else is FORBIDDEN.",
    subscribe: ({ args, context }) => (context as GatewayContext).evaluation.subscribeAlerts(context as GatewayContext, (args as { campaignId: string }).campaignId),
  })
  campaignAlertFeed(@Root() alert: CampaignAlertRecord, @Arg("campaignId", () => ID) _campaignId: string): CampaignAlert {
    return alertView(alert);
  }
}
