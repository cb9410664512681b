import type { ChannelCode } from "../domain/vocabulary";
import type { CustomerScope } from "../graph/records";
import { PERMISSIONS } from "./permissions";
import { isSystem, type Principal, type Role } from "./principal";
import { inRegions } from "./regions";

export { inRegions } from "./regions";

/**
 * Data scoping: within an operation the permission matrix allows (./permissions.ts), which
 * customers a principal may see and act for, and whose personal identifiers it sees whole. Pure
 * rules over the principal and what the services read; the services apply them, as a parameter of
 * the graph statement where they read customers (src/graph/customer.ts, `$scope`), so every read
 * still starts from its index.
 *
 * A principal with several roles gets the union of what its roles allow:
 *   AGENT     the customers of its regions, and the caller of its current call (whatever region);
 *   APP       its own customer;
 *   SERVICE   the customers of its regions;
 *   MARKETER  every customer, never unmasked;
 *   ADMIN     every decision (it reaches no customer view);
 *   APPROVER  none.
 * An AGENT or SERVICE token without regions sees no customer by region (deny by default). The
 * gateway's own principals (events, tools) see every customer.
 *
 * Unmasked MSISDN and name: an AGENT for the caller of its current call, an APP for its own
 * customer, and AGENT, SERVICE or ADMIN tokens holding `pii:read`. Everyone else, and every
 * MARKETER, sees them masked.
 */

export const PII_READ = "pii:read";

const EVERYONE: CustomerScope = Object.freeze({ all: true, regions: [], customerIds: [] });

/** Whether a customer (its id and district) lies within `scope`. */
export function covers(scope: CustomerScope, customer: { id: string; regionId: string }): boolean {
  return scope.all || scope.customerIds.includes(customer.id) || inRegions(customer.regionId, scope.regions);
}

/** What one role lets a principal see; `caller` is the customer of the agent's current call. */
function roleScope(role: Role, p: Principal, caller: string | null): CustomerScope {
  switch (role) {
    case "MARKETER":
    case "ADMIN":
      return { all: true, regions: [], customerIds: [] };
    case "AGENT":
      return { all: false, regions: p.regions, customerIds: caller ? [caller] : [] };
    case "APP":
      return { all: false, regions: [], customerIds: p.customerId ? [p.customerId] : [] };
    case "SERVICE":
      return { all: false, regions: p.regions, customerIds: [] };
    case "APPROVER":
      return { all: false, regions: [], customerIds: [] };
  }
}

function union(scopes: readonly CustomerScope[]): CustomerScope {
  const all = scopes.some((s) => s.all);
  return {
    all,
    regions: all ? [] : [...new Set(scopes.flatMap((s) => s.regions))].sort(),
    customerIds: all ? [] : [...new Set(scopes.flatMap((s) => s.customerIds))].sort(),
  };
}

/** Whether the principal's reading depends on its current call (so the call is worth reading). */
export function dependsOnCall(p: Principal): boolean {
  return p.roles.has("AGENT") && p.agentId !== null;
}

/** The customers the principal may read (views, decisions): the union over its roles. */
export function readScope(p: Principal, caller: string | null): CustomerScope {
  if (isSystem(p)) return EVERYONE;
  return union([...p.roles].map((role) => roleScope(role, p, caller)));
}

/** The customers the principal may decide for: the union over its roles that Query.nextBestOffers admits. */
export function decideScope(p: Principal, caller: string | null): CustomerScope {
  if (isSystem(p)) return EVERYONE;
  const deciders = PERMISSIONS["Query.nextBestOffers"]?.roles ?? {};
  return union([...p.roles].filter((role) => deciders[role] !== undefined).map((role) => roleScope(role, p, caller)));
}

/** Whether the principal sees this customer's MSISDN and name whole. */
export function mayUnmask(p: Principal, customerId: string, caller: string | null): boolean {
  const pii = p.permissions.has(PII_READ);
  for (const role of p.roles) {
    if (role === "AGENT" && (pii || caller === customerId)) return true;
    if (role === "APP" && p.customerId === customerId) return true;
    if ((role === "SERVICE" || role === "ADMIN") && pii) return true;
  }
  return false;
}

