import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from "type-graphql";
import { Channel } from "../schema/channel.type";
import { ProductKindEnum } from "../schema/enums";
import { Product } from "../schema/product.type";
import type { GatewayContext } from "../src/server/context";
import type { ProductKind } from "../src/domain/vocabulary";
import type { ChannelRecord, ProductRecord } from "../src/graph/records";

@Resolver(() => Product)
export class CatalogueResolver {
  @Query(() => [Product], { description: "The product catalogue, optionally of one kind." })
  products(
    @Ctx() ctx: GatewayContext,
    @Arg("kind", () => ProductKindEnum, { nullable: true }) kind?: ProductKind | null,
  ): Promise<ProductRecord[]> {
    return ctx.customers.products(kind);
  }

  @Query(() => [Channel], { description: "The seven contact channels." })
  channels(@Ctx() ctx: GatewayContext): Promise<ChannelRecord[]> {
    return ctx.customers.channels();
  }

  @FieldResolver(() => [Product], { description: "Plans this product upgrades to (the upgrade ladder)." })
  upgradesTo(@Root() p: ProductRecord, @Ctx() ctx: GatewayContext): Promise<ProductRecord[]> {
    return ctx.customers.related(ctx, p, "UPGRADES_TO");
  }

  @FieldResolver(() => [Product], { description: "Products a customer must hold before taking this one." })
  requires(@Root() p: ProductRecord, @Ctx() ctx: GatewayContext): Promise<ProductRecord[]> {
    return ctx.customers.related(ctx, p, "REQUIRES");
  }

  @FieldResolver(() => [Product], { description: "Products that cannot be held together with this one." })
  excludes(@Root() p: ProductRecord, @Ctx() ctx: GatewayContext): Promise<ProductRecord[]> {
    return ctx.customers.related(ctx, p, "EXCLUDES");
  }
}
