import { ArgsType, Field, Int } from "type-graphql";
import { ChannelCodeEnum } from "./enums";
import { DateTimeScalar } from "./scalars";
import type { ChannelCode } from "../src/domain/vocabulary";

/** Arguments of Customer.contacts, in the contract's order. */
@ArgsType()
export class ContactsArgs {
  @Field(() => Int, { defaultValue: 20, description: "Page size, 1 to 100." })
  first!: number;

  @Field(() => String, { nullable: true, description: "A cursor from a previous page: continue after that contact." })
  after?: string | null;

  @Field(() => [ChannelCodeEnum], { nullable: true, description: "Only contacts on these channels." })
  channels?: ChannelCode[] | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Only contacts at or after this time." })
  since?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Only contacts at or before this time." })
  until?: Date | null;
}
