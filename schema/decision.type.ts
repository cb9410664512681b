import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from "type-graphql";
import { ChannelCodeEnum, ProductKindEnum, ReasonKindEnum, ResponseOutcomeEnum } from "./enums";
import { DateTimeScalar } from "./scalars";
import type { ReasonKind } from "../src/decisioning/explain";
import type { ChannelCode, ProductKind, ResponseOutcome } from "../src/domain/vocabulary";

@ObjectType({ description: "One reason behind a decision, in words a front-line agent can read." })
export class Reason {
  @Field(() => ReasonKindEnum)
  kind!: ReasonKind;

  @Field(() => String)
  text!: string;
}

@ObjectType({ description: "One next-best-offer answer. Quote its id in respondToOffer." })
export class Decision {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => Int, { nullable: true, description: "The version of the strategy the decision came from (1 for decisions made before strategies were versioned); null without a strategy." })
  strategyVersion!: number | null;

  @Field(() => Int, { description: "The version of the offer the decision came from (1 for decisions made before offers were versioned)." })
  offerVersion!: number;

  @Field(() => ID, { nullable: true, description: "The real-time event that fired this decision (a push); null for decisions asked for." })
  eventId!: string | null;

  @Field(() => Float, { description: "propensity × value × priority × relevance." })
  score!: number;

  @Field(() => Float, { description: "Estimated probability that the customer accepts, 0..1." })
  propensity!: number;

  @Field(() => Float, { description: "The offer's value, yuan." })
  value!: number;

  @Field(() => Float, { description: "Business priority: the offer's times its strategy's." })
  priority!: number;

  @Field(() => Float, { description: "Relevance to the current context (1 = neutral)." })
  relevance!: number;

  @Field(() => [Reason])
  reasons!: Reason[];

  @Field(() => Boolean, { description: "The customer is in the strategy's control group: decided for, not contacted. Front lines show nothing for it." })
  controlGroup!: boolean;

  @Field(() => Boolean, { description: "The offer was presented (written to the trajectory as OFFER_PRESENTED)." })
  contacted!: boolean;

  @Field(() => ResponseOutcomeEnum, { nullable: true, description: "The customer's answer, once respondToOffer recorded it." })
  outcome!: ResponseOutcome | null;

  @Field(() => DateTimeScalar, { nullable: true })
  respondedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: "The campaign whose wave made this decision; null for decisions asked for or fired by events." })
  campaignId?: string | null;

  @Field(() => ID, { nullable: true, description: "The campaign wave that made this decision." })
  waveId?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the channel (SMS, APP, WECHAT outbox) reported the wave's message delivered." })
  deliveredAt?: Date | null;

  @Field(() => String, { nullable: true, description: "Why the channel reported the wave's message undelivered (its reason code)." })
  deliveryFailed?: string | null;
}

@InputType({ description: "What is going on when the decision is asked for." })
export class DecisionContextInput {
  @Field(() => DateTimeScalar, { nullable: true, description: "Decision time (default now): contact windows, quiet hours and validity are judged at it." })
  at?: Date | null;

  @Field(() => [ProductKindEnum], { nullable: true, description: "Product kinds the situation is about (the customer asked about data, browsed handsets); matching offers count 1.5×." })
  productKinds?: ProductKind[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      "The offer will be pushed to the customer unasked (app push, WeChat message): caps, quiet hours and the red list apply. Always so on SMS and OUTBOUND_CALL; otherwise the customer started the contact (default).",
  })
  push?: boolean | null;
}

@ArgsType()
export class NextBestOffersArgs {
  @Field(() => ChannelCodeEnum)
  channel!: ChannelCode;

  @Field(() => Int, { defaultValue: 3, description: "Placements wanted on the channel, 1..10." })
  limit!: number;
}
