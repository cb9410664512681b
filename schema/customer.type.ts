import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { CircleRelationEnum, LifecycleStageEnum, MarketSegmentEnum, ValueTierEnum, type CircleRelation } from "./enums";
import { Product } from "./product.type";
import { DateTimeScalar } from "./scalars";
import type { LifecycleStage, MarketSegment, ValueTier } from "../src/domain/vocabulary";

@ObjectType({ description: "This month's usage against the held quota, and three-month averages." })
export class UsageSummary {
  @Field(() => String, { description: "The month, YYYY-MM." })
  month!: string;

  @Field(() => Int)
  dataUsedMb!: number;

  @Field(() => Int)
  dataQuotaMb!: number;

  @Field(() => Float, { description: "Data used as a percentage of the quota (0 when there is no quota)." })
  dataUsedPercent!: number;

  @Field(() => Int)
  voiceUsedMinutes!: number;

  @Field(() => Int)
  voiceQuotaMinutes!: number;

  @Field(() => Int)
  smsUsed!: number;

  @Field(() => Int)
  avgDataMb3m!: number;

  @Field(() => Int)
  avgVoiceMinutes3m!: number;

  @Field(() => Int)
  avgSms3m!: number;

  @Field(() => Int, { description: "Days spent roaming in the last three months." })
  roamingDays3m!: number;
}

@ObjectType({ description: "The handset the customer uses." })
export class Terminal {
  @Field(() => String)
  model!: string;

  @Field(() => Int)
  ageMonths!: number;

  @Field(() => String, { description: "4G or 5G." })
  network!: string;
}

@ObjectType({ description: "A product the customer holds." })
export class Holding {
  @Field(() => Product)
  product!: Product;

  @Field(() => DateTimeScalar)
  since!: Date;
}

@ObjectType({ description: "The unified view of one subscriber (全景画像)." })
export class Customer {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Masked (张*) unless you may see personal data: an AGENT for the caller of its current call, an APP for its own customer, pii:read." })
  name!: string;

  @Field(() => String, { description: "F or M." })
  gender!: string;

  @Field(() => Int)
  age!: number;

  @Field(() => MarketSegmentEnum)
  segment!: MarketSegment;

  @Field(() => Int)
  tenureMonths!: number;

  @Field(() => Float, { description: "Average monthly revenue over three months, yuan." })
  arpu!: number;

  @Field(() => ValueTierEnum)
  valueTier!: ValueTier;

  @Field(() => LifecycleStageEnum)
  lifecycleStage!: LifecycleStage;

  @Field(() => Int, { description: "Credit score, 350 to 950." })
  creditScore!: number;

  @Field(() => Boolean, { description: "On a do-not-disturb list (免打扰)." })
  doNotDisturb!: boolean;
}

@ObjectType({ description: "Someone in a customer's family, V-net or calling circle." })
export class CircleMember {
  @Field(() => Customer, {
    nullable: true,
    description: "The member's unified view; null when the member is outside what you may read (another region's customer for an AGENT, anyone else for an APP): then only the masked name and number below.",
  })
  customer!: Customer | null;

  @Field(() => String, { description: "The member's name, masked (张*) unless you may see it." })
  name!: string;

  @Field(() => String, { description: "The member's number, masked (138****5678) unless you may see it." })
  msisdn!: string;

  @Field(() => CircleRelationEnum, { description: "The strongest reason this member is in the circle." })
  relation!: CircleRelation;

  @Field(() => [CircleRelationEnum], { description: "Every reason, strongest first." })
  relations!: CircleRelation[];

  @Field(() => Float, { description: "Tie strength in [0,1]; the circle is ordered by it." })
  strength!: number;

  @Field(() => Int, { description: "Calls per month between the two, both directions." })
  callsPerMonth!: number;
}
