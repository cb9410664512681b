// First: with tracing on, the SDK must instrument node:http, graphql and ioredis before anything loads them.
import "./tracing-preload";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { loadConfig } from "../platform/config";
import { DEMO_APPROVAL_HINT, demoTokens, ensureDevSecret } from "./dev-auth";
import { createLogger, type Logger } from "../platform/logger";
import type { GraphConnection } from "../platform/neo4j";
import { PROJECT_ROOT } from "../platform/paths";
import { runMain } from "../platform/run-main";
import { stopTracing, tracingOn } from "../platform/tracing";
import { ensurePortFree } from "../server/listen";
import { ensureServices } from "./launch/environment";
import { neo4jStoreIsFresh } from "./launch/neo4j";
import { childStopper } from "./launch/process";

/**
 * `npm start`: Neo4j and Redis (launched unless NEO4J_URI / REDIS_URL are set), the demo data set
 * when the graph is empty (never in production: see {@link prepareOperatorGraph}), then the
 * gateway. Seeding runs as child processes (`seeds/cli.ts --into-store`, the bulk import into a
 * store that never started, before Neo4j starts; then `--if-empty`), so nothing the gateway runs
 * imports the seeds.
 *
 * SIGTERM, SIGINT or SIGHUP stop it in order: the gateway drains (requests finish, sockets close
 * with 1012), then the Redis and Neo4j this process launched stop (src/platform/run-main.ts).
 */
runMain(async (onStop, stopping) => {
  const config = loadConfig();
  const log = createLogger("gateway", config.logLevel);
  // A second `npm start` on a busy port should say so at once, not after launching and seeding.
  await ensurePortFree(config.port, config.host);
  // A store that never started (a fresh checkout) gets the demo data set from Neo4j's bulk importer
  // before Neo4j starts; the `--if-empty` run below then adds its constraints and indexes.
  const demo = ["--customers", String(config.demo.customers), "--seed", String(config.demo.seed)];
  const services = await ensureServices({
    profile: "dev",
    log,
    beforeNeo4jStart: async (storeDir) => {
      if (config.production || !neo4jStoreIsFresh(storeDir)) return;
      const code = await runChild(join(PROJECT_ROOT, "dist/seeds/cli.js"), ["--into-store", storeDir, ...demo], {}, onStop);
      // Stopped while importing: launch nothing more (runMain does not report failures while stopping).
      if (stopping.aborted) throw new Error("stopped while importing the demo data set");
      if (code !== 0) throw new Error(`importing the demo data set failed (exit ${code}); see the lines above`);
    },
  });
  onStop(() => services.stop());
  log.info(
    { NEO4J_URI: services.neo4j.uri, REDIS_URL: services.redisUrl },
    "services ready; point another gateway at them by setting NEO4J_URI and REDIS_URL to these values",
  );

  if (config.production) {
    await prepareOperatorGraph(services.neo4j, log);
  } else {
    const seeded = await runChild(
      join(PROJECT_ROOT, "dist/seeds/cli.js"),
      ["--if-empty", ...demo],
      {
        NEO4J_URI: services.neo4j.uri,
        NEO4J_USERNAME: services.neo4j.username,
        NEO4J_PASSWORD: services.neo4j.password,
        ...(services.neo4j.database ? { NEO4J_DATABASE: services.neo4j.database } : {}),
      },
      onStop,
    );
    // Stopped while seeding: the stop hooks are already stopping the services; start nothing more.
    if (stopping.aborted) return;
    if (seeded !== 0) throw new Error(`seeding the demo data set failed (exit ${seeded}); see the lines above`);
  }

  // Traces (OTEL_EXPORTER_OTLP_ENDPOINT; off by default) were started by ./tracing-preload, before
  // any module they instrument loaded. Stopped after the gateway (stops run in reverse), so the spans
  // of the last requests are exported.
  onStop(stopTracing);
  if (tracingOn()) log.info({ endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT }, "traces are exported over OTLP/HTTP");
  // Loaded only now: the schema, Apollo and the domain modules take a second or two to load, which
  // a start that fails on its configuration or port should not wait for.
  const { openApp } = await import("./app.js");
  // Development signs with a secret of this checkout's own unless AUTH_SECRET or AUTH_JWKS_URL is
  // set (production must set one: loadConfig refuses otherwise).
  const devSecret = !config.auth.secret && !config.auth.jwksUrl ? ensureDevSecret() : null;
  const auth = devSecret ? { ...config.auth, secret: devSecret } : config.auth;
  // One ready token per role (8 hours) for trying it out, and a second ADMIN to approve the first's
  // contact-policy changes; the pages' sign-in pickers and GraphiQL offer them too (to this machine).
  const devTokens = devSecret && !config.production ? await demoTokens(devSecret, 8 * 3600) : null;
  const app = await openApp({ neo4j: { ...services.neo4j, readTimeoutMs: config.neo4j.readTimeoutMs }, redisUrl: services.redisUrl ?? "", config: { ...config, auth, ...(devTokens ? { devTokens } : {}) }, log });
  onStop(async () => {
    log.info("stopping: draining requests and closing sockets");
    await app.close();
    log.info("gateway stopped");
  });
  // Ready once the hot paths are warm (./warm-up.ts logs what it ran), as /readyz says: a first request after this line is not a cold one.
  await app.warmedUp;
  log.info({ url: app.gateway.url }, "gateway ready; every request needs \"Authorization: Bearer <token>\"");
  if (devTokens) {
    // `npm run token -- --role ROLE --sub NAME …` mints others.
    for (const { label, token } of devTokens) console.log(`${label.padEnd(8)} ${token}`);
    log.info({ desk: app.gateway.url.replace(/\/graphql$/, "/desk"), graphiql: app.gateway.url }, "pages: /desk, /hall, /console; GraphiQL at /graphql in a browser");
    log.info(DEMO_APPROVAL_HINT);
  }
});

