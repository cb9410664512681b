import { Field, ID, ObjectType } from "type-graphql";
import { DateTimeScalar } from "./scalars";

@ObjectType({ description: "An open WebSocket session (a desk, an app, an internal feed) on some replica." })
export class Session {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: "The token's subject: an agent's login, the app's customer id, a service's name." })
  principalId!: string;

  @Field(() => [String])
  roles!: string[];

  @Field(() => String, { description: "The replica holding the socket." })
  replica!: string;

  @Field(() => DateTimeScalar)
  connectedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: "When its token expires (the socket is closed with 4403 then)." })
  expiresAt!: Date | null;
}

@ObjectType({ description: "A revocation: every token of the principal issued up to `revokedAt` is void on every replica." })
export class Revocation {
  @Field(() => ID)
  principalId!: string;

  @Field(() => DateTimeScalar)
  revokedAt!: Date;
}
