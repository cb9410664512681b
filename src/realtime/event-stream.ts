import DataLoader from "dataloader";
import type { ChainableCommander, Redis } from "ioredis";
import { ServiceUnavailableError } from "../platform/errors";
import { isReplyBug, redisCall, waitForReplicas } from "../platform/redis";
import { keys, STREAM_SOURCE } from "../platform/keys";
import type { PubSub } from "../platform/pubsub";
import { defineScripts } from "../platform/scripts";
import type { DecisionWrite } from "../graph/decision";
import type { EventPayload, EventType } from "../domain/events";
import { encodePush, reviveDates, type PushDraft } from "./push";

/**
 * The inbound event stream in Redis and the bookkeeping that makes its processing idempotent.
 *
 * Feeds (and ingestEvents) XADD entries to `events:{rt}:stream` with the fields id, customerId, type,
 * at (ISO 8601), payload (JSON) and source (who sent it: ingestEvents writes "token:<the token's
 * subject>"; a feed may name itself, default "stream"). Event ids are deduplicated per source: each
 * source's ids are its own namespace, so one principal cannot pre-empt another's event by sending
 * its id first. Every gateway reads it in the consumer group "gateway", so each
 * entry goes to one replica; an entry is acknowledged only once its pushes are out and its
 * decisions written, so a replica that dies mid-batch leaves its entries pending and another
 * claims them (XPENDING + XCLAIM).
 *
 * Retries count deliveries in the consumer group (XPENDING), not in our own state, so an event
 * whose very bookkeeping fails is still parked after `maxAttempts`.
 *
 * Per source and event id, `events:state:…` (see keys.events.state) records which entry owns the event and how far it got. It is
 * the dedup record: a second copy of an event (a feed's retry, a client's resend) is acknowledged
 * without being processed. Processing runs decide → publish → write → done: the pushes go out
 * before the decisions are written to the trajectory, so the Neo4j commit is not on the push's
 * path. Publishing stores the outcome (pushes and writes), appends the replay entries and
 * publishes in one script, once per event; a retry after it only writes (idempotent by decision
 * id) and acknowledges. An event is pushed once, and its decisions written once.
 *
 * Round trips: the events a read hands out are processed together, so their bookkeeping is too.
 * `begin`, `publish` and `done` calls made in the same tick (the events of one batch reach each
 * step together: they share one decision-input read) go to Redis in one pipeline each, every call
 * keeping its own script and its own reply or error, and the dones of a tick in one MULTI with
 * one XACK. Under load an event costs a share of three round trips for its bookkeeping, not
 * three of its own; idle, a lone event still goes at once (a tick, no timer).
 */

export const CONSUMER_GROUP = "gateway";

/** How long an event id is remembered: a resend within it is a duplicate. Ingest refuses older events. */
export const DEDUP_WINDOW_MS = 7 * 24 * 3600_000;

export interface GatewayEvent {
  /** Who sent it: the namespace of its id (see {@link sourceOfPrincipal}). */
  source: string;
  id: string;
  customerId: string;
  type: EventType;
  at: Date;
  payload: EventPayload;
}

/** The source of the events a principal ingests: its ids are deduplicated among its own. */
export function sourceOfPrincipal(principalId: string): string {
  return `token:${principalId}`;
}

/** The source an entry names, or the stream's own for entries a feed wrote without one. */
export function sourceOfEntry(fields: Readonly<Record<string, string>>): string {
  return fields.source || STREAM_SOURCE;
}

/** One stream entry as read: its fields, not yet trusted. */
export interface StreamEntry {
  entryId: string;
  fields: Record<string, string>;
}

/** What processing an event decided: its pushes, and the decisions to write to the trajectory once they are out. */
export interface Outcome {
  pushes: PushDraft[];
  writes: DecisionWrite[];
}

/** RUN with an outcome: the event was pushed before, and only its writes and acknowledgement remain. */
export type BeginResult = { status: "DUPLICATE" } | { status: "BUSY" } | { status: "RUN"; pushed: Outcome | null };

