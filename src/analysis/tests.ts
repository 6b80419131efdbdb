/**
 * Tests of equal prevalence across groups, multiple-testing adjustment and effect sizes.
 *
 * Tables are contingency tables of non-negative integer counts, `table[row][column]`; in
 * `facetally compare` rows are groups and the two columns are (attribute present, absent).
 */

import jStat from 'jstat';
import type { Rng } from './random.js';

/** A contingency table: `r` rows of `c` non-negative integer counts each (r, c >= 1). */
export type Table = number[][];

function checkTable(table: Table): { r: number; c: number } {
  const r = table.length;
  if (r === 0) throw new RangeError('expected a table with at least one row but received none');
  const c = table[0].length;
  if (c === 0) throw new RangeError('expected a table with at least one column but received none');
  for (const row of table) {
    if (row.length !== c) throw new RangeError(`expected every row to have ${c} cells but received ${row.length}`);
    for (const v of row) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`expected non-negative integer counts but received ${v}`);
    }
  }
  return { r, c };
}

/** Row sums, column sums and grand total of a table. */
export function margins(table: Table): { rows: number[]; cols: number[]; total: number } {
  const { c } = checkTable(table);
  const rows = table.map((row) => row.reduce((s, v) => s + v, 0));
  const cols = Array.from({ length: c }, (_, j) => table.reduce((s, row) => s + row[j], 0));
  return { rows, cols, total: rows.reduce((s, v) => s + v, 0) };
}

/**
 * Upper tail P(X >= x) of the chi-square distribution with `df` degrees of freedom, accurate far
 * into the tail (p-values down to ~1e-300 rather than 0 from 1 − CDF). Uses the regularized upper
 * incomplete gamma Q(df/2, x/2) by its continued fraction (Lentz's method) when x/2 > df/2 + 1,
 * and jStat's regularized lower incomplete gamma otherwise.
 *
 * @param x statistic, >= 0
 * @param df degrees of freedom, > 0
 * @returns p in [0, 1]
 * @throws RangeError when x < 0 or df <= 0
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(x >= 0)) throw new RangeError(`expected a non-negative number for x but received ${x}`);
  if (!(df > 0)) throw new RangeError(`expected a positive number for df but received ${df}`);
  if (x === 0) return 1;
  const a = df / 2;
  const z = x / 2;
  if (z <= a + 1) return Math.min(1, Math.max(0, 1 - jStat.lowRegGamma(a, z)));
  // Continued fraction for Q(a, z) (Numerical Recipes 3rd ed., §6.2, gcf).
  const tiny = 1e-300;
  let b = z + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(-z + a * Math.log(z) - jStat.gammaln(a)) * h);
}

/** Result of Pearson's chi-square test of independence. */
export interface ChiSquareResult {
  statistic: number;
  df: number;
  p: number;
  /** Expected counts under independence, same shape as the table. */
  expected: number[][];
}

/**
 * Pearson's chi-square test of independence for an r x c table (Pearson 1900), without
 * continuity correction. Rows or columns whose total is 0 are dropped first (they carry no
 * information and would make expected counts 0); df = (r' − 1)(c' − 1) of what remains.
 *
 * @returns statistic >= 0, df >= 0 and p in [0, 1]; p = 1 and df = 0 when fewer than two rows or
 *   columns remain
 * @throws RangeError for a malformed table (ragged rows, negative or non-integer counts)
 */
export function chiSquareTest(table: Table): ChiSquareResult {
  const { rows, cols, total } = margins(table);
  const expected = table.map((row, i) => row.map((_, j) => (total === 0 ? 0 : (rows[i] * cols[j]) / total)));
  const rKeep = rows.filter((v) => v > 0).length;
  const cKeep = cols.filter((v) => v > 0).length;
  const df = Math.max(0, (rKeep - 1) * (cKeep - 1));
  if (df === 0) return { statistic: 0, df: 0, p: 1, expected };
  let statistic = 0;
  for (let i = 0; i < table.length; i++) {
    for (let j = 0; j < cols.length; j++) {
      const e = expected[i][j];
      if (e > 0) statistic += (table[i][j] - e) ** 2 / e;
    }
  }
  return { statistic, df, p: chiSquareSurvival(statistic, df), expected };
}

/**
 * Two-sided Fisher exact test for a 2 x 2 table (Fisher, "The Design of Experiments", 1935),
 * conditioning on both margins: the p-value sums the hypergeometric probabilities of all tables
 * no more likely than the observed one (the same rule as R's fisher.test, relative tolerance 1e-7).
 * For the tea-tasting table [[3, 1], [1, 3]], p = 0.4857.
 *
 * @returns p in [0, 1]
 * @throws RangeError unless the table is 2 x 2 with non-negative integer counts
 */
