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
  /** The request's deadline: when it passes first, its reason is the answer. */
  signal?: AbortSignal | undefined;
}): Promise<GatewayError | null> {
  const { principal, schema, document, operation, variables } = args;
  const operationName = operation.name?.value;
  const refused = authorizeOperation(principal, schema, document, operationName, variables);
  if (refused) return refused;
  try {
    const cost = operationCost(schema, document, operationName, variables);
    const kind = operation.operation === "mutation" ? "mutations" : "reads";
    await untilAborted(args.rateLimits.charge(principal, { [kind]: 1, decisions: cost?.decisions ?? 0 }), args.signal);
    return null;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
}

/** `work`, or the signal's reason if it is aborted first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
