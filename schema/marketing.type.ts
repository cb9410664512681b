import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { ChannelCodeEnum, EventTypeEnum, LifecycleStageEnum, MarketingStatusEnum } from "./enums";
import { DateTimeScalar, JSONScalar } from "./scalars";
import type { ChannelCode, LifecycleStage, MarketingStatus } from "../src/domain/vocabulary";
import type { EventType } from "../src/domain/events";

@ObjectType({ description: "A target group defined by an expression over tags and customer attributes." })
export class Segment {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The segment expression, e.g. `TEL_DATA_SAT_HIGH AND arpu >= 50` (see the createSegment mutation for the syntax).' })
  expression!: string;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

@ObjectType({ description: "What an offer says on one channel: SMS text, app banner, an agent's script." })
export class Creative {
  @Field(() => ChannelCodeEnum)
  channel!: ChannelCode;

  @Field(() => String)
  text!: string;
}

@ObjectType({ description: "One applied version of a strategy or offer: what the approved change that made it wrote." })
export class MarketingVersion {
  @Field(() => Int, { description: "1 for the first; each applied change adds one." })
  version!: number;

  @Field(() => DateTimeScalar, { description: "When the approval applied it." })
  appliedAt!: Date;

  @Field(() => ID, { nullable: true, description: "The approved change that made it (see change(id)); null for seeded content, kept as version 1 when it was first changed." })
  changeId!: string | null;

  @Field(() => JSONScalar, { description: "The strategy or offer as this version wrote it (times as ISO-8601 text)." })
  content!: Record<string, unknown>;
}

@ObjectType({ description: "A proposal of one product, with a creative per channel, a validity window, a region scope, a value and a business priority." })
export class Offer {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => DateTimeScalar)
  validFrom!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: "Null: open-ended." })
  validUntil!: Date | null;

  @Field(() => [ID], { description: "Cities or districts the offer is sold in; empty = the whole province." })
  regionIds!: string[];

  @Field(() => Float, { description: "Expected margin over the offer's horizon, yuan." })
  value!: number;

  @Field(() => Float, { description: "Business lever; 1 is neutral." })
  priority!: number;

  @Field(() => Float, { description: "Acceptance rate expected before any response is known (the model's prior)." })
  basePropensity!: number;

  @Field(() => MarketingStatusEnum)
  status!: MarketingStatus;

  @Field(() => Int, { description: "1 until the first approved change; each applied change adds one. Decisions record the version they came from (Decision.offerVersion)." })
  version!: number;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

@ObjectType({ description: "What fires an event-triggered strategy: an event type, a condition on the customer and the event, and how late the event may be processed." })
export class StrategyTrigger {
  @Field(() => EventTypeEnum)
  eventType!: EventType;

  @Field(() => String, { description: "Segment expression over the customer and the event's payload (`event.<field>`), e.g. `event.percent >= 90 AND NOT holds(DATA_ADDON)`; empty = always." })
  condition!: string;

  @Field(() => Int, { description: "An event older than this when processed no longer fires the strategy (its moment has passed)." })
  maxDelaySeconds!: number;
}

@ObjectType({ description: "Who gets which offers on which channels: one cell of the strategy cube (business line × scenario × lifecycle stage)." })
export class Strategy {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Structured code (策略编码) <LINE>-<SCENARIO>-<STAGE>-<NNN>, e.g. MOB-RET-CHURN-001." })
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  businessLine!: string;

  @Field(() => String)
  scenario!: string;

  @Field(() => LifecycleStageEnum, { nullable: true, description: "The cube's lifecycle axis; null = any stage. Targeting itself is the segment's." })
  lifecycleStage!: LifecycleStage | null;

  @Field(() => Float)
  priority!: number;

  @Field(() => DateTimeScalar)
  validFrom!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  validUntil!: Date | null;

  @Field(() => Float, { description: "Share of targeted customers held out as a control group (decided for, never contacted)." })
  controlShare!: number;

  @Field(() => MarketingStatusEnum)
  status!: MarketingStatus;

  @Field(() => String)
  description!: string;

  @Field(() => StrategyTrigger, {
    nullable: true,
    description: "Set: the strategy proposes only when its event fires it (pushed on its push channels), never in nextBestOffers. Null: an ordinary strategy.",
  })
  trigger!: StrategyTrigger | null;

  @Field(() => Int, { description: "1 until the first approved change; each applied change adds one. Decisions record the version they came from (Decision.strategyVersion)." })
  version!: number;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}
