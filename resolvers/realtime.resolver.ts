import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import { Customer } from "../schema/customer.type";
import { Decision } from "../schema/decision.type";
import { ChannelCodeEnum } from "../schema/enums";
import { DeskUpdate, EventInput, EventPipeline, IngestResult, LiveOffer, ParkedEvent } from "../schema/realtime.type";
import type { GatewayContext } from "../src/server/context";
import type { DecisionView } from "../src/decisioning/view";
import { BadUserInputError, NotFoundError } from "../src/platform/errors";
import type { ChannelCode } from "../src/domain/vocabulary";
import type { CustomerRecord } from "../src/graph/records";
import { renewLoaders } from "../src/customer360/scope";
import { maskName } from "../src/customer360/customer";
import { headline } from "../src/realtime/event-processor";
import type { IngestOutcome } from "../src/realtime/ingest";
import { CURSOR, type DeskPush, type OfferPush, type Push } from "../src/realtime/push";
import type { Route } from "../src/realtime/push-hub";
import type { ParkedEvent as ParkedRecord } from "../src/realtime/event-stream";
import { intInRange } from "../src/platform/validate";

type OfferRoot = OfferPush & { cursor: string };
type DeskRoot = DeskPush & { cursor: string };

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Opens a subscription on this replica's push router, after checking `since`. */
function live(ctx: GatewayContext, route: Route, since: string | null | undefined): Promise<AsyncIterable<Push>> {
  if (since !== null && since !== undefined && !CURSOR.test(since)) {
    throw new BadUserInputError(`since must be the cursor of a push received earlier, such as "1732280000000-0"; got "${since.slice(0, 40)}"`, "since");
  }
  return ctx.realtime.subscribe(route, since ?? null, (code, reason) => ctx.socket?.close(code, reason));
}


async function customerOrThrow(ctx: GatewayContext, customerId: string): Promise<CustomerRecord> {
  const customer = await ctx.customers.customer(ctx, customerId);
  if (!customer) throw new NotFoundError(`There is no customer with id ${customerId}; check the id (customer ids look like C0000001).`);
  return customer;
}

@Resolver()
export class RealtimeResolver {
  @Mutation(() => IngestResult, {
    description:
      "Takes a batch of events (at most 1,000). Each is checked on its own: a bad one is REJECTED with its reason and the rest still go in. Deduplicated by event id. Accepted events are queued durably; offers follow on the subscriptions.",
  })
  ingestEvents(@Arg("events", () => [EventInput]) events: EventInput[], @Ctx() ctx: GatewayContext): Promise<IngestOutcome> {
    return ctx.realtime.ingest(ctx, events);
  }

  @Query(() => [ParkedEvent], { description: "Events that could not be processed (after retries, or refused outright), newest first." })
  parkedEvents(@Arg("first", () => Int, { defaultValue: 50 }) first: number, @Ctx() ctx: GatewayContext): Promise<ParkedRecord[]> {
    intInRange("first", first, 1, 1_000);
    return ctx.realtime.parked(first);
  }

  @Mutation(() => [ID], { description: "Puts parked events back on the stream once their cause is fixed; returns the parked ids re-queued (unknown ids are skipped)." })
  retryParkedEvents(@Arg("parkedIds", () => [ID]) parkedIds: string[], @Ctx() ctx: GatewayContext): Promise<string[]> {
    if (parkedIds.length > 1_000) throw new BadUserInputError(`parkedIds holds ${parkedIds.length} ids; retry at most 1000 at a time`, "parkedIds");
    const bad = parkedIds.find((id) => !CURSOR.test(id));
    if (bad !== undefined) throw new BadUserInputError(`"${bad.slice(0, 40)}" is not a parked id; take them from parkedEvents`, "parkedIds");
    return ctx.realtime.retryParked(ctx, parkedIds);
  }

  @Query(() => EventPipeline, { description: "The event stream's backlog, pending and parked events, and this replica's open subscriptions." })
  async eventPipeline(@Ctx() ctx: GatewayContext): Promise<EventPipeline> {
    const s = await ctx.realtime.pipeline();
    return { streamLength: s.length, pending: s.pending, lag: s.lag, consumers: s.consumers, parked: s.parked, openSubscriptions: s.openSubscriptions };
  }

