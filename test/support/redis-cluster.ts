import { createLogger } from "../../src/platform/logger";
import { leftover } from "./leftovers";
import { launchRedisCluster, type LaunchedRedisCluster } from "./redis-cluster-launch";

export type { ClusterNode, LaunchedRedisCluster } from "./redis-cluster-launch";

/**
 * A real Redis Cluster of this test's (or, started outside a test, this file's) own: 6 redis-server
 * nodes on free ports, three primaries each with a replica, cluster-node-timeout 1 s so a killed
 * primary's replica takes over within seconds. Stopped with its scope (./leftovers.ts).
 */
export async function startRedisCluster(): Promise<LaunchedRedisCluster> {
  const cluster = await launchRedisCluster(createLogger("test-redis-cluster", process.env.LOG_LEVEL ?? "silent"));
  return leftover("Redis Cluster", cluster, (c) => c.stop());
}
