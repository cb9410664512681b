/**
 * The encodings of the segment bitmaps, shared by the build (in memory), the incremental updates and
 * the queries (in Redis):
 *
 * - a customer is the bit at its dense index `idx`, most significant bit of byte 0 first, as Redis's
 *   SETBIT / BITPOS / BITCOUNT … BIT count them;
 * - a number (an attribute such as arpu, a tag's score) is stored bit-sliced (a BSI): one bitmap per
 *   bit of an order-preserving 64-bit key of the IEEE-754 double, so `x >= c` for any double `c` is
 *   exact set algebra over the slices, the same comparison the graph makes. Bits every stored value
 *   shares (the sign of positive numbers, the exponent's high bits, the low mantissa bits of whole
 *   numbers) are kept as constants and cost nothing: a small integer attribute has a handful of
 *   slices, a score in [0, 1] about sixty.
 */

/** Bits of a number's key: 64 characters '0'/'1', most significant first (key bit 63 is character 0). */
export type KeyBits = string;

const view = new DataView(new ArrayBuffer(8));

/**
 * The order-preserving key of a double: for x < y (as numbers), key(x) < key(y) as unsigned 64-bit
 * integers. Positive numbers get the sign bit set, negative ones all bits flipped; −0 is 0.
 */
export function keyBits(x: number): KeyBits {
  const [hi, lo] = keyWords(x);
  return hi.toString(2).padStart(32, "0") + lo.toString(2).padStart(32, "0");
}

/** The key as two unsigned 32-bit words (high, low). */
export function keyWords(x: number): [number, number] {
  if (!Number.isFinite(x)) throw new Error(`cannot index the number ${x}`);
  view.setFloat64(0, x === 0 ? 0 : x);
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  return [hi, lo];
}

/** The key right after `bits` (+1 as a 64-bit integer): `x <= c` is `x < next(c)`, `x > c` is `not (x < next(c))`. */
export function nextKey(bits: KeyBits): KeyBits {
  const i = bits.lastIndexOf("0");
  if (i < 0) throw new Error("the largest key has no next one");
  return `${bits.slice(0, i)}1${"0".repeat(bits.length - i - 1)}`;
}

/** The double a key stands for (the inverse of {@link keyBits}). */
export function numberOfKey(bits: KeyBits): number {
  let hi = parseInt(bits.slice(0, 32), 2) >>> 0;
  let lo = parseInt(bits.slice(32), 2) >>> 0;
  if (hi & 0x80000000) {
    hi = (hi & 0x7fffffff) >>> 0;
  } else {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  }
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
}

/** A bitmap of customers in memory, sized for idx 0…maxIdx, laid out as Redis lays out a string's bits. */
export class Bitmap {
  readonly bytes: Uint8Array;

  constructor(maxIdx: number) {
    this.bytes = new Uint8Array((maxIdx >> 3) + 1);
  }

  set(idx: number): void {
    this.bytes[idx >> 3] = (this.bytes[idx >> 3] as number) | (0x80 >> (idx & 7));
  }

  /** The bytes up to the last one with a bit set (Redis stores no more), as a Buffer sharing memory. */
  buffer(): Buffer {
    let end = this.bytes.length;
    while (end > 0 && this.bytes[end - 1] === 0) end -= 1;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, end);
  }
}

/** A bitmap of the given members. */
export function bitmapOf(idx: Iterable<number>, maxIdx: number): Bitmap {
  const bitmap = new Bitmap(maxIdx);
  for (const i of idx) bitmap.set(i);
  return bitmap;
}

/** The idx whose bits are set in a bitmap read from Redis, ascending. */
export function membersOf(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0) continue;
    for (let j = 0; j < 8; j++) if (b & (0x80 >> j)) out.push(i * 8 + j);
  }
  return out;
}

/**
 * The slices of a set of numbers: which key bits all values share (constants, '0' or '1'), which
 * vary (each a bitmap of the customers whose key has it set), and 'u' for every bit when there is
 * no value at all.
 */
export function sliceNumbers(maxIdx: number, idx: ArrayLike<number>, values: ArrayLike<number>, count: number): { states: string[]; slices: Map<number, Bitmap> } {
  const his = new Uint32Array(count);
  const los = new Uint32Array(count);
  let andHi = 0xffffffff;
  let andLo = 0xffffffff;
  let orHi = 0;
  let orLo = 0;
  for (let i = 0; i < count; i++) {
    const [hi, lo] = keyWords(values[i] as number);
    his[i] = hi;
    los[i] = lo;
    andHi = (andHi & hi) >>> 0;
    andLo = (andLo & lo) >>> 0;
    orHi = (orHi | hi) >>> 0;
    orLo = (orLo | lo) >>> 0;
  }
  const states: string[] = [];
  const slices = new Map<number, Bitmap>();
  for (let bit = 0; bit < 64; bit++) {
    const word = bit >= 32 ? 1 : 0;
    const mask = (1 << (bit % 32)) >>> 0;
    const and = ((word ? andHi : andLo) & mask) !== 0;
    const or = ((word ? orHi : orLo) & mask) !== 0;
    if (count === 0) states.push("u");
    else if (and === or) states.push(and ? "1" : "0");
    else {
      states.push("s");
      const bitmap = new Bitmap(maxIdx);
      const words = word ? his : los;
      for (let i = 0; i < count; i++) if (((words[i] as number) & mask) !== 0) bitmap.set(idx[i] as number);
      slices.set(bit, bitmap);
    }
  }
  return { states, slices };
}
