import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Customer } from "../schema/customer.type";
import { PlanAdvice } from "../schema/plan-advice.type";
import type { GatewayContext } from "../src/server/context";
import type { PlanAdviceResult } from "../src/advice/plan-advice";
import type { CustomerRecord } from "../src/graph/records";

@Resolver(() => Customer)
export class PlanAdviceResolver {
  @FieldResolver(() => PlanAdvice, {
    nullable: true,
    description: "Plan advice (套餐优化) on the three-month average usage, overage included; null when the customer holds no main plan.",
  })
  planAdvice(@Root() c: CustomerRecord, @Ctx() ctx: GatewayContext): Promise<PlanAdviceResult | null> {
    return ctx.advice.planAdvice(ctx, c);
  }
}