export function fisherExact2x2(table: Table): number {
  const { r, c } = checkTable(table);
  if (r !== 2 || c !== 2) throw new RangeError(`expected a 2 x 2 table but received ${r} x ${c}`);
  const [[a, b], [cc, d]] = table;
  const r1 = a + b;
  const c1 = a + cc;
  const n = a + b + cc + d;
  const lo = Math.max(0, r1 + c1 - n);
  const hi = Math.min(r1, c1);
  const logC = (nn: number, k: number) => jStat.gammaln(nn + 1) - jStat.gammaln(k + 1) - jStat.gammaln(nn - k + 1);
  const logDenom = logC(n, c1);
  const logP = (x: number) => logC(r1, x) + logC(n - r1, c1 - x) - logDenom;
  const observed = logP(a);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logP(x);
    if (lp <= observed + Math.log1p(1e-7)) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/**
 * One hypergeometric variate: the number of marked items among `draws` items drawn without replacement from
 * `population` items of which `marked` are marked. Exact inversion of one uniform, searching outwards from the
 * mode (the step Patefield's AS 159 uses for each cell): P(mode) from log-gamma, then the neighbours by the
 * ratios P(x+1)/P(x) = (K−x)(n−x) / ((x+1)(N−K−n+x+1)) and P(x−1)/P(x) = x(N−K−n+x) / ((K−x+1)(n−x+1)),
 * alternately up and down, until the uniform is used up. Expected cost O(standard deviation) steps, one uniform.
 *
 * @param draws n, @param marked K, @param population N: integers with 0 <= n, K <= N
 * @returns x in [max(0, n + K − N), min(n, K)]
 */
export function hypergeometric(rng: Rng, draws: number, marked: number, population: number): number {
  const n = draws, K = marked, N = population;
  const lo = Math.max(0, n + K - N);
  const hi = Math.min(n, K);
  if (lo >= hi) return lo;
  const mode = Math.min(hi, Math.max(lo, Math.floor(((n + 1) * (K + 1)) / (N + 2))));
  const lg = jStat.gammaln;
  const logC = (a: number, k: number) => lg(a + 1) - lg(k + 1) - lg(a - k + 1);
  const pMode = Math.exp(logC(K, mode) + logC(N - K, n - mode) - logC(N, n));
  let u = rng.next() - pMode;
  if (u < 0) return mode;
  let up = mode, down = mode, pUp = pMode, pDown = pMode;
  while (up < hi || down > lo) {
    if (up < hi) {
      pUp *= ((K - up) * (n - up)) / ((up + 1) * (N - K - n + up + 1));
      up++;
      u -= pUp;
      if (u < 0) return up;
    }
    if (down > lo) {
      pDown *= (down * (N - K - n + down)) / ((K - down + 1) * (n - down + 1));
      down--;
      u -= pDown;
      if (u < 0) return down;
    }
  }
  return mode; // only reached through rounding (the probabilities summed to a hair under 1)
}

/**
 * Monte Carlo exact test of independence for an r x 2 table (Hope, "A simplified Monte Carlo
 * significance test procedure", JRSS B 30, 1968; the approach of R's
 * `chisq.test(simulate.p.value = TRUE)`): tables with the observed margins are drawn uniformly
 * at random and p = (1 + #{X²* >= X²}) / (B + 1). Each table is drawn as R does, by Patefield's algorithm
 * (Applied Statistics AS 159, 1981), which for two columns is one hypergeometric variate per row: row i's
 * column-1 count given the rows before it ({@link hypergeometric}). Cost O(B·r) uniforms, whatever the counts.
 * Used where the chi-square approximation is poor (small expected counts).
 *
 * @param replicates B, a positive integer (default 9999)
 * @returns statistic (Pearson's X²) and p in (0, 1]
 * @throws RangeError unless the table has 2 columns; or for a malformed table
 */
export function monteCarloTest(table: Table, rng: Rng, replicates = 9999): { statistic: number; p: number } {
  const { c } = checkTable(table);
  if (c !== 2) throw new RangeError(`expected a table with 2 columns but received ${c}`);
  if (!Number.isInteger(replicates) || replicates <= 0) {
    throw new RangeError(`expected a positive integer for replicates but received ${replicates}`);
  }
  const { rows, cols, total } = margins(table);
  const observed = chiSquareTest(table).statistic;
  if (total === 0 || cols[0] === 0 || cols[1] === 0) return { statistic: observed, p: 1 };
  const exp0 = rows.map((v) => (v * cols[0]) / total);
  const exp1 = rows.map((v) => (v * cols[1]) / total);
  const tol = observed * 1e-7;
  let atLeast = 0;
  for (let b = 0; b < replicates; b++) {
    let left = total; // items not yet given to a row
    let left0 = cols[0]; // column-1 items among them
    let x2 = 0;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === 0) continue;
      const x0 = left === rows[i] ? left0 : hypergeometric(rng, rows[i], left0, left);
      left -= rows[i];
      left0 -= x0;
      const x1 = rows[i] - x0;
      x2 += (x0 - exp0[i]) ** 2 / exp0[i] + (x1 - exp1[i]) ** 2 / exp1[i];
    }
    if (x2 >= observed - tol) atLeast++;
  }
  return { statistic: observed, p: (1 + atLeast) / (replicates + 1) };
}

