import { DateTimeResolver } from "graphql-scalars";

/** ISO-8601 date-time with offset, e.g. "2026-11-22T10:00:00Z"; parsed into a JS Date. */
export const DateTimeScalar = DateTimeResolver;
