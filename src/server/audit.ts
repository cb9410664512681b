import type { ApolloServerPlugin } from "@apollo/server";
import { defaultFieldResolver, getOperationAST, isObjectType, Kind, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema, type OperationTypeNode } from "graphql";
import type { ExecutionArgs } from "graphql";
import { ANONYMOUS_OPERATION, type OperationInfo, type OperationType, type Transport } from "../audit/entry";
import { PERSONAL_TYPES, recordedFieldName } from "../audit/personal-data";
import type { AuditService } from "../audit/service";
import type { Logger } from "../platform/logger";
import type { GatewayContext } from "./context";

/**
 * The audit trail's GraphQL end, for HTTP and WebSocket alike:
 *
 * - {@link auditPersonalReads} wraps the resolver of every personal field (src/audit/personal-data.ts)
 *   once, at start-up, so that resolving one notes "customer X, field F" on the request's collector:
 *   one function call and a set insertion per field, nothing for catalogue fields;
 * - HTTP: {@link auditOnResponse} drains the collector once per request, as the response goes out;
 * - WebSocket: {@link auditOnNext} (graphql-ws `onNext`) drains it per result: once for a query or
 *   mutation, and once per push of a subscription, so each rendering of a customer on a desk is an
 *   entry of its own, named after the subscription (deskFeed).
 */

const wrapped = new WeakSet<GraphQLSchema>();

/** Makes every personal field of `schema` note its reads on the request's audit collector; the same schema object, wrapped once. */
export function auditPersonalReads(schema: GraphQLSchema): GraphQLSchema {
  if (wrapped.has(schema)) return schema;
  wrapped.add(schema);
  for (const [typeName, spec] of Object.entries(PERSONAL_TYPES)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const recorded = recordedFieldName(typeName, field.name);
      if (recorded === null) continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      const subject = spec.subject;
      field.resolve = (source, args, context, info) => {
        (context as Partial<GatewayContext>).audit?.read((source as Record<string, unknown>)[subject], recorded);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

/** Apollo: the request's entries, appended as the response goes out (not awaited: no round trip on the request's path). */
export function auditOnResponse(audit: AuditService): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, operationName }) {
          if (contextValue.audit.empty || contextValue.rehearsal) return;
          const type = operation ? operationType(operation.operation) : "QUERY";
          audit.record(contextValue.principal, contextValue.audit, { name: operationName ?? operation?.name?.value ?? ANONYMOUS_OPERATION, type, transport: "HTTP", subscription: null });
        },
      };
    },
  };
}

/**
 * graphql-ws `onNext`: the result about to be sent (a query's answer, or one push of a
 * subscription) is audited. Never throws: a failure to audit must not close the client's socket.
 */
export function auditOnNext(audit: AuditService, log: Logger): (args: ExecutionArgs) => void {
  return (args) => {
    try {
      const ctx = args.contextValue as GatewayContext | undefined;
      if (!ctx?.audit || ctx.audit.empty) return;
      ctx.audit.operation ??= operationInfo(args.document, args.operationName, "WS");
      audit.record(ctx.principal, ctx.audit, ctx.audit.operation);
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : String(error) }, "auditing a WebSocket result failed");
    }
  };
}

/** The operation a document runs, as the audit trail names it. */
export function operationInfo(document: DocumentNode, operationName: string | null | undefined, transport: Transport): OperationInfo {
  const operation = getOperationAST(document, operationName ?? undefined);
  const type = operation ? operationType(operation.operation) : "QUERY";
  const first = operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  return {
    name: operation?.name?.value ?? ANONYMOUS_OPERATION,
    type,
    transport,
    subscription: type === "SUBSCRIPTION" && first?.kind === Kind.FIELD ? first.name.value : null,
  };
}

function operationType(operation: OperationTypeNode): OperationType {
  return operation === "mutation" ? "MUTATION" : operation === "subscription" ? "SUBSCRIPTION" : "QUERY";
}
