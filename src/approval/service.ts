import { randomBytes } from "node:crypto";
import DataLoader from "dataloader";
import type { RequestScope } from "../customer360/scope";
import type { Role } from "../auth/principal";
import type { ChangeAction, ChangeKind, ChangeStatus } from "../domain/vocabulary";
import {
  changeById,
  changePage,
  decideChange,
  insertChange,
  pendingChangeByCode,
  pendingChangesByKey,
  reservedTargetIds,
  targetKey,
  type ChangeDecision,
  type ChangeRecord,
} from "../graph/approval";
import { BadUserInputError, ConflictError, ConstraintViolationError, ForbiddenError, NotFoundError } from "../platform/errors";
import type { Logger } from "../platform/logger";
import type { Cypher } from "../platform/neo4j";
import { intInRange } from "../platform/validate";

export type { ChangeRecord } from "../graph/approval";

/**
 * Maker-checker for changes that reach customers. A room whose writes need a second pair of eyes
 * (marketing's segments, offers and strategies; the contact policy; next the tag library and
 * campaigns) checks a change fully as before, then {@link Approvals.submit}s it instead of writing
 * it: the change is stored PENDING in the graph and nothing else happens. Another principal holding
 * one of the kind's decider roles approves it ({@link Approvals.approve}): in one transaction the
 * change is marked APPROVED and the room's {@link ChangeHandler.apply} re-checks it against the
 * state of that moment and writes it; if the check fails, nothing is written and the change stays
 * PENDING. Or they reject it; or its author withdraws it. Decided changes never change again, and
 * the author of a change can never decide it (whatever roles they hold).
 *
 * The audit trail (src/audit/) is noted here, once for every room: a proposal, an approval, a
 * rejection and a withdrawal are each a CHANGE entry on the Change (who did it, the change, its
 * status before and after); an approval is also an entry on the target, as what the room applied
 * (`updateOffer`, `setContactPolicy`, … with the target before and after, who proposed it, the
 * approver as the entry's principal), noted only once the approval's transaction has committed.
 */

/** What a room registers for each kind of change it hands to the approval process. */
export interface ChangeHandler {
  kind: ChangeKind;
  /** How messages name a target of this kind: "offer", "the contact policy". */
  noun: string;
  /**
   * How the audit trail names a target of this kind ("Offer", "ContactPolicy"); what an approval
   * applies is recorded as the action in lower case followed by it: createOffer, retireStrategy, setContactPolicy.
   */
  targetType: string;
  /** The roles that may approve or reject changes of this kind. */
  deciders: readonly Role[];
  /**
   * Applies an approved change within the approval's transaction (statements on `tx` commit with
   * the decision), re-checked against the state now: throws BadUserInputError (or NotFoundError)
   * when it no longer holds, which rolls the approval back and leaves the change PENDING. Effects
   * outside the graph must be idempotent per change id (the driver may retry the transaction).
   * Returns the target before and after, for the audit trail.
   */
  apply(tx: Cypher, change: ChangeRecord): Promise<AppliedChange>;
  /** After the approval committed (cache invalidation on every replica); a failure is logged, the approval stands. */
  applied?(change: ChangeRecord): Promise<void>;
  /**
   * A change rejected or withdrawn, within the decision's transaction: for kinds whose target waits
   * in a state of its own while its change is pending (a SUBMITTED campaign goes back to DRAFT).
   */
  dropped?(tx: Cypher, change: ChangeRecord): Promise<void>;
}

/** What applying a change did to its target, for the audit trail (JSON-serialisable). */
export interface AppliedChange {
  /**
   * The target before: null when the change created it; undefined when this attempt found the
   * change applied already (an effect outside the graph saved by an earlier attempt of the same
   * approval, whose `before` then stands).
   */
  before: unknown;
  after: unknown;
}

/** A checked change to store as a proposal. */
export interface Proposal {
  kind: ChangeKind;
  action: ChangeAction;
  /** The target; null for a CREATE, which reserves the next free id of `newId`'s family. */
  targetId: string | null;
  /** JSON-serialisable: what {@link ChangeHandler.apply} gets back (Dates become ISO strings). */
  payload: unknown;
  /** For a CREATE: the id family ("OF" → OF01, OF02 …) and the ids existing targets hold. */
  newId?: { prefix: string; taken: readonly string[] };
  /** A unique code the change gives its target: claimed while the change is pending, so no other proposal can take it. */
  code?: string | null;
}

export interface ChangeListArgs {
  kind?: ChangeKind | null;
  /** null: every status. */
  status?: ChangeStatus | null;
  author?: string | null;
  first: number;
  after?: string | null;
}

