import { MARKET_SEGMENTS, TAG_LEVEL1S, TAG_SCOPES, TAG_VALUE_TYPES, type MarketSegment, type TagScope, type TagSource, type TagValueType } from "../domain/vocabulary";
import type { TagRuleInput } from "./rules";
import type { RegionRecord } from "../graph/records";
import type { TagContent } from "../graph/tags";
import { KEYWORDS, UPPER_SNAKE } from "../segments/expression";
import { BadUserInputError } from "../platform/errors";

/**
 * The checks of the tag library's inputs, each failing with BAD_USER_INPUT that names the field,
 * says what was expected and what was given. They run before anything is written.
 */

/** What createTag takes. */
export interface TagInput {
  code: string;
  name: string;
  level1: string;
  level2: string;
  definition: string;
  valueType: TagValueType;
  market?: MarketSegment | null;
  scope?: TagScope | null;
  regionId?: string | null;
  owner?: string | null;
  note?: string | null;
  /** How its values come; default SEEDED. */
  source?: TagSource | null;
  /** A RULE tag's rule (./rules.ts). */
  rule?: TagRuleInput | null;
}

/** What updateTag takes: the fields given change, the rest stay. Code and value type never change. */
export interface TagEdit {
  name?: string | null;
  level1?: string | null;
  level2?: string | null;
  definition?: string | null;
  market?: MarketSegment | null;
  scope?: TagScope | null;
  /** Undefined: unchanged; null: none (a PROVINCE tag). */
  regionId?: string | null;
  owner?: string | null;
  note?: string | null;
  /** Given: the source changes (a rule is then needed for RULE). */
  source?: TagSource | null;
  /** Given: the rule changes (checked like createTag's). */
  rule?: TagRuleInput | null;
}

/** A source and rule already checked (./rules.ts checkRule): the canonical JSON of the rule. */
export interface CheckedSource {
  source: TagSource;
  rule: string | null;
}

export const MAX_NAME = 40;
export const MAX_LEVEL2 = 40;
export const MIN_DEFINITION = 8;
export const MAX_DEFINITION = 500;
export const MAX_OWNER = 60;
export const MAX_NOTE = 500;
export const MAX_CODE = 40;

function fail(argument: string, message: string): never {
  throw new BadUserInputError(message, argument);
}

function text(argument: string, value: string | null | undefined, max: number, min = 1): string {
  const v = value?.trim() ?? "";
  if (v.length === 0) fail(argument, `\`${argument}\` must not be empty.`);
  if (v.length < min) fail(argument, `\`${argument}\` must have at least ${min} characters; got ${v.length} ("${v}").`);
  if (v.length > max) fail(argument, `\`${argument}\` must be at most ${max} characters; got ${v.length}.`);
  return v;
}

/** A note (what a version changes, why a tag goes offline): trimmed, at most MAX_NOTE; null when empty. */
export function optionalNote(argument: string, value: string | null | undefined): string | null {
  const v = value?.trim() ?? "";
  if (v.length > MAX_NOTE) fail(argument, `\`${argument}\` must be at most ${MAX_NOTE} characters; got ${v.length}.`);
  return v.length > 0 ? v : null;
}

/**
 * A tag code: what segment expressions write (UPPER_SNAKE, src/segments/expression), so it must
 * read back as a tag there: upper-case letters, digits and underscores, a letter first, no keyword.
 */
export function tagCode(value: string): string {
  const v = value.trim();
  if (v.length < 3 || v.length > MAX_CODE || !UPPER_SNAKE.test(v)) {
    fail("code", `\`code\` "${v.slice(0, 60)}" is not a tag code: use 3 to ${MAX_CODE} upper-case letters, digits and underscores, starting with a letter, like TEL_DATA_HEAVY (segment expressions name tags by it).`);
  }
  if (KEYWORDS.has(v.toLowerCase())) fail("code", `\`code\` ${v} is a keyword of segment expressions; choose another code.`);
  return v;
}

export function valueType(value: string): TagValueType {
  if (!(TAG_VALUE_TYPES as readonly string[]).includes(value)) fail("valueType", `\`valueType\` must be one of ${TAG_VALUE_TYPES.join(", ")}; got ${value}.`);
  return value as TagValueType;
}

