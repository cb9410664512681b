import type { ChannelNode, CustomerNode, ProductNode, RegionNode, TagNode } from "./model";
import type { ChannelCode } from "../domain/vocabulary";

/**
 * What the read side hands to resolvers: graph node properties with times as JS Dates.
 * These are the root values of the schema's object types.
 */
/** A customer's own properties, with its profile when the statement that read it fetched one. */
export type CustomerRecord = CustomerNode & { profile?: CustomerProfile };

/** What the unified view needs of one customer besides its properties, read in the same statement. */
export interface CustomerProfile {
  holdings: Array<{ productId: string; since: Date }>;
  tags: Array<{ tagId: string; value: string | null; score: number | null; at: Date }>;
  preferredChannels: ChannelCode[];
}
export type ProductRecord = ProductNode;
export type ChannelRecord = ChannelNode;
export type RegionRecord = RegionNode & { parentId: string | null };
export type TagRecord = Pick<TagNode, "id" | "code" | "name" | "level1" | "level2" | "definition" | "valueType" | "status">;

/**
 * Which customers a statement returns in full: the asker's data scope (src/auth/scope.ts), passed
 * as the one parameter `$scope` and tested after the index seek, so every read still starts from
 * its index. Every customer (`all`), or those living in `regions` (ids nest by prefix: the
 * province R33 holds the city R3301, which holds the district R330102) or named in `customerIds`.
 */
export interface CustomerScope {
  all: boolean;
  regions: readonly string[];
  customerIds: readonly string[];
}

/** The scope of the gateway's own work (the event consumer, tools): every customer. */
export const EVERY_CUSTOMER: CustomerScope = Object.freeze({ all: true, regions: [], customerIds: [] });

/** A customer that exists but lies outside the asker's scope: nothing of it left the graph but its id. */
export interface OutOfScope {
  outOfScope: true;
  id: string;
}

export function isOutOfScope(value: unknown): value is OutOfScope {
  return typeof value === "object" && value !== null && (value as Partial<OutOfScope>).outOfScope === true;
}

export interface HoldingRecord {
  product: ProductRecord;
  since: Date;
}

export interface CustomerTagRecord {
  tag: TagRecord;
  value: string | null;
  score: number | null;
  at: Date;
}

/** Converts epoch milliseconds returned by Cypher (`x.epochMillis`) to a Date. */
export function toDate(epochMillis: number): Date {
  return new Date(epochMillis);
}
