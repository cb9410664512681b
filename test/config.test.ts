import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../src/platform/config";
import { clusterSeeds } from "../src/platform/redis";

test("defaults apply when nothing is set", () => {
  const config = loadConfig({});
  assert.equal(config.port, 4000);
  assert.equal(config.neo4j.uri, undefined);
  assert.equal(config.redisKeyPrefix, "c360:");
  assert.deepEqual(config.demo, { customers: 20_000, seed: 42 });
});

test("each bad value gets its own sentence", () => {
  try {
    loadConfig({ PORT: "eighty", NEO4J_URI: "http://db:7474", REDIS_URL: "localhost:6379", LOG_LEVEL: "loud" });
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      'PORT must be an integer from 0 to 65535; got "eighty".',
      'NEO4J_URI must be a URI starting with bolt://, bolt+s://, bolt+ssc://, neo4j://, neo4j+s://, neo4j+ssc://; got "http://db:7474".',
      'REDIS_URL must be a URI starting with redis://, rediss://, redis+cluster://; got "localhost:6379".',
      "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent.",
    ]);
  }
});

test("a routing URI for a cluster is accepted, and needs a password to be said", () => {
  const config = loadConfig({ NEO4J_URI: "neo4j://cluster.example:7687", NEO4J_PASSWORD: "s3cret" });
  assert.equal(config.neo4j.uri, "neo4j://cluster.example:7687");
  assert.throws(() => loadConfig({ NEO4J_URI: "neo4j://cluster.example:7687" }), /NEO4J_PASSWORD must be set/);
});

test("a Redis Cluster: REDIS_CLUSTER_NODES or a redis+cluster:// URL, not both; bad nodes are named; WAIT settings", () => {
  const config = loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:6379, 10.0.0.2:6380" });
  assert.equal(config.redisUrl, "redis+cluster://10.0.0.1:6379,10.0.0.2:6380");
  assert.deepEqual(config.redisClusterDurability, { replicas: 1, timeoutMs: 500 });
  assert.deepEqual(clusterSeeds(config.redisUrl ?? ""), { nodes: [{ host: "10.0.0.1", port: 6379 }, { host: "10.0.0.2", port: 6380 }] });
  assert.deepEqual(clusterSeeds("redis+cluster://app:p%40ss@[::1]:7000,h:7001/"), { nodes: [{ host: "::1", port: 7000 }, { host: "h", port: 7001 }], username: "app", password: "p@ss" });
  assert.equal(clusterSeeds("redis://127.0.0.1:6379"), null, "one server");
  assert.throws(() => clusterSeeds("redis+cluster://h1:7000,h2"), /node "h2" .* is not host:port/);
  assert.equal(loadConfig({ REDIS_URL: "redis+cluster://h1:7000,h2:7001" }).redisUrl, "redis+cluster://h1:7000,h2:7001");
  assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: "h:1", REDIS_CLUSTER_WAIT_REPLICAS: "0", REDIS_CLUSTER_WAIT_MS: "50" }).redisClusterDurability, { replicas: 0, timeoutMs: 50 });
  assert.throws(
    () => loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:6379,redis.example" }),
    (error: unknown) => error instanceof ConfigError && error.problems[0] === 'REDIS_CLUSTER_NODES must be host:port pairs separated by commas, e.g. "10.0.0.1:6379,10.0.0.2:6379"; "redis.example" is not.',
  );
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: "h:1", REDIS_URL: "redis://x:6379" }), /Set REDIS_URL .* or REDIS_CLUSTER_NODES .*, not both/);
});

test("the start-up warm-up is on with a 5 s budget unless WARMUP=off; a bad WARMUP says what it takes", () => {
  assert.deepEqual(loadConfig({}).warmUp, { enabled: true, budgetMs: 5_000 });
  assert.deepEqual(loadConfig({ WARMUP: "off", WARMUP_MS: "250" }).warmUp, { enabled: false, budgetMs: 250 });
  assert.throws(() => loadConfig({ WARMUP: "later" }), (error: unknown) => error instanceof ConfigError && error.problems[0] === 'WARMUP must be "on" or "off"; got "later".');
});

test("FEDERATION_ROUTER_KEY: unset by default, at least 32 characters when set", () => {
  assert.equal(loadConfig({}).limits.federationRouterKey, null);
  const key = "k".repeat(32);
  assert.equal(loadConfig({ FEDERATION_ROUTER_KEY: key }).limits.federationRouterKey, key);
  assert.throws(
    () => loadConfig({ FEDERATION_ROUTER_KEY: "short" }),
    (error: unknown) => error instanceof ConfigError && /FEDERATION_ROUTER_KEY must be at least 32 characters/.test(error.problems[0] ?? ""),
  );
});
