import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { RealtimeConfig } from "../platform/config";
import type { DecisionServices } from "../decisioning/services";
import type { Graph } from "../platform/neo4j";
import type { Logger } from "../platform/logger";
import type { ReferenceData } from "../customer360/reference";
import { EventConsumer } from "./event-consumer";
import { EventProcessor } from "./event-processor";
import { EventStream } from "./event-stream";
import { PushHub } from "./push-hub";

/** The process-wide parts of real time: the event stream, this replica's consumer of it, and its push router. */
export interface RealtimeServices {
  stream: EventStream;
  consumer: EventConsumer;
  hub: PushHub;
  config: RealtimeConfig;
  /** Starts consuming in the background (a gateway starts while Redis is down, and catches up when it is back). */
  start(): void;
  /** Stops consuming (finishing the events in flight) and leaves the push channel. */
  stop(): Promise<void>;
}

export function createRealtimeServices(graph: Graph, reference: ReferenceData, redis: Redis, decisions: DecisionServices, log: Logger, config: RealtimeConfig): RealtimeServices {
  const stream = new EventStream(redis);
  const processor = new EventProcessor(decisions, reference);
  const consumer = new EventConsumer(stream, processor, graph, decisions, redis, log, {
    consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    retryAfterMs: config.retryAfterMs,
    maxAttempts: config.maxAttempts,
    batch: 64,
    maxInFlight: 256,
  });
  const hub = new PushHub(redis, log, config.pushBuffer);
  return {
    stream,
    consumer,
    hub,
    config,
    start() {
      consumer.start();
      hub.start().catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, "subscribing to the push channel failed; retried on the next subscription"));
    },
    async stop() {
      await consumer.stop();
      hub.close();
    },
  };
}
