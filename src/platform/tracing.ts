/**
 * OpenTelemetry traces, off by default. `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, the standard variables) turns them on; then
 * {@link startTracing} loads the SDK (./tracing-sdk.ts, by a dynamic import: with tracing off not
 * one module of the SDK is required) and installs the hooks below. Until then, and always when off,
 * {@link traced} and {@link tracedCypher} just run their work: one null check.
 *
 * Callers (the one Cypher executor, the WebSocket adapter) call these and never import OpenTelemetry.
 */

import type { SpanAttributes, TracingHooks, TracingSdk } from "./tracing-hooks";

export type { SpanAttributes } from "./tracing-hooks";

let hooks: TracingHooks | null = null;

/** The environment variables that turn tracing on (OpenTelemetry's own names). */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === "true" || env.OTEL_TRACES_EXPORTER === "none") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Whether spans are being recorded in this process. */
export function tracingOn(): boolean {
  return hooks !== null;
}

/**
 * Starts tracing when the environment asks for it (a no-op otherwise, and when already started);
 * says whether it is on. Synchronous, and must run before the modules it instruments (node:http's
 * server, graphql, ioredis) are first required: OpenTelemetry patches a module as it is loaded, and
 * graphql's files are loaded once, by whatever imports graphql first (src/platform/errors.ts, for
 * one). So src/main/start.ts imports ./tracing-preload.ts before anything else.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (hooks) return true;
  if (!tracingRequested(env)) return false;
  // A require, not an import: loaded only when on (with tracing off, no module of the SDK is
  // required), and at once (an import() would let the modules to instrument load first).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require("./tracing-sdk.js") as TracingSdk;
  hooks = sdk.startSdk(serviceName, env);
  return true;
}

/** Exports the spans still buffered and stops tracing (the process is stopping); a no-op when off. */
export async function stopTracing(): Promise<void> {
  const stopping = hooks;
  hooks = null;
  await stopping?.shutdown();
}

/** Runs `work` in a span when tracing is on; otherwise just runs it. */
export function traced<T>(name: string, attributes: SpanAttributes, work: () => Promise<T>, kind: "internal" | "client" | "server" = "internal"): Promise<T> {
  return hooks ? hooks.span(name, attributes, work, kind) : work();
}

/**
 * Short, stable names of Cypher statements, by text: the first clause and first label (what a
 * person recognises in a trace) and a hash of the whole text (which tells two statements apart).
 * Statements are parameterised, so the text has no values; it is still not put in spans (it is
 * long, and repeated in every span of a busy trace): the name finds it with `grep` in src/graph.
 */
const statementNames = new Map<string, string>();

/** A statement's name for a span and its `db.query.summary`, e.g. "MATCH Customer #9c1e0f2a". */
export function statementName(cypher: string): string {
  let name = statementNames.get(cypher);
  if (name === undefined) {
    const text = cypher.replace(/\/\/[^\n]*/g, " ").trim();
    const clause = (/^[A-Za-z]+/.exec(text)?.[0] ?? "CYPHER").toUpperCase();
    const label = /:\s*`?([A-Z][A-Za-z0-9_]*)/.exec(text)?.[1];
    name = `${clause}${label ? ` ${label}` : ""} #${fnv1a(cypher)}`;
    // Statements are literals of src/graph (a few hundred); the cap only guards against a caller building texts.
    if (statementNames.size < 5_000) statementNames.set(cypher, name);
  }
  return name;
}

/** Runs one Cypher statement's round trip in a client span (db.system neo4j) when tracing is on. */
export function tracedCypher<T>(mode: "READ" | "WRITE", cypher: string, database: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!hooks) return work();
  const name = statementName(cypher);
  return hooks.span(
    `neo4j ${mode} ${name}`,
    {
      "db.system": "neo4j",
      "db.system.name": "neo4j",
      "db.operation.name": mode,
      "db.statement": name,
      "db.query.summary": name,
      ...(database ? { "db.namespace": database } : {}),
    },
    work,
    "client",
  );
}

/**
 * The active span's trace_id and span_id for a log line (pino mixin), or nothing when tracing is off
 * or no span is active. A new object each time: pino merges the line's own fields into it.
 */
export function traceLogFields(): Record<string, string> {
  return hooks?.logFields() ?? {};
}

/** 32-bit FNV-1a of a string, as 8 hex digits: a short, stable fingerprint (not a security hash). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
