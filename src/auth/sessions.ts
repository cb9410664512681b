import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { BadUserInputError } from "../platform/errors";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { PubSub } from "../platform/pubsub";
import { redisCall, scanKeys } from "../platform/redis";
import { CLOSE_FORBIDDEN } from "../platform/close-codes";
import { MAX_SUBJECT_LENGTH, type Principal } from "./principal";

/** One open WebSocket session, as ADMIN sees it. */
export interface SessionInfo {
  id: string;
  principalId: string;
  roles: string[];
  replica: string;
  connectedAt: Date;
  expiresAt: Date | null;
}

/**
 * Where a committed change is noted for the audit trail: the request's collector
 * (src/audit/collector.ts). The audit room lies above auth, so auth names only the shape it uses.
 */
export interface ChangeNotes {
  change(note: { action: string; targetType: string; targetId: string; before: unknown; after: unknown }): void;
}

/** A replica's registry lives this long after its last heartbeat: a replica that died takes its sessions with it. */
const REGISTRY_TTL_S = 90;
const HEARTBEAT_MS = 30_000;

interface Local {
  info: SessionInfo;
  close: (code: number, reason: string) => void;
}

/**
 * Users' sessions (ADMIN): the WebSocket connections open on every replica, and revocation. A
 * revocation records "tokens of subject S issued up to now are void" in Redis and tells every
 * replica over pub/sub; each replica keeps the revocations in memory (loaded at start), so checking
 * a token costs no round trip, and closes that subject's sockets with 4403 at once. HTTP requests
 * carry their token each time, so the next one is refused (UNAUTHENTICATED). Tokens live at most
 * 12 hours (MAX_TOKEN_TTL_S), so a revocation is kept that long.
 */
export class Sessions {
  readonly replica = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  private readonly local = new Map<string, Local>();
  private readonly revoked = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly pubsub: PubSub,
    private readonly log: Logger,
  ) {}

  /** Loads the revocations and listens for new ones; keeps this replica's registry alive. Never throws (Redis may be down at start). */
  async start(): Promise<void> {
    this.pubsub.subscribe(keys.auth.revocations(), (message) => this.apply(message)).catch(() => undefined);
    this.heartbeat = setInterval(() => void this.touch(), HEARTBEAT_MS);
    this.heartbeat.unref();
    try {
      const all = await this.redis.hgetall(keys.auth.revoked());
      for (const [subject, at] of Object.entries(all)) this.revoked.set(subject, Number(at));
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "could not load token revocations; they apply once Redis answers and a revocation is published");
    }
  }

  stop(): void {
    clearInterval(this.heartbeat);
  }

  /** Whether a token of `subject` issued at `issuedAtMs` was revoked since. */
  isRevoked(subject: string, issuedAtMs: number): boolean {
    const at = this.revoked.get(subject);
    return at !== undefined && issuedAtMs <= at;
  }

  /** Registers a socket's session (best effort: a Redis outage must not refuse the connection). */
  opened(principal: Principal, close: (code: number, reason: string) => void): string {
    const id = randomBytes(8).toString("hex");
    const info: SessionInfo = { id, principalId: principal.id, roles: [...principal.roles], replica: this.replica, connectedAt: new Date(), expiresAt: principal.expiresAt };
    this.local.set(id, { info, close });
    const registry = keys.auth.sessions(this.replica);
    this.redis
      .multi()
      .hset(registry, id, JSON.stringify(info))
      .expire(registry, REGISTRY_TTL_S)
      .exec()
      .catch(() => undefined);
    return id;
  }

  closed(id: string): void {
    if (!this.local.delete(id)) return;
    this.redis.hdel(keys.auth.sessions(this.replica), id).catch(() => undefined);
  }

  /** Open sessions on every live replica, newest first; of one principal when `principalId` is given. */
  async list(principalId?: string | null): Promise<SessionInfo[]> {
    const pattern = `${this.redis.options.keyPrefix ?? ""}${keys.auth.sessions("*")}`;
    const found: SessionInfo[] = [];
    // SCAN matches whole key names, so the client's prefix is in the pattern and stripped from what comes back.
    for (const name of await scanKeys(this.redis, pattern)) {
      const entries = await redisCall(this.redis.hgetall(name.slice((this.redis.options.keyPrefix ?? "").length)));
      for (const json of Object.values(entries)) {
        const raw = JSON.parse(json) as Omit<SessionInfo, "connectedAt" | "expiresAt"> & { connectedAt: string; expiresAt: string | null };
        if (principalId && raw.principalId !== principalId) continue;
        found.push({ ...raw, connectedAt: new Date(raw.connectedAt), expiresAt: raw.expiresAt ? new Date(raw.expiresAt) : null });
      }
    }
    return found.sort((a, b) => b.connectedAt.getTime() - a.connectedAt.getTime());
  }

  /**
   * Voids every token of `principalId` issued up to now, on every replica, and closes its open
   * sockets with 4403. Returns when the revocation is stored and published. Noted on `audit` once
   * it is stored: the time before which the subject's tokens are void, before and after.
   */
  async revoke(principalId: string, audit?: ChangeNotes): Promise<Date> {
    if (principalId.length === 0 || principalId.length > MAX_SUBJECT_LENGTH) {
      throw new BadUserInputError(`principalId must be a token subject of 1 to ${MAX_SUBJECT_LENGTH} characters; it has ${principalId.length}.`, "principalId");
    }
    const at = Date.now();
    const previous = this.revoked.get(principalId);
    await redisCall(this.redis.multi().hset(keys.auth.revoked(), principalId, String(at)).expire(keys.auth.revoked(), 12 * 3600).exec());
    audit?.change({
      action: "revokeSessions",
      targetType: "Principal",
      targetId: principalId,
      before: { tokensIssuedBefore: previous === undefined ? null : new Date(previous) },
      after: { tokensIssuedBefore: new Date(at) },
    });
    this.apply(JSON.stringify({ principalId, at }));
    await this.pubsub.publish(keys.auth.revocations(), JSON.stringify({ principalId, at }));
    return new Date(at);
  }

  private apply(message: string): void {
    const { principalId, at } = JSON.parse(message) as { principalId: string; at: number };
    this.revoked.set(principalId, Math.max(at, this.revoked.get(principalId) ?? 0));
    for (const [id, session] of this.local) {
      if (session.info.principalId !== principalId) continue;
      session.close(CLOSE_FORBIDDEN, "Forbidden: this principal's sessions were revoked; sign in again");
      this.closed(id);
    }
  }

  private async touch(): Promise<void> {
    if (this.local.size === 0) return;
    await this.redis.expire(keys.auth.sessions(this.replica), REGISTRY_TTL_S).catch(() => undefined);
  }
}
