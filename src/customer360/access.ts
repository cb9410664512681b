import type { Principal } from "../auth/principal";
import { decideScope, dependsOnCall, mayLookUpNumber, mayUnmask, readScope } from "../auth/scope";
import type { CustomerScope } from "../graph/records";
import { ServiceUnavailableError } from "../platform/errors";
import type { CallRegister, CurrentCall } from "./calls";

/**
 * What one request's principal may see (src/auth/scope.ts), with the one fact of the moment those
 * rules need: the agent's current call, read from Redis at most once per request (and only for an
 * AGENT principal), however many fields and customers ask. A subscription gets a fresh one per
 * push (see renewLoaders), since calls begin and end while it lasts.
 */
export class RequestAccess {
  private call: Promise<CurrentCall | null> | undefined;

  constructor(
    readonly principal: Principal,
    private readonly calls: CallRegister | null,
  ) {}

  /**
   * Starts reading the agent's call now (AGENT principals only), so the read overlaps parsing,
   * validation and authorisation instead of delaying the first statement that needs the scope.
   */
  prefetch(): this {
    this.currentCall().catch(() => undefined);
    return this;
  }

  /** The same principal's access, to be read again (a subscription's next push). */
  fresh(): RequestAccess {
    return new RequestAccess(this.principal, this.calls);
  }

  /**
   * The agent's call in progress, or null. When Redis cannot say, null: the agent then sees
   * its region's customers masked (fail closed) rather than no desk at all.
   */
  currentCall(): Promise<CurrentCall | null> {
    const { principal, calls } = this;
    if (!calls || !dependsOnCall(principal) || principal.agentId === null) return Promise.resolve(null);
    const agentId = principal.agentId;
    return (this.call ??= calls.current(agentId).catch((error: unknown) => {
      if (error instanceof ServiceUnavailableError) return null;
      throw error;
    }));
  }

  private async caller(): Promise<string | null> {
    return (await this.currentCall())?.customerId ?? null;
  }

  /** The customers this request may read: a parameter of the statements that read them. */
  async readScope(): Promise<CustomerScope> {
    return readScope(this.principal, await this.caller());
  }

  /** The customers this request may decide for. */
  async decideScope(): Promise<CustomerScope> {
    return decideScope(this.principal, await this.caller());
  }

  /** Whether this request sees the customer's MSISDN and name whole. */
  async unmasked(customerId: string): Promise<boolean> {
    // Settled without Redis for every principal whose unmasking does not depend on a call.
    if (mayUnmask(this.principal, customerId, null)) return true;
    return dependsOnCall(this.principal) && mayUnmask(this.principal, customerId, await this.caller());
  }

  /** Whether this request may look a customer up by this (normalised) number. */
  async mayLookUp(msisdn: string): Promise<boolean> {
    if (mayLookUpNumber(this.principal, msisdn, null)) return true;
    return mayLookUpNumber(this.principal, msisdn, (await this.currentCall())?.msisdn ?? null);
  }
}
