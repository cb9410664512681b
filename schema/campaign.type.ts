import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { CAMPAIGN_SCHEDULES, CAMPAIGN_STATUSES, WAVE_AUDIENCES, WAVE_STATUSES, type CampaignSchedule, type CampaignStatus, type WaveAudience, type WaveStatus, type WorkOrderKind } from "../src/domain/campaigns";
import type { ChannelCode } from "../src/domain/vocabulary";
import { PageInfo } from "./contact.type";
import { ChannelCodeEnum } from "./enums";
import { DateTimeScalar } from "./scalars";
import { Change } from "./approval.type";
import { WorkOrderKindEnum } from "./work-order.type";

function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const CampaignStatusEnum = enumOf<CampaignStatus>(CAMPAIGN_STATUSES);
export const CampaignScheduleEnum = enumOf<CampaignSchedule>(CAMPAIGN_SCHEDULES);
export const WaveAudienceEnum = enumOf<WaveAudience>(WAVE_AUDIENCES);
export const WaveStatusEnum = enumOf<WaveStatus>(WAVE_STATUSES);
export const CampaignMembershipEnum = { LIVE: "LIVE", SNAPSHOT: "SNAPSHOT" } as const;

registerEnumType(CampaignStatusEnum, { name: "CampaignStatus", description: "DRAFT → SUBMITTED → APPROVED (maker-checker) → RUNNING ⇄ PAUSED → FINISHED; CANCELLED from any state before FINISHED." });
registerEnumType(CampaignScheduleEnum, { name: "CampaignSchedule", description: "ONCE, or a new round of waves DAILY or WEEKLY until endAt." });
registerEnumType(WaveAudienceEnum, { name: "WaveAudience", description: "Who a wave reaches, judged on the campaign's earlier waves: ALL, NOT_CONTACTED, CONTACTED_NOT_RESPONDED, RESPONDED_NOT_ORDERED." });
registerEnumType(WaveStatusEnum, { name: "WaveStatus", description: "PLANNED (not launched), SCHEDULED (due at dueAt), RUNNING, DONE, SKIPPED." });
registerEnumType(CampaignMembershipEnum, { name: "CampaignMembership", description: "LIVE: the segment re-evaluated at each wave; SNAPSHOT: the first wave's members for every wave." });

@ObjectType({ description: "A wave's funnel so far." })
export class WaveFunnel {
  @Field(() => Int, { description: "Members in the wave's audience (control group included)." })
  targeted!: number;

  @Field(() => Int, { description: "Control-group decisions: decided, never contacted." })
  heldOut!: number;

  @Field(() => Int)
  contacted!: number;

  @Field(() => Int, { description: "Contacts the channel reported delivered (DELIVERY_RECEIPT)." })
  delivered!: number;

  @Field(() => Int)
  deliveryFailed!: number;

  @Field(() => Int, { description: "Decisions answered (any outcome)." })
  responded!: number;

  @Field(() => Int, { description: "Decisions ACCEPTED." })
  ordered!: number;
}

@ObjectType({ description: "One wave of a campaign: a channel, a delay after the previous wave, an audience; its progress and funnel." })
export class Wave {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: "1 for the first wave." })
  index!: number;

  @Field(() => Int, { description: "The round (a DAILY or WEEKLY campaign runs its waves again each round)." })
  round!: number;

  @Field(() => ChannelCodeEnum)
  channel!: ChannelCode;

  @Field(() => WorkOrderKindEnum, { nullable: true })
  workOrderKind!: WorkOrderKind | null;

  @Field(() => Float)
  delayDays!: number;

  @Field(() => WaveAudienceEnum)
  audience!: WaveAudience;

  @Field(() => WaveStatusEnum)
  status!: WaveStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  dueAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int, { description: "Members to go through (known once the wave started)." })
  total!: number;

  @Field(() => Int, { description: "Members gone through so far." })
  done!: number;
}

@ObjectType({ description: "A campaign: a strategy over a segment, on a schedule, in waves." })
export class Campaign {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => CampaignStatusEnum)
  status!: CampaignStatus;

  @Field(() => ID)
  strategyId!: string;

  @Field(() => Int, { nullable: true, description: "The strategy version frozen at approval (null before)." })
  strategyVersion!: number | null;

  @Field(() => ID)
  segmentId!: string;

  @Field(() => CampaignMembershipEnum)
  membership!: "LIVE" | "SNAPSHOT";

  @Field(() => CampaignScheduleEnum)
  schedule!: CampaignSchedule;

  @Field(() => DateTimeScalar)
  startAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  endAt!: Date | null;

  @Field(() => Int, { nullable: true, description: "At most this many contacts over all waves (null: none)." })
  volumeCap!: number | null;

  @Field(() => Float, { description: "Share of members held out in every wave (the same customers each time)." })
  controlShare!: number;

  @Field(() => [String])
  owners!: string[];

  @Field(() => Float)
  alertResponseRate!: number;

  @Field(() => String)
  createdBy!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      "When campaignReport becomes available: the evaluation's response window (30 days) after the campaign finished, or was cancelled once started, so the orders its contacts brought are counted. Null before it ends and once the report is stored (see reportedAt).",
  })
  reportDueAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the campaign's evaluation report was stored (campaignReport)." })
  reportedAt!: Date | null;
}

@ObjectType()
export class CampaignEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Campaign)
  node!: Campaign;
}

@ObjectType()
export class CampaignConnection {
  @Field(() => [CampaignEdge])
  edges!: CampaignEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: "A submitted campaign and the change an approver (not the submitter) approves with approveChange." })
export class CampaignSubmission {
  @Field(() => Campaign)
  campaign!: Campaign;

  @Field(() => Change)
  pendingChange!: Change;
}