/**
 * Cramér's V, the chi-square statistic scaled to [0, 1] (Cramér, "Mathematical Methods of
 * Statistics", 1946): V = sqrt(X² / (N · (min(r', c') − 1))), over rows and columns with non-zero
 * totals. For a groups x (present, absent) table, V = 0 when all groups share one prevalence and
 * V = 1 when the attribute is perfectly predicted by the group.
 *
 * @returns V in [0, 1]; 0 when fewer than two non-empty rows or columns remain
 */
export function cramersV(table: Table): number {
  const { rows, cols, total } = margins(table);
  const k = Math.min(rows.filter((v) => v > 0).length, cols.filter((v) => v > 0).length);
  if (k < 2 || total === 0) return 0;
  const { statistic } = chiSquareTest(table);
  return Math.min(1, Math.sqrt(statistic / (total * (k - 1))));
}

/**
 * Benjamini–Hochberg adjusted p-values ("q-values" in the loose sense), controlling the false
 * discovery rate across a family of tests (Benjamini & Hochberg, "Controlling the false discovery
 * rate", JRSS B 57, 1995). q_(i) = min over j >= i of (m / j) · p_(j), capped at 1, where p_(1) <=
 * ... <= p_(m) are the sorted p-values; identical to R's `p.adjust(p, "BH")`. Rejecting where
 * q <= α controls the FDR at α under independence or positive dependence.
 *
 * @param pValues numbers in [0, 1]; `null` or NaN entries are left out of the family (m counts
 *   only the others) and come back as null
 * @returns adjusted values in the input order, each in [0, 1] and >= its p-value
 * @throws RangeError when a p-value is outside [0, 1]
 */
export function benjaminiHochberg(pValues: readonly (number | null)[]): (number | null)[] {
  const idx: number[] = [];
  pValues.forEach((p, i) => {
    if (p === null || Number.isNaN(p)) return;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`expected p-values in [0, 1] but received ${p}`);
    idx.push(i);
  });
  const m = idx.length;
  const out: (number | null)[] = pValues.map(() => null);
  idx.sort((x, y) => (pValues[x] as number) - (pValues[y] as number));
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const i = idx[k];
    running = Math.min(running, ((pValues[i] as number) * m) / (k + 1));
    out[i] = running;
  }
  return out;
}

/** Which test {@link testEqualPrevalence} used ('rao-scott': the cluster-aware test of analysis/cluster.ts, with --cluster). */
export type TestMethod = 'chi-square' | 'fisher-exact' | 'monte-carlo-exact' | 'constant' | 'rao-scott';

/** Result of {@link testEqualPrevalence}. */
export interface PrevalenceTest {
  method: TestMethod;
  /** Pearson's X² of the table (also reported when an exact test gave p). */
  statistic: number;
  df: number;
  p: number;
  cramersV: number;
  /** Smallest expected count under independence over the non-empty rows. */
  minExpected: number;
}

/**
 * Test that every group has the same prevalence, from a groups x (present, absent) table.
 *
 * Method: Pearson's chi-square, unless expected counts are small — for a 2 x 2 table with any
 * expected count below 5, Fisher's exact test; for more rows, when any expected count is below 1
 * or more than 20% are below 5 (Cochran, "Some methods for strengthening the common χ² tests",
 * Biometrics 10, 1954), the Monte Carlo exact test. When nobody or everybody shows the attribute
 * the groups cannot differ: method 'constant', p = 1 (the exact conditional p-value).
 *
 * @param table rows = groups (at least 2 non-empty), columns = [present, absent]
 * @param rng needed only for the Monte Carlo test; seeded by the caller for reproducibility
 * @returns the test, or null when fewer than two groups have any faces
 * @throws RangeError for a malformed table or one without 2 columns
 */
export function testEqualPrevalence(table: Table, rng: Rng, monteCarloReplicates = 9999): PrevalenceTest | null {
  const { c } = checkTable(table);
  if (c !== 2) throw new RangeError(`expected a table with 2 columns (present, absent) but received ${c}`);
  const kept = table.filter((row) => row[0] + row[1] > 0);
  if (kept.length < 2) return null;
  const { cols } = margins(kept);
  if (cols[0] === 0 || cols[1] === 0) {
    return { method: 'constant', statistic: 0, df: 0, p: 1, cramersV: 0, minExpected: 0 };
  }
  const chi = chiSquareTest(kept);
  const v = cramersV(kept);
  const flat = chi.expected.flat();
  const minExpected = Math.min(...flat);
  const base = { statistic: chi.statistic, df: chi.df, cramersV: v, minExpected };
  if (kept.length === 2) {
    if (minExpected < 5) return { ...base, method: 'fisher-exact', p: fisherExact2x2(kept) };
    return { ...base, method: 'chi-square', p: chi.p };
  }
  const under5 = flat.filter((e) => e < 5).length / flat.length;
  if (minExpected < 1 || under5 > 0.2) {
    return { ...base, method: 'monte-carlo-exact', p: monteCarloTest(kept, rng, monteCarloReplicates).p };
  }
  return { ...base, method: 'chi-square', p: chi.p };
}
