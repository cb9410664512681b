import { readFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { mintToken } from "../../src/auth/tokens";
import { OPERATOR, TEST_AUTH_SECRET } from "../support/auth";
import { classifyHttp, classifyWs, requestText, type Outcome } from "./classify";
import { ATTACK_KINDS, CaseGenerator, type AttackKind, type AuthMode, type FuzzCase } from "./generate";
import { loadSchema, FAR_FUTURE, type FuzzTargets } from "./schema-walk";
import { GatewayInspector, INSPECTOR_LINES } from "./inspect";
import { httpAgent, runWs, sendHttp } from "./transport";

/**
 * The fuzz runner: sends the generated cases to a real gateway in another process with bounded
 * concurrency, classifies every answer (./classify.ts), watches the process (its memory, its
 * error log, whether it is still alive) and tallies what it saw per class, per operation and per
 * attack kind, with the first example of each kind of failure.
 */

export interface FuzzOptions {
  /** The gateway's GraphQL endpoint. */
  url: string;
  /** The gateway process (its RSS is read from /proc, its stdout and stderr scanned for errors). */
  gateway: ChildProcess;
  requests: number;
  seed: number;
  /** Requests in flight at once. */
  concurrency: number;
  skip?: ReadonlySet<AttackKind>;
  /** Only these case indexes (to replay a failure). */
  only?: readonly number[];
  targets: FuzzTargets;
  /** Per request; a case without an answer by then is a TIMEOUT failure. */
  timeoutMs?: number;
  /** Growth of the gateway's RSS over its size after warm-up that fails the run, MB. */
  rssBoundMb?: number;
  /** The gateway's inspector (started with --inspect): the heap after a full GC is measured before and after. */
  inspectorUrl?: string | null;
  /** Growth of the heap after a full GC that fails the run (a leak), MB. */
  heapBoundMb?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called with every case, its outcome and the start of its answer (`--trace`). */
  onCase?: (c: FuzzCase, outcome: Outcome, answer: string) => void;
}

export interface Example {
  index: number;
  attack: AttackKind;
  operation: string;
  summary: string;
  detail: string;
}

export interface FuzzReport {
  seed: number;
  total: number;
  durationMs: number;
  ok: number;
  clientErrors: number;
  failures: number;
  /** Outcome label → count ("OK", "BAD_USER_INPUT", "LEAK", …). */
  byClass: Map<string, number>;
  /** Operation → outcome kind → count. */
  byOperation: Map<string, Counts>;
  byAttack: Map<AttackKind, Counts>;
  /** Failure label → count and the first examples (up to three, of different attack kinds). */
  failureExamples: Map<string, { count: number; examples: Example[] }>;
  /** Lines the gateway logged at error level or above, or wrote to stderr, during the run. */
  gatewayErrors: { count: number; first: string[] };
  rss: { baselineMb: number; peakMb: number; finalMb: number; boundMb: number };
  /** The JavaScript heap in use right after a full GC, after warm-up and at the end (null: no inspector). */
  heap: { baselineMb: number; finalMb: number; boundMb: number } | null;
  /** The gateway process exited during the run. */
  gatewayDied: string | null;
  /** Checks that the graph and Redis are as they were (injected Cypher or Lua would change them). */
  canary: string | null;
  skipped: readonly AttackKind[];
}

export interface Counts {
  ok: number;
  client: number;
  failure: number;
}

/** Authorization header values per auth mode. */
export interface FuzzTokens {
  header(mode: AuthMode): string | null;
}

export async function makeTokens(operator: string): Promise<FuzzTokens> {
  const forged = await mintToken("a-secret-that-is-not-the-gateway-one-0123456789", OPERATOR, 3600);
  const expired = await mintToken(TEST_AUTH_SECRET, OPERATOR, -120);
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const algNone = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "intruder", roles: ["ADMIN", "MARKETER", "SERVICE"], exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
  const garbage = ["Bearer not.a.jwt", "Basic Zm9vOmJhcg==", "Bearer", "Bearer a b c", `Bearer ${"x".repeat(3000)}`, "bearer eyJ.eyJ.sig"];
  let g = 0;
  return {
    header(mode) {
      switch (mode) {
        case "operator":
          return `Bearer ${operator}`;
        case "none":
          return null;
        case "forged":
          return `Bearer ${forged}`;
        case "expired":
          return `Bearer ${expired}`;
        case "alg-none":
          return `Bearer ${algNone}`;
        case "garbage":
          return garbage[g++ % garbage.length] as string;
      }
    },
  };
}

/** A POST as the operator, for setting up and checking; throws on errors. */
async function call<T>(url: string, operator: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${operator}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`fuzz set-up: ${query.slice(0, 60)} failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * What the fuzzer may touch, made through the API: a segment that matches nobody for its
 * strategies, another it may change, an offer and a strategy valid only from 2090, and a decision
 * for one of `customerIds` to answer.
 */
export async function prepareTargets(url: string, operator: string, customerIds: readonly string[], runTag: string): Promise<FuzzTargets> {
  const { products } = await call<{ products: Array<{ id: string }> }>(url, operator, "{ products(kind: DATA_ADDON) { id } }");
  const productId = products[0]?.id ?? "P0000";
  const segment = async (suffix: string): Promise<string> =>
    (
      await call<{ createSegment: { id: string } }>(url, operator, "mutation ($input: SegmentInput!) { createSegment(input: $input) { id } }", {
        input: { code: `FUZZ_${runTag}_${suffix}`, name: `Fuzz ${suffix}`, expression: "arpu < 0" },
      })
    ).createSegment.id;
  const strategySegmentId = await segment("NOBODY");
  const segmentId = await segment("CHANGED");
  const { createOffer } = await call<{ createOffer: { id: string } }>(url, operator, "mutation ($input: OfferInput!) { createOffer(input: $input) { id } }", {
    input: { code: `OFF-FUZZ-${runTag}`, name: "Fuzz offer", productId, value: 1, validFrom: FAR_FUTURE, creatives: [{ channel: "APP", text: "fuzz" }] },
  });
  const { createStrategy } = await call<{ createStrategy: { id: string } }>(url, operator, "mutation ($input: StrategyInput!) { createStrategy(input: $input) { id } }", {
    input: {
      code: `FZ-FUZZ-${runTag}-999`,
      name: "Fuzz strategy",
      businessLine: "MOBILE",
      scenario: "RETENTION",
      segmentId: strategySegmentId,
      offerIds: [createOffer.id],
      channels: ["APP"],
      validFrom: FAR_FUTURE,
    },
  });
  let decisionId = "D-FUZZ-NONE";
  for (const channel of ["HOTLINE", "APP", "STORE"]) {
    const { nextBestOffers } = await call<{ nextBestOffers: Array<{ id: string }> }>(url, operator, "query ($c: ID!, $ch: ChannelCode!) { nextBestOffers(customerId: $c, channel: $ch) { id } }", {
      c: customerIds[0],
      ch: channel,
    });
    if (nextBestOffers[0]) {
      decisionId = nextBestOffers[0].id;
      break;
    }
  }
  return { customerIds, agentId: OPERATOR.agentId ?? "test-agent", regionId: "R3301", productId, segmentId, strategySegmentId, offerId: createOffer.id, strategyId: createStrategy.id, decisionId, runTag };
}

/** What must be the same after the run: the catalogue, a seeded customer, the fuzzer's own segment. */
async function canary(url: string, operator: string, targets: FuzzTargets): Promise<string> {
  const data = await call<{ channels: unknown[]; products: unknown[]; seeded: { id: string } | null; target: { id: string } | null; segments: Array<{ id: string }> }>(
    url,
    operator,
    "query ($t: ID!) { channels { code } products { id } seeded: customer(id: \"C0000001\") { id } target: customer(id: $t) { id } segments { id } }",
    { t: targets.customerIds[0] },
  );
  return JSON.stringify({
    channels: data.channels.length,
    products: data.products.length,
    seeded: data.seeded?.id ?? null,
    target: data.target?.id ?? null,
    segment: data.segments.some((s) => s.id === targets.strategySegmentId),
  });
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const emptyCounts = (): Counts => ({ ok: 0, client: 0, failure: 0 });

/** Runs the fuzz against the gateway at `opts.url`; resolves with the tallies (it does not throw on failures). */
export async function runFuzz(operator: string, opts: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const schema = loadSchema();
  const tokens = await makeTokens(operator);
  const generator = new CaseGenerator(schema, { seed: opts.seed, targets: opts.targets, skip: opts.skip });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const origin = new URL(opts.url);
  const agent = httpAgent(opts.concurrency);
  const pid = opts.gateway.pid;

  const report: FuzzReport = {
    seed: opts.seed,
    total: 0,
    durationMs: 0,
    ok: 0,
    clientErrors: 0,
    failures: 0,
    byClass: new Map(),
    byOperation: new Map(),
    byAttack: new Map(),
    failureExamples: new Map(),
    gatewayErrors: { count: 0, first: [] },
    rss: { baselineMb: 0, peakMb: 0, finalMb: 0, boundMb: opts.rssBoundMb ?? 300 },
    heap: null,
    gatewayDied: null,
    canary: null,
    skipped: [...(opts.skip ?? [])],
  };

  // The gateway's own account: error-level log lines (pino JSON on stdout) and anything on stderr.
  const onLog = (line: string, stderr: boolean): void => {
    let bad = stderr && line.trim().length > 0 && !INSPECTOR_LINES.test(line);
    if (!stderr) {
      try {
        bad = ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
      } catch {
        bad = false;
      }
    }
    if (!bad) return;
    report.gatewayErrors.count += 1;
    if (report.gatewayErrors.first.length < 5) report.gatewayErrors.first.push(line.slice(0, 1000));
  };
  // Plain 'data' listeners beside whoever else reads the pipes (readline's close would pause them).
  let watching = false;
  const lines = (stderr: boolean): ((chunk: Buffer) => void) => {
    let rest = "";
    return (chunk) => {
      const text = rest + chunk.toString("utf8");
      const parts = text.split("\n");
      rest = parts.pop() ?? "";
      if (watching) for (const line of parts) onLog(line, stderr);
    };
  };
  const onStdout = lines(false);
  const onStderr = lines(true);
  opts.gateway.stdout?.on("data", onStdout);
  opts.gateway.stderr?.on("data", onStderr);
  let died: (() => void) | null = null;
  const death = new Promise<void>((resolve) => (died = resolve));
  /** Cases sent and not yet answered, and cases that got no answer in time (the gateway may still be on them): the suspects when it dies. */
  const inFlight = new Set<FuzzCase>();
  const timedOut = new Set<FuzzCase>();
  const onExit = (code: number | null, signal: string | null): void => {
    const describe = (c: FuzzCase): string => `#${c.index} ${c.attack}: ${c.summary}`;
    const suspects = [...[...timedOut].map((c) => `${describe(c)} (timed out earlier)`), ...[...inFlight].map(describe)].slice(0, 6);
    report.gatewayDied = `the gateway exited (${code ?? signal}) during the run; suspects: ${suspects.length ? suspects.join("; ") : "none in flight"}`;
    died?.();
  };
  opts.gateway.once("exit", onExit);

  const before = await canary(opts.url, operator, opts.targets);
  watching = true;
  const indexes = opts.only ?? Array.from({ length: opts.requests }, (_, i) => i);
  // The baseline is taken after a warm-up (one case of every kind), so what is measured is growth
  // with volume, not the first allocation of caches, compiled code and connection pools.
  const warmUp = opts.only ? 0 : Math.min(indexes.length, ATTACK_KINDS.length);
  const inspector = opts.inspectorUrl ? await GatewayInspector.connect(opts.inspectorUrl) : null;
  let sampler: NodeJS.Timeout | undefined;
  /** The heap after a full GC, or null when the gateway is gone or too busy to say within a minute. */
  const heapNow = async (): Promise<number | null> => {
    if (!inspector || report.gatewayDied) return null;
    return Promise.race([inspector.heapAfterGc().then((h) => h.heapUsedMb), death.then(() => null)]).catch(() => null);
  };
  const startSampling = async (): Promise<void> => {
    const heap = await heapNow();
    if (heap !== null) report.heap = { baselineMb: heap, finalMb: 0, boundMb: opts.heapBoundMb ?? 100 };
    report.rss.baselineMb = rssMb(pid);
    report.rss.peakMb = report.rss.baselineMb;
    sampler = setInterval(() => {
      report.rss.peakMb = Math.max(report.rss.peakMb, rssMb(pid));
    }, 200);
  };
  if (warmUp === 0) await startSampling();
  let next = 0;
  /** Cases are taken in order up to `until` (the warm-up, then the rest). */
  let until = warmUp > 0 ? warmUp : indexes.length;
  const record = (c: FuzzCase, outcome: Outcome): void => {
    report.total += 1;
    report.byClass.set(outcome.label, (report.byClass.get(outcome.label) ?? 0) + 1);
    const op = report.byOperation.get(c.operation) ?? emptyCounts();
    const at = report.byAttack.get(c.attack) ?? emptyCounts();
    const kind = outcome.kind === "client" ? "client" : outcome.kind;
    op[kind] += 1;
    at[kind] += 1;
    report.byOperation.set(c.operation, op);
    report.byAttack.set(c.attack, at);
    if (outcome.kind === "ok") report.ok += 1;
    else if (outcome.kind === "client") report.clientErrors += 1;
    else {
      report.failures += 1;
      const seen = report.failureExamples.get(outcome.label) ?? { count: 0, examples: [] };
      seen.count += 1;
      if (seen.examples.length < 3 && !seen.examples.some((e) => e.attack === c.attack)) {
        seen.examples.push({ index: c.index, attack: c.attack, operation: c.operation, summary: c.summary, detail: outcome.detail });
      }
      report.failureExamples.set(outcome.label, seen);
    }
    opts.onProgress?.(report.total, indexes.length);
  };

  const worker = async (): Promise<void> => {
    while (next < until && !report.gatewayDied) {
      const c = generator.make(indexes[next++] as number);
      const text = requestText(c);
      inFlight.add(c);
      let outcome: Outcome;
      if (c.transport === "http") {
        const result = await Promise.race([sendHttp(origin, c, tokens.header(c.auth), agent, timeoutMs), death.then(() => null)]);
        if (!result) break;
        outcome = classifyHttp(c, text, result);
        opts.onCase?.(c, outcome, `${result.ms.toFixed(0)} ms, gateway RSS ${rssMb(pid).toFixed(0)} MB: ${"error" in result ? result.error : `${result.status} ${result.body.subarray(0, 600).toString("utf8")}`}`);
      } else {
        const header = c.auth === "skip" ? null : tokens.header(c.auth);
        const init = c.initPayload !== undefined ? c.initPayload : header ? { authorization: header } : {};
        const result = await Promise.race([runWs(opts.url, c, init, timeoutMs), death.then(() => null)]);
        if (!result) break;
        outcome = classifyWs(c, text, result);
        opts.onCase?.(c, outcome, `${result.ms.toFixed(0)} ms, gateway RSS ${rssMb(pid).toFixed(0)} MB: ${result.texts.map((t) => t.slice(0, 300)).join(" | ")}${result.serverClose ? ` | closed ${result.serverClose.code} ${result.serverClose.reason}` : ""}`);
      }
      inFlight.delete(c);
      if (outcome.kind === "failure" && (outcome.label === "TIMEOUT" || outcome.label === "NO_ANSWER")) timedOut.add(c);
      record(c, outcome);
    }
  };
  try {
    if (warmUp > 0) {
      await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
      await startSampling();
      until = indexes.length;
    }
    await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  } finally {
    clearInterval(sampler);
    agent.destroy();
  }
  report.rss.peakMb = Math.max(report.rss.peakMb, rssMb(pid));
  report.rss.finalMb = rssMb(pid);
  if (report.heap) {
    const heap = await heapNow();
    if (heap === null) report.heap = null;
    else report.heap.finalMb = heap;
  }
  inspector?.close();
  if (!report.gatewayDied) {
    const after = await canary(opts.url, operator, opts.targets).catch((error: unknown) => `canary failed: ${(error as Error).message}`);
    if (after !== before) report.canary = `before the run: ${before}; after: ${after}`;
  }
  // Lines logged while the last answers went out are still in the pipe: give them a moment.
  await new Promise((resolve) => setImmediate(resolve));
  watching = false;
  opts.gateway.stdout?.off("data", onStdout);
  opts.gateway.stderr?.off("data", onStderr);
  opts.gateway.off("exit", onExit);
  report.durationMs = performance.now() - started;
  return report;
}

/** True when the run found nothing wrong: no failed case, no error logged, memory in bounds, the gateway alive, the data intact. */
export function passed(report: FuzzReport): boolean {
  return (
    report.failures === 0 &&
    report.gatewayErrors.count === 0 &&
    !report.gatewayDied &&
    !report.canary &&
    report.rss.peakMb - report.rss.baselineMb <= report.rss.boundMb &&
    (!report.heap || report.heap.finalMb - report.heap.baselineMb <= report.heap.boundMb)
  );
}
