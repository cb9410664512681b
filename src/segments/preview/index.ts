import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { ReferenceData } from "../../customer360/reference";
import {
  allCustomerIdx,
  assignCustomerIdx,
  customerIdxExtent,
  customersByIdxRange,
  ensureSegmentSchema,
  indexedCustomersByIds,
  indexedCustomersByIdx,
  relatedCounts,
  scanMembers,
  tagHolders,
  trajectoryMembers,
} from "../../graph/segments";
import { keys } from "../../platform/keys";
import type { Logger } from "../../platform/logger";
import type { Graph } from "../../platform/neo4j";
import { redisCall, releaseLease } from "../../platform/redis";
import { bitmapOf, membersOf, sliceNumbers, type Bitmap } from "./bits";
import { dropGeneration, GenerationBuilder } from "./build";
import { customerFields, FIELD_GROUPS, TAG_FIELD, tagFields, type FieldContext, type FieldGroup } from "./fields";
import type { Derived, Plan } from "./plan";
import { BitmapStore, ExpiredDerived, MissingIndex, SegmentIndexUnavailableError, type ReplacedField } from "./store";

/**
 * The segment index: bitmaps of every customer's tags, attribute values and holdings over the dense
 * customer index, in Redis, shared by the replicas (./store.ts for the layout, ./bits.ts for the
 * encodings). This class keeps them:
 *
 * - **built** from the graph by a job (at start when missing, or on demand): one replica at a time
 *   (a lease in Redis), page by page in idx order with its progress in `segments:{idx}:build`, into
 *   a new generation swapped in whole when done, so a preview never sees half a build;
 * - **current**: a change to customers ({@link changed}: an offer accepted, and whatever else writes
 *   customers) re-reads them from the graph and sets their bits in one script, within milliseconds;
 *   a tag published or recomputed is re-read from its edges ({@link refreshTag}) and swapped in. What
 *   changed while a build or a refresh was reading is replayed into it from the changes log, so no
 *   change is lost to a rebuild;
 * - **queried**: programs (./plan.ts) run over the generation served, reading the derived bitmaps of
 *   graph and trajectory predicates, computed by indexed Cypher and cached for seconds.
 */

/** Customers read per statement while building. */
const BUILD_PAGE = 10_000;
/** The builder's lease, renewed every third of it while it works. */
const LEASE_MS = 60_000;
/** Derived bitmaps (graph and trajectory predicates, scans) are kept this long. */
export const DERIVED_TTL_MS = 15_000;
/** Changes replayed after a build or a tag refresh: those logged since it started, less this margin for clocks. */
const REPLAY_MARGIN_MS = 5_000;
/** Reads of the build and of derived bitmaps may take this long (a million customers' page, a graph predicate over them). */
const BACKGROUND_READ_TIMEOUT_MS = 120_000;
/** Customers re-read per statement when changes are applied. */
const APPLY_BATCH = 500;

/** What {@link SegmentIndex.status} reports. */
export interface SegmentIndexStatus {
  /** READY: a generation is served (a rebuild may be running: `building`); BUILDING: the first is being built; MISSING: none, none building; FAILED: the last build failed. */
  state: "READY" | "BUILDING" | "MISSING" | "FAILED";
  generation: number | null;
  builtAt: Date | null;
  customers: number | null;
  building: { generation: number; startedAt: Date; done: number; total: number } | null;
  error: string | null;
}

/** Who tells the index that customers changed (decisioning when an offer is accepted, the event consumer, jobs). */
export interface CustomerChanges {
  /** Re-reads these customers' fields of `groups` (all when omitted) and sets their bits, behind the caller's answer; failures are logged. */
  changed(ids: readonly string[], groups?: readonly FieldGroup[]): void;
}

/** Tries of the build at start, the retries 5 s, 10 s, 20 s, 40 s apart. */
const START_ATTEMPTS = 5;
const START_RETRY_MS = 5_000;

