/**
 * The Redis key naming scheme. Every key is `<prefix><domain>:<entity>[:<id>][:<facet>]`, where the
 * prefix (REDIS_KEY_PREFIX, default "c360:") is added by the client, so deployments can share one
 * Redis. Domains own their keys and build them only here:
 *
 *   gateway:instance:<instanceId>        liveness of a gateway replica (TTL)
 *   policy:config                        the contact policy (hash: version, rules JSON, updatedAt, updatedBy, changeId)
 *   policy:customer:{<id>}:contacts:<ch>  contacts on a capped channel (zset: decision id → time, ms)
 *   policy:customer:{<id>}:cooldowns     offers cooling down (hash: offer id → "<until ms>|<reason>")
 *   policy:customer:{<id>}:ignored:<offer>  recent ignores of one offer (zset: decision id → time, ms)
 *   policy:customer:{<id>}:responses     responses already counted (zset: decision id → time, ms)
 *   model:{bp}:…                         propensity model state (decisioning; one slot: learn.lua updates several models at once)
 *   decide:once:<hash>                   one decision request's answer (its decision ids, JSON) or the lock of
 *                                        the request deciding it, for repeats within 5 minutes (decisioning)
 *   call:agent:{<agentId>}               the agent's current call (hash: customerId, msisdn, callId, at; ended
 *                                        once it ended), expiring when its window passes
 *   call:agent:{<agentId>}:recent        customers the agent talked to (zset: customer id → last call, ms; 24 h)
 *   events:{rt}:stream                   inbound events (stream; consumer group "gateway"; feeds XADD here)
 *   events:{rt}:state:<eventId>         the processing state of an event a feed wrote to the stream without a
 *                                        source (hash: entry, state, attempts, error, outcome); its existence is
 *                                        the dedup record (TTL 7 days)
 *   events:{rt}:state:<source>|<eventId>  the same for an event of another source (ingestEvents: "token:<sub>";
 *                                        URI-encoded): each source's ids are its own namespace
 *   events:{rt}:parked                   events that failed for good, with their error (stream, capped)
 *   push:{rt}:all                        every push, in order (stream, capped); its entry ids are the cursors
 *   push:{rt}:customer:<id>              one customer's offers (stream, capped, TTL): liveOffers replay
 *   push:{rt}:agent:<id>                 one agent's desk updates (stream, capped, TTL): deskFeed replay
 *   push (pub/sub channel)               every push, to every replica, which routes it to its subscribers
 *   auth:sessions:<replica>              one replica's open WebSocket sessions (hash: session id → JSON; TTL, heartbeat)
 *   auth:revoked                         token revocations (hash: subject → revoked-at ms; TTL 12 h, the longest token)
 *   auth:revocations (pub/sub channel)   a revocation, to every replica
 *   rl:<budget>:<principalId>            requests spent in the current minute (reads, decisions, mutations;
 *                                        rate-limiter-flexible's counter, TTL the window)
 *   audit:stream                         audit entries on their way to the graph (stream; one entry per request
 *                                        holding its audit entries as JSON; consumer group "audit-writer";
 *                                        entries are deleted once committed to Neo4j, never trimmed unread)
 *   audit:parked                         audit stream entries the graph refused for good, with the error (stream, capped)
 *   segments:{idx}:current               the generation of the segment bitmaps served (src/segments/preview)
 *   segments:{idx}:next                  the last generation number handed out (counter)
 *   segments:{idx}:build                 the index build: state, generation, progress, times, error (hash)
 *   segments:{idx}:build:lock            the replica building it (lease, PX)
 *   segments:{idx}:changes               customers whose bits changed recently (zset: idx → time, ms), replayed
 *                                        after a build or a tag refresh so none is lost to it
 *   segments:{idx}:g<gen>:all            every customer of generation <gen>
 *   segments:{idx}:g<gen>:v:<field>:<v>  the customers with value <v> of a value field (bitmap)
 *   segments:{idx}:g<gen>:vals:<field>   a value field's values (set)
 *   segments:{idx}:g<gen>:n:<field>:<b>  bit <b> (0–63) of a number field's keys (bitmap); …:ex, who has one
 *   segments:{idx}:g<gen>:bsi:<field>    a number field's bits: "0"/"1" shared by every value, "s" sliced,
 *                                        "u" no value yet (hash)
 *   segments:{idx}:g<gen>:fields         field → "v" (values) or "n" (number) (hash)
 *   segments:{idx}:g<gen>:info           the generation's customers, highest idx, build time (hash)
 *   segments:{idx}:g<gen>:keys           every key of the generation, for dropping it (set)
 *   segments:{idx}:r:<id>                one preview's members (bitmap, TTL a minute): its distributions and
 *                                        sample read it
 *   segments:{idx}:d:<hash>              a graph or trajectory predicate's members (bitmap, TTL seconds)
 *   segments:{idx}:t:<id>:<n>            an evaluation's temporaries (deleted by the script that made them)
 *   segments:{idx}:r:snapshot:<id>       a snapshot's members while its job copies them to the graph (TTL 2 min,
 *                                        deleted once copied; src/marketing/snapshots)
 *   Every segment key carries the {idx} hash tag: the scripts combine any of them, so they share a slot.
 *   {jobs}:tags:…                        the rule-tag job queue (src/tags/jobs.ts), laid out by BullMQ under the
 *                                        prefix "<prefix>{jobs}" and queue "tags": {jobs}:tags:run-<tagId> the one run
 *                                        job of a tag (its id is the one-at-a-time guarantee), {jobs}:tags:repeat:
 *                                        daily-<tagId> its daily scheduler, and BullMQ's wait/active/delayed/stalled
 *                                        lists, locks and events stream ({jobs}:tags:events). Run records live in
 *                                        the graph ((:Tag)-[:RAN]->(:TagRun)); nothing here needs rebuilding.
 *   {bull}:snapshots:*                   the segment snapshot queue (BullMQ, src/marketing/snapshots): jobs
 *                                        (`snapshot-<snapshotId>` for materializeSegment), job schedulers
 *                                        (`segment-<segmentId>`, one per segment's daily refresh, whatever the
 *                                        number of replicas), BullMQ's own lists, locks and events. BullMQ does
 *                                        not take ioredis's keyPrefix: it is given `<prefix>{bull}` as its own.
 *   {bull}:work-orders:*                 the work-order sweep (BullMQ, src/campaigns/work-order-sweep.ts): one job
 *                                        scheduler `sweep` (every minute; one run per tick whatever the number of
 *                                        replicas) returning lapsed claims to the pool; BullMQ's own lists and locks.
 *   profile:{<id>}                       one customer's live profile (JSON StoredProfile: the customer with
 *                                        attributes, holdings, tags, channels; family and circle members' holdings;
 *                                        its 50 strongest ties for the unified view's circle), PX 6 h from its fill:
 *                                        only customers decided for lately stay (src/customer360/profiles.ts; the view
 *                                        reads them too, view-profiles.ts)
 *   profile:{<id>}:v                     its version (counter, PX the profile's TTL): every invalidation INCRs it
 *                                        before deleting the profile, and a fill stores only if it is unchanged
 *                                        since the fill read it (the {} tag puts both in one slot for that script)
 *   decisions:{dw}:stream                decisions on their way to the graph, written behind the answer (stream; one
 *                                        entry per write, its rows as JSON; consumer group "decision-writer"; entries
 *                                        are deleted once committed to Neo4j, never trimmed unread; src/decisioning/writer.ts)
 *   decisions:{dw}:parked                decision stream entries the graph refused for good, with the error (stream, capped)
 *   decisions:{dw}:queued:<id>           one decision until the graph has it (JSON DecisionWrite; PX 24 h, deleted
 *                                        once committed): decision(id) and respondToOffer read it first
 *   decisions:{dw}:contacts:<customerId>  the customer's OFFER_PRESENTED contacts until the graph has them (hash:
 *                                        contact id → JSON; PX 24 h, fields deleted once committed): the trajectory
 *   campaigns:story:{<customerId>}       one story across channels: the running campaign wave's offer this customer
 *                                        hears first on every channel until they answer (JSON StoryHold, PX the
 *                                        wave's response window; src/domain/campaigns.ts)
 *   evaluation:alerts (pub/sub channel)  a new campaign alert (JSON), to every replica, which pushes it to the campaign's
 *                                        owners subscribed there (src/evaluation/alerts.ts)
 *   campaigns:outbox:{<channel>}         a channel's outbox (stream: decisionId, customerId, campaignId, waveId, text),
 *                                        consumed by that channel's system, which answers with DELIVERY_RECEIPT events
 *   campaigns:outbox:{<channel>}:sent:<waveId>  decision ids of a wave already XADDed to its outbox (set, TTL 30 days): once per decision
 *   campaigns:contacted:{<campaignId>}   decision ids a campaign with a volume cap contacted (set): the cap's atomic count
 *   {bull}:campaigns:*                   the campaign scheduler's queue (BullMQ, src/campaigns/scheduler.ts): wave jobs
 *                                        `wave-<waveId>` (the id is the one-at-a-time guarantee across replicas), the
 *                                        job scheduler `campaigns-tick` (finds due waves every few seconds), BullMQ's
 *                                        own lists, locks and events; prefix `<prefix>{bull}` as for snapshots
 *
 * Hash tags ({…}) are chosen on purpose, for Redis Cluster (docs/OPERATIONS.md "Redis Cluster"):
 * every key a script or MULTI touches shares its slot, per customer ({<id>}) where the work is per
 * customer so load spreads over the primaries, one tag per group where a script spans the group
 * ({rt} the realtime streams, {dw} the write-behind, {bp} the model, {idx} the segment bitmaps,
 * {bull}/{jobs} BullMQ, whose scripts build their keys from the prefix).
 */
