import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { ContactPolicy } from "../src/contact-policy/policy";
import { startRedis } from "../src/main/launch/redis";
import { createLogger } from "../src/platform/logger";
import { PubSub } from "../src/platform/pubsub";
import { createRedis, type ClusterDurability } from "../src/platform/redis";
import { runMain } from "../src/platform/run-main";
import { EventStream } from "../src/realtime/event-stream";
import { launchRedisCluster } from "../test/support/redis-cluster-launch";
import { ready } from "./redis-keys";

/**
 * `npm run bench:redis-cluster`: the Redis paths the cluster changes, on one
 * redis-server and on a local Redis Cluster (3 primaries, 3 replicas), same machine, same client
 * code. Contact-policy reservations are per customer (their keys spread over the primaries);
 * event ingest goes to the one realtime slot and, on the cluster, waits for a replica (WAIT 1;
 * measured again without it).
 * Prints operations per second and latency percentiles; a local cluster shares the machine's
 * cores, so the figures compare the paths, not a production cluster.
 */

const CONCURRENCY = 32;
const RESERVATIONS = 4_000;
const INGESTS = 2_000;

interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(n: number, op: (i: number) => Promise<unknown>): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  return { perSecond: n / seconds, p50: latencies[Math.floor(n * 0.5)] ?? 0, p99: latencies[Math.floor(n * 0.99)] ?? 0 };
}

let runs = 0;

async function bench(label: string, url: string, durability?: ClusterDurability): Promise<void> {
  const log = createLogger("bench", "silent");
  // A prefix per run: the same event ids on a second run would be duplicates (no XADD).
  const prefix = `bench:cluster:${process.pid}:${++runs}:`;
  const redis: Redis = createRedis(url, prefix, durability);
  await ready(redis);
  const pubsub = new PubSub(redis, log);
  try {
    const policy = new ContactPolicy(redis);
    const at = new Date();
    // Warm: scripts loaded on every node.
    await measure(200, (i) => policy.reserve(`W${i}`, "SMS", [`w${i}`], at));
    const reserve = await measure(RESERVATIONS, (i) => policy.reserve(`C${String(i % 1_000).padStart(7, "0")}`, "APP", [`d${i}`], at));
    const stream = new EventStream(redis, pubsub);
    const ingest = await measure(INGESTS, (i) => stream.ingest([{ id: `e${i}`, customerId: `C${String(i % 1_000).padStart(7, "0")}`, type: "PLAN_QUERY", at, payload: {}, source: "bench" }]));
    const row = (what: string, f: Figures): string => `${label.padEnd(22)} ${what.padEnd(34)} ${f.perSecond.toFixed(0).padStart(7)} /s   p50 ${f.p50.toFixed(2).padStart(6)} ms   p99 ${f.p99.toFixed(2).padStart(6)} ms`;
    console.log(row("contact-policy reserve (per customer)", reserve));
    console.log(row("event ingest (one event per call)", ingest));
  } finally {
    pubsub.close();
    redis.disconnect();
  }
}

runMain(
  async () => {
    const log = createLogger("bench", process.env.LOG_LEVEL ?? "warn");
    const dir = mkdtempSync(join(tmpdir(), "c360-bench-redis-"));
    const single = await startRedis({ dataDir: dir, log });
    const cluster = await launchRedisCluster(log);
    try {
      console.log(`concurrency ${CONCURRENCY}; ${RESERVATIONS} reservations over 1,000 customers, ${INGESTS} single-event ingests`);
      await bench("one redis-server", single.url);
      await bench("Redis Cluster (3+3)", cluster.url);
      // The same without waiting for a replica (REDIS_CLUSTER_WAIT_REPLICAS=0): what the WAIT costs.
      await bench("Cluster, no WAIT", cluster.url, { replicas: 0, timeoutMs: 1 });
    } finally {
      await cluster.stop();
      await single.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { exitWhenDone: true },
);
