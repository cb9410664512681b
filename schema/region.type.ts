import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({ description: "A place in the province: PROVINCE, CITY or DISTRICT." })
export class Region {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  level!: string;

  @Field(() => Region, { nullable: true, description: "The enclosing region (a district's city, a city's province)." })
  parent!: Region | null;
}
