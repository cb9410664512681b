import { print } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { openApp, type App } from "../../src/main/app";

/** What openApp takes for its warm-up. */
type AppWarmUp = NonNullable<Parameters<typeof openApp>[0]["config"]["warmUp"]>;
import type { AuditConfig, DecisionWriterConfig, LimitsConfig, RealtimeConfig, TagJobsConfig } from "../../src/platform/config";
import { Graph, type GraphConnection } from "../../src/platform/neo4j";
import type { SnapshotConfig } from "../../src/marketing/snapshots/service";
import type { CampaignWiring } from "../../src/campaigns/config";
import type { WorkOrderConfig } from "../../src/campaigns/work-orders";
import { createLogger } from "../../src/platform/logger";
import { leftover, type LeftoverOptions } from "./leftovers";
import { operatorToken, TEST_AUTH_SECRET } from "./auth";

/**
 * Whether this run's Redis is a cluster (TEST_REDIS_CLUSTER=1, see test/run.ts): the few tests that
 * cut a proxy between the gateway and its one Redis server skip then, since a cluster's nodes
 * advertise their own addresses (test/redis-cluster.test.ts kills a primary instead).
 */
export const ON_REDIS_CLUSTER = (process.env.REDIS_URL ?? "").startsWith("redis+cluster://");

/** Neo4j and Redis of this test run, started once by `npm test` (test/run.ts). */
export function testServices(): { neo4j: GraphConnection; redisUrl: string } {
  const uri = process.env.NEO4J_URI;
  const redisUrl = process.env.REDIS_URL;
  if (!uri || !redisUrl) throw new Error("NEO4J_URI and REDIS_URL are not set: run the tests with `npm test`, which starts Neo4j and Redis.");
  return { neo4j: { uri, username: process.env.NEO4J_USERNAME ?? "neo4j", password: process.env.NEO4J_PASSWORD ?? "" }, redisUrl };
}

/**
 * A real gateway on a free port, closed with the test that started it (or, started outside a
 * test, after the file: see ./leftovers). `overrides` lets a fault test route the gateway through
 * a proxy it can cut.
 */
export async function startTestGateway(
  overrides: Partial<{
    neo4j: GraphConnection;
    redisUrl: string;
    realtime: Partial<RealtimeConfig>;
    audit: Partial<AuditConfig>;
    limits: Partial<LimitsConfig>;
    production: boolean;
    segmentIndexOnStart: boolean;
    snapshots: SnapshotConfig;
    /** The work-order pool's tuning (sweep interval, overdue hold). */
    workOrders: Partial<WorkOrderConfig>;
    /** Rule-tag jobs' tuning, and `worker: false` for a replica that runs none. */
    tagJobs: Partial<TagJobsConfig> & { worker?: boolean };
    /** Campaigns: a clock the test moves, batch size, pauses. */
    campaigns: CampaignWiring;
    /** Decisions written behind the answer: a short claim where a test kills a replica. */
    decisionWriter: Partial<DecisionWriterConfig>;
    /**
     * Exploration and the model's warm start: both off unless given, so a test's decisions come in
     * the expected order from a blank model (test/learning.test.ts turns them on).
     */
    decisioning: { exploration?: boolean; warmStart?: boolean };
    /** The start-up warm-up (src/main/warm-up.ts); none unless given, so the suite starts fast. */
    warmUp: AppWarmUp;
    /** Development tokens the pages' sign-in pickers and GraphiQL offer (src/server/pages.ts). */
    devTokens: Array<{ label: string; token: string }>;
    /** The drain on close (SHUTDOWN_DRAIN_DELAY_MS); none unless given. */
    shutdown: { drainDelayMs: number };
    /** METRICS_TOKEN: the bearer token /metrics asks for (src/server/observability.ts). */
    metricsToken: string;
  }> = {},
): Promise<TestGateway> {
  const { realtime, audit, limits, production, segmentIndexOnStart, snapshots, tagJobs, campaigns, workOrders, decisionWriter, warmUp, decisioning, devTokens, shutdown, metricsToken, ...connections } = overrides;
  const services = { ...testServices(), ...connections };
  const app = await openApp({
    ...services,
    config: {
      port: 0,
      host: "127.0.0.1",
      redisKeyPrefix: `test:${process.pid}:`,
      auth: { secret: TEST_AUTH_SECRET },
      ...(realtime ? { realtime } : {}),
      ...(audit ? { audit } : {}),
      ...(decisionWriter ? { decisionWriter } : {}),
      decisioning: { exploration: false, warmStart: false, ...decisioning },
      // Tests share a busy machine: a cold 100-customer view has taken 6 s there. A deadline is
      // tested where a test sets one (test/deadline.test.ts), not as a source of flakes elsewhere.
      limits: { requestTimeoutMs: 60_000, ...limits },
      ...(production !== undefined ? { production } : {}),
      ...(tagJobs ? { tagJobs } : {}),
      // Every test process has its own key prefix: building the segment bitmaps in each at start
      // would cost the suite a build per file; the files that preview start it (or a preview does).
      segmentIndexOnStart: segmentIndexOnStart ?? false,
      ...(snapshots ? { snapshots } : {}),
      ...(campaigns ? { campaigns } : {}),
      ...(workOrders ? { workOrders } : {}),
      ...(warmUp ? { warmUp } : {}),
      ...(devTokens ? { devTokens } : {}),
      ...(shutdown ? { shutdown } : {}),
      ...(metricsToken ? { metricsToken } : {}),
    },
    log: createLogger("test-gateway", process.env.LOG_LEVEL ?? "silent"),
  });
  return leftover("test gateway", new TestGateway(app), (gw) => gw.close());
}

