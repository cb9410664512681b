import { print } from "graphql";
import { UnifiedViewDocument } from "../schema/generated/operations";
import { LIBRARY_UNIFIED_VIEW } from "./library/unified-view";
import type { LoadTarget } from "./load";
import { bearer } from "./auth";

/** The header in which our gateway reports a request's Bolt round trips (src/server/server.ts). */
export const ROUND_TRIP_HEADER = "x-bolt-round-trips";

const OUR_QUERY = JSON.stringify(print(UnifiedViewDocument));
const LIBRARY_QUERY = JSON.stringify(LIBRARY_UNIFIED_VIEW.replace(/\s+/g, " ").trim());

/** A GraphQL-over-HTTP POST body; the query text is serialised once, only the id varies. */
function bodyWith(queryJson: string, operationName: string): (id: string) => string {
  return (id) => `{"query":${queryJson},"operationName":"${operationName}","variables":{"id":${JSON.stringify(id)}}}`;
}

/**
 * A cheap success test: status 200, no `errors` key, and the payload starts with the asked-for
 * customer. On a failure only, the body is parsed for the first error's message, so the printed
 * reason says what went wrong without slowing the common path.
 */
function checker(dataPrefix: (id: string) => string): LoadTarget["check"] {
  return (status, body, id) => {
    if (status !== 200) return `HTTP ${status}: ${firstError(body)}`;
    if (body.includes('"errors":')) return `GraphQL error: ${firstError(body)}`;
    if (!body.includes(dataPrefix(id))) return "200 without the customer's data";
    return null;
  };
}

function firstError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ message?: string; extensions?: { code?: string } }> };
    const e = parsed.errors?.[0];
    return e ? `${e.extensions?.code ?? "ERROR"} ${e.message ?? ""}`.slice(0, 160) : body.slice(0, 160);
  } catch {
    return body.slice(0, 160);
  }
}

/** Our gateway answering the `UnifiedView` operation. */
export function ourTarget(url: string): LoadTarget {
  return {
    name: "ours",
    url,
    body: bodyWith(OUR_QUERY, "UnifiedView"),
    check: checker((id) => `"customer":{"id":${JSON.stringify(id)}`),
    countHeader: ROUND_TRIP_HEADER,
    headers: bearer("AGENT"),
  };
}

/** The Neo4j GraphQL Library answering its closest equivalent. */
export function libraryTarget(url: string): LoadTarget {
  return {
    name: "Neo4j GraphQL Library",
    url,
    body: bodyWith(LIBRARY_QUERY, "UnifiedViewLibrary"),
    check: checker((id) => `"customers":[{"id":${JSON.stringify(id)}`),
  };
}

/**
 * The decision the bench asks for (issue 3): three placements on APP, a customer-initiated channel,
 * so contact caps do not apply and every call can place offers (on SMS the caps would empty most
 * answers after a customer's first call). Each call writes its decisions to the graph.
 */
export const NEXT_BEST_OFFERS = `query Nbo($id: ID!) {
  nextBestOffers(customerId: $id, channel: APP, limit: 3) { id score propensity offer { id name } reasons { kind text } }
}`;

const NBO_QUERY = JSON.stringify(NEXT_BEST_OFFERS.replace(/\s+/g, " ").trim());

/** Our gateway deciding for one customer. Answers are not about the customer by name, so any `nextBestOffers` list passes. */
export function decisionTarget(url: string): LoadTarget {
  return {
    name: "ours (nextBestOffers)",
    url,
    body: bodyWith(NBO_QUERY, "Nbo"),
    check: checker(() => `"nextBestOffers":[`),
    countHeader: ROUND_TRIP_HEADER,
    headers: bearer("AGENT"),
    // One "propensity" key per placement; cheaper than parsing every answer.
    bodyCount: (body) => body.split('"propensity":').length - 1,
  };
}
