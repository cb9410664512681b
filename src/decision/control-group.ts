/**
 * Control groups: a stable share of a strategy's targets is decided for but never contacted, so
 * uplift (what the contacted group did beyond the held-out one) can be measured. Membership is a
 * hash of strategy and customer, so it is the same on every replica and every call, needs no
 * storage, and is independent between strategies.
 */
export function inControlGroup(strategyId: string, customerId: string, share: number): boolean {
  if (share <= 0) return false;
  return fnv1a(`${strategyId}:${customerId}`) / 0x1_0000_0000 < share;
}

/**
 * FNV-1a over the text, then MurmurHash3's finaliser: FNV alone leaves the high bits poorly mixed
 * when ids differ only in their last characters (C0002400, C0002401, …), which skews the share.
 */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
