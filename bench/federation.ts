/**
 * What a supergraph hop adds: the latency of one customer's view asked of our gateway directly and
 * through a supergraph router (@apollo/gateway over a static supergraph composed with
 * @apollo/composition) in front of it and a small second subgraph ("tickets", extending Customer).
 *
 *   npx tsc -p tsconfig.json && NEO4J_URI=… REDIS_URL=… node dist/bench/federation.js [requests]
 *
 * Against a seeded Neo4j and Redis given by URL (a `npm run services` + `npm run seed`, or a test
 * run's). Our gateway runs as a child process (bench/children.ts), as in the main bench; the router
 * and the tickets subgraph share this process, and every request goes over HTTP, one at a time
 * (latency, not throughput), as an AGENT of the province forwarding its token. Four ways:
 *
 * - direct: `customer(id) { view }` on the gateway;
 * - router, one fetch: the same through the router (its plan is one fetch to the gateway);
 * - router, c360 → tickets: `customer(id) { view openTickets { … } }` (the gateway, then the
 *   tickets subgraph's `_entities`);
 * - router, tickets → c360: `ticketsFor(customerId) { customer { view } }` (the tickets subgraph, then
 *   the gateway's `_entities`: the reference path).
 *
 * Each customer is asked every way in turn, the way that reads it first (cold) rotating, so no way
 * is favoured by caches the others warmed. Prints p50, p95 and p99 per way on stdout, and what the
 * router adds at the median.
 */
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { runMain } from "../src/platform/run-main";
import { PROJECT_ROOT } from "../src/platform/paths";
import { freePort } from "../src/main/launch/ports";
import { BENCH_AUTH_SECRET, BENCH_RATE_LIMITS, bearer, prepareBenchTokens } from "./auth";
import { startChildServer } from "./children";

const VIEW = "id name msisdn segment valueTier arpu region { id name } subscriptions { product { id name } } tags { tag { code } value } preferredChannels { code }";

