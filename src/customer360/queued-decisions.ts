import type { ChainableCommander, Redis } from "ioredis";
import { z } from "zod";
import { CHANNEL_CODES } from "../domain/vocabulary";
import type { ContactRecord } from "../graph/contact";
import { presentedContactId, type DecisionWrite } from "../graph/decision";
import { keys } from "../platform/keys";
import { redisCall, waitForReplicas } from "../platform/redis";
import { jsonField } from "../platform/stream-mover";

/**
 * Decisions written behind the answer (src/decisioning/writer.ts), readable before the graph has
 * them. A decision is appended to the write-behind stream and made readable in the same MULTI:
 * the decision itself by id (`decisions:{dw}:queued:<id>`), and a contacted decision's OFFER_PRESENTED
 * contact in its customer's hash of queued contacts. Once the mover has committed a batch, the
 * same round trip that acknowledges it deletes them.
 *
 * Readers look here FIRST and then in the graph (graph wins): a decision flushed between the two
 * reads is found by the second, so no read ever misses a decision that was handed out.
 */

/** The stream field holding an entry's rows (JSON, DecisionWrite with `at` as an ISO time). */
export const ROWS_FIELD = "rows";

/**
 * How long a queued decision stays readable if the graph never takes it (a day): far beyond any
 * flush lag; the stream entry itself stays until committed or parked.
 */
const QUEUED_TTL_MS = 86_400_000;

const rowSchema = z.object({
  id: z.string().min(1).max(100),
  customerId: z.string().min(1).max(100),
  offerId: z.string().min(1).max(100),
  productId: z.string().min(1).max(100),
  strategyId: z.string().max(100).nullable(),
  eventId: z.string().max(500).nullable(),
  channel: z.enum(CHANNEL_CODES),
  at: z.iso.datetime({ offset: true }),
  score: z.number(),
  propensity: z.number(),
  value: z.number(),
  priority: z.number(),
  relevance: z.number(),
  reasons: z.string(),
  features: z.array(z.string()),
  controlGroup: z.boolean(),
  contacted: z.boolean(),
  summary: z.string(),
  campaignId: z.string().nullish(),
  waveId: z.string().nullish(),
  strategyVersion: z.number().int().nullish(),
  offerVersion: z.number().int().nullish(),
  workOrderId: z.string().nullish(),
});
const rowsSchema = z.array(rowSchema).min(1);

/** A stream entry's decisions, or why they cannot be read (a bug in whatever appended them). */
export function decodeRows(fields: Record<string, string>): DecisionWrite[] | string {
  const rows = jsonField(fields, ROWS_FIELD, rowsSchema, "a list of decisions");
  return typeof rows === "string" ? rows : rows.map(fromJson);
}

function fromJson(row: z.infer<typeof rowSchema>): DecisionWrite {
  const { at, ...rest } = row;
  // Optional properties travel as absent or null; the write and the record read them as absent.
  const present = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
  return { ...present, strategyId: row.strategyId, eventId: row.eventId, at: new Date(at) } as DecisionWrite;
}

/** The trajectory line a queued decision shows (the graph writes the same, src/graph/decision.ts). */
function contactOf(d: DecisionWrite): ContactRecord {
  return { id: presentedContactId(d.id), at: d.at, channel: d.channel, kind: "OFFER_PRESENTED", summary: d.summary, outcome: null, productId: d.productId, decisionId: d.id };
}

export class QueuedDecisions {
  constructor(private readonly redis: Redis) {}

  /** Appends asked for in this tick, sent together (see {@link append}). */
  private waiting: Array<{ rows: readonly DecisionWrite[]; resolve: () => void; reject: (error: unknown) => void }> = [];

  /**
   * Appends `rows` to the write-behind stream and makes each readable; resolves once Redis has
   * them (a decision id is never handed out before it can be answered). Appends asked for in the
   * same tick (the events of one batch, the customers of one request) go in one MULTI: one round
   * trip, each still its own stream entry.
   */
  append(rows: readonly DecisionWrite[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (this.waiting.length === 0) queueMicrotask(() => void this.send());
      this.waiting.push({ rows, resolve, reject });
    });
  }

  private async send(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    const multi = this.redis.multi();
    for (const { rows } of batch) {
      multi.xadd(keys.decisions.stream(), "*", ROWS_FIELD, JSON.stringify(rows));
      for (const d of rows) {
        multi.set(keys.decisions.queued(d.id), JSON.stringify(d), "PX", QUEUED_TTL_MS);
        if (!d.contacted) continue;
        const key = keys.decisions.queuedContacts(d.customerId);
        multi.hset(key, presentedContactId(d.id), JSON.stringify(contactOf(d))).pexpire(key, QUEUED_TTL_MS);
      }
    }
    try {
      const replies = await redisCall(multi.exec());
      const failed = replies?.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
      // Under Cluster, a decision id is handed out only once a replica has it too (a failover loses nothing queued).
      await waitForReplicas(this.redis, keys.decisions.stream());
      for (const w of batch) w.resolve();
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  /** Adds to the acknowledgement of committed rows: they are no longer read from here. */
  forget(multi: ChainableCommander, rows: readonly DecisionWrite[]): void {
    multi.del(...rows.map((d) => keys.decisions.queued(d.id)));
    for (const d of rows) if (d.contacted) multi.hdel(keys.decisions.queuedContacts(d.customerId), presentedContactId(d.id));
  }

  /** The queued decisions among `ids` (one MGET). */
  async decisions(ids: readonly string[]): Promise<Map<string, DecisionWrite>> {
    if (ids.length === 0) return new Map();
    const values = await redisCall(this.redis.mget(...ids.map((id) => keys.decisions.queued(id))));
    const out = new Map<string, DecisionWrite>();
    for (const value of values) {
      if (value === null) continue;
      const decoded = decodeRows({ [ROWS_FIELD]: `[${value}]` });
      if (typeof decoded !== "string" && decoded[0]) out.set(decoded[0].id, decoded[0]);
    }
    return out;
  }

  /** The queued OFFER_PRESENTED contacts of each customer, newest first (one pipeline). */
  async contacts(customerIds: readonly string[]): Promise<Map<string, ContactRecord[]>> {
    const ids = [...new Set(customerIds)];
    if (ids.length === 0) return new Map();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hvals(keys.decisions.queuedContacts(id));
    const replies = (await redisCall(pipeline.exec())) ?? [];
    const out = new Map<string, ContactRecord[]>();
    ids.forEach((id, i) => {
      const [error, values] = replies[i] ?? [null, []];
      if (error) throw error;
      const contacts = (values as string[]).map((v) => {
        const c = JSON.parse(v) as Omit<ContactRecord, "at"> & { at: string };
        return { ...c, at: new Date(c.at) };
      });
      if (contacts.length > 0) out.set(id, contacts.sort(newestFirst));
    });
    return out;
  }
}

/** The trajectory's order: newest first, ties by id descending (src/graph/contact.ts). */
export function newestFirst(a: ContactRecord, b: ContactRecord): number {
  return b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
