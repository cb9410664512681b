import type { AuditEntryRecord, AuditPageRequest } from "../graph/audit";
import { BadUserInputError } from "../platform/errors";
import { intInRange } from "../platform/validate";
import type { AuditKind } from "./entry";

/** Most entries one page of `auditTrail` may ask for. */
export const MAX_AUDIT_PAGE = 200;
const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31);
const MAX_FILTER_TEXT = 200;

/** What ADMIN may narrow the trail to; every filter given must hold. */
export interface AuditFilter {
  principalId?: string | null | undefined;
  customerId?: string | null | undefined;
  kind?: AuditKind | null | undefined;
  /** The GraphQL operation name ("anonymous operation" for unnamed documents). */
  operation?: string | null | undefined;
  /** CHANGE entries of one action ("updateStrategy"). */
  action?: string | null | undefined;
  /** Every entry of one maker-checker change (CH…): its proposal, its decision, what it applied. */
  changeId?: string | null | undefined;
  since?: Date | null | undefined;
  until?: Date | null | undefined;
}

export interface AuditConnectionRoot {
  edges: Array<{ cursor: string; node: AuditEntryRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Checks the arguments of `auditTrail` and turns them into one page request (first + 1 rows: the extra one says there is more). */
export function auditPageRequest(filter: AuditFilter | null | undefined, first: number, after: string | null | undefined): AuditPageRequest {
  intInRange("first", first, 1, MAX_AUDIT_PAGE);
  const f = filter ?? {};
  const sinceMs = f.since ? f.since.getTime() : EARLIEST_MS;
  const untilMs = f.until ? f.until.getTime() : LATEST_MS;
  if (sinceMs > untilMs) throw new BadUserInputError(`\`filter.since\` (${f.since?.toISOString()}) is after \`filter.until\` (${f.until?.toISOString()}); swap them.`, "filter.since");
  const cursor = after ? decodeAuditCursor(after) : null;
  return {
    principalId: text("filter.principalId", f.principalId),
    customerId: text("filter.customerId", f.customerId),
    // Actions exist on CHANGE entries only: saying so lets the kind index serve an action filter.
    kind: f.kind ?? (f.action ? "CHANGE" : null),
    operation: text("filter.operation", f.operation),
    action: text("filter.action", f.action),
    changeId: text("filter.changeId", f.changeId),
    sinceMs,
    upperMs: cursor ? Math.min(cursor.atMs, untilMs) : untilMs,
    cursorAtMs: cursor?.atMs ?? null,
    cursorId: cursor?.id ?? null,
    limit: first + 1,
  };
}

/** The page from `limit` rows, newest first. */
export function toAuditConnection(rows: readonly AuditEntryRecord[], request: AuditPageRequest): AuditConnectionRoot {
  const items = rows.slice(0, request.limit - 1);
  const edges = items.map((node) => ({ cursor: encodeAuditCursor(node.at.getTime(), node.id), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > items.length, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** Cursors are opaque to clients: base64url of "<epoch ms>|<entry id>". */
export function encodeAuditCursor(atMs: number, id: string): string {
  return Buffer.from(`${atMs}|${id}`, "utf8").toString("base64url");
}

function decodeAuditCursor(cursor: string): { atMs: number; id: string } {
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const match = /^(\d{1,15})\|([A-Za-z0-9:_-]{1,200})$/.exec(decoded);
  if (!match?.[1] || !match[2]) {
    throw new BadUserInputError(
      `\`after\` is not a cursor this API issued ("${cursor.slice(0, 40)}"); pass the \`endCursor\` or an edge \`cursor\` of a previous auditTrail page, or omit it to start from the newest.`,
      "after",
    );
  }
  return { atMs: Number(match[1]), id: match[2] };
}

function text(argument: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value.length === 0 || value.length > MAX_FILTER_TEXT) {
    throw new BadUserInputError(`\`${argument}\` must be 1 to ${MAX_FILTER_TEXT} characters; got ${value.length}. Leave it out to match every value.`, argument);
  }
  return value;
}
