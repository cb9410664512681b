import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { ContactsArgs } from "../schema/contact.args";
import { ContactConnection } from "../schema/contact.type";
import { CircleMember, Customer, Holding, Terminal, UsageSummary } from "../schema/customer.type";
import { Region } from "../schema/region.type";
import { CustomerTag } from "../schema/tag.type";
import type { GatewayContext } from "../src/server/context";
import { usageSummary } from "../src/customer360/customer";
import { MAX_CUSTOMERS_PER_REQUEST, type CircleMemberView } from "../src/customer360/service";
import type { ChannelRecord, CustomerRecord, CustomerTagRecord, HoldingRecord } from "../src/graph/records";
import { selectsField } from "../src/server/selection";
import type { ContactConnectionRoot } from "../src/customer360/trajectory";

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: "One customer by id; null when there is no such customer, FORBIDDEN when it is outside what you may read (an AGENT: its regions and its current caller)." })
  customer(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<CustomerRecord | null> {
    return ctx.customers.customer(ctx, id);
  }

  @Query(() => Customer, {
    nullable: true,
    description: "The customer behind a phone number: what a 10086 desk has when a call comes in. For the number of your current caller only (or with pii:read); any other number is FORBIDDEN, customer or not.",
  })
  customerByMsisdn(@Arg("msisdn", () => String) msisdn: string, @Ctx() ctx: GatewayContext): Promise<CustomerRecord | null> {
    return ctx.customers.customerByMsisdn(ctx, msisdn);
  }

  @Query(() => [Customer], {
    nullable: "items",
    description: `Customers in the order asked, null where unknown (and where outside what you may read, with a FORBIDDEN error at that place); at most ${MAX_CUSTOMERS_PER_REQUEST} ids.`,
  })
  customers(@Arg("ids", () => [ID]) ids: string[], @Ctx() ctx: GatewayContext): Promise<Array<CustomerRecord | null | Error>> {
    return ctx.customers.customers(ctx, ids);
  }

  @FieldResolver(() => String, { description: "Masked (张*) unless you may see personal data: an AGENT for the caller of its current call, an APP for its own customer, pii:read." })
  name(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.customers.name(ctx, c);
  }

  @FieldResolver(() => String, { description: "Masked (138****5678) unless you may see personal data: an AGENT for the caller of its current call, an APP for its own customer, pii:read." })
  msisdn(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<string> {
    return ctx.customers.msisdn(ctx, c);
  }

  @FieldResolver(() => Region, { description: "The district the customer lives in, with its city and province as parents." })
  region(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<Region> {
    return ctx.customers.region(c);
  }

  @FieldResolver(() => UsageSummary)
  usage(@Root() c: CustomerRecord): UsageSummary {
    return usageSummary(c);
  }

  @FieldResolver(() => Terminal)
  terminal(@Root() c: CustomerRecord): Terminal {
    return { model: c.terminalModel, ageMonths: c.terminalAgeMonths, network: c.networkType };
  }

  @FieldResolver(() => [Holding], { description: "Products held, oldest first." })
  subscriptions(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<HoldingRecord[]> {
    return ctx.customers.holdings(ctx, c);
  }

  @FieldResolver(() => [CustomerTag], { description: "Published tags only, optionally of one level-1 family." })
  tags(
    @Root() c: CustomerRecord,
    @Ctx() ctx: GatewayContext,
    @Arg("level1", () => String, { nullable: true }) level1?: string | null,
  ): Promise<CustomerTagRecord[]> {
    return ctx.customers.tags(ctx, c, level1);
  }

  @FieldResolver(() => [Channel], { description: "Channels the customer prefers, most preferred first." })
  preferredChannels(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<ChannelRecord[]> {
    return ctx.customers.preferredChannels(ctx, c);
  }

  @FieldResolver(() => [CircleMember], { description: "Family, V-net and calling circle, strongest tie first." })
  circle(
    @Root() c: CustomerRecord,
    @Ctx() ctx: GatewayContext,
    @Arg("limit", () => Int, { defaultValue: 10 }) limit: number,
  ): Promise<CircleMemberView[]> {
    return ctx.customers.circle(ctx, c, limit);
  }

  @FieldResolver(() => ContactConnection, { description: "The contact trajectory, newest first, cursor paged." })
  contacts(
    @Root() c: CustomerRecord,
    @Ctx() ctx: GatewayContext,
    @Args(() => ContactsArgs) args: ContactsArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ContactConnectionRoot> {
    return ctx.customers.contacts(ctx, c, args, selectsField(info, "totalCount"));
  }
}
