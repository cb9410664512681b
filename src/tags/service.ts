import { randomBytes } from "node:crypto";
import DataLoader from "dataloader";
import type { AppliedChange, Approvals, ChangeRecord } from "../approval/service";
import type { ReferenceData } from "../customer360/reference";
import type { RequestScope } from "../customer360/scope";
import { isServedTag } from "../customer360/published";
import { regionChain, type RegionView } from "../customer360/customer";
import type { TagScope, TagStatus, TagValueType } from "../domain/vocabulary";
import { listMarketing } from "../graph/marketing";
import {
  allTagCodes,
  approveVersion,
  deleteDraft,
  discardVersion,
  highestTagNumber,
  insertTag,
  lockTag,
  offlineTag,
  publishVersion,
  refreshTagStatistics,
  tagByCode,
  tagCoverage,
  tagIdsMatching,
  tagLogs,
  tagPage,
  tagsById,
  tagValues,
  tagVersions,
  writeDraft,
  type IndicatorKind,
  type LibraryTagRecord,
  type LockedTag,
  type LogWrite,
  type TagContent,
  type TagLogRecord,
  type TagVersionRecord,
} from "../graph/tags";
import { tagCodesIn } from "../segments/expression";
import type { SegmentIndex } from "../segments/preview/index";
import { BadUserInputError, ConflictError, ConstraintViolationError, ForbiddenError, NotFoundError } from "../platform/errors";
import type { InvalidationBus } from "../platform/invalidation";
import type { Logger } from "../platform/logger";
import type { Cypher, Graph } from "../platform/neo4j";
import { intInRange, listOfAtMost } from "../platform/validate";
import { checkRule, tagSource } from "./rules";
import type { SegmentVocabulary } from "../segments/expression";
import { checkEdit, checkNewContent, optionalNote, type CheckedSource, sameContent, tagCode, valueType, MAX_DEFINITION, MIN_DEFINITION, type TagEdit, type TagInput } from "./checks";
import { impactOf, lineageOf, type Lineage, type TagImpact } from "./impact";
import { DEFAULT_WINDOW_DAYS, TAG_VERDICTS, libraryMedian, MAX_WINDOW_DAYS, performanceOf, verdictOf, type LibraryOutcomes, type TagPerformance, type TagVerdict } from "./evaluation";
import { strategyOutcomes } from "../graph/decision";
import { indicatorQuery, IndicatorSearch, type IndicatorHit, type SearchArgs } from "./search";

export type { TagEdit, TagInput } from "./checks";
export type { IndicatorHit } from "./search";
export type { LineageEdge, LineageNode, TagImpact } from "./impact";

/**
 * The tag library (标签库): tags from draft to offline, under maker-checker.
 *
 * - `createTag` / `updateTag` write drafts (the author's workspace: nothing served changes, so no
 *   approval). Editing a published tag makes a new DRAFT version; the published one keeps serving.
 * - `submitTag` proposes the open draft (src/approval/): an APPROVER who is not its author, and did
 *   not edit it, approves it (APPROVED) or rejects it (back to DRAFT).
 * - `publishTag` is a step of its own: the approved version replaces the published one atomically
 *   (the Tag node takes its content in one transaction) and the publish log records who, when,
 *   which version and which approval; every replica then reloads its reference data.
 * - `promoteTag` proposes a city tag's province-wide version; `offlineTag` proposes taking a tag
 *   offline (with its impact attached): both take effect only once approved.
 *
 * Only PUBLISHED tags are served (src/customer360/published.ts); everything that reads tags (the
 * unified view, segment vocabularies, the subjects decisions evaluate) reads them from the
 * reference data, which publishing and offlining invalidate on every replica.
 */

/** A tag as a proposing mutation returns it: with the change it just proposed. */
export type ProposedTag = LibraryTagRecord & { pendingChange: ChangeRecord };

/** What a TAG change carries (its payload). */
export type TagChangePayload =
  | {
      type: "VERSION";
      version: number;
      /** The draft's revision submitted: an approval applies only to it. */
      revision: number;
      content: TagContent;
      /** The content served now (null for a tag never published), so the approver sees the difference. */
      served: TagContent | null;
      note: string | null;
    }
  | {
      type: "OFFLINE";
      version: number;
      reason: string;
      /** What uses the tag as proposed: the codes of the segments and strategies that stop with it. */
      impact: { segments: string[]; strategies: string[]; activeStrategies: string[]; offers: string[] };
    };

export interface TagFilter {
  status?: TagStatus | null;
  level1?: string | null;
  level2?: string | null;
  scope?: TagScope | null;
  regionId?: string | null;
  valueType?: TagValueType | null;
  /** Searched like searchIndicators: code, name, definition, taxonomy, values. */
  text?: string | null;
  /** Only tags with this evaluation verdict (over DEFAULT_WINDOW_DAYS). */
  verdict?: string | null;
}