function level1(value: string | null | undefined): string {
  const v = text("level1", value, 40);
  if (!(TAG_LEVEL1S as readonly string[]).includes(v)) fail("level1", `\`level1\` must be one of the tag families ${TAG_LEVEL1S.map((l) => `"${l}"`).join(", ")}; got "${v}".`);
  return v;
}

function market(value: string | null | undefined): MarketSegment {
  const v = value ?? "INDIVIDUAL";
  if (!(MARKET_SEGMENTS as readonly string[]).includes(v)) fail("market", `\`market\` must be one of ${MARKET_SEGMENTS.join(", ")}; got ${v}.`);
  return v as MarketSegment;
}

/** Scope and city agree: a CITY tag names a city of the province, a PROVINCE tag none. */
function scoped(scope: string, regionId: string | null, regions: ReadonlyMap<string, RegionRecord>): { scope: TagScope; regionId: string | null } {
  if (!(TAG_SCOPES as readonly string[]).includes(scope)) fail("scope", `\`scope\` must be one of ${TAG_SCOPES.join(", ")}; got ${scope}.`);
  if (scope === "PROVINCE") {
    if (regionId) fail("regionId", `A PROVINCE tag applies to the whole province and names no city; leave \`regionId\` out (got ${regionId}), or make the scope CITY.`);
    return { scope, regionId: null };
  }
  const cities = [...regions.values()].filter((r) => r.level === "CITY").map((r) => r.id);
  if (!regionId) fail("regionId", `A CITY tag names its city: give \`regionId\`, one of ${cities.join(", ")}.`);
  const region = regions.get(regionId);
  if (!region || region.level !== "CITY") {
    fail("regionId", `\`regionId\` ${regionId} is not a city of the province; a CITY tag names one of ${cities.join(", ")}.`);
  }
  return { scope: "CITY", regionId };
}

/** The content of a new tag, checked whole. */
export function checkNewContent(input: TagInput, owner: string, regions: ReadonlyMap<string, RegionRecord>, source: CheckedSource): TagContent {
  return {
    name: text("name", input.name, MAX_NAME),
    level1: level1(input.level1),
    level2: text("level2", input.level2, MAX_LEVEL2),
    definition: text("definition", input.definition, MAX_DEFINITION, MIN_DEFINITION),
    market: market(input.market),
    ...scoped(input.scope ?? "PROVINCE", input.regionId ?? null, regions),
    owner: text("owner", input.owner ?? owner, MAX_OWNER),
    ...source,
  };
}

/**
 * The content an edit makes of `base`, checked whole. `scopeFixed`: the tag was published, so its
 * scope changes only by promotion (promoteTag) and never back. `editor` owns a tag that had no
 * owner (seeded before owners were recorded) unless the edit names one.
 */
export function checkEdit(base: TagContent, edit: TagEdit, regions: ReadonlyMap<string, RegionRecord>, scopeFixed: boolean, editor: string, source: CheckedSource | null = null): TagContent {
  const scope = edit.scope ?? base.scope;
  // A move to PROVINCE drops the city unless the edit names one (which scoped() then refuses).
  const regionId = edit.regionId !== undefined ? edit.regionId : scope === "PROVINCE" ? null : base.regionId;
  if (scopeFixed && (scope !== base.scope || regionId !== base.regionId)) {
    fail(
      edit.scope !== undefined && edit.scope !== null ? "scope" : "regionId",
      base.scope === "CITY"
        ? `A published tag's scope changes only by promotion: to make this CITY tag province-wide, use promoteTag (an approver approves it). Its city cannot change.`
        : `A published PROVINCE tag stays province-wide; for one city, create a CITY tag of its own.`,
    );
  }
  return {
    name: text("name", edit.name ?? base.name, MAX_NAME),
    level1: level1(edit.level1 ?? base.level1),
    level2: text("level2", edit.level2 ?? base.level2, MAX_LEVEL2),
    definition: text("definition", edit.definition ?? base.definition, MAX_DEFINITION, MIN_DEFINITION),
    market: market(edit.market ?? base.market),
    ...scoped(scope, regionId ?? null, regions),
    owner: text("owner", edit.owner ?? (base.owner || editor), MAX_OWNER),
    ...(source ?? { source: base.source, rule: base.rule }),
  };
}

/** Whether two contents define the same tag. */
export function sameContent(a: TagContent, b: TagContent): boolean {
  return (Object.keys(a) as Array<keyof TagContent>).every((k) => (a[k] ?? null) === (b[k] ?? null));
}