export interface ParkedEvent {
  parkedId: string;
  source: string;
  eventId: string | null;
  customerId: string | null;
  type: string | null;
  at: string | null;
  payload: string | null;
  error: string;
  attempts: number;
  parkedAt: Date;
}

/** A parked event put back on the stream. */
export interface RetriedEvent {
  parkedId: string;
  /** Its new entry on the event stream. */
  entryId: string;
  /** The parked entry's fields as they were (id, customerId, type, at, payload, error, attempts, parkedAt). */
  parked: Record<string, string>;
}

export interface StreamStatus {
  length: number;
  pending: number;
  lag: number | null;
  consumers: number;
  parked: number;
}

/** Sizes of the capped streams. */
const PARKED_CAP = 10_000;
const PUSH_ALL_CAP = 10_000;
const PUSH_CUSTOMER_CAP = 100;
const PUSH_TTL_SECONDS = 7 * 24 * 3600;

/** The scripts' folder, from the repository root (see src/platform/scripts.ts). */
const SCRIPTS = "src/realtime/scripts";

interface StreamScripts {
  eventsIngest(numKeys: number, ...args: Array<string | number>): Promise<string[]>;
  eventsPark(...args: Array<string | number>): Promise<number>;
  eventsRetryParked(...args: Array<string | number>): Promise<string>;
}

/** The per-event scripts as pipeline commands (one pipeline per tick). */
interface StreamPipeline extends ChainableCommander {
  eventsBegin(...args: Array<string | number>): StreamPipeline;
  eventsPublish(numKeys: number, ...args: Array<string | number>): StreamPipeline;
}

interface BeginCall {
  state: string;
  entryId: string;
  leaseMs: number;
}

interface PublishCall {
  source: string;
  eventId: string;
  outcome: Outcome;
}

interface DoneCall {
  source: string;
  eventId: string;
  entryId: string;
}

const TTL_SECONDS = DEDUP_WINDOW_MS / 1000;

export class EventStream {
  private readonly scripts: StreamScripts;
  private readonly pushChannel: string;
  /** The begins, publishes and dones of one tick, each kind in one round trip (see the class comment). */
  private readonly begins: DataLoader<BeginCall, [string, string]>;
  private readonly publishes: DataLoader<PublishCall, string[]>;
  private readonly dones: DataLoader<DoneCall, true>;

  constructor(
    private readonly redis: Redis,
    pubsub: PubSub,
  ) {
    // ./scripts/*.lua: each says what its KEYS and ARGV are. Ingest and publish take a variable number of keys (passed first).
    defineScripts(redis, [
      { name: "eventsIngest", files: [`${SCRIPTS}/ingest.lua`] },
      { name: "eventsBegin", files: [`${SCRIPTS}/begin.lua`], numberOfKeys: 1 },
      { name: "eventsPublish", files: [`${SCRIPTS}/publish.lua`] },
      { name: "eventsPark", files: [`${SCRIPTS}/park.lua`], numberOfKeys: 3 },
      { name: "eventsRetryParked", files: [`${SCRIPTS}/retry-parked.lua`], numberOfKeys: 3 },
    ]);
    this.scripts = redis as unknown as StreamScripts;
    this.pushChannel = pubsub.channel(keys.push.channel());
    this.begins = new DataLoader((calls) => this.pipelined(calls, (p, c) => p.eventsBegin(c.state, c.entryId, TTL_SECONDS, c.leaseMs)), { cache: false });
    this.publishes = new DataLoader(
      async (calls) => {
        const cursors = await this.pipelined<PublishCall, string[]>(calls, (p, c) => this.addPublish(p, c));
        // Under Cluster, pushed only once a replica knows: a failover that lost the "pushed" mark would push again.
        await waitForReplicas(this.redis, keys.push.all());
        return cursors;
      },
      { cache: false },
    );
    this.dones = new DataLoader((calls) => this.doneAll(calls), { cache: false });
  }

