import { Field, ID, Int, ObjectType } from "type-graphql";
import { Channel } from "./channel.type";
import { ContactKindEnum, ResponseOutcomeEnum } from "./enums";
import { Product } from "./product.type";
import { DateTimeScalar } from "./scalars";
import type { ContactKind, ResponseOutcome } from "../src/domain/vocabulary";

@ObjectType({ description: "One entry of the contact trajectory (接触轨迹)." })
export class Contact {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => ContactKindEnum)
  kind!: ContactKind;

  @Field(() => String, { description: "A short human-readable summary." })
  summary!: string;

  @Field(() => Product, { nullable: true, description: "The product the contact was about, if any." })
  product!: Product | null;

  @Field(() => ResponseOutcomeEnum, { nullable: true, description: "How the customer answered, for offer responses." })
  outcome!: ResponseOutcome | null;
}

@ObjectType()
export class ContactEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to continue after this contact." })
  cursor!: string;

  @Field(() => Contact)
  node!: Contact;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of the trajectory, newest first." })
export class ContactConnection {
  @Field(() => [ContactEdge])
  edges!: ContactEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  // totalCount is a field resolver: counting the whole history is only done when asked for.
  @Field(() => Int, { description: "Contacts matching the filters, across all pages." })
  totalCount!: number;
}
