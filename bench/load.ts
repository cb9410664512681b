import autocannon from "autocannon";

/** One side under load: where to send, what to send for a customer, how to judge the answer. */
export interface LoadTarget {
  name: string;
  url: string;
  /** The JSON request body asking for customer `id`. */
  body(id: string): string;
  /**
   * Null when the response is a success for customer `id`, else a short reason. Runs on every
   * response inside the load generator, so it must be cheap (string tests, no JSON parse).
   */
  check(status: number, body: string, id: string): string | null;
  /** Extra request headers (our gateway's bearer token). */
  headers?: Record<string, string>;
  /** A response header holding a per-request count to average (our `x-bolt-round-trips`). */
  countHeader?: string;
  /**
   * A count read off each successful body to average (the placements a decision returned). Runs
   * on every response, so it must be cheap like `check`.
   */
  bodyCount?(body: string): number;
}

/** What one measured run produced. */
export interface LoadResult {
  target: string;
  durationS: number;
  /** Responses that passed `check`. */
  ok: number;
  /** Failed checks, connection errors and timeouts. */
  failures: number;
  /** Failure reasons with their counts, most frequent first. */
  failureReasons: Array<[reason: string, count: number]>;
  requestsPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Every successful response's latency, ascending (kept so slices of a run can be merged). */
  latenciesMs: number[];
  /** Mean of `countHeader` over the successful responses that carried it, or null. */
  countMean: number | null;
  countSamples: number;
  /** Mean of `bodyCount` over the successful responses, or null without one. */
  bodyCountMean: number | null;
  /** Successful responses whose `bodyCount` was 0 (a decision that placed nothing). */
  bodyCountZero: number;
}

interface RequestContext {
  id?: string;
}

/**
 * Drives `target` with `concurrency` keep-alive connections, one request in flight each, for
 * `durationS` seconds. Each request asks for the customer `nextId()` returns. Latencies are the
 * exact per-response times autocannon reports in its `response` event (its own histogram keeps
 * whole milliseconds only, too coarse for a p50 of a few ms).
 */
export function runLoad(target: LoadTarget, opts: { concurrency: number; durationS: number; nextId: () => string }): Promise<LoadResult> {
  const url = new URL(target.url);
  const latencies: number[] = [];
  const reasons = new Map<string, number>();
  let ok = 0;
  let countSum = 0;
  let countSamples = 0;
  let bodyCountSum = 0;
  let bodyCountZero = 0;
  const fail = (reason: string): void => {
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };

  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.origin,
        connections: opts.concurrency,
        pipelining: 1,
        duration: opts.durationS,
        timeout: 10,
        requests: [
          {
            method: "POST",
            path: url.pathname,
            headers: { "content-type": "application/json", accept: "application/json", ...target.headers },
            setupRequest: (request, context) => {
              // The context lives with the connection until its next request, so onResponse
              // below can tell which customer this answer was meant to be about.
              const id = opts.nextId();
              (context as RequestContext).id = id;
              return { ...request, body: target.body(id) };
            },
            onResponse: (status, body, context, headers) => {
              const id = (context as RequestContext).id ?? "";
              const problem = target.check(status, body, id);
              if (problem) {
                fail(problem);
                return;
              }
              ok += 1;
              if (target.bodyCount) {
                const n = target.bodyCount(body);
                bodyCountSum += n;
                if (n === 0) bodyCountZero += 1;
              }
              if (target.countHeader) {
                const raw = headers?.[target.countHeader];
                const n = typeof raw === "string" ? Number(raw) : NaN;
                if (Number.isFinite(n)) {
                  countSum += n;
                  countSamples += 1;
                }
              }
            },
          },
        ],
      },
      (error: unknown, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        // Connection errors and timeouts never reach onResponse; autocannon only counts them.
        if (result.errors > 0) reasons.set(`connection error or timeout (${result.timeouts} timeouts)`, result.errors);
        latencies.sort((a, b) => a - b);
        const failures = [...reasons.values()].reduce((sum, n) => sum + n, 0);
        resolve({
          target: target.name,
          durationS: result.duration,
          ok,
          failures,
          failureReasons: [...reasons.entries()].sort((a, b) => b[1] - a[1]),
          requestsPerS: result.duration > 0 ? ok / result.duration : 0,
          latencyMs: summarise(latencies),
          latenciesMs: latencies,
          countMean: countSamples > 0 ? countSum / countSamples : null,
          countSamples,
          bodyCountMean: target.bodyCount && ok > 0 ? bodyCountSum / ok : null,
          bodyCountZero,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode === 200) latencies.push(responseTime);
    });
  });
}

/** One result from several runs on the same target (the slices of an interleaved measurement). */
export function mergeLoadResults(results: readonly LoadResult[]): LoadResult {
  const first = results[0];
  if (!first) throw new Error("mergeLoadResults needs at least one result");
  const reasons = new Map<string, number>();
  for (const r of results) for (const [reason, n] of r.failureReasons) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
  const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const durationS = results.reduce((sum, r) => sum + r.durationS, 0);
  const ok = results.reduce((sum, r) => sum + r.ok, 0);
  const countSamples = results.reduce((sum, r) => sum + r.countSamples, 0);
  const countSum = results.reduce((sum, r) => sum + (r.countMean ?? 0) * r.countSamples, 0);
  const withBodyCount = results.filter((r) => r.bodyCountMean !== null);
  const bodyCountOk = withBodyCount.reduce((sum, r) => sum + r.ok, 0);
  return {
    target: first.target,
    durationS,
    ok,
    failures: results.reduce((sum, r) => sum + r.failures, 0),
    failureReasons: [...reasons.entries()].sort((a, b) => b[1] - a[1]),
    requestsPerS: durationS > 0 ? ok / durationS : 0,
    latencyMs: summarise(latencies),
    latenciesMs: latencies,
    countMean: countSamples > 0 ? countSum / countSamples : null,
    countSamples,
    bodyCountMean: bodyCountOk > 0 ? withBodyCount.reduce((sum, r) => sum + (r.bodyCountMean ?? 0) * r.ok, 0) / bodyCountOk : null,
    bodyCountZero: results.reduce((sum, r) => sum + r.bodyCountZero, 0),
  };
}

function summarise(sorted: readonly number[]): LoadResult["latencyMs"] {
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}
