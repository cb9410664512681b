import { Field, Float, ID, InputType, Int } from "type-graphql";
import type { CampaignSchedule, WaveAudience, WorkOrderKind } from "../src/domain/campaigns";
import type { ChannelCode } from "../src/domain/vocabulary";
import { CampaignMembershipEnum, CampaignScheduleEnum, WaveAudienceEnum } from "./campaign.type";
import { WorkOrderKindEnum } from "./work-order.type";
import { ChannelCodeEnum } from "./enums";
import { DateTimeScalar } from "./scalars";

@InputType({ description: "One wave: the first reaches ALL with delayDays 0." })
export class WaveInput {
  @Field(() => ChannelCodeEnum, { description: "SMS, APP, WECHAT (outboxes), OUTBOUND_CALL or STORE (work orders); one of the strategy's channels." })
  channel!: ChannelCode;

  @Field(() => Float, { description: "Days after the previous wave's due time, 0..365." })
  delayDays!: number;

  @Field(() => WaveAudienceEnum)
  audience!: WaveAudience;

  @Field(() => WorkOrderKindEnum, { nullable: true, description: "OUTBOUND_CALL and STORE waves: which work orders (default by channel)." })
  workOrderKind?: WorkOrderKind | null;
}

@InputType({ description: "A campaign draft, whole (updateCampaign replaces the draft with it)." })
export class CampaignInput {
  @Field(() => String)
  name!: string;

  @Field(() => ID, { description: "An ACTIVE strategy without a trigger: only its offers are proposed." })
  strategyId!: string;

  @Field(() => ID)
  segmentId!: string;

  @Field(() => CampaignMembershipEnum, { nullable: true, description: "Default LIVE." })
  membership?: "LIVE" | "SNAPSHOT" | null;

  @Field(() => CampaignScheduleEnum, { nullable: true, description: "Default ONCE; DAILY and WEEKLY need endAt." })
  schedule?: CampaignSchedule | null;

  @Field(() => DateTimeScalar, { description: "When the first wave is due (launching later starts it at launch)." })
  startAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  endAt?: Date | null;

  @Field(() => Int, { nullable: true, description: "At most this many contacts over all waves." })
  volumeCap?: number | null;

  @Field(() => Float, { nullable: true, description: "0..0.5, default 0.1." })
  controlShare?: number | null;

  @Field(() => [String], { nullable: true, description: "Principals told of alerts and the report (default: the author)." })
  owners?: string[] | null;

  @Field(() => Float, { nullable: true, description: "0..1; 0 = no alert." })
  alertResponseRate?: number | null;

  @Field(() => [WaveInput])
  waves!: WaveInput[];
}