const TICKETS_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { ticketsFor(customerId: ID!): [Ticket!]! }
type Ticket { id: ID! subject: String! customer: Customer }
type Customer @key(fields: "id") { id: ID! openTickets: [Ticket!]! }
`;

interface Ticket {
  id: string;
  subject: string;
  customerId: string;
}

/** Two tickets per customer, made up from the id (the subgraph's own work is nothing). */
const ticketsOf = (customerId: string): Ticket[] => [1, 2].map((n) => ({ id: `${customerId}-T${n}`, subject: `ticket ${n} of ${customerId}`, customerId }));

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

interface Way {
  name: string;
  url: string;
  query: string;
}

runMain(
  async (onStop) => {
    const requests = Number(process.argv[2] ?? 400);
    const customers = Number(process.env.BENCH_CUSTOMERS ?? 3_000);
    if (!process.env.NEO4J_URI || !process.env.REDIS_URL) throw new Error("Set NEO4J_URI and REDIS_URL to a seeded Neo4j and Redis (npm run services, npm run seed).");
    await prepareBenchTokens();

    const port = await freePort();
    say(`starting our gateway on port ${port}…`);
    const gateway = await startChildServer({
      name: "gateway",
      script: join(PROJECT_ROOT, "dist/src/main/start.js"),
      env: { AUTH_SECRET: BENCH_AUTH_SECRET, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", RATE_LIMITS: BENCH_RATE_LIMITS },
      graphqlUrl: `http://127.0.0.1:${port}/graphql`,
      healthUrl: `http://127.0.0.1:${port}/readyz`,
    });
    onStop(() => gateway.stop());

    const tickets = new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs: parse(TICKETS_SDL),
        resolvers: {
          Query: { ticketsFor: (_: unknown, args: { customerId: string }) => ticketsOf(args.customerId) },
          Ticket: { customer: (t: Ticket) => ({ id: t.customerId }) },
          Customer: { __resolveReference: (r: { id: string }) => ({ id: r.id }), openTickets: (c: { id: string }) => ticketsOf(c.id) },
        } as never,
      }),
    });
    const ticketsUrl = (await startStandaloneServer(tickets, { listen: { port: 0, host: "127.0.0.1" } })).url;
    onStop(() => tickets.stop());

    const sdlAnswer = (await (await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", ...bearer("ADMIN") }, body: JSON.stringify({ query: "{ _service { sdl } }" }) })).json()) as { data: { _service: { sdl: string } } };
    const composed = composeServices([
      { name: "c360", typeDefs: parse(sdlAnswer.data._service.sdl), url: gateway.url },
      { name: "tickets", typeDefs: parse(TICKETS_SDL), url: ticketsUrl },
    ]);
    if (composed.errors || !composed.supergraphSdl) throw new Error(`composition failed: ${composed.errors?.map((e) => e.message).join("; ")}`);
    const router = new ApolloServer<{ authorization?: string }>({
      gateway: new ApolloGateway({
        supergraphSdl: composed.supergraphSdl,
        buildService: ({ url }) =>
          new RemoteGraphQLDataSource<{ authorization?: string }>({
            url,
            willSendRequest({ request, context }) {
              if (context.authorization) request.http?.headers.set("authorization", context.authorization);
            },
          }),
      }),
    });
    const routerUrl = (await startStandaloneServer(router, { listen: { port: 0, host: "127.0.0.1" }, context: async ({ req }) => ({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) }) })).url;
    onStop(() => router.stop());

    const ways: Way[] = [
      { name: "direct", url: gateway.url, query: `query V($id: ID!) { customer(id: $id) { ${VIEW} } }` },
      { name: "router, one fetch", url: routerUrl, query: `query V($id: ID!) { customer(id: $id) { ${VIEW} } }` },
      { name: "router, c360 → tickets", url: routerUrl, query: `query V($id: ID!) { customer(id: $id) { ${VIEW} openTickets { id subject } } }` },
      { name: "router, tickets → c360 (_entities)", url: routerUrl, query: `query V($id: ID!) { ticketsFor(customerId: $id) { id customer { ${VIEW} } } }` },
    ];
    const id = (i: number): string => `C${String((i % customers) + 1).padStart(7, "0")}`;
    const ask = async (way: Way, i: number): Promise<number> => {
      const started = performance.now();
      const res = await fetch(way.url, { method: "POST", headers: { "content-type": "application/json", ...bearer("AGENT") }, body: JSON.stringify({ query: way.query, variables: { id: id(i) } }) });
      const body = (await res.json()) as { errors?: unknown[] };
      const ms = performance.now() - started;
      if (body.errors?.length) throw new Error(`${way.name}: ${JSON.stringify(body.errors).slice(0, 300)}`);
      return ms;
    };

    for (const way of ways) {
      say(`${way.name}: warming up…`);
      for (let i = 0; i < 100; i++) await ask(way, i * 7);
    }
    say(`${requests} customers, each asked every way (the way that reads it first, cold, rotates)…`);
    const times = ways.map((): number[] => []);
    for (let i = 0; i < requests; i++) {
      for (let k = 0; k < ways.length; k++) {
        const w = (i + k) % ways.length;
        const way = ways[w];
        if (way) times[w]?.push(await ask(way, 1_000 + i));
      }
    }
    const results = ways.map((way, w) => {
      const sorted = [...(times[w] ?? [])].sort((a, b) => a - b);
      const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      return { way: way.name, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
    });
    const direct = results[0]?.p50 ?? NaN;
    console.log(`Federation hop: one customer's view, ${requests} sequential requests per way, AGENT token forwarded`);
    console.log("| way | p50 ms | p95 ms | p99 ms | added at p50 |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const r of results) console.log(`| ${r.way} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.way === "direct" ? "" : `+${(r.p50 - direct).toFixed(1)}`} |`);
  },
  { exitWhenDone: true },
);
