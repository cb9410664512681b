import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { PageInfo } from "./contact.type";
import { Offer, Segment, Strategy } from "./marketing.type";
import { IndicatorKindEnum, LineageKindEnum, LineageRelationEnum, MarketSegmentEnum, TagLogActionEnum, TagRunStateEnum, TagScopeEnum, TagSourceEnum, TagStatusEnum, TagValueTypeEnum, TagVersionStatusEnum } from "./enums";
import { DateTimeScalar } from "./scalars";
import type { MarketSegment, TagLogAction, TagRunState, TagScope, TagSource, TagStatus, TagValueType, TagVersionStatus } from "../src/domain/vocabulary";
import type { IndicatorKind } from "../src/graph/tags";
import type { LineageKind, LineageRelation } from "../src/tags/impact";

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

// ───────────────────────────── the tag library (标签库) ─────────────────────────────
// Its own types, apart from Tag (what a customer's tags show, to every role that reads customers):
// versions, the publish log, evaluation and lineage are for the marketing centre only.

@ObjectType({ description: "A tag of the tag library as its governors see it: the version served, its lifecycle status, the version open, history and evaluation." })
export class LibraryTag {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "What segment expressions write (UPPER_SNAKE); never changes." })
  code!: string;

  @Field(() => String, { description: "Level-3 name: the leaf of the taxonomy level1 / level2 / name." })
  name!: string;

  @Field(() => String, { description: 'Tag family: "Basic", "Telecom", "Life & Internet" or "Value & Lifecycle".' })
  level1!: string;

  @Field(() => String)
  level2!: string;

  @Field(() => String, { description: "The statistical definition (统计口径)." })
  definition!: string;

  @Field(() => TagValueTypeEnum, { description: "Never changes (segments test flags bare, categories by value, scores through score())." })
  valueType!: TagValueType;

  @Field(() => MarketSegmentEnum)
  market!: MarketSegment;

  @Field(() => TagScopeEnum)
  scope!: TagScope;

  @Field(() => ID, { nullable: true, description: "The city of a CITY tag." })
  regionId!: string | null;

  @Field(() => String, { nullable: true, description: "Who answers for the definition (a team or a person)." })
  owner!: string | null;

  @Field(() => TagStatusEnum, { description: "PUBLISHED or OFFLINE once published (an edit in progress is `openVersion`); before that, the status of its first version." })
  status!: TagStatus;

  @Field(() => Int, { description: "The version served (for a tag never published, the version being written)." })
  version!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the version served was published." })
  publishedAt!: Date | null;

  @Field(() => TagSourceEnum, { description: "How the served version's values come (RULE: `rule`, computed by runs)." })
  source!: TagSource;

  @Field(() => DateTimeScalar, { nullable: true, description: "When a run of this rule tag last finished (see `lastRun`)." })
  lastRunAt!: Date | null;

  @Field(() => Int, { nullable: true, description: "Customers holding the tag when its last run finished." })
  lastRunHolders!: number | null;
}

@ObjectType({ description: "A CATEGORY rule's entry: customers satisfying `expression` (and no earlier entry's) take `value`." })
export class TagCategoryRule {
  @Field(() => String)
  value!: string;

  @Field(() => String, { description: "A segment expression, in canonical form." })
  expression!: string;
}

@ObjectType({ description: "A SCORE rule's entry: satisfying `expression` adds `weight` to the customer's score (divided by the sum of the weights)." })
export class TagScoreRule {
  @Field(() => Float)
  weight!: number;

  @Field(() => String, { description: "A segment expression, in canonical form." })
  expression!: string;
}

@ObjectType({
  description:
    "How a RULE tag's values are computed, in segment expressions: FLAG: `expression` (who satisfies it holds the tag); CATEGORY: `categories`, first match wins; SCORE: `scores`, the score being the weighted share of expressions satisfied (0..1; held when above 0).",
})
export class TagRule {
  @Field(() => String, { nullable: true })
  expression?: string | null;

  @Field(() => [TagCategoryRule], { nullable: true })
  categories?: TagCategoryRule[] | null;