  @Subscription(() => LiveOffer, {
    description:
      "Offers pushed to one customer (the app, the mobile hall) as events trigger them: an APP token's own customer, a SERVICE token's customers in its regions (FORBIDDEN otherwise). `since`: the last cursor seen, to receive what was missed first (the last 100 pushes, 7 days). `channel` narrows to one channel.",
    subscribe: async ({ args, context }) => {
      const a = args as { customerId: string; since?: string | null; channel?: ChannelCode | null };
      const ctx = context as GatewayContext;
      await customerOrThrow(ctx, a.customerId);
      return live(ctx, { kind: "customer", customerId: a.customerId, channel: a.channel ?? null }, a.since);
    },
  })
  liveOffers(
    @Root() push: OfferRoot,
    @Ctx() ctx: GatewayContext,
    @Arg("customerId", () => ID) _customerId: string,
    @Arg("since", () => String, { nullable: true }) _since?: string | null,
    @Arg("channel", () => ChannelCodeEnum, { nullable: true }) _channel?: ChannelCode | null,
  ): OfferRoot {
    renewLoaders(ctx);
    return push;
  }

  @Subscription(() => DeskUpdate, {
    description:
      "An agent's desktop: when a HOTLINE_CALL_START event names this agent, the caller's view and offers, rendered as the agent may see them (the caller unmasked while the call lasts). Only that agent's calls. `since`: the last cursor seen, to receive what was missed.",
    subscribe: ({ args, context }) => {
      const a = args as { agentId: string; since?: string | null };
      if (!AGENT_ID.test(a.agentId)) throw new BadUserInputError(`agentId must be 1–64 letters, digits, "_", ".", ":" or "-"; got "${a.agentId.slice(0, 40)}"`, "agentId");
      return live(context as GatewayContext, { kind: "agent", agentId: a.agentId }, a.since);
    },
  })
  deskFeed(
    @Root() push: DeskRoot,
    @Ctx() ctx: GatewayContext,
    @Arg("agentId", () => ID) _agentId: string,
    @Arg("since", () => String, { nullable: true }) _since?: string | null,
  ): DeskRoot {
    renewLoaders(ctx);
    return push;
  }

  @Subscription(() => LiveOffer, {
    description:
      "Every pushed offer of customers in the token's regions, for internal apps (an SMS gateway, a campaign monitor), filtered on the server by channel and by region (a city id includes its districts; a regionId outside the token's regions is FORBIDDEN). `since` replays from the last 10,000 pushes.",
    subscribe: async ({ args, context }) => {
      const a = args as { channel?: ChannelCode | null; regionId?: string | null; since?: string | null };
      const ctx = context as GatewayContext;
      if (a.regionId && !(await ctx.customers.regionExists(a.regionId))) {
        throw new NotFoundError(`There is no region with id ${a.regionId}; use a province, city or district id such as R3301.`);
      }
      // The token's regions bound what the feed delivers, whatever the filter asked (the matrix refused a regionId outside them).
      return live(ctx, { kind: "feed", channel: a.channel ?? null, regionId: a.regionId ?? null, regions: ctx.principal.regions }, a.since);
    },
  })
  offerFeed(
    @Root() push: OfferRoot,
    @Ctx() ctx: GatewayContext,
    @Arg("channel", () => ChannelCodeEnum, { nullable: true }) _channel?: ChannelCode | null,
    @Arg("regionId", () => ID, { nullable: true }) _regionId?: string | null,
    @Arg("since", () => String, { nullable: true }) _since?: string | null,
  ): OfferRoot {
    renewLoaders(ctx);
    return push;
  }
}

@Resolver(() => LiveOffer)
export class LiveOfferResolver {
  @FieldResolver(() => Decision, { description: "The decision behind the offer (quote its id in respondToOffer)." })
  decision(@Root() push: OfferRoot): DecisionView {
    return push.decision;
  }

  @FieldResolver(() => Customer)
  customer(@Root() push: OfferRoot, @Ctx() ctx: GatewayContext): Promise<CustomerRecord> {
    return customerOrThrow(ctx, push.customerId);
  }
}

@Resolver(() => DeskUpdate)
export class DeskUpdateResolver {
  @FieldResolver(() => String, {
    description: "One line to read first: name, number, tier, ARPU, lifecycle, data used; name and number whole while you are on the call with this caller, masked otherwise.",
  })
  async headline(@Root() push: DeskRoot, @Ctx() ctx: GatewayContext): Promise<string> {
    if (await ctx.access.unmasked(push.customerId)) return headline(await customerOrThrow(ctx, push.customerId), true);
    // The stored line is masked; its name is masked again for lines stored before names were.
    const [name = "", ...rest] = push.headline.split(" · ");
    return [maskName(name), ...rest].join(" · ");
  }

  @FieldResolver(() => Customer, { description: "The caller's unified view: select what the desktop shows (profile, holdings, tags, circle, contacts)." })
  customer(@Root() push: DeskRoot, @Ctx() ctx: GatewayContext): Promise<CustomerRecord> {
    return customerOrThrow(ctx, push.customerId);
  }

  @FieldResolver(() => [Decision], { description: "The offers to make on this call, best first (decided once, when the call connected)." })
  offers(@Root() push: DeskRoot): DecisionView[] {
    return push.decisions;
  }
}
