import { Field, ObjectType } from "type-graphql";
import { ChannelCodeEnum } from "./enums";
import type { ChannelCode } from "../src/domain/vocabulary";

@ObjectType({ description: "A contact channel (触点)." })
export class Channel {
  @Field(() => ChannelCodeEnum)
  code!: ChannelCode;

  @Field(() => String)
  name!: string;

  @Field(() => Boolean, { description: "The operator initiates the contact (SMS, outbound call); the do-not-disturb red list blocks these." })
  outbound!: boolean;

  @Field(() => Boolean, { description: "A person speaks with the customer and reads a script." })
  hasAgent!: boolean;

  @Field(() => Boolean, { description: "Can be pushed to without the customer asking." })
  push!: boolean;
}
