/**
 * The statistics behind the evaluation centre: pure functions over counts, so the interval a
 * marketer sees can be checked against published values (test/evaluation.test.ts).
 */

/** The standard normal quantile for a two-sided 95% interval (Φ⁻¹(0.975)). */
export const Z_95 = 1.959963984540054;

/** |z| beyond which a two-sided normal test rejects at p < 0.001 (Φ⁻¹(0.9995)). */
export const Z_P001 = 3.2905267314918945;

/** A closed interval [lower, upper]. */
export interface Interval {
  lower: number;
  upper: number;
}

/**
 * The Wilson score interval for a proportion x/n (Wilson 1927, "Probable inference, the law of
 * succession, and statistical inference", JASA 22:209–212). Well behaved at 0 and n, unlike Wald.
 * Null when n is 0 (no proportion to bound).
 */
export function wilsonInterval(x: number, n: number, z: number = Z_95): Interval | null {
  if (n <= 0) return null;
  const p = x / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * A 95% interval for the difference of two independent proportions p1 − p2 = x1/n1 − x2/n2 by
 * Newcombe's hybrid score method ("method 10" of R. G. Newcombe, "Interval estimation for the
 * difference between independent proportions: comparison of eleven methods", Statistics in
 * Medicine 17 (1998) 873–890): with (l1, u1) and (l2, u2) the Wilson intervals of each proportion,
 *
 *   lower = (p1 − p2) − √((p1 − l1)² + (u2 − p2)²)
 *   upper = (p1 − p2) + √((u1 − p1)² + (p2 − l2)²)
 *
 * Chosen over Wald (p1 − p2 ± z·√(p1q1/n1 + p2q2/n2)), whose coverage collapses at small counts
 * and at rates near 0 — a campaign's first responses are exactly that. Null when either group is empty.
 */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, z: number = Z_95): Interval | null {
  const w1 = wilsonInterval(x1, n1, z);
  const w2 = wilsonInterval(x2, n2, z);
  if (!w1 || !w2) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const d = p1 - p2;
  return {
    lower: d - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2),
    upper: d + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2),
  };
}

/**
 * The z statistic of observing `x` successes in `n` trials when the expected share is `p`
 * (normal approximation to the binomial): (x − np) / √(np(1 − p)). 0 when the variance is 0.
 */
export function binomialZ(x: number, n: number, p: number): number {
  const variance = n * p * (1 - p);
  return variance > 0 ? (x - n * p) / Math.sqrt(variance) : 0;
}

/** x / n, or null when n is 0 (a rate of nothing is unknown, not zero). */
export function rate(x: number, n: number): number | null {
  return n > 0 ? x / n : null;
}