export class SegmentIndex implements CustomerChanges {
  readonly store: BitmapStore;
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private building: Promise<void> | null = null;
  private readonly derivedInFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly graph: Graph,
    private readonly redis: Redis,
    private readonly reference: ReferenceData,
    private readonly log: Logger,
  ) {
    this.store = new BitmapStore(redis);
  }

  /**
   * At start: builds the bitmaps in the background when none are served (and no replica is building
   * them). A build that fails at start (Neo4j still bringing the indexes other rooms just created
   * online, Redis restarting) is tried again after 5, 10, 20 … s, a few times: nothing else would
   * start it before the first preview asks.
   */
  start(attempt = 1): void {
    void (async () => {
      if ((await this.store.current()) !== null) return;
      await this.rebuild();
      await this.whenBuilt();
      const after = await this.status();
      if (after.state !== "FAILED") return;
      throw new Error(after.error ?? "the build failed");
    })().catch((error: unknown) => {
      const again = attempt < START_ATTEMPTS;
      this.log.warn({ err: message(error), attempt }, again ? "the segment index could not be built at start; trying again" : "the segment index could not be built at start; a preview or rebuildSegmentIndex starts its build");
      if (again) setTimeout(() => this.start(attempt + 1), START_RETRY_MS * 2 ** (attempt - 1)).unref();
    });
  }

  // ───────────────────────────── status and builds ─────────────────────────────

  async status(): Promise<SegmentIndexStatus> {
    const [current, build, lock] = await Promise.all([
      this.store.current(),
      redisCall(this.redis.hgetall(keys.segments.build())),
      redisCall(this.redis.get(keys.segments.buildLock())),
    ]);
    const info = current === null ? {} : await redisCall(this.redis.hgetall(`${keys.segments.generation(current)}:info`));
    const running = build.state === "RUNNING" && lock !== null;
    const failed = build.state === "FAILED" || (build.state === "RUNNING" && lock === null);
    return {
      state: current !== null ? "READY" : running ? "BUILDING" : failed ? "FAILED" : "MISSING",
      generation: current,
      builtAt: info.builtAt ? new Date(info.builtAt) : null,
      customers: info.customers ? Number(info.customers) : null,
      building: running ? { generation: Number(build.generation), startedAt: new Date(Number(build.startedAt)), done: Number(build.done ?? 0), total: Number(build.total ?? 0) } : null,
      error: failed ? (build.error || "the replica building it stopped before it finished") : null,
    };
  }

  /** Starts a build in the background unless one runs (here or on another replica); returns the status then. */
  async rebuild(): Promise<SegmentIndexStatus> {
    if (!this.building) {
      this.building = this.build()
        .catch((error: unknown) => this.log.error({ err: message(error) }, "building the segment index failed"))
        .finally(() => {
          this.building = null;
        });
    }
    // the lease is taken within a round trip or two: let the status say so
    await new Promise((resolve) => setTimeout(resolve, 20));
    return this.status();
  }

  /** Waits for a build this process runs (tests, tools). */
  async whenBuilt(): Promise<void> {
    await this.building;
  }

  /**
   * Builds a new generation from the graph and serves it. Returns without building when another
   * replica holds the lease. The old generation is dropped once the new one is served.
   */
  async build(): Promise<void> {
    const lock = keys.segments.buildLock();
    const taken = await redisCall(this.redis.set(lock, this.owner, "PX", LEASE_MS, "NX"));
    if (taken !== "OK") return;
    const renew = setInterval(() => void this.redis.pexpire(lock, LEASE_MS).catch(() => undefined), LEASE_MS / 3);
    renew.unref();
    const startedAt = Date.now();
    let generation: number | null = null;
    try {
      generation = await redisCall(this.redis.incr(keys.segments.next()));
      await redisCall(this.redis.hset(keys.segments.build(), { state: "RUNNING", generation, startedAt, done: 0, total: 0, error: "", owner: this.owner }));
      const session = this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS);
      await ensureSegmentSchema(session);
      await assignCustomerIdx(session, null);
      const { maxIdx, customers } = await customerIdxExtent(session);
      await redisCall(this.redis.hset(keys.segments.build(), { total: customers }));
      const context = await this.fieldContext();
      const builder = new GenerationBuilder(generation, maxIdx);
      for (let from = 0; from <= maxIdx; from += BUILD_PAGE) {
        for (const c of await customersByIdxRange(session, from, from + BUILD_PAGE)) builder.add(customerFields(c, context));
        await redisCall(this.redis.hset(keys.segments.build(), { done: builder.size }));
      }
      await builder.write(this.redis, new Date());
      const old = await this.store.swap(generation);
      await redisCall(this.redis.hset(keys.segments.build(), { state: "DONE", finishedAt: Date.now(), done: builder.size }));
      this.log.info({ generation, customers: builder.size, ms: Date.now() - startedAt }, "segment index built");
      // what changed while the pages were read goes into the new generation
      await this.replay(startedAt - REPLAY_MARGIN_MS, FIELD_GROUPS);
      if (old !== null) await dropGeneration((list, cursor) => this.store.dropBatch(list, cursor), this.redis, old);
    } catch (error) {
      await redisCall(this.redis.hset(keys.segments.build(), { state: "FAILED", error: message(error), finishedAt: Date.now() })).catch(() => undefined);
      if (generation !== null && (await this.store.current().catch(() => null)) !== generation) {
        await dropGeneration((list, cursor) => this.store.dropBatch(list, cursor), this.redis, generation).catch(() => undefined);
      }
      throw error;
    } finally {
      clearInterval(renew);
      await releaseLease(this.redis, lock, this.owner);
    }
  }

  // ───────────────────────────── keeping current ─────────────────────────────

  changed(ids: readonly string[], groups: readonly FieldGroup[] = FIELD_GROUPS): void {
    // the trajectory is in no bitmap (see FieldGroup): nothing to re-read for it
    const held = groups.filter((g) => FIELD_GROUPS.includes(g));
    if (held.length === 0) return;
    this.refreshCustomers(ids, held).catch((error: unknown) =>
      this.log.warn({ err: message(error), customers: ids.slice(0, 10) }, "updating customers' segment bits failed; the next change or build brings them in"),
    );
  }

  /** Re-reads these customers' fields from the graph and sets their bits (customers without an idx get one). Returns the generation written (0: none served). */
  async refreshCustomers(ids: readonly string[], groups: readonly FieldGroup[] = FIELD_GROUPS): Promise<number> {
    let generation = 0;
    const session = this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS);
    for (let i = 0; i < ids.length; i += APPLY_BATCH) {
      const batch = ids.slice(i, i + APPLY_BATCH);
      let found = await indexedCustomersByIds(session, batch);
      if (found.length < batch.length && (await assignCustomerIdx(session, batch)) > 0) found = await indexedCustomersByIds(session, batch);
      if (found.length === 0) continue;
      const context = await this.fieldContext();
      generation = await this.store.apply(
        found.map((c) => customerFields(c, context, groups)),
        Date.now(),
      );
    }
    return generation;
  }

  /**
   * Clears the bits of customers no longer in the graph: deletions are not told as changes are
   * (nothing in the gateway deletes customers), so a tool that deletes some calls this, or waits
   * for the next build. One pass over the idx index. Returns how many were cleared.
   */
  async prune(): Promise<number> {
    const generation = await this.store.current();
    if (generation === null) return 0;
    const [present, served] = await Promise.all([allCustomerIdx(this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS)), this.store.bytes(`${keys.segments.generation(generation)}:all`)]);
    const known = new Set(present);
    const gone = membersOf(served).filter((idx) => !known.has(idx));
    for (let i = 0; i < gone.length; i += APPLY_BATCH) await this.store.apply(gone.slice(i, i + APPLY_BATCH).map((idx) => ({ idx, gone: true as const })), Date.now());
    return gone.length;
  }

  /** Re-reads customers by idx (changes logged since `sinceMs`) and sets their bits; idx no longer a customer are cleared. */
  private async replay(sinceMs: number, groups: readonly FieldGroup[]): Promise<void> {
    const idx = await this.store.changedSince(sinceMs);
    const session = this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS);
    const context = await this.fieldContext();
    for (let i = 0; i < idx.length; i += APPLY_BATCH) {
      const batch = idx.slice(i, i + APPLY_BATCH);
      const found = await indexedCustomersByIdx(session, batch);
      const seen = new Set(found.map((c) => c.idx));
      await this.store.apply([...found.map((c) => customerFields(c, context, groups)), ...batch.filter((n) => !seen.has(n)).map((n) => ({ idx: n, gone: true as const }))], Date.now());
    }
  }

  /**
   * Re-reads one tag from its edges (its carriers, category values and scores) and swaps its
   * bitmaps in at once: after the tag library publishes it, or a job recomputes it. Customers
   * changed meanwhile are replayed.
   */
  async refreshTag(code: string): Promise<void> {
    const generation = await this.store.current();
    if (generation === null) return;
    const tag = [...(await this.reference.tags()).values()].find((t) => t.code === code);
    if (!tag) return;
    const startedAt = Date.now();
    const holders = await tagHolders(this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS), code);
    const maxIdx = holders.reduce((m, h) => Math.max(m, h.idx), 0);
    const prefix = this.redis.options.keyPrefix ?? "";
    const temp = `${keys.segments.base()}:t:tag:${randomBytes(6).toString("hex")}`;
    const writes: Array<[string, Buffer]> = [];
    const stage = (suffix: string, bitmap: Bitmap): string => {
      writes.push([`${temp}:${suffix}`, bitmap.buffer()]);
      return prefix + `${temp}:${suffix}`;
    };
    const fields: ReplacedField[] = [{ f: TAG_FIELD, kind: "v", only: true, values: { [code]: stage("carried", bitmapOf(holders.map((h) => h.idx), maxIdx)) } }];
    const { value, score } = tagFields(tag);
    if (value) {
      const byValue = new Map<string, number[]>();
      for (const h of holders) if (h.value !== null) byValue.set(h.value, [...(byValue.get(h.value) ?? []), h.idx]);
      fields.push({ f: value, kind: "v", only: false, values: Object.fromEntries([...byValue].map(([v, idx], i) => [v, stage(`v${i}`, bitmapOf(idx, maxIdx))])) });
    }
    const scored = holders.filter((h) => h.score !== null && Number.isFinite(h.score));
    const { states, slices } = sliceNumbers(
      maxIdx,
      scored.map((h) => h.idx),
      scored.map((h) => h.score as number),
      scored.length,
    );
    fields.push({
      f: score,
      kind: "n",
      states,
      slices: Object.fromEntries([...slices].map(([bit, b]) => [String(bit), stage(`n${bit}`, b)])),
      ex: stage("ex", bitmapOf(scored.map((h) => h.idx), maxIdx)),
    });
    const pipeline = this.redis.pipeline();
    for (const [key, bytes] of writes) pipeline.set(key, bytes, "PX", LEASE_MS);
    await redisCall(pipeline.exec());
    if (await this.store.replace(generation, fields)) await this.replay(startedAt - REPLAY_MARGIN_MS, ["tags"]);
  }

  // ───────────────────────────── queries ─────────────────────────────

  /**
   * Runs a plan: computes the derived bitmaps it needs that are not cached, then evaluates it into
   * `resultKey` (kept `ttlMs`). Throws SERVICE_UNAVAILABLE with the build's progress while no
   * generation is served (and starts the build if nobody is building).
   */
  async evaluate(plan: Plan, resultKey: string, ttlMs: number): Promise<{ generation: number; members: number; customers: number }> {
    for (let attempt = 1; ; attempt++) {
      await this.ensureDerived(plan.derived, attempt > 1);
      try {
        return await this.store.evaluate(
          plan.program,
          plan.derived.map((d) => d.key),
          resultKey,
          ttlMs,
        );
      } catch (error) {
        if (error instanceof MissingIndex) throw await this.unavailable();
        if (!(error instanceof ExpiredDerived) || attempt >= 3) throw error;
      }
    }
  }

  /** The error a query gets while no generation is served: how far the build is, starting it if nobody builds. */
  async unavailable(): Promise<SegmentIndexUnavailableError> {
    let status = await this.status();
    if (status.state === "MISSING" || status.state === "FAILED") status = await this.rebuild();
    if (status.building) {
      const { done, total } = status.building;
      const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
      return new SegmentIndexUnavailableError(`the segment index is being built (${percent}%: ${done.toLocaleString("en")} of ${total.toLocaleString("en")} customers read)`);
    }
    return new SegmentIndexUnavailableError(`the segment index is not built${status.error ? ` (the last build failed: ${status.error})` : ""}; a build has been started`);
  }

  /** The members of a plan, as idx (an inner condition of family(…) or circle(…) that no product or tag node starts). */
  private async members(plan: Plan): Promise<number[]> {
    const key = keys.segments.result(`inner:${randomBytes(6).toString("hex")}`);
    try {
      await this.evaluate(plan, key, DERIVED_TTL_MS);
      return membersOf(await this.store.bytes(key));
    } finally {
      await this.store.drop(key).catch(() => undefined);
    }
  }

  private async ensureDerived(derived: readonly Derived[], force: boolean): Promise<void> {
    if (derived.length === 0) return;
    const present = force ? derived.map(() => false) : await this.store.existing(derived.map((d) => d.key));
    await Promise.all(derived.map((d, i) => (present[i] ? undefined : this.derive(d))));
  }

  /** Computes a derived bitmap once however many previews ask for it at the same moment. */
  private derive(d: Derived): Promise<void> {
    let running = this.derivedInFlight.get(d.key);
    if (!running) {
      running = this.computeDerived(d).finally(() => this.derivedInFlight.delete(d.key));
      this.derivedInFlight.set(d.key, running);
    }
    return running;
  }

  private async computeDerived(d: Derived): Promise<void> {
    // bounded by the request's own deadline; the statement may outlive a request that gave up, and its bitmap then serves the next
    const session = this.graph.backgroundSession(BACKGROUND_READ_TIMEOUT_MS);
    let members: number[];
    switch (d.t) {
      case "trajectory":
        members = await trajectoryMembers(session, d.query);
        break;
      case "scan":
        members = await scanMembers(session, d.scan);
        break;
      case "related": {
        const counts = await relatedCounts(session, d.relation, d.seed ?? { idx: await this.members(d.inner) });
        members = counts.filter(([, n]) => d.test(n)).map(([idx]) => idx);
        break;
      }
    }
    const maxIdx = members.reduce((m, i) => Math.max(m, i), 0);
    await this.store.putDerived(d.key, bitmapOf(members, maxIdx).buffer(), DERIVED_TTL_MS);
  }

  private async fieldContext(): Promise<FieldContext> {
    const [tags, products] = await Promise.all([this.reference.tags(), this.reference.products()]);
    return { tags, products };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
