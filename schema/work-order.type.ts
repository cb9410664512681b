import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { PageInfo } from "./contact.type";
import { ChannelCodeEnum, ContactKindEnum } from "./enums";
import { DateTimeScalar } from "./scalars";
import { TEAMS, WORK_ORDER_FEEDBACK, WORK_ORDER_KINDS, WORK_ORDER_STATUSES, type Team, type WorkOrderFeedback, type WorkOrderKind, type WorkOrderStatus } from "../src/domain/campaigns";
import type { ChannelCode, ContactKind } from "../src/domain/vocabulary";

function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const WorkOrderKindEnum = enumOf<WorkOrderKind>(WORK_ORDER_KINDS);
export const WorkOrderStatusEnum = enumOf<WorkOrderStatus>(WORK_ORDER_STATUSES);
export const WorkOrderFeedbackEnum = enumOf<WorkOrderFeedback>(WORK_ORDER_FEEDBACK);
export const TeamEnum = enumOf<Team>(TEAMS);

registerEnumType(WorkOrderKindEnum, { name: "WorkOrderKind", description: "What a person does for a decision: OUTBOUND_CALL (team OUTBOUND), STORE_VISIT (team STORE), ACCOUNT_MANAGER (team ACCOUNT_MANAGER)." });
registerEnumType(WorkOrderStatusEnum, { name: "WorkOrderStatus", description: "OPEN in the pool, CLAIMED by an agent until its due time, DONE once the customer answered, CANCELLED." });
registerEnumType(WorkOrderFeedbackEnum, {
  name: "WorkOrderFeedback",
  description: "ACCEPTED/DECLINED answer the decision (as respondToOffer); REACHED notes a contact without an answer; NOT_REACHED returns the order to the pool; CALL_BACK keeps it, due at `callBackAt`.",
});
registerEnumType(TeamEnum, { name: "Team", description: "A work-order team (the token's `teams` claim)." });

@ObjectType({ description: "A work order (工单): an outbound call, store visit or account-manager follow-up for one decision, in the shared pool." })
export class WorkOrder {
  @Field(() => ID)
  id!: string;

  @Field(() => WorkOrderKindEnum)
  kind!: WorkOrderKind;

  @Field(() => TeamEnum, { description: "The team whose agents may claim it." })
  team!: Team;

  @Field(() => WorkOrderStatusEnum, { description: "As of now: a claim past its due time reads OPEN (back in the pool)." })
  status!: WorkOrderStatus;

  @Field(() => ID)
  decisionId!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { description: "The customer's district: agents whose regions cover it may claim the order." })
  regionId!: string;

  @Field(() => ID, { nullable: true, description: "The campaign and wave that opened it; null when dispatched by hand." })
  campaignId!: string | null;

  @Field(() => ID, { nullable: true })
  waveId!: string | null;

  @Field(() => String, { description: "What the agent says: the offer's creative for the order's channel." })
  script!: string;

  @Field(() => DateTimeScalar, { description: "When it is due; a claim holds until then." })
  dueAt!: Date;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => String, { nullable: true, description: "Who opened it: a principal id, or system:campaign-waves." })
  createdBy!: string | null;

  @Field(() => String, { nullable: true, description: "The agent holding it (CLAIMED) or who finished it (DONE)." })
  claimedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  claimedAt!: Date | null;

  @Field(() => WorkOrderFeedbackEnum, { nullable: true, description: "The last report on it." })
  feedback!: WorkOrderFeedback | null;

  @Field(() => DateTimeScalar, { nullable: true })
  feedbackAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  callBackAt!: Date | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => Int, { description: "How many times it went back to the pool (not reached, or its claim lapsed)." })
  reassignments!: number;
}

@ObjectType()
export class WorkOrderEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to continue after this order." })
  cursor!: string;

  @Field(() => WorkOrder)
  node!: WorkOrder;
}

@ObjectType({ description: "A page of work orders, earliest due first." })
export class WorkOrderConnection {
  @Field(() => [WorkOrderEdge])
  edges!: WorkOrderEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: "An interaction an agent or a system records in a customer's trajectory (recordInteraction)." })
export class InteractionInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => ContactKindEnum, { description: "CONSULTATION, COMPLAINT or NOTE." })
  kind!: ContactKind;

  @Field(() => ChannelCodeEnum, { description: "Where it happened: HOTLINE, STORE, OUTBOUND_CALL, …" })
  channel!: ChannelCode;

  @Field(() => String, { description: "What happened, 1 to 500 characters." })
  summary!: string;

  @Field(() => ID, { nullable: true, description: "The product it was about." })
  productId?: string | null;

  @Field(() => ID, { nullable: true, description: "The decision it relates to (one of the customer's)." })
  decisionId?: string | null;

  @Field(() => ID, { nullable: true, description: "The work order it relates to (one of the customer's)." })
  workOrderId?: string | null;
}
