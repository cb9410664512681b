import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { ProductKindEnum } from "./enums";
import type { ProductKind } from "../src/domain/vocabulary";

@ObjectType({ description: "A product of the catalogue: plan, add-on, pack, broadband, IPTV, handset or content." })
export class Product {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Business code, e.g. 5G-PLAN-128." })
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ProductKindEnum)
  kind!: ProductKind;

  @Field(() => Float, { description: "Yuan per month; 0 for one-off products." })
  monthlyFee!: number;

  @Field(() => Float, { description: "One-off price in yuan (handsets, packs); 0 otherwise." })
  oneOffPrice!: number;

  @Field(() => String, { nullable: true, description: "4G or 5G for plans." })
  network!: string | null;

  @Field(() => Int, { description: "Data included, MB per month (per validity for packs)." })
  dataQuotaMb!: number;

  @Field(() => Int, { description: "Voice minutes included per month." })
  voiceMinutes!: number;

  @Field(() => Int)
  smsCount!: number;

  @Field(() => Float, { description: "Yuan per GB beyond the quota." })
  dataOveragePerGb!: number;

  @Field(() => Float, { description: "Yuan per minute beyond the quota." })
  voiceOveragePerMinute!: number;

  @Field(() => Int, { description: "Validity of a pack in hours; 0 for monthly recurring products." })
  validityHours!: number;

  @Field(() => String)
  description!: string;
}
