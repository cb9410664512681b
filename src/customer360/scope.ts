import { AuditCollector } from "../audit/collector";
import type { Principal } from "../auth/principal";
import type { Graph, GraphSession } from "../platform/neo4j";
import { createLoaders, type Loaders } from "./loaders";

/**
 * What one unit of work runs within: who asks, a graph session that counts its round trips, and
 * the request's DataLoaders (one set per request, so reads of many customers batch and nothing is
 * cached across requests), and the audit collector that notes whose personal data it read and what
 * it changed (drained by the transport when the request ends). Every domain service takes one; the
 * GraphQL context is one with the services beside it (src/server/context.ts), and the event
 * consumer opens one per batch through the same factory.
 */
export interface RequestScope {
  principal: Principal;
  graph: GraphSession;
  loaders: Loaders;
  /** Notes whose personal data the unit of work read and what it changed, for the audit trail (drained by the transport). */
  audit: AuditCollector;
  /**
   * Aborted when the unit of work should stop: its deadline passed or its client went away (the
   * reason is a typed GatewayError). The graph session refuses new statements once it is; long
   * loops in services may check it too.
   */
  signal?: AbortSignal;
}

/** A fresh scope on `graph` for `principal`; with `signal`, its graph session stops starting statements once aborted. */
export function openScope(graph: Graph, principal: Principal, signal?: AbortSignal): RequestScope {
  const session = graph.session(undefined, signal);
  return { principal, graph: session, loaders: createLoaders(session), audit: new AuditCollector(), ...(signal ? { signal } : {}) };
}

/**
 * Gives a long-lived scope (a subscription's) fresh loaders: each push renders the customer as
 * read now, and the cache does not grow with every push.
 */
export function renewLoaders(scope: RequestScope): void {
  scope.loaders = createLoaders(scope.graph);
}
