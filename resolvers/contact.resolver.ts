import { Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { Contact, ContactConnection } from "../schema/contact.type";
import { Product } from "../schema/product.type";
import type { GatewayContext } from "../src/context";
import type { ContactRecord } from "../src/graph/contact";
import type { ChannelRecord, ProductRecord } from "../src/graph/records";
import type { ContactConnectionRoot } from "../src/trajectory";

@Resolver(() => ContactConnection)
export class ContactConnectionResolver {
  @FieldResolver(() => Int)
  async totalCount(@Root() conn: ContactConnectionRoot, @Ctx() ctx: GatewayContext): Promise<number> {
    // Counted with the page when the selection showed it was wanted; counted now otherwise.
    return conn.totalCount ?? ctx.loaders.contactCount.load(conn.filter);
  }
}

@Resolver(() => Contact)
export class ContactResolver {
  @FieldResolver(() => Channel)
  async channel(@Root() contact: ContactRecord, @Ctx() ctx: GatewayContext): Promise<ChannelRecord> {
    const channel = (await ctx.reference.channels()).get(contact.channel);
    if (!channel) throw new Error(`Contact ${contact.id} names channel ${contact.channel}, which is not in the graph.`);
    return channel;
  }

  @FieldResolver(() => Product, { nullable: true })
  async product(@Root() contact: ContactRecord, @Ctx() ctx: GatewayContext): Promise<ProductRecord | null> {
    return contact.productId ? ((await ctx.reference.products()).get(contact.productId) ?? null) : null;
  }
}
