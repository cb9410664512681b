import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { MarketingStatusEnum } from "../schema/enums";
import { OfferInput, SegmentInput, StrategyInput } from "../schema/marketing.inputs";
import { Creative, MarketingVersion, Offer, Segment, Strategy } from "../schema/marketing.type";
import { Product } from "../schema/product.type";
import { Change } from "../schema/approval.type";
import type { GatewayContext } from "../src/server/context";
import type { MarketingVersionRecord, OfferRecord, SegmentRecord, StrategyRecord } from "../src/graph/marketing";
import type { ChangeRecord } from "../src/approval/service";
import type { Proposed } from "../src/marketing/admin";
import type { ChannelCode, MarketingStatus } from "../src/domain/vocabulary";
import type { ChannelRecord, ProductRecord } from "../src/graph/records";

/** Strategies, offers and segments as mutations return them (as proposed, with their change) or queries (as in force). */
type Maybe<R> = R & { pendingChange?: ChangeRecord };

const PENDING_CHANGE =
  "The change awaiting approval for this target, if any. On what a create/update/retire mutation returns: the change it just proposed (the object shows the target as that change would make it; queries show it as in force).";

/** Proposals (maker-checker): the mutations below store a pending change and return the target as it would become. */
const PROPOSES = "Proposes the change (maker-checker): checked now (BAD_USER_INPUT naming the field), stored as `pendingChange`, applied when an APPROVER approves it (approveChange). Returns the target as the change would make it.";

const VERSIONS = "The versions approved changes applied, newest first (one round trip for all asked in a request). Seeded content is version 1 and has no entry until its first change.";

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

  @Mutation(() => Strategy, { description: `Creates a strategy (ACTIVE), under an id reserved now. Codes, segment, offers, channels and windows are checked. ${PROPOSES}` })
  createStrategy(@Arg("input", () => StrategyInput) input: StrategyInput, @Ctx() ctx: GatewayContext): Promise<Proposed<StrategyRecord>> {
    return ctx.marketing.proposeStrategy(ctx, null, strip({ ...input }));
  }

  @Mutation(() => Strategy, { description: `Changes the fields given; the rest stay. ${PROPOSES}` })
  updateStrategy(@Arg("id", () => ID) id: string, @Arg("input", () => StrategyInput) input: StrategyInput, @Ctx() ctx: GatewayContext): Promise<Proposed<StrategyRecord>> {
    return ctx.marketing.proposeStrategy(ctx, id, strip({ ...input }));
  }

  @Mutation(() => Strategy, { description: `Takes a strategy out of decisions; it stays for history and evaluation. ${PROPOSES}` })
  retireStrategy(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Proposed<StrategyRecord>> {
    return ctx.marketing.proposeStrategy(ctx, id, {}, "RETIRED");
  }

  @FieldResolver(() => Change, { nullable: true, description: PENDING_CHANGE })
  pendingChange(@Root() s: Maybe<StrategyRecord>, @Ctx() ctx: GatewayContext): Promise<ChangeRecord | null> | ChangeRecord {
    return s.pendingChange ?? ctx.approvals.pendingFor(ctx, "STRATEGY", s.id);
  }

  @FieldResolver(() => [MarketingVersion], { description: VERSIONS })
  versions(@Root() s: StrategyRecord, @Ctx() ctx: GatewayContext): Promise<MarketingVersionRecord[]> {
    return ctx.marketing.versions(ctx, "STRATEGY", s.id);
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

  @Mutation(() => Offer, { description: `Creates an offer (ACTIVE), under an id reserved now. ${PROPOSES}` })
  createOffer(@Arg("input", () => OfferInput) input: OfferInput, @Ctx() ctx: GatewayContext): Promise<Proposed<OfferRecord>> {
    return ctx.marketing.proposeOffer(ctx, null, strip({ ...input }));
  }

  @Mutation(() => Offer, { description: `Changes the fields given; the rest stay. ${PROPOSES}` })
  updateOffer(@Arg("id", () => ID) id: string, @Arg("input", () => OfferInput) input: OfferInput, @Ctx() ctx: GatewayContext): Promise<Proposed<OfferRecord>> {
    return ctx.marketing.proposeOffer(ctx, id, strip({ ...input }));
  }

  @Mutation(() => Offer, { description: `Takes an offer out of decisions; strategies proposing it skip it. ${PROPOSES}` })
  retireOffer(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Proposed<OfferRecord>> {
    return ctx.marketing.proposeOffer(ctx, id, {}, "RETIRED");
  }

  @FieldResolver(() => Change, { nullable: true, description: PENDING_CHANGE })
  pendingChange(@Root() o: Maybe<OfferRecord>, @Ctx() ctx: GatewayContext): Promise<ChangeRecord | null> | ChangeRecord {
    return o.pendingChange ?? ctx.approvals.pendingFor(ctx, "OFFER", o.id);
  }

  @FieldResolver(() => [MarketingVersion], { description: VERSIONS })
  versions(@Root() o: OfferRecord, @Ctx() ctx: GatewayContext): Promise<MarketingVersionRecord[]> {
    return ctx.marketing.versions(ctx, "OFFER", o.id);
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

  @Mutation(() => Segment, {
    description: `Creates a segment, under an id reserved now; its expression is parsed and type-checked (BAD_USER_INPUT with the column when wrong). Segments decide who gets offers, so they too need approval. ${PROPOSES}`,
  })
  createSegment(@Arg("input", () => SegmentInput) input: SegmentInput, @Ctx() ctx: GatewayContext): Promise<Proposed<SegmentRecord>> {
    return ctx.marketing.proposeSegment(ctx, null, strip({ ...input }));
  }

  @Mutation(() => Segment, { description: `Changes the fields given; the rest stay. ${PROPOSES}` })
  updateSegment(@Arg("id", () => ID) id: string, @Arg("input", () => SegmentInput) input: SegmentInput, @Ctx() ctx: GatewayContext): Promise<Proposed<SegmentRecord>> {
    return ctx.marketing.proposeSegment(ctx, id, strip({ ...input }));
  }

  @FieldResolver(() => Change, { nullable: true, description: PENDING_CHANGE })
  pendingChange(@Root() g: Maybe<SegmentRecord>, @Ctx() ctx: GatewayContext): Promise<ChangeRecord | null> | ChangeRecord {
    return g.pendingChange ?? ctx.approvals.pendingFor(ctx, "SEGMENT", g.id);
  }
}

/** A change's marketing target as in force now (the change's effect once approved). */
@Resolver(() => Change)
export class ChangeTargetResolver {
  @FieldResolver(() => Segment, { nullable: true, description: "For a SEGMENT change: the segment as in force now (null for a create not approved)." })
  segment(@Root() c: ChangeRecord, @Ctx() ctx: GatewayContext): Promise<SegmentRecord | null> | null {
    return c.kind === "SEGMENT" ? ctx.marketing.segment(c.targetId) : null;
  }

  @FieldResolver(() => Offer, { nullable: true, description: "For an OFFER change: the offer as in force now (null for a create not approved)." })
  offer(@Root() c: ChangeRecord, @Ctx() ctx: GatewayContext): Promise<OfferRecord | null> | null {
    return c.kind === "OFFER" ? ctx.marketing.offer(c.targetId) : null;
  }

  @FieldResolver(() => Strategy, { nullable: true, description: "For a STRATEGY change: the strategy as in force now (null for a create not approved)." })
  strategy(@Root() c: ChangeRecord, @Ctx() ctx: GatewayContext): Promise<StrategyRecord | null> | null {
    return c.kind === "STRATEGY" ? ctx.marketing.strategy(c.targetId) : null;
  }
}
