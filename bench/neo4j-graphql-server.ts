/**
 * The comparison side of the bench: the same graph served by the Neo4j GraphQL Library
 * (generated resolvers, one Cypher statement per operation) behind Apollo Server 5 on Express 5,
 * as our gateway is. Run as its own process so the two never share an event loop.
 *
 * Environment: PORT (0 = any), NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE.
 * Prints `ready <url>` once it answers. Read-only: no mutations in the schema, and no
 * `assertIndexesAndConstraints` (which may create or check schema objects in the database).
 *
 * One departure from a stock setup: the library projects its `DateTime` fields through APOC
 * (`apoc.date.convertFormat`), a plugin our embedded Neo4j does not carry. Times are therefore a
 * custom scalar, projected as stored and turned into the same ISO-8601 text (what the library's
 * own DateTime scalar prints) here in Node.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import { Neo4jGraphQL } from "@neo4j/graphql";
import express from "express";
import { GraphQLError, GraphQLScalarType } from "graphql";
import neo4j, { isDateTime } from "neo4j-driver";
import { LIBRARY_TYPE_DEFS } from "./library/type-defs";

async function main(): Promise<void> {
  const uri = process.env.NEO4J_URI;
  if (!uri) throw new Error("NEO4J_URI is not set; the bench starts this server with the bench database's URI.");
  const database = process.env.NEO4J_DATABASE || undefined;
  const driver = neo4j.driver(uri, neo4j.auth.basic(process.env.NEO4J_USERNAME ?? "neo4j", process.env.NEO4J_PASSWORD ?? ""), {
    // The same pool ceiling as our gateway (src/platform/neo4j.ts), so neither side wins on connections.
    maxConnectionPoolSize: 64,
    userAgent: "c360-bench-neo4j-graphql",
  });
  const schema = await new Neo4jGraphQL({ typeDefs: LIBRARY_TYPE_DEFS, driver, resolvers: { IsoDateTime } }).getSchema();

  const app = express();
  const http = createServer(app);
  const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginDrainHttpServer({ httpServer: http })] });
  await apollo.start();
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    expressMiddleware(apollo, {
      // The library reads the session database from `sessionConfig` in the context.
      context: async () => (database ? { sessionConfig: { database } } : {}),
    }),
  );
  await new Promise<void>((resolve) => http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  console.log(`ready http://127.0.0.1:${port}/graphql`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await apollo.stop().catch(() => undefined);
    await driver.close().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

/** Neo4j DateTime values (and ISO strings) out as ISO-8601 with milliseconds, in UTC. */
const IsoDateTime = new GraphQLScalarType({
  name: "IsoDateTime",
  serialize(value: unknown): string {
    if (typeof value === "string") return new Date(value).toISOString();
    if (isDateTime(value)) return new Date(value.toString()).toISOString();
    throw new GraphQLError(`IsoDateTime cannot represent ${String(value)}`);
  },
  parseValue(value: unknown): string {
    if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw new GraphQLError("IsoDateTime needs an ISO-8601 string");
    return value;
  },
});

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