/** The root value of a ChangeConnection. */
export interface ChangeConnectionRoot {
  edges: Array<{ cursor: string; node: ChangeRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export const MAX_CHANGE_PAGE = 100;
const MAX_REASON = 500;
/** Concurrent proposals that picked the same new id or change id: each retry takes the next. */
const SUBMIT_ATTEMPTS = 10;

/** The approval process: proposals, decisions, the queue. One per process; rooms register their kinds at wiring. */
export class Approvals {
  private readonly handlers = new Map<ChangeKind, ChangeHandler>();
  /**
   * One loader per request (keyed by the scope's loaders, which a subscription renews for every
   * push): every `pendingChange` field of a response in one round trip, nothing cached longer.
   */
  private readonly loaders = new WeakMap<object, DataLoader<string, ChangeRecord | null>>();

  constructor(private readonly log: Logger) {}

  register(handler: ChangeHandler): void {
    if (this.handlers.has(handler.kind)) throw new Error(`a handler for ${handler.kind} changes is already registered`);
    this.handlers.set(handler.kind, handler);
  }

  /**
   * Stores a checked change as PENDING, signed by the scope's principal, and returns it. CONFLICT
   * when its target already has a pending change; BAD_USER_INPUT when another pending change claims
   * the code it gives. Nothing is written otherwise.
   */
  async submit(scope: RequestScope, proposal: Proposal): Promise<ChangeRecord> {
    const handler = this.handler(proposal.kind);
    const { kind, action } = proposal;
    const payload = JSON.stringify(proposal.payload ?? {});
    const codeKey = proposal.code ? targetKey(kind, proposal.code) : null;
    let targetId = proposal.targetId;
    if (targetId === null) {
      if (!proposal.newId) throw new Error(`a ${kind} proposal without a target needs newId`);
      const reserved = await reservedTargetIds(scope.graph, kind);
      targetId = nextId([...proposal.newId.taken, ...reserved], proposal.newId.prefix);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const stored = await insertChange(scope.graph, {
          id: newChangeId(),
          kind,
          targetId,
          action,
          payload,
          author: scope.principal.id,
          submittedAt: new Date(),
          pendingKey: targetKey(kind, targetId),
          codeKey,
          createsKey: action === "CREATE" ? targetKey(kind, targetId) : null,
        });
        noteProcess(scope, "proposeChange", stored, handler, null);
        return stored;
      } catch (error) {
        if (!(error instanceof ConstraintViolationError) || attempt >= SUBMIT_ATTEMPTS) throw error;
        if (error.property === "id") continue; // a change id drawn twice: draw again
        if (action === "CREATE" && (error.property === "createsKey" || error.property === "pendingKey")) {
          // Another proposal reserved this id a moment ago: take the one after.
          targetId = nextId([targetId], proposal.newId?.prefix ?? "");
          continue;
        }
        if (error.property === "codeKey" && codeKey) {
          const holder = await pendingChangeByCode(scope.graph, codeKey);
          if (!holder) continue; // decided meanwhile: the code is free again
          throw new BadUserInputError(
            `${capitalise(handler.noun)} code ${proposal.code} is claimed by change ${holder.id} (${describe(holder)}), which awaits approval; choose another code, or propose this one once that change is decided.`,
            "code",
          );
        }
        if (error.property === "pendingKey") {
          const holder = (await pendingChangesByKey(scope.graph, [targetKey(kind, targetId)])).get(targetKey(kind, targetId));
          if (!holder) continue;
          throw new ConflictError(
            `${capitalise(handler.noun)} ${kind === "CONTACT_POLICY" ? "" : `${targetId} `}already has a change awaiting approval: ${holder.id} (${describe(holder)}). One change per target waits at a time: ask an approver to approve or reject it, or its author to withdraw it, then propose again.`,
          );
        }
        throw error;
      }
    }
  }

  /**
   * Approves a pending change and applies it, atomically: the change is APPROVED exactly when its
   * effect is written. Re-checked against the state now (BAD_USER_INPUT leaves it PENDING).
   * FORBIDDEN for its author and for principals without a decider role of its kind; CONFLICT when
   * it is no longer pending (of concurrent approvals, one wins).
   */
  async approve(scope: RequestScope, id: string, reason?: string | null): Promise<ChangeRecord> {
    const change = await this.mustFind(scope, id);
    const handler = this.handler(change.kind);
    this.mayDecide(scope, change, handler, "approve");
    // The driver may run the transaction more than once: what the last attempt applied stands, and a
    // `before` an attempt could not know (already applied by the one before) is that attempt's.
    let applied: AppliedChange = { before: undefined, after: null };
    const approved = await this.decide(scope, change, { status: "APPROVED", by: scope.principal.id, reason: optionalReason(reason) }, async (tx, claimed) => {
      const result = await handler.apply(tx, claimed);
      applied = { before: result.before === undefined ? applied.before : result.before, after: result.after };
    });
    noteProcess(scope, "approveChange", approved, handler, change);
    scope.audit.change({
      action: `${approved.action.toLowerCase()}${handler.targetType}`,
      targetType: handler.targetType,
      targetId: approved.targetId,
      changeId: approved.id,
      proposedBy: approved.author,
      // Never known only if another approve call (a retry after a failed commit) applied it outside the graph.
      before: applied.before ?? null,
      after: applied.after,
    });
    try {
      await handler.applied?.(approved);
    } catch (error) {
      // The change is in the graph (or Redis) already; replicas that missed the word see it when their cache expires.
      this.log.warn({ change: approved.id, kind: approved.kind, err: error instanceof Error ? error.message : String(error) }, "approved change applied, but telling the other replicas failed");
    }
    return approved;
  }

  /** Rejects a pending change (with the reason its author will read); nothing is applied, ever. Same rules as {@link approve}. */
  async reject(scope: RequestScope, id: string, reason: string): Promise<ChangeRecord> {
    const change = await this.mustFind(scope, id);
    const handler = this.handler(change.kind);
    this.mayDecide(scope, change, handler, "reject");
    const why = optionalReason(reason);
    if (!why) throw new BadUserInputError("`reason` must say why the change is rejected, so its author can act on it.", "reason");
    const rejected = await this.decide(scope, change, { status: "REJECTED", by: scope.principal.id, reason: why }, handler.dropped?.bind(handler));
    noteProcess(scope, "rejectChange", rejected, handler, change);
    return rejected;
  }

  /** Its author takes a pending change back; nothing is applied. FORBIDDEN for anyone else. */
  async withdraw(scope: RequestScope, id: string, reason?: string | null): Promise<ChangeRecord> {
    const change = await this.mustFind(scope, id);
    if (change.author !== scope.principal.id) {
      throw new ForbiddenError(`Only its author (${change.author}) may withdraw change ${change.id}; an approver may reject it instead.`);
    }
    const handler = this.handler(change.kind);
    const withdrawn = await this.decide(scope, change, { status: "WITHDRAWN", by: scope.principal.id, reason: optionalReason(reason) }, handler.dropped?.bind(handler));
    noteProcess(scope, "withdrawChange", withdrawn, handler, change);
    return withdrawn;
  }

  /** One change, whatever its status; null when there is none. */
  change(scope: RequestScope, id: string): Promise<ChangeRecord | null> {
    return changeById(scope.graph, id);
  }

  /** The pending change of one target, if any; the fields of one response share one round trip. */
  pendingFor(scope: RequestScope, kind: ChangeKind, targetId: string): Promise<ChangeRecord | null> {
    let loader = this.loaders.get(scope.loaders);
    if (!loader) {
      const graph = scope.graph;
      loader = new DataLoader<string, ChangeRecord | null>(async (keys) => {
        const found = await pendingChangesByKey(graph, keys);
        return keys.map((k) => found.get(k) ?? null);
      });
      this.loaders.set(scope.loaders, loader);
    }
    return loader.load(targetKey(kind, targetId));
  }

  /** A page of changes in submission order (the oldest waiting first), filtered by kind, status and author. */
  async list(scope: RequestScope, args: ChangeListArgs): Promise<ChangeConnectionRoot> {
    const first = intInRange("first", args.first, 1, MAX_CHANGE_PAGE);
    const afterId = args.after ? decodeCursor(args.after) : "";
    const { items, total } = await changePage(scope.graph, {
      kind: args.kind ?? null,
      status: args.status ?? null,
      author: args.author ?? null,
      afterId,
      limit: first + 1,
    });
    const page = items.slice(0, first);
    const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
    return { edges, pageInfo: { hasNextPage: items.length > page.length, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: total };
  }

  private handler(kind: ChangeKind): ChangeHandler {
    const handler = this.handlers.get(kind);
    if (!handler) throw new Error(`no handler is registered for ${kind} changes`);
    return handler;
  }

  private async mustFind(scope: RequestScope, id: string): Promise<ChangeRecord> {
    const change = await changeById(scope.graph, id);
    if (!change) throw new NotFoundError(`There is no change with id ${id}; see the pendingChanges query.`);
    return change;
  }

  /** Maker-checker: never the author; only a decider role of the kind. */
  private mayDecide(scope: RequestScope, change: ChangeRecord, handler: ChangeHandler, verb: "approve" | "reject"): void {
    const { principal } = scope;
    if (change.author === principal.id) {
      throw new ForbiddenError(
        verb === "approve"
          ? `You submitted change ${change.id}: the author of a change can never approve it (maker-checker). Another ${handler.deciders.join(" or ")} must decide it.`
          : `You submitted change ${change.id}: withdraw it (withdrawChange) rather than rejecting it.`,
      );
    }
    if (!handler.deciders.some((role) => principal.roles.has(role))) {
      throw new ForbiddenError(`Changes to ${handler.noun} are approved or rejected by ${handler.deciders.join(" or ")}; this token holds ${[...principal.roles].join(", ") || "no role"}.`);
    }
  }

  /** Decides under the change's lock, with `then` (the effect) in the same transaction; CONFLICT when it was decided first. */
  private async decide(scope: RequestScope, change: ChangeRecord, decision: ChangeDecision, then?: (tx: Cypher, claimed: ChangeRecord) => Promise<void>): Promise<ChangeRecord> {
    if (change.status !== "PENDING") throw alreadyDecided(change);
    return scope.graph.transaction(async (tx) => {
      const result = await decideChange(tx, change.id, decision);
      if (!result) throw new NotFoundError(`There is no change with id ${change.id}.`);
      if (!result.decided) throw alreadyDecided(result.change);
      await then?.(tx, result.change);
      return result.change;
    });
  }
}

/**
 * Notes a step of the approval process on the request's audit collector: the Change as it was
 * (`previous`; null when this step created it) and as it is now, with what it changes.
 */
function noteProcess(scope: RequestScope, action: "proposeChange" | "approveChange" | "rejectChange" | "withdrawChange", change: ChangeRecord, handler: ChangeHandler, previous: ChangeRecord | null): void {
  scope.audit.change({
    action,
    targetType: "Change",
    targetId: change.id,
    changeId: change.id,
    proposedBy: change.author,
    before: previous ? { status: previous.status } : null,
    after: {
      status: change.status,
      kind: change.kind,
      action: change.action,
      targetType: handler.targetType,
      targetId: change.targetId,
      // The proposal carries what was proposed; a decision, who decided and why.
      ...(previous ? { decidedBy: change.decidedBy, decidedAt: change.decidedAt, reason: change.reason } : { payload: JSON.parse(change.payload) as unknown, submittedAt: change.submittedAt }),
    },
  });
}

function alreadyDecided(change: ChangeRecord): ConflictError {
  const by = change.status === "WITHDRAWN" ? `by its author ${change.decidedBy ?? change.author}` : `by ${change.decidedBy ?? "someone"}`;
  return new ConflictError(`Change ${change.id} was already ${change.status.toLowerCase()} ${by}${change.decidedAt ? ` at ${change.decidedAt.toISOString()}` : ""}; a decided change stays as it is. Nothing was done.`);
}

function describe(change: ChangeRecord): string {
  return `${change.action.toLowerCase()} by ${change.author}, submitted ${change.submittedAt.toISOString()}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function optionalReason(reason: string | null | undefined): string | null {
  const text = reason?.trim() ?? "";
  if (text.length > MAX_REASON) throw new BadUserInputError(`\`reason\` must be at most ${MAX_REASON} characters; got ${text.length}.`, "reason");
  return text.length > 0 ? text : null;
}

/** The next id of a family ("OF12" → "OF13") beyond every id in `taken`. */
export function nextId(taken: readonly string[], prefix: string): string {
  let max = 0;
  for (const id of taken) {
    const n = Number(id.slice(prefix.length));
    if (id.startsWith(prefix) && Number.isInteger(n)) max = Math.max(max, n);
  }
  return `${prefix}${String(max + 1).padStart(2, "0")}`;
}

/** "CH" + the time in 9 base-36 digits + 6 random hex digits: ids sort in submission order (the queue's order). */
function newChangeId(): string {
  return `CH${Date.now().toString(36).toUpperCase().padStart(9, "0")}${randomBytes(3).toString("hex").toUpperCase()}`;
}

const CHANGE_ID = /^CH[0-9A-Z]{9}[0-9A-F]{6}$/;

/** Cursors are opaque to clients: base64url of the last change id of the page. */
function encodeCursor(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  const id = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  if (!CHANGE_ID.test(id)) {
    throw new BadUserInputError(
      `\`after\` is not a cursor this API issued ("${cursor.slice(0, 40)}"); pass the \`endCursor\` or an edge \`cursor\` of a previous page, or omit it to start from the oldest change.`,
      "after",
    );
  }
  return id;
}
