import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from "graphql";
import { PROJECT_ROOT } from "../../src/platform/paths";
import { RawValue } from "./hostile";

/**
 * What the fuzzer knows about the schema: the emitted contract (schema/schema.graphql, which a
 * test keeps equal to the code), walked for root operations, their arguments and the input fields
 * inside them, with a valid baseline value for each so that one hostile value at a time reaches as
 * deep as it can.
 */

export type RootKind = "Query" | "Mutation" | "Subscription";

export interface RootField {
  root: RootKind;
  name: string;
  field: GraphQLField<unknown, unknown>;
  /** "Query.customer" */
  coordinate: string;
}

/**
 * Ids of things the fuzzer may touch. Everything it changes is its own (a segment, an offer and a
 * strategy valid only from 2090, customers it owns), so a fuzz run beside other tests on a shared
 * graph changes nothing they look at.
 */
export interface FuzzTargets {
  /** Customers the fuzzer may decide for, send events about and answer offers for. */
  customerIds: readonly string[];
  agentId: string;
  regionId: string;
  productId: string;
  /** A segment only the fuzzer changes (updateSegment). */
  segmentId: string;
  /** The segment the fuzzer's strategies use: matches nobody, never changed. */
  strategySegmentId: string;
  offerId: string;
  strategyId: string;
  decisionId: string;
  /** A proposal left pending (a segment to create), for the approval mutations to decide or withdraw. */
  changeId: string;
  /** Unique per run (upper-case letters and digits, at most 8), for codes that must be unique. */
  runTag: string;
}

/** The emitted schema. */
export function loadSchema(): GraphQLSchema {
  return buildSchema(readFileSync(join(PROJECT_ROOT, "schema/schema.graphql"), "utf8"));
}

export function rootFields(schema: GraphQLSchema): RootField[] {
  const out: RootField[] = [];
  for (const [root, type] of [
    ["Query", schema.getQueryType()],
    ["Mutation", schema.getMutationType()],
    ["Subscription", schema.getSubscriptionType()],
  ] as const) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) out.push({ root, name: field.name, field, coordinate: `${root}.${field.name}` });
  }
  return out;
}

/** A small selection set for `type`: its leaf fields without required arguments (a few), or one level into an object. */
export function selectionFor(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return "";
  if (!isObjectType(named)) return "{ __typename }";
  const fields = Object.values(named.getFields()).filter((f) => !f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined));
  const leaves = fields.filter((f) => isLeafType(getNamedType(f.type))).slice(0, 5);
  if (leaves.length > 0) return `{ ${leaves.map((f) => f.name).join(" ")} }`;
  const nested = fields.find((f) => isObjectType(getNamedType(f.type)));
  if (nested && depth < 2) return `{ ${nested.name} ${selectionFor(nested.type, depth + 1)} }`;
  return "{ __typename }";
}

/** A later date than any test decides at: what the fuzzer's strategies and offers are valid from. */
export const FAR_FUTURE = "2090-01-01T00:00:00.000Z";

/** Builds baseline (valid) argument values for one root field of one case. */
export class Baseline {
  constructor(
    private readonly targets: FuzzTargets,
    /** Distinguishes the codes and event ids of one case from another's. */
    private readonly caseIndex: number,
  ) {}

