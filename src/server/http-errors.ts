import type { ErrorRequestHandler } from "express";
import type { Logger } from "../platform/logger";
import { INTERNAL_MESSAGE } from "./errors";

/**
 * Errors raised before GraphQL sees a request (reading, decompressing and parsing its body) get
 * the GraphQL shape every other answer has, with code BAD_REQUEST and a sentence of ours: the
 * body parser's own messages are zlib's and iconv's ("incorrect header check"), which tell a client
 * nothing it can act on. Whatever is left, a 5xx, is logged and answered without its text, never
 * with Express's HTML page (which carries the stack outside production).
 */

interface BodyError {
  status?: number;
  statusCode?: number;
  type?: string;
  charset?: string;
  encoding?: string;
}

const JSON_SHAPE = 'send {"query": "...", "variables": {...}} as UTF-8 JSON with content-type application/json';

/** The sentence for a body the parser refused, by the parser's error type. */
function bodyMessage(error: BodyError, status: number, compressed: boolean): string {
  switch (error.type) {
    case "entity.parse.failed":
      return `The request body is not valid JSON; ${JSON_SHAPE}.`;
    case "entity.too.large":
      return "The request body is larger than 1 MB (after decompression); send smaller batches.";
    case "charset.unsupported":
      return `The body's charset${error.charset ? ` "${error.charset.slice(0, 40)}"` : ""} is not supported; ${JSON_SHAPE}.`;
    case "encoding.unsupported":
      return `The content-encoding${error.encoding ? ` "${error.encoding.slice(0, 40)}"` : ""} is not supported; send the body with gzip, deflate, br or no content-encoding.`;
    case "request.size.invalid":
      return "The request body is not as long as its content-length header says; send the header that matches the body, or none.";
    case "request.aborted":
      return "The request body was cut off before its end; send it again.";
    default:
      // The decompressors' errors (zlib's Z_DATA_ERROR, brotli's) come without a type.
      if (compressed) return "The request body is not compressed as its content-encoding says; send it compressed that way, or without content-encoding.";
      return `The request could not be read (HTTP ${status}); ${JSON_SHAPE}.`;
  }
}

/** A request the body parser refused: 4xx with BAD_REQUEST and our sentence. */
export const requestErrors: ErrorRequestHandler = (error: BodyError, req, res, next) => {
  const status = error.status ?? error.statusCode;
  if (res.headersSent || !status || status < 400 || status >= 500) return next(error);
  const encoding = req.headers["content-encoding"]?.trim().toLowerCase();
  res.status(status).json({ errors: [{ message: bodyMessage(error, status, Boolean(encoding && encoding !== "identity")), extensions: { code: "BAD_REQUEST" } }] });
};

/** The last handler: anything else is logged with its stack and answered 500 without its text. */
export function internalErrors(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    log.error({ err: error, method: req.method, url: req.originalUrl.slice(0, 200) }, "unexpected error handling an HTTP request");
    if (res.headersSent) return next(error);
    res.status(500).json({ errors: [{ message: INTERNAL_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
  };
}
