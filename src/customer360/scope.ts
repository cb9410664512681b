import { AuditCollector } from "../audit/collector";
import type { Principal } from "../auth/principal";
import type { Graph, GraphSession } from "../platform/neo4j";
import { RequestAccess } from "./access";
import type { CallRegister } from "./calls";
import { createLoaders, type Loaders } from "./loaders";
import type { ProfileStore } from "./profiles";
import type { QueuedDecisions } from "./queued-decisions";

/**
 * What one unit of work runs within: who asks and what it may see, a graph session that counts
 * its round trips, the request's DataLoaders (one set per request, so reads of many customers
 * batch and nothing is cached across requests), and the audit collector that notes whose personal
 * data it read and what it changed (drained by the transport when the request ends). Every domain
 * service takes one; the GraphQL context is one with the services beside it
 * (src/server/context.ts), and the event consumer opens one per batch through the same factory.
 */
export interface RequestScope {
  principal: Principal;
  /** The principal's data scope and masking, with its current call read once (./access.ts). */
  access: RequestAccess;
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
  /** The live decision profiles its decision-input loader reads (./profiles.ts); absent: the graph. */
  profiles?: ProfileStore | null;
  /** Decisions written behind the answer, read before the graph has them (./queued-decisions.ts); absent: the graph only. */
  queued?: QueuedDecisions | null;
}

/**
 * A fresh scope on `graph` for `principal`; `calls` tells what an agent's current call unlocks
 * (none: no call counts); with `signal`, its graph session stops starting statements once aborted;
 * with `profiles`, its decisions read the live profiles; with `queued`, decisions and trajectories
 * include what is still queued for the graph; with `bookmarks` (a client's, from another
 * replica's answer), its reads wait until the database member has applied those writes.
 */
export function openScope(
  graph: Graph,
  principal: Principal,
  calls: CallRegister | null = null,
  signal?: AbortSignal,
  profiles: ProfileStore | null = null,
  queued: QueuedDecisions | null = null,
  bookmarks?: readonly string[],
): RequestScope {
  const session = graph.session(undefined, signal, bookmarks);
  const access = new RequestAccess(principal, calls).prefetch();
  return { principal, access, graph: session, loaders: createLoaders(session, access, profiles, queued), audit: new AuditCollector(), profiles, queued, ...(signal ? { signal } : {}) };
}

/**
 * Gives a long-lived scope (a subscription's) fresh loaders and a fresh reading of the agent's
 * call: each push renders the customer as read now, masked as the moment says, and the cache does
 * not grow with every push.
 */
export function renewLoaders(scope: RequestScope): void {
  scope.access = scope.access.fresh();
  scope.loaders = createLoaders(scope.graph, scope.access, scope.profiles ?? null, scope.queued ?? null);
}
