import { applyCancellation, applyOrder, applyProfile, applyUsage, type AppliedHolding, type ProductKey } from "../graph/changes";
import type { CustomerChangeEventType, ProfileChangeField } from "../domain/events";
import { PROFILE_CHANGE_FIELDS } from "../domain/events";
import { BadUserInputError, NotFoundError } from "../platform/errors";
import type { Graph } from "../platform/neo4j";
import type { ProfileInvalidator } from "../customer360/profiles";
import type { CustomerChanges } from "../segments/preview/index";
import type { FieldGroup } from "../segments/preview/fields";
import type { GatewayEvent } from "./event-stream";

/** What applying one change event did: whether the graph changed, and which of the customer's field groups. */
export interface CustomerChangeOutcome {
  changed: boolean;
  groups: FieldGroup[];
}

/**
 * Applies a customer change event (usage, a product ordered or cancelled in billing, a profile
 * change) to the graph in one statement (src/graph/changes.ts: idempotent, and an older change
 * arriving late does not overwrite a newer one), then tells `changes` which customer changed and
 * which field groups, behind the answer: the segment bitmaps and the rule tags re-read it within
 * milliseconds. Nothing is told when the graph already held the change (a redelivery).
 *
 * An event naming a product the catalogue lacks is NOT_FOUND, and the consumer parks it with that
 * reason (retryParkedEvents once the catalogue or the feed is fixed); an unknown customer likewise.
 */
export class CustomerChangeApplier {
  constructor(
    private readonly graph: Graph,
    private readonly changes: CustomerChanges,
    /** The live decision profiles, invalidated (and awaited) for every applied change. */
    private readonly profiles: ProfileInvalidator | null = null,
  ) {}

  async apply(event: GatewayEvent & { type: CustomerChangeEventType }): Promise<CustomerChangeOutcome> {
    const session = this.graph.session();
    const { customerId, at, payload } = event;
    let groups: FieldGroup[];
    let changed: boolean;
    switch (event.type) {
      case "USAGE_UPDATE": {
        const applied = await applyUsage(session, { customerId, at, month: String(payload.month), dataUsedMb: num(payload.dataUsedMb), voiceUsedMinutes: num(payload.voiceUsedMinutes), smsUsed: num(payload.smsUsed) });
        changed = found(applied, customerId).changed;
        groups = ["attributes"];
        break;
      }
      case "PRODUCT_ORDERED":
      case "PRODUCT_CANCELLED": {
        const product = productKey(event);
        const change = { customerId, at, product };
        const applied: AppliedHolding = found(event.type === "PRODUCT_ORDERED" ? await applyOrder(session, change) : await applyCancellation(session, change), customerId);
        if (!applied.product) {
          const named =
            "productId" in product
              ? product.productCode === undefined
                ? `payload.productId: there is no product ${product.productId}`
                : `payload.productId, payload.productCode: there is no product ${product.productId} with code ${product.productCode}`
              : `payload.productCode: there is no product with code ${product.productCode}`;
          throw new NotFoundError(
            `${named} in the catalogue, so the ${event.type} event of ${customerId} was not applied; add the product to the catalogue (or correct the billing feed's code) and retry the parked event (retryParkedEvents)`,
          );
        }
        changed = applied.changed;
        groups = ["holdings"];
        break;
      }
      case "PROFILE_CHANGE": {
        const values: Partial<Record<ProfileChangeField, string | number | boolean>> = {};
        for (const f of PROFILE_CHANGE_FIELDS) {
          const v = payload[f];
          if (v !== null && v !== undefined) values[f] = v;
        }
        changed = found(await applyProfile(session, { customerId, at, values }), customerId).changed;
        groups = ["attributes"];
        break;
      }
    }
    if (changed) {
      // Before the event counts as processed: its decisions, and the next ones anywhere, read the change. Neighbours only
      // when holdings changed (their family and circle adoption counts); attributes are the customer's own.
      await this.profiles?.invalidate([customerId], { neighbours: groups.includes("holdings") });
      this.changes.changed([customerId], groups);
    }
    return { changed, groups: changed ? groups : [] };
  }
}

/**
 * The product an order or cancellation names: by id when given, else by code. When both are given
 * both must fit the same product.
 */
function productKey(event: GatewayEvent): ProductKey {
  const { productId, productCode } = event.payload;
  if (typeof productId === "string") return typeof productCode === "string" ? { productId, productCode } : { productId };
  if (typeof productCode === "string") return { productCode };
  throw new BadUserInputError(`a ${event.type} event must give payload.productId or payload.productCode`);
}

function num(v: string | number | boolean | null | undefined): number | null {
  return typeof v === "number" ? v : null;
}

function found<T>(applied: T | null, customerId: string): T {
  if (applied === null) throw new NotFoundError(`customerId: there is no customer with id ${customerId}; check the event's customerId`);
  return applied;
}
