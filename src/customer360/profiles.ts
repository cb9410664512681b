import type { Redis } from "ioredis";
import { customerRegions, withProfile } from "../graph/customer";
import type { DecisionInputRequest, DecisionInputs, ProductSignal } from "../graph/decision";
import { profileNeighbours, profilesByIds, type StoredProfile } from "../graph/profiles";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Cypher, Graph, GraphSession } from "../platform/neo4j";
import { defineScripts } from "../platform/scripts";
import { getMany } from "../platform/redis";
import { cacheLookups } from "../platform/metrics";
import type { ProductRelations, ReferenceData } from "./reference";

/** How long a filled profile stays (6 h): only customers decided for lately keep one. */
export const DEFAULT_PROFILE_TTL_MS = 6 * 3_600_000;
/** A Redis step slower than this is treated as Redis being away: the decision reads the graph instead of waiting. */
export const DEFAULT_PROFILE_REDIS_TIMEOUT_MS = 500;

/** Main plans: a candidate main plan replaces the held one (as DECISION_INPUTS in src/graph/decision.ts). */
const MAIN_PLAN_KINDS: ReadonlySet<string> = new Set(["PLAN", "FAMILY_PLAN"]);

export interface ProfileStoreOptions {
  ttlMs: number;
  redisTimeoutMs: number;
}

/** What a read of the store found: the profiles present and, for every id asked, the version seen in the same MGET. */
export interface ProfileRead {
  found: Map<string, StoredProfile>;
  /** Version per id asked ("" when the customer has none yet): a fill of a miss passes it back. */
  versions: Map<string, string>;
}

/** What a fill offers the store: the profile read from the graph and the version seen before that read. */
export interface ProfileFill {
  id: string;
  profile: StoredProfile;
  version: string;
}

/** Who is told when the graph changed what a decision reads: the store, or nothing in tools that run without one. */
export interface ProfileInvalidator {
  invalidate(customerIds: readonly string[], options?: { neighbours?: boolean }): Promise<void>;
}

type ProfileRedis = Redis & {
  profileFill(profileKey: string, versionKey: string, version: string, value: string, ttlMs: number): Promise<number>;
};

/**
 * The live decision profile per customer (issue 13): what a decision reads about a customer — the
 * customer with attributes, holdings, tags and channel preferences, and the holdings of its family
 * and calling circle — kept in Redis as one JSON value per customer (`profile:{<id>}`), so a warm
 * decision costs one MGET instead of a graph read. The unified view reads its profile part from
 * the same values where warm (./view-profiles.ts), for which the profile also keeps the customer's
 * ranked ties. Eligibility, adoption counts and upgrade pairs
 * are computed here from it and the catalogue's relations (reference data, per process), with the
 * same rules as DECISION_INPUTS in src/graph/decision.ts (a test holds the two equal).
 *
 * Freshness: every change of what a decision reads calls {@link invalidate} and awaits it before
 * answering (an accepted offer, a billing or profile change event, a tag value written). It INCRs
 * each changed customer's version and deletes the profile, for the customer and, when holdings
 * changed, for its family and circle (their adoption counts moved). A fill stores a profile only
 * if the version is still the one read before its graph read (profile-fill.lua), so a fill racing
 * an invalidation never stores what the graph no longer says.
 *
 * Redis away: reads fall back to the graph (logged once per outage, never an error to the caller);
 * invalidations that could not be sent are kept and sent before this replica's next read or
 * invalidation (and the TTL bounds what another replica could see meanwhile).
 */
export class ProfileStore implements ProfileInvalidator {
  private readonly options: ProfileStoreOptions;
  private readonly redis: ProfileRedis;
  /** Customers whose invalidation could not reach Redis: sent again first thing next time. */
  private readonly pending = new Set<string>();
  /** True while Redis is failing, so an outage is logged once, and its end once. */
  private degraded = false;
  /** Test hook: runs between a fill's graph read and its SET (the fill race is driven through it). */
  beforeFill: (() => Promise<void>) | null = null;

  constructor(
    private readonly graph: Graph,
    redis: Redis,
    private readonly reference: ReferenceData,
    private readonly log: Logger,
    options: Partial<ProfileStoreOptions> = {},
  ) {
    this.options = { ttlMs: DEFAULT_PROFILE_TTL_MS, redisTimeoutMs: DEFAULT_PROFILE_REDIS_TIMEOUT_MS, ...options };
    defineScripts(redis, [{ name: "profileFill", files: ["src/customer360/scripts/profile-fill.lua"], numberOfKeys: 2 }]);
    this.redis = redis as ProfileRedis;
  }