  /** Runs one script call per item in one pipeline; each item gets its own reply or error. */
  private async pipelined<K, V>(batch: readonly K[], add: (pipeline: StreamPipeline, item: K) => void): Promise<Array<V | Error>> {
    const pipeline = this.redis.pipeline() as StreamPipeline;
    for (const item of batch) add(pipeline, item);
    const replies = (await redisCall(pipeline.exec())) ?? [];
    return batch.map((_, i) => {
      const [error, value] = replies[i] ?? [new Error("Redis gave no reply for a pipelined command"), null];
      if (!error) return value as V;
      // A script's own error is a bug; anything else (the connection closed under the pipeline) is an outage.
      return isReplyBug(error) ? error : new ServiceUnavailableError("redis", "it cannot be reached or did not answer in time", error.message);
    });
  }

  private addPublish(pipeline: StreamPipeline, { source, eventId, outcome }: PublishCall): void {
    const { pushes } = outcome;
    const targets = pushes.map((p) => (p.kind === "desk" ? keys.push.agent(p.agentId) : keys.push.customer(p.customerId)));
    pipeline.eventsPublish(
      2 + pushes.length,
      keys.events.state(source, eventId),
      keys.push.all(),
      ...targets,
      JSON.stringify(outcome),
      this.pushChannel,
      PUSH_ALL_CAP,
      PUSH_CUSTOMER_CAP,
      PUSH_TTL_SECONDS,
      ...pushes.map(encodePush),
    );
  }

  /** The dones of one tick in one MULTI: each event's state marked done, then one XACK for all their entries. */
  private async doneAll(calls: readonly DoneCall[]): Promise<true[]> {
    const multi = this.redis.multi();
    for (const { source, eventId } of calls) {
      const state = keys.events.state(source, eventId);
      multi.hset(state, "state", "done").hdel(state, "outcome", "error", "lease");
    }
    multi.xack(keys.events.stream(), CONSUMER_GROUP, ...calls.map((c) => c.entryId));
    const replies = await redisCall(multi.exec());
    // EXEC answers null when the transaction was discarded; a command's own error is in its reply.
    const failed = replies === null ? new Error("the MULTI of event dones was discarded") : replies.find(([error]) => error)?.[0];
    if (failed) throw failed;
    return calls.map(() => true);
  }

