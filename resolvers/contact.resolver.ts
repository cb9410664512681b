import { Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { Contact, ContactConnection } from "../schema/contact.type";
import type { GatewayContext } from "../src/context";
import type { ContactRecord } from "../src/graph/contact";
import type { ChannelRecord } from "../src/graph/records";
import type { ContactConnectionRoot } from "../src/trajectory";

@Resolver(() => ContactConnection)
export class ContactConnectionResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() conn: ContactConnectionRoot, @Ctx() ctx: GatewayContext): Promise<number> {
    return ctx.loaders.contactCount.load(conn.filter);
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
}