/**
 * Production (NODE_ENV=production): the graph is the operator's. Nothing of the demo is written
 * into it, neither customers into an empty graph (a wrong NEO4J_DATABASE must not fill with ten
 * thousand invented subscribers) nor the demo segments, offers and strategies the development start
 * adds when missing (an offer the operator deleted would come back at every restart). Only the
 * constraints and indexes the gateway relies on are made sure of (idempotent; replicas starting
 * together wait on Neo4j's schema lock). The demo is loaded on purpose: `npm run seed` or the
 * compose file's seed service.
 */
async function prepareOperatorGraph(connection: GraphConnection, log: Logger): Promise<void> {
  const [{ ensureSchema }, { Graph }] = await Promise.all([import("../graph/schema.js"), import("../platform/neo4j.js")]);
  const graph = Graph.connect(connection);
  try {
    const started = Date.now();
    await ensureSchema(graph);
    const [row] = await graph.session().read<{ any: boolean }>("MATCH (c:Customer) RETURN count(c) > 0 AS any");
    log.info({ ms: Date.now() - started }, "production: constraints and indexes in place; no demo data is seeded");
    if (!row?.any) log.warn({ database: connection.database ?? "(default)" }, "production: the graph holds no customers; load the operator's data (docs/OPERATIONS.md), or check NEO4J_URI and NEO4J_DATABASE");
  } finally {
    await graph.close();
  }
}

/**
 * Runs a compiled script of this checkout with extra environment; resolves with its exit code.
 * A stop signal meanwhile stops it first (registered with `onStop`), so the Neo4j it writes to is
 * not stopped under it.
 */
function runChild(script: string, args: readonly string[], env: Record<string, string>, onStop: (stop: () => Promise<void>) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--enable-source-maps", script, ...args], { stdio: "inherit", env: { ...process.env, ...env } });
    const stop = childStopper(child);
    onStop(() => stop(30_000));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
