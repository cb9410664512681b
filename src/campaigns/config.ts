import type { CampaignHooks, WorkOrderRequest } from "../domain/campaigns";

/** Where campaign time comes from: the wall clock in production, one a test moves forward. */
export interface Clock {
  now(): Date;
}

export const SYSTEM_CLOCK: Clock = { now: () => new Date() };

/** What the work-order pool takes from a wave (src/campaigns/work-orders.ts implements it as WorkOrderPool). Must be idempotent per decisionId. */
export interface WorkOrderSink {
  open(requests: WorkOrderRequest[]): Promise<void>;
}

/** Tuning of the campaign scheduler and its wave jobs. */
export interface CampaignConfig {
  clock: Clock;
  /** Members decided per batch (one graph read, one group commit, one cursor move). */
  batch: number;
  /** A pause between batches, ms (tests: to kill a replica mid-wave; 0 in production). */
  pauseMs: number;
  /** A worker's lock on a wave job: a killed replica's wave is taken over this long after its last renewal. */
  lockMs: number;
  /** How often the scheduler looks for due waves, ms (tests call `tick()` after moving the clock). */
  tickMs: number;
  /** Attempts of a failing wave job (an outage), with exponential backoff from 2 s. */
  attempts: number;
  /** Run the wave worker and the tick in this process (default true). */
  worker: boolean;
}

export const DEFAULT_CAMPAIGNS: Readonly<Omit<CampaignConfig, "clock">> = { batch: 200, pauseMs: 0, lockMs: 30_000, tickMs: 5_000, attempts: 8, worker: true };

/**
 * The scheduler's tuning from CAMPAIGN_BATCH, CAMPAIGN_PAUSE_MS, CAMPAIGN_LOCK_MS and
 * CAMPAIGN_TICK_MS (whole numbers; anything else keeps the default), over `given`.
 */
export function campaignConfig(given: Partial<CampaignConfig> = {}, env: NodeJS.ProcessEnv = process.env): CampaignConfig {
  const num = (name: string, min: number, fallback: number): number => {
    const n = Number(env[name]);
    return env[name] !== undefined && Number.isInteger(n) && n >= min ? n : fallback;
  };
  return {
    clock: SYSTEM_CLOCK,
    batch: num("CAMPAIGN_BATCH", 1, DEFAULT_CAMPAIGNS.batch),
    pauseMs: num("CAMPAIGN_PAUSE_MS", 0, DEFAULT_CAMPAIGNS.pauseMs),
    lockMs: num("CAMPAIGN_LOCK_MS", 1_000, DEFAULT_CAMPAIGNS.lockMs),
    tickMs: num("CAMPAIGN_TICK_MS", 200, DEFAULT_CAMPAIGNS.tickMs),
    attempts: DEFAULT_CAMPAIGNS.attempts,
    worker: DEFAULT_CAMPAIGNS.worker,
    ...given,
  };
}

/** What wiring gives the campaign service: its tuning, and (tests, and at merge) the hooks and the work-order sink. */
export type CampaignWiring = Partial<CampaignConfig> & { hooks?: CampaignHooks; sink?: WorkOrderSink };
