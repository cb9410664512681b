import { loadConfig } from "../config";
import { Graph } from "../graph/db";
import { latestSeedRun } from "../graph/seed";
import { createLogger } from "../logger";
import { ensureServices } from "../services/environment";
import { openApp } from "../app";
import { ensureMarketing, isSeeded, seedGraph } from "../../seeds";
import { runMain } from "./run-main";

/**
 * `npm start`: Neo4j and Redis (launched unless NEO4J_URI / REDIS_URL are set), the demo data set
 * when the graph is empty, then the gateway.
 */
runMain(async (onStop) => {
  const config = loadConfig();
  const log = createLogger("gateway", config.logLevel);
  const services = await ensureServices({ profile: "dev", log });
  onStop(() => services.stop());
  log.info(
    { NEO4J_URI: services.neo4j.uri, REDIS_URL: services.redisUrl },
    "services ready; point another gateway at them by setting NEO4J_URI and REDIS_URL to these values",
  );

  const graph = Graph.connect(services.neo4j);
  try {
    if (!(await isSeeded(graph))) {
      log.info({ customers: config.demo.customers, seed: config.demo.seed }, "the graph is empty; seeding the demo data set");
      const result = await seedGraph(graph, {
        customers: config.demo.customers,
        seed: config.demo.seed,
        onProgress: progressLogger(log),
      });
      log.info(result, "demo data seeded");
    } else if (!(await latestSeedRun(graph))) {
      // Never seed into a graph that already holds customers: it may be an operator's real one.
      log.warn("the graph holds customers but no completed seed run; if a seed was interrupted, `npm run seed` finishes it");
    }
    if (await ensureMarketing(graph)) log.info("added the demo segments, offers and strategies");
  } finally {
    await graph.close();
  }

  const app = await openApp({ neo4j: services.neo4j, redisUrl: services.redisUrl ?? "", config, log });
  onStop(async () => {
    log.info("stopping: draining requests and closing sockets");
    await app.close();
  });
  log.info({ url: app.gateway.url }, "gateway ready; try: query { customer(id: \"C0000001\") { name } }");
});

/** Logs seeding progress every tenth of each phase. */
function progressLogger(log: ReturnType<typeof createLogger>) {
  const last = new Map<string, number>();
  return (p: { phase: string; done: number; total: number }): void => {
    const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
    if (last.get(p.phase) === tenth) return;
    last.set(p.phase, tenth);
    log.info({ phase: p.phase, done: p.done, total: p.total }, `seeding ${p.phase}: ${tenth * 10}%`);
  };
}
