import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from "graphql";
import { getVariableValues } from "graphql/execution/values";
import { operationCost } from "../auth/cost";
import { authorizeOperation, rootArguments } from "../auth/policy";
import type { Principal } from "../auth/principal";
import type { RateLimits } from "../auth/rate-limits";
import type { RequestAccess } from "../customer360/access";
import type { Customer360Service } from "../customer360/service";
import { GatewayError } from "../platform/errors";

/**
 * What every operation passes once it is parsed and valid, on HTTP (an Apollo plugin) and on
 * WebSocket (graphql-ws `onSubscribe`) alike, in this order, before anything executes: the
 * permission matrix (UNAUTHENTICATED / FORBIDDEN), the refusals that depend on the moment rather
 * than on the arguments alone (an agent's number lookups against its current call: FORBIDDEN), the
 * cost limit (BAD_USER_INPUT, limit "cost"), then the principal's rate limits (RATE_LIMITED), which
 * are charged only for operations that would run. Returns the refusal, or null.
 *
 * The permission guards judge arguments as execution will see them: with the variables coerced
 * to their declared types (raw, an object sent for an ID would be judged, and quoted back, as
 * "[object Object]"). Variables that do not coerce are admitted: nothing runs for them, and the
 * coercion's BAD_USER_INPUT is the answer (Apollo's on HTTP, ./websocket.ts's on a socket), the
 * same as for a document that does not validate.
 */
export async function admitOperation(args: {
  principal: Principal;
  /** The principal's data scope and its current call, as the request scope reads them. */
  access: RequestAccess;
  customers: Customer360Service;
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Readonly<Record<string, unknown>> | null | undefined;
  /** `variables` already coerced (the socket path coerces them first); computed here when absent. */
  coercedVariables?: Readonly<Record<string, unknown>>;
  rateLimits: RateLimits;
  /** The request's deadline: when it passes first, its reason is the answer. */
  signal?: AbortSignal | undefined;
}): Promise<GatewayError | null> {
  const { principal, schema, document, operation, variables } = args;
  const operationName = operation.name?.value;
  const coerced = args.coercedVariables ?? coerceVariables(schema, operation, variables);
  if (!coerced) return null;
  const refused = authorizeOperation(principal, schema, document, operationName, coerced);
  if (refused) return refused;
  // The services keep the same check per field; this refuses the whole operation before anything is read.
  const numbers = rootArguments(schema, document, operationName, coerced)
    .filter((f) => f.coordinate === "Query.customerByMsisdn")
    .map((f) => f.args.msisdn);
  const lookups = numbers.length > 0 ? await args.customers.refusedLookups(args.access, numbers) : null;
  if (lookups) return lookups;
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

/** `variables` coerced to the operation's declared types (defaults applied); null when they do not fit. */
export function coerceVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | null | undefined): Record<string, unknown> | null {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  return coerced.errors ? null : coerced.coerced;
}
