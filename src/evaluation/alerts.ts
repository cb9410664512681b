import type { CampaignFacts, CampaignAlertRecord, WaveCounts } from "../graph/evaluation";
import type { Logger } from "../platform/logger";
import { keys } from "../platform/keys";
import type { PubSub } from "../platform/pubsub";
import { binomialZ, Z_P001 } from "./stats";

/**
 * Alerts while a campaign runs: the rules over its waves' counts, and the hub that delivers new
 * alerts to the owners subscribed on this replica. Raising (once per campaign × kind × wave) is in
 * the graph (src/graph/evaluation.ts createAlerts); whichever replica raised one publishes it on
 * Redis pub/sub and every replica's hub hands it to its local subscribers.
 */

export const ALERT_KINDS = ["LOW_RESPONSE_RATE", "CAPS_EXHAUSTED", "DELIVERY_FAILURES", "CONTROL_GROUP_DRIFT"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** When the rules speak. */
export interface AlertThresholds {
  /** A wave's response rate is judged once it has this many contacts (the 200). */
  minContacts: number;
  /** Share of a wave's treated members the contact policy held back above which caps count as exhausted. */
  heldBackShare: number;
  /** Share of a wave's contacts whose delivery failed above which delivery is alerted. */
  deliveryFailureShare: number;
  /** The control-group test needs this many decided members (a normal approximation). */
  minDecidedForDrift: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = { minContacts: 200, heldBackShare: 0.2, deliveryFailureShare: 0.1, minDecidedForDrift: 100 };

const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The alerts the counts call for now (whether raised before or not); `at` stamps them. */
export function alertsFor(campaign: CampaignFacts, waves: readonly WaveCounts[], t: AlertThresholds, at: number): CampaignAlertRecord[] {
  const out: CampaignAlertRecord[] = [];
  const raise = (w: WaveCounts, kind: AlertKind, message: string, observed: number, threshold: number): void => {
    out.push({ id: `${campaign.id}:${kind}:${w.waveId}`, campaignId: campaign.id, waveId: w.waveId, kind, message, observed, threshold, at });
  };
  for (const w of waves) {
    if (campaign.alertResponseRate > 0 && w.contacted >= t.minContacts) {
      const r = w.responded / w.contacted;
      if (r < campaign.alertResponseRate) {
        raise(w, "LOW_RESPONSE_RATE", `Wave ${w.waveId}: ${w.responded} of ${w.contacted} contacted responded (${percent(r)}), below the campaign's alert threshold of ${percent(campaign.alertResponseRate)}.`, r, campaign.alertResponseRate);
      }
    }
    const treated = w.decided - w.control;
    if (treated >= t.minContacts && w.heldBack / treated > t.heldBackShare) {
      const s = w.heldBack / treated;
      raise(w, "CAPS_EXHAUSTED", `Wave ${w.waveId}: the contact policy held back ${w.heldBack} of ${treated} members (${percent(s)}; alert above ${percent(t.heldBackShare)}): caps, cool-downs or quiet hours leave them unreached.`, s, t.heldBackShare);
    }
    if (w.contacted >= t.minContacts && w.deliveryFailed / w.contacted > t.deliveryFailureShare) {
      const s = w.deliveryFailed / w.contacted;
      raise(w, "DELIVERY_FAILURES", `Wave ${w.waveId}: ${w.deliveryFailed} of ${w.contacted} messages failed to deliver (${percent(s)}; alert above ${percent(t.deliveryFailureShare)}).`, s, t.deliveryFailureShare);
    }
    if (campaign.controlShare > 0 && w.decided >= t.minDecidedForDrift) {
      const z = binomialZ(w.control, w.decided, campaign.controlShare);
      if (Math.abs(z) > Z_P001) {
        const s = w.control / w.decided;
        raise(w, "CONTROL_GROUP_DRIFT", `Wave ${w.waveId}: ${w.control} of ${w.decided} members held out (${percent(s)}) where ${percent(campaign.controlShare)} was set; chance explains this with p < 0.001 only (z = ${z.toFixed(2)}), so the control group is not what was planned.`, s, campaign.controlShare);
      }
    }
  }
  return out;
}

/** What an alert subscription yields. */
export type AlertSink = (alert: CampaignAlertRecord) => void;

/**
 * This replica's alert subscribers, by campaign. It listens on the one pub/sub channel from the
 * first subscription on (alerts are rare: one channel for all campaigns, filtered here).
 */
export class AlertHub {
  private readonly sinks = new Map<string, Set<AlertSink>>();
  private listening: Promise<void> | null = null;

  constructor(
    private readonly pubsub: PubSub,
    private readonly log: Logger,
  ) {}

  /** Publishes a new alert to every replica. */
  publish(alert: CampaignAlertRecord): Promise<void> {
    return this.pubsub.publish(keys.evaluation.alerts(), JSON.stringify(alert));
  }

  /**
   * Registers `sink` for the campaign's alerts once the channel is listened to (so a subscriber
   * counted in {@link size} misses nothing published after). Returns the unsubscribe.
   */
  async add(campaignId: string, sink: AlertSink): Promise<() => void> {
    await (this.listening ??= this.pubsub.subscribe(keys.evaluation.alerts(), (m) => this.deliver(m)).catch((error: unknown) => {
      this.listening = null;
      throw error;
    }));
    const set = this.sinks.get(campaignId) ?? new Set<AlertSink>();
    this.sinks.set(campaignId, set.add(sink));
    return () => {
      set.delete(sink);
      if (set.size === 0 && this.sinks.get(campaignId) === set) this.sinks.delete(campaignId);
    };
  }

  /** Subscribers on this replica (tests, health). */
  get size(): number {
    let n = 0;
    for (const set of this.sinks.values()) n += set.size;
    return n;
  }

  private deliver(message: string): void {
    const alert = JSON.parse(message) as CampaignAlertRecord;
    for (const sink of this.sinks.get(alert.campaignId) ?? []) {
      try {
        sink(alert);
      } catch (error) {
        this.log.error({ err: error instanceof Error ? error.message : String(error), campaignId: alert.campaignId }, "campaign alert sink failed");
      }
    }
  }
}

/**
 * An async iterator over pushed alerts for one subscription: buffered (alerts are few), ended by
 * the client (graphql-ws calls `return`), which unsubscribes it from the hub.
 */
export class AlertStream implements AsyncIterableIterator<CampaignAlertRecord> {
  private readonly buffer: CampaignAlertRecord[] = [];
  private waiting: ((r: IteratorResult<CampaignAlertRecord>) => void) | null = null;
  private done = false;
  unsubscribe: () => void = () => undefined;

  /** Hands one alert to the subscriber (or buffers it until asked; at most 1,000 — the oldest go first). */
  readonly push = (alert: CampaignAlertRecord): void => {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: alert, done: false });
      return;
    }
    this.buffer.push(alert);
    if (this.buffer.length > 1_000) this.buffer.shift();
  };

  next(): Promise<IteratorResult<CampaignAlertRecord>> {
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<CampaignAlertRecord>> {
    this.done = true;
    this.unsubscribe();
    this.buffer.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CampaignAlertRecord> {
    return this;
  }
}
