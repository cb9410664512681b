import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../src/platform/config";

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
      'REDIS_URL must be a URI starting with redis://, rediss://; got "localhost:6379".',
      "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent.",
    ]);
  }
});

test("a routing URI for a cluster is accepted, and needs a password to be said", () => {
  const config = loadConfig({ NEO4J_URI: "neo4j://cluster.example:7687", NEO4J_PASSWORD: "s3cret" });
  assert.equal(config.neo4j.uri, "neo4j://cluster.example:7687");
  assert.throws(() => loadConfig({ NEO4J_URI: "neo4j://cluster.example:7687" }), /NEO4J_PASSWORD must be set/);
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
