/** The data set `npm test` seeds once per run; tests regenerate expected values from the same inputs. */
export const TEST_DATA = {
  customers: 3_000,
  seed: 7,
  asOf: "2026-11-01T00:00:00.000Z",
} as const;
