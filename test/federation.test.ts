import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { ENTITY_TYPES } from "../resolvers/federation.resolver";
import { ENTITY_RULES } from "../src/auth/permissions";
import { ROUTER_KEY_HEADER } from "../src/auth/trusted-documents";
import { CHANNEL_CODES } from "../src/domain/vocabulary";
import { operatorToken, tokenFor } from "./support/auth";
import { eventually } from "./support/eventually";
import { dataOf, startTestGateway, type GraphQLResponse, type TestGateway } from "./support/gateway";
import { leftover } from "./support/leftovers";

/**
 * The gateway as an Apollo Federation 2 subgraph, composed for real: a second, small "tickets"
 * subgraph (built here with @apollo/subgraph on @apollo/server) extends `Customer @key(fields:
 * "id")` with `openTickets` and points its tickets at customers, products, channels and offers;
 * @apollo/composition composes both and @apollo/gateway runs the supergraph over the two real
 * servers, forwarding the caller's token as a router does. Answers through the supergraph are
 * compared with what the gateway answers itself.
 */

const ids = (n: number, from: number): string[] => Array.from({ length: n }, (_, i) => `C${String(from + i).padStart(7, "0")}`);

interface Ticket {
  id: string;
  subject: string;
  customerId: string;
  productId: string | null;
  channel: string | null;
  offerId: string | null;
}

const TICKETS_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

type Query {
  tickets(first: Int = 100): [Ticket!]!
}

type Ticket {
  id: ID!
  subject: String!
  customer: Customer
  product: Product
  channel: Channel
  offer: Offer
}

type Customer @key(fields: "id") {
  id: ID!
  openTickets: [Ticket!]!
}

type Product @key(fields: "id", resolvable: false) {
  id: ID!
}

type Channel @key(fields: "code", resolvable: false) {
  code: ChannelCode!
}

enum ChannelCode { ${CHANNEL_CODES.join(" ")} }

