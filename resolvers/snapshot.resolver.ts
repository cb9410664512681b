import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Segment } from "../schema/marketing.type";
import { RefreshSchedule, SegmentSnapshot, SegmentSnapshotConnection, SnapshotMemberConnection } from "../schema/snapshot.type";
import type { GatewayContext } from "../src/server/context";
import type { SegmentRecord } from "../src/graph/marketing";
import type { MemberConnection, RefreshSchedule as ScheduleRecord, SnapshotConnection, SnapshotRecord } from "../src/marketing/snapshots/service";
import { NotFoundError } from "../src/platform/errors";

@Resolver(() => SegmentSnapshot)
export class SegmentSnapshotResolver {
  @Query(() => SegmentSnapshot, { nullable: true, description: "One segment snapshot (null: no such snapshot; old ones are pruned beyond the newest 30 per segment)." })
  segmentSnapshot(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SnapshotRecord | null> {
    return ctx.snapshots.snapshot(ctx, id);
  }

  @Mutation(() => SegmentSnapshot, {
    description:
      "Takes a snapshot of a segment's members now, in the background: answers RUNNING at once; read `segmentSnapshot(id)` for its progress until READY. Its members are then fixed (campaigns target it; /exports/snapshots/<id>.csv exports it).",
  })
  materializeSegment(@Arg("segmentId", () => ID) segmentId: string, @Ctx() ctx: GatewayContext): Promise<SnapshotRecord> {
    return ctx.snapshots.materialize(ctx, segmentId);
  }

  @FieldResolver(() => SnapshotMemberConnection, { description: "Members in a stable order (`first` 1 to 500), within the asker's scope, masked unless it may see them whole. BAD_USER_INPUT until READY." })
  members(
    @Root() s: SnapshotRecord,
    @Ctx() ctx: GatewayContext,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<MemberConnection> {
    return ctx.snapshots.members(ctx, s.id, first, after ?? null);
  }
}

@Resolver(() => Segment)
export class SegmentSnapshotsResolver {
  @FieldResolver(() => SegmentSnapshotConnection, { description: "The segment's snapshots newest first (`first` 1 to 100): its size over time." })
  snapshots(
    @Root() g: SegmentRecord,
    @Ctx() ctx: GatewayContext,
    @Arg("first", () => Int, { defaultValue: 30 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<SnapshotConnection> {
    return ctx.snapshots.history(ctx, g.id, first, after ?? null);
  }

  @FieldResolver(() => RefreshSchedule, { nullable: true, description: "The daily snapshot refresh, or null for none." })
  refreshSchedule(@Root() g: SegmentRecord, @Ctx() ctx: GatewayContext): Promise<ScheduleRecord | null> {
    return ctx.snapshots.schedule(ctx, g.id);
  }

  @Mutation(() => Segment, {
    description:
      "Sets the segment's daily snapshot refresh: `hour` (0–23) in `timezone` (default Asia/Shanghai), or `hour: null` for none. One refresh per segment across replicas. Operational, so no approval: it changes no one's offers.",
  })
  async setSegmentRefresh(
    @Arg("segmentId", () => ID) segmentId: string,
    @Arg("hour", () => Int, { nullable: true }) hour: number | null,
    @Ctx() ctx: GatewayContext,
    @Arg("timezone", () => String, { nullable: true }) timezone?: string | null,
  ): Promise<SegmentRecord> {
    await ctx.snapshots.setSchedule(ctx, segmentId, hour ?? null, timezone ?? null);
    const segment = await ctx.marketing.segment(segmentId);
    if (!segment) throw new NotFoundError(`There is no segment with id ${segmentId}; see the segments query.`);
    return segment;
  }
}
