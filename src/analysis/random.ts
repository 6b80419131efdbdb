/**
 * Seeded pseudo-random numbers for the bootstrap and Monte Carlo tests, so that every figure
 * `facetally compare` writes can be reproduced exactly from its seed.
 *
 * Generator: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 2021), seeded through splitmix32. Not for cryptography.
 */

import jStat from 'jstat';

/** A seeded source of uniform and binomial variates. */
export interface Rng {
  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n). @throws RangeError when n is not a positive integer. */
  int(n: number): number;
  /** Binomial(n, p) variate; see {@link binomial}. */
  binomial(n: number, p: number): number;
}

/**
 * Create a generator from a 32-bit integer seed (any finite number; it is truncated to 32 bits).
 *
 * @example
 * const rng = createRng(42);
 * rng.next(); // same value on every run
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`expected a finite number for seed but received ${seed}`);
  let sm = seed >>> 0;
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1;
  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const rng: Rng = {
    next() {
      // 21 high bits + 32 bits = 53 bits.
      return ((u32() >>> 11) * 4294967296 + u32()) / 9007199254740992;
    },
    int(n: number) {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`expected a positive integer for n but received ${n}`);
      return Math.floor(rng.next() * n);
    },
    binomial(n: number, p: number) {
      return binomial(rng, n, p);
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Draw from Binomial(n, p): the number of successes in n independent trials of probability p.
 *
 * Small means (n·min(p,1−p) < 10) use inversion; larger ones use BTRS, the transformed-rejection
 * sampler with squeeze of Hörmann ("The generation of binomial random variates", J. Statist.
 * Comput. Simul. 46, 1993), which runs in constant expected time.
 *
 * @param n number of trials, a non-negative integer
 * @param p success probability in [0, 1]
 * @returns an integer in [0, n]
 * @throws RangeError when n is not a non-negative integer or p is outside [0, 1]
 */
export function binomial(rng: Rng, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`expected a non-negative integer for n but received ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`expected a probability in [0, 1] for p but received ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  if (n * p < 10) return binomialInversion(rng, n, p);
  return binomialBtrs(rng, n, p);
}

function binomialInversion(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const s = p / q;
  const a = (n + 1) * s;
  let r = Math.pow(q, n);
  let u = rng.next();
  let x = 0;
  while (u > r) {
    u -= r;
    x++;
    if (x > n) {
      // Rounding left a sliver of mass unaccounted for; start again.
      x = 0;
      r = Math.pow(q, n);
      u = rng.next();
      continue;
    }
    r *= a / x - s;
  }
  return x;
}

function binomialBtrs(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const h = jStat.gammaln(m + 1) + jStat.gammaln(n - m + 1);
  for (;;) {
    const u = rng.next() - 0.5;
    let v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    if (v <= h - jStat.gammaln(k + 1) - jStat.gammaln(n - k + 1) + (k - m) * lpq) return k;
  }
}

/**
 * Draw from Gamma(shape, 1) by Marsaglia & Tsang, "A simple method for generating gamma variables",
 * ACM TOMS 26(3), 2000 (with the `U^(1/shape)` boost for shape < 1).
 * @param shape > 0
 * @throws RangeError when shape is not a positive finite number
 */
export function gamma(rng: Rng, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`expected a positive number for shape but received ${shape}`);
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      // standard normal by Box–Muller
      x = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Draw from Beta(a, b) as G_a / (G_a + G_b) with independent gamma variates.
 * @param a, b > 0
 * @returns a number in [0, 1]
 */
export function beta(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  const y = gamma(rng, b);
  return x / (x + y);
}