  /**
   * The decision inputs of each request, in order (null for an unknown customer): one MGET for the
   * batch, one graph read for the misses (filled back behind the answer), eligibility computed here.
   */
  async inputs(graph: Cypher, requests: readonly DecisionInputRequest[]): Promise<Array<DecisionInputs | null>> {
    const ids = [...new Set(requests.map((r) => r.customerId))];
    const [profiles, relations] = await Promise.all([this.profiles(graph, ids), this.reference.relations()]);
    return requests.map((r) => {
      const p = profiles.get(r.customerId);
      return p ? judge(p, r.productIds, relations) : null;
    });
  }

  /** The stored profiles of `ids`: from Redis where warm, from the graph (and filled) where not, from the graph alone while Redis is away. */
  async profiles(graph: Cypher, ids: readonly string[]): Promise<Map<string, StoredProfile>> {
    const read = await this.read(ids);
    if (!read) {
      PROFILE_LOOKUPS.unavailable.inc(ids.length);
      return profilesByIds(graph, ids);
    }
    const misses = ids.filter((id) => !read.found.has(id));
    PROFILE_LOOKUPS.hit.inc(ids.length - misses.length);
    PROFILE_LOOKUPS.miss.inc(misses.length);
    if (misses.length === 0) return read.found;
    const loaded = await profilesByIds(graph, misses);
    for (const [id, p] of loaded) read.found.set(id, p);
    const fills = [...loaded].map(([id, profile]) => ({ id, profile, version: read.versions.get(id) ?? "" }));
    // Behind the answer: the decision has its inputs; a failed fill only means the next one reads the graph too.
    void this.fill(fills).catch(() => undefined);
    return read.found;
  }

  /**
   * The region of each of `ids` that is a customer (unknown ids are absent), for checking an
   * event's customer at the door: a live profile exists only for a customer, so a hit is known
   * without a graph read (one MGET for the batch); only the misses are read from the graph (one
   * statement), and all of them while Redis is away. A customer's id and region never change
   * (no event or API changes them), so a profile however old answers both.
   */
  async regions(graph: GraphSession, ids: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const found = new Map<string, string>();
    if (unique.length === 0) return found;
    let misses = unique;
    try {
      const values = await this.timed(getMany(this.redis, unique.map((id) => keys.profile.value(id))));
      this.recovered();
      misses = unique.filter((id, i) => {
        const value = values[i];
        const regionId = value ? (JSON.parse(value) as StoredProfile).c.regionId : undefined;
        if (typeof regionId === "string") found.set(id, regionId);
        return typeof regionId !== "string";
      });
    } catch (error) {
      this.failed(error, "reading profiles; events' customers are checked in the graph");
    }
    for (const [id, regionId] of await customerRegions(graph, misses)) found.set(id, regionId);
    return found;
  }

  /** Step one of a read: the profiles and versions of `ids` in one MGET; null when Redis is away (the caller reads the graph). */
  async read(ids: readonly string[]): Promise<ProfileRead | null> {
    if (ids.length === 0) return { found: new Map(), versions: new Map() };
    try {
      await this.flushPending();
      const replies = await this.timed(getMany(this.redis, ids.flatMap((id) => [keys.profile.value(id), keys.profile.version(id)])));
      this.recovered();
      const found = new Map<string, StoredProfile>();
      const versions = new Map<string, string>();
      ids.forEach((id, i) => {
        const value = replies[2 * i];
        versions.set(id, replies[2 * i + 1] ?? "");
        if (!value) return;
        const stored = JSON.parse(value) as StoredProfile;
        // A profile stored before the view's ties were part of it (a replica of the previous release) is read again, and refilled.
        if (stored.ties) found.set(id, stored);
      });
      return { found, versions };
    } catch (error) {
      this.failed(error, "reading profiles; decisions read the graph");
      return null;
    }
  }

  /** Step three of a read: stores each profile unless its customer's version moved since step one; true per fill stored. */
  async fill(fills: readonly ProfileFill[]): Promise<boolean[]> {
    if (fills.length === 0) return [];
    if (this.beforeFill) await this.beforeFill();
    const pipeline = this.redis.pipeline();
    for (const f of fills) {
      (pipeline as unknown as ProfileRedis).profileFill(keys.profile.value(f.id), keys.profile.version(f.id), f.version, JSON.stringify(f.profile), this.options.ttlMs);
    }
    try {
      const replies = (await this.timed(pipeline.exec())) ?? [];
      return replies.map(([error, stored]) => !error && stored === 1);
    } catch (error) {
      this.failed(error, "filling profiles");
      return fills.map(() => false);
    }
  }

