import { BadUserInputError } from "../platform/errors";
import { covers } from "../auth/scope";
import { customerRegions } from "../graph/customer";
import type { RequestScope } from "../customer360/scope";
import type { CustomerScope } from "../graph/records";
import { checkEvent, type EventProblem, type RawEvent } from "./event-input";
import { sourceOfPrincipal, type EventStream, type GatewayEvent } from "./event-stream";

/** Most events one ingestEvents call takes; bigger feeds send several batches (or write to the stream). */
export const MAX_EVENTS_PER_CALL = 1_000;

export type EventStatus = "ACCEPTED" | "DUPLICATE" | "REJECTED";

export interface IngestedEvent {
  index: number;
  id: string | null;
  status: EventStatus;
  error: EventProblem | null;
}

export interface IngestOutcome {
  accepted: number;
  duplicates: number;
  rejected: number;
  events: IngestedEvent[];
}

/**
 * ingestEvents: every event is checked on its own (shape, payload, that its customer exists: one
 * read for the batch, the graph only for customers without a live profile); the good ones are queued on the event stream in one Redis script that
 * also drops ids seen before. A bad event is REJECTED with its reason and the rest still go in.
 * `regions` tells which ids are customers and their regions (the live profiles first, the graph for
 * the rest: see src/customer360/profiles.ts regions). ACCEPTED means durably queued: the pushes follow asynchronously, from whichever replica consumes it.
 * Ids are deduplicated among the events of the principal that sends them (`principalId`): another
 * principal sending the same id first does not make this one's event a DUPLICATE. An event about a
 * customer outside the sender's `scope` (a SERVICE feed of other regions) is REJECTED as FORBIDDEN:
 * a feed speaks for its own regions' customers (a call it reports unmasks the caller for an agent).
 */
export async function ingestEvents(
  stream: EventStream,
  /** The region of each id that is a customer; unknown ids absent. */
  regions: (customerIds: readonly string[]) => Promise<Map<string, string>>,
  principalId: string,
  scope: CustomerScope,
  raws: readonly RawEvent[],
  now: Date = new Date(),
): Promise<IngestOutcome> {
  if (raws.length > MAX_EVENTS_PER_CALL) {
    throw new BadUserInputError(`events holds ${raws.length} events; send at most ${MAX_EVENTS_PER_CALL} per call (split the batch)`, "events");
  }
  const results: IngestedEvent[] = raws.map((raw, index) => ({ index, id: typeof raw.id === "string" ? raw.id : null, status: "ACCEPTED", error: null }));
  const valid: Array<{ index: number; event: GatewayEvent }> = [];
  raws.forEach((raw, index) => {
    const checked = checkEvent(raw, sourceOfPrincipal(principalId), now);
    if (checked.ok) valid.push({ index, event: checked.event });
    else reject(results[index], checked.problem);
  });

  const known = await regions(valid.map((v) => v.event.customerId));
  const queued = valid.filter((v) => {
    const regionId = known.get(v.event.customerId);
    if (regionId === undefined) {
      reject(results[v.index], { code: "NOT_FOUND", field: "customerId", message: `there is no customer with id ${v.event.customerId}; check the id (customer ids look like C0000001)` });
      return false;
    }
    if (!covers(scope, { id: v.event.customerId, regionId })) {
      reject(results[v.index], { code: "FORBIDDEN", field: "customerId", message: `customer ${v.event.customerId} is outside this token's regions; a feed sends events of its own regions' customers` });
      return false;
    }
    return true;
  });

  const entryIds = await stream.ingest(queued.map((v) => v.event));
  queued.forEach((v, i) => {
    const r = results[v.index];
    if (r && entryIds[i] === null) r.status = "DUPLICATE";
  });
  return {
    accepted: results.filter((r) => r.status === "ACCEPTED").length,
    duplicates: results.filter((r) => r.status === "DUPLICATE").length,
    rejected: results.filter((r) => r.status === "REJECTED").length,
    events: results,
  };
}

function reject(result: IngestedEvent | undefined, problem: EventProblem): void {
  if (!result) return;
  result.status = "REJECTED";
  result.error = problem;
}

/** Which of `ids` are customers, with their regions: the live profiles first (no graph read for a known customer), the graph for the rest. */
export function knownCustomers(scope: RequestScope, ids: readonly string[]): Promise<Map<string, string>> {
  return scope.profiles ? scope.profiles.regions(scope.graph, ids) : customerRegions(scope.graph, ids);
}
