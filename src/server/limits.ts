import { ApolloArmor } from "@escape.tech/graphql-armor";
import { GraphQLError, getNamedType, isIntrospectionType, parse, type DocumentNode, type ValidationContext, type ValidationRule } from "graphql";
import { QUERY_LIMITS } from "../auth/cost";
import { QueryLimitError, type QueryLimit } from "../platform/errors";

/**
 * The query limits of src/auth/cost.ts as validation rules, the same on both transports. Depth,
 * aliases and directives are GraphQL Armor's rules (passed to Apollo as `validationRules`, and run
 * by our graphql-ws `onSubscribe` with graphql's own), with Armor's message ("… limit of N
 * exceeded, found M") turned into a {@link QueryLimitError}: BAD_USER_INPUT with `limit`, `max`
 * and `found` in extensions. Tokens are counted by graphql-js's parser (`maxTokens`), which stops
 * as soon as the count is passed; Armor's Apollo token plugin re-parses in a hook whose errors
 * Apollo answers with 500. Cost is src/auth/cost.ts, which needs the variables. In production
 * introspection is off and "Did you mean …?" suggestions are hidden ({@link hideSuggestions}, on
 * both transports).
 */

/** Armor's rules for depth, aliases and directives, each reporting a typed error. */
function armor(): ApolloArmor {
  const reject = (limit: QueryLimit, max: number, what: string, fix: string) => (context: ValidationContext | null, error: GraphQLError) => {
    const found = Number(/found (\d+)/.exec(error.message)?.[1] ?? NaN);
    const count = Number.isFinite(found) ? found : undefined;
    context?.reportError(new QueryLimitError(limit, `The operation has ${count ?? "too many"} ${what}; the limit is ${max}. ${fix}`, max, count));
  };
  const config: ConstructorParameters<typeof ApolloArmor>[0] = {
    maxDepth: {
      n: QUERY_LIMITS.maxDepth,
      // Spreading a fragment is not a level of the answer: count the fields only.
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reject("depth", QUERY_LIMITS.maxDepth, "levels of nesting", "Ask for fewer nested levels (a circle inside a circle), or split it into several requests.")],
    },
    maxAliases: {
      n: QUERY_LIMITS.maxAliases,
      propagateOnRejection: false,
      onReject: [reject("aliases", QUERY_LIMITS.maxAliases, "aliased fields", "Send fewer aliases per operation (each aliased nextBestOffers is a decision), or several operations.")],
    },
    maxDirectives: {
      n: QUERY_LIMITS.maxDirectives,
      propagateOnRejection: false,
      onReject: [reject("directives", QUERY_LIMITS.maxDirectives, "directives", "Send fewer @include/@skip directives.")],
    },
    // Replaced by src/auth/cost.ts (decisions, sized lists, variables) and by graphql's maxTokens; see above.
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    // Its mask leaves a stray "?" behind; formatError and the socket path use hideSuggestions instead.
    blockFieldSuggestion: { enabled: false },
  };
  return new ApolloArmor(config);
}

/**
 * The rules both transports add to graphql's own: Armor's limits and, in production, no
 * introspection (one rule for both, so both say the same; Apollo's `introspection` option stays on).
 */
export function queryLimitRules(production: boolean): ValidationRule[] {
  return [...armor().protect().validationRules, ...(production ? [noIntrospection] : [])];
}

/** What Apollo takes: the rules above and the parser's token limit. */
export function apolloLimits(production: boolean): { validationRules: ValidationRule[]; parseOptions: { maxTokens: number } } {
  return { validationRules: queryLimitRules(production), parseOptions: { maxTokens: QUERY_LIMITS.maxTokens } };
}

/** Production: `__schema` and `__type` are refused (`__typename` stays: clients need it to tell types apart). */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const type = getNamedType(context.getType());
    if (type && isIntrospectionType(type)) {
      context.reportError(
        new GraphQLError(`Introspection is off in production (NODE_ENV=production): "${node.name.value}" is refused. The schema is in docs/API.md and schema/schema.graphql.`, {
          nodes: node,
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        }),
      );
    }
  },
});

// graphql 16 spells it "more that N tokens"; accept the fix too.
const TOO_MANY_TOKENS = /Document contains more th(?:at|an) (\d+) tokens/;

/** Parses with the token limit; a document over it is a {@link QueryLimitError}, any other syntax error stays graphql's. */
export function parseLimited(text: string): DocumentNode {
  try {
    return parse(text, { maxTokens: QUERY_LIMITS.maxTokens });
  } catch (error) {
    throw tokenLimitError(error) ?? error;
  }
}

/** graphql's "Document contains more than N tokens" as a {@link QueryLimitError}; null for other errors. */
export function tokenLimitError(error: unknown): QueryLimitError | null {
  const message = error instanceof Error ? error.message : "";
  if (!TOO_MANY_TOKENS.test(message)) return null;
  const max = QUERY_LIMITS.maxTokens;
  return new QueryLimitError("tokens", `The document has more than ${max} tokens, the limit; parsing stopped there. Send a smaller document (the front lines' operations have under 300).`, max);
}

/** Drops graphql's "Did you mean …?" from a message (production): it tells a prober the schema's field names. */
export function hideSuggestions(message: string): string {
  return message.replace(/ ?Did you mean .+\?/g, "").trim();
}

/** Extensions without Apollo's `http` (status, headers): for answers that do not go through Apollo, and for sockets, where it means nothing. */
export function withoutHttp(extensions: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const rest = { ...extensions };
  delete rest.http;
  return rest;
}
