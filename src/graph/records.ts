import type { ChannelNode, CustomerNode, ProductNode, RegionNode, TagNode } from "./model";

/**
 * What the read side hands to resolvers: graph node properties with times as JS Dates.
 * These are the root values of the schema's object types.
 */
export type CustomerRecord = CustomerNode;
export type ProductRecord = ProductNode;
export type ChannelRecord = ChannelNode;
export type RegionRecord = RegionNode & { parentId: string | null };
export type TagRecord = Pick<TagNode, "id" | "code" | "name" | "level1" | "level2" | "definition" | "valueType">;

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
