import { rngFor } from "../../seeds/random";
import { customerId } from "../dataset";

/** Salt of the stream that draws the two customer sets, apart from the seed's own streams. */
const SETS_STREAM = 0xe7a1;

/**
 * A held-out test set and a disjoint training set, drawn from the whole data set by the seed, so
 * the same seed always evaluates the same customers. Both in ascending id order.
 */
export function splitCustomers(seed: number, customers: number, test: number, train: number): { test: string[]; train: string[] } {
  if (test + train > customers) throw new RangeError(`test (${test}) and training (${train}) customers must fit in the data set of ${customers}`);
  const picked = rngFor(seed, SETS_STREAM).sample(
    Array.from({ length: customers }, (_, i) => i + 1),
    test + train,
  );
  const ids = (ns: number[]): string[] => ns.sort((a, b) => a - b).map(customerId);
  return { test: ids(picked.slice(0, test)), train: ids(picked.slice(test)) };
}
