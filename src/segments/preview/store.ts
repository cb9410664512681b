import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { GatewayError } from "../../platform/errors";
import { keys } from "../../platform/keys";
import { redisCall } from "../../platform/redis";
import { defineScripts } from "../../platform/scripts";
import { keyBits, nextKey } from "./bits";
import type { CustomerFields } from "./fields";
import type { Program } from "./plan";

/**
 * The segment bitmaps in Redis (key layout in src/platform/keys.ts, `segments:{idx}:…`): the
 * scripts that evaluate, distribute, sample, apply changes and swap generations, and the writes of
 * a build. Redis rather than an in-process library so every replica reads the same bitmaps and a
 * change applied by one is seen by all; the {idx} hash tag keeps them in one slot of a cluster.
 */

const SCRIPTS = "src/segments/preview/scripts";
const LIB = `${SCRIPTS}/lib.lua`;

type Reply = string | number | null | Reply[];
type ScriptCall = (...args: Array<string | number | Buffer>) => Promise<Reply>;

/** A customer that is no more (or has no idx): its bit in `all` is cleared, so no result holds it. */
export interface GoneCustomer {
  idx: number;
  gone: true;
}

/** One field of a tag refresh, written under temporary keys, for {@link BitmapStore.replace}. */
export type ReplacedField =
  | { f: string; kind: "v"; values: Record<string, string>; only: boolean }
  | { f: string; kind: "n"; states: string[]; slices: Record<string, string>; ex: string };

export class BitmapStore {
  readonly base = keys.segments.base();

  constructor(private readonly redis: Redis) {
    defineScripts(redis, [
      { name: "segmentsEvaluate", files: [LIB, `${SCRIPTS}/evaluate.lua`] },
      { name: "segmentsDistribute", files: [LIB, `${SCRIPTS}/distribute.lua`], numberOfKeys: 2 },
      { name: "segmentsSample", files: [`${SCRIPTS}/sample.lua`], numberOfKeys: 1, readOnly: true },
      { name: "segmentsApply", files: [LIB, `${SCRIPTS}/apply.lua`], numberOfKeys: 1 },
      { name: "segmentsReplace", files: [LIB, `${SCRIPTS}/replace.lua`], numberOfKeys: 1 },
      { name: "segmentsSwap", files: [`${SCRIPTS}/swap.lua`], numberOfKeys: 1 },
      { name: "segmentsDrop", files: [`${SCRIPTS}/drop.lua`], numberOfKeys: 1 },
    ]);
  }

  private script(name: string): ScriptCall {
    return (this.redis as unknown as Record<string, ScriptCall>)[name]!.bind(this.redis);
  }

  /** The generation served, or null before the first build. */
  async current(): Promise<number | null> {
    const gen = await redisCall(this.redis.get(keys.segments.current()));
    return gen === null ? null : Number(gen);
  }

  /**
   * Runs a program over the generation served, storing its members at `resultKey` for `ttlMs`.
   * Throws {@link MissingIndex} before the first build, {@link ExpiredDerived} when a derived bitmap
   * it reads expired meanwhile (compute it again and retry).
   */
  async evaluate(program: Program, derived: readonly string[], resultKey: string, ttlMs: number): Promise<{ generation: number; members: number; customers: number }> {
    const reply = (await this.call("segmentsEvaluate", 2 + derived.length, this.base, resultKey, ...derived, JSON.stringify(program), ttlMs, tempId())) as number[];
    return { generation: reply[0] as number, members: reply[1] as number, customers: reply[2] as number };
  }

  /** Members per value of a value field among those of `resultKey`; `values` null: every value the field has. */
  async countValues(resultKey: string, field: string, values: readonly string[] | null): Promise<Array<[string, number]>> {
    const reply = (await this.call("segmentsDistribute", this.base, resultKey, JSON.stringify({ t: "values", f: field, values: values ?? false }), tempId())) as Array<string | number>;
    const out: Array<[string, number]> = [];
    for (let i = 0; i < reply.length; i += 2) out.push([String(reply[i]), Number(reply[i + 1])]);
    return out;
  }

  /** Among the members of `resultKey` with a value of a number field: how many, how many below each bound, and how many at or below the last. */
  async countBelow(resultKey: string, field: string, bounds: readonly string[]): Promise<{ present: number; below: number[]; atOrBelowLast: number }> {
    const last = nextKey(bounds[bounds.length - 1] as string);
    const reply = (await this.call("segmentsDistribute", this.base, resultKey, JSON.stringify({ t: "bsi", f: field, bounds, last }), tempId())) as number[];
    return { present: reply[0] as number, below: reply.slice(1, 1 + bounds.length), atOrBelowLast: reply[1 + bounds.length] ?? 0 };
  }