  @Field(() => [TagScoreRule], { nullable: true })
  scores?: TagScoreRule[] | null;
}

@ObjectType({ description: "One run of a rule tag's job: over every customer, in batches; resumable after a crash, one at a time per tag across replicas." })
export class TagRun {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  tagId!: string;

  @Field(() => TagRunStateEnum)
  state!: TagRunState;

  @Field(() => String, { description: "DEMAND (runTag) or SCHEDULE (the daily run)." })
  trigger!: string;

  @Field(() => String)
  requestedBy!: string;

  @Field(() => Int, { nullable: true, description: "The tag version whose rule it ran." })
  version!: number | null;

  @Field(() => DateTimeScalar)
  queuedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int, { description: "Customers evaluated so far." })
  done!: number;

  @Field(() => Int, { description: "Customers to evaluate (counted when it started)." })
  total!: number;

  @Field(() => Int, { nullable: true, description: "Customers holding the tag when it finished." })
  holders!: number | null;

  @Field(() => Int, { description: "Customers who gained the tag." })
  added!: number;

  @Field(() => Int, { description: "Customers who lost it." })
  removed!: number;

  @Field(() => Int, { description: "Holders whose value or score changed." })
  changed!: number;

  @Field(() => Int, { description: "Times a worker started or resumed it." })
  attempts!: number;

  @Field(() => String, { nullable: true, description: "Why it failed (or why an attempt that was retried failed)." })
  error!: string | null;
}

@ObjectType({ description: "What importTagValues did." })
export class TagImportResult {
  @Field(() => LibraryTag)
  tag!: LibraryTag;

  @Field(() => Int, { description: "Rows imported." })
  rows!: number;

  @Field(() => Int, { description: "Customers who gained the tag." })
  added!: number;

  @Field(() => Int, { description: "Customers whose value or score changed." })
  updated!: number;
}

@ObjectType({ description: "What removeTagValues did." })
export class TagRemovalResult {
  @Field(() => LibraryTag)
  tag!: LibraryTag;

  @Field(() => Int, { description: "Customers who lost the tag." })
  removed!: number;
}

@ObjectType({ description: "One version of a tag's definition." })
export class TagVersion {
  @Field(() => Int)
  version!: number;

  @Field(() => TagVersionStatusEnum)
  status!: TagVersionStatus;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  level1!: string;

  @Field(() => String)
  level2!: string;

  @Field(() => String)
  definition!: string;

  @Field(() => MarketSegmentEnum)
  market!: MarketSegment;

  @Field(() => TagScopeEnum)
  scope!: TagScope;

  @Field(() => ID, { nullable: true })
  regionId!: string | null;

  @Field(() => String)
  owner!: string;

  @Field(() => TagSourceEnum)
  source!: TagSource;

  @Field(() => String, { nullable: true, description: "What the version changes, in its author's words." })
  note!: string | null;

  @Field(() => Int, { description: "Edits of this version so far: an approval applies to the revision submitted only." })
  revision!: number;

  @Field(() => [String], { description: "Who wrote this version: none of them may approve it." })
  editors!: string[];

  @Field(() => String)
  createdBy!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  @Field(() => ID, { nullable: true, description: "The approval (a Change) of this version." })
  changeId!: string | null;

  @Field(() => String, { nullable: true })
  approvedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  approvedAt!: Date | null;

  @Field(() => String, { nullable: true })
  publishedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  publishedAt!: Date | null;

  @Field(() => Boolean, { description: "False for the version a seeded tag serves before the library recorded it (read from the tag itself)." })
  recorded!: boolean;
}

@ObjectType({ description: "One entry of a tag's publish log: who, when, which version, which approval." })
export class TagLogEntry {
  @Field(() => ID)
  id!: string;

  @Field(() => TagLogActionEnum)
  action!: TagLogAction;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { description: "Who published the version, or who proposed taking the tag offline." })
  by!: string;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => ID, { nullable: true, description: "The approval (a Change); null only for versions seeded without one." })
  changeId!: string | null;

  @Field(() => String, { nullable: true })
  approvedBy!: string | null;

  @Field(() => String, { nullable: true, description: "The version's note, or why the tag went offline." })
  reason!: string | null;
}