  /**
   * Forgets the profiles of customers whose holdings, attributes or tag values changed, and (with
   * `neighbours`, the default) of their family and circle, whose adoption counts changed with the
   * holdings: one graph read for the neighbours, one Redis round trip for all. Await it before
   * answering the change. Never rejects: what Redis did not take is sent again next time.
   */
  async invalidate(customerIds: readonly string[], options: { neighbours?: boolean } = {}): Promise<void> {
    if (customerIds.length === 0) return;
    const ids = new Set(customerIds);
    if (options.neighbours ?? true) {
      try {
        for (const id of await profileNeighbours(this.graph.session(), customerIds)) ids.add(id);
      } catch (error) {
        // Without the neighbours their adoption counts may lag by up to the TTL; the changed customers themselves are still invalidated.
        this.log.warn({ customers: customerIds.length, err: message(error) }, "profiles: reading the neighbours of changed customers failed; their profiles expire by TTL");
      }
    }
    for (const id of this.pending) ids.add(id);
    await this.send([...ids]);
  }

  private async send(ids: readonly string[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      // The version first: a fill that read the old version is refused from this moment on.
      pipeline.incr(keys.profile.version(id));
      pipeline.pexpire(keys.profile.version(id), this.options.ttlMs);
      pipeline.del(keys.profile.value(id));
    }
    try {
      const replies = (await this.timed(pipeline.exec())) ?? [];
      const error = replies.find(([e]) => e)?.[0];
      if (error) throw error;
      for (const id of ids) this.pending.delete(id);
      this.recovered();
    } catch (error) {
      for (const id of ids) this.pending.add(id);
      this.failed(error, "invalidating profiles; sent again with the next read");
    }
  }

  private async flushPending(): Promise<void> {
    if (this.pending.size === 0) return;
    await this.send([...this.pending]);
    // Still pending: Redis is away, and a read now could serve a profile these invalidations were meant to remove.
    if (this.pending.size > 0) throw new Error("invalidations of profiles are still pending");
  }

  private timed<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      command,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.options.redisTimeoutMs} ms`)), this.options.redisTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private failed(error: unknown, what: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.log.warn({ err: message(error) }, `profiles: Redis failed ${what}`);
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log.info("profiles: Redis answers again; decisions read their profiles from it");
  }
}

/**
 * DecisionInputs from a stored profile, with DECISION_INPUTS's rules (src/graph/decision.ts), per
 * candidate product p (unknown products are skipped, as the graph's MATCH skips them):
 *   - not held;
 *   - a main plan replaces the held one, so the held main plan does not count against it ("kept");
 *   - REQUIRES targets are alternatives: none, or one of them kept;
 *   - none of its (outgoing) EXCLUDES targets kept;
 *   - a main plan keeps every kept add-on's REQUIRES satisfied (by itself or another kept product).
 */
export function judge(stored: StoredProfile, productIds: readonly string[], relations: ProductRelations): DecisionInputs {
  const heldIds = stored.c.profile.holdings.map(([id]) => id);
  const held = new Set(heldIds);
  const eligible = new Map<string, ProductSignal>();
  const heldKept = heldIds.filter((h) => !MAIN_PLAN_KINDS.has(relations.kind.get(h) ?? ""));
  for (const p of productIds) {
    const kind = relations.kind.get(p);
    if (kind === undefined || held.has(p) || eligible.has(p)) continue;
    const replacesPlan = MAIN_PLAN_KINDS.has(kind);
    const kept = replacesPlan ? new Set(heldKept) : held;
    const requires = relations.requires.get(p) ?? [];
    if (requires.length > 0 && !requires.some((q) => kept.has(q))) continue;
    const excludes = relations.excludes.get(p);
    if (excludes && [...kept].some((x) => excludes.has(x))) continue;
    if (replacesPlan && ![...kept].every((h) => {
      const needs = relations.requires.get(h) ?? [];
      return needs.length === 0 || needs.some((q) => q === p || kept.has(q));
    })) continue;
    eligible.set(p, { productId: p, familyHolders: stored.family.filter((l) => l.includes(p)).length, circleHolders: stored.circle.filter((l) => l.includes(p)).length });
  }
  const upgrades: Array<[string, string]> = [];
  for (const h of heldIds) for (const u of relations.upgradesTo.get(h) ?? []) upgrades.push([h, u]);
  return { customer: withProfile(structuredCloneProfile(stored)), eligible, familySize: stored.family.length, circleSize: stored.circle.length, upgrades };
}

/** withProfile sorts the preference pairs in place: a profile read from Redis is fresh, but one just read from the graph is shared with its fill. */
function structuredCloneProfile(stored: StoredProfile): StoredProfile["c"] {
  return { ...stored.c, profile: { ...stored.c.profile, preferredChannels: [...stored.c.profile.preferredChannels] } };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The live profiles as a cache (c360_cache_requests_total{cache="live_profiles"}): hit in Redis, miss (read from the graph and filled), or Redis unavailable. */
const PROFILE_LOOKUPS = {
  hit: cacheLookups.labels("live_profiles", "hit"),
  miss: cacheLookups.labels("live_profiles", "miss"),
  unavailable: cacheLookups.labels("live_profiles", "unavailable"),
};
