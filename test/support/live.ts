import { OPERATOR, operatorToken } from "./auth";
import { keys, STREAM_SOURCE } from "../../src/platform/keys";
import { sourceOfPrincipal } from "../../src/realtime/event-stream";
import assert from "node:assert/strict";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { Cluster, Redis } from "ioredis";
import { clusterSeeds } from "../../src/platform/redis";
import WebSocket from "ws";
import { IngestEventsDocument } from "../../schema/generated/operations";
import type { TestGateway } from "./gateway";
import { proposeAndApply } from "./approval";
import { dataOf } from "./gateway";
import { eventually } from "./eventually";
import { leftover, type LeftoverOptions } from "./leftovers";

/**
 * A real graphql-ws client holding subscriptions, collecting what each receives, for tests that
 * wait for pushes (or for their absence, after the event is known to be processed). Closed with
 * the test that opened it (see ./leftovers).
 */
export class LiveClient {
  readonly client: Client;
  /** The close code of the socket, once it closed. */
  closedWith: number | null = null;
  /** Resolves with the close code when the socket first closes, whoever closed it. */
  readonly closed: Promise<number>;
  private socket: WebSocket | null = null;
  private disposing: Promise<void> | null = null;

  /** `token`: whose socket this is (default: the suite's operator; null sends no token). */
  constructor(httpUrl: string, token?: string | null | Promise<string>) {
    let onClosed: (code: number) => void = () => undefined;
    this.closed = new Promise((resolve) => (onClosed = resolve));
    this.client = createClient({
      url: httpUrl.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      connectionParams: async () => {
        const bearer = token === null ? null : await (token ?? operatorToken());
        return bearer ? { authorization: `Bearer ${bearer}` } : {};
      },
      // A close the test provokes (4413) is expected; the default would print it.
      onNonLazyError: () => undefined,
      on: {
        connected: (socket) => {
          this.socket = socket as WebSocket;
        },
        closed: (event) => {
          this.closedWith = (event as { code: number }).code;
          onClosed(this.closedWith);
        },
      },
    });
    leftover("WebSocket client", this, (live) => live.close());
  }

  /**
   * Starts a subscription and returns at once: the server registers it a moment later, with
   * nothing sent to say so (see {@link subscriptionsOn} to wait for that).
   */
  subscribe<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Collector<T> {
    const collector = new Collector<T>();
    collector.dispose = this.client.subscribe<T>(
      { query, variables },
      {
        next: (result) => collector.push(result as { data?: T | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }),
        error: (error) => collector.fail(error),
        complete: () => collector.finish(),
      },
    );
    return collector;
  }

  /**
   * Stops reading from the socket (the kernel buffers fill, then the server's sends stall). Through
   * ws's own pause(), not its net.Socket's: ws resumes the raw socket whenever its frame parser
   * drains unless the WebSocket itself is paused, which on a busy machine undid a raw pause.
   */
  pauseReading(): void {
    this.socket?.pause();
  }

  resumeReading(): void {
    this.socket?.resume();
  }

  /** Closes the socket; safe to call again. */
  close(): Promise<void> {
    return (this.disposing ??= Promise.resolve(this.client.dispose()));
  }
}

/** What one subscription received; pushes wake whoever awaits a count of them (no polling). */
export class Collector<T> {
  readonly items: T[] = [];
  readonly errors: Array<{ message: string; extensions?: Record<string, unknown> }> = [];
  completed = false;
  failure: unknown = null;
  dispose: () => void = () => undefined;
  private waiters: Array<() => void> = [];

  push(result: { data?: T | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }): void {
    if (result.errors?.length) this.errors.push(...result.errors);
    if (result.data) this.items.push(result.data);
    this.wake();
  }

  fail(error: unknown): void {
    this.failure = error;
    if (Array.isArray(error)) this.errors.push(...(error as Array<{ message: string; extensions?: Record<string, unknown> }>));
    this.wake();
  }

  finish(): void {
    this.completed = true;
    this.wake();
  }

  /** True once the subscription completed, errored, or its socket closed. */
  get over(): boolean {
    return this.completed || this.failure !== null || this.errors.length > 0;
  }

  /** Waits until `n` items arrived (or the subscription ended or failed); throws after `timeoutMs`. */
  async atLeast(n: number, timeoutMs = 10_000): Promise<T[]> {
    await this.when(() => this.items.length >= n || this.over, timeoutMs, () => `${n} pushes (got ${this.items.length})`);
    return this.items;
  }

  /** Waits until the subscription ended (completed, errored, or the socket closed). */
  async ended(timeoutMs = 10_000): Promise<void> {
    await this.when(() => this.over, timeoutMs, () => "the subscription to end");
  }

