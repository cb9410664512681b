import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { ContactsArgs } from "../schema/contact.args";
import { ContactConnection } from "../schema/contact.type";
import { CircleMember, Customer, Holding, Terminal, UsageSummary } from "../schema/customer.type";
import { Region } from "../schema/region.type";
import { CustomerTag } from "../schema/tag.type";
import type { GatewayContext } from "../src/server/context";
import { canSeeMsisdn, maskMsisdn, normaliseMsisdn, regionChain, usageSummary } from "../src/customer360/customer";
import { isServedTag } from "../src/customer360/published";
import type { ChannelRecord, CustomerProfile, CustomerRecord, CustomerTagRecord, HoldingRecord } from "../src/graph/records";
import { selectsField } from "../src/server/selection";
import type { CircleMemberRecord } from "../src/graph/customer";
import { pageRequest, toConnection, type ContactConnectionRoot } from "../src/customer360/trajectory";
import { intInRange, listOfAtMost } from "../src/platform/validate";

const MAX_CUSTOMERS_PER_REQUEST = 100;

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: "One customer by id; null when there is no such customer." })
  customer(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<CustomerRecord | null> {
    return ctx.loaders.customer.load(id);
  }

  @Query(() => Customer, { nullable: true, description: "The customer behind a phone number: what a 10086 desk has when a call comes in." })
  customerByMsisdn(@Arg("msisdn", () => String) msisdn: string, @Ctx() ctx: GatewayContext): Promise<CustomerRecord | null> {
    return ctx.loaders.customerByMsisdn.load(normaliseMsisdn(msisdn));
  }

  @Query(() => [Customer], { nullable: "items", description: `Customers in the order asked, null where unknown; at most ${MAX_CUSTOMERS_PER_REQUEST} ids.` })
  async customers(@Arg("ids", () => [ID]) ids: string[], @Ctx() ctx: GatewayContext): Promise<Array<CustomerRecord | null>> {
    listOfAtMost("ids", ids, MAX_CUSTOMERS_PER_REQUEST);
    const found = await ctx.loaders.customer.loadMany(ids);
    return found.map((c) => {
      if (c instanceof Error) throw c;
      return c;
    });
  }

  @FieldResolver(() => String, { description: "Masked (138****5678) unless the caller may see personal data." })
  msisdn(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): string {
    return canSeeMsisdn(ctx.principal) ? c.msisdn : maskMsisdn(c.msisdn);
  }

  @FieldResolver(() => Region, { description: "The district the customer lives in, with its city and province as parents." })
  async region(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<Region> {
    return regionChain(await ctx.reference.regions(), c.regionId);
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
  async subscriptions(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<HoldingRecord[]> {
    const [profile, products] = await Promise.all([profileOf(c, ctx), ctx.reference.products()]);
    return profile.holdings.flatMap((h) => {
      const product = products.get(h.productId);
      return product ? [{ product, since: h.since }] : [];
    });
  }

  @FieldResolver(() => [CustomerTag], { description: "Published tags only, optionally of one level-1 family." })
  async tags(
    @Root() c: CustomerRecord,
    @Ctx() ctx: GatewayContext,
    @Arg("level1", () => String, { nullable: true }) level1?: string | null,
  ): Promise<CustomerTagRecord[]> {
    const [profile, tags] = await Promise.all([profileOf(c, ctx), ctx.reference.tags()]);
    return profile.tags.flatMap((t) => {
      const tag = tags.get(t.tagId);
      if (!tag || !isServedTag(tag) || (level1 && tag.level1 !== level1)) return [];
      return [{ tag, value: t.value, score: t.score, at: t.at }];
    }).sort((a, b) => compare(a.tag.level1, b.tag.level1) || compare(a.tag.level2, b.tag.level2) || compare(a.tag.id, b.tag.id));
  }

  @FieldResolver(() => [Channel], { description: "Channels the customer prefers, most preferred first." })
  async preferredChannels(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<ChannelRecord[]> {
    const [profile, channels] = await Promise.all([profileOf(c, ctx), ctx.reference.channels()]);
    return profile.preferredChannels.flatMap((code) => channels.get(code) ?? []);
  }

  @FieldResolver(() => [CircleMember], { description: "Family, V-net and calling circle, strongest tie first." })
  async circle(
    @Root() c: CustomerRecord,
    @Ctx() ctx: GatewayContext,
    @Arg("limit", () => Int, { defaultValue: 10 }) limit: number,
  ): Promise<Array<CircleMemberRecord & { relation: CircleMemberRecord["relations"][number] }>> {
    intInRange("limit", limit, 1, 50);
    const members = await ctx.loaders.circle.load({ key: `${c.id}|${limit}`, customerId: c.id, limit });
    return members.map((m) => ({ ...m, relation: m.relations[0] ?? "CALLS" }));
  }

  @FieldResolver(() => ContactConnection, { description: "The contact trajectory, newest first, cursor paged." })
  async contacts(
    @Root() c: CustomerRecord,
    @Ctx() ctx: GatewayContext,
    @Args(() => ContactsArgs) args: ContactsArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ContactConnectionRoot> {
    const page = pageRequest(c.id, args, selectsField(info, "totalCount"));
    return toConnection(await ctx.loaders.contactPage.load(page), page);
  }
}

const NO_PROFILE: CustomerProfile = { holdings: [], tags: [], preferredChannels: [] };

/** The profile read with the customer, or (for circle members, read without one) through the loader. */
async function profileOf(c: CustomerRecord, ctx: GatewayContext): Promise<CustomerProfile> {
  return c.profile ?? (await ctx.loaders.customer.load(c.id))?.profile ?? NO_PROFILE;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
