import type { Redis } from "ioredis";
import { createRedis } from "../src/platform/redis";

/** Resolves once the client is connected (bench clients are made before Redis is known to be up). */
export async function ready(redis: Redis): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("Redis did not become ready within 10 s")), 10_000);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Deletes every key under `prefix`: a bench run leaves nothing of its own behind. */
export async function removeKeys(url: string, prefix: string): Promise<void> {
  const plain: Redis = createRedis(url, "");
  try {
    await ready(plain);
    const stream = plain.scanStream({ match: `${prefix}*`, count: 1_000 });
    for await (const batch of stream as AsyncIterable<string[]>) {
      if (batch.length > 0) await plain.unlink(...batch);
    }
  } finally {
    plain.disconnect();
  }
}
