import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { DateTimeScalar, JSONScalar } from "./scalars";

@ObjectType({ description: "One bucket of a distribution: a value (text, true/false, a category) or an interval of numbers, [from, to) and the last [from, to]." })
export class DistributionBucket {
  @Field(() => String, { description: 'The value, or the interval as "[from, to)".' })
  label!: string;

  @Field(() => String, { nullable: true, description: "The value (value buckets); null for intervals and OTHER." })
  value!: string | null;

  @Field(() => Float, { nullable: true })
  from!: number | null;

  @Field(() => Float, { nullable: true })
  to!: number | null;

  @Field(() => Boolean, { description: "The interval includes `to` (the last one does)." })
  toInclusive!: boolean;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: "How a preview's members spread over an attribute or a tag. The buckets, `below`, `above` and `missing` add up to `total`." })
export class SegmentDistribution {
  @Field(() => String, { description: "The attribute's name or the tag's code." })
  indicator!: string;

  @Field(() => String, { description: "ATTRIBUTE or TAG." })
  kind!: string;

  @Field(() => String, { description: "VALUES (a bucket per value) or INTERVALS (numbers)." })
  type!: string;

  @Field(() => [DistributionBucket])
  buckets!: unknown[];

  @Field(() => Int, { description: "Members with a number below the first bound (given bounds only)." })
  below!: number;

  @Field(() => Int, { description: "Members with a number above the last bound (given bounds only)." })
  above!: number;

  @Field(() => Int, { description: "Members without a value (a tag they do not carry, an unknown attribute)." })
  missing!: number;

  @Field(() => Int, { description: "The preview's members." })
  total!: number;
}

@ObjectType({ description: "A member of a preview's sample, masked unless the asker may see the customer whole (a MARKETER never does)." })
export class SegmentMember {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  msisdn!: string;

  @Field(() => Boolean, { description: "Name and number are masked." })
  masked!: boolean;

  @Field(() => String)
  regionId!: string;

  @Field(() => String, { description: "Market (INDIVIDUAL, FAMILY, ENTERPRISE)." })
  segment!: string;

  @Field(() => String)
  valueTier!: string;

  @Field(() => String)
  lifecycleStage!: string;

  @Field(() => Float)
  arpu!: number;
}

@ObjectType({
  description:
    "A segment sized at once, over every customer, without saving anything: its members are kept a minute for its distributions and sample. Tags, attributes and holdings are as they are now (kept within a second of a change); trajectory windows end at `asOf`.",
})
export class SegmentPreview {
  @Field(() => String, { description: "The canonical text of what was sized." })
  expression!: string;

  @Field(() => JSONScalar, { description: "Its JSON form, as a visual builder edits it." })
  json!: unknown;

  @Field(() => Int, { description: "Customers in the segment." })
  count!: number;

  @Field(() => Int, { description: "Customers in all." })
  customers!: number;

  @Field(() => Float, { description: "count / customers, 0..1." })
  share!: number;

  @Field(() => DateTimeScalar, { description: "The moment trajectory windows (`complained(48h)`) were measured back from." })
  asOf!: Date;
}

@ObjectType({ description: "A build of the segment index under way." })
export class SegmentIndexBuild {
  @Field(() => Int)
  generation!: number;

  @Field(() => DateTimeScalar)
  startedAt!: Date;

  @Field(() => Int, { description: "Customers read so far." })
  done!: number;

  @Field(() => Int, { description: "Customers to read." })
  total!: number;
}

@ObjectType({ description: "The segment index: the bitmaps previews are sized on, their build and its progress." })
export class SegmentIndexStatus {
  @Field(() => String, { description: "READY (served; a rebuild may run: `building`), BUILDING (the first build), MISSING, or FAILED." })
  state!: string;

  @Field(() => Int, { nullable: true, description: "The generation served." })
  generation!: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  builtAt!: Date | null;

  @Field(() => Int, { nullable: true, description: "Customers in the generation served, when it was built." })
  customers!: number | null;

  @Field(() => SegmentIndexBuild, { nullable: true })
  building!: SegmentIndexBuild | null;

  @Field(() => String, { nullable: true, description: "Why the last build failed." })
  error!: string | null;
}
