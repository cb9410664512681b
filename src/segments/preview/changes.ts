import type { Logger } from "../../platform/logger";
import type { FieldGroup } from "./fields";
import type { CustomerChanges } from "./index";

/**
 * Tells several listeners that customers changed (the segment index, the rule-tag refresher, and
 * whatever else keeps something derived from customers current): one {@link CustomerChanges} over
 * a list, so whoever reports changes (decisioning when an offer is accepted, the event processor
 * when billing, usage or a CRM changes a customer) knows of one. A listener that throws is logged
 * and the others are still told: listeners work behind the caller's answer, and one broken
 * listener must neither fail the change nor keep the others stale.
 */
export class CustomerChangeFanOut implements CustomerChanges {
  private readonly listeners: CustomerChanges[];

  constructor(
    listeners: readonly CustomerChanges[],
    private readonly log: Logger,
  ) {
    this.listeners = [...listeners];
  }

  /** Adds a listener (wiring: one line per room that keeps something current). */
  add(listener: CustomerChanges): this {
    this.listeners.push(listener);
    return this;
  }

  changed(ids: readonly string[], groups?: readonly FieldGroup[]): void {
    if (ids.length === 0) return;
    for (const listener of this.listeners) {
      try {
        // typed void, but a listener written async would hand back a promise: its rejection is logged too
        const returned: unknown = listener.changed(ids, groups);
        if (returned instanceof Promise) returned.catch((error: unknown) => this.failed(listener, ids, error));
      } catch (error) {
        this.failed(listener, ids, error);
      }
    }
  }

  private failed(listener: CustomerChanges, ids: readonly string[], error: unknown): void {
    this.log.warn({ err: error instanceof Error ? error.message : String(error), listener: listener.constructor.name, customers: ids.slice(0, 10) }, "a listener of customer changes failed; the others were told");
  }
}
