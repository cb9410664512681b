import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { PageInfo } from "./contact.type";
import { DateTimeScalar } from "./scalars";
import { SegmentMember } from "./segment.type";

@ObjectType({ description: "A segment's daily snapshot refresh." })
export class RefreshSchedule {
  @Field(() => Int, { description: "The hour of the day (0–23) the snapshot is taken, in `timezone`." })
  hour!: number;

  @Field(() => String, { description: 'An IANA time zone, e.g. "Asia/Shanghai".' })
  timezone!: string;
}

@ObjectType({ description: "A materialised segment: its members at one moment, kept durably (a bitmap of customer idx on the snapshot's node), paged and exported as CSV." })
export class SegmentSnapshot {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  segmentId!: string;

  @Field(() => String)
  segmentCode!: string;

  @Field(() => String, { description: "The segment's expression when the snapshot was taken." })
  expression!: string;

  @Field(() => String, { description: "The version of that expression (a hash of its text): snapshots of one version are comparable." })
  version!: string;

  @Field(() => String, { description: "MANUAL (materializeSegment) or SCHEDULE (the segment's refresh)." })
  trigger!: string;

  @Field(() => String, { description: "Who asked for it (a principal id, or `schedule`)." })
  requestedBy!: string;

  @Field(() => DateTimeScalar)
  takenAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => String, { description: "RUNNING, READY or FAILED." })
  state!: string;

  @Field(() => Float, { description: "0..1 by stage: queued 0, evaluating 0.2, storing 0.6, done 1." })
  progress!: number;

  @Field(() => Int, { description: "Members (0 until READY)." })
  size!: number;

  @Field(() => Int, { description: "Customers in the index when it was taken." })
  customers!: number;

  @Field(() => String, { nullable: true, description: "Why it FAILED." })
  error!: string | null;
}

@ObjectType()
export class SegmentSnapshotEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => SegmentSnapshot)
  node!: SegmentSnapshot;
}

@ObjectType({ description: "A segment's snapshots, newest first: its size over time." })
export class SegmentSnapshotConnection {
  @Field(() => [SegmentSnapshotEdge])
  edges!: SegmentSnapshotEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class SnapshotMemberEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => SegmentMember)
  node!: SegmentMember;
}

@ObjectType({ description: "A page of a snapshot's members in a stable order, within the asker's scope, masked unless it may see them whole." })
export class SnapshotMemberConnection {
  @Field(() => [SnapshotMemberEdge])
  edges!: SnapshotMemberEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
