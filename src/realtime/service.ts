import type { DeliveryStatus } from "../domain/campaigns";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { ContactPolicy } from "../contact-policy/policy";
import type { CallRegister } from "../customer360/calls";
import type { ReferenceData } from "../customer360/reference";
import type { AdviceService } from "../advice/service";
import type { RequestScope } from "../customer360/scope";
import type { DecisioningService } from "../decisioning/service";
import type { MarketingService } from "../marketing/service";
import type { RealtimeConfig } from "../platform/config";
import type { Logger } from "../platform/logger";
import type { PubSub } from "../platform/pubsub";
import type { Graph } from "../platform/neo4j";
import { EventConsumer } from "./event-consumer";
import { checkEvent, type RawEvent } from "./event-input";
import type { DecisionScope } from "../decisioning/decide";
import type { DecisionWrite } from "../graph/decision";
import { EventProcessor } from "./event-processor";
import { CustomerChangeApplier } from "./customer-changes";
import type { CustomerChanges } from "../segments/preview/index";
import { EventStream, type ParkedEvent, type StreamStatus } from "./event-stream";
import { ingestEvents, knownCustomers, type IngestOutcome } from "./ingest";
import { decodePush, encodePush, type Push } from "./push";
import { PushHub, type Route } from "./push-hub";
import type { ProfileInvalidator } from "../customer360/profiles";

/** The source rehearsed events claim (ids are namespaced by source; nothing of a rehearsal is stored under it). */
const REHEARSAL_SOURCE = "system:warm-up";

/** What the rest of the gateway needs from real time, built once per process. */
export interface RealtimeDeps {
  graph: Graph;
  redis: Redis;
  /** The process's pub/sub connection (pushes reach this replica's subscribers through it). */
  pubsub: PubSub;
  reference: ReferenceData;
  marketing: MarketingService;
  decisioning: DecisioningService;
  policy: ContactPolicy;
  /** Agents' calls, recorded as their events are processed. */
  calls: CallRegister;
  log: Logger;
  config: RealtimeConfig;
  /** Opens the scope a batch of consumed events is decided in (the request-context factory, as the gateway's own principal). */
  openScope: () => RequestScope;
  /** Told which customers a change event changed (the segment index, rule tags: a fan-out); none: change events only trigger strategies. */
  changes?: CustomerChanges;
  /** The live decision profiles a change event invalidates. */
  profiles?: ProfileInvalidator;
  /** Plan advice for PLAN_QUERY events (plan-advice strategies); none: they fire nothing. */
  advice?: AdviceService;
  /** Campaign delivery receipts (src/campaigns/service.ts deliveryReceipt). */
  deliveryReceipts?: (decisionId: string, status: DeliveryStatus, reason: string | null, at: Date) => Promise<unknown>;
}

/**
 * The real-time room's face: events in (ingest), the pipeline's state and parked events for
 * operators, and subscriptions on this replica's push router. Owns the event stream, this
 * replica's consumer of it and the push hub; see ./PROTOCOL.md for what clients can rely on.
 */
export class RealtimeService {
  readonly stream: EventStream;
  readonly consumer: EventConsumer;
  readonly hub: PushHub;
  readonly config: RealtimeConfig;
  private readonly log: Logger;

  private readonly deps: RealtimeDeps;
  /** The pipeline's processor for rehearsals (made on first use): no caps reserved, no call recorded, no change applied. */
  private rehearsalProcessor: EventProcessor | undefined;

  constructor(deps: RealtimeDeps) {
    this.deps = deps;
    this.config = deps.config;
    this.log = deps.log;
    this.stream = new EventStream(deps.redis, deps.pubsub);
    const applier = deps.changes ? new CustomerChangeApplier(deps.graph, deps.changes, deps.profiles ?? null) : null;
    const processor = new EventProcessor(deps.decisioning, deps.marketing, deps.policy, deps.reference, deps.calls, applier, deps.advice ?? null, deps.deliveryReceipts ?? null);
    this.consumer = new EventConsumer(this.stream, processor, deps.openScope, deps.graph, deps.decisioning, deps.redis, deps.log, {
      consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
      retryAfterMs: deps.config.retryAfterMs,
      maxAttempts: deps.config.maxAttempts,
      batch: 64,
      maxInFlight: 256,
    });
    this.hub = new PushHub(deps.pubsub, deps.redis, deps.log, deps.config.pushBuffer);
  }