  /** Resolves when `done` holds, checked whenever something arrives. */
  private when(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * A direct Redis connection under the test gateway's key prefix, to look at (or feed) the event
 * stream the way a feed would; disconnected with the test (or file) that opened it.
 */
export function testRedis(prefix = `test:${process.pid}:`, options: LeftoverOptions = {}): Redis {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error("REDIS_URL is not set: run the tests with `npm test`");
  // Under TEST_REDIS_CLUSTER the run's Redis is a cluster (test/run.ts): the same client the gateway makes, with an offline queue as a test wants.
  const seeds = clusterSeeds(url);
  const redis = seeds ? (new Cluster(seeds.nodes, { keyPrefix: prefix }) as unknown as Redis) : new Redis(url, { keyPrefix: prefix });
  return leftover("Redis client", redis, (r) => r.disconnect(), options);
}

/** The source of the events the suite's operator ingests (each source's event ids are a namespace of their own). */
export const OPERATOR_SOURCE = sourceOfPrincipal(OPERATOR.sub);

/** The state key of an event the suite's operator ingested (ingestEvents). */
export function operatorEventState(eventId: string): string {
  return keys.events.state(OPERATOR_SOURCE, eventId);
}

/**
 * Waits until every event is finished (done or parked) in the pipeline's own bookkeeping, and
 * returns each event's state. An id may be the operator's (ingestEvents) or a feed's written
 * straight to the stream (source "stream"), or both: each that exists must be finished. Polled:
 * the state is a Redis hash that announces nothing, and the replica that processes the event may
 * be another process.
 */
export function processed(redis: Redis, eventIds: readonly string[], timeoutMs = 15_000): Promise<Map<string, string>> {
  const finished = (state: string | null): boolean => state === "done" || state === "parked";
  return eventually(
    async () => {
      const states = await Promise.all(
        eventIds.map(async (id) => {
          const [api, stream] = await Promise.all([redis.hget(operatorEventState(id), "state"), redis.hget(keys.events.state(STREAM_SOURCE, id), "state")]);
          const known = [api, stream].filter((s): s is string => s !== null);
          return known.length > 0 && known.every(finished) ? (known[0] as string) : (known.find((s) => !finished(s)) ?? null);
        }),
      );
      const unfinished = eventIds.flatMap((id, i) => (finished(states[i] ?? null) ? [] : [`${id}: ${states[i] ?? "no state"}`]));
      assert.deepEqual(unfinished, [], `still unfinished: ${unfinished.join(", ")}`);
      return new Map(eventIds.map((id, i) => [id, states[i] as string]));
    },
    { what: `${eventIds.length} event(s) processed`, timeoutMs },
  );
}

/**
 * Waits until the gateway's push hub holds exactly `n` subscriptions: they register (and go)
 * a moment after the client's message, and the server sends nothing when they do.
 */
export function subscriptionsOn(gw: TestGateway, n: number, timeoutMs = 5_000): Promise<void> {
  return eventually(() => assert.equal(gw.app.services.realtime.hub.size, n), { what: `${n} subscription(s) on the gateway`, timeoutMs });
}

export interface EventArg {
  id: string;
  customerId: string;
  type: string;
  at?: string;
  payload?: unknown;
}

/** The front lines' own document (schema/operations/realtime.graphql). */
export const INGEST = print(IngestEventsDocument);

export interface IngestData {
  ingestEvents: {
    accepted: number;
    duplicates: number;
    rejected: number;
    events: Array<{ index: number; id: string | null; status: string; error: { code: string; field: string; message: string } | null }>;
  };
}

export async function ingest(gw: TestGateway, events: EventArg[]): Promise<IngestData["ingestEvents"]> {
  return dataOf(await gw.raw<IngestData>(INGEST, { events })).ingestEvents;
}

/** Contact policy for tests that are not about it: no quiet hours (tests run at any hour), caps out of the way (proposed and approved). */
export async function openPolicy(gw: TestGateway): Promise<void> {
  const input = {
    quietHours: null,
    overallCap: { limit: 1000, windowDays: 7 },
    channelCaps: ["SMS", "APP", "WECHAT", "OUTBOUND_CALL"].map((channel) => ({ channel, limit: 1000, windowDays: 7 })),
  };
  await proposeAndApply(gw, `mutation ($input: ContactPolicyInput!) { setContactPolicy(input: $input) { version pendingChange { id } } }`, { input });
}

let counter = 0;
/** A fresh event id for this test process. */
export function eventId(label: string): string {
  counter += 1;
  return `t${process.pid}-${label}-${counter}-${Date.now().toString(36)}`;
}
