import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { MarketingStatusEnum } from "../schema/enums";
import { OfferInput, SegmentInput, StrategyInput } from "../schema/marketing.inputs";
import { Creative, Offer, Segment, Strategy } from "../schema/marketing.type";
import { Product } from "../schema/product.type";
import type { GatewayContext } from "../src/server/context";
import type { OfferRecord, SegmentRecord, StrategyRecord } from "../src/graph/marketing";
import type { ChannelCode, MarketingStatus } from "../src/domain/vocabulary";
import type { ChannelRecord, ProductRecord } from "../src/graph/records";

/** A change given on update: null fields of the input mean "unchanged", except validUntil (null: open-ended) and trigger (null: not triggered). */
function strip<T extends object>(input: T): T {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as T;
}

@Resolver(() => Strategy)
export class StrategyResolver {
  @Query(() => [Strategy], { description: "Strategies, optionally of one status." })
  async strategies(@Ctx() ctx: GatewayContext, @Arg("status", () => MarketingStatusEnum, { nullable: true }) status?: MarketingStatus | null): Promise<StrategyRecord[]> {
    return ctx.marketing.strategies(status);
  }

  @Query(() => Strategy, { nullable: true })
  async strategy(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<StrategyRecord | null> {
    return ctx.marketing.strategy(id);
  }

  @Mutation(() => Strategy, { description: "Creates a strategy (ACTIVE). Codes, segment, offers, channels and windows are checked; bad ones are BAD_USER_INPUT naming the field." })
  createStrategy(@Arg("input", () => StrategyInput) input: StrategyInput, @Ctx() ctx: GatewayContext): Promise<StrategyRecord> {
    return ctx.marketing.saveStrategy(ctx, null, strip({ ...input }));
  }

  @Mutation(() => Strategy, { description: "Changes the fields given; the rest stay." })
  updateStrategy(@Arg("id", () => ID) id: string, @Arg("input", () => StrategyInput) input: StrategyInput, @Ctx() ctx: GatewayContext): Promise<StrategyRecord> {
    return ctx.marketing.saveStrategy(ctx, id, strip({ ...input }));
  }

  @Mutation(() => Strategy, { description: "Takes a strategy out of decisions; it stays for history and evaluation." })
  retireStrategy(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<StrategyRecord> {
    return ctx.marketing.saveStrategy(ctx, id, {}, "RETIRED");
  }

  @FieldResolver(() => Segment)
  async segment(@Root() s: StrategyRecord, @Ctx() ctx: GatewayContext): Promise<SegmentRecord> {
    const segment = await ctx.marketing.segment(s.segmentId);
    if (!segment) throw new Error(`strategy ${s.id} targets segment ${s.segmentId}, which is not in the graph`);
    return segment;
  }

  @FieldResolver(() => [Offer])
  async offers(@Root() s: StrategyRecord, @Ctx() ctx: GatewayContext): Promise<OfferRecord[]> {
    const offers = await ctx.marketing.offers();
    const byId = new Map(offers.map((o) => [o.id, o]));
    return s.offerIds.flatMap((id) => byId.get(id) ?? []);
  }

  @FieldResolver(() => [Channel])
  async channels(@Root() s: StrategyRecord, @Ctx() ctx: GatewayContext): Promise<ChannelRecord[]> {
    return Promise.all(s.channels.map((c) => ctx.customers.channel(c, `strategy ${s.id}`)));
  }
}

@Resolver(() => Offer)
export class OfferResolver {
  @Query(() => [Offer], { description: "Offers, optionally of one status." })
  async offers(@Ctx() ctx: GatewayContext, @Arg("status", () => MarketingStatusEnum, { nullable: true }) status?: MarketingStatus | null): Promise<OfferRecord[]> {
    return ctx.marketing.offers(status);
  }

  @Mutation(() => Offer)
  createOffer(@Arg("input", () => OfferInput) input: OfferInput, @Ctx() ctx: GatewayContext): Promise<OfferRecord> {
    return ctx.marketing.saveOffer(ctx, null, strip({ ...input }));
  }

  @Mutation(() => Offer, { description: "Changes the fields given; the rest stay." })
  updateOffer(@Arg("id", () => ID) id: string, @Arg("input", () => OfferInput) input: OfferInput, @Ctx() ctx: GatewayContext): Promise<OfferRecord> {
    return ctx.marketing.saveOffer(ctx, id, strip({ ...input }));
  }

  @Mutation(() => Offer, { description: "Takes an offer out of decisions; strategies proposing it skip it." })
  retireOffer(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<OfferRecord> {
    return ctx.marketing.saveOffer(ctx, id, {}, "RETIRED");
  }

  @FieldResolver(() => Product)
  async product(@Root() o: OfferRecord, @Ctx() ctx: GatewayContext): Promise<ProductRecord> {
    const product = await ctx.customers.product(o.productId);
    if (!product) throw new Error(`offer ${o.id} proposes product ${o.productId}, which is not in the graph`);
    return product;
  }

  @FieldResolver(() => [Creative])
  creatives(@Root() o: OfferRecord): Creative[] {
    return Object.entries(o.creatives).map(([channel, text]) => ({ channel: channel as ChannelCode, text: text ?? "" }));
  }
}

@Resolver(() => Segment)
export class SegmentResolver {
  @Query(() => [Segment])
  async segments(@Ctx() ctx: GatewayContext): Promise<SegmentRecord[]> {
    return ctx.marketing.segments();
  }

  @Mutation(() => Segment, { description: "Creates a segment; its expression is parsed and type-checked (BAD_USER_INPUT with the column when wrong)." })
  createSegment(@Arg("input", () => SegmentInput) input: SegmentInput, @Ctx() ctx: GatewayContext): Promise<SegmentRecord> {
    return ctx.marketing.saveSegment(ctx, null, strip({ ...input }));
  }

  @Mutation(() => Segment)
  updateSegment(@Arg("id", () => ID) id: string, @Arg("input", () => SegmentInput) input: SegmentInput, @Ctx() ctx: GatewayContext): Promise<SegmentRecord> {
    return ctx.marketing.saveSegment(ctx, id, strip({ ...input }));
  }
}
