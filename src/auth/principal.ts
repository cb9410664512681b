import type { Team } from "../domain/campaigns";

/**
 * Who is asking. Built once per HTTP request or WebSocket connection from its bearer token
 * (./tokens.ts) and carried in every request scope, so policy has one seam: resolvers and
 * services ask the principal, never the transport.
 */

/** The roles tokens carry (docs/API.md): the 10086 desk, the app acting for one customer, the marketing centre, its approvers, event feeds and internal apps, operators. */
export const ROLES = ["AGENT", "APP", "MARKETER", "APPROVER", "SERVICE", "ADMIN"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The token's subject: an agent's login, the app's customer id, a service's name; "anonymous" without a token. */
  id: string;
  /** Empty for anonymous callers. A person may hold several (a marketing lead who also approves). */
  roles: ReadonlySet<Role>;
  /** Region ids (city or district) an AGENT or SERVICE works in; empty: no region scope given. */
  regions: readonly string[];
  /** The agent id an AGENT's desk subscribes under (deskFeed), and the holder of the work orders it claims. */
  agentId: string | null;
  /** The work-order teams an AGENT works in (OUTBOUND, STORE, ACCOUNT_MANAGER; the `teams` claim); empty: it sees no work order (deny by default). */
  teams: readonly Team[];
  /** The customer an APP token acts for. */
  customerId: string | null;
  /** When the token stops being valid; null for the gateway's own principals. */
  expiresAt: Date | null;
  /** Permissions such as "pii:read" (see the unmasked MSISDN). */
  permissions: ReadonlySet<string>;
}

const NONE: ReadonlySet<never> = new Set<never>();

export const ANONYMOUS: Principal = Object.freeze({ id: "anonymous", roles: NONE, regions: [], agentId: null, teams: [], customerId: null, expiresAt: null, permissions: NONE });

/**
 * The gateway itself, deciding for an event it consumed from the stream. System principals (ids
 * "system:…", no roles: no token can make one, since a token needs a role) see every customer and
 * never unmask anyone; the permission matrix knows none of them, so they never serve a request.
 */
export const EVENT_PROCESSOR: Principal = Object.freeze({
  id: "system:event-processor",
  roles: NONE,
  regions: [],
  agentId: null,
  teams: [],
  customerId: null,
  expiresAt: null,
  permissions: NONE,
});

/** Tools that run the services without serving (benchmarks, the evaluation simulator). */
export const TOOLS: Principal = Object.freeze({ ...EVENT_PROCESSOR, id: "system:tools" });

/** The gateway's own principals (see {@link EVENT_PROCESSOR}). */
export function isSystem(principal: Principal): boolean {
  return principal.roles.size === 0 && principal.id.startsWith("system:");
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export function isAnonymous(principal: Principal): boolean {
  return principal.roles.size === 0 && !isSystem(principal);
}

/** The longest subject (`sub`) a token may name: principal ids are keys in Redis, audit entries and logs. */
export const MAX_SUBJECT_LENGTH = 200;
