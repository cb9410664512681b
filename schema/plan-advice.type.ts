import { Field, Float, Int, ObjectType } from "type-graphql";
import { Product } from "./product.type";

@ObjectType({ description: "What the customer's three-month average usage costs per month on one plan, in yuan (add-on fees excluded: they are the same on every plan)." })
export class PlanCost {
  @Field(() => Product)
  plan!: Product;

  @Field(() => Float, { description: "The plan's monthly fee; a family member's even share of it." })
  monthlyFee!: number;

  @Field(() => Float, { description: "Data beyond the quota, charged on the exact excess (not rounded up to whole GB)." })
  dataOverage!: number;

  @Field(() => Float, { description: "Minutes beyond the quota." })
  voiceOverage!: number;

  @Field(() => Float, { description: "monthlyFee + dataOverage + voiceOverage." })
  total!: number;

  @Field(() => Float, { description: "Data the customer would have per month: plan (share) plus held data add-ons, GB." })
  dataQuotaGb!: number;

  @Field(() => Int, { description: "The same in MB." })
  dataQuotaMb!: number;

  @Field(() => Int, { description: "Minutes the customer would have per month: plan (share) plus held voice add-ons." })
  voiceMinutes!: number;

  @Field(() => Int)
  smsCount!: number;

  @Field(() => Boolean, { description: "The quotas cover the average usage: no overage." })
  coversUsage!: boolean;

  @Field(() => Float, { description: "total minus the current plan's total: negative saves money; 0 for the current plan." })
  differenceYuan!: number;

  @Field(() => [String], { description: "What the customer gets more of than now, e.g. 流量多5GB, 网络4G→5G." })
  gains!: string[];

  @Field(() => [String], { description: "What the customer gives up compared with now, e.g. 通话少100分钟." })
  losses!: string[];
}

@ObjectType({ description: "Plan advice (套餐优化): the current plan against every plan the customer may switch to, on the three-month average usage." })
export class PlanAdvice {
  @Field(() => PlanCost)
  current!: PlanCost;

  @Field(() => [PlanCost], { description: "Individual plans the customer may switch to (held add-ons still allowed), cheapest first; empty on a family plan." })
  options!: PlanCost[];

  @Field(() => PlanCost, { nullable: true, description: "The cheapest option when it saves at least 1 yuan a month; null = keep the current plan." })
  recommended!: PlanCost | null;

  @Field(() => Float, { description: "Yuan per month saved by the recommendation; 0 when keeping the current plan." })
  monthlySaving!: number;

  @Field(() => Boolean, { description: "The current plan is a shared family plan: it is changed by the household, so no individual advice is given." })
  shared!: boolean;

  @Field(() => Int, { description: "How many share the current plan (1 for an individual plan)." })
  sharers!: number;

  @Field(() => String, { description: "One sentence an agent can read out." })
  summary!: string;
}
