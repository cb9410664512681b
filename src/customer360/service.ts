import type { ChannelCode, ProductKind } from "../domain/vocabulary";
import type { ProductRelation } from "../graph/catalogue";
import type { ContactRecord } from "../graph/contact";
import type { CircleMemberRecord } from "../graph/customer";
import { MAX_STORED_TIES } from "../graph/profiles";
import { isOutOfScope, type ChannelRecord, type CustomerProfile, type CustomerRecord, type CustomerTagRecord, type HoldingRecord, type OutOfScope, type ProductRecord } from "../graph/records";
import { describeScope } from "../auth/scope";
import type { Principal } from "../auth/principal";
import { ForbiddenError } from "../platform/errors";
import { intInRange, listOfAtMost } from "../platform/validate";
import type { RequestAccess } from "./access";
import type { CallRegister } from "./calls";
import type { ProfileStore } from "./profiles";
import type { QueuedDecisions } from "./queued-decisions";
import { maskMsisdn, maskName, normaliseMsisdn, regionChain, type RegionView } from "./customer";
import { isServedTag } from "./published";
import type { ReferenceData } from "./reference";
import type { RequestScope } from "./scope";
import { pageRequest, toConnection, type ContactConnectionRoot, type ContactsArgs } from "./trajectory";

/** Most customers one `customers(ids)` call may ask for. */
export const MAX_CUSTOMERS_PER_REQUEST = 100;
/** Most circle members one `circle(limit)` may ask for: the ties a live profile keeps. */
export const MAX_CIRCLE = MAX_STORED_TIES;

const NO_PROFILE: CustomerProfile = { holdings: [], tags: [], preferredChannels: [] };

/** A circle member as the asker may see it: its view when within the asker's scope (null otherwise), its name and number masked unless the asker may see them. */
export interface CircleMemberView extends Omit<CircleMemberRecord, "customer"> {
  customer: CustomerRecord | null;
  relation: CircleMemberRecord["relations"][number];
}

function lookupRefused(): ForbiddenError {
  return new ForbiddenError(
    "customerByMsisdn answers for the number of your current caller only (the call a HOTLINE_CALL_START event connected to your agent id), or for a token holding pii:read; look other customers up by id.",
  );
}

/** FORBIDDEN for a customer outside what the principal may read, saying what it may. */
export function outOfScope(principal: Principal, customerId: string): ForbiddenError {
  return new ForbiddenError(`Customer ${customerId} is outside what this token may read: ${describeScope(principal)}.`);
}

/**
 * The unified view's face (全景视图): customers by id or phone number, what they hold and carry,
 * their circle and their trajectory, and the catalogue it is told in. Reads go through the
 * request's loaders, so a view of 50 customers costs the round trips of one; reference data
 * (channels, regions, products, tags) comes from the per-process cache.
 */
export class Customer360Service {
  constructor(
    readonly reference: ReferenceData,
    /** Agents' calls: what an agent's current call lets it see. */
    readonly calls: CallRegister | null = null,
    /** The live decision profiles every request's decisions read (./profiles.ts); null: the graph. */
    readonly profiles: ProfileStore | null = null,
    /** Decisions written behind the answer, readable before the graph has them (./queued-decisions.ts); null: the graph only. */
    readonly queued: QueuedDecisions | null = null,
  ) {}

  /**
   * One customer; null when there is none. A customer outside what the principal may read is
   * FORBIDDEN, saying what it may: customer ids are no secret (they are numbered), and a desk told
   * "outside your regions" knows to transfer the call, where a null would read "no such customer".
   */
  async customer(scope: RequestScope, id: string): Promise<CustomerRecord | null> {
    return this.admitted(scope, await scope.loaders.customer.load(id));
  }

  /**
   * The customer behind a phone number, given in any usual notation (BAD_USER_INPUT otherwise).
   * Numbers are personal data: an AGENT looks up the number of its current caller only (unless it
   * holds pii:read), and any other number is FORBIDDEN before anything is read, whether or not it
   * is a customer's, so asking reveals nothing.
   */
  async customerByMsisdn(scope: RequestScope, msisdn: string): Promise<CustomerRecord | null> {
    const number = normaliseMsisdn(msisdn);
    if (!(await scope.access.mayLookUp(number))) throw lookupRefused();
    return this.admitted(scope, await scope.loaders.customerByMsisdn.load(number));
  }

  /**
   * The refusal of an operation's customerByMsisdn lookups as a whole, before anything runs (one
   * Redis read at most): 10,000 aliases of it cost one answer, not 10,000 errors, and the answer is
   * the same whoever holds the numbers. Malformed numbers are left to the field (BAD_USER_INPUT).
   */
  async refusedLookups(access: RequestAccess, msisdns: readonly unknown[]): Promise<ForbiddenError | null> {
    for (const given of msisdns) {
      let number: string;
      try {
        number = normaliseMsisdn(String(given));
      } catch {
        continue;
      }
      if (!(await access.mayLookUp(number))) return lookupRefused();
    }
    return null;
  }

  /** Customers in the order asked, null where unknown, a FORBIDDEN error in the place of each one outside what the principal may read. */
  async customers(scope: RequestScope, ids: readonly string[]): Promise<Array<CustomerRecord | null | ForbiddenError>> {
    listOfAtMost("ids", ids, MAX_CUSTOMERS_PER_REQUEST);
    const found = await scope.loaders.customer.loadMany(ids);
    return found.map((c) => {
      if (c instanceof Error) throw c;
      // graphql-js answers an Error in a list with null at its place and the error at its path.
      return isOutOfScope(c) ? outOfScope(scope.principal, c.id) : c;
    });
  }

