import { Field, Float, ID, InputType, Int } from "type-graphql";
import { ChannelCodeEnum, EventTypeEnum, LifecycleStageEnum } from "./enums";
import { DateTimeScalar } from "./scalars";
import type { ChannelCode, LifecycleStage } from "../src/domain/vocabulary";
import type { EventType } from "../src/domain/events";
import { SEGMENT_EXPRESSION_HELP } from "../src/segments/expression";
import { MAX_TRIGGER_DELAY_SECONDS, TRIGGER_CONDITION_HELP } from "../src/marketing/trigger";
import { DEFAULT_TRIGGER_MAX_DELAY_SECONDS } from "../src/graph/marketing";

@InputType({ description: "A segment, or the fields of one to change." })
export class SegmentInput {
  @Field(() => String, { nullable: true, description: "Upper-case code, unique, e.g. HEAVY_DATA_USERS. Required on create." })
  code?: string | null;

  @Field(() => String, { nullable: true, description: "Required on create." })
  name?: string | null;

  @Field(() => String, { nullable: true, description: SEGMENT_EXPRESSION_HELP })
  expression?: string | null;
}

@InputType({ description: "What an offer says on one channel." })
export class CreativeInput {
  @Field(() => ChannelCodeEnum)
  channel!: ChannelCode;

  @Field(() => String)
  text!: string;
}

@InputType({ description: "An offer, or the fields of one to change (left out = unchanged)." })
export class OfferInput {
  @Field(() => String, { nullable: true, description: "Unique code, e.g. OFF-DATA-10GB. Required on create." })
  code?: string | null;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => ID, { nullable: true, description: "The product proposed. Required on create." })
  productId?: string | null;

  @Field(() => [CreativeInput], { nullable: true, description: "One per channel; replaces all creatives when given." })
  creatives?: CreativeInput[] | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Default: now." })
  validFrom?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Null: open-ended." })
  validUntil?: Date | null;

  @Field(() => [ID], { nullable: true, description: "City or district ids, each once; empty = the whole province." })
  regionIds?: string[] | null;

  @Field(() => Float, { nullable: true, description: "Expected margin, yuan, 0..1,000,000. Required on create." })
  value?: number | null;

  @Field(() => Float, { nullable: true, description: "Business lever, (0, 10]; default 1." })
  priority?: number | null;

  @Field(() => Float, { nullable: true, description: "Expected acceptance rate before evidence, (0, 1]; default 0.03." })
  basePropensity?: number | null;
}

@InputType({ description: "What fires an event-triggered strategy; given whole (fields left out take their defaults, not the previous trigger's)." })
export class StrategyTriggerInput {
  @Field(() => EventTypeEnum)
  eventType!: EventType;

  @Field(() => String, { nullable: true, description: `${TRIGGER_CONDITION_HELP} Default: empty.` })
  condition?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: `An event older than this many seconds when processed no longer fires the strategy, 1..${MAX_TRIGGER_DELAY_SECONDS}; default ${DEFAULT_TRIGGER_MAX_DELAY_SECONDS}.`,
  })
  maxDelaySeconds?: number | null;
}

@InputType({ description: "A strategy, or the fields of one to change (left out = unchanged)." })
export class StrategyInput {
  @Field(() => String, { nullable: true, description: "Structured code <LINE>-<SCENARIO>-<STAGE>-<NNN>, e.g. MOB-RET-CHURN-001. Required on create." })
  code?: string | null;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: "MOBILE, FAMILY, HOME, CONTENT, TERMINAL, ENTERPRISE, …" })
  businessLine?: string | null;

  @Field(() => String, { nullable: true, description: "RETENTION, UPGRADE, CROSS_SELL, ACQUISITION, CARE, …" })
  scenario?: string | null;

  @Field(() => LifecycleStageEnum, { nullable: true })
  lifecycleStage?: LifecycleStage | null;

  @Field(() => ID, { nullable: true })
  segmentId?: string | null;

  @Field(() => [ID], { nullable: true, description: "The offers it proposes, each once; at least one." })
  offerIds?: string[] | null;

  @Field(() => [ChannelCodeEnum], { nullable: true })
  channels?: ChannelCode[] | null;

  @Field(() => Float, { nullable: true, description: "(0, 10]; default 1." })
  priority?: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  validFrom?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  validUntil?: Date | null;

  @Field(() => Float, { nullable: true, description: "Control-group share 0..0.5; default 0.1." })
  controlShare?: number | null;

  @Field(() => String, { nullable: true, description: "Free text, at most 2,000 characters." })
  description?: string | null;

  @Field(() => StrategyTriggerInput, {
    nullable: true,
    description:
      "Makes the strategy event-triggered: it then proposes only when its event fires it, on at least one push channel (APP, SMS, OUTBOUND_CALL, WECHAT). On update: left out = unchanged, null = no longer triggered.",
  })
  trigger?: StrategyTriggerInput | null;
}
