/**
 * The one 32-bit hash of the code base: the seed generator keys its random streams with it, and
 * decisions assign control groups with it, so both get the same spread.
 */

/** Mixes 32-bit words into one well-distributed 32-bit hash (murmur3's finaliser per word). */
export function hash32(...parts: readonly number[]): number {
  let h = 0x9e3779b9 ^ parts.length;
  for (const part of parts) {
    // Split into two 32-bit halves so that keys above 2^32 (none today) still mix in fully.
    let k = (part >>> 0) ^ Math.floor(part / 0x1_0000_0000);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** hash32 over a string's UTF-16 code units. */
export function hashText(text: string): number {
  const codes = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  return hash32(...codes);
}
