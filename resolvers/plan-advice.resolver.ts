import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Customer } from "../schema/customer.type";
import { PlanAdvice } from "../schema/plan-advice.type";
import type { GatewayContext } from "../src/server/context";
import { planAdvice, productsToCheck, type PlanAdviceResult } from "../src/advice/plan-advice";
import type { CustomerRecord } from "../src/graph/records";

@Resolver(() => Customer)
export class PlanAdviceResolver {
  @FieldResolver(() => PlanAdvice, {
    nullable: true,
    description: "Plan advice (套餐优化) on the three-month average usage, overage included; null when the customer holds no main plan.",
  })
  async planAdvice(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<PlanAdviceResult | null> {
    const [profile, products] = await Promise.all([c.profile ?? ctx.loaders.customer.load(c.id).then((r) => r?.profile), ctx.reference.products()]);
    const heldIds = profile?.holdings.map((h) => h.productId) ?? [];
    // One batched round trip for all customers of the request; none when only a main plan is held.
    const toCheck = productsToCheck(heldIds, products);
    const found = await ctx.loaders.related.REQUIRES.loadMany(toCheck);
    const requires = new Map<string, string[]>();
    toCheck.forEach((id, i) => {
      const targets = found[i];
      if (targets instanceof Error) throw targets;
      requires.set(id, targets?.map((p) => p.id) ?? []);
    });
    return planAdvice(c, heldIds, products, requires);
  }
}