/** A connection to the test run's Neo4j, closed with the test (or file) that opened it. */
export function testGraph(options: LeftoverOptions = {}): Graph {
  return leftover("graph connection", Graph.connect(testServices().neo4j), (graph) => graph.close(), options);
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [k: string]: unknown } }>;
  roundTrips: number;
  headers: Headers;
}

export class TestGateway {
  constructor(readonly app: App) {}

  /** Drains and disconnects; safe to call again (the teardown list calls it once more). */
  close(): Promise<void> {
    return this.app.close();
  }

  get url(): string {
    return this.app.gateway.url.replace("localhost", "127.0.0.1");
  }

  get origin(): string {
    return new URL(this.url).origin;
  }

  /** Sends a typed document over HTTP POST, as a front-line client would (as the suite's operator unless `token` says who). */
  async request<TData, TVars>(document: TypedDocumentNode<TData, TVars>, variables?: TVars, token?: string | null): Promise<GraphQLResponse<TData>> {
    return this.raw<TData>(print(document), variables as Record<string, unknown> | undefined, token);
  }

  /** Sends a query string (for documents that are deliberately not typed, such as bad input); `token` null sends none. */
  raw<TData = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<TData>> {
    return postGraphQL<TData>(this.url, query, variables, token);
  }
}

/**
 * POSTs a query string to a gateway at `url` (one in this process or another), as a front-line
 * client would: with the suite operator's token unless `token` names another, or is null (none).
 */
export async function postGraphQL<TData = Record<string, unknown>>(url: string, query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<TData>> {
  const bearer = token === null ? null : (token ?? (await operatorToken()));
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphQLResponse<TData>, "status" | "roundTrips" | "headers">;
  return { ...body, status: res.status, roundTrips: Number(res.headers.get("x-bolt-round-trips") ?? NaN), headers: res.headers };
}

/** The data of a response that must have succeeded; fails loudly with the errors otherwise. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || response.data == null) {
    throw new Error(`expected data, got status ${response.status} and errors ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

/**
 * Audit settings for tests that count the gateway's statements (graph.stats): the audit writer
 * gathers the entries of what the file serves until the gateway stops, instead of committing them
 * in the background while a test counts.
 */
export const AUDIT_AT_THE_END = { lingerMs: 60_000, claimAfterMs: 120_000 } as const;
