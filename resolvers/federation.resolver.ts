import type { ChannelCode } from "../src/domain/vocabulary";
import type { ChannelRecord, CustomerRecord, ProductRecord } from "../src/graph/records";
import type { OfferRecord } from "../src/graph/marketing";
import { BadUserInputError } from "../src/platform/errors";
import type { GatewayContext } from "../src/server/context";

/**
 * The entities this gateway offers a supergraph (Apollo Federation 2): each type with the fields
 * of its `@key` and how a router's reference (`{"__typename": "Customer", "id": "C1"}`) becomes the
 * object the type's field resolvers expect. Thin, as every resolver: one call on a service of the
 * context, through the request's loaders, so `_entities` for 50 customers is one loader batch,
 * scoped and masked exactly as `customer(id)` is (a customer outside the caller's scope is a
 * FORBIDDEN error at its place and a null, never its data; `name` and `msisdn` are masked by the
 * same field resolvers). Which roles may ask for which type: src/auth/permissions.ts
 * (`Query._entities` obeys the rule of the root field that reads the same type).
 */
export interface EntityType<T> {
  /** The `@key` selection, e.g. "id". */
  key: string;
  /** The object for a reference; null when there is none (the router answers null at its place). */
  resolveReference(reference: Readonly<Record<string, unknown>>, ctx: GatewayContext): Promise<T | null>;
}

/**
 * Most representations one `_entities` call may carry (BAD_USER_INPUT beyond): a router asks for
 * all the references of one query plan step at once, deduplicated; a thousand customers is one
 * indexed statement, and the query cost limit (src/auth/cost.ts) weighs what is selected of them.
 */
export const MAX_ENTITIES_PER_FETCH = 1_000;

/** Customer, Product, Channel and Offer, by their keys (the order is the subgraph SDL's). */
export const ENTITY_TYPES: {
  Customer: EntityType<CustomerRecord>;
  Product: EntityType<ProductRecord>;
  Channel: EntityType<ChannelRecord>;
  Offer: EntityType<OfferRecord>;
} = {
  Customer: {
    key: "id",
    resolveReference: (reference, ctx) => ctx.customers.customer(ctx, keyOf("Customer", "id", reference)),
  },
  Product: {
    key: "id",
    resolveReference: (reference, ctx) => ctx.customers.product(keyOf("Product", "id", reference)),
  },
  Channel: {
    key: "code",
    resolveReference: async (reference, ctx) => {
      const code = keyOf("Channel", "code", reference);
      return (await ctx.customers.channels()).find((c) => c.code === (code as ChannelCode)) ?? null;
    },
  },
  Offer: {
    key: "id",
    resolveReference: (reference, ctx) => ctx.marketing.offer(keyOf("Offer", "id", reference)),
  },
};

/** The key field of a reference, as a string (ids are strings on the wire; a number is taken as its digits). */
function keyOf(type: string, field: string, reference: Readonly<Record<string, unknown>>): string {
  const value = reference[field];
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new BadUserInputError(
    `A ${type} representation needs its key "${field}" (a non-empty string), as in {"__typename": "${type}", "${field}": "…"}; got ${JSON.stringify(reference).slice(0, 120)}.`,
    "representations",
  );
}
