import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { Kind, parse, printSchema, type ConstDirectiveNode, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema, type SchemaExtensionNode } from "graphql";
import { createResolversMap } from "type-graphql";
import { ENTITY_TYPES, MAX_ENTITIES_PER_FETCH, type EntityType } from "../resolvers/federation.resolver";
import { listOfAtMost } from "../src/platform/validate";
import type { GatewayContext } from "../src/server/context";

/**
 * The gateway's one schema as an Apollo Federation 2 subgraph: the code-first schema (the API
 * clients see, schema/schema.graphql) with `@key` on the entities of
 * resolvers/federation.resolver.ts and `extend schema @link(...)`, built by @apollo/subgraph, which
 * adds `Query._entities(representations: [_Any!]!): [_Entity]!` and `Query._service { sdl }`. The
 * resolvers are type-graphql's own (its resolver map: fields, subscriptions, scalars, enums,
 * abstract types), so the schema serves exactly what the code-first one does, on the same port.
 *
 * The keys live beside the reference resolvers rather than as `@Directive` decorators on the
 * schema classes: graphql-js prints no applied directives, and the one place that says which types
 * are entities is the one that says how to resolve them.
 */

/** The federation spec version the subgraph links (composition and routers from 2.3 on read it). */
export const FEDERATION_LINK = "https://specs.apollo.dev/federation/v2.3";

/** The subgraph's type definitions: the code-first SDL with the `@link` and the entities' `@key`s. */
export function subgraphTypeDefs(api: GraphQLSchema): DocumentNode {
  const document = parse(printSchema(api), { noLocation: true });
  const keys = new Map<string, string>(Object.entries(ENTITY_TYPES).map(([type, entity]) => [type, entity.key]));
  const definitions = document.definitions.map((d) => {
    if (d.kind !== Kind.OBJECT_TYPE_DEFINITION) return d;
    const key = keys.get(d.name.value);
    if (key === undefined) return d;
    keys.delete(d.name.value);
    return { ...d, directives: [...(d.directives ?? []), directive("key", { fields: key })] };
  });
  if (keys.size > 0) throw new Error(`entity types missing from the schema: ${[...keys.keys()].join(", ")}`);
  const link: SchemaExtensionNode = {
    kind: Kind.SCHEMA_EXTENSION,
    directives: [directive("link", { url: FEDERATION_LINK, import: ["@key"] })],
  };
  return { kind: Kind.DOCUMENT, definitions: [link, ...definitions] };
}

/** `schema` (code first, with its resolvers) as a federation subgraph: same types, same resolvers, plus `_entities` and `_service`. */
export function asSubgraph(api: GraphQLSchema): GraphQLSchema {
  const resolvers = createResolversMap(api) as GraphQLResolverMap<unknown>;
  for (const [type, entity] of Object.entries(ENTITY_TYPES) as Array<[string, EntityType<unknown>]>) {
    const fields = resolvers[type] as Record<string, GraphQLFieldResolver<unknown, unknown>> | undefined;
    // @apollo/subgraph reads `__resolveReference(reference, context, info)` from an object type's map.
    resolvers[type] = { ...fields, __resolveReference: ((reference: Record<string, unknown>, ctx: unknown) => entity.resolveReference(reference, ctx as GatewayContext)) as GraphQLFieldResolver<unknown, unknown> };
  }
  const schema = buildSubgraphSchema({ typeDefs: subgraphTypeDefs(api), resolvers });
  const entities = schema.getQueryType()?.getFields()._entities;
  const resolve = entities?.resolve;
  if (!entities || !resolve) throw new Error("@apollo/subgraph built no Query._entities");
  // One loader batch per type serves them all; the cap keeps one fetch's Cypher parameter list sane.
  entities.resolve = (source, args: { representations: readonly unknown[] }, ctx, info) => {
    listOfAtMost("representations", args.representations, MAX_ENTITIES_PER_FETCH);
    return resolve(source, args, ctx, info);
  };
  return schema;
}

/** An applied directive with constant string (or string list) arguments. */
function directive(name: string, args: Readonly<Record<string, string | readonly string[]>>): ConstDirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: name },
    arguments: Object.entries(args).map(([argument, value]) => ({
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: argument },
      value: typeof value === "string" ? { kind: Kind.STRING, value } : { kind: Kind.LIST, values: value.map((v) => ({ kind: Kind.STRING, value: v })) },
    })),
  };
}