  private admitted(scope: RequestScope, found: CustomerRecord | OutOfScope | null): CustomerRecord | null {
    if (isOutOfScope(found)) throw outOfScope(scope.principal, found.id);
    return found;
  }

  /** The phone number as the asker may see it: whole (noted for the audit trail), or masked (138****5678). */
  async msisdn(scope: RequestScope, c: Pick<CustomerRecord, "id" | "msisdn">): Promise<string> {
    if (!(await scope.access.unmasked(c.id))) return maskMsisdn(c.msisdn);
    scope.audit.unmaskedMsisdn(c.id);
    return c.msisdn;
  }

  /** The name as the asker may see it: whole, or masked (张*). */
  async name(scope: RequestScope, c: Pick<CustomerRecord, "id" | "name">): Promise<string> {
    return (await scope.access.unmasked(c.id)) ? c.name : maskName(c.name);
  }

  async regionExists(id: string): Promise<boolean> {
    return (await this.reference.regions()).has(id);
  }

  async region(c: CustomerRecord): Promise<RegionView> {
    return regionChain(await this.reference.regions(), c.regionId);
  }

  /** Products held, oldest first. */
  async holdings(scope: RequestScope, c: CustomerRecord): Promise<HoldingRecord[]> {
    const [profile, products] = await Promise.all([this.profile(scope, c), this.reference.products()]);
    return profile.holdings.flatMap((h) => {
      const product = products.get(h.productId);
      return product ? [{ product, since: h.since }] : [];
    });
  }

  /** Published tags only, optionally of one level-1 family, in taxonomy order. */
  async tags(scope: RequestScope, c: CustomerRecord, level1?: string | null): Promise<CustomerTagRecord[]> {
    const [profile, tags] = await Promise.all([this.profile(scope, c), this.reference.tags()]);
    return profile.tags
      .flatMap((t) => {
        const tag = tags.get(t.tagId);
        if (!tag || !isServedTag(tag) || (level1 && tag.level1 !== level1)) return [];
        return [{ tag, value: t.value, score: t.score, at: t.at }];
      })
      .sort((a, b) => compare(a.tag.level1, b.tag.level1) || compare(a.tag.level2, b.tag.level2) || compare(a.tag.id, b.tag.id));
  }

  /** Channels the customer prefers, most preferred first. */
  async preferredChannels(scope: RequestScope, c: CustomerRecord): Promise<ChannelRecord[]> {
    const [profile, channels] = await Promise.all([this.profile(scope, c), this.reference.channels()]);
    return profile.preferredChannels.flatMap((code) => channels.get(code) ?? []);
  }

  /**
   * Family, V-net and calling circle, strongest tie first. A member outside what the asker may
   * read is shown, with its ties, by its masked name and number only (its view is null): an agent
   * selling a family plan sees that the caller has a family, not who they are.
   */
  async circle(scope: RequestScope, c: CustomerRecord, limit: number): Promise<CircleMemberView[]> {
    intInRange("limit", limit, 1, MAX_CIRCLE);
    const members = await scope.loaders.circle.load({ key: `${c.id}|${limit}`, customerId: c.id, limit });
    return Promise.all(
      members.map(async (m) => ({
        ...m,
        name: m.customer ? await this.name(scope, m.customer) : maskName(m.name),
        msisdn: m.customer ? await this.msisdn(scope, m.customer) : maskMsisdn(m.msisdn),
        relation: m.relations[0] ?? "CALLS",
      })),
    );
  }

  /** One page of the trajectory, newest first; counted only when `withCount` (the client selected totalCount). */
  async contacts(scope: RequestScope, c: CustomerRecord, args: ContactsArgs, withCount: boolean): Promise<ContactConnectionRoot> {
    const page = pageRequest(c.id, args, withCount);
    return toConnection(await scope.loaders.contactPage.load(page), page);
  }

  async products(kind?: ProductKind | null): Promise<ProductRecord[]> {
    const all = [...(await this.reference.products()).values()];
    return kind ? all.filter((p) => p.kind === kind) : all;
  }

  async product(id: string): Promise<ProductRecord | null> {
    return (await this.reference.products()).get(id) ?? null;
  }

  async channels(): Promise<ChannelRecord[]> {
    return [...(await this.reference.channels()).values()];
  }

  /** A channel of the reference data; a code missing from the graph is a broken data set, not bad input. */
  async channel(code: ChannelCode, of: string): Promise<ChannelRecord> {
    const channel = (await this.reference.channels()).get(code);
    if (!channel) throw new Error(`${of} names channel ${code}, which is not in the graph`);
    return channel;
  }

  /** Products linked to `p` by UPGRADES_TO, REQUIRES or EXCLUDES (batched per request). */
  related(scope: RequestScope, p: ProductRecord, relation: ProductRelation): Promise<ProductRecord[]> {
    return scope.loaders.related[relation].load(p.id);
  }

  /** The contact's product, if any. */
  async contactProduct(contact: ContactRecord): Promise<ProductRecord | null> {
    return contact.productId ? this.product(contact.productId) : null;
  }

  /** The profile read with the customer, or (for circle members, read without one) through the loader. */
  async profile(scope: RequestScope, c: CustomerRecord): Promise<CustomerProfile> {
    if (c.profile) return c.profile;
    const read = await scope.loaders.customer.load(c.id);
    return (read && !isOutOfScope(read) ? read.profile : undefined) ?? NO_PROFILE;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
