import { readFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { ROLES, type Role } from "../../src/auth/principal";
import { DEFAULT_RATE_LIMITS } from "../../src/auth/rate-limits";
import { mintToken, type TokenClaims } from "../../src/auth/tokens";
import { OPERATOR, TEST_AUTH_SECRET } from "../support/auth";
import { classifyHttp, classifyWs, requestText, worstOutcome, type Outcome } from "./classify";
import { ATTACK_KINDS, CaseGenerator, ROLE_MODES, type AttackKind, type AuthMode, type FuzzCase } from "./generate";
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
  /** Who the case claimed to be (its AuthMode; "(none)" for cases that send no token at all) → outcome kind → count. */
  byAuth: Map<string, Counts>;
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

/**
 * The environment of the gateway under fuzz. Rate limits stay on (in Redis, as in production).
 * Every role's budgets are ten times the default, so that a run at full speed reaches the
 * resolvers rather than the limiter, except APP's: a phone's budget, which the app cases fit in
 * and the rate-flood cases (an app principal of their own) spend, to meet RATE_LIMITED (429 and
 * Retry-After): a client answer like any other, so the limiter's answers are fuzzed too.
 * Budgets that are zero (MARKETER and APPROVER make no decisions) stay zero: that is the matrix's
 * meaning, not a rate. The deadline is the gateway's default (REQUEST_TIMEOUT_MS, 10 s) for `npm
 * run fuzz`; test gateways get 60 s (test/support/process-gateway.ts).
 */
export const FUZZ_GATEWAY_ENV: Readonly<Record<string, string>> = {
  RATE_LIMITS: (Object.entries(DEFAULT_RATE_LIMITS) as Array<[Role, { reads: number; decisions: number; mutations: number }]>)
    .map(([role, b]) => {
      const k = role === "APP" ? 1 : 10;
      return `${role}=${b.reads * k}/${b.decisions * k}/${b.mutations * k}`;
    })
    .join(","),
};

/** The single-role principals the cases act as, besides the all-roles operator: subjects of their own, so each has its own budgets. */
function roleClaims(mode: (typeof ROLE_MODES)[number], targets: FuzzTargets): TokenClaims {
  const role = mode.toUpperCase() as Role;
  const base: TokenClaims = { sub: `fuzz:${mode}`, roles: [role], regions: OPERATOR.regions ?? [] };
  if (role === "AGENT") return { ...base, agentId: targets.agentId };
  // The app is one customer's phone: the first of the fuzzer's customers.
  if (role === "APP") return { ...base, customerId: targets.customerIds[0] ?? "C0000001" };
  return base;
}

/** Authorization header values per auth mode. */
export interface FuzzTokens {
  header(mode: AuthMode): string | null;
}

export async function makeTokens(operator: string, targets: FuzzTargets): Promise<FuzzTokens> {
  const roles = new Map(await Promise.all(ROLE_MODES.map(async (mode) => [mode, await mintToken(TEST_AUTH_SECRET, roleClaims(mode, targets), 3600)] as const)));
  const flood = await mintToken(TEST_AUTH_SECRET, { ...roleClaims("app", targets), sub: "fuzz:app-flood" }, 3600);
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
        case "agent":
        case "app":
        case "marketer":
        case "approver":
        case "service":
        case "admin":
          return `Bearer ${roles.get(mode) as string}`;
        case "flood":
          return `Bearer ${flood}`;
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

/** A POST as `token`, for setting up and checking; throws on errors. */
async function call<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`fuzz set-up: ${query.slice(0, 60)} failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * The set-up's own principals: subjects the cases never act as, so the cases' rate-limit budgets
 * cannot hold up the set-up and the canary. The maker proposes (and holds every role, to read and
 * decide); the checker approves, as maker-checker requires of a different subject.
 */
async function setupTokens(): Promise<{ maker: string; checker: string }> {
  return {
    maker: await mintToken(TEST_AUTH_SECRET, { ...OPERATOR, sub: "fuzz:setup", roles: [...ROLES] }, 12 * 3600),
    checker: await mintToken(TEST_AUTH_SECRET, { sub: "fuzz:checker", roles: ["APPROVER", "ADMIN"], regions: OPERATOR.regions ?? [] }, 12 * 3600),
  };
}

/**
 * What the fuzzer may touch, made through the API (proposed by the set-up's maker and approved by
 * its checker): a segment that matches nobody for its strategies, another it may change, an offer
 * and a strategy valid only from 2090, a decision for one of `customerIds` to answer, and a
 * proposal left pending for approveChange, rejectChange and withdrawChange to aim at.
 */
export async function prepareTargets(url: string, customerIds: readonly string[], runTag: string): Promise<FuzzTargets> {
  const { maker, checker } = await setupTokens();
  const propose = async <K extends string>(field: K, mutation: string, input: Record<string, unknown>, approve = true): Promise<{ id: string; changeId: string }> => {
    const data = await call<Record<K, { id: string; pendingChange: { id: string } | null }>>(url, maker, mutation, { input });
    const proposed = data[field];
    if (!proposed.pendingChange) throw new Error(`fuzz set-up: ${field} proposed no change`);
    if (approve) await call(url, checker, "mutation ($id: ID!) { approveChange(id: $id) { status } }", { id: proposed.pendingChange.id });
    return { id: proposed.id, changeId: proposed.pendingChange.id };
  };
  const { products } = await call<{ products: Array<{ id: string }> }>(url, maker, "{ products(kind: DATA_ADDON) { id } }");
  const productId = products[0]?.id ?? "P0000";
  const segment = async (suffix: string, approve = true): Promise<{ id: string; changeId: string }> =>
    propose("createSegment", "mutation ($input: SegmentInput!) { createSegment(input: $input) { id pendingChange { id } } }", { code: `FUZZ_${runTag}_${suffix}`, name: `Fuzz ${suffix}`, expression: "arpu < 0" }, approve);
  const strategySegmentId = (await segment("NOBODY")).id;
  const segmentId = (await segment("CHANGED")).id;
  const offer = await propose("createOffer", "mutation ($input: OfferInput!) { createOffer(input: $input) { id pendingChange { id } } }", {
    code: `OFF-FUZZ-${runTag}`,
    name: "Fuzz offer",
    productId,
    value: 1,
    validFrom: FAR_FUTURE,
    creatives: [{ channel: "APP", text: "fuzz" }],
  });
  const strategy = await propose("createStrategy", "mutation ($input: StrategyInput!) { createStrategy(input: $input) { id pendingChange { id } } }", {
    code: `FZ-FUZZ-${runTag}-999`,
    name: "Fuzz strategy",
    businessLine: "MOBILE",
    scenario: "RETENTION",
    segmentId: strategySegmentId,
    offerIds: [offer.id],
    channels: ["APP"],
    validFrom: FAR_FUTURE,
  });
  const { changeId } = await segment("PENDING", false);
  let decisionId = "D-FUZZ-NONE";
  for (const channel of ["HOTLINE", "APP", "STORE"]) {
    const { nextBestOffers } = await call<{ nextBestOffers: Array<{ id: string }> }>(url, maker, "query ($c: ID!, $ch: ChannelCode!) { nextBestOffers(customerId: $c, channel: $ch) { id } }", {
      c: customerIds[0],
      ch: channel,
    });
    if (nextBestOffers[0]) {
      decisionId = nextBestOffers[0].id;
      break;
    }
  }
  return {
    customerIds,
    agentId: OPERATOR.agentId ?? "test-agent",
    regionId: "R3301",
    productId,
    segmentId,
    strategySegmentId,
    offerId: offer.id,
    strategyId: strategy.id,
    decisionId,
    changeId,
    runTag,
  };
}

/** What must be the same after the run: the catalogue, a seeded customer, the fuzzer's own segment. */
async function canary(url: string, targets: FuzzTargets): Promise<string> {
  const { maker } = await setupTokens();
  const data = await call<{ channels: unknown[]; products: unknown[]; seeded: { id: string } | null; target: { id: string } | null; segments: Array<{ id: string }> }>(
    url,
    maker,
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
  const tokens = await makeTokens(operator, opts.targets);
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
    byAuth: new Map(),
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

  const before = await canary(opts.url, opts.targets);
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
    const who = c.auth === "skip" ? "(none)" : c.auth;
    const by = report.byAuth.get(who) ?? emptyCounts();
    const kind = outcome.kind === "client" ? "client" : outcome.kind;
    op[kind] += 1;
    at[kind] += 1;
    by[kind] += 1;
    report.byOperation.set(c.operation, op);
    report.byAttack.set(c.attack, at);
    report.byAuth.set(who, by);
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
        const sends = Array.from({ length: c.repeat ?? 1 }, () => sendHttp(origin, c, tokens.header(c.auth), agent, timeoutMs));
        const results = await Promise.race([Promise.all(sends), death.then(() => null)]);
        if (!results) break;
        outcome = worstOutcome(results.map((r) => classifyHttp(c, text, r)));
        const result = results.find((r) => "error" in r || r.status >= 400) ?? (results[0] as (typeof results)[number]);
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
    const after = await canary(opts.url, opts.targets).catch((error: unknown) => `canary failed: ${(error as Error).message}`);
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
