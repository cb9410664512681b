import type { TagRecord } from "../graph/records";

/**
 * Whether a tag of the library is served: shown on a customer, usable in segment expressions and
 * carried by a segment subject. Only PUBLISHED tags are; drafts, tags awaiting approval and tags
 * taken offline stay in the library but are invisible to the read side and to marketing alike.
 *
 * The one place this rule lives, so the customer view, the segment vocabulary and the subjects
 * segments are evaluated against cannot disagree about which tags exist.
 */
export function isServedTag(tag: Pick<TagRecord, "status">): boolean {
  return tag.status === "PUBLISHED";
}
