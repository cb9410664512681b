import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROLES, EVENT_PROCESSOR, type Principal } from "../auth/principal";
import { MANIFEST_PATH, type PersistedDocumentManifest } from "../auth/trusted-documents";
import { firstCustomer } from "../graph/customer";
import type { Logger } from "../platform/logger";
import { PROJECT_ROOT } from "../platform/paths";
import type { RunningGateway } from "../server/server";
import { createContext, type Services } from "../server/context";
import type { ChannelCode } from "../domain/vocabulary";
import type { RawEvent } from "../realtime/event-input";

/**
 * The start-up warm-up (issue 13, "no cold first answers"). A fresh process answers its first
 * requests and events in seconds, not milliseconds: Neo4j has no plans for our statements yet and
 * V8 runs our code in its interpreter. Before /readyz turns ready, this runs the hot paths once or
 * a few times against a real customer (the one with the lowest `idx`):
 *
 * - the front lines' read-only documents through Apollo (UnifiedView, UnifiedViewBatch,
 *   Trajectory, Catalogue): parse, validation, admission, resolvers and the unified view's
 *   loaders (customer with profile, circle, contact page, related products);
 * - every other trusted document (subscriptions, mutations, nextBestOffers) parsed and validated
 *   as the WebSocket path does: these write, so they are not run;
 * - nextBestOffers' decision (inputs, policy screen, scoring, explanation) with the contact policy's
 *   rehearsal view (no caps spent) and its write in a transaction that is rolled back;
 * - the real-time path for a few event types (check, triggers, decisions, push drafts encoded as
 *   published, each push rendered by its subscription documents as a socket would), nothing
 *   queued, published, recorded or written.
 *
 * It writes nothing that stays (no Decision, Contact or trajectory entry, no audit entry, no
 * contact-policy count, no call). It is an optimisation: a failing step logs a warning and the
 * gateway turns ready all the same; past its budget (WARMUP_MS) it stops waiting and turns ready.
 */

/** What the warm-up is told at start. */
export interface WarmUpOptions {
  /** Most it may hold readiness back; steps not started by then are skipped. */
  budgetMs: number;
  /** Rounds of the hot paths (the first plans; the next ones give V8's JIT the calls it tiers up on). */
  rounds?: number;
  /** The customer to warm with (tests point it at a missing one); default: the lowest `idx`. */
  customerId?: string;
  /** Awaited before anything runs (tests hold the warm-up open to watch /readyz say "warming"). */
  gate?: () => Promise<void>;
}

/** What one warm-up did, for its log line. */
export interface WarmUpReport {
  ms: number;
  customerId: string | null;
  rounds: number;
  /** Step names, in order of the first round. */
  ran: string[];
  failed: number;
  /** Decisions made and rolled back (nextBestOffers' and the events'): the write path ran this often. */
  decisions: number;
  /** Pushes the rehearsed events made, each rendered by its subscription documents. */
  pushes: number;
  /** Stopped at its budget before every step ran. */
  cutShort: boolean;
}

/**
 * Who the GraphQL rehearsals run as: every role (so the permission matrix admits each front-line
 * query), every customer, nobody unmasked. No token names it; its reads are not audited.
 */
const WARM_UP: Principal = Object.freeze({ id: "system:warm-up", roles: new Set(ROLES), regions: [], agentId: null, teams: [], customerId: null, expiresAt: null, permissions: new Set<string>() });

/** Front-line documents that read only: run whole. */
const EXECUTED: Record<string, (c: { id: string }) => Record<string, unknown>> = {
  UnifiedView: (c) => ({ id: c.id }),
  UnifiedViewBatch: (c) => ({ ids: [c.id] }),
  Trajectory: (c) => ({ id: c.id, first: 20 }),
  Catalogue: () => ({}),
};

/** Channels nextBestOffers is asked for most: the app (pull) and the hotline desk. */
const DECISION_CHANNELS: readonly ChannelCode[] = ["APP", "HOTLINE"];

/** Events rehearsed: a usage trigger, a login trigger (pushes) and a call connecting (the desk). */
function rehearsalEvents(customerId: string, round: number): RawEvent[] {
  const at = new Date().toISOString();
  const id = (type: string): string => `warm-up-${process.pid}-${round}-${type}`;
  return [
    { id: id("data"), customerId, type: "DATA_USAGE", at, payload: { percent: 95 } },
    { id: id("login"), customerId, type: "APP_LOGIN", at, payload: { channel: "APP" } },
    { id: id("call"), customerId, type: "HOTLINE_CALL_START", at, payload: { agentId: "system:warm-up", callId: id("call") } },
  ];
}

/** A warm-up under way: its report, and the end of its work. */
export interface WarmUp {
  /** Settles at the end of the work, at the budget or on abort, whichever comes first; never rejects. */
  report: Promise<WarmUpReport>;
  /**
   * Settles when no step of it runs any more: at once after the work, or once the step in flight at
   * the budget or the abort has settled (no new step starts then). A close awaits this before it
   * closes the connections a step uses, so no warm-up statement interleaves with the shutdown.
   */
  settled: Promise<void>;
}

