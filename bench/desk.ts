import { chromium, type Page } from "playwright-core";
import { bearer } from "./auth";
import type { ChildServer } from "./children";
import { gql, openPolicy, startRealtimeGateway } from "./realtime";
import { customerId } from "./dataset";

/**
 * The desk pop, measured in a real browser: a HOTLINE_CALL_START event for an agent goes in, and
 * the time is taken when /desk has painted that caller (the page stamps `window.__deskShown[eventId]`
 * in the frame after React committed the caller; web/desk/Desk.tsx). Shared by the browser test
 * (one call, judged against the 1 s target) and `npm run bench -- --only desk` (50 calls, p50/p99).
 */

/** A call event as ingestEvents takes it. */
export interface DeskCallEvent {
  id: string;
  customerId: string;
  type: "HOTLINE_CALL_START";
  payload: { agentId: string; callId: string };
}

/** Latencies (ms, event sent → caller painted) and their summary. */
export interface DeskPops {
  latencies: number[];
  p50: number;
  p99: number;
  max: number;
}

/** The q-quantile (nearest rank) of ascending `sorted`; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Sends one call per customer, one after another (each waits until its caller is painted), with
 * `send` (the caller's ingest), and times each from sending to the paint the page stamped.
 * The page must be /desk, signed in as `agentId`'s agent, with its deskFeed subscription open.
 */
export async function measureDeskPops(
  page: Page,
  opts: { agentId: string; customers: readonly string[]; send(event: DeskCallEvent): Promise<void>; eventId(i: number): string; timeoutMs?: number },
): Promise<DeskPops> {
  const latencies: number[] = [];
  for (const [i, customer] of opts.customers.entries()) {
    const id = opts.eventId(i);
    const sent = Date.now();
    await opts.send({ id, customerId: customer, type: "HOTLINE_CALL_START", payload: { agentId: opts.agentId, callId: `POP-${i}` } });
    await page.locator(`[data-testid=caller][data-event-id="${id}"]`).waitFor({ timeout: opts.timeoutMs ?? 5_000 });
    const shown = await page.waitForFunction((eventId) => (globalThis as { __deskShown?: Record<string, number> }).__deskShown?.[eventId], id).then((h) => h.jsonValue() as Promise<number>);
    latencies.push(shown - sent);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { latencies, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN };
}

export interface DeskScenarioContext {
  neo4jEnv: Record<string, string>;
  redisUrl: string;
  /** Calls measured (after one unmeasured call that warms the gateway's caches). */
  calls: number;
  say: (line: string) => void;
}

export interface DeskRun extends DeskPops {
  calls: number;
}

/**
 * `--only desk`: a gateway process, Chromium (Debian's, or CHROMIUM_PATH) on its /desk signed in
 * as the bench's agent, then `calls` HOTLINE_CALL_START events for customers C0000101… sent by the
 * bench's event feed, one at a time, each timed to the caller painted.
 */
export async function runDeskScenario(ctx: DeskScenarioContext): Promise<DeskRun> {
  const prefix = `benchdesk:${Date.now().toString(36)}:`;
  const gateway = await startRealtimeGateway(ctx, prefix, { WARMUP: "on" });
  // --no-sandbox: CI runs as root, where chromium refuses its sandbox.
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  try {
    await openPolicy(gateway);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, locale: "zh-CN" });
    const origin = new URL(gateway.url).origin;
    await page.goto(`${origin}/desk`);
    await page.getByTestId("token").fill(bearer("AGENT").authorization.replace(/^Bearer /, ""));
    await page.getByTestId("signin").click();
    await page.getByTestId("waiting").waitFor();
    await subscribed(gateway);
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const send = async (event: DeskCallEvent): Promise<void> => {
      await gql(gateway, `mutation ($events: [EventInput!]!) { ingestEvents(events: $events) { accepted } }`, { events: [event] });
    };
    // The bench's AGENT token is agent "bench" (bench/auth.ts).
    const agentId = "bench";
    await measureDeskPops(page, { agentId, customers: [customerId(100)], send, eventId: () => `desk-warm-${run}`, timeoutMs: 30_000 });
    const customers = Array.from({ length: ctx.calls }, (_, i) => customerId(101 + i));
    const pops = await measureDeskPops(page, { agentId, customers, send, eventId: (i) => `desk-${run}-${i}` });
    ctx.say(`desk: ${ctx.calls} calls, event → caller painted p50 ${pops.p50} ms, p99 ${pops.p99} ms, max ${pops.max} ms`);
    return { ...pops, calls: ctx.calls };
  } finally {
    await browser.close();
    await gateway.stop();
  }
}

/** Until the page's deskFeed subscription is open on the gateway (graphql-ws does not acknowledge a subscribe). */
async function subscribed(gateway: ChildServer): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const { eventPipeline } = await gql<{ eventPipeline: { openSubscriptions: number } }>(gateway, `{ eventPipeline { openSubscriptions } }`, {}, "ADMIN");
    if (eventPipeline.openSubscriptions >= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the desk's subscription did not open within 30 s");
}