/** Whether the principal may look a customer up by phone number: `pii:read`, or the number of its current caller. */
export function mayLookUpNumber(p: Principal, msisdn: string, callerMsisdn: string | null): boolean {
  if (!p.roles.has("AGENT")) return false;
  return p.permissions.has(PII_READ) || (callerMsisdn !== null && callerMsisdn === msisdn);
}

/** In words, what the principal may read: the end of a FORBIDDEN message. */
export function describeScope(p: Principal): string {
  const parts = [...p.roles].flatMap((role): string[] => {
    switch (role) {
      case "AGENT":
        return [`an AGENT token reads the customers of its regions (${p.regions.join(", ") || "none given"}) and the caller of its current call`];
      case "APP":
        return [`an APP token reads customer ${p.customerId ?? "(none)"} only`];
      case "SERVICE":
        return [`a SERVICE token reads the customers of its regions (${p.regions.join(", ") || "none given"})`];
      case "MARKETER":
        return ["a MARKETER token reads every customer masked and decides for none"];
      case "ADMIN":
        return ["an ADMIN token reads every decision and decides for every customer"];
      default:
        return [];
    }
  });
  return parts.length > 0 ? parts.join("; ") : `this token (${[...p.roles].join(", ")}) reads no customer`;
}

/** What respondToOffer needs to know of a decision to judge who may answer it. */
export interface AnsweredDecision {
  id: string;
  customerId: string;
  channel: ChannelCode;
  /** The customer's district (null when the customer is gone). */
  regionId: string | null;
}

/**
 * Whether the principal may answer this decision (respondToOffer), null when it may, else why
 * not. An APP answers its own customer's decisions; an AGENT, decisions made on HOTLINE for
 * customers it talked to on a call (current or recent: `talkedTo` reads the agent's call record,
 * only when it is needed), and the decision of a work order it holds (claimed and not past due:
 * `holdsOrder`, src/campaigns/work-orders.ts; the outbound caller or store clerk the order sent);
 * a SERVICE (the SMS gateway reporting clicks), decisions of customers in its regions.
 */
export async function respondDenial(
  p: Principal,
  d: AnsweredDecision,
  talkedTo: (agentId: string, customerId: string) => Promise<boolean>,
  holdsOrder: (agentId: string, decisionId: string) => Promise<boolean> = () => Promise.resolve(false),
): Promise<string | null> {
  const reasons: string[] = [];
  if (p.roles.has("APP")) {
    if (p.customerId === d.customerId) return null;
    reasons.push(`an APP token answers customer ${p.customerId ?? "(none)"}'s decisions only`);
  }
  if (p.roles.has("SERVICE")) {
    if (d.regionId !== null && inRegions(d.regionId, p.regions)) return null;
    reasons.push(`a SERVICE token answers decisions of customers in its regions (${p.regions.join(", ") || "none given"}) only`);
  }
  if (p.roles.has("AGENT")) {
    if (d.channel === "HOTLINE" && p.agentId !== null && (await talkedTo(p.agentId, d.customerId))) return null;
    if (d.channel !== "HOTLINE" && p.agentId !== null && (await holdsOrder(p.agentId, d.id))) return null;
    reasons.push(
      d.channel === "HOTLINE"
        ? `an AGENT token answers decisions of customers it talked to on a call (HOTLINE_CALL_START naming agent ${p.agentId ?? "(none)"}) in the last 24 hours only`
        : `an AGENT token answers decisions made on HOTLINE, or the decision of a work order it holds (claimWorkOrder; agent ${p.agentId ?? "(none)"} holds none for this one)`,
    );
  }
  return `Decision ${d.id} is not yours to answer: ${reasons.join("; ") || "this token's roles answer no decisions"}. Nothing was recorded.`;
}