@ObjectType({ description: "How many customers hold one value of a category tag." })
export class TagValueCount {
  @Field(() => String)
  value!: string;

  @Field(() => Int)
  customers!: number;
}

@ObjectType({ description: "How the decisions of one strategy (or of all strategies reaching a tag) came out over a window." })
export class StrategyPerformance {
  @Field(() => ID, { nullable: true, description: "The strategy (null in a tag's total)." })
  strategyId!: string | null;

  @Field(() => String, { nullable: true })
  code!: string | null;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true, description: "ACTIVE or RETIRED." })
  status!: string | null;

  @Field(() => Int, { description: "Offers presented (contacted) in the window; control-group decisions and those the contact policy held back are not counted." })
  decisions!: number;

  @Field(() => Int, { description: "Of those, answered (any outcome)." })
  responses!: number;

  @Field(() => Int, { description: "Of those, ACCEPTED." })
  accepted!: number;

  @Field(() => Float, { nullable: true, description: "responses / decisions; null without decisions." })
  responseRate!: number | null;

  @Field(() => Float, { nullable: true, description: "accepted / decisions; null without decisions." })
  conversionRate!: number | null;
}

@ObjectType({ description: "The strategies reaching a tag (targeting segments that name it, or triggered on it): their outcomes over the window, summed and per strategy." })
export class TagPerformance {
  @Field(() => Int)
  windowDays!: number;

  @Field(() => Int)
  decisions!: number;

  @Field(() => Int)
  responses!: number;

  @Field(() => Int)
  accepted!: number;

  @Field(() => Float, { nullable: true })
  responseRate!: number | null;

  @Field(() => Float, { nullable: true })
  conversionRate!: number | null;

  @Field(() => [StrategyPerformance])
  byStrategy!: StrategyPerformance[];
}

@ObjectType({ description: "Tag evaluation (标签评估): coverage, references, freshness, the outcomes of the strategies using it, and a verdict for retiring it." })
export class TagEvaluation {
  @Field(() => Int, { description: "Customers holding the tag now." })
  customers!: number;

  @Field(() => Float, { description: "Their share of all customers, 0..1." })
  coverage!: number;

  @Field(() => Int, { description: "Segments whose expressions name the tag." })
  segments!: number;

  @Field(() => Int, { description: "Strategies targeting those segments, or triggered on conditions naming the tag." })
  strategies!: number;

  @Field(() => Int, { description: "Of those, the ACTIVE ones." })
  activeStrategies!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: "The latest time any customer's value was computed (refresh timeliness), as of `statsAt`." })
  refreshedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the statistics were last refreshed (refreshTagStatistics); null: never." })
  statsAt!: Date | null;

  @Field(() => [TagValueCount], { description: "A category tag's values by customers holding them, as of `statsAt`; empty for flags and scores." })
  values!: TagValueCount[];

  @Field(() => Int, { description: "Campaigns targeting segments, or running strategies, that use the tag." })
  campaigns!: number;

  @Field(() => Int, { nullable: true, description: "Seconds since `refreshedAt` (freshness); null when never computed." })
  ageSeconds!: number | null;

  @Field(() => TagPerformance)
  performance!: TagPerformance;

  @Field(() => Float, { nullable: true, description: "The median conversion rate over the library's tags with at least 30 decisions in the window (null: none has)." })
  libraryMedianConversion!: number | null;

  @Field(() => String, {
    description:
      "UNUSED (no segment, strategy or campaign uses it), NOT_ENOUGH_DATA (used, but fewer than 30 offers presented in the window), USELESS (conversion below the library median), KEEP.",
  })
  verdict!: string;

  @Field(() => String, { description: "What the verdict means for this tag, in a sentence." })
  hint!: string;
}

@ObjectType()
export class LibraryTagEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to continue after this tag." })
  cursor!: string;

  @Field(() => LibraryTag)
  node!: LibraryTag;
}

