/** Attributes of a span: OpenTelemetry's scalar values. */
export type SpanAttributes = Record<string, string | number | boolean>;

/** What the SDK module (./tracing-sdk.ts) installs in ./tracing.ts when tracing is on. */
export interface TracingHooks {
  /** Runs `work` inside a new span (a child of the active one) named `name`; the span ends when `work` settles, marked failed when it throws. */
  span<T>(name: string, attributes: SpanAttributes, work: () => Promise<T>, kind?: "internal" | "client" | "server"): Promise<T>;
  /** The active span's ids for a log line, or undefined when none is active. */
  logFields(): { trace_id: string; span_id: string } | undefined;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** What ./tracing-sdk.ts exports (it is required by name, so its type is stated here). */
export interface TracingSdk {
  startSdk(serviceName: string, env: NodeJS.ProcessEnv): TracingHooks;
}
