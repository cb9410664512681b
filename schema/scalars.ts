import { DateTimeResolver } from "graphql-scalars";

/** ISO-8601 date-time with offset, e.g. "2026-11-22T10:00:00Z"; parsed into a JS Date. */
export const DateTimeScalar = DateTimeResolver;

/** Any JSON value: event payloads, checked per event type by the gateway (so one bad payload does not fail its batch). */
export { JSONResolver as JSONScalar } from "graphql-scalars";
