import { registerEnumType } from "type-graphql";
import { REASON_KINDS, type ReasonKind } from "../src/decisioning/explain";
import { EVENT_CATALOGUE, EVENT_TYPES, eventAttributeName, type EventType } from "../src/domain/events";
import { CHANGE_ACTIONS, CHANGE_KINDS, CHANGE_STATUSES, type ChangeAction, type ChangeKind, type ChangeStatus } from "../src/domain/vocabulary";
import { TAG_LOG_ACTIONS, TAG_SCOPES, TAG_STATUSES, TAG_VALUE_TYPES, TAG_VERSION_STATUSES, type TagLogAction, type TagScope, type TagStatus, type TagValueType, type TagVersionStatus } from "../src/domain/vocabulary";
import { TAG_RUN_STATES, TAG_SOURCES, type TagRunState, type TagSource } from "../src/domain/vocabulary";
import { INDICATOR_KINDS, type IndicatorKind } from "../src/graph/tags";
import { LINEAGE_KINDS, LINEAGE_RELATIONS, type LineageKind, type LineageRelation } from "../src/tags/impact";
import { CHANNEL_CODES, MARKETING_STATUSES, CONTACT_KINDS, LIFECYCLE_STAGES, MARKET_SEGMENTS, PRODUCT_KINDS, RESPONSE_OUTCOMES, VALUE_TIERS, type ChannelCode, type ContactKind, type LifecycleStage, type MarketingStatus, type MarketSegment, type ProductKind, type ResponseOutcome, type ValueTier } from "../src/domain/vocabulary";

/** type-graphql wants an enum-like object; the graph model's string unions are the source of truth. */
function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const ProductKindEnum = enumOf<ProductKind>(PRODUCT_KINDS);
export const ChannelCodeEnum = enumOf<ChannelCode>(CHANNEL_CODES);
export const MarketSegmentEnum = enumOf<MarketSegment>(MARKET_SEGMENTS);
export const ValueTierEnum = enumOf<ValueTier>(VALUE_TIERS);
export const LifecycleStageEnum = enumOf<LifecycleStage>(LIFECYCLE_STAGES);
export const ContactKindEnum = enumOf<ContactKind>(CONTACT_KINDS);
export const ResponseOutcomeEnum = enumOf<ResponseOutcome>(RESPONSE_OUTCOMES);

export const MarketingStatusEnum = enumOf<MarketingStatus>(MARKETING_STATUSES);
export const ReasonKindEnum = enumOf<ReasonKind>(REASON_KINDS);
export const EventTypeEnum = enumOf<EventType>(EVENT_TYPES);

export const ChangeKindEnum = enumOf<ChangeKind>(CHANGE_KINDS);
export const ChangeActionEnum = enumOf<ChangeAction>(CHANGE_ACTIONS);
export const ChangeStatusEnum = enumOf<ChangeStatus>(CHANGE_STATUSES);

export const TagStatusEnum = enumOf<TagStatus>(TAG_STATUSES);
export const TagVersionStatusEnum = enumOf<TagVersionStatus>(TAG_VERSION_STATUSES);
export const TagValueTypeEnum = enumOf<TagValueType>(TAG_VALUE_TYPES);
export const TagScopeEnum = enumOf<TagScope>(TAG_SCOPES);
export const TagSourceEnum = enumOf<TagSource>(TAG_SOURCES);
export const TagRunStateEnum = enumOf<TagRunState>(TAG_RUN_STATES);
export const TagLogActionEnum = enumOf<TagLogAction>(TAG_LOG_ACTIONS);
export const IndicatorKindEnum = enumOf<IndicatorKind>(INDICATOR_KINDS);
export const LineageKindEnum = enumOf<LineageKind>(LINEAGE_KINDS);
export const LineageRelationEnum = enumOf<LineageRelation>(LINEAGE_RELATIONS);

export const CIRCLE_RELATIONS = ["FAMILY", "VNET", "ENTERPRISE", "CALLS"] as const;
export type CircleRelation = (typeof CIRCLE_RELATIONS)[number];
export const CircleRelationEnum = enumOf<CircleRelation>(CIRCLE_RELATIONS);