  /** The smallest and largest values (as key bits) of a number field among the members of `resultKey`. */
  async extremes(resultKey: string, field: string): Promise<{ min: string | null; max: string | null }> {
    const reply = (await this.call("segmentsDistribute", this.base, resultKey, JSON.stringify({ t: "extremes", f: field }), tempId())) as string[];
    return { min: reply[0] || null, max: reply[1] || null };
  }

  /** The idx of the members at these ranks (ascending, distinct). */
  async sample(resultKey: string, ranks: readonly number[]): Promise<number[]> {
    if (ranks.length === 0) return [];
    return (await this.call("segmentsSample", resultKey, ...ranks)) as number[];
  }

  /** Sets customers' bits from their fields (or clears those gone); returns the generation written, 0 when none is built. */
  async apply(customers: ReadonlyArray<CustomerFields | GoneCustomer>, nowMs: number): Promise<number> {
    if (customers.length === 0) return 0;
    const rows = customers.map((c) => ("gone" in c ? { i: c.idx, p: false, v: {}, n: {} } : { i: c.idx, p: true, v: c.values, n: numbersAsBits(c.numbers) }));
    return (await this.call("segmentsApply", this.base, JSON.stringify(rows), nowMs)) as number;
  }

  /** Swaps a tag's refreshed bitmaps in, if `generation` is still served (else drops them and answers false). */
  async replace(generation: number, fields: readonly ReplacedField[]): Promise<boolean> {
    return ((await this.call("segmentsReplace", this.base, String(generation), JSON.stringify(fields))) as number) === 1;
  }

  /** Serves `generation`; returns the one it replaces. */
  async swap(generation: number): Promise<number | null> {
    const old = (await this.call("segmentsSwap", this.base, String(generation))) as string;
    return old === "" ? null : Number(old);
  }

  /** Unlinks a batch of the keys listed in `list`; returns the next cursor. */
  async dropBatch(list: string, cursor: string): Promise<string> {
    return String(await this.call("segmentsDrop", list, cursor));
  }

  /** Customers changed since `sinceMs` (their idx). */
  async changedSince(sinceMs: number): Promise<number[]> {
    return (await redisCall(this.redis.zrangebyscore(keys.segments.changes(), sinceMs, "+inf"))).map(Number);
  }

  /** Which of these keys exist. */
  async existing(names: readonly string[]): Promise<boolean[]> {
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const k of names) pipeline.exists(k);
    const results = (await redisCall(pipeline.exec())) ?? [];
    return results.map(([, n]) => n === 1);
  }

  /** Stores a derived bitmap for `ttlMs`. */
  async putDerived(key: string, bitmap: Buffer, ttlMs: number): Promise<void> {
    await redisCall(this.redis.set(key, bitmap, "PX", ttlMs));
  }

  /** A bitmap's bytes (empty when there is no such key). */
  async bytes(key: string): Promise<Buffer> {
    return (await redisCall(this.redis.getBuffer(key))) ?? Buffer.alloc(0);
  }

  async drop(key: string): Promise<void> {
    await redisCall(this.redis.unlink(key));
  }

  /** The Redis client, for the build's bulk writes (./build.ts). */
  get client(): Redis {
    return this.redis;
  }

  private async call(name: string, ...args: Array<string | number | Buffer>): Promise<Reply> {
    try {
      return await redisCall(this.script(name)(...args));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes("NOINDEX")) throw new MissingIndex();
      if (message.includes("DERIVED")) throw new ExpiredDerived();
      throw error;
    }
  }
}

/**
 * Segment previews cannot answer yet: the bitmaps are being built (the message says how far), or
 * their build failed. SERVICE_UNAVAILABLE: retry shortly.
 */
export class SegmentIndexUnavailableError extends GatewayError {
  readonly code = "SERVICE_UNAVAILABLE" as const;
  constructor(reason: string) {
    super(`Segment previews are unavailable: ${reason}. Retry shortly (segmentIndex tells the build's progress).`, "SERVICE_UNAVAILABLE", { service: "segment index" });
  }
}

/** No generation of the bitmaps is served yet (thrown by the scripts; the index turns it into a {@link SegmentIndexUnavailableError} with the build's progress). */
export class MissingIndex extends Error {
  constructor() {
    super("no generation of the segment bitmaps is served yet");
  }
}

/** A derived bitmap a program reads expired between its computation and the evaluation. */
export class ExpiredDerived extends Error {
  constructor() {
    super("a derived segment bitmap expired before it was read");
  }
}

/** Numbers as the apply script takes them: key bits, or "" for none. */
function numbersAsBits(numbers: Record<string, number | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(numbers)) out[field] = value === null ? "" : keyBits(value);
  return out;
}

/** A name for one script run's temporary keys. */
function tempId(): string {
  return randomBytes(6).toString("hex");
}
