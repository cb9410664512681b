import { Arg, Ctx, FieldResolver, Float, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { JSONScalar, DateTimeScalar } from "../schema/scalars";
import { SegmentDistribution, SegmentIndexStatus, SegmentMember, SegmentPreview } from "../schema/segment.type";
import type { GatewayContext } from "../src/server/context";
import type { DistributionRecord, PreviewRecord, SampleMemberRecord } from "../src/segments/preview/service";
import type { SegmentIndexStatus as StatusRecord } from "../src/segments/preview/index";
import { SEGMENT_PREVIEW_HELP } from "../src/segments/expression";

@Resolver(() => SegmentPreview)
export class SegmentPreviewResolver {
  @Query(() => SegmentPreview, {
    description: `Sizes a segment at once, saving nothing: the count, distributions of any attribute or tag within it, a sample of its members. BAD_USER_INPUT with the column (or the JSON path) when the expression is wrong; SERVICE_UNAVAILABLE with the progress while the segment index is first built. ${SEGMENT_PREVIEW_HELP}`,
  })
  segmentPreview(
    @Ctx() ctx: GatewayContext,
    @Arg("expression", () => String, { nullable: true, description: "The segment as text; or give `json`." }) expression?: string | null,
    @Arg("json", () => JSONScalar, { nullable: true, description: "The segment in its JSON form (what a visual builder edits); or give `expression`." }) json?: unknown,
    @Arg("distributionOf", () => [String], {
      nullable: true,
      description: "Indicators to distribute the members over, at most 10: attributes by name (arpu), tags by code (BAS_AGE_BAND); read them in `distributions`. `distribution(…)` takes intervals or bounds as well.",
    })
    distributionOf?: string[] | null,
    @Arg("asOf", () => DateTimeScalar, { nullable: true, description: "Where trajectory windows end (default: now)." }) asOf?: Date | null,
  ): Promise<PreviewRecord> {
    return ctx.segments.preview({ expression: expression ?? null, json: json ?? null, asOf: asOf ?? null, distributionOf: distributionOf ?? null });
  }

  @FieldResolver(() => [SegmentDistribution], { description: "The distributions `distributionOf` asked for, in its order (numbers in 10 equal intervals)." })
  distributions(@Root() p: PreviewRecord, @Ctx() ctx: GatewayContext): Promise<DistributionRecord[]> {
    return Promise.all(p.distributionOf.map((indicator) => ctx.segments.distribution(p, /^[A-Z][A-Z0-9_]*$/.test(indicator) ? { tag: indicator } : { attribute: indicator })));
  }

  @FieldResolver(() => Float)
  share(@Root() p: PreviewRecord): number {
    return p.customers > 0 ? p.count / p.customers : 0;
  }

  @FieldResolver(() => SegmentDistribution, {
    description:
      "How the members spread over one attribute or tag (give one): numbers (and score tags) in `intervals` equal parts between the members' smallest and largest value (default 10, at most 100), or between `bounds` you give; text, true/false and category tags per value; flag tags carried or not.",
  })
  distribution(
    @Root() p: PreviewRecord,
    @Ctx() ctx: GatewayContext,
    @Arg("attribute", () => String, { nullable: true }) attribute?: string | null,
    @Arg("tag", () => String, { nullable: true }) tag?: string | null,
    @Arg("intervals", () => Int, { nullable: true }) intervals?: number | null,
    @Arg("bounds", () => [Float], { nullable: true }) bounds?: number[] | null,
  ): Promise<DistributionRecord> {
    return ctx.segments.distribution(p, { attribute: attribute ?? null, tag: tag ?? null, intervals: intervals ?? null, bounds: bounds ?? null });
  }

  @FieldResolver(() => [SegmentMember], { description: "Up to `first` members (0 to 50), the same for the same segment; those outside the asker's scope are left out." })
  sample(@Root() p: PreviewRecord, @Ctx() ctx: GatewayContext, @Arg("first", () => Int, { defaultValue: 10 }) first = 10): Promise<SampleMemberRecord[]> {
    return ctx.segments.sample(ctx, p, first);
  }

  @Query(() => SegmentIndexStatus, { description: "The segment index previews are sized on: whether it is served, when it was built, a build's progress." })
  segmentIndex(@Ctx() ctx: GatewayContext): Promise<StatusRecord> {
    return ctx.segments.index.status();
  }

  @Mutation(() => SegmentIndexStatus, { description: "Rebuilds the segment index from the graph in the background (one replica at a time; previews keep using the current one until the new one is swapped in)." })
  rebuildSegmentIndex(@Ctx() ctx: GatewayContext): Promise<StatusRecord> {
    return ctx.segments.index.rebuild();
  }
}
