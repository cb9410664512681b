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
