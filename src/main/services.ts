import { createLogger } from "../platform/logger";
import { ensureServices } from "./launch/environment";
import { runMain } from "../platform/run-main";

/**
 * `npm run services`: starts the development Neo4j and Redis and keeps them up until Ctrl-C, so
 * several gateways (npm start in other terminals) and seed runs can share them.
 */
runMain(async (onStop) => {
  const log = createLogger("services");
  const services = await ensureServices({ profile: "dev", log });
  onStop(() => services.stop());
  console.log(`NEO4J_URI=${services.neo4j.uri}`);
  console.log(`REDIS_URL=${services.redisUrl ?? ""}`);
  console.error("Neo4j and Redis are up; other commands in this checkout find them by themselves. Ctrl-C stops them.");
  await new Promise<never>(() => undefined);
});