type Offer @key(fields: "id", resolvable: false) {
  id: ID!
}
`;

/** The tickets subgraph on a free port, closed after the file. */
async function startTickets(tickets: readonly Ticket[]): Promise<string> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(TICKETS_SDL),
    resolvers: {
      Query: { tickets: (_: unknown, args: { first: number }) => tickets.slice(0, args.first) },
      Ticket: {
        customer: (t: Ticket) => ({ id: t.customerId }),
        product: (t: Ticket) => (t.productId ? { id: t.productId } : null),
        channel: (t: Ticket) => (t.channel ? { code: t.channel } : null),
        offer: (t: Ticket) => (t.offerId ? { id: t.offerId } : null),
      },
      Customer: {
        __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
        openTickets: (c: { id: string }) => tickets.filter((t) => t.customerId === c.id),
      },
    } as never,
  });
  const server = new ApolloServer({ schema });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  leftover("tickets subgraph", server, (s) => s.stop());
  return url;
}

/** One fetch the router made to a subgraph, as the subgraph answered it. */
interface Fetch {
  subgraph: string;
  query: string;
  roundTrips: number;
}

interface RouterContext {
  authorization?: string;
  fetches: Fetch[];
}

/** A supergraph router (@apollo/gateway) over a static supergraph, forwarding the caller's token (and the router key, if any). */
async function startRouter(supergraphSdl: string, routerKey?: string): Promise<ApolloServer<RouterContext>> {
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<RouterContext>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set("authorization", context.authorization);
          if (routerKey) request.http?.headers.set(ROUTER_KEY_HEADER, routerKey);
        },
        didReceiveResponse({ response, request, context }) {
          context.fetches?.push({ subgraph: name, query: request.query ?? "", roundTrips: Number(response.http?.headers.get("x-bolt-round-trips") ?? NaN) });
          return response;
        },
      }),
  });
  const router = new ApolloServer<RouterContext>({ gateway });
  await router.start();
  return leftover("supergraph router", router, (r) => r.stop());
}

interface RouterAnswer<T> {
  data?: T | null;
  errors?: Array<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
  fetches: Fetch[];
}

/** Runs a query through the router as a client holding `token` (null: none) would. */
async function viaRouter<T>(router: ApolloServer<RouterContext>, query: string, variables: Record<string, unknown>, token: string | null): Promise<RouterAnswer<T>> {
  const fetches: Fetch[] = [];
  const response = await router.executeOperation<T>({ query, variables }, { contextValue: { ...(token ? { authorization: `Bearer ${token}` } : {}), fetches } });
  assert.equal(response.body.kind, "single");
  // As a client would read it off the wire (graphql-js builds results on null-prototype objects).
  const result = JSON.parse(JSON.stringify(response.body.kind === "single" ? response.body.singleResult : {})) as Omit<RouterAnswer<T>, "fetches">;
  return { ...result, fetches };
}

/** POSTs to a gateway with extra headers (the router key). */
async function post<T>(url: string, query: string, variables: Record<string, unknown>, token: string, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphQLResponse<T>, "status" | "roundTrips" | "headers">;
  return { ...body, status: res.status, roundTrips: Number(res.headers.get("x-bolt-round-trips") ?? NaN), headers: res.headers };
}

/** The subgraph SDL, as a router composing at start-up reads it (with a SERVICE token). */
async function subgraphSdl(gw: TestGateway): Promise<string> {
  const service = await tokenFor({ sub: "fed:router", roles: ["SERVICE"] });
  return dataOf(await gw.raw<{ _service: { sdl: string } }>("{ _service { sdl } }", {}, service))._service.sdl;
}

function compose(c360Sdl: string, c360Url: string, ticketsUrl: string): string {
  const composed = composeServices([
    { name: "c360", typeDefs: parse(c360Sdl), url: c360Url },
    { name: "tickets", typeDefs: parse(TICKETS_SDL), url: ticketsUrl },
  ]);
  assert.deepEqual(composed.errors?.map((e) => e.message) ?? [], [], "the two subgraphs compose");
  assert.ok(composed.supergraphSdl);
  return composed.supergraphSdl;
}

/** What a view selects of a customer: scalars, masked personal fields, nested lists read through loaders. */
const CUSTOMER_FIELDS = "id name msisdn segment valueTier arpu region { id name } subscriptions { product { id name } } tags { tag { code } value } preferredChannels { code }";

type CustomerView = Record<string, unknown> & { id: string };

describe("Apollo Federation 2 subgraph", () => {
  let gw: TestGateway;
  let operator: string;
  let tickets: Ticket[];
  let ticketsUrl: string;
  let supergraph: string;
  let router: ApolloServer<RouterContext>;
  let regions: Map<string, string>;

  before(async () => {
    gw = await startTestGateway();
    operator = await operatorToken();
    const catalogue = dataOf(await gw.raw<{ products: Array<{ id: string }>; offers: Array<{ id: string }> }>("{ products { id } offers { id } }"));
    // 60 tickets: customers 1..50 one each (a 50-customer entity batch), then 51..55 a second one.
    const customerIds = [...ids(50, 1), ...ids(5, 51), ...ids(5, 51)];
    tickets = customerIds.map((customerId, i) => ({
      id: `T${i + 1}`,
      subject: `ticket ${i + 1}`,
      customerId,
      productId: catalogue.products[i % catalogue.products.length]?.id ?? null,
      channel: CHANNEL_CODES[i % CHANNEL_CODES.length] ?? null,
      offerId: i % 3 === 0 ? (catalogue.offers[i % catalogue.offers.length]?.id ?? null) : null,
    }));
    ticketsUrl = await startTickets(tickets);
    supergraph = compose(await subgraphSdl(gw), gw.url, ticketsUrl);
    router = await startRouter(supergraph);
    const located = dataOf(await gw.raw<{ customers: Array<{ id: string; region: { id: string } }> }>("query R($ids: [ID!]!) { customers(ids: $ids) { id region { id } } }", { ids: ids(55, 1) }));
    regions = new Map(located.customers.map((c) => [c.id, c.region.id]));
  });

  test("the subgraph composes with another: Customer, Product, Channel and Offer are entities of the supergraph", () => {
    for (const [type, key] of [["Customer", "id"], ["Product", "id"], ["Channel", "code"], ["Offer", "id"]] as const) {
      assert.match(supergraph, new RegExp(`type ${type}\\n(.*\\n)*?  @join__type\\(graph: C360, key: "${key}"\\)`), `${type} is an entity of c360 keyed by ${key}`);
    }
    assert.match(supergraph, /openTickets: \[Ticket!\]! @join__field\(graph: TICKETS\)/);
    // The permission matrix judges exactly the entity types the subgraph serves.
    assert.deepEqual(Object.keys(ENTITY_RULES).sort(), Object.keys(ENTITY_TYPES).sort());
  });

  test("tickets → customers: references from the other subgraph resolve through _entities, equal to customer(id)", async () => {
    const answer = await viaRouter<{ tickets: Array<{ id: string; customer: CustomerView }> }>(router, `query Tickets { tickets(first: 55) { id customer { ${CUSTOMER_FIELDS} } } }`, {}, operator);
    assert.deepEqual(answer.errors ?? [], []);
    const got = answer.data?.tickets ?? [];
    assert.equal(got.length, 55);
    // The router asked c360 once, for all of them (the repeated customers deduplicated or not, one fetch).
    const entityFetches = answer.fetches.filter((f) => f.subgraph === "c360");
    assert.equal(entityFetches.length, 1);
    assert.match(entityFetches[0]?.query ?? "", /_entities\(representations:/);
    for (const t of got.slice(0, 5).concat(got.slice(50))) {
      const own = dataOf(await gw.raw<{ customer: CustomerView }>(`query One($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`, { id: t.customer.id }));
      assert.deepEqual(t.customer, own.customer, `customer ${t.customer.id} through the supergraph is the gateway's own customer(id)`);
    }
    assert.deepEqual(
      got.map((t) => t.customer.id),
      tickets.slice(0, 55).map((t) => t.customerId),
    );
  });

  test("customers → tickets: the router resolves our Customer in the tickets subgraph, and back", async () => {
    const id = "C0000051";
    const answer = await viaRouter<{ customer: { id: string; name: string; openTickets: Array<{ id: string; subject: string; customer: { id: string; segment: string } }> } }>(
      router,
      "query Both($id: ID!) { customer(id: $id) { id name openTickets { id subject customer { id segment } } } }",
      { id },
      operator,
    );
    assert.deepEqual(answer.errors ?? [], []);
    const own = dataOf(await gw.raw<{ customer: { id: string; name: string; segment: string } }>("query One($id: ID!) { customer(id: $id) { id name segment } }", { id })).customer;
    assert.equal(answer.data?.customer.name, own.name);
    assert.deepEqual(
      answer.data?.customer.openTickets.map((t) => t.id),
      tickets.filter((t) => t.customerId === id).map((t) => t.id),
    );
    assert.equal(answer.data?.customer.openTickets.length, 2);
    // …and the tickets' customers came back to c360 through _entities: both directions in one query.
    assert.ok(answer.data?.customer.openTickets.every((t) => t.customer.id === id && t.customer.segment === own.segment));
    assert.deepEqual(
      answer.fetches.map((f) => f.subgraph),
      ["c360", "tickets", "c360"],
    );
  });

  test("products, channels and offers resolve by key, equal to the catalogue's answers", async () => {
    const answer = await viaRouter<{ tickets: Array<{ product: { id: string; name: string; monthlyFee: number } | null; channel: { code: string; name: string; outbound: boolean } | null; offer: { id: string; name: string; status: string } | null }> }>(
      router,
      "{ tickets(first: 30) { product { id name monthlyFee } channel { code name outbound } offer { id name status } } }",
      {},
      operator,
    );
    assert.deepEqual(answer.errors ?? [], []);
    const own = dataOf(
      await gw.raw<{ products: Array<{ id: string; name: string; monthlyFee: number }>; channels: Array<{ code: string; name: string; outbound: boolean }>; offers: Array<{ id: string; name: string; status: string }> }>(
        "{ products { id name monthlyFee } channels { code name outbound } offers { id name status } }",
      ),
    );
    const got = answer.data?.tickets ?? [];
    assert.equal(got.length, 30);
    for (const [i, t] of got.entries()) {
      const ticket = tickets[i];
      assert.ok(ticket);
      assert.deepEqual(t.product, own.products.find((p) => p.id === ticket.productId));
      assert.deepEqual(t.channel, own.channels.find((c) => c.code === ticket.channel));
      assert.deepEqual(t.offer, ticket.offerId ? own.offers.find((o) => o.id === ticket.offerId) : null);
    }
    assert.ok(got.filter((t) => t.offer !== null).length >= 10);
  });

  test("_entities for 50 customers costs one loader batch: the round trips of one customer", async () => {
    const select = `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { ${CUSTOMER_FIELDS} } } }`;
    const reps = (list: string[]): Array<{ __typename: string; id: string }> => list.map((id) => ({ __typename: "Customer", id }));
    const one = await gw.raw<{ _entities: CustomerView[] }>(select, { r: reps(ids(1, 300)) });
    const fifty = await gw.raw<{ _entities: CustomerView[] }>(select, { r: reps(ids(50, 400)) });
    const found = dataOf(fifty)._entities;
    assert.equal(found.length, 50);
    assert.deepEqual(
      found.map((c) => c.id),
      ids(50, 400),
    );
    assert.ok(found.every((c) => Array.isArray(c.subscriptions) && (c.subscriptions as unknown[]).length > 0));
    // The customers with their profiles in one statement (a warm live profile: none).
    assert.ok(fifty.roundTrips <= 1, `expected at most 1 round trip for 50 entities, got ${fifty.roundTrips}`);
    assert.equal(fifty.roundTrips, one.roundTrips, "the cost must not grow with the number of entities");
    // The same through the router: its one fetch of 50 customers.
    const routed = await viaRouter<{ tickets: unknown[] }>(router, `{ tickets(first: 50) { customer { ${CUSTOMER_FIELDS} } } }`, {}, operator);
    assert.deepEqual(routed.errors ?? [], []);
    const entityFetch = routed.fetches.find((f) => f.subgraph === "c360");
    assert.ok(entityFetch && entityFetch.roundTrips <= 1, `the router's entity fetch of 50 customers took ${entityFetch?.roundTrips} round trips`);
  });

  test("an entity outside the caller's regions resolves to null with FORBIDDEN, masked fields stay masked, nothing leaks", async () => {
    const mine = regions.get("C0000001");
    assert.ok(mine);
    const agent = await tokenFor({ sub: `fed-agent-${process.pid}`, roles: ["AGENT"], regions: [mine], agentId: `fed-agent-${process.pid}` });
    const inside = [...regions].filter(([, r]) => r.startsWith(mine)).map(([id]) => id);
    const outside = [...regions].filter(([, r]) => !r.startsWith(mine)).map(([id]) => id);
    assert.ok(inside.length >= 1 && outside.length >= 3);

    // Directly, as a router would fetch.
    const order = [inside[0], outside[0], outside[1]] as string[];
    const direct = await gw.raw<{ _entities: Array<CustomerView | null> }>(
      `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { ${CUSTOMER_FIELDS} } } }`,
      { r: order.map((id) => ({ __typename: "Customer", id })) },
      agent,
    );
    const own = dataOf(await gw.raw<{ customer: CustomerView }>(`query One($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`, { id: order[0] }, agent)).customer;
    assert.equal(direct.status, 200, "a partial answer is a 200 (a router reads a 403 as a failed fetch)");
    assert.deepEqual(direct.data?._entities[0], own, "an entity in scope is the agent's own customer(id): masked alike");
    assert.match(String(own.name), /\*/, "an agent sees names masked outside its call");
    assert.equal(direct.data?._entities[1], null);
    assert.equal(direct.data?._entities[2], null);
    const forbidden = (direct.errors ?? []).filter((e) => e.extensions?.code === "FORBIDDEN");
    assert.deepEqual(forbidden.map((e) => e.path).sort(), [["_entities", 1], ["_entities", 2]]);
    assert.match(forbidden[0]?.message ?? "", /outside what this token may read/);
    const leaked = JSON.stringify(direct.data);
    for (const id of order.slice(1)) assert.ok(!leaked.includes(id), `nothing of ${id} is in the answer`);

    // Through the router: the tickets of customers outside are there, their customer is not.
    const routed = await viaRouter<{ tickets: Array<{ id: string; customer: CustomerView | null }> }>(router, `{ tickets(first: 50) { id customer { ${CUSTOMER_FIELDS} } } }`, {}, agent);
    const got = routed.data?.tickets ?? [];
    assert.equal(got.length, 50);
    for (const t of got) {
      const customerId = tickets.find((x) => x.id === t.id)?.customerId ?? "";
      if (inside.includes(customerId)) assert.equal(t.customer?.id, customerId);
      else assert.equal(t.customer, null, `ticket ${t.id}'s customer ${customerId} is outside the agent's regions`);
    }
    const outsideIn50 = got.filter((t) => t.customer === null).length;
    assert.ok(outsideIn50 >= 3);
    assert.ok((routed.errors ?? []).some((e) => e.extensions?.code === "FORBIDDEN"), JSON.stringify(routed.errors));
    const routedJson = JSON.stringify(routed.data);
    for (const id of outside) assert.ok(!routedJson.includes(`"${id}"`), `nothing of ${id} is in the supergraph's answer`);
  });

  test("the matrix applies per entity type: an APP token reads its own customer only; offers are for marketing roles; _service for SERVICE and ADMIN", async () => {
    const app = await tokenFor({ sub: "fed-app", roles: ["APP"], customerId: "C0000002", regions: [] });
    const query = "query E($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id segment } ... on Product { id } ... on Offer { id } } }";
    const ownOnly = await gw.raw<{ _entities: Array<{ id: string }> }>(query, { r: [{ __typename: "Customer", id: "C0000002" }, { __typename: "Product", id: tickets[0]?.productId }] }, app);
    assert.deepEqual(
      dataOf(ownOnly)._entities.map((e) => e.id),
      ["C0000002", tickets[0]?.productId],
    );
    const another = await gw.raw(query, { r: [{ __typename: "Customer", id: "C0000002" }, { __typename: "Customer", id: "C0000003" }] }, app);
    assert.equal(another.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.match(another.errors?.[0]?.message ?? "", /_entities reads Customer as Query.customer does: An APP token acts for customer C0000002 only/);
    assert.equal(another.data ?? null, null, "the whole operation is refused, as for a root field");
    const offer = await gw.raw(query, { r: [{ __typename: "Offer", id: tickets[0]?.offerId }] }, app);
    assert.equal(offer.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const unknown = await gw.raw(query, { r: [{ __typename: "Ticket", id: "T1" }] }, operator);
    assert.equal(unknown.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.match(unknown.errors?.[0]?.message ?? "", /"Ticket" is not an entity of this subgraph/);
    for (const hostile of [{ __typename: "constructor", id: "x" }, { __typename: "__proto__", id: "x" }, { id: "C0000001" }, "C0000001", 42]) {
      const res = await gw.raw(query, { r: [hostile] }, operator);
      assert.equal(res.errors?.[0]?.extensions?.code, "FORBIDDEN", `${JSON.stringify(hostile)}: ${JSON.stringify(res.errors)}`);
    }
    const sdl = await gw.raw("{ _service { sdl } }", {}, app);
    assert.equal(sdl.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const noKey = await gw.raw(query, { r: [{ __typename: "Customer" }] }, operator);
    assert.equal(noKey.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.match(noKey.errors?.[0]?.message ?? "", /A Customer representation needs its key "id"/);
  });

  test("limits hold on _entities: the query cost counts each representation, and one fetch carries at most 1,000", async () => {
    const reps = (n: number): Array<{ __typename: string; id: string }> => ids(n, 1).map((id) => ({ __typename: "Customer", id }));
    // 200 customers × (1 + a circle of 50 × 2) is over the 20,000 the cost limit allows: refused before anything runs.
    const costly = await gw.raw("query E($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id circle(limit: 50) { customer { id } } } } }", { r: reps(200) });
    assert.equal(costly.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.equal(costly.errors?.[0]?.extensions?.limit, "cost");
    assert.equal(costly.data ?? null, null);
    const many = await gw.raw("query E($r: [_Any!]!) { _entities(representations: $r) { __typename } }", { r: reps(1_001) });
    assert.equal(many.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.match(many.errors?.[0]?.message ?? "", /`representations` accepts at most 1000 items; got 1001/);
  });

  test("no token: UNAUTHENTICATED, directly and through the router", async () => {
    const direct = await gw.raw("query E($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }", { r: [{ __typename: "Customer", id: "C0000001" }] }, null);
    assert.equal(direct.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    assert.equal(direct.data ?? null, null);
    const routed = await viaRouter<{ tickets: Array<{ customer: unknown }> }>(router, "{ tickets(first: 3) { id customer { id name } } }", {}, null);
    assert.ok((routed.errors ?? []).some((e) => e.extensions?.code === "UNAUTHENTICATED"), JSON.stringify(routed.errors));
    assert.ok((routed.data?.tickets ?? []).every((t) => t.customer === null));
  });

  test("an entity read of a customer is audited like customer(id)", async () => {
    const reader = `fed-reader-${process.pid}-${randomBytes(3).toString("hex")}`;
    const token = await tokenFor({ sub: reader, roles: ["MARKETER"] });
    const routed = await viaRouter(router, "{ tickets(first: 2) { customer { id name arpu } } }", {}, token);
    assert.deepEqual(routed.errors ?? [], []);
    const entries = await eventually(
      async () => {
        const trail = dataOf(
          await gw.raw<{ auditTrail: { edges: Array<{ node: { customerId: string; fields: string[]; operationType: string; transport: string } }> } }>(
            "query T($f: AuditFilterInput) { auditTrail(filter: $f, first: 10) { edges { node { customerId fields operationType transport } } } }",
            { f: { principalId: reader } },
          ),
        ).auditTrail.edges.map((e) => e.node);
        if (trail.length < 2) throw new Error(`${trail.length} entries so far`);
        return trail;
      },
      { what: "the entity reads in the audit trail" },
    );
    assert.deepEqual(entries.map((e) => e.customerId).sort(), ["C0000001", "C0000002"]);
    for (const e of entries) {
      assert.deepEqual([...e.fields].sort(), ["arpu", "name"]);
      assert.equal(e.operationType, "QUERY");
      assert.equal(e.transport, "HTTP");
    }
  });

  test("TRUSTED_DOCUMENTS=enforce: a router presenting FEDERATION_ROUTER_KEY fetches entities; nothing else gets through", async () => {
    const key = randomBytes(24).toString("hex");
    const strict = await startTestGateway({ limits: { trustedDocuments: "enforce", federationRouterKey: key } });
    const keyed = await startRouter(compose(await subgraphSdl(gw), strict.url, ticketsUrl), key);
    const marketer = await tokenFor({ sub: "fed-marketer", roles: ["MARKETER"] });
    const routed = await viaRouter<{ tickets: Array<{ customer: { id: string; segment: string } }> }>(keyed, "{ tickets(first: 3) { customer { id segment } } }", {}, marketer);
    assert.deepEqual(routed.errors ?? [], []);
    assert.deepEqual(
      routed.data?.tickets.map((t) => t.customer.id),
      ids(3, 1),
    );
    const entities = "query E($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id segment } } }";
    const r = { r: [{ __typename: "Customer", id: "C0000001" }] };
    const withKey = await post(strict.url, entities, r, marketer, { [ROUTER_KEY_HEADER]: key });
    assert.deepEqual(withKey.errors ?? [], []);
    const without = await post(strict.url, entities, r, marketer);
    assert.equal(without.status, 403);
    assert.equal(without.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const wrongKey = await post(strict.url, entities, r, marketer, { [ROUTER_KEY_HEADER]: `${key}x` });
    assert.equal(wrongKey.status, 403);
    // The key lets router fetches through, not any document.
    const other = await post(strict.url, "query Mine { customer(id: \"C0000001\") { id segment } }", {}, marketer, { [ROUTER_KEY_HEADER]: key });
    assert.equal(other.status, 403);
    const mixed = await post(strict.url, "query Mixed($r: [_Any!]!) { _entities(representations: $r) { __typename } customers(ids: [\"C0000001\"]) { id name } }", r, marketer, { [ROUTER_KEY_HEADER]: key });
    assert.equal(mixed.status, 403);
  });
});
