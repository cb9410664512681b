import DataLoader from "dataloader";
import { covers } from "../auth/scope";
import { circleMembersByIds, sortRelations, withProfile, type CircleMemberRecord, type CircleRequest, type RawProfile } from "../graph/customer";
import type { CustomerNode } from "../graph/model";
import type { StoredProfile } from "../graph/profiles";
import type { CustomerRecord, CustomerScope, OutOfScope } from "../graph/records";
import type { GraphSession } from "../platform/neo4j";
import type { RequestAccess } from "./access";
import type { ProfileStore } from "./profiles";

/** The unified view's profile part read from the live profiles: the customer loader and the circle loader of ./loaders.ts. */
export interface ProfileViewLoaders {
  customer: DataLoader<string, CustomerRecord | OutOfScope | null>;
  circle: DataLoader<CircleRequest, CircleMemberRecord[], string>;
}

/** The graph's reads of the same two parts, scoped, for the customers whose profile is cold. */
export interface GraphViewReads {
  customers(ids: readonly string[]): Promise<Map<string, CustomerRecord | OutOfScope>>;
  circles(requests: readonly CircleRequest[]): Promise<Map<string, CircleMemberRecord[]>>;
}

/**
 * The unified view's customers and circles from the live profiles (./profiles.ts, issue 13 point
 * 4), so the view of a warm customer reads Redis and only its trajectory page (and its circle
 * members' properties, for members not warm themselves) goes to Neo4j:
 *
 * - customers: one MGET per batch; the cold ones are read with the graph's own view statement.
 * - circles: the ties (ranked members) are part of the customer's profile; the members are read
 *   from their own profiles in one MGET for every circle of the request, and those not in Redis
 *   with one light statement (their properties by id).
 *
 * A view does not fill profiles. A fill computes the family's and the circle's holdings, which a
 * decision needs and the view does not, and costs more than the view's own graph read (measured:
 * cold views filling ran at about half the throughput of the graph path). The customer the desk
 * shows has just been decided for (the call's event triggers a decision), which fills it; a view
 * of a cold customer costs what it did before the live profiles.
 *
 * Scope is applied here, after the read, with the rule the graph statements apply (`covers`, the
 * twin of `inScope` in src/graph/customer.ts): a customer outside the request's scope comes back
 * as its id only, and a circle member outside it as its name and number, which the view masks.
 * Nothing of them leaves the gateway that did not leave it when the graph applied the scope.
 */
export function createProfileViewLoaders(graph: GraphSession, access: RequestAccess, store: ProfileStore, fromGraph: GraphViewReads): ProfileViewLoaders {
  const warm = new DataLoader<string, StoredProfile | null>(async (ids) => {
    const read = await store.read(ids);
    return ids.map((id) => read?.found.get(id) ?? null);
  });
  const profilesOf = async (ids: readonly string[]): Promise<Array<StoredProfile | null>> =>
    (await warm.loadMany(ids)).map((p) => {
      if (p instanceof Error) throw p;
      return p;
    });

  const customer = new DataLoader<string, CustomerRecord | OutOfScope | null>(async (ids) => {
    const [scope, profiles] = await Promise.all([access.readScope(), profilesOf(ids)]);
    const cold = ids.filter((_, i) => !profiles[i]);
    const read = cold.length > 0 ? await fromGraph.customers(cold) : new Map<string, CustomerRecord | OutOfScope>();
    return ids.map((id, i) => {
      const p = profiles[i];
      return p ? scoped(p.c, scope) : (read.get(id) ?? null);
    });
  });

  /** The members `ids` as a circle shows them: from their live profiles where warm (then primed for their own reads), else their properties from the graph. */
  const members = async (ids: readonly string[], scope: CustomerScope): Promise<Map<string, MemberRow>> => {
    const rows = new Map<string, MemberRow>();
    if (ids.length === 0) return rows;
    const profiles = await profilesOf(ids);
    ids.forEach((id, i) => {
      const p = profiles[i];
      if (!p) return;
      const record = covers(scope, p.c) ? viewRecord(p.c) : null;
      customer.prime(id, record ?? { outOfScope: true, id });
      rows.set(id, { name: p.c.name, msisdn: p.c.msisdn, customer: record });
    });
    const misses = ids.filter((id) => !rows.has(id));
    for (const [id, row] of await circleMembersByIds(graph, misses, scope)) rows.set(id, { name: row.name, msisdn: row.msisdn, customer: row.c });
    return rows;
  };

  const circle = new DataLoader<CircleRequest, CircleMemberRecord[], string>(
    async (reqs) => {
      const [scope, owners] = await Promise.all([access.readScope(), profilesOf(reqs.map((r) => r.customerId))]);
      const cold = reqs.filter((_, i) => !owners[i]);
      const ties = reqs.map((r, i) => owners[i]?.ties.slice(0, r.limit) ?? []);
      const [fromCold, found] = await Promise.all([
        cold.length > 0 ? fromGraph.circles(cold) : new Map<string, CircleMemberRecord[]>(),
        members([...new Set(ties.flat().map(([id]) => id))], scope),
      ]);
      return reqs.map((r, i) => {
        if (!owners[i]) return fromCold.get(r.key) ?? [];
        return (ties[i] ?? []).flatMap(([id, relations, calls, strength]) => {
          const m = found.get(id);
          // A member gone from the graph since the profile was filled is left out, as the graph's circle would.
          if (!m) return [];
          return [{ customer: m.customer, name: m.name, msisdn: m.msisdn, relations: sortRelations(relations), strength, callsPerMonth: calls }];
        });
      });
    },
    { cacheKeyFn: (r) => r.key },
  );
  return { customer, circle };
}

/** A circle member: its name and number always (masked by the view outside the scope), its record within the scope. */
interface MemberRow {
  name: string;
  msisdn: string;
  customer: CustomerRecord | null;
}

/** The customer as the view may see it under `scope`: whole, or its id only. */
function scoped(c: StoredProfile["c"], scope: CustomerScope): CustomerRecord | OutOfScope {
  return covers(scope, c) ? viewRecord(c) : { outOfScope: true, id: c.id };
}

/** A record of its own: withProfile sorts the preferences in place, and a profile just read may be shared with another loader. */
function viewRecord(c: CustomerNode & { profile: RawProfile }): CustomerRecord {
  return withProfile({ ...c, profile: { ...c.profile, preferredChannels: [...c.profile.preferredChannels] } });
}
