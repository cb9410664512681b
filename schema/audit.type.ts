import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { AUDIT_KINDS, OPERATION_TYPES, TRANSPORTS, type AuditKind, type OperationType, type Transport } from "../src/audit/entry";
import { PageInfo } from "./contact.type";
import { DateTimeScalar, JSONScalar } from "./scalars";

function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const AuditKindEnum = enumOf<AuditKind>(AUDIT_KINDS);
registerEnumType(AuditKindEnum, {
  name: "AuditKind",
  valuesConfig: {
    READ: { description: "Someone read a customer's personal data (one entry per operation, or per push, and customer)." },
    CHANGE: { description: "Someone changed configuration or a customer's record (a strategy, the contact policy, an offer's answer, …)." },
  },
});

export const TransportEnum = enumOf<Transport>(TRANSPORTS);
registerEnumType(TransportEnum, { name: "Transport", description: "How the operation reached the gateway." });

export const OperationTypeEnum = enumOf<OperationType>(OPERATION_TYPES);
registerEnumType(OperationTypeEnum, { name: "OperationType", description: "The GraphQL operation type." });

@InputType({ description: "What to narrow the audit trail to; every filter given must hold." })
export class AuditFilterInput {
  @Field(() => String, { nullable: true, description: "Who: the token's subject (an agent's login, a service's name)." })
  principalId?: string | null;

  @Field(() => ID, { nullable: true, description: "Whose data was read, or which customer a change was about." })
  customerId?: string | null;

  @Field(() => AuditKindEnum, { nullable: true })
  kind?: AuditKind | null;

  @Field(() => String, { nullable: true, description: 'The GraphQL operation name as the client sent it ("anonymous operation" for unnamed documents).' })
  operation?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "CHANGE entries of one action: what an approval applied (createStrategy, updateOffer, retireOffer, createSegment, setContactPolicy, …), the approval process (proposeChange, approveChange, rejectChange, withdrawChange), or a direct change (respondToOffer, retryParkedEvents, revokeSessions).",
  })
  action?: string | null;

  @Field(() => ID, { nullable: true, description: "Every entry of one proposed change (an id of pendingChanges): its proposal, its decision and, once approved, what it applied." })
  changeId?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Entries at or after this time." })
  since?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Entries at or before this time." })
  until?: Date | null;
}

@ObjectType({ description: "One line of the audit trail: a read of one customer's personal data, or one change." })
export class AuditEntry {
  @Field(() => ID)
  id!: string;

  @Field(() => AuditKindEnum)
  kind!: AuditKind;

  @Field(() => DateTimeScalar, { description: "When the answer (or the push) went out." })
  at!: Date;

  @Field(() => String, { description: "Who: the token's subject." })
  principalId!: string;

  @Field(() => [String], { description: "The roles the token held." })
  principalRoles!: string[];

  @Field(() => String, { description: 'The operation name, or "anonymous operation".' })
  operation!: string;

  @Field(() => OperationTypeEnum)
  operationType!: OperationType;

  @Field(() => TransportEnum)
  transport!: Transport;

  @Field(() => String, { nullable: true, description: "For pushes: the subscription that rendered the customer (deskFeed, liveOffers, offerFeed)." })
  subscription!: string | null;

  @Field(() => ID, { nullable: true, description: "READ: whose data. CHANGE: the customer the change is about, if any." })
  customerId!: string | null;

  @Field(() => [String], { description: 'READ: the personal fields read, as GraphQL field names ("name", "msisdn", "contacts"; other types\' as "Decision.reasons"). Empty for CHANGE.' })
  fields!: string[];

  @Field(() => Boolean, { description: "READ: the whole phone number was shown, not the masked one." })
  msisdnUnmasked!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      "CHANGE: what was done. Applied by an approval: createStrategy, updateOffer, retireOffer, updateSegment, setContactPolicy, … (the entry's principal approved it, `proposedBy` proposed it). The approval process itself: proposeChange, approveChange, rejectChange, withdrawChange (target: the Change). Made directly: respondToOffer, retryParkedEvents, revokeSessions.",
  })
  action!: string | null;

  @Field(() => String, { nullable: true, description: "CHANGE: the kind of thing changed (Strategy, Offer, Segment, ContactPolicy, Change, Decision, ParkedEvent, Principal)." })
  targetType!: string | null;

  @Field(() => ID, { nullable: true, description: "CHANGE: its id." })
  targetId!: string | null;

  @Field(() => ID, { nullable: true, description: "CHANGE under maker-checker: the proposed change (CH…) this entry proposes, decides or applies; null for a change made directly." })
  changeId!: string | null;

  @Field(() => String, { nullable: true, description: "CHANGE under maker-checker: who proposed the change (the entry's principal proposed, decided or, for an applied change, approved it)." })
  proposedBy!: string | null;

  @Field(() => JSONScalar, { nullable: true, description: "CHANGE: the target before (null: it did not exist)." })
  before!: unknown;

  @Field(() => JSONScalar, { nullable: true, description: "CHANGE: the target after." })
  after!: unknown;
}

@ObjectType()
export class AuditEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to continue after this entry." })
  cursor!: string;

  @Field(() => AuditEntry)
  node!: AuditEntry;
}

@ObjectType({ description: "A page of the audit trail, newest first." })
export class AuditConnection {
  @Field(() => [AuditEdge])
  edges!: AuditEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
