/**
 * Who is asking. Built once per HTTP request or WebSocket operation (src/server/context.ts) and
 * carried in every request scope, so the policy the security work adds has one seam to fill:
 * resolvers and services ask the principal, never the transport.
 */
export interface Principal {
  id: string;
  /**
   * ANONYMOUS until authentication lands; the roles of API.md (AGENT, APP, MARKETER, APPROVER,
   * SERVICE, ADMIN) after; SYSTEM for the gateway's own work (processing events from the stream).
   */
  kind: "ANONYMOUS" | "AGENT" | "APP" | "MARKETER" | "APPROVER" | "SERVICE" | "ADMIN" | "SYSTEM";
  /** Permissions such as "pii:read" (see the unmasked MSISDN). */
  permissions: ReadonlySet<string>;
}

export const ANONYMOUS: Principal = Object.freeze({ id: "anonymous", kind: "ANONYMOUS", permissions: new Set<string>() });

/** The gateway itself, deciding for an event it consumed from the stream. */
export const EVENT_PROCESSOR: Principal = Object.freeze({ id: "system:event-processor", kind: "SYSTEM", permissions: new Set<string>() });
