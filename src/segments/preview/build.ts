import type { Redis } from "ioredis";
import { keys } from "../../platform/keys";
import { redisCall } from "../../platform/redis";
import { Bitmap, sliceNumbers } from "./bits";
import type { CustomerFields } from "./fields";

/**
 * One generation of the bitmaps being built in memory from the customers read page by page, then
 * written to Redis under its own keys (`segments:{idx}:g<gen>:…`), invisible until it is swapped in.
 * Memory: one bitmap of maxIdx/8 bytes per value (≈125 KB per value at a million customers) and
 * the numbers present (12 bytes each) until they are sliced.
 */
export class GenerationBuilder {
  private readonly all: Bitmap;
  private readonly values = new Map<string, Map<string, Bitmap>>();
  private readonly numbers = new Map<string, NumberColumn>();
  private customers = 0;

  constructor(
    readonly generation: number,
    private readonly maxIdx: number,
  ) {
    this.all = new Bitmap(maxIdx);
  }

  add(c: CustomerFields): void {
    if (c.idx > this.maxIdx || c.idx < 0) return; // written after the extent was read: the replay of changes brings it in
    this.all.set(c.idx);
    this.customers += 1;
    for (const [field, list] of Object.entries(c.values)) {
      let byValue = this.values.get(field);
      if (!byValue) this.values.set(field, (byValue = new Map()));
      for (const value of list) {
        let bitmap = byValue.get(value);
        if (!bitmap) byValue.set(value, (bitmap = new Bitmap(this.maxIdx)));
        bitmap.set(c.idx);
      }
    }
    for (const [field, value] of Object.entries(c.numbers)) {
      let column = this.numbers.get(field);
      if (!column) this.numbers.set(field, (column = new NumberColumn()));
      if (value !== null) column.push(c.idx, value);
    }
  }

  /** Writes the generation (bitmaps, value lists, bit states, field registry, info, key list) in pipelined batches. */
  async write(redis: Redis, builtAt: Date): Promise<void> {
    const g = keys.segments.generation(this.generation);
    const writer = new BatchWriter(redis);
    const written: string[] = [];
    const bitmap = async (key: string, b: Bitmap): Promise<void> => {
      written.push(key);
      await writer.add((p) => p.set(key, b.buffer()));
    };
    await bitmap(`${g}:all`, this.all);
    const fields: Record<string, string> = {};
    for (const [field, byValue] of this.values) {
      fields[field] = "v";
      const vals = `${g}:vals:${field}`;
      written.push(vals);
      if (byValue.size > 0) await writer.add((p) => p.sadd(vals, ...byValue.keys()));
      for (const [value, b] of byValue) await bitmap(`${g}:v:${field}:${value}`, b);
    }
    for (const [field, column] of this.numbers) {
      fields[field] = "n";
      const { states, slices } = sliceNumbers(this.maxIdx, column.idx, column.values, column.length);
      const ex = new Bitmap(this.maxIdx);
      for (let i = 0; i < column.length; i++) ex.set(column.idx[i] as number);
      await bitmap(`${g}:n:${field}:ex`, ex);
      for (const [bit, b] of slices) await bitmap(`${g}:n:${field}:${bit}`, b);
      const stkey = `${g}:bsi:${field}`;
      written.push(stkey);
      await writer.add((p) => p.hset(stkey, Object.fromEntries(states.map((s, bit) => [String(bit), s]))));
    }
    written.push(`${g}:fields`, `${g}:info`);
    // full names, as the scripts write them (they see the client's key prefix in KEYS[1])
    const prefix = redis.options.keyPrefix ?? "";
    if (Object.keys(fields).length > 0) await writer.add((p) => p.hset(`${g}:fields`, fields));
    await writer.add((p) => p.hset(`${g}:info`, { customers: this.customers, maxIdx: this.maxIdx, builtAt: builtAt.toISOString() }));
    for (let i = 0; i < written.length; i += 1000) {
      const some = written.slice(i, i + 1000).map((k) => prefix + k);
      await writer.add((p) => p.sadd(`${g}:keys`, ...some));
    }
    await writer.flush();
  }

  get size(): number {
    return this.customers;
  }
}

/** A number field's values as they come: parallel growable arrays of idx and value. */
class NumberColumn {
  idx = new Int32Array(1024);
  values = new Float64Array(1024);
  length = 0;

  push(idx: number, value: number): void {
    if (this.length === this.idx.length) {
      const idx = new Int32Array(this.idx.length * 2);
      idx.set(this.idx);
      this.idx = idx;
      const values = new Float64Array(this.values.length * 2);
      values.set(this.values);
      this.values = values;
    }
    this.idx[this.length] = idx;
    this.values[this.length] = value;
    this.length += 1;
  }
}

type Pipeline = ReturnType<Redis["pipeline"]>;

/** Commands sent in pipelines of a few megabytes, so a build of a million customers neither waits on round trips nor buffers gigabytes. */
class BatchWriter {
  private pipeline: Pipeline;
  private queued = 0;

  constructor(private readonly redis: Redis) {
    this.pipeline = redis.pipeline();
  }

  async add(command: (p: Pipeline) => void): Promise<void> {
    command(this.pipeline);
    this.queued += 1;
    if (this.queued >= 32) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.queued === 0) return;
    const pipeline = this.pipeline;
    this.pipeline = this.redis.pipeline();
    this.queued = 0;
    const results = (await redisCall(pipeline.exec())) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }
}

/** Unlinks every key of a generation (after a newer one is served, or when its build failed), a batch per script call. */
export async function dropGeneration(drop: (list: string, cursor: string) => Promise<string>, redis: Redis, generation: number): Promise<void> {
  const g = keys.segments.generation(generation);
  const list = `${g}:keys`;
  let cursor = "0";
  do cursor = await drop(list, cursor);
  while (cursor !== "0");
  await redisCall(redis.unlink(list, `${g}:all`, `${g}:fields`, `${g}:info`));
}