/** The source of events a feed XADDs to the stream without naming one. */
export const STREAM_SOURCE = "stream";

export const keys = {
  instance: (instanceId: string): string => `gateway:instance:${instanceId}`,
  /** Pub/sub channel on which replicas tell each other to drop cached reference and marketing data (./pubsub.ts adds the prefix). */
  invalidation: (): string => "gateway:invalidate",
  /** Propensity model (src/decisioning/propensity.ts): Bayesian probit weights per offer ("OF01") and per product kind ("kind:PLAN"), the set of models, and a marker per learned decision. */
  model: (offerId: string): string => `model:{bp}:w:${offerId}`,
  /** The warm start's lock (one replica replays the history) and its done mark (src/decisioning/warm-start.ts). */
  modelWarmLock: (): string => "model:{bp}:warm:lock",
  modelWarmed: (): string => "model:{bp}:warm:done",
  modelOffers: (): string => "model:{bp}:offers",
  modelApplied: (decisionId: string): string => `model:{bp}:applied:${decisionId}`,
  /** Repeated decision requests (src/decisioning/once.ts): the answer, or the lock, of one request's hash. */
  decideOnce: (hash: string): string => `decide:once:${hash}`,
  /** Agents' calls (src/customer360/calls.ts): one agent's keys share the {agentId} tag for their scripts. */
  calls: {
    current: (agentId: string): string => `call:agent:{${agentId}}`,
    recent: (agentId: string): string => `call:agent:{${agentId}}:recent`,
  },
  /** Contact policy (src/contact-policy/policy.ts): one customer's keys share the {customerId} tag for its scripts. */
  policy: {
    config: (): string => "policy:config",
    contacts: (customerId: string, channel: string): string => `policy:customer:{${customerId}}:contacts:${channel}`,
    cooldowns: (customerId: string): string => `policy:customer:{${customerId}}:cooldowns`,
    ignored: (customerId: string, offerId: string): string => `policy:customer:{${customerId}}:ignored:${offerId}`,
    responses: (customerId: string): string => `policy:customer:{${customerId}}:responses`,
  },
  /** Real time (src/realtime/): the inbound event stream and its bookkeeping, and the push streams. Realtime scripts touch several of these at once: all carry {rt}, one Cluster slot. */
  events: {
    stream: (): string => "events:{rt}:stream",
    /** Events a feed wrote to the stream itself (source "stream") keep the key they always had. */
    state: (source: string, eventId: string): string => (source === STREAM_SOURCE ? `events:{rt}:state:${eventId}` : `events:{rt}:state:${encodeURIComponent(source)}|${eventId}`),
    parked: (): string => "events:{rt}:parked",
  },
  /** Users' sessions and token revocations (src/auth/sessions.ts). */
  auth: {
    sessions: (replica: string): string => `auth:sessions:${replica}`,
    revoked: (): string => "auth:revoked",
    /** Pub/sub channel (not a key: ./pubsub.ts adds the prefix). */
    revocations: (): string => "auth:revocations",
  },
  /** Rate limits (src/auth/rate-limits.ts): the prefix rate-limiter-flexible puts before ":<principalId>". */
  rateLimit: (budget: string): string => `rl:${budget}`,
  /** The rule-tag job queue: BullMQ's own prefix (after the gateway's), under which it names queue "tags". */
  tags: {
    jobsPrefix: (): string => "{jobs}",
  },
  /** Segment bitmaps (src/segments/preview/): keys are built below this base (the scripts append to it). */
  segments: {
    base: (): string => "segments:{idx}",
    current: (): string => "segments:{idx}:current",
    next: (): string => "segments:{idx}:next",
    build: (): string => "segments:{idx}:build",
    buildLock: (): string => "segments:{idx}:build:lock",
    changes: (): string => "segments:{idx}:changes",
    generation: (gen: number): string => `segments:{idx}:g${gen}`,
    result: (id: string): string => `segments:{idx}:r:${id}`,
    derived: (hash: string): string => `segments:{idx}:d:${hash}`,
  },
  /** The segment snapshot queue's BullMQ prefix and name (src/marketing/snapshots): BullMQ builds its keys `<prefix>{bull}:snapshots:…` itself. */
  snapshotQueue: { prefix: (keyPrefix: string): string => `${keyPrefix}{bull}`, name: (): string => "snapshots" },
  /** The work-order sweep's queue (BullMQ, src/campaigns/work-order-sweep.ts), under the same `<prefix>{bull}` as the snapshots'. */
  workOrderQueue: { prefix: (keyPrefix: string): string => `${keyPrefix}{bull}`, name: (): string => "work-orders" },
  push: {
    all: (): string => "push:{rt}:all",
    customer: (customerId: string): string => `push:{rt}:customer:${customerId}`,
    agent: (agentId: string): string => `push:{rt}:agent:${agentId}`,
    /** Pub/sub channel (not a key: ./pubsub.ts adds the prefix). */
    channel: (): string => "push",
  },
  /** The audit trail (src/audit/): what requests read and changed, queued for the graph. */
  audit: {
    stream: (): string => "audit:stream",
    parked: (): string => "audit:parked",
  },
  /** Live decision profiles (src/customer360/profiles.ts): a customer's profile and version share the {customerId} tag for the fill script. */
  profile: {
    value: (customerId: string): string => `profile:{${customerId}}`,
    version: (customerId: string): string => `profile:{${customerId}}:v`,
  },
  /** Decisions written behind the answer (src/decisioning/writer.ts), readable until the graph has them (src/customer360/queued-decisions.ts). */
  decisions: {
    stream: (): string => "decisions:{dw}:stream",
    parked: (): string => "decisions:{dw}:parked",
    queued: (decisionId: string): string => `decisions:{dw}:queued:${decisionId}`,
    queuedContacts: (customerId: string): string => `decisions:{dw}:contacts:${customerId}`,
  },
  /** Campaigns (src/campaigns/) and the story hold decisioning reads (src/domain/campaigns.ts). */
  campaigns: {
    story: (customerId: string): string => `campaigns:story:{${customerId}}`,
    outbox: (channel: string): string => `campaigns:outbox:{${channel}}`,
    outboxed: (channel: string, waveId: string): string => `campaigns:outbox:{${channel}}:sent:${waveId}`,
    contacted: (campaignId: string): string => `campaigns:contacted:{${campaignId}}`,
    /** The scheduler's BullMQ queue name (prefix as keys.snapshotQueue.prefix). */
    queue: (): string => "campaigns",
  },
  /** The evaluation centre (src/evaluation/). */
  evaluation: {
    /** Pub/sub channel (not a key: ./pubsub.ts adds the prefix): a campaign alert, to every replica. */
    alerts: (): string => "evaluation:alerts",
  },
} as const;
