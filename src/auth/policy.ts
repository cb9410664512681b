import { Kind, getNamedType, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import { getArgumentValues } from "graphql/execution/values";
import { ForbiddenError, UnauthenticatedError, type GatewayError } from "../platform/errors";
import { denial } from "./permissions";
import { isAnonymous, type Principal } from "./principal";

/**
 * The one policy for queries, mutations and subscriptions, on HTTP and on WebSocket alike: before
 * anything executes, every root field the operation selects (through fragments too) is looked up
 * in the permission matrix (./permissions.ts) with its arguments. Anonymous callers are
 * UNAUTHENTICATED; a principal no role of which allows a field is FORBIDDEN, and the whole
 * operation is refused (nothing half-done). Returns null when the operation may run.
 */
export function authorizeOperation(
  principal: Principal,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): GatewayError | null {
  const operation = pickOperation(document, operationName);
  if (!operation) return null; // graphql's own validation answers for a missing or ambiguous operation
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  if (isAnonymous(principal)) {
    return new UnauthenticatedError('Send "Authorization: Bearer <token>" (over WebSocket: {"authorization": "Bearer <token>"} in connection_init); in development `npm run token -- --role AGENT` prints one.');
  }
  const reasons: string[] = [];
  for (const { coordinate, args } of rootArguments(schema, document, operationName, variables)) {
    const why = denial(principal, coordinate, args);
    if (why) reasons.push(why);
  }
  return reasons.length > 0 ? new ForbiddenError([...new Set(reasons)].join(" ")) : null;
}

/**
 * Every root field the operation selects (through aliases and fragments), as its coordinate
 * ("Query.customer") and its arguments with variables resolved. Introspection fields, unknown
 * fields and fields whose arguments do not coerce are left out: validation and execution answer
 * for those, and no rule could pass on them anyway.
 */
export function rootArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): Array<{ coordinate: string; args: Record<string, unknown> }> {
  const operation = pickOperation(document, operationName);
  const root = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !root) return [];
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const out: Array<{ coordinate: string; args: Record<string, unknown> }> = [];
  for (const field of rootFields(operation.selectionSet, fragments, new Set())) {
    const name = field.name.value;
    if (name === "__typename" || name === "__schema" || name === "__type") continue;
    const definition = (root as GraphQLObjectType).getFields()[name];
    if (!definition) continue;
    try {
      out.push({ coordinate: `${root.name}.${name}`, args: getArgumentValues(definition, field, variables ? { ...variables } : {}) });
    } catch {
      continue;
    }
  }
  return out;
}

function pickOperation(document: DocumentNode, name: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (name) return operations.find((o) => o.name?.value === name);
  return operations.length === 1 ? operations[0] : undefined;
}

/** The root fields a selection set asks for, following fragment spreads and inline fragments (each fragment once). */
function* rootFields(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: Set<string>): Generator<FieldNode> {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) yield selection;
    else if (selection.kind === Kind.INLINE_FRAGMENT) yield* rootFields(selection.selectionSet, fragments, seen);
    else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      seen.add(name);
      yield* rootFields(fragment.selectionSet, fragments, seen);
    }
  }
}

/** Every root operation of the schema as "Type.field" (for the matrix's completeness test and document). */
export function rootCoordinates(schema: GraphQLSchema): string[] {
  return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
    type ? Object.keys(type.getFields()).map((field) => `${getNamedType(type).name}.${field}`) : [],
  );
}
