import type { ChannelCode, ProductKind } from "../domain/vocabulary";
import type { ProductRelation } from "../graph/catalogue";
import type { ContactRecord } from "../graph/contact";
import type { CircleMemberRecord } from "../graph/customer";
import type { ChannelRecord, CustomerProfile, CustomerRecord, CustomerTagRecord, HoldingRecord, ProductRecord } from "../graph/records";
import { intInRange, listOfAtMost } from "../platform/validate";
import { canSeeMsisdn, maskMsisdn, normaliseMsisdn, regionChain, type RegionView } from "./customer";
import { isServedTag } from "./published";
import type { ReferenceData } from "./reference";
import type { RequestScope } from "./scope";
import { pageRequest, toConnection, type ContactConnectionRoot, type ContactsArgs } from "./trajectory";

/** Most customers one `customers(ids)` call may ask for. */
export const MAX_CUSTOMERS_PER_REQUEST = 100;
/** Most circle members one `circle(limit)` may ask for. */
export const MAX_CIRCLE = 50;

const NO_PROFILE: CustomerProfile = { holdings: [], tags: [], preferredChannels: [] };

/**
 * The unified view's face (全景视图): customers by id or phone number, what they hold and carry,
 * their circle and their trajectory, and the catalogue it is told in. Reads go through the
 * request's loaders, so a view of 50 customers costs the round trips of one; reference data
 * (channels, regions, products, tags) comes from the per-process cache.
 */
export class Customer360Service {
  constructor(readonly reference: ReferenceData) {}

  customer(scope: RequestScope, id: string): Promise<CustomerRecord | null> {
    return scope.loaders.customer.load(id);
  }

  /** The customer behind a phone number, given in any usual notation (BAD_USER_INPUT otherwise). */
  customerByMsisdn(scope: RequestScope, msisdn: string): Promise<CustomerRecord | null> {
    return scope.loaders.customerByMsisdn.load(normaliseMsisdn(msisdn));
  }

  /** Customers in the order asked, null where unknown. */
  async customers(scope: RequestScope, ids: readonly string[]): Promise<Array<CustomerRecord | null>> {
    listOfAtMost("ids", ids, MAX_CUSTOMERS_PER_REQUEST);
    const found = await scope.loaders.customer.loadMany(ids);
    return found.map((c) => {
      if (c instanceof Error) throw c;
      return c;
    });
  }

  /** The phone number as the asker may see it: whole (noted for the audit trail), or masked (138****5678). */
  msisdn(scope: RequestScope, c: CustomerRecord): string {
    if (!canSeeMsisdn(scope.principal)) return maskMsisdn(c.msisdn);
    scope.audit.unmaskedMsisdn(c.id);
    return c.msisdn;
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

  /** Family, V-net and calling circle, strongest tie first. */
  async circle(scope: RequestScope, c: CustomerRecord, limit: number): Promise<Array<CircleMemberRecord & { relation: CircleMemberRecord["relations"][number] }>> {
    intInRange("limit", limit, 1, MAX_CIRCLE);
    const members = await scope.loaders.circle.load({ key: `${c.id}|${limit}`, customerId: c.id, limit });
    return members.map((m) => ({ ...m, relation: m.relations[0] ?? "CALLS" }));
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
  private async profile(scope: RequestScope, c: CustomerRecord): Promise<CustomerProfile> {
    return c.profile ?? (await scope.loaders.customer.load(c.id))?.profile ?? NO_PROFILE;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
