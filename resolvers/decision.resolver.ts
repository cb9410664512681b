import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { Contact } from "../schema/contact.type";
import { Customer } from "../schema/customer.type";
import { Decision, DecisionContextInput, NextBestOffersArgs } from "../schema/decision.type";
import { ResponseOutcomeEnum } from "../schema/enums";
import { Offer, Strategy } from "../schema/marketing.type";
import type { GatewayContext } from "../src/server/context";
import { viewOfRecord, type DecisionView } from "../src/decisioning/view";
import type { ContactRecord } from "../src/graph/contact";
import type { OfferRecord, StrategyRecord } from "../src/graph/marketing";
import type { ChannelCode, ResponseOutcome } from "../src/domain/vocabulary";
import type { ChannelRecord, CustomerRecord } from "../src/graph/records";
import { intInRange } from "../src/platform/validate";

const MAX_PLACEMENTS = 10;

async function decide(ctx: GatewayContext, customerId: string, channel: ChannelCode, limit: number, context?: DecisionContextInput | null): Promise<DecisionView[]> {
  intInRange("limit", limit, 1, MAX_PLACEMENTS);
  return ctx.decisioning.decide(ctx, {
    customerId,
    channel,
    limit,
    context: {
      ...(context?.at ? { at: context.at } : {}),
      ...(context?.productKinds ? { productKinds: context.productKinds } : {}),
      ...(context?.push ? { push: true } : {}),
    },
  });
}

@Resolver(() => Decision)
export class DecisionResolver {
  @Query(() => [Decision], {
    description:
      "The next best offers for a customer on a channel: at most `limit` placements, one strategy each, under the contact policy, each written to the trajectory. Unknown customer: NOT_FOUND. Safe to repeat: the same request (same token, customer, channel, limit, context) within 5 minutes returns the same decisions and writes nothing. It writes, so it is refused over HTTP GET: send it with POST.",
  })
  nextBestOffers(
    @Arg("customerId", () => ID) customerId: string,
    @Args(() => NextBestOffersArgs) args: NextBestOffersArgs,
    @Ctx() ctx: GatewayContext,
    @Arg("context", () => DecisionContextInput, { nullable: true }) context?: DecisionContextInput | null,
  ): Promise<DecisionView[]> {
    return decide(ctx, customerId, args.channel, args.limit, context);
  }

  @Query(() => Decision, { nullable: true, description: "A decision made earlier, with its outcome once answered." })
  async decision(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<DecisionView | null> {
    const d = await ctx.decisioning.decision(ctx, id);
    return d ? viewOfRecord(d) : null;
  }

  @Mutation(() => Decision, {
    description:
      "Records how the customer answered a decision. Idempotent: the same outcome again returns the decision unchanged; a different one is BAD_USER_INPUT. ACCEPTED subscribes the customer to the product. Only for whoever the decision was made with (an APP its customer's, an AGENT HOTLINE decisions of its callers of the last 24 h and the decision of a work order it holds, a SERVICE its regions'); anyone else is FORBIDDEN and nothing is recorded.",
  })
  async respondToOffer(
    @Arg("decisionId", () => ID) decisionId: string,
    @Arg("outcome", () => ResponseOutcomeEnum) outcome: ResponseOutcome,
    @Ctx() ctx: GatewayContext,
  ): Promise<DecisionView> {
    const d = await ctx.decisioning.respond(ctx, decisionId, outcome);
    return viewOfRecord(d);
  }

  @FieldResolver(() => Offer)
  async offer(@Root() d: DecisionView, @Ctx() ctx: GatewayContext): Promise<OfferRecord> {
    const offer = await ctx.marketing.offer(d.offerId);
    if (!offer) throw new Error(`decision ${d.id} names offer ${d.offerId}, which is not in the graph`);
    return offer;
  }

  @FieldResolver(() => Strategy, { nullable: true, description: "The strategy that won the placement; null for upgrade-path and circle-adoption offers." })
  async strategy(@Root() d: DecisionView, @Ctx() ctx: GatewayContext): Promise<StrategyRecord | null> {
    return d.strategyId ? ctx.marketing.strategy(d.strategyId) : null;
  }

  @FieldResolver(() => Channel)
  async channel(@Root() d: DecisionView, @Ctx() ctx: GatewayContext): Promise<ChannelRecord> {
    return ctx.customers.channel(d.channel, `decision ${d.id}`);
  }

  @FieldResolver(() => String, { nullable: true, description: "What the screen shows or the customer receives on this channel; null for control-group decisions." })
  async creative(@Root() d: DecisionView, @Ctx() ctx: GatewayContext): Promise<string | null> {
    if (d.controlGroup) return null;
    return (await this.offer(d, ctx)).creatives[d.channel] ?? null;
  }

  @FieldResolver(() => String, { nullable: true, description: "What the agent says, on channels where a person speaks to the customer (HOTLINE, OUTBOUND_CALL, STORE)." })
  async script(@Root() d: DecisionView, @Ctx() ctx: GatewayContext): Promise<string | null> {
    const channel = await this.channel(d, ctx);
    return channel.hasAgent ? this.creative(d, ctx) : null;
  }
}

@Resolver(() => Customer)
export class CustomerDecisionResolver {
  @FieldResolver(() => [Decision], { description: "The next best offers for this customer on a channel (see Query.nextBestOffers)." })
  nextBestOffers(@Root() c: CustomerRecord, @Args(() => NextBestOffersArgs) args: NextBestOffersArgs, @Ctx() ctx: GatewayContext): Promise<DecisionView[]> {
    return decide(ctx, c.id, args.channel, args.limit);
  }
}

@Resolver(() => Contact)
export class ContactDecisionResolver {
  @FieldResolver(() => Decision, { nullable: true, description: "The decision behind an offer presented or answered through the gateway." })
  async decision(@Root() k: ContactRecord, @Ctx() ctx: GatewayContext): Promise<DecisionView | null> {
    if (!k.decisionId) return null;
    const d = await ctx.decisioning.decision(ctx, k.decisionId);
    return d ? viewOfRecord(d) : null;
  }
}