  /** Values for the field's required arguments, plus the optional ones that make the call meaningful. */
  argsFor(rf: RootField): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const arg of rf.field.args) {
      if (isNonNullType(arg.type) && arg.defaultValue === undefined) out[arg.name] = this.argValue(rf, arg);
    }
    return out;
  }

  /** A valid value for one argument of `rf`. */
  argValue(rf: RootField, arg: GraphQLArgument): unknown {
    const t = this.targets;
    const name = arg.name;
    if (name === "id") {
      if (/Strategy$/.test(rf.name) || rf.name === "strategy") return t.strategyId;
      if (/Offer$/.test(rf.name)) return t.offerId;
      if (/Segment$/.test(rf.name)) return t.segmentId;
      if (rf.name === "decision") return t.decisionId;
      if (/Change$/.test(rf.name) || rf.name === "change") return t.changeId;
      return this.customer();
    }
    if (name === "input") return this.inputFor(rf, arg.type);
    return this.valueFor(arg.type, name, rf.name);
  }

  /** A valid value of `type` for a field or argument called `name` (inside `owner`, an input type or root field name). */
  valueFor(type: GraphQLInputType, name: string, owner: string): unknown {
    const nullable = getNullableType(type) as GraphQLInputType;
    if (isListType(nullable)) {
      return [this.valueFor(nullable.ofType, singular(name), owner)];
    }
    const named = getNamedType(nullable);
    if (isInputObjectType(named)) return this.objectFor(named.name, owner);
    if (isEnumType(named)) return this.enumValue(named.name, named.getValues().map((v) => v.name));
    switch (named.name) {
      case "ID":
        return this.idFor(name);
      case "String":
        return this.stringFor(name, owner);
      case "Int":
        return INTS[name] ?? 1;
      case "Float":
        return FLOATS[name] ?? 1;
      case "Boolean":
        return name === "push" ? false : true;
      case "DateTime":
        return FAR_FUTURE;
      case "JSON":
        return { percent: 50 };
      default:
        return isScalarType(named) ? "x" : null;
    }
  }

  /** The whole input object of a create, or a one-field change for an update. */
  private inputFor(rf: RootField, type: GraphQLInputType): unknown {
    const named = getNamedType(type);
    if (!isInputObjectType(named)) return this.valueFor(type, "input", rf.name);
    if (rf.name.startsWith("update")) return { name: "Fuzz" };
    return this.objectFor(named.name, rf.name);
  }

  objectFor(typeName: string, owner: string): Record<string, unknown> {
    const t = this.targets;
    const n = this.caseIndex;
    switch (typeName) {
      case "SegmentInput":
        return { code: `FUZZ_${t.runTag}_${n}`, name: "Fuzz segment", expression: "arpu < 0" };
      case "OfferInput":
        return { code: `OFF-FUZZ-${t.runTag}-${n}`, name: "Fuzz offer", productId: t.productId, value: 1, validFrom: FAR_FUTURE, creatives: [{ channel: "APP", text: "fuzz" }] };
      case "StrategyInput":
        return {
          code: `FZ-FUZZ-${t.runTag}-${String(n % 1000).padStart(3, "0")}`,
          name: "Fuzz strategy",
          businessLine: "MOBILE",
          scenario: "RETENTION",
          segmentId: t.strategySegmentId,
          offerIds: [t.offerId],
          channels: ["APP"],
          validFrom: FAR_FUTURE,
        };
      case "StrategyTriggerInput":
        return { eventType: "DATA_USAGE", condition: "event.percent >= 10000" };
      case "EventInput":
        return { id: `fz-${t.runTag}-${n}`, customerId: this.customer(), type: "DATA_USAGE", payload: { percent: 50 } };
      case "ContactPolicyInput":
        return { honourPreference: true };
      case "ChannelCapInput":
        return { channel: "APP", limit: 1000, windowDays: 7 };
      case "OverallCapInput":
        return { limit: 1000 };
      case "QuietHoursInput":
        return { start: "23:00", end: "06:00", timeZone: "Asia/Shanghai" };
      case "CreativeInput":
        return { channel: "APP", text: "fuzz" };
      case "DecisionContextInput":
        return { push: false };
      default:
        return { owner };
    }
  }

  private enumValue(typeName: string, values: readonly string[]): string {
    const preferred: Record<string, string> = { ChannelCode: "APP", ResponseOutcome: "DECLINED", EventType: "DATA_USAGE", MarketingStatus: "ACTIVE", ProductKind: "PLAN" };
    return preferred[typeName] ?? values[0] ?? "X";
  }

  private idFor(name: string): unknown {
    const t = this.targets;
    switch (name) {
      case "customerId":
      case "ids":
      case "id":
        return this.customer();
      case "decisionId":
        return t.decisionId;
      case "agentId":
        return t.agentId;
      case "regionId":
      case "regionIds":
        return t.regionId;
      case "segmentId":
        return t.strategySegmentId;
      case "offerIds":
      case "offerId":
        return t.offerId;
      case "productId":
        return t.productId;
      case "parkedIds":
      case "parkedId":
        return "0-0";
      default:
        return "fuzz-id";
    }
  }

  private stringFor(name: string, owner: string): string {
    const s: Record<string, string> = {
      msisdn: "13800000000",
      type: "DATA_USAGE",
      expression: "arpu < 0",
      condition: "event.percent >= 10000",
      start: "23:00",
      end: "06:00",
      timeZone: "Asia/Shanghai",
      businessLine: "MOBILE",
      scenario: "RETENTION",
      level1: "BAS",
    };
    return s[name] ?? (name === "code" ? `FUZZ_${this.targets.runTag}_${this.caseIndex}_${owner.length}` : "fuzz");
  }

  private customer(): string {
    const ids = this.targets.customerIds;
    return ids[this.caseIndex % ids.length] ?? "C0000001";
  }
}