@ObjectType({ description: "A page of the tag library in taxonomy order (level1, level2, code)." })
export class LibraryTagConnection {
  @Field(() => [LibraryTagEdge])
  edges!: LibraryTagEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "Tags matching the filter, across all pages." })
  totalCount!: number;
}

@ObjectType({ description: "A node of a tag's lineage graph." })
export class LineageNode {
  @Field(() => ID)
  id!: string;

  @Field(() => LineageKindEnum)
  kind!: LineageKind;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "The tag's lifecycle status; ACTIVE or RETIRED for strategies and offers; ACTIVE for segments." })
  status!: string;
}

@ObjectType({ description: "An edge of a tag's lineage graph: `from` uses `to`." })
export class LineageEdge {
  @Field(() => ID)
  from!: string;

  @Field(() => ID)
  to!: string;

  @Field(() => LineageRelationEnum)
  relation!: LineageRelation;
}

@ObjectType({ description: "One hit of the indicator search, ready for a segment builder." })
export class IndicatorHit {
  @Field(() => IndicatorKindEnum)
  kind!: IndicatorKind;

  @Field(() => String, { description: "The tag's code or the attribute's name (as expressions write them)." })
  code!: string;

  @Field(() => String, { description: "The tag's name or the attribute's label." })
  name!: string;

  @Field(() => String, { nullable: true, description: "For TAG_VALUE and ATTRIBUTE_VALUE hits: the value." })
  value!: string | null;

  @Field(() => String, { nullable: true, description: "An enumerated attribute value's label (流失预警期 for CHURN_RISK)." })
  valueLabel!: string | null;

  @Field(() => String, { description: "The tag's definition (统计口径) or the attribute's description." })
  description!: string;

  @Field(() => String, { nullable: true })
  level1!: string | null;

  @Field(() => String, { nullable: true })
  level2!: string | null;

  @Field(() => String, { description: "FLAG, CATEGORY or SCORE for tags; number, string or boolean for attributes." })
  valueType!: string;

  @Field(() => ID, { nullable: true })
  tagId!: string | null;

  @Field(() => TagStatusEnum, { nullable: true, description: "The tag's status; null for attributes." })
  status!: TagStatus | null;

  @Field(() => Boolean, { description: "A segment expression may use it now: attributes always, tags (and their values) only when PUBLISHED." })
  usable!: boolean;

  @Field(() => String, { description: "How a segment expression names it: TEL_DATA_HEAVY, BAS_CITY, score(VAL_CHURN_SCORE), arpu." })
  reference!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'A whole condition a builder can insert as it is: TEL_DATA_HEAVY, BAS_CITY = "杭州市", score(VAL_CHURN_SCORE) >= 0.5, doNotDisturb, lifecycleStage = "CHURN_RISK". Null for a number or text attribute, which needs a threshold or a value.',
  })
  expression!: string | null;

  @Field(() => Int, { nullable: true, description: "Customers holding the tag (or the value), as of its last statistics refresh." })
  customers!: number | null;

  @Field(() => Float, { description: "Lucene's relevance score (hits come best first: an exact code, then an exact name or value, then by score)." })
  score!: number;
}

@ObjectType({
  description:
    "What uses a tag, before it is taken offline: the segments whose expressions name it, the strategies targeting them (or triggered on it) and their offers, as a lineage graph and as lists. Offlining stops every one of these segments matching and pauses those strategies.",
})
export class TagImpact {
  @Field(() => LibraryTag)
  tag!: LibraryTag;

  @Field(() => [LineageNode], { description: "The tag first, then segments, strategies and offers." })
  nodes!: LineageNode[];

  @Field(() => [LineageEdge])
  edges!: LineageEdge[];

  @Field(() => [Segment])
  segments!: Segment[];

  @Field(() => [Strategy])
  strategies!: Strategy[];

  @Field(() => [Offer])
  offers!: Offer[];

  @Field(() => [ID], { description: "Campaigns using those segments or strategies: reserved, campaigns do not exist yet (always empty)." })
  campaignIds!: string[];
}