registerEnumType(ProductKindEnum, { name: "ProductKind", description: "What a product is: a main plan, an add-on, a pack, a home product, a handset or content." });
registerEnumType(ChannelCodeEnum, { name: "ChannelCode", description: "The seven contact channels." });
registerEnumType(MarketSegmentEnum, { name: "MarketSegment", description: "Individual, family or enterprise market (个/家/集团)." });
registerEnumType(ValueTierEnum, { name: "ValueTier", description: "Value tier derived from ARPU." });
registerEnumType(LifecycleStageEnum, { name: "LifecycleStage", description: "Customer lifecycle stage (AARRR-guided)." });
registerEnumType(ContactKindEnum, { name: "ContactKind", description: "What happened in one contact (接触)." });
registerEnumType(ResponseOutcomeEnum, { name: "ResponseOutcome", description: "How the customer answered an offer." });
registerEnumType(CircleRelationEnum, { name: "CircleRelation", description: "Why someone is in a customer's circle." });
registerEnumType(MarketingStatusEnum, { name: "MarketingStatus", description: "ACTIVE offers and strategies take part in decisions; RETIRED ones are kept for history." });
registerEnumType(ReasonKindEnum, { name: "ReasonKind", description: "What a decision's reason states: the event that fired it, strategy, segment match, graph evidence, upgrade path, model, score parts, context, control group; STORY: a running campaign wave holds this offer first on every channel; ADVICE: plan advice the offer matches." });
registerEnumType(ChangeKindEnum, { name: "ChangeKind", description: "What a proposed change is to: a segment, an offer, a strategy, the contact policy, a tag of the tag library, or a campaign (its launch approval)." });
registerEnumType(ChangeActionEnum, {
  name: "ChangeAction",
  description:
    "CREATE makes the target (under the id reserved when it was proposed); UPDATE and RETIRE change it (a tag: approve a version; take it offline); SET replaces the contact policy's fields given; PROMOTE approves a city tag's province-wide version.",
});
registerEnumType(TagStatusEnum, {
  name: "TagStatus",
  description:
    "A tag's lifecycle: DRAFT (being written) → PENDING_APPROVAL (submitted) → APPROVED → PUBLISHED (served: the unified view, segments and decisions use it) → OFFLINE (no longer served anywhere). A rejected or withdrawn submission is a DRAFT again.",
});
registerEnumType(TagVersionStatusEnum, {
  name: "TagVersionStatus",
  description: "A version's status: the lifecycle's, plus SUPERSEDED (was published, replaced by a later version) and DISCARDED (approved, never published, replaced by a newer draft).",
});
registerEnumType(TagValueTypeEnum, { name: "TagValueType", description: "FLAG: carried or not; CATEGORY: one value of a set (年龄段 = \"25-34岁\"); SCORE: a strength in [0, 1], tested as score(CODE) >= x." });
registerEnumType(TagSourceEnum, {
  name: "TagSource",
  description: "How a tag's values come: SEEDED (written outside the library, as before rule tags), RULE (computed from its rule by the tag jobs: daily and on demand with runTag), IMPORTED (given for listed customers by importTagValues).",
});
registerEnumType(TagRunStateEnum, { name: "TagRunState", description: "A rule tag's run: QUEUED, RUNNING (progress moves; resumed by another replica if its worker dies), SUCCEEDED, FAILED (after its retries, with `error`)." });
registerEnumType(TagScopeEnum, { name: "TagScope", description: "PROVINCE: defined for the whole province; CITY: a city branch's own tag (with its city), promotable to the province." });
registerEnumType(TagLogActionEnum, { name: "TagLogAction", description: "What a publish-log entry records: a version published, a city tag's province-wide version published (PROMOTE), the tag taken offline." });
registerEnumType(IndicatorKindEnum, {
  name: "IndicatorKind",
  description: "What an indicator search hit is: a tag, one value of a category tag, a customer attribute, or one value of an enumerated attribute.",
});
registerEnumType(LineageKindEnum, { name: "LineageKind", description: "A node of a tag's lineage. CAMPAIGN is reserved: campaigns join the lineage when they exist." });
registerEnumType(LineageRelationEnum, {
  name: "LineageRelation",
  description: "USES: a segment's expression names the tag; TARGETS: a strategy targets the segment; TRIGGERED_BY: a strategy's trigger condition names the tag; PROPOSES: a strategy proposes the offer.",
});
registerEnumType(ChangeStatusEnum, {
  name: "ChangeStatus",
  description: "PENDING until an approver approves (applied) or rejects it, or its author withdraws it; a decided change never changes again.",
});
registerEnumType(EventTypeEnum, {
  name: "EventType",
  description: "A real-time event the gateway accepts. Each value's description lists the payload fields a strategy trigger's condition may test.",
  // Operators writing a trigger condition read the fields here: `event.percent >= 90`.
  valuesConfig: Object.fromEntries(
    EVENT_TYPES.map((type) => {
      const info = EVENT_CATALOGUE[type];
      const fields = Object.entries(info.fields).map(([name, f]) => `${eventAttributeName(name)} (${f.type}${f.values ? `: ${f.values.join(", ")}` : ""})`);
      return [type, { description: `${info.label}: ${info.description}${fields.length > 0 ? ` Fields: ${fields.join("; ")}.` : ""}` }];
    }),
  ),
});
