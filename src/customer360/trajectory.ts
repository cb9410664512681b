import { BadUserInputError } from "../platform/errors";
import type { ContactPage, ContactPageRequest, ContactRecord } from "../graph/contact";
import type { ChannelCode } from "../domain/vocabulary";
import { intInRange } from "../platform/validate";

export const MAX_PAGE = 100;
const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31);

export interface ContactsArgs {
  first: number;
  after?: string | null | undefined;
  channels?: ChannelCode[] | null | undefined;
  since?: Date | null | undefined;
  until?: Date | null | undefined;
}

/** The root value of a ContactConnection. */
export interface ContactConnectionRoot {
  edges: Array<{ cursor: string; node: ContactRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Counted with the page when the client selected totalCount; null when it did not. */
  totalCount: number | null;
}

/** Validates trajectory arguments and turns them into one page request. */
export function pageRequest(customerId: string, args: ContactsArgs, withCount = false): ContactPageRequest {
  const first = intInRange("first", args.first, 1, MAX_PAGE);
  const sinceMs = args.since ? args.since.getTime() : EARLIEST_MS;
  const untilMs = args.until ? args.until.getTime() : LATEST_MS;
  if (sinceMs > untilMs) {
    throw new BadUserInputError(`\`since\` (${args.since?.toISOString()}) is after \`until\` (${args.until?.toISOString()}); swap them.`, "since");
  }
  const cursor = args.after ? decodeCursor(args.after) : null;
  const channels = args.channels && args.channels.length > 0 ? [...new Set(args.channels)].sort() : null;
  const filterKey = `${customerId}|${sinceMs}|${untilMs}|${channels?.join(",") ?? "*"}`;
  return {
    key: `${filterKey}|${first}|${args.after ?? ""}|${withCount ? "n" : ""}`,
    customerId,
    limit: first + 1,
    sinceMs,
    untilMs,
    upperMs: cursor ? Math.min(cursor.atMs, untilMs) : untilMs,
    cursorAtMs: cursor?.atMs ?? null,
    cursorId: cursor?.id ?? null,
    channels,
    withCount,
  };
}

/** Builds the connection from `limit` (= first + 1) rows: the extra row only says there is more. */
export function toConnection(result: ContactPage, page: ContactPageRequest): ContactConnectionRoot {
  const rows = result.items;
  const items = rows.slice(0, page.limit - 1);
  const edges = items.map((node) => ({ cursor: encodeCursor(node.at.getTime(), node.id), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > items.length, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: result.total,
  };
}

/** Cursors are opaque to clients: base64url of "<epoch ms>:<contact id>". */
export function encodeCursor(atMs: number, id: string): string {
  return Buffer.from(`${atMs}:${id}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): { atMs: number; id: string } {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match?.[1] || !match[2]) {
    throw new BadUserInputError(
      `\`after\` is not a cursor this API issued ("${cursor.slice(0, 40)}"); pass the \`endCursor\` or an edge \`cursor\` from a previous page, or omit it to start from the newest.`,
      "after",
    );
  }
  return { atMs: Number(match[1]), id: match[2] };
}
