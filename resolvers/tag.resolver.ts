import { Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { DateTimeScalar } from "../schema/scalars";
import { Change } from "../schema/approval.type";
import { IndicatorKindEnum } from "../schema/enums";
import { Segment } from "../schema/marketing.type";
import { Region } from "../schema/region.type";
import { TagEditInput, TagFilterInput, TagInput, TagPromotionInput, TagValueInput } from "../schema/tag.inputs";
import { IndicatorHit, LibraryTag, LibraryTagConnection, TagEvaluation, TagImpact, TagImportResult, TagLogEntry, TagRemovalResult, TagRule, TagRun, TagVersion } from "../schema/tag.type";
import type { TagRunRecord } from "../src/graph/tag-runs";
import { parseRule, type TagRule as TagRuleRecord } from "../src/tags/rules";
import type { ChangeRecord } from "../src/approval/service";
import type { RegionView } from "../src/customer360/customer";
import type { SegmentRecord } from "../src/graph/marketing";
import type { LibraryTagRecord, TagLogRecord, TagVersionRecord } from "../src/graph/tags";
import type { GatewayContext } from "../src/server/context";
import type { IndicatorHit as IndicatorHitRecord, IndicatorKind, TagConnectionRoot, TagEvaluationRecord, TagImpact as TagImpactRecord } from "../src/tags/service";

/** A tag as a proposing mutation returns it (with the change it proposed) or a query (as it is). */
type Maybe = LibraryTagRecord & { pendingChange?: ChangeRecord };

/** Drops the fields an input left out, so "unchanged" and "cleared" (null) stay apart. */
function given<T extends object>(input: T): T {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as T;
}

@Resolver(() => LibraryTag)
export class TagLibraryResolver {
  @Query(() => LibraryTagConnection, { description: "The tag library (标签库), in taxonomy order, filtered by status, taxonomy, scope, value type and text." })
  tags(
    @Ctx() ctx: GatewayContext,
    @Arg("filter", () => TagFilterInput, { nullable: true }) filter?: TagFilterInput | null,
    @Arg("first", () => Int, { defaultValue: 20, description: "1 to 100." }) first = 20,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<TagConnectionRoot> {
    return ctx.tags.library(ctx, given({ ...filter }), first, after ?? null);
  }

  @Query(() => LibraryTag, { nullable: true, description: "One tag of the library, by id or by code (give one); null when there is none." })
  tag(@Ctx() ctx: GatewayContext, @Arg("id", () => ID, { nullable: true }) id?: string | null, @Arg("code", () => String, { nullable: true }) code?: string | null): Promise<LibraryTagRecord | null> {
    return ctx.tags.tag(ctx, { id: id ?? null, code: code ?? null });
  }

  @Query(() => TagImpact, { description: "What uses a tag (segments, the strategies targeting them, their offers) as a lineage graph: what stops if it goes offline. NOT_FOUND for an unknown tag." })
  tagImpact(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<{ tag: LibraryTagRecord } & TagImpactRecord> {
    return ctx.tags.impact(ctx, id);
  }

  @Query(() => [IndicatorHit], {
    description:
      "Indicator search for a segment builder: tags (code, name, definition, taxonomy), category values, customer attributes and their values, Chinese included, best first (an exact code, then an exact name or value, then relevance). Only what a segment may use now unless `includeUnserved`.",
  })
  searchIndicators(
    @Arg("text", () => String, { description: "What was typed: part of a code, a Chinese name, a definition, a value; words separated by spaces must all match." }) text: string,
    @Ctx() ctx: GatewayContext,
    @Arg("first", () => Int, { defaultValue: 20, description: "1 to 50." }) first = 20,
    @Arg("kinds", () => [IndicatorKindEnum], { nullable: true, description: "Only hits of these kinds." }) kinds?: IndicatorKind[] | null,
    @Arg("includeUnserved", () => Boolean, { defaultValue: false, description: "Also tags that are not published (drafts, offline), marked `usable: false`: for the library, not for builders." })
    includeUnserved = false,
  ): Promise<IndicatorHitRecord[]> {
    return ctx.tags.search(ctx, { text, first, kinds: kinds ?? null, includeUnserved });
  }

  @Mutation(() => LibraryTag, { description: "Creates a tag as a DRAFT (version 1, yours to edit); nothing is served until it is submitted, approved and published." })
  createTag(@Arg("input", () => TagInput) input: TagInput, @Ctx() ctx: GatewayContext): Promise<LibraryTagRecord> {
    return ctx.tags.create(ctx, given({ ...input }));
  }

  @Mutation(() => LibraryTag, {
    description:
      "Edits a tag: the draft gets the fields given; a published tag gets a new DRAFT version (`openVersion`) and keeps serving its published one until that is published. CONFLICT while a version awaits approval.",
  })
  updateTag(@Arg("id", () => ID) id: string, @Arg("input", () => TagEditInput) input: TagEditInput, @Ctx() ctx: GatewayContext): Promise<LibraryTagRecord> {
    return ctx.tags.update(ctx, id, given({ ...input }));
  }

  @Mutation(() => LibraryTag, {
    description: "Submits the draft for approval (maker-checker): an APPROVER who neither submitted nor edited it approves it (approveChange). Returns the tag with `pendingChange`.",
  })
  submitTag(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext, @Arg("note", () => String, { nullable: true }) note?: string | null): Promise<LibraryTagRecord & { pendingChange: ChangeRecord }> {
    return ctx.tags.submit(ctx, id, note);
  }

  @Mutation(() => LibraryTag, {
    description:
      "Publishes the approved version: it replaces the version served at once, on every replica (the unified view, segments and decisions use it), and the publish log records who, when, which version and which approval.",
  })
  publishTag(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<LibraryTagRecord> {
    return ctx.tags.publish(ctx, id);
  }

  @Mutation(() => LibraryTag, {
    description: "Proposes a published CITY tag for the whole province: a new version (scope PROVINCE) submitted for approval at once, then published with publishTag. Returns the tag with `pendingChange`.",
  })
  promoteTag(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: GatewayContext,
    @Arg("input", () => TagPromotionInput, { nullable: true }) input?: TagPromotionInput | null,
  ): Promise<LibraryTagRecord & { pendingChange: ChangeRecord }> {
    return ctx.tags.promote(ctx, id, given({ ...input }));
  }

  @Mutation(() => LibraryTag, {
    description:
      "Proposes taking a published tag offline (see tagImpact first); once an APPROVER approves it, every replica stops serving it at once: customers' views drop it, segments naming it match nobody (flagged in `Segment.unservedTags`) and their strategies pause. Returns the tag with `pendingChange`.",
  })
  offlineTag(@Arg("id", () => ID) id: string, @Arg("reason", () => String) reason: string, @Ctx() ctx: GatewayContext): Promise<LibraryTagRecord & { pendingChange: ChangeRecord }> {
    return ctx.tags.offline(ctx, id, reason);
  }

  @Mutation(() => [LibraryTag], {
    description:
      "Recomputes tags' statistics from their customers (coverage, refresh time, category values for the search): the given tags, up to 20 (each reads its holders). For the jobs that compute tags, after each tag's run.",
  })
  refreshTagStatistics(@Ctx() ctx: GatewayContext, @Arg("ids", () => [ID]) ids: string[]): Promise<LibraryTagRecord[]> {
    return ctx.tags.refreshStatistics(ctx, ids);
  }

  @Mutation(() => TagRun, {
    description:
      "Runs a published RULE tag now over every customer (a job on the queue: progress in `Tag.lastRun`); while a run of the tag is queued or running, answers that run instead of starting another. CONFLICT for a tag not published (an offline tag never runs).",
  })
  runTag(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<TagRunRecord> {
    return ctx.tagJobs.runTag(ctx, id);
  }

  @Query(() => TagRun, { nullable: true, description: "One run of a rule tag, by id (as runTag answered it); null when there is none." })
  tagRun(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<TagRunRecord | null> {
    return ctx.tagJobs.run(ctx, id);
  }

  @Mutation(() => TagImportResult, {
    description:
      "Sets listed customers' values of an IMPORTED tag: up to 10,000 rows a call, all or nothing (a bad row is named by its index in `values`, and nothing is written). Send larger imports in batches.",
  })
  importTagValues(
    @Arg("tagId", () => ID) tagId: string,
    @Arg("values", () => [TagValueInput]) values: TagValueInput[],
    @Ctx() ctx: GatewayContext,
  ): Promise<{ tag: LibraryTagRecord; rows: number; added: number; updated: number }> {
    return ctx.tagJobs.importValues(ctx, tagId, values);
  }

  @Mutation(() => TagRemovalResult, { description: "Removes listed customers' values of an IMPORTED tag (up to 10,000 ids a call)." })
  removeTagValues(@Arg("tagId", () => ID) tagId: string, @Arg("customerIds", () => [ID]) customerIds: string[], @Ctx() ctx: GatewayContext): Promise<{ tag: LibraryTagRecord; removed: number }> {
    return ctx.tagJobs.removeValues(ctx, tagId, customerIds);
  }

  @FieldResolver(() => TagRule, { nullable: true, description: "A RULE tag's rule as served (the published version's: the one that runs)." })
  rule(@Root() t: LibraryTagRecord): TagRuleRecord | null {
    return parseRule(t.rule);
  }

  @FieldResolver(() => TagRun, { nullable: true, description: "The latest run of a RULE tag (queued, running with its progress, or finished); null before its first." })
  lastRun(@Root() t: LibraryTagRecord, @Ctx() ctx: GatewayContext): Promise<TagRunRecord | null> {
    return ctx.tagJobs.lastRun(ctx, t.id);
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: "When the daily run of this published RULE tag is due next; null when it has none (not a published rule tag)." })
  nextRunAt(@Root() t: LibraryTagRecord, @Ctx() ctx: GatewayContext): Promise<Date | null> | null {
    return t.status === "PUBLISHED" && t.source === "RULE" ? ctx.tagJobs.nextRunAt(t.id) : null;
  }

  @FieldResolver(() => Region, { nullable: true, description: "The city of a CITY tag." })
  region(@Root() t: LibraryTagRecord, @Ctx() ctx: GatewayContext): Promise<RegionView> | null {
    return t.regionId ? ctx.tags.region(t.regionId) : null;
  }

  @FieldResolver(() => TagVersion, { nullable: true, description: "The version being worked on: a DRAFT, one awaiting approval, or one approved and awaiting publication." })
  openVersion(@Root() t: LibraryTagRecord, @Ctx() ctx: GatewayContext): Promise<TagVersionRecord | null> {
    return ctx.tags.openVersion(ctx, t);
  }

  @FieldResolver(() => [TagVersion], { description: "Every version, newest first." })
  versions(@Root() t: LibraryTagRecord, @Ctx() ctx: GatewayContext, @Arg("first", () => Int, { defaultValue: 20, description: "1 to 100." }) first = 20): Promise<TagVersionRecord[]> {
    return ctx.tags.versions(ctx, t, first);
  }

  @FieldResolver(() => [TagLogEntry], { description: "The publish log, newest first: versions published, promotions, offlining." })
  publishLog(@Root() t: LibraryTagRecord, @Ctx() ctx: GatewayContext, @Arg("first", () => Int, { defaultValue: 20, description: "1 to 100." }) first = 20): Promise<TagLogRecord[]> {
    return ctx.tags.publishLog(ctx, t, first);
  }

  @FieldResolver(() => Change, { nullable: true, description: "The change awaiting approval for this tag (a version, a promotion, offlining), if any; on a proposing mutation's answer, the change it proposed." })
  pendingChange(@Root() t: Maybe, @Ctx() ctx: GatewayContext): Promise<ChangeRecord | null> | ChangeRecord | null {
    return t.pendingChange ?? ctx.tags.pendingChange(ctx, t);
  }

  @FieldResolver(() => TagEvaluation, { description: "Coverage, freshness, references, the outcomes of the strategies using it over the last `windowDays` (1 to 366), and a verdict for retiring it." })
  evaluation(@Root() t: LibraryTagRecord, @Ctx() ctx: GatewayContext, @Arg("windowDays", () => Int, { defaultValue: 30 }) windowDays: number): Promise<TagEvaluationRecord> {
    return ctx.tags.evaluation(ctx, t, windowDays);
  }
}

/** A version's rule. */
@Resolver(() => TagVersion)
export class TagVersionRuleResolver {
  @FieldResolver(() => TagRule, { nullable: true, description: "A RULE version's rule." })
  rule(@Root() v: TagVersionRecord): TagRuleRecord | null {
    return parseRule(v.rule);
  }
}

/** A run's share done. */
@Resolver(() => TagRun)
export class TagRunResolver {
  @FieldResolver(() => Float, { description: "done / total, 0..1 (1 once it succeeded)." })
  progress(@Root() r: TagRunRecord): number {
    if (r.state === "SUCCEEDED") return 1;
    return r.total > 0 ? Math.min(1, r.done / r.total) : 0;
  }
}

/** A TAG change's target: the tag as it is now. */
@Resolver(() => Change)
export class ChangeTagResolver {
  @FieldResolver(() => LibraryTag, { nullable: true, description: "For a TAG change: the tag as it is now (its `openVersion` is what a version change approves)." })
  tag(@Root() c: ChangeRecord, @Ctx() ctx: GatewayContext): Promise<LibraryTagRecord | null> | null {
    return c.kind === "TAG" ? ctx.tags.tag(ctx, { id: c.targetId }) : null;
  }
}

/** Which tags stop a segment: the tag library decides what is served. */
@Resolver(() => Segment)
export class SegmentTagsResolver {
  @FieldResolver(() => [String], {
    description:
      "Codes of tags the expression names that are not served now (taken offline, unpublished or unknown): while any is listed the segment matches nobody and its strategies are paused. Empty for a healthy segment.",
  })
  unservedTags(@Root() g: SegmentRecord, @Ctx() ctx: GatewayContext): Promise<string[]> {
    return ctx.tags.unservedTags(g.expression);
  }
}
