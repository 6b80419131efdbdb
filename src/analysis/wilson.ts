/**
 * Score intervals for a binomial proportion and for the difference of two proportions.
 */

import jStat from 'jstat';

/** A two-sided interval `[lower, upper]` with lower <= upper. */
export interface Interval {
  lower: number;
  upper: number;
}

/**
 * The two-sided standard-normal quantile for a confidence level: 1.959964 for 0.95.
 * @throws RangeError when confidence is not in (0, 1)
 */
export function zFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`expected a number in (0, 1) for confidence but received ${confidence}`);
  }
  return jStat.normal.inv(1 - (1 - confidence) / 2, 0, 1);
}

/**
 * Wilson score interval for a binomial proportion (Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22, 1927). Unlike the Wald interval it stays inside
 * [0, 1] and keeps close to nominal coverage for small n and for proportions near 0 or 1
 * (Brown, Cai & DasGupta, Statistical Science 16, 2001).
 *
 * @param count successes, an integer in [0, n]
 * @param n trials, a positive integer
 * @param confidence two-sided level in (0, 1), default 0.95
 * @returns `{lower, upper}` within [0, 1]; e.g. 7 of 20 gives {0.1812, 0.5671}
 * @throws RangeError when n is not a positive integer, count is not an integer in [0, n], or
 *   confidence is outside (0, 1)
 */
export function wilsonInterval(count: number, n: number, confidence = 0.95): Interval {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`expected a positive integer for n but received ${n}`);
  if (!Number.isInteger(count) || count < 0 || count > n) {
    throw new RangeError(`expected an integer in [0, ${n}] for count but received ${count}`);
  }
  const z = zFor(confidence);
  const z2 = z * z;
  const denom = n + z2;
  const centre = (count + z2 / 2) / denom;
  const half = (z / denom) * Math.sqrt((count * (n - count)) / n + z2 / 4);
  // Exact 0 and 1 at the ends (the formula gives them up to rounding).
  return {
    lower: count === 0 ? 0 : Math.max(0, centre - half),
    upper: count === n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * Interval for the difference p1 − p2 of two independent proportions by Newcombe's hybrid score
 * method (method 10 of Newcombe, "Interval estimation for the difference between independent
 * proportions: comparison of eleven methods", Statistics in Medicine 17, 1998), which combines
 * the two Wilson intervals.
 *
 * @returns `{difference, lower, upper}` with −1 <= lower <= difference <= upper <= 1
 * @throws RangeError as {@link wilsonInterval} does, for either sample
 */
export function newcombeDifference(
  count1: number,
  n1: number,
  count2: number,
  n2: number,
  confidence = 0.95,
): Interval & { difference: number } {
  return newcombeFromWilson(count1 / n1, wilsonInterval(count1, n1, confidence), count2 / n2, wilsonInterval(count2, n2, confidence));
}

/**
 * Newcombe's method-10 combination (Newcombe 1998) of two proportions and their score intervals into an interval
 * for p1 − p2: lower = d − √((p1 − l1)² + (u2 − p2)²), upper = d + √((u1 − p1)² + (p2 − l2)²), clipped to [−1, 1].
 * Shared by {@link newcombeDifference} (plain Wilson intervals) and the effective-sample-size version for clusters.
 * @param p1 first proportion in [0, 1], with `w1` its interval; likewise `p2`, `w2`
 * @returns `{difference, lower, upper}` with −1 <= lower <= difference <= upper <= 1
 */
export function newcombeFromWilson(p1: number, w1: Interval, p2: number, w2: Interval): Interval & { difference: number } {
  const d = p1 - p2;
  return {
    difference: d,
    lower: Math.max(-1, d - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2)),
    upper: Math.min(1, d + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2)),
  };
}
