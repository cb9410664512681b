import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from "graphql";
import { operationCost } from "../auth/cost";
import { authorizeOperation } from "../auth/policy";
import type { Principal } from "../auth/principal";
import type { RateLimits } from "../auth/rate-limits";
import { GatewayError } from "../platform/errors";

/**
 * What every operation passes once it is parsed and valid, on HTTP (an Apollo plugin) and on
 * WebSocket (graphql-ws `onSubscribe`) alike, in this order, before anything executes: the
 * permission matrix (UNAUTHENTICATED / FORBIDDEN), the cost limit (BAD_USER_INPUT, limit "cost"),
 * then the principal's rate limits (RATE_LIMITED), which are charged only for operations that
 * would run. Returns the refusal, or null.
 */
export async function admitOperation(args: {
  principal: Principal;
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Readonly<Record<string, unknown>> | null | undefined;
  rateLimits: RateLimits;
}): Promise<GatewayError | null> {
  const { principal, schema, document, operation, variables } = args;
  const operationName = operation.name?.value;
  const refused = authorizeOperation(principal, schema, document, operationName, variables);
  if (refused) return refused;
  try {
    const cost = operationCost(schema, document, operationName, variables);
    const kind = operation.operation === "mutation" ? "mutations" : "reads";
    await args.rateLimits.charge(principal, { [kind]: 1, decisions: cost?.decisions ?? 0 });
    return null;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
}
