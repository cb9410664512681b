import { BadUserInputError } from "./errors";

/** Checks an integer argument against its allowed range, naming both in the error. */
export function intInRange(argument: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`\`${argument}\` must be between ${min} and ${max}; got ${value}.`, argument);
  }
  return value;
}

/** Checks the length of a list argument. */
export function listOfAtMost<T>(argument: string, values: readonly T[], max: number): readonly T[] {
  if (values.length > max) {
    throw new BadUserInputError(`\`${argument}\` accepts at most ${max} items; got ${values.length}. Split the request.`, argument);
  }
  return values;
}
