import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ChannelCode } from "../src/domain/vocabulary";
import type { EventType } from "../src/domain/events";
import { EVENT_TYPES } from "../src/domain/events";
import { ChannelCodeEnum, EventTypeEnum } from "./enums";
import { DateTimeScalar, JSONScalar } from "./scalars";

export const EventStatusEnum = { ACCEPTED: "ACCEPTED", DUPLICATE: "DUPLICATE", REJECTED: "REJECTED" } as const;
registerEnumType(EventStatusEnum, {
  name: "EventStatus",
  description: "What ingestEvents did with one event.",
  valuesConfig: {
    ACCEPTED: { description: "Queued durably; its pushes follow from whichever replica processes it." },
    DUPLICATE: { description: "An event with this id was received from you before (within 7 days); acknowledged, not processed again." },
    REJECTED: { description: "Not queued; `error` says why. The rest of the batch is unaffected." },
  },
});

@InputType({ description: "One event from a feed: location, usage, signalling, business acceptance, the contact centre." })
export class EventInput {
  @Field(() => ID, { description: "Unique per event among yours (each token's ids are its own namespace), 1–128 characters; a resend with the same id is recognised for 7 days and not processed twice." })
  id!: string;

  @Field(() => ID)
  customerId!: string;

  // Text rather than the EventType enum: an unknown type is that event's error, not the whole batch's.
  @Field(() => String, { description: `One of ${EVENT_TYPES.join(", ")}.` })
  type!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When it happened (default: when received). At most 5 minutes ahead, at most 7 days old." })
  at?: Date | null;

  @Field(() => JSONScalar, { nullable: true, description: 'The event\'s facts, e.g. {"percent": 92} for DATA_USAGE or {"agentId": "A1001"} for HOTLINE_CALL_START; see EventType.' })
  payload?: unknown;
}

@ObjectType({ description: "Why one event was rejected." })
export class EventError {
  @Field(() => String, { description: "BAD_USER_INPUT, NOT_FOUND, or FORBIDDEN (a customer outside the token's regions)." })
  code!: string;

  @Field(() => String, { description: "The field at fault, e.g. type, customerId, payload.percent." })
  field!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType()
export class IngestedEvent {
  @Field(() => Int, { description: "Position in the batch, from 0." })
  index!: number;

  @Field(() => String, { nullable: true, description: "The event's id, when it had one." })
  id!: string | null;

  @Field(() => EventStatusEnum)
  status!: keyof typeof EventStatusEnum;

  @Field(() => EventError, { nullable: true })
  error!: EventError | null;
}

@ObjectType({ description: "The outcome of an ingestEvents batch, per event in the order sent." })
export class IngestResult {
  @Field(() => Int)
  accepted!: number;

  @Field(() => Int)
  duplicates!: number;

  @Field(() => Int)
  rejected!: number;

  @Field(() => [IngestedEvent])
  events!: IngestedEvent[];
}

@ObjectType({ description: "The event behind a push." })
export class EventSummary {
  @Field(() => ID)
  id!: string;

  @Field(() => EventTypeEnum)
  type!: EventType;

  @Field(() => DateTimeScalar, { description: "When it happened, as the feed said." })
  at!: Date;

  @Field(() => DateTimeScalar, { description: "When the gateway accepted it (to the millisecond): the push's delay is measured from here." })
  acceptedAt!: Date;

  @Field(() => String, { description: "In words, e.g. 流量使用（流量已用% 92）." })
  summary!: string;
}

@ObjectType({ description: "The plan advice a plan-query push matches: the plan held, the plan advised for the customer's usage, and what the move saves." })
export class PushedPlanAdvice {
  @Field(() => ID)
  currentPlanId!: string;

  @Field(() => String)
  currentPlanName!: string;

  @Field(() => ID, { description: "The plan the offer is for." })
  advisedPlanId!: string;

  @Field(() => String)
  advisedPlanName!: string;

  @Field(() => Float, { description: "Yuan a month the advised plan saves at the customer's three-month average usage (fee plus overage)." })
  monthlySaving!: number;

  @Field(() => Float, { description: "Yuan a month on the current plan at that usage." })
  currentMonthlyTotal!: number;

  @Field(() => Float, { description: "Yuan a month on the advised plan at that usage." })
  advisedMonthlyTotal!: number;

  @Field(() => [String], { description: 'What the customer gets more of, e.g. "流量多5GB".' })
  gains!: string[];

  @Field(() => String, { description: "One sentence to show or read out." })
  summary!: string;
}

@ObjectType({ description: "An offer pushed to a customer because of an event. Its decision is in the customer's trajectory." })
export class LiveOffer {
  @Field(() => String, { description: "Pass the last cursor seen as `since` when reconnecting to receive what was missed." })
  cursor!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { description: "The customer's district." })
  regionId!: string;

  @Field(() => ChannelCodeEnum, { description: "The channel the offer goes out on." })
  channel!: ChannelCode;

  @Field(() => EventSummary)
  event!: EventSummary;

  @Field(() => PushedPlanAdvice, { nullable: true, description: "On a PLAN_QUERY push: the plan advice the offer matches. Null on other pushes." })
  advice?: PushedPlanAdvice | null;
}

@ObjectType({ description: "What an agent's desktop shows when a call connects: the caller and the offers to make." })
export class DeskUpdate {
  @Field(() => String, { description: "Pass the last cursor seen as `since` when reconnecting." })
  cursor!: string;

  @Field(() => ID)
  agentId!: string;

  @Field(() => String, { nullable: true })
  callId!: string | null;

  @Field(() => ID)
  customerId!: string;


  @Field(() => EventSummary)
  event!: EventSummary;
}

@ObjectType({ description: "An event that could not be processed, set aside with its error for an operator." })
export class ParkedEvent {
  @Field(() => ID, { description: "Quote it in retryParkedEvents once the cause is fixed." })
  parkedId!: string;

  @Field(() => String, { description: 'Who sent it: "token:<subject>" for ingestEvents, the name a feed gave, or "stream". Event ids are unique per source.' })
  source!: string;

  @Field(() => String, { nullable: true })
  eventId!: string | null;

  @Field(() => String, { nullable: true })
  customerId!: string | null;

  @Field(() => String, { nullable: true })
  type!: string | null;

  @Field(() => String, { nullable: true, description: "As received (ISO 8601 text)." })
  at!: string | null;

  @Field(() => String, { nullable: true, description: "As received (JSON text)." })
  payload!: string | null;

  @Field(() => String)
  error!: string;

  @Field(() => Int, { description: "Processing attempts made (0: refused without trying, e.g. a malformed payload)." })
  attempts!: number;

  @Field(() => DateTimeScalar)
  parkedAt!: Date;
}

@ObjectType({ description: "The event pipeline's state, for operators." })
export class EventPipeline {
  @Field(() => Int, { description: "Entries in the event stream (processed ones are trimmed every 10 s)." })
  streamLength!: number;

  @Field(() => Int, { description: "Delivered to a replica but not finished (in flight, failed awaiting retry, or with a dead replica awaiting claim)." })
  pending!: number;

  @Field(() => Int, { nullable: true, description: "Entries not yet delivered to any replica." })
  lag!: number | null;

  @Field(() => Int, { description: "Replicas that have consumed from the stream." })
  consumers!: number;

  @Field(() => Int)
  parked!: number;

  @Field(() => Int, { description: "Open subscriptions on the replica that answered." })
  openSubscriptions!: number;
}
