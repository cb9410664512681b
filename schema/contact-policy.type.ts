import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { ChannelCodeEnum } from "./enums";
import { DateTimeScalar } from "./scalars";
import type { ChannelCode } from "../src/domain/vocabulary";

@ObjectType({ description: "At most `limit` contacts on one channel within any rolling `windowDays` days." })
export class ChannelCap {
  @Field(() => ChannelCodeEnum)
  channel!: ChannelCode;

  @Field(() => Int, { description: "0 closes the channel to operator-initiated contacts." })
  limit!: number;

  @Field(() => Int)
  windowDays!: number;
}

@ObjectType({ description: "At most `limit` contacts on these channels together within any rolling `windowDays` days." })
export class OverallCap {
  @Field(() => [ChannelCodeEnum])
  channels!: ChannelCode[];

  @Field(() => Int)
  limit!: number;

  @Field(() => Int)
  windowDays!: number;
}

@ObjectType({ description: "No operator-initiated contact on these channels between `start` and `end` local time (wraps midnight when start > end)." })
export class QuietHours {
  @Field(() => String, { description: '"HH:MM", e.g. "21:00".' })
  start!: string;

  @Field(() => String, { description: '"HH:MM", e.g. "08:00".' })
  end!: string;

  @Field(() => String, { description: 'IANA time zone, e.g. "Asia/Shanghai".' })
  timeZone!: string;

  @Field(() => [ChannelCodeEnum])
  channels!: ChannelCode[];
}

@ObjectType({ description: "The contact policy (接触策略) every decision respects: do-not-disturb, frequency caps, quiet hours, cool-downs, channel order." })
export class ContactPolicy {
  @Field(() => Int, { description: "0 is the built-in default; each change adds 1." })
  version!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  updatedAt!: Date | null;

  @Field(() => String, { nullable: true, description: "Who proposed the change that made this version." })
  updatedBy!: string | null;

  @Field(() => ID, { nullable: true, description: "The approved change that made this version (see the change query); null for the default." })
  changeId!: string | null;

  @Field(() => [ChannelCodeEnum], { description: "Channels never used for customers on the do-not-disturb red list. The black list excludes a customer from every channel." })
  redListChannels!: ChannelCode[];

  @Field(() => [ChannelCap], { description: "Per-channel caps; channels not listed are not capped." })
  channelCaps!: ChannelCap[];

  @Field(() => OverallCap, { nullable: true, description: "A cap over several channels together; null when there is none." })
  overallCap!: OverallCap | null;

  @Field(() => QuietHours, { nullable: true, description: "null when there are none." })
  quietHours!: QuietHours | null;

  @Field(() => Int, { description: "Days an offer is not proposed again after the customer declined it (0 = not held back)." })
  declineCooldownDays!: number;

  @Field(() => Int, { description: "Ignores of one offer within `ignoreWindowDays` that hold it back for `ignoreCooldownDays`." })
  ignoreLimit!: number;

  @Field(() => Int)
  ignoreWindowDays!: number;

  @Field(() => Int)
  ignoreCooldownDays!: number;

  @Field(() => [ChannelCodeEnum], { description: "All channels, most preferred first." })
  channelPriority!: ChannelCode[];

  @Field(() => Boolean, { description: "The customer's preferred channels come before `channelPriority`." })
  honourPreference!: boolean;
}

@InputType({ description: "The cap of one channel; replaces that channel's current cap." })
export class ChannelCapInput {
  @Field(() => ChannelCodeEnum)
  channel!: ChannelCode;

  @Field(() => Int, { description: "0 to 1000." })
  limit!: number;

  @Field(() => Int, { description: "1 to 365." })
  windowDays!: number;
}

@InputType({ description: "Fields left out keep their current value." })
export class OverallCapInput {
  @Field(() => [ChannelCodeEnum], { nullable: true })
  channels?: ChannelCode[] | null;

  @Field(() => Int, { nullable: true, description: "0 to 1000." })
  limit?: number | null;

  @Field(() => Int, { nullable: true, description: "1 to 365." })
  windowDays?: number | null;
}

@InputType({ description: "Fields left out keep their current value." })
export class QuietHoursInput {
  @Field(() => String, { nullable: true, description: '"HH:MM", 00:00 to 23:59.' })
  start?: string | null;

  @Field(() => String, { nullable: true, description: '"HH:MM", 00:00 to 23:59; not equal to start.' })
  end?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. "Asia/Shanghai".' })
  timeZone?: string | null;

  @Field(() => [ChannelCodeEnum], { nullable: true })
  channels?: ChannelCode[] | null;
}

@InputType({ description: "A change to the contact policy: fields left out keep their current value." })
export class ContactPolicyInput {
  @Field(() => [ChannelCodeEnum], { nullable: true })
  redListChannels?: ChannelCode[] | null;

  @Field(() => [ChannelCapInput], { nullable: true, description: "Caps for the channels named; other channels keep theirs." })
  channelCaps?: ChannelCapInput[] | null;

  @Field(() => [ChannelCodeEnum], { nullable: true, description: "Channels whose cap is removed." })
  removeChannelCaps?: ChannelCode[] | null;

  @Field(() => OverallCapInput, { nullable: true, description: "Merged over the current overall cap; null removes it." })
  overallCap?: OverallCapInput | null;

  @Field(() => QuietHoursInput, { nullable: true, description: "Merged over the current quiet hours; null removes them." })
  quietHours?: QuietHoursInput | null;

  @Field(() => Int, { nullable: true, description: "0 to 365." })
  declineCooldownDays?: number | null;

  @Field(() => Int, { nullable: true, description: "1 to 100." })
  ignoreLimit?: number | null;

  @Field(() => Int, { nullable: true, description: "1 to 365." })
  ignoreWindowDays?: number | null;

  @Field(() => Int, { nullable: true, description: "0 to 365." })
  ignoreCooldownDays?: number | null;

  @Field(() => [ChannelCodeEnum], { nullable: true, description: "Most preferred first; channels left out follow in catalogue order." })
  channelPriority?: ChannelCode[] | null;

  @Field(() => Boolean, { nullable: true })
  honourPreference?: boolean | null;
}
