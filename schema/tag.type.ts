import { Field, Float, ID, ObjectType } from "type-graphql";
import { DateTimeScalar } from "./scalars";

@ObjectType({ description: "A published tag of the three-level tag library (标签库)." })
export class Tag {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String, { description: "Level-3 name." })
  name!: string;

  @Field(() => String)
  level1!: string;

  @Field(() => String)
  level2!: string;

  @Field(() => String, { description: "The statistical definition (统计口径)." })
  definition!: string;

  @Field(() => String, { description: "FLAG, CATEGORY or SCORE." })
  valueType!: string;
}

@ObjectType({ description: "A tag as it applies to one customer." })
export class CustomerTag {
  @Field(() => Tag)
  tag!: Tag;

  @Field(() => String, { nullable: true, description: "The tag's value for this customer (category or flag)." })
  value!: string | null;

  @Field(() => Float, { nullable: true, description: "Strength or score in [0,1] where the tag has one." })
  score!: number | null;

  @Field(() => DateTimeScalar, { description: "When the tag was last computed for this customer." })
  at!: Date;
}
