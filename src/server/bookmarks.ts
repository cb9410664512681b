import type { ApolloServerPlugin } from "@apollo/server";
import type { RequestHandler } from "express";
import type { Graph } from "../platform/neo4j";
import { BadUserInputError } from "../platform/errors";
import type { GatewayContext } from "./context";

/**
 * Read-your-writes across replicas on a Neo4j cluster. The answer to a mutation carries
 * `X-Graph-Bookmark`: the bookmarks of the writes the gateway had made when it answered (its own
 * among them). A client that sends the value back on its next request, to whichever replica the
 * balancer picks, gets reads that wait until the member serving them has applied those writes.
 * The value is opaque to clients (base64url of the bookmark list), so its form can change.
 */
export const BOOKMARK_HEADER = "X-Graph-Bookmark";

/** Longest header accepted: a handful of bookmarks (one per database, about 60 characters each). */
const MAX_HEADER = 4_096;
const MAX_BOOKMARKS = 16;

/** The header's value for these bookmarks. */
export function encodeBookmarks(bookmarks: readonly string[]): string {
  return Buffer.from(JSON.stringify(bookmarks)).toString("base64url");
}

/** The bookmarks a header carries; BAD_USER_INPUT naming the header when it is not one this gateway issued. */
export function decodeBookmarks(header: string): string[] {
  const refused = (): BadUserInputError =>
    new BadUserInputError(`${BOOKMARK_HEADER} is not a value this gateway issued; send back the header of an earlier answer unchanged, or none.`, BOOKMARK_HEADER);
  if (header.length > MAX_HEADER || !/^[A-Za-z0-9_-]+$/.test(header)) throw refused();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
  } catch {
    throw refused();
  }
  if (!Array.isArray(parsed) || parsed.length > MAX_BOOKMARKS || !parsed.every((b): b is string => typeof b === "string" && b.length > 0 && b.length <= 512)) throw refused();
  return parsed;
}

/** What {@link clientBookmarks} leaves for the context factory. */
export interface BookmarkLocals {
  bookmarks?: string[];
  bookmarkError?: BadUserInputError;
}

/** Reads the request's `X-Graph-Bookmark` into res.locals (a malformed one is refused by the context factory, as a GraphQL error). */
export const clientBookmarks: RequestHandler = (req, res, next) => {
  const header = req.headers["x-graph-bookmark"];
  if (typeof header === "string" && header.length > 0) {
    const locals = res.locals as BookmarkLocals;
    try {
      locals.bookmarks = decodeBookmarks(header);
    } catch (error) {
      locals.bookmarkError = error as BadUserInputError;
    }
  }
  next();
};

/** Puts the bookmark of the gateway's writes on every mutation's answer. */
export function bookmarkAnswers(graph: Graph): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, response }) {
          if (operation?.operation !== "mutation") return;
          // Concurrent writes leave the manager one bookmark each; the newest cover this request's
          // write (a later transaction's bookmark implies the earlier ones), and the header stays small.
          const bookmarks = (await graph.lastBookmarks()).slice(-MAX_BOOKMARKS);
          if (bookmarks.length > 0) response.http.headers.set(BOOKMARK_HEADER.toLowerCase(), encodeBookmarks(bookmarks));
        },
      };
    },
  };
}
