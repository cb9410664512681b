import { Field, Float, ID, InputType } from "type-graphql";
import { MarketSegmentEnum, TagScopeEnum, TagSourceEnum, TagStatusEnum, TagValueTypeEnum } from "./enums";
import type { MarketSegment, TagScope, TagSource, TagStatus, TagValueType } from "../src/domain/vocabulary";

@InputType({ description: "A CATEGORY rule's entry." })
export class TagCategoryRuleInput {
  @Field(() => String, { description: "The value customers satisfying the expression (and no earlier entry's) take; 1 to 40 characters, each once." })
  value!: string;

  @Field(() => String, { description: "A segment expression (as segmentPreview takes)." })
  expression!: string;
}

@InputType({ description: "A SCORE rule's entry." })
export class TagScoreRuleInput {
  @Field(() => Float, { description: "Above 0, at most 1000." })
  weight!: number;

  @Field(() => String, { description: "A segment expression (as segmentPreview takes)." })
  expression!: string;
}

@InputType({
  description:
    "A RULE tag's rule, in segment expressions (attributes, other tags, holdings, saved segments, family/circle and trajectory predicates; not the tag itself). Give the field of the tag's value type: FLAG `expression`; CATEGORY `categories` (first match wins); SCORE `scores` (score = weighted share of expressions satisfied, 0..1). Checked at once; a bad expression is named with its column.",
})
export class TagRuleInput {
  @Field(() => String, { nullable: true })
  expression?: string | null;

  @Field(() => [TagCategoryRuleInput], { nullable: true, description: "1 to 20 entries." })
  categories?: TagCategoryRuleInput[] | null;

  @Field(() => [TagScoreRuleInput], { nullable: true, description: "1 to 20 entries." })
  scores?: TagScoreRuleInput[] | null;
}

@InputType({ description: "One customer's value of an IMPORTED tag." })
export class TagValueInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => String, { nullable: true, description: "A CATEGORY tag's value (required for one; ignored otherwise)." })
  value?: string | null;

  @Field(() => Float, { nullable: true, description: "A SCORE tag's score, 0 to 1 (required for one; ignored otherwise)." })
  score?: number | null;
}

@InputType({ description: "A new tag of the library (a DRAFT until submitted, approved and published)." })
export class TagInput {
  @Field(() => String, { description: "UPPER_SNAKE, 3 to 40 characters, unique, e.g. TEL_VNET_PREF; what segment expressions write. Never changes." })
  code!: string;

  @Field(() => String, { description: "Level-3 name, e.g. V网偏好客户." })
  name!: string;

  @Field(() => String, { description: 'Tag family: "Basic", "Telecom", "Life & Internet" or "Value & Lifecycle".' })
  level1!: string;

  @Field(() => String, { description: "Second level of the taxonomy, e.g. Voice usage." })
  level2!: string;

  @Field(() => String, { description: "The statistical definition (统计口径), precise: who carries the tag, measured how, over what period." })
  definition!: string;

  @Field(() => TagValueTypeEnum, { description: "Never changes." })
  valueType!: TagValueType;

  @Field(() => MarketSegmentEnum, { nullable: true, description: "Default INDIVIDUAL." })
  market?: MarketSegment | null;

  @Field(() => TagScopeEnum, { nullable: true, description: "Default PROVINCE. A CITY tag names its city in `regionId`." })
  scope?: TagScope | null;

  @Field(() => ID, { nullable: true, description: "The city (e.g. R3301) of a CITY tag." })
  regionId?: string | null;

  @Field(() => String, { nullable: true, description: "Who answers for the definition; default: you." })
  owner?: string | null;

  @Field(() => String, { nullable: true, description: "Why the tag is made, for its approver." })
  note?: string | null;

  @Field(() => TagSourceEnum, { nullable: true, description: "How its values come; default SEEDED. RULE needs `rule`." })
  source?: TagSource | null;

  @Field(() => TagRuleInput, { nullable: true, description: "A RULE tag's rule (part of the approved version: only the published version's rule runs)." })
  rule?: TagRuleInput | null;
}

@InputType({ description: "The fields of a tag to change (left out = unchanged); a published tag gets a new draft version, the published one keeps serving." })
export class TagEditInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  level1?: string | null;

  @Field(() => String, { nullable: true })
  level2?: string | null;

  @Field(() => String, { nullable: true })
  definition?: string | null;

  @Field(() => MarketSegmentEnum, { nullable: true })
  market?: MarketSegment | null;

  @Field(() => TagScopeEnum, { nullable: true, description: "Only before the tag is first published; afterwards a CITY tag widens by promoteTag." })
  scope?: TagScope | null;

  @Field(() => ID, { nullable: true, description: "As scope." })
  regionId?: string | null;

  @Field(() => String, { nullable: true })
  owner?: string | null;

  @Field(() => String, { nullable: true, description: "What this version changes." })
  note?: string | null;

  @Field(() => TagSourceEnum, { nullable: true, description: "A new source (RULE needs a rule: the one it has, or `rule`)." })
  source?: TagSource | null;

  @Field(() => TagRuleInput, { nullable: true, description: "A new rule, replacing the whole rule (a new draft for a published tag)." })
  rule?: TagRuleInput | null;
}

@InputType({ description: "Narrows the tag library; every field given must hold." })
export class TagFilterInput {
  @Field(() => TagStatusEnum, { nullable: true, description: "The tag's status or its open version's (DRAFT also lists published tags with an edit in progress)." })
  status?: TagStatus | null;

  @Field(() => String, { nullable: true })
  level1?: string | null;

  @Field(() => String, { nullable: true })
  level2?: string | null;

  @Field(() => TagScopeEnum, { nullable: true })
  scope?: TagScope | null;

  @Field(() => ID, { nullable: true, description: "CITY tags of this city." })
  regionId?: string | null;

  @Field(() => TagValueTypeEnum, { nullable: true })
  valueType?: TagValueType | null;

  @Field(() => String, { nullable: true, description: "Searched like searchIndicators: code, name, definition, taxonomy, category values (Chinese included)." })
  text?: string | null;

  @Field(() => String, { nullable: true, description: "Only tags whose evaluation verdict over the last 30 days is this: UNUSED, NOT_ENOUGH_DATA, USELESS or KEEP (the tags to retire first)." })
  verdict?: string | null;
}

@InputType({ description: "A city tag's province-wide version." })
export class TagPromotionInput {
  @Field(() => String, { nullable: true, description: "The definition restated for the whole province (a city's definition often names the city); default: unchanged." })
  definition?: string | null;

  @Field(() => String, { nullable: true, description: "Why it is promoted (how it worked in the city), for the approver." })
  note?: string | null;
}
