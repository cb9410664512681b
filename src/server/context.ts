import type { Redis } from "ioredis";
import type { DecisionScope } from "../decisioning/decide";
import type { DecisionServices } from "../decisioning/services";
import type { Graph, GraphSession } from "../platform/neo4j";
import { createLoaders, type Loaders } from "../customer360/loaders";
import type { Logger } from "../platform/logger";
import type { RealtimeServices } from "../realtime/services";
import type { ReferenceData } from "../customer360/reference";

/**
 * Who is asking. Everyone is anonymous until the security work lands; resolvers that must
 * restrict data (MSISDN masking today) ask the principal, so that work has one seam to fill.
 */
export interface Principal {
  id: string;
  kind: "ANONYMOUS" | "AGENT" | "SERVICE";
  /** Permissions such as "pii:read" (see the unmasked MSISDN). */
  permissions: ReadonlySet<string>;
}

export const ANONYMOUS: Principal = { id: "anonymous", kind: "ANONYMOUS", permissions: new Set() };

/** What every resolver receives. Built per request (HTTP) or per operation (WebSocket). */
export interface GatewayContext {
  principal: Principal;
  graph: GraphSession;
  loaders: Loaders;
  reference: ReferenceData;
  redis: Redis;
  log: Logger;
  decisions: DecisionServices;
  realtime: RealtimeServices;
  /** The WebSocket an operation arrived on; absent over HTTP. Subscriptions close it when their client cannot keep up. */
  socket?: LiveSocket;
}

/** What a subscription may do to its client's connection. */
export interface LiveSocket {
  close(code: number, reason: string): void;
}

/** Process-wide parts the context is built from. */
export interface Services {
  graph: Graph;
  reference: ReferenceData;
  redis: Redis;
  log: Logger;
  decisions: DecisionServices;
  realtime: RealtimeServices;
}

export function createContext(services: Services, principal: Principal = ANONYMOUS, socket?: LiveSocket): GatewayContext {
  const graph = services.graph.session();
  return {
    principal,
    graph,
    loaders: createLoaders(graph),
    reference: services.reference,
    redis: services.redis,
    log: services.log,
    decisions: services.decisions,
    realtime: services.realtime,
    ...(socket ? { socket } : {}),
  };
}

/** The batched graph reads and writes decisions of one request share. */
export function decisionScope(ctx: GatewayContext): DecisionScope {
  return { inputs: ctx.loaders.decisionInputs, write: (rows) => ctx.decisions.writer.write(rows, ctx.graph.counter) };
}
