import type { Redis } from "ioredis";
import { keys } from "../platform/keys";
import { redisCall } from "../platform/redis";
import { defineScripts } from "../platform/scripts";

/**
 * Which customer each agent of the 10086 desk is talking to (HOTLINE_CALL_START until
 * HOTLINE_CALL_END, or until the call's window passes), and which customers each agent talked to
 * lately. The first decides what an agent sees whole (the caller's MSISDN and name) and may look
 * up by number; the second, whose decisions it may answer (respondToOffer). Kept in Redis, shared
 * by every replica: the replica that consumes the call's event writes it, any replica reads it.
 */

/** An agent's call in progress. */
export interface CurrentCall {
  agentId: string;
  customerId: string;
  /** The caller's number, 11 digits (customerByMsisdn for it is the agent's to ask). */
  msisdn: string;
  callId: string | null;
  startedAt: Date;
}

/** How long a call unmasks its caller when no HOTLINE_CALL_END comes: HOTLINE_CALL_WINDOW_MS. */
export const DEFAULT_CALL_WINDOW_MS = 30 * 60_000;
/** How long an agent may answer the decisions of a customer it talked to. */
export const CALL_MEMORY_MS = 24 * 3600_000;

const SCRIPTS = "src/customer360/scripts";

interface CallScripts {
  callStart(current: string, recent: string, ...args: Array<string | number>): Promise<number>;
  callEnd(current: string, recent: string, ...args: Array<string | number>): Promise<number>;
}

export class CallRegister {
  private readonly scripts: CallScripts;

  constructor(
    private readonly redis: Redis,
    /** How long a call lasts at most, from its start, when its end is never reported. */
    readonly windowMs: number = DEFAULT_CALL_WINDOW_MS,
    readonly memoryMs: number = CALL_MEMORY_MS,
  ) {
    defineScripts(redis, [
      { name: "callStart", files: [`${SCRIPTS}/call-start.lua`], numberOfKeys: 2 },
      { name: "callEnd", files: [`${SCRIPTS}/call-end.lua`], numberOfKeys: 2 },
    ]);
    this.scripts = redis as unknown as CallScripts;
  }

  /** The agent's call in progress, or null: one Redis read. */
  async current(agentId: string, now: Date = new Date()): Promise<CurrentCall | null> {
    const h = await redisCall(this.redis.hgetall(keys.calls.current(agentId)));
    if (!h.customerId || !h.at || h.ended) return null;
    const startedAt = new Date(Number(h.at));
    // The key expires at the window's end; this only covers a Redis whose clock runs behind ours.
    if (startedAt.getTime() + this.windowMs <= now.getTime()) return null;
    return { agentId, customerId: h.customerId, msisdn: h.msisdn ?? "", callId: h.callId || null, startedAt };
  }

  /**
   * Records that the call connected (idempotent: a retried event records the same). A start
   * older than the call already recorded for the agent does not replace it.
   */
  async start(call: CurrentCall, now: Date = new Date()): Promise<boolean> {
    const at = call.startedAt.getTime();
    const done = await redisCall(
      this.scripts.callStart(keys.calls.current(call.agentId), keys.calls.recent(call.agentId), call.customerId, call.msisdn, call.callId ?? "", at, at + this.windowMs, now.getTime(), this.memoryMs),
    );
    return done === 1;
  }

  /** Ends the agent's call with `customerId` (and `callId`, when both name one); a late end of an earlier call changes nothing. */
  async end(agentId: string, customerId: string, callId: string | null, at: Date): Promise<boolean> {
    const done = await redisCall(this.scripts.callEnd(keys.calls.current(agentId), keys.calls.recent(agentId), customerId, callId ?? "", at.getTime(), this.memoryMs));
    return done === 1;
  }

  /**
   * A view of this register for rehearsals (the start-up warm-up, src/main/warm-up.ts): it reads as
   * this one does, and records no call start or end, so a rehearsed desk event unmasks nobody to anyone.
   */
  rehearsal(): CallRegister {
    const dry = Object.create(this) as CallRegister;
    dry.start = () => Promise.resolve(true);
    dry.end = () => Promise.resolve(true);
    return dry;
  }

  /** Whether the agent talked to the customer on a call within the memory (24 h): one Redis read. */
  async talkedTo(agentId: string, customerId: string, now: Date = new Date()): Promise<boolean> {
    const score = await redisCall(this.redis.zscore(keys.calls.recent(agentId), customerId));
    return score !== null && Number(score) >= now.getTime() - this.memoryMs;
  }
}
