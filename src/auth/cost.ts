import { getNamedType, isCompositeType, type DocumentNode, type GraphQLSchema } from "graphql";
import { getComplexity, type ComplexityEstimator } from "graphql-query-complexity";
import { QueryLimitError } from "../platform/errors";

/**
 * What an operation costs before it runs, from the document and its variables alone: every field
 * that returns an object counts one per object it may return, a list the client sizes (`ids`,
 * `first`, `limit`, `events`) multiplies everything under it by that size, and a decision
 * (`nextBestOffers`, on Query or on Customer) weighs {@link DECISION_COST} on top: it reads the
 * graph, runs the contact-policy script in Redis and writes to the trajectory. Scalars are free
 * (they come with their object). Lists whose size the data fixes (a customer's tags, the
 * catalogue) count once: the client cannot grow them, and the depth limit bounds their nesting.
 *
 * GraphQL Armor's own cost limit counts every field alike and multiplies only by literal
 * `first`/`last`; it cannot see that a decision is a write, nor a `circle(limit: $n)` in a
 * variable, so this estimate (graphql-query-complexity, with the variables resolved) stands in
 * for it. The limits are in {@link QUERY_LIMITS}; docs/SECURITY.md explains them.
 */

/** One decision: a graph read, a Redis script and a trajectory write, against 1 for an object read. */
export const DECISION_COST = 150;

/**
 * Fields that run set algebra over every customer in Redis (and, for graph and trajectory
 * predicates, an indexed Cypher statement): a segment preview, and each distribution asked of it.
 */
export const PREVIEW_COST = 100;
export const DISTRIBUTION_COST = 50;
const FIXED: Readonly<Record<string, (args: Record<string, unknown>) => number>> = {
  "Query.segmentPreview": (a) => PREVIEW_COST + DISTRIBUTION_COST * (Array.isArray(a.distributionOf) ? a.distributionOf.length : 0),
  "SegmentPreview.distribution": () => DISTRIBUTION_COST,
};

/** The coordinates that are decisions: each call decides once (its `limit` placements share the read and the write). */
const DECISIONS: ReadonlySet<string> = new Set(["Query.nextBestOffers", "Customer.nextBestOffers"]);

/**
 * Lists whose length the client chooses, and the argument that sets it. Everything under such a
 * field is multiplied by it, so `circle(limit: 50) { customer { circle(limit: 50) { … } } }`
 * costs 50 × 50 × what is inside.
 */
const SIZED: Readonly<Record<string, (args: Record<string, unknown>) => number>> = {
  "Query.customers": (a) => (Array.isArray(a.ids) ? a.ids.length : 1),
  // A router's entity fetch: each representation is an object read with everything selected under it.
  "Query._entities": (a) => (Array.isArray(a.representations) ? a.representations.length : 1),
  "Customer.circle": (a) => num(a.limit),
  "Customer.contacts": (a) => num(a.first),
  "Query.parkedEvents": (a) => num(a.first),
  "Query.tags": (a) => num(a.first),
  "Query.searchIndicators": (a) => num(a.first),
  "LibraryTag.versions": (a) => num(a.first),
  "LibraryTag.publishLog": (a) => num(a.first),
  "Mutation.refreshTagStatistics": (a) => (Array.isArray(a.ids) ? a.ids.length : 1),
  "Query.auditTrail": (a) => num(a.first),
  "Mutation.ingestEvents": (a) => (Array.isArray(a.events) ? a.events.length : 1),
  "Query.nextBestOffers": (a) => num(a.limit),
  "Customer.nextBestOffers": (a) => num(a.limit),
  "SegmentPreview.sample": (a) => num(a.first),
  "Query.workOrders": (a) => num(a.first),
};

/**
 * The query limits, the same on HTTP and on WebSocket. Chosen from what the front lines send
 * (schema/operations/, checked by test/limits.test.ts): the deepest is the desk feed at 7 levels;
 * the largest, the desk's unified view of 100 customers at once, costs 15,100; the largest
 * document has under 300 tokens and no aliases beyond a handful.
 */
export const QUERY_LIMITS = {
  /** Field nesting (fragments do not count as a level). */
  maxDepth: 10,
  /** Aliased fields in one operation (`__typename` free). */
  maxAliases: 15,
  /** Directives in one operation (`@include`, `@skip`). */
  maxDirectives: 20,
  /** Lexical tokens in the document, counted while parsing so a huge one is never built. */
  maxTokens: 2_000,
  /** The estimate above; a decision is {@link DECISION_COST}. */
  maxCost: 20_000,
} as const;

/** What an operation is estimated to cost and how many decisions it would make. */
export interface OperationCost {
  cost: number;
  decisions: number;
}

/**
 * Estimates `document`'s operation (`operationName`) with `variables`. Throws a
 * {@link QueryLimitError} (limit "cost") when it exceeds {@link QUERY_LIMITS.maxCost}; returns
 * null when the variables do not fit the document (execution answers that with BAD_USER_INPUT
 * before anything runs).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  maxCost: number = QUERY_LIMITS.maxCost,
): OperationCost | null {
  const options = { schema, query: document, variables: variables ? { ...variables } : {}, ...(operationName ? { operationName } : {}) };
  let cost: number;
  let decisions = 0;
  // Most operations make no decision: count them (a second pass) only when the first met one.
  let sawDecision = false;
  const costEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
    const coordinate = `${type.name}.${field.name}`;
    const decision = DECISIONS.has(coordinate);
    if (decision) sawDecision = true;
    const own = isCompositeType(getNamedType(field.type)) ? 1 : 0;
    const size = SIZED[coordinate]?.(args) ?? 1;
    return size * (own + childComplexity) + (decision ? DECISION_COST : 0) + (FIXED[coordinate]?.(args) ?? 0);
  };
  try {
    cost = getComplexity({ ...options, estimators: [costEstimator] });
    if (sawDecision) decisions = getComplexity({ ...options, estimators: [decisionEstimator] });
  } catch {
    return null;
  }
  if (cost > maxCost) {
    const what = decisions > 0 ? ` (${decisions} decision${decisions === 1 ? "" : "s"} at ${DECISION_COST} each)` : "";
    const shown = cost > 1e9 ? "over 1,000,000,000" : String(cost);
    throw new QueryLimitError(
      "cost",
      `The operation would cost ${shown}${what}; the limit is ${maxCost}. Ask for fewer customers, smaller pages or circles, or fewer decisions per request (docs/SECURITY.md, "Limits").`,
      maxCost,
      cost,
    );
  }
  return { cost, decisions };
}

/** Counts decision calls, multiplied by the sized lists above them (`customers(ids: …) { nextBestOffers }`). */
const decisionEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const coordinate = `${type.name}.${field.name}`;
  if (DECISIONS.has(coordinate)) return 1;
  return (SIZED[coordinate]?.(args) ?? 1) * childComplexity;
};

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 1;
}
