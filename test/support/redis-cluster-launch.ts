import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { ensureRedisInstalled } from "../../src/main/launch/redis";
import { freePort } from "../../src/main/launch/ports";
import { spawnUntilReady, type OwnedProcess } from "../../src/main/launch/process";
import type { Logger } from "../../src/platform/logger";

const run = promisify(execFile);

/** One redis-server of a test cluster. */
export interface ClusterNode {
  readonly port: number;
  readonly pid: number;
  /** Whether it still runs (a test may have killed it). */
  readonly alive: boolean;
  /** Kills it at once (SIGKILL: a crash, nothing flushed, no goodbye to the cluster). */
  kill(): Promise<void>;
}

/** A real Redis Cluster on loopback: three primaries, each with one replica. */
export interface LaunchedRedisCluster {
  /** `redis+cluster://127.0.0.1:<p1>,…` for createRedis / REDIS_URL. */
  readonly url: string;
  /** `127.0.0.1:<p1>,…` for REDIS_CLUSTER_NODES. */
  readonly nodeList: string;
  readonly nodes: readonly ClusterNode[];
  /** The node serving `slot` as primary now (asked of a live node: CLUSTER SHARDS). */
  primaryOf(slot: number): Promise<ClusterNode>;
  /**
   * Resolves once every live node reports cluster_state:ok and serves every slot from a live
   * primary: after a kill, the other nodes still say ok until they marked it failed (within
   * cluster-node-timeout), so "ok" alone would be read before the failover.
   */
  healthy(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes their data. */
  stop(): Promise<void>;
}

/** How long a primary may be silent before its replica takes over: short, so a failover test is quick. */
const NODE_TIMEOUT_MS = 1_000;

/**
 * Starts 6 `redis-server --cluster-enabled yes` nodes on free ports (each with a free bus port of
 * its own, not port + 10000, which may be taken or out of range), joins them with
 * `redis-cli --cluster create … --cluster-replicas 1`, and waits for cluster_state:ok.
 * Not registered for closing: test files use ./redis-cluster.ts (which is); test/run.ts stops it itself.
 */
export async function launchRedisCluster(log: Logger): Promise<LaunchedRedisCluster> {
  const binary = ensureRedisInstalled(log);
  const dir = mkdtempSync(join(tmpdir(), "c360-redis-cluster-"));
  const processes: Array<{ port: number; proc: OwnedProcess; alive: boolean }> = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.proc.stop(5_000)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await distinctPorts(12);
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (i) => {
        const port = ports[i]!;
        const nodeDir = join(dir, String(port));
        const args = [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--cluster-enabled",
          "yes",
          "--cluster-port",
          String(ports[6 + i]!),
          "--cluster-config-file",
          join(nodeDir, "nodes.conf"),
          "--cluster-node-timeout",
          String(NODE_TIMEOUT_MS),
          // A replica may take over however long it was cut off from its primary: in a test the
          // primary dies while the replica is in sync, and a refused failover would hang the suite.
          "--cluster-replica-validity-factor",
          "0",
          "--dir",
          nodeDir,
          "--save",
          "",
          "--appendonly",
          "no",
          "--daemonize",
          "no",
          "--protected-mode",
          "yes",
        ];
        await run("mkdir", ["-p", nodeDir]);
        const proc = await spawnUntilReady(`redis-server (cluster node ${port})`, binary, args, {
          ready: (line) => line.includes("Ready to accept connections"),
          parentDeath: "signal",
          timeoutMs: 30_000,
        });
        const entry = { port, proc, alive: true };
        proc.child.once("exit", () => (entry.alive = false));
        processes.push(entry);
      }),
    );
    const addresses = ports.slice(0, 6).map((p) => `127.0.0.1:${p}`);
    // Listed in port order: --cluster create makes the first three primaries and the others their replicas.
    await run("redis-cli", ["--cluster", "create", ...addresses, "--cluster-replicas", "1", "--cluster-yes"], { timeout: 60_000 });
    const byPort = new Map(processes.map((p) => [p.port, p]));
    const nodes: ClusterNode[] = ports.slice(0, 6).map((port) => {
      const entry = byPort.get(port)!;
      return {
        port,
        pid: entry.proc.child.pid ?? 0,
        get alive() {
          return entry.alive;
        },
        kill: async () => {
          if (!entry.alive) return;
          const exited = new Promise((resolve) => entry.proc.child.once("exit", resolve));
          entry.proc.child.kill("SIGKILL");
          await exited;
        },
      };
    });
    const ask = async <T>(what: (redis: Redis) => Promise<T>): Promise<T> => {
      let last: unknown;
      for (const node of nodes.filter((n) => n.alive)) {
        const redis = nodeClient(node.port);
        try {
          return await what(redis);
        } catch (error) {
          last = error;
        } finally {
          redis.disconnect();
        }
      }
      throw new Error(`no live cluster node answered: ${last instanceof Error ? last.message : String(last)}`);
    };
    const healthy = async (timeoutMs = 30_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      let state = "";
      for (;;) {
        const states = await Promise.all(
          nodes
            .filter((n) => n.alive)
            .map(async (n) => {
              const redis = nodeClient(n.port);
              try {
                const info = await redis.cluster("INFO");
                const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? "unknown";
                if (state !== "ok") return state;
                const slots = await redis.cluster("SLOTS");
                const live = new Set(nodes.filter((m) => m.alive).map((m) => m.port));
                const covered = slots.reduce((sum, [from, to, primary]) => sum + (live.has(Number(primary?.[1])) ? to - from + 1 : 0), 0);
                return covered === 16_384 ? "ok" : `${16_384 - covered} slots on a dead primary`;
              } catch (error) {
                return error instanceof Error ? error.message : String(error);
              } finally {
                redis.disconnect();
              }
            }),
        );
        state = states.join(", ");
        if (states.every((s) => s === "ok")) return;
        if (Date.now() > deadline) throw new Error(`the Redis Cluster was not healthy within ${timeoutMs} ms: node states ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await healthy();
    // Replicas attach after `--cluster create` and sync in the background; CLUSTER SLOTS names a
    // replica only once it is in sync. Ready means each primary has one: a failover test needs it,
    // and the gateway's pub/sub listens on a replica when there is one.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const slots = await ask((redis) => redis.cluster("SLOTS"));
      if (slots.length > 0 && slots.every((range) => range.length > 3)) break;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster's replicas were not in sync within 30 s: ${JSON.stringify(slots)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cluster: LaunchedRedisCluster = {
      url: `redis+cluster://${addresses.join(",")}`,
      nodeList: addresses.join(","),
      nodes,
      healthy,
      primaryOf: (slot) =>
        ask(async (redis) => {
          const slots = await redis.cluster("SLOTS");
          const range = slots.find(([from, to]) => slot >= from && slot <= to);
          const node = range && nodes.find((n) => n.port === Number(range[2]?.[1]));
          if (!node) throw new Error(`no node serves slot ${slot}`);
          return node;
        }),
      stop,
    };
    log.info({ url: cluster.url }, "Redis Cluster ready");
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `n` free ports, all different, each below 55536 (a node's bus port is set apart, but keep room). */
async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** A one-off connection to one node (not the cluster client): asks once, never retries, errors stay with the caller. */
function nodeClient(port: number): Redis {
  const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: true });
  redis.on("error", () => undefined);
  return redis;
}