  /** Creates the consumer group (from the stream's start, so events queued before any gateway ran are processed). */
  async ensureGroup(): Promise<void> {
    try {
      await redisCall(this.redis.xgroup("CREATE", keys.events.stream(), CONSUMER_GROUP, "0", "MKSTREAM"));
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("BUSYGROUP"))) throw error;
    }
  }

  /** Queues validated events; per event its entry id, or null when the id was seen before (a duplicate). */
  async ingest(events: readonly GatewayEvent[]): Promise<Array<string | null>> {
    if (events.length === 0) return [];
    const args: Array<string | number> = [TTL_SECONDS];
    for (const e of events) args.push(e.id, e.customerId, e.type, e.at.toISOString(), JSON.stringify(e.payload), e.source);
    const ids = await redisCall(this.scripts.eventsIngest(1 + events.length, keys.events.stream(), ...events.map((e) => keys.events.state(e.source, e.id)), ...args));
    // Under Cluster, accepted only once a replica has them: a failover must not lose an accepted event.
    await waitForReplicas(this.redis, keys.events.stream());
    return ids.map((id) => (id === "" ? null : id));
  }

  /** New entries for this consumer, waiting up to `blockMs`; `client` is a connection of its own (the read blocks it). */
  async read(client: Redis, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const reply = (await client.xreadgroup("GROUP", CONSUMER_GROUP, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", keys.events.stream(), ">")) as
      | Array<[string, Array<[string, string[]]>]>
      | null;
    return (reply?.[0]?.[1] ?? []).map(toEntry);
  }

  /**
   * Entries left pending longer than `idleMs` (their processing failed, or their consumer died),
   * claimed for `consumer`, with how many times each has now been delivered.
   */
  async claimStale(consumer: string, idleMs: number, count: number, inFlight: ReadonlySet<string>): Promise<Array<StreamEntry & { deliveries: number }>> {
    const listed = (await redisCall(this.redis.xpending(keys.events.stream(), CONSUMER_GROUP, "IDLE", idleMs, "-", "+", count))) as Array<[string, string, number, number]>;
    // Entries this consumer is still working on are slow, not abandoned.
    const pending = listed.filter(([id]) => !inFlight.has(id));
    if (pending.length === 0) return [];
    const deliveries = new Map(pending.map(([id, , , n]) => [id, Number(n) + 1]));
    const claimed = (await redisCall(this.redis.xclaim(keys.events.stream(), CONSUMER_GROUP, consumer, idleMs, ...pending.map(([id]) => id)))) as Array<[string, string[]] | null>;
    return claimed.filter((e): e is [string, string[]] => e !== null).map((e) => ({ ...toEntry(e), deliveries: deliveries.get(e[0]) ?? 1 }));
  }

  /** Takes an event for processing for `leaseMs` (another consumer that claims it meanwhile is told BUSY). */
  async begin(source: string, eventId: string, entryId: string, leaseMs: number): Promise<BeginResult> {
    const [status, outcome] = await this.begins.load({ state: keys.events.state(source, eventId), entryId, leaseMs });
    if (status === "DUPLICATE") return { status };
    if (status === "BUSY") return { status };
    return { status: "RUN", pushed: outcome ? decodeOutcome(outcome) : null };
  }

  /** Sends the pushes out (replay streams and pub/sub) and keeps the outcome, atomically and once per event. Returns the cursors. */
  async publish(source: string, eventId: string, outcome: Outcome): Promise<string[]> {
    return this.publishes.load({ source, eventId, outcome });
  }

  /** Marks the event done and acknowledges its entry (after its writes are committed), atomically. */
  async done(source: string, eventId: string, entryId: string): Promise<void> {
    await this.dones.load({ source, eventId, entryId });
  }

  /** Records a failure that may pass (the entry stays pending and is retried after the idle time); its message is what parking reports. */
  async recordFailure(source: string, eventId: string, message: string): Promise<void> {
    // The state stays (an event already pushed must only be written on retry); the lease ends so a retry need not wait for it.
    await redisCall(this.redis.hset(keys.events.state(source, eventId), "error", message, "lease", 0));
  }

  /** The last recorded failure of an event, if it can be read. */
  async lastError(source: string, eventId: string): Promise<string | null> {
    try {
      return await redisCall(this.redis.hget(keys.events.state(source, eventId), "error"));
    } catch {
      return null;
    }
  }

  /** Sets an entry aside with its error, where operators see it (parkedEvents), and acknowledges it. */
  async park(entry: StreamEntry, error: string, attempts: number): Promise<void> {
    const eventId = entry.fields.id ?? "";
    const fields: string[] = ["entry", entry.entryId, "error", error, "attempts", String(attempts), "parkedAt", new Date().toISOString()];
    for (const name of ["id", "customerId", "type", "at", "payload", "source"]) {
      const v = entry.fields[name];
      if (v !== undefined) fields.push(name, v.slice(0, 4_000));
    }
    // Without an event id there is no state to mark: passing the stream key twice tells the script so.
    const state = eventId ? keys.events.state(sourceOfEntry(entry.fields), eventId) : keys.events.stream();
    await redisCall(this.scripts.eventsPark(state, keys.events.stream(), keys.events.parked(), entry.entryId, CONSUMER_GROUP, PARKED_CAP, ...fields));
  }

  /** Acknowledges an entry that needs no processing (a duplicate). */
  async ack(entryId: string): Promise<void> {
    await redisCall(this.redis.xack(keys.events.stream(), CONSUMER_GROUP, entryId));
  }

  /** The most recently parked events, newest first. */
  async parked(limit: number): Promise<ParkedEvent[]> {
    const rows = await redisCall(this.redis.xrevrange(keys.events.parked(), "+", "-", "COUNT", limit));
    return rows.map(([parkedId, raw]) => {
      const f = fieldsOf(raw);
      return {
        parkedId,
        source: sourceOfEntry(f),
        eventId: f.id || null,
        customerId: f.customerId ?? null,
        type: f.type ?? null,
        at: f.at ?? null,
        payload: f.payload ?? null,
        error: f.error ?? "",
        attempts: Number(f.attempts ?? 0),
        parkedAt: new Date(f.parkedAt ?? Number(parkedId.split("-")[0])),
      };
    });
  }

  /** Puts parked events back on the stream (after their cause was fixed). Returns those re-queued, each with the stream entry it now has and what was parked. */
  async retryParked(parkedIds: readonly string[]): Promise<RetriedEvent[]> {
    const done: RetriedEvent[] = [];
    for (const parkedId of parkedIds) {
      const [, raw] = (await redisCall(this.redis.xrange(keys.events.parked(), parkedId, parkedId)))[0] ?? [];
      const parked = raw ? fieldsOf(raw) : {};
      const eventId = parked.id ?? "";
      const state = eventId ? keys.events.state(sourceOfEntry(parked), eventId) : keys.events.parked();
      const id = await redisCall(this.scripts.eventsRetryParked(keys.events.stream(), keys.events.parked(), state, parkedId, TTL_SECONDS));
      if (id) done.push({ parkedId, entryId: String(id), parked });
    }
    return done;
  }

  async status(): Promise<StreamStatus> {
    const [length, group, parked] = await Promise.all([
      redisCall(this.redis.xlen(keys.events.stream())),
      this.group().catch(() => undefined),
      redisCall(this.redis.xlen(keys.events.parked())),
    ]);
    return {
      length,
      pending: Number(group?.pending ?? 0),
      lag: group?.lag ? Number(group.lag) : null,
      consumers: Number(group?.consumers ?? 0),
      parked,
    };
  }

  /** Leaves the group on a clean stop, unless entries are still pending for this consumer (another replica will claim those). */
  async leave(consumer: string): Promise<void> {
    const mine = (await redisCall(this.redis.xpending(keys.events.stream(), CONSUMER_GROUP, "-", "+", 1, consumer))) as unknown[];
    if (mine.length === 0) await redisCall(this.redis.xgroup("DELCONSUMER", keys.events.stream(), CONSUMER_GROUP, consumer));
  }

  /** The consumer group's XINFO fields (pending, lag, consumers, last-delivered-id); undefined before it exists. */
  private async group(): Promise<Record<string, string> | undefined> {
    const groups = (await redisCall(this.redis.xinfo("GROUPS", keys.events.stream()))) as unknown[];
    return groups.map(fieldsOf).find((g) => g.name === CONSUMER_GROUP);
  }

  /** Drops acknowledged entries: everything before the oldest pending one (or the last delivered, when none is pending). */
  async trim(): Promise<void> {
    const group = await this.group();
    if (!group?.["last-delivered-id"]) return;
    const pending = (await redisCall(this.redis.xpending(keys.events.stream(), CONSUMER_GROUP))) as [number, string | null, string | null, unknown];
    const minId = pending[0] > 0 && pending[1] ? pending[1] : group["last-delivered-id"];
    await redisCall(this.redis.xtrim(keys.events.stream(), "MINID", "~", minId));
  }
}

function decodeOutcome(json: string): Outcome {
  return JSON.parse(json, reviveDates) as Outcome;
}

function toEntry([entryId, raw]: [string, string[]]): StreamEntry {
  return { entryId, fields: fieldsOf(raw) };
}

/** A flat [name, value, name, value, …] reply (or a RESP3 map) as an object. */
function fieldsOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(raw)) {
    for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) out[k] = v === null || v === undefined ? "" : String(v);
    return out;
  }
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const v = raw[i + 1];
    out[String(raw[i])] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}