  /** Checks each event on its own and queues the good ones durably (deduplicated by id among the principal's own; customers within its scope only). */
  async ingest(scope: RequestScope, events: readonly RawEvent[]): Promise<IngestOutcome> {
    return ingestEvents(this.stream, (ids) => knownCustomers(scope, ids), scope.principal.id, await scope.access.readScope(), events);
  }

  /**
   * One event rehearsed for the start-up warm-up (src/main/warm-up.ts): checked as the consumer
   * checks it, processed by the same processor code (triggers, decisions, push drafts, encoded as
   * they are published), and its decisions' write run in a transaction that is rolled back. Nothing
   * is queued, published, counted against caps, recorded as a call or applied to the customer:
   * subscribers see nothing and nothing stays. Returns its pushes as a subscriber's socket would
   * get them (encoded and decoded; cursor "0-0") and how many decisions it made.
   */
  async rehearse(scope: RequestScope, raw: RawEvent): Promise<{ pushes: Push[]; decisions: number }> {
    const checked = checkEvent(raw, REHEARSAL_SOURCE);
    if (!checked.ok) throw new Error(`a rehearsal event was refused: ${checked.problem.field}: ${checked.problem.message}`);
    const { decisioning, marketing, policy, reference, calls, advice } = this.deps;
    this.rehearsalProcessor ??= new EventProcessor({ decider: decisioning.decider.rehearsal() }, marketing, policy.rehearsal(), reference, calls.rehearsal(), null, advice ?? null, null);
    const writes: DecisionWrite[] = [];
    const base = decisioning.scope(scope);
    const deferred: DecisionScope = { inputs: base.inputs, write: async (rows) => void writes.push(...rows), ...(base.storyHold ? { storyHold: base.storyHold } : {}) };
    const drafts = await this.rehearsalProcessor.process(checked.event, deferred, new Date(), new Date(), scope);
    const pushes = drafts.map((draft) => decodePush("0-0", encodePush(draft)));
    await decisioning.writer.rehearse(writes);
    return { pushes, decisions: writes.length };
  }

  /** Events that could not be processed, newest first. */
  parked(first: number): Promise<ParkedEvent[]> {
    return this.stream.parked(first);
  }

  /** Puts parked events back on the stream; returns the ids re-queued. Each is noted for the audit trail: what was parked, and its new stream entry. */
  async retryParked(scope: RequestScope, parkedIds: readonly string[]): Promise<string[]> {
    const retried = await this.stream.retryParked(parkedIds);
    for (const r of retried) {
      // The payload stays out: it is the customer's event (where they were, what they used), not configuration.
      const parked = Object.fromEntries(Object.entries(r.parked).filter(([name]) => name !== "payload"));
      scope.audit.change({
        action: "retryParkedEvents",
        targetType: "ParkedEvent",
        targetId: r.parkedId,
        customerId: parked.customerId || null,
        before: { status: "PARKED", ...parked },
        after: { status: "QUEUED", eventId: parked.id ?? null, entryId: r.entryId },
      });
    }
    return retried.map((r) => r.parkedId);
  }

  /** The stream's backlog and this replica's open subscriptions. */
  async pipeline(): Promise<StreamStatus & { openSubscriptions: number }> {
    return { ...(await this.stream.status()), openSubscriptions: this.hub.size };
  }

  /** Opens a subscription on this replica's push router: replay after `since`, then live. */
  subscribe(route: Route, since: string | null, close: (code: number, reason: string) => void): Promise<AsyncIterable<Push>> {
    return this.hub.subscribe(route, since, close);
  }

  /** Starts consuming in the background (a gateway starts while Redis is down, and catches up when it is back). */
  start(): void {
    this.consumer.start();
    this.hub.start().catch((error: unknown) => this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "subscribing to the push channel failed; retried on the next subscription"));
  }

  /** Stops consuming (finishing the events in flight). The push channel is the pub/sub owner's to close, with the process. */
  async stop(): Promise<void> {
    await this.consumer.stop();
  }
}
