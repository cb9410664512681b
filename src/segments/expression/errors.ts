import { BadUserInputError } from "../../platform/errors";

/** A segment expression that does not parse or does not type-check; the message names the column. */
export class SegmentExpressionError extends BadUserInputError {
  constructor(
    message: string,
    /** 1-based column of the offending token in the expression. */
    readonly column: number,
    argument = "segment",
  ) {
    super(message, argument);
    this.extensions.column = column;
  }
}

/**
 * The JSON form of a segment (what a visual builder sends) is not a segment: the message and
 * `extensions.jsonPath` name the offending place as a JSONPath-like string, e.g. `$.of[1].left.name`.
 */
export class SegmentJsonError extends BadUserInputError {
  constructor(
    message: string,
    /** Where in the JSON, `$` being the whole document. */
    readonly jsonPath: string,
    argument = "segment",
  ) {
    super(`${argument} at ${jsonPath}: ${message}`, argument);
    this.extensions.jsonPath = jsonPath;
  }
}
