/**
 * Clustered faces (`compare --cluster COLUMN`: several photos of one person, account or event): the design effect
 * of a prevalence, the Rao–Scott corrected chi-square test, a Wilson interval on the effective sample size, and
 * the draw of a cluster bootstrap. Pure computation.
 *
 * With clusters the faces are not independent: a person's 30 photos share their Big_Lips label and, largely, the
 * model's errors on them. Every interval then resamples or discounts whole clusters, and the tests use the
 * clusters' variance, so their width and level follow the number of clusters rather than the number of faces.
 */

import { chiSquareSurvival } from './tests.js';
import type { Rng } from './random.js';
import { newcombeFromWilson, zFor, type Interval } from './wilson.js';

/** One cluster's faces per group: `count[g]` positive decisions among `n[g]` faces of group g. */
export interface ClusterCounts {
  count: number[];
  n: number[];
}

/**
 * Design effect of each group's prevalence under clustering: the cluster-robust variance of the ratio estimator
 * p̂_g = Σx_i / Σn_i, v = k/(k − 1) · Σ_i (x_i − p̂ n_i)² / n² over the group's k clusters (Cochran 1977, §6.11,
 * with-replacement variance of a ratio), divided by the binomial variance p̂(1 − p̂)/n (Kish 1965). Floored at 1
 * (a design effect below 1 would make intervals narrower than if the faces were independent); 1 when p̂ is 0 or 1
 * or the group has fewer than two clusters.
 * @returns one design effect per group (>= 1)
 */
export function designEffects(clusters: readonly ClusterCounts[], groups: number): number[] {
  return Array.from({ length: groups }, (_, g) => {
    let x = 0;
    let n = 0;
    let k = 0;
    for (const c of clusters) {
      if (c.n[g] > 0) {
        x += c.count[g];
        n += c.n[g];
        k++;
      }
    }
    if (n === 0 || k < 2 || x === 0 || x === n) return 1;
    const p = x / n;
    let ss = 0;
    for (const c of clusters) if (c.n[g] > 0) ss += (c.count[g] - p * c.n[g]) ** 2;
    const v = ((k / (k - 1)) * ss) / (n * n);
    return Math.max(1, v / ((p * (1 - p)) / n));
  });
}

/**
 * Rao–Scott corrected chi-square test of equal prevalence for clustered binary data (Rao & Scott, "A simple method
 * for the analysis of clustered binary data", Biometrics 48, 1992): each group's counts are divided by its design
 * effect (x̃ = x/d, ñ = n/d) and Pearson's statistic of the adjusted groups x (present, absent) table,
 * X² = Σ ñ_g (p̂_g − p̃)² / (p̃(1 − p̃)) with p̃ = Σx̃/Σñ, is referred to χ² with (groups − 1) df.
 * Groups without faces are left out. A cluster spanning groups contributes to each group's variance separately.
 * @returns statistic, df, p and the design effects; null when fewer than two groups have faces
 */
export function raoScottTest(clusters: readonly ClusterCounts[], groups: number): { statistic: number; df: number; p: number; designEffects: number[] } | null {
  const d = designEffects(clusters, groups);
  const x = new Array<number>(groups).fill(0);
  const n = new Array<number>(groups).fill(0);
  for (const c of clusters) for (let g = 0; g < groups; g++) {
    x[g] += c.count[g];
    n[g] += c.n[g];
  }
  const kept = [...Array(groups).keys()].filter((g) => n[g] > 0);
  if (kept.length < 2) return null;
  const xt = kept.map((g) => x[g] / d[g]);
  const nt = kept.map((g) => n[g] / d[g]);
  const pt = xt.reduce((a, b) => a + b, 0) / nt.reduce((a, b) => a + b, 0);
  const df = kept.length - 1;
  if (pt <= 0 || pt >= 1) return { statistic: 0, df, p: 1, designEffects: d };
  const statistic = kept.reduce((s, g, i) => s + (nt[i] * (x[g] / n[g] - pt) ** 2) / (pt * (1 - pt)), 0);
  return { statistic, df, p: chiSquareSurvival(statistic, df), designEffects: d };
}

/**
 * Wilson score interval on the effective sample size n/deff (Korn & Graubard, "Confidence intervals for
 * proportions with small expected number of positive counts estimated from survey data", Survey Methodology 24,
 * 1998): the Wilson formula with the proportion p̂ = count/n and n replaced by n/deff. Equals the Wilson interval
 * when deff = 1.
 * @param deff design effect >= 1
 */
export function wilsonEffective(count: number, n: number, deff: number, confidence = 0.95): Interval {
  const p = count / n;
  const m = n / deff;
  const z = zFor(confidence);
  const z2 = z * z;
  const centre = (p + z2 / (2 * m)) / (1 + z2 / m);
  const half = (z / (1 + z2 / m)) * Math.sqrt((p * (1 - p)) / m + z2 / (4 * m * m));
  return { lower: count === 0 ? 0 : Math.max(0, centre - half), upper: count === n ? 1 : Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score interval for p1 − p2 (Newcombe 1998, method 10) built from {@link wilsonEffective}
 * intervals, for clustered groups.
 */
export function newcombeEffective(c1: number, n1: number, d1: number, c2: number, n2: number, d2: number, confidence = 0.95): Interval & { difference: number } {
  return newcombeFromWilson(c1 / n1, wilsonEffective(c1, n1, d1, confidence), c2 / n2, wilsonEffective(c2, n2, d2, confidence));
}

/**
 * One cluster-bootstrap draw (Davison & Hinkley, "Bootstrap Methods and their Application", 1997, §3.8; Field &
 * Welsh, JRSS B 69, 2007): as many clusters as there are, with replacement; how often each cluster was drawn.
 */
export function drawClusterWeights(rng: Rng, k: number): Uint32Array {
  const w = new Uint32Array(k);
  for (let i = 0; i < k; i++) w[rng.int(k)]++;
  return w;
}
