import { Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { Contact, ContactConnection } from "../schema/contact.type";
import { Product } from "../schema/product.type";
import type { GatewayContext } from "../src/server/context";
import type { ContactRecord } from "../src/graph/contact";
import type { ChannelRecord, ProductRecord } from "../src/graph/records";
import type { ContactConnectionRoot } from "../src/customer360/trajectory";

@Resolver(() => ContactConnection)
export class ContactConnectionResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() conn: ContactConnectionRoot): number {
    // The contacts resolver saw totalCount in the selection and had it counted with the page.
    if (conn.totalCount === null) throw new Error("totalCount was resolved but not counted: selectsField missed a selection form");
    return conn.totalCount;
  }
}

@Resolver(() => Contact)
export class ContactResolver {
  @FieldResolver(() => Channel)
  channel(@Root() contact: ContactRecord, @Ctx() ctx: GatewayContext): Promise<ChannelRecord> {
    return ctx.customers.channel(contact.channel, `contact ${contact.id}`);
  }

  @FieldResolver(() => Product, { nullable: true })
  product(@Root() contact: ContactRecord, @Ctx() ctx: GatewayContext): Promise<ProductRecord | null> {
    return ctx.customers.contactProduct(contact);
  }
}