export interface TagConnectionRoot {
  edges: Array<{ cursor: string; node: LibraryTagRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** Coverage, references and freshness of one tag (tag evaluation, 标签评估). */
export interface TagEvaluationRecord {
  /** Customers holding the tag now (live). */
  customers: number;
  /** Their share of all customers, 0..1. */
  coverage: number;
  segments: number;
  strategies: number;
  activeStrategies: number;
  /** The latest time a customer's value was computed, as of the last statistics refresh. */
  refreshedAt: Date | null;
  statsAt: Date | null;
  /** Category values by customers holding them (as of the last statistics refresh). */
  values: Array<{ value: string; customers: number }>;
  /** Campaigns targeting segments or running strategies that use the tag. */
  campaigns: number;
  /** Seconds since `refreshedAt` (freshness); null when never computed. */
  ageSeconds: number | null;
  /** How the strategies reaching the tag did over the window. */
  performance: TagPerformance;
  /** The library median conversion rate the verdict compares with (null: no tag has enough decisions). */
  libraryMedianConversion: number | null;
  verdict: TagVerdict;
  hint: string;
}

export const MAX_TAG_PAGE = 100;
export const MAX_HISTORY = 100;
/** A library text filter considers at most this many of the search's hits. */
const TEXT_FILTER_HITS = 1000;
const CREATE_ATTEMPTS = 10;
const MAX_REFRESH = 20;

const SERVED: ReadonlySet<TagStatus> = new Set(["PUBLISHED", "OFFLINE"]);

function contentOf(x: TagContent | LibraryTagRecord): TagContent {
  return {
    name: x.name,
    level1: x.level1,
    level2: x.level2,
    definition: x.definition,
    market: x.market,
    scope: x.scope,
    regionId: x.regionId,
    owner: x.owner ?? "",
    source: x.source ?? "SEEDED",
    rule: x.rule ?? null,
  };
}

/** "TL" + the time in 9 base-36 digits + 6 random hex digits: log entries sort in time order. */
function logId(): string {
  return `TL${Date.now().toString(36).toUpperCase().padStart(9, "0")}${randomBytes(3).toString("hex").toUpperCase()}`;
}

export class TagService {
  readonly indicators: IndicatorSearch;
  /** Per request (keyed by its loaders, renewed per subscription push): batched reads of a response's tags. */
  private readonly perRequest = new WeakMap<object, RequestLoaders>();
  /** Told when what a tag serves changed (published, offline): the jobs align its daily schedule. */
  private servedChange: ((id: string) => Promise<void>) | null = null;

  constructor(
    private readonly graph: Graph,
    private readonly reference: ReferenceData,
    private readonly bus: InvalidationBus,
    private readonly approvals: Approvals,
    private readonly log: Logger,
    /** The segment bitmaps: a tag published (its values perhaps recomputed with it) is re-read into them. */
    private readonly segmentIndex: Pick<SegmentIndex, "refreshTag"> | null = null,
    /** What a rule may name (the segment previews' vocabulary); without it, no rule is accepted. */
    private readonly vocabulary: (() => Promise<SegmentVocabulary>) | null = null,
  ) {
    this.indicators = new IndicatorSearch(graph, log);
    approvals.register({
      kind: "TAG",
      noun: "tag",
      targetType: "Tag",
      deciders: ["APPROVER"],
      apply: (tx, change) => this.apply(tx, change),
      // Only taking a tag offline changes what is served; an approved version waits for publishTag.
      applied: async (change) => {
        if (change.action === "RETIRE") {
          await this.bus.publish("reference");
          await this.tellServedChange(change.targetId);
        }
      },
    });
  }

  /** Background work at start: the attributes the indicator search indexes. */
  start(): void {
    this.indicators.start();
  }

  // ───────────────────────────── reads ─────────────────────────────

  /** One tag by id or code (null when there is none). */
  async tag(scope: RequestScope, ref: { id?: string | null; code?: string | null }): Promise<LibraryTagRecord | null> {
    if ((ref.id ? 1 : 0) + (ref.code ? 1 : 0) !== 1) throw new BadUserInputError("Give exactly one of `id` or `code`.", ref.id ? "code" : "id");
    if (ref.code) return tagByCode(scope.graph, ref.code);
    return this.loaders(scope).tags.load(ref.id as string);
  }

  /** A page of the library in taxonomy order, filtered. */
  async library(scope: RequestScope, filter: TagFilter, first: number, after: string | null): Promise<TagConnectionRoot> {
    const size = intInRange("first", first, 1, MAX_TAG_PAGE);
    const text = filter.text?.trim() ? filter.text : null;
    let ids = text === null ? null : await tagIdsMatching(scope.graph, indicatorQuery(text, "filter.text", true).lucene, TEXT_FILTER_HITS);
    if (filter.verdict !== undefined && filter.verdict !== null) {
      const withVerdict = await this.withVerdict(scope, filter.verdict);
      ids = ids === null ? withVerdict : ids.filter((id) => withVerdict.includes(id));
    }
    const { items, total } = await tagPage(scope.graph, {
      status: filter.status ?? null,
      level1: filter.level1 ?? null,
      level2: filter.level2 ?? null,
      scope: filter.scope ?? null,
      regionId: filter.regionId ?? null,
      valueType: filter.valueType ?? null,
      ids,
      after: after ? decodeCursor(after) : null,
      limit: size + 1,
    });
    const page = items.slice(0, size);
    const edges = page.map((node) => ({ cursor: encodeCursor([node.level1, node.level2, node.code]), node }));
    return { edges, pageInfo: { hasNextPage: items.length > page.length, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: total };
  }

  /** A tag's versions, newest first. */
  async versions(scope: RequestScope, tag: LibraryTagRecord, first: number): Promise<TagVersionRecord[]> {
    const n = intInRange("first", first, 1, MAX_HISTORY);
    return ((await this.loaders(scope).versions.load(tag.id)) ?? []).slice(0, n);
  }

  /** The open version (a draft, awaiting approval, or approved and awaiting publication), if any. */
  async openVersion(scope: RequestScope, tag: LibraryTagRecord): Promise<TagVersionRecord | null> {
    // A seeded draft has no version record yet: its version is the tag itself.
    const open = tag.open?.version ?? (SERVED.has(tag.status) ? null : tag.version);
    if (open === null) return null;
    const versions = (await this.loaders(scope).versions.load(tag.id)) ?? [];
    return versions.find((v) => v.version === open) ?? null;
  }

  /** A tag's publish log, newest first. */
  async publishLog(scope: RequestScope, tag: LibraryTagRecord, first: number): Promise<TagLogRecord[]> {
    const n = intInRange("first", first, 1, MAX_HISTORY);
    return ((await this.loaders(scope).logs.load(tag.id)) ?? []).slice(0, n);
  }

  /** The change awaiting approval for a tag, if any. */
  pendingChange(scope: RequestScope, tag: LibraryTagRecord): Promise<ChangeRecord | null> | null {
    return tag.pendingAction ? this.approvals.pendingFor(scope, "TAG", tag.id) : null;
  }

  /** What uses a tag: segments, the strategies targeting them (or triggered on it), their offers. NOT_FOUND for an unknown tag. */
  async impact(scope: RequestScope, id: string): Promise<{ tag: LibraryTagRecord } & TagImpact> {
    const [tag, lineage] = await Promise.all([this.loaders(scope).tags.load(id), this.lineage(scope)]);
    if (!tag) throw new NotFoundError(`There is no tag with id ${id}; see the tags query.`);
    return { tag, ...impactOf(tag, lineage) };
  }

  /** Coverage, references and freshness. */
  async evaluation(scope: RequestScope, tag: LibraryTagRecord, windowDays: number = DEFAULT_WINDOW_DAYS): Promise<TagEvaluationRecord> {
    const days = intInRange("windowDays", windowDays, 1, MAX_WINDOW_DAYS);
    const loaders = this.loaders(scope);
    const [coverage, values, lineage, outcomes] = await Promise.all([
      loaders.coverage.load(tag.id),
      tag.valueType === "CATEGORY" ? loaders.values.load(tag.id) : [],
      this.lineage(scope),
      this.outcomes(scope, days),
    ]);
    const impact = impactOf(tag, lineage);
    const performance = performanceOf(tag.code, lineage, outcomes);
    const references = { segments: impact.segments.length, strategies: impact.strategies.length, campaigns: impact.campaignIds.length };
    return {
      ...verdictOf(references, performance, outcomes.medianConversion),
      campaigns: references.campaigns,
      ageSeconds: tag.refreshedAt ? Math.max(0, Math.floor((Date.now() - tag.refreshedAt.getTime()) / 1000)) : null,
      performance,
      libraryMedianConversion: outcomes.medianConversion,
      customers: coverage.customers,
      coverage: coverage.total > 0 ? coverage.customers / coverage.total : 0,
      segments: impact.segments.length,
      strategies: impact.strategies.length,
      activeStrategies: impact.strategies.filter((s) => s.status === "ACTIVE").length,
      refreshedAt: tag.refreshedAt,
      statsAt: tag.statsAt,
      values,
    };
  }

  /** A region with its parents (a CITY tag's city). */
  async region(id: string): Promise<RegionView> {
    return regionChain(await this.reference.regions(), id);
  }

  /** The indicator search (./search.ts). */
  search(scope: RequestScope, args: SearchArgs): Promise<IndicatorHit[]> {
    return this.indicators.search(scope.graph, args);
  }

  /**
   * The tags an expression names that are not served now (offline, unpublished, unknown), in order
   * of appearance: a segment naming one matches nobody until they are published again or its
   * expression changes (its strategies are paused, src/marketing/catalogue.ts).
   */
  async unservedTags(expression: string): Promise<string[]> {
    const codes = tagCodesIn(expression);
    if (codes.length === 0) return [];
    const served = new Set([...(await this.reference.tags()).values()].filter(isServedTag).map((t) => t.code));
    return codes.filter((c) => !served.has(c));
  }

  // ───────────────────────────── drafts ─────────────────────────────

  /** A new tag: DRAFT version 1, under the next free id. Code and value type are fixed for good. */
  async create(scope: RequestScope, input: TagInput): Promise<LibraryTagRecord> {
    const code = tagCode(input.code);
    const type = valueType(input.valueType);
    const source = tagSource(input.source);
    const vocabulary = source === "RULE" || input.rule ? await this.ruleVocabulary() : null;
    const rule = checkRule(source, type, code, input.rule, vocabulary as SegmentVocabulary);
    const content = checkNewContent(input, scope.principal.id, await this.reference.regions(), { source, rule });
    const note = optionalNote("note", input.note);
    let number = (await highestTagNumber(scope.graph)) + 1;
    for (let attempt = 1; ; attempt++) {
      const id = `T${String(number).padStart(3, "0")}`;
      try {
        await scope.graph.transaction((tx) => insertTag(tx, { id, code, valueType: type, content, by: scope.principal.id, at: new Date(), note }));
        scope.audit.change({ action: "createTag", targetType: "Tag", targetId: id, before: null, after: { code, valueType: type, version: 1, status: "DRAFT", content } });
        return await this.mustFind(scope, id);
      } catch (error) {
        if (!(error instanceof ConstraintViolationError) || attempt >= CREATE_ATTEMPTS) throw error;
        if (error.property === "code") {
          const holder = await tagByCode(scope.graph, code);
          throw new BadUserInputError(`Tag code ${code} is already used by tag ${holder?.id ?? "another tag"} (${holder?.name ?? "?"}); choose another code, or edit that tag.`, "code");
        }
        number += 1; // another create took this id a moment ago
      }
    }
  }

  /**
   * Edits a tag: the open draft gets the fields given; a published tag (or one with an approved
   * version waiting) gets a new DRAFT version, and what is served stays until that is published.
   * CONFLICT while a version awaits approval (withdraw it first).
   */
  async update(scope: RequestScope, id: string, edit: TagEdit): Promise<LibraryTagRecord> {
    const regions = await this.reference.regions();
    const note = optionalNote("note", edit.note);
    const found = (await tagsById(scope.graph, [id])).get(id);
    if (!found) throw new NotFoundError(`There is no tag with id ${id}; see the tags query.`);
    const tag0 = found;
    const sourceEdited = (edit.source !== undefined && edit.source !== null) || edit.rule !== undefined;
    const vocabulary = sourceEdited ? await this.ruleVocabulary() : null;
    /** The source and rule the edit makes of `base` (null: unchanged). */
    const sourceOf = (base: TagContent): CheckedSource | null => {
      if (!sourceEdited || !vocabulary) return null;
      const source = tagSource(edit.source ?? base.source);
      if (edit.rule === undefined) {
        // only the source changes: a RULE tag keeps its rule, others have none
        return source === "RULE" && base.rule ? { source, rule: base.rule } : { source, rule: checkRule(source, tag0.valueType, tag0.code, null, vocabulary) };
      }
      return { source, rule: checkRule(source, tag0.valueType, tag0.code, edit.rule, vocabulary) };
    };
    const noted: { edited: AppliedChange | null } = { edited: null };
    await scope.graph.transaction(async (tx) => {
      noted.edited = null; // a retried transaction notes what its last attempt wrote
      const state = await this.locked(tx, id);
      const { tag, open } = state;
      const served = SERVED.has(tag.status);
      if (open?.status === "PENDING_APPROVAL") {
        const change = await this.approvals.pendingFor(scope, "TAG", id);
        throw new ConflictError(
          `Version ${open.version} of tag ${tag.code} awaits approval${change ? ` in change ${change.id}` : ""}; to edit it, withdraw that change (withdrawChange), or wait for the decision.`,
        );
      }
      const at = new Date();
      if (open?.status === "DRAFT") {
        const content = checkEdit(contentOf(open), edit, regions, served, scope.principal.id, sourceOf(contentOf(open)));
        await writeDraft(tx, { tagId: id, version: open.version, content, by: scope.principal.id, at, note, create: false, mirror: !served });
        noted.edited = { before: { version: open.version, content: contentOf(open) }, after: { version: open.version, content } };
        return;
      }
      const base = open ? contentOf(open) : contentOf(tag);
      const content = checkEdit(base, edit, regions, served, scope.principal.id, sourceOf(base));
      if (sameContent(content, base) && note === null) {
        throw new BadUserInputError(`The edit changes nothing in version ${tag.version} of tag ${tag.code}; give the fields to change.`, "input");
      }
      if (open) await discardVersion(tx, id, open.version, at); // approved but not published: replaced by this draft
      await writeDraft(tx, { tagId: id, version: state.latest + 1, content, by: scope.principal.id, at, note, create: true, mirror: !served });
      noted.edited = { before: { version: open?.version ?? tag.version, content: base }, after: { version: state.latest + 1, content } };
    });
    if (noted.edited) scope.audit.change({ action: "updateTag", targetType: "Tag", targetId: id, ...noted.edited });
    return this.mustFind(scope, id);
  }

  // ───────────────────────────── proposals ─────────────────────────────

  /** Proposes the open draft for approval (UPDATE; PROMOTE when it widens a published city tag to the province). */
  async submit(scope: RequestScope, id: string, note?: string | null): Promise<ProposedTag> {
    const why = optionalNote("note", note);
    const state = await scope.graph.transaction((tx) => this.locked(tx, id));
    const { tag, open } = state;
    if (!open) {
      throw new ConflictError(`Tag ${tag.code} has no draft to submit: version ${tag.version} is ${tag.status.toLowerCase()}. Edit it (updateTag) to make a new draft.`);
    }
    if (open.status === "APPROVED") throw new ConflictError(`Version ${open.version} of tag ${tag.code} is approved already; publish it (publishTag), or edit it to make a new draft.`);
    if (open.status === "PENDING_APPROVAL") {
      const change = await this.approvals.pendingFor(scope, "TAG", id);
      throw new ConflictError(`Version ${open.version} of tag ${tag.code} awaits approval already${change ? ` in change ${change.id}` : ""}.`);
    }
    const served = SERVED.has(tag.status) ? contentOf(tag) : null;
    if (served && sameContent(served, contentOf(open))) {
      throw new BadUserInputError(`Version ${open.version} of tag ${tag.code} defines the tag exactly as version ${tag.version}, which is ${tag.status.toLowerCase()}; change something first (updateTag).`, "id");
    }
    const promotes = served !== null && served.scope === "CITY" && open.scope === "PROVINCE";
    const payload: TagChangePayload = { type: "VERSION", version: open.version, revision: open.revision, content: contentOf(open), served, note: why ?? open.note };
    const pendingChange = await this.approvals.submit(scope, { kind: "TAG", action: promotes ? "PROMOTE" : "UPDATE", targetId: id, payload });
    return { ...(await this.mustFind(scope, id)), pendingChange };
  }

  /**
   * Proposes a published city tag province-wide: a new version, scope PROVINCE (with the
   * definition restated if given: a city's definition often names the city), submitted at once as
   * a PROMOTE change. Published with publishTag once approved, like any version.
   */
  async promote(scope: RequestScope, id: string, input: { definition?: string | null; note?: string | null }): Promise<ProposedTag> {
    const note = optionalNote("note", input.note);
    const definition = input.definition?.trim() || null;
    if (definition !== null && (definition.length < MIN_DEFINITION || definition.length > MAX_DEFINITION)) {
      throw new BadUserInputError(`\`definition\` must have ${MIN_DEFINITION} to ${MAX_DEFINITION} characters; got ${definition.length}.`, "definition");
    }
    const draft = await scope.graph.transaction(async (tx) => {
      const { tag, open, latest } = await this.locked(tx, id);
      if (tag.status !== "PUBLISHED") throw new ConflictError(`Tag ${tag.code} is ${tag.status.toLowerCase()}; only a published tag is promoted. Publish it first.`);
      if (tag.scope !== "CITY") throw new BadUserInputError(`Tag ${tag.code} is province-wide already; only a CITY tag is promoted.`, "id");
      if (open) {
        throw new ConflictError(`Tag ${tag.code} has version ${open.version} open (${open.status.toLowerCase()}); publish, submit or discard it before promoting, so the promotion is the only change approved.`);
      }
      const content: TagContent = { ...contentOf(tag), scope: "PROVINCE", regionId: null, definition: definition ?? tag.definition };
      const version = latest + 1;
      await writeDraft(tx, { tagId: id, version, content, by: scope.principal.id, at: new Date(), note, create: true, mirror: false });
      return { version, content, served: contentOf(tag) };
    });
    const payload: TagChangePayload = { type: "VERSION", version: draft.version, revision: 1, content: draft.content, served: draft.served, note };
    try {
      const pendingChange = await this.approvals.submit(scope, { kind: "TAG", action: "PROMOTE", targetId: id, payload });
      return { ...(await this.mustFind(scope, id)), pendingChange };
    } catch (error) {
      // Not proposed (another change waits for this tag): the draft made for it goes again.
      await scope.graph.transaction((tx) => deleteDraft(tx, id, draft.version)).catch(() => undefined);
      throw error;
    }
  }

  /** Proposes taking a published tag offline, with what uses it attached for the approver. */
  async offline(scope: RequestScope, id: string, reason: string): Promise<ProposedTag> {
    const why = optionalNote("reason", reason);
    if (!why) throw new BadUserInputError("`reason` must say why the tag goes offline (its approver and the owners of the segments using it read it).", "reason");
    const { tag, ...impact } = await this.impact(scope, id);
    if (tag.status !== "PUBLISHED") {
      throw new ConflictError(`Tag ${tag.code} is ${tag.status.toLowerCase()}; only a published tag is taken offline.`);
    }
    const payload: TagChangePayload = {
      type: "OFFLINE",
      version: tag.version,
      reason: why,
      impact: {
        segments: impact.segments.map((g) => g.code),
        strategies: impact.strategies.map((s) => s.code),
        activeStrategies: impact.strategies.filter((s) => s.status === "ACTIVE").map((s) => s.code),
        offers: impact.offers.map((o) => o.code),
      },
    };
    const pendingChange = await this.approvals.submit(scope, { kind: "TAG", action: "RETIRE", targetId: id, payload });
    return { ...(await this.mustFind(scope, id)), pendingChange };
  }

  // ───────────────────────────── publishing ─────────────────────────────

  /**
   * Publishes the approved version: it replaces the one served in one transaction, the publish log
   * records it with its approval, and every replica reloads its reference data (the unified view,
   * segment vocabularies and decisions use it from then on).
   */
  async publish(scope: RequestScope, id: string): Promise<LibraryTagRecord> {
    const noted: { published: (AppliedChange & { action: string; changeId: string | null }) | null } = { published: null };
    await scope.graph.transaction(async (tx) => {
      const { tag, open } = await this.locked(tx, id);
      if (!open || open.status !== "APPROVED") {
        const why = !open
          ? `it has no version waiting: version ${tag.version} is ${tag.status.toLowerCase()}`
          : open.status === "DRAFT"
            ? `version ${open.version} is a draft; submit it (submitTag) and have it approved first`
            : `version ${open.version} awaits approval`;
        throw new ConflictError(`Tag ${tag.code} cannot be published: ${why}.`);
      }
      const promotes = SERVED.has(tag.status) && tag.scope === "CITY" && open.scope === "PROVINCE";
      noted.published = {
        action: promotes ? "promoteTag" : "publishTag",
        changeId: open.changeId,
        before: { version: tag.version, status: tag.status, content: contentOf(tag) },
        after: { version: open.version, status: "PUBLISHED", content: contentOf(open) },
      };
      await publishVersion(tx, id, open.version, {
        id: logId(),
        action: promotes ? "PROMOTE" : "PUBLISH",
        version: open.version,
        by: scope.principal.id,
        at: new Date(),
        changeId: open.changeId,
        approvedBy: open.approvedBy,
        reason: open.note,
      });
    });
    if (noted.published) scope.audit.change({ targetType: "Tag", targetId: id, ...noted.published });
    await this.tellReplicas(id);
    await this.tellServedChange(id);
    this.refreshBehind(id);
    const published = await this.mustFind(scope, id);
    this.refreshBitmaps(published.code);
    return published;
  }

  /**
   * Recomputes tags' statistics from their customers (coverage, freshness, category values for
   * the search): the given tags. The jobs that compute tags call it after each tag's run. There is
   * no "every tag" form: each tag reads all its holders, so the whole library (a scan of every
   * HAS_TAG edge, minutes on a million customers) would outlive any request deadline; that is a job's.
   */
  async refreshStatistics(scope: RequestScope, ids: readonly string[]): Promise<LibraryTagRecord[]> {
    const targets = [...new Set(listOfAtMost("ids", ids, MAX_REFRESH))];
    for (const id of targets) {
      if (!(await refreshTagStatistics(scope.graph, id))) throw new NotFoundError(`There is no tag with id ${id}; nothing after it was refreshed.`);
    }
    const found = await tagsById(scope.graph, targets);
    return targets.flatMap((id) => found.get(id) ?? []);
  }

  // ───────────────────────────── approval ─────────────────────────────

  /** Applies an approved TAG change in the approval's transaction, checked against the state now. */
  private async apply(tx: Cypher, change: ChangeRecord): Promise<AppliedChange> {
    const payload = JSON.parse(change.payload) as TagChangePayload;
    const { tag, open } = await this.locked(tx, change.targetId);
    const at = new Date();
    if (payload.type === "OFFLINE") {
      if (tag.status !== "PUBLISHED") {
        throw new BadUserInputError(`Tag ${tag.code} is ${tag.status.toLowerCase()} now; only a published tag goes offline. Reject this change.`, "id");
      }
      const log: LogWrite = { id: logId(), action: "OFFLINE", version: tag.version, by: change.author, at, changeId: change.id, approvedBy: change.decidedBy, reason: payload.reason };
      await offlineTag(tx, tag.id, log);
      return { before: { status: tag.status, version: tag.version }, after: { status: "OFFLINE", version: tag.version } };
    }
    if (!open || open.version !== payload.version) {
      throw new BadUserInputError(`Version ${payload.version} of tag ${tag.code} is no longer the open draft (${open ? `version ${open.version} is` : "no version is"}); reject this change.`, "id");
    }
    if (open.revision !== payload.revision) {
      throw new BadUserInputError(
        `Version ${open.version} of tag ${tag.code} was edited after it was submitted (revision ${payload.revision} submitted, ${open.revision} now); reject this change and submit the draft again, so that what is approved is what gets published.`,
        "id",
      );
    }
    if (change.decidedBy && open.editors.includes(change.decidedBy)) {
      throw new ForbiddenError(`You edited version ${open.version} of tag ${tag.code}: maker-checker, no editor of a version approves it. Another APPROVER must decide change ${change.id}.`);
    }
    await approveVersion(tx, { tagId: tag.id, version: open.version, changeId: change.id, by: change.decidedBy ?? "", at, note: payload.note, mirror: !SERVED.has(tag.status) });
    return { before: { version: open.version, status: open.status, content: contentOf(open) }, after: { version: open.version, status: "APPROVED", content: contentOf(open) } };
  }

  // ───────────────────────────── helpers ─────────────────────────────

  private async locked(tx: Cypher, id: string): Promise<LockedTag> {
    const state = await lockTag(tx, id);
    if (!state) throw new NotFoundError(`There is no tag with id ${id}; see the tags query.`);
    return state;
  }

  /** The tag as it is now, after a change: what this request read before is forgotten. */
  private async mustFind(scope: RequestScope, id: string): Promise<LibraryTagRecord> {
    this.perRequest.delete(scope.loaders);
    const found = (await tagsById(scope.graph, [id])).get(id);
    if (!found) throw new NotFoundError(`There is no tag with id ${id}.`);
    return found;
  }

  /** Every replica drops its reference data (and what is compiled from it); a failure is logged, the TTL then bounds staleness. */
  private async tellReplicas(id: string): Promise<void> {
    try {
      await this.bus.publish("reference");
    } catch (error) {
      this.log.warn({ tag: id, err: error instanceof Error ? error.message : String(error) }, "tag published, but telling the other replicas failed; they see it when their reference data expires");
    }
  }

  private async ruleVocabulary(): Promise<SegmentVocabulary> {
    if (!this.vocabulary) throw new BadUserInputError("Rule tags are not available in this process (no segment vocabulary is wired).", "rule");
    return this.vocabulary();
  }

  /** Registers who is told when a tag is published or goes offline (the rule-tag jobs: its schedule). */
  onServedChange(listener: (id: string) => Promise<void>): void {
    this.servedChange = listener;
  }

  /** The schedule follows the tag; a failure is logged (the jobs align every schedule when they start). */
  private async tellServedChange(id: string): Promise<void> {
    try {
      await this.servedChange?.(id);
    } catch (error) {
      this.log.warn({ tag: id, err: error instanceof Error ? error.message : String(error) }, "aligning the tag's daily run failed; the jobs align it when a gateway starts");
    }
  }

  /** Statistics for a tag just published, behind the answer. */
  private refreshBehind(id: string): void {
    refreshTagStatistics(this.graph.session(), id).catch((error: unknown) =>
      this.log.warn({ tag: id, err: error instanceof Error ? error.message : String(error) }, "refreshing a published tag's statistics failed; refreshTagStatistics retries it"),
    );
  }

  /**
   * Re-reads a tag's carriers, values and scores into the segment bitmaps, behind the answer: for a
   * tag just published, and for the jobs that compute tags (call it after a run).
   */
  refreshBitmaps(code: string): void {
    this.segmentIndex?.refreshTag(code).catch((error: unknown) =>
      this.log.warn({ tag: code, err: error instanceof Error ? error.message : String(error) }, "refreshing a tag's segment bitmaps failed; the next refresh or build brings it in"),
    );
  }

  /**
   * Every strategy's outcomes over a window, once per request and window: one statement for the
   * whole library view however many tags it evaluates, and the library median from it.
   */
  private outcomes(scope: RequestScope, windowDays: number): Promise<LibraryOutcomes> {
    const loaders = this.loaders(scope);
    let running = loaders.outcomes.get(windowDays);
    if (!running) {
      running = this.lineage(scope).then(async (lineage) => {
        const byStrategy = await strategyOutcomes(scope.graph, lineage.records.strategies.map((s) => s.id), Date.now() - windowDays * 86_400_000);
        return { windowDays, byStrategy, medianConversion: libraryMedian(lineage, byStrategy, windowDays) };
      });
      loaders.outcomes.set(windowDays, running);
    }
    return running;
  }

  /** The ids of the tags whose verdict (over the default window) is `verdict`: references and outcomes need no coverage, so two statements for the library. */
  private async withVerdict(scope: RequestScope, verdict: string): Promise<string[]> {
    if (!(TAG_VERDICTS as readonly string[]).includes(verdict)) throw new BadUserInputError(`\`filter.verdict\` must be one of ${TAG_VERDICTS.join(", ")}; got "${verdict}".`, "filter.verdict");
    const [lineage, outcomes, all] = await Promise.all([this.lineage(scope), this.outcomes(scope, DEFAULT_WINDOW_DAYS), allTagCodes(scope.graph)]);
    return all
      .filter(({ id, code, name, status }) => {
        const impact = impactOf({ id, code, name, status }, lineage);
        const references = { segments: impact.segments.length, strategies: impact.strategies.length, campaigns: impact.campaignIds.length };
        return verdictOf(references, performanceOf(code, lineage, outcomes), outcomes.medianConversion).verdict === verdict;
      })
      .map((t) => t.id);
  }

  /** The marketing set-up indexed by tag, read once per request. */
  private lineage(scope: RequestScope): Promise<Lineage> {
    const loaders = this.loaders(scope);
    return (loaders.lineage ??= listMarketing(scope.graph).then(lineageOf));
  }

  private loaders(scope: RequestScope): RequestLoaders {
    let loaders = this.perRequest.get(scope.loaders);
    if (!loaders) {
      const graph = scope.graph;
      loaders = {
        tags: new DataLoader(async (ids: readonly string[]) => {
          const found = await tagsById(graph, ids);
          return ids.map((id) => found.get(id) ?? null);
        }),
        versions: new DataLoader(async (ids: readonly string[]) => {
          const found = await tagVersions(graph, ids, MAX_HISTORY);
          return ids.map((id) => found.get(id) ?? null);
        }),
        logs: new DataLoader(async (ids: readonly string[]) => {
          const found = await tagLogs(graph, ids, MAX_HISTORY);
          return ids.map((id) => found.get(id) ?? null);
        }),
        coverage: new DataLoader(async (ids: readonly string[]) => {
          const { total, customers } = await tagCoverage(graph, ids);
          return ids.map((id) => ({ total, customers: customers.get(id) ?? 0 }));
        }),
        values: new DataLoader(async (ids: readonly string[]) => {
          const found = await tagValues(graph, ids);
          return ids.map((id) => found.get(id) ?? []);
        }),
        lineage: null,
        outcomes: new Map(),
      };
      this.perRequest.set(scope.loaders, loaders);
    }
    return loaders;
  }
}

interface RequestLoaders {
  tags: DataLoader<string, LibraryTagRecord | null>;
  versions: DataLoader<string, TagVersionRecord[] | null>;
  logs: DataLoader<string, TagLogRecord[] | null>;
  coverage: DataLoader<string, { total: number; customers: number }>;
  values: DataLoader<string, Array<{ value: string; customers: number }>>;
  lineage: Promise<Lineage> | null;
  /** Strategy outcomes per window (days). */
  outcomes: Map<number, Promise<LibraryOutcomes>>;
}

/** Cursors are opaque to clients: base64url of the last tag's taxonomy position. */
function encodeCursor(position: [string, string, string]): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === "string")) return value as [string, string, string];
  } catch {
    // not ours: answered below
  }
  throw new BadUserInputError(`\`after\` is not a cursor this API issued ("${cursor.slice(0, 40)}"); pass the \`endCursor\` or an edge \`cursor\` of a previous page, or omit it to start from the beginning.`, "after");
}

export type { IndicatorKind };