const INTS: Record<string, number> = { limit: 1, first: 5, maxDelaySeconds: 60, windowDays: 7, declineCooldownDays: 7, ignoreLimit: 3, ignoreWindowDays: 30, ignoreCooldownDays: 7 };
const FLOATS: Record<string, number> = { value: 1, priority: 1, controlShare: 0.1, basePropensity: 0.03 };

function singular(name: string): string {
  return name.endsWith("ies") ? `${name.slice(0, -3)}y` : name.endsWith("s") ? name.slice(0, -1) : name;
}

/** A place in a root field's arguments a hostile value can go, with the type expected there. */
export interface ArgPath {
  path: ReadonlyArray<string | number>;
  type: GraphQLInputType;
}

/** Every argument of `rf`, and the fields of the input objects inside them (three levels deep). */
export function argPaths(rf: RootField): ArgPath[] {
  const out: ArgPath[] = [];
  const walk = (path: Array<string | number>, type: GraphQLInputType, depth: number): void => {
    out.push({ path, type });
    if (depth >= 3) return;
    const nullable = getNullableType(type) as GraphQLInputType;
    const inner = isListType(nullable) ? (getNullableType(nullable.ofType) as GraphQLInputType) : nullable;
    if (!isInputObjectType(inner)) return;
    const prefix = isListType(nullable) ? [...path, 0] : path;
    for (const f of Object.values(inner.getFields())) walk([...prefix, f.name], f.type, depth + 1);
  };
  for (const arg of rf.field.args) walk([arg.name], arg.type, 1);
  return out;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** `value` as a GraphQL literal for a position of `type` (enums bare where the value names one). */
export function printLiteral(value: unknown, type: GraphQLInputType | null): string {
  if (value instanceof RawValue) return value.literal;
  if (value === null || value === undefined) return "null";
  const nullable = type ? (getNullableType(type) as GraphQLInputType) : null;
  if (Array.isArray(value)) {
    const item = nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : nullable;
    return `[${value.map((v) => printLiteral(v, item)).join(", ")}]`;
  }
  const named = nullable ? getNamedType(nullable) : null;
  if (typeof value === "object") {
    const fields = named && isInputObjectType(named) ? named.getFields() : {};
    return `{${Object.keys(value)
      .map((k) => `${NAME.test(k) ? k : JSON.stringify(k)}: ${printLiteral((value as Record<string, unknown>)[k], fields[k]?.type ?? null)}`)
      .join(", ")}}`;
  }
  if (typeof value === "string") {
    if (named && isEnumType(named) && NAME.test(value)) return value;
    return JSON.stringify(value);
  }
  return String(value);
}

/** The type as written in a variable definition ("[ID!]!"). */
export function typeText(type: GraphQLInputType): string {
  return String(type);
}
