import { Field, ID, Int, ObjectType } from "type-graphql";
import { ChangeActionEnum, ChangeKindEnum, ChangeStatusEnum } from "./enums";
import { PageInfo } from "./contact.type";
import { DateTimeScalar } from "./scalars";
import type { ChangeAction, ChangeKind, ChangeStatus } from "../src/domain/vocabulary";

@ObjectType({
  description:
    "A proposed change to something that reaches customers (maker-checker): stored PENDING by the mutation that proposed it (createOffer, updateStrategy, setContactPolicy, …) and applied only when a second principal approves it (approveChange). Its author can never approve it.",
})
export class Change {
  @Field(() => ID, { description: "Sorts in submission order." })
  id!: string;

  @Field(() => ChangeKindEnum)
  kind!: ChangeKind;

  @Field(() => ID, { description: "The target's id (for a CREATE, the id reserved for it); for CONTACT_POLICY, the key of the deployment's policy." })
  targetId!: string;

  @Field(() => ChangeActionEnum)
  action!: ChangeAction;

  // payload: a field resolver (resolvers/approval.resolver.ts) parses the stored JSON.

  @Field(() => String, { description: "Who proposed it (the token's subject)." })
  author!: string;

  @Field(() => DateTimeScalar)
  submittedAt!: Date;

  @Field(() => ChangeStatusEnum)
  status!: ChangeStatus;

  @Field(() => String, { nullable: true, description: "Who approved or rejected it (or the author, for WITHDRAWN); null while PENDING." })
  decidedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: "The reason given with the decision (required for a rejection)." })
  reason!: string | null;
}

@ObjectType()
export class ChangeEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to continue after this change." })
  cursor!: string;

  @Field(() => Change)
  node!: Change;
}

@ObjectType({ description: "A page of changes in submission order, the oldest first (the approval queue's order)." })
export class ChangeConnection {
  @Field(() => [ChangeEdge])
  edges!: ChangeEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "Changes matching the filters, across all pages." })
  totalCount!: number;
}