/** Starts the warm-up within its budget; never throws (a failure is a warning, the gateway turns ready regardless). */
export function warmUp(services: Services, gateway: RunningGateway, log: Logger, options: WarmUpOptions, signal?: AbortSignal): WarmUp {
  const started = performance.now();
  const deadline = Date.now() + options.budgetMs;
  const report: WarmUpReport = { ms: 0, customerId: null, rounds: 0, ran: [], failed: 0, decisions: 0, pushes: 0, cutShort: false };
  let budget: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<"budget">((resolve) => {
    budget = setTimeout(() => resolve("budget"), options.budgetMs);
  });
  /** Work left undone because the budget ran out: the budget timer and the work's own checks race, so the report asks both. */
  let skipped = false;
  const stopped = (): boolean => {
    const stop = signal?.aborted === true || Date.now() >= deadline;
    if (stop) skipped = true;
    return stop;
  };
  const aborted = new Promise<"aborted">((resolve) => {
    if (signal?.aborted) resolve("aborted");
    signal?.addEventListener("abort", () => resolve("aborted"), { once: true });
  });

  /** One step: skipped past the budget, its failure logged and counted. */
  const step = async (name: string, run: () => Promise<unknown>): Promise<void> => {
    if (stopped()) return;
    if (report.rounds === 1) report.ran.push(name);
    try {
      await run();
    } catch (error) {
      report.failed += 1;
      if (!signal?.aborted) log.warn({ step: name, err: error instanceof Error ? error.message : String(error) }, "warm-up step failed; the gateway turns ready all the same");
    }
  };

  const work = async (): Promise<void> => {
    // A gate that never opens must not keep the work pending past a close or the budget.
    if (options.gate) await Promise.race([options.gate(), aborted, outOfTime]);
    if (stopped()) return;
    const documents = manifest(log);
    let customer: { id: string } | null = null;
    try {
      customer = options.customerId ? { id: options.customerId } : await firstCustomer(services.graph.session());
    } catch (error) {
      report.failed += 1;
      log.warn({ err: error instanceof Error ? error.message : String(error) }, "warm-up could not pick a customer; it warms what needs none");
    }
    report.customerId = customer?.id ?? null;
    const rounds = options.rounds ?? 3;
    for (let round = 1; round <= rounds && !stopped(); round++) {
      report.rounds = round;
      for (const doc of documents) {
        const variables = EXECUTED[doc.name];
        if (variables && (customer || doc.name === "Catalogue")) {
          await step(`graphql ${doc.name}`, async () => {
            const errors = await gateway.rehearse(doc.body, variables(customer ?? { id: "" }), WARM_UP);
            if (errors.length > 0) throw new Error(`${doc.name} answered with errors: ${errors.join("; ")}`);
          });
        } else if (round === 1) {
          // Parsed and validated once: no plan or loader behind them.
          await step(`check ${doc.name}`, async () => {
            const errors = gateway.check(doc.body);
            if (errors.length > 0) throw new Error(`${doc.name} does not validate: ${errors.join("; ")}`);
          });
        }
      }
      if (!customer) continue;
      const id = customer.id;
      for (const channel of DECISION_CHANNELS) {
        await step(`decide ${channel}`, async () => {
          report.decisions += (await services.decisioning.rehearse(createContext(services, WARM_UP), { customerId: id, channel, limit: 3 })).length;
        });
      }
      // One scope for the round's events, as the consumer opens one per batch.
      const scope = createContext(services, EVENT_PROCESSOR);
      for (const event of rehearsalEvents(id, round)) {
        await step(`event ${String(event.type)}`, async () => {
          const { pushes, decisions } = await services.realtime.rehearse(scope, event);
          report.decisions += decisions;
          report.pushes += pushes.length;
          // Each push rendered as its subscribers' sockets would render it.
          for (const push of pushes) {
            const feeds = push.kind === "desk" ? [["DeskFeed", { agentId: push.agentId }] as const] : [["LiveOffers", { customerId: push.customerId }] as const, ["OfferFeed", {}] as const];
            for (const [name, variables] of feeds) {
              const doc = documents.find((d) => d.name === name);
              if (!doc) continue;
              const errors = await gateway.rehearsePush(doc.body, variables, push, WARM_UP);
              if (errors.length > 0) throw new Error(`${name} rendered a push with errors: ${errors.join("; ")}`);
            }
          }
        });
      }
    }
  };

  // work() catches each step's failure; what could still throw (reading the manifest) is the report's.
  const working = work();
  const settled = working.then(
    () => undefined,
    () => undefined,
  );
  return { report: finish(working), settled };

  async function finish(working: Promise<void>): Promise<WarmUpReport> {
    const finished = await Promise.race([working.then(() => "done" as const), outOfTime, aborted]);
    clearTimeout(budget);
    // Cut short: the budget's timer won, or the work saw the deadline first and stopped (aborts are not a cut).
    report.cutShort = finished === "budget" || (finished === "done" && skipped && signal?.aborted !== true);
    report.ms = Math.round(performance.now() - started);
    if (!signal?.aborted) {
      log.info(
        { ms: report.ms, customerId: report.customerId, rounds: report.rounds, steps: report.ran.length, failed: report.failed, decisions: report.decisions, pushes: report.pushes, cutShort: report.cutShort, ran: report.ran },
        report.cutShort ? `warm-up stopped at its budget (WARMUP_MS=${options.budgetMs}); ready` : "warm-up done; ready",
      );
    }
    return report;
  }
}

/** The trusted documents (schema/persisted-documents.json); none when it cannot be read (a warning: only the GraphQL part is skipped). */
function manifest(log: Logger): PersistedDocumentManifest["operations"] {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, MANIFEST_PATH), "utf8")) as PersistedDocumentManifest).operations;
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, "warm-up could not read the trusted documents; their parse and validation stay cold");
    return [];
  }
}
