/**
 * Misclassification-corrected prevalence: the Rogan–Gladen estimator and a parametric bootstrap
 * interval that carries the uncertainty of both the sample and the validation counts behind
 * sensitivity and specificity.
 */

import { drawClusterWeights, type ClusterCounts } from './cluster.js';
import { beta, type Rng } from './random.js';
import type { Interval } from './wilson.js';

/** Confusion counts of one attribute on a labelled validation set (positives = label true). */
export interface ValidationCounts {
  tp: number;
  fn: number;
  tn: number;
  fp: number;
}

/**
 * Rogan–Gladen estimate of the true prevalence from the apparent prevalence (share of positive
 * decisions) of a classifier with known sensitivity and specificity (Rogan & Gladen, "Estimating
 * prevalence from the results of a screening test", American Journal of Epidemiology 107, 1978):
 *
 *   π̂ = (a + Sp − 1) / (Se + Sp − 1), clipped to [0, 1].
 *
 * It follows from a = Se·π + (1 − Sp)(1 − π), which holds when the classifier errs at the same
 * rates in the sample as on the validation set (non-differential misclassification).
 *
 * @param apparent share of positive decisions, in [0, 1]
 * @param sensitivity P(decision | attribute present), in [0, 1]
 * @param specificity P(no decision | attribute absent), in [0, 1]
 * @returns the clipped estimate in [0, 1]
 * @throws RangeError when an argument is outside [0, 1], or when Se + Sp <= 1 (a classifier no
 *   better than chance carries no information about prevalence)
 */
export function roganGladen(apparent: number, sensitivity: number, specificity: number): number {
  for (const [name, v] of [['apparent', apparent], ['sensitivity', sensitivity], ['specificity', specificity]] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`expected a number in [0, 1] for ${name} but received ${v}`);
  }
  if (!(sensitivity + specificity - 1 > 0)) {
    throw new RangeError(`expected sensitivity + specificity > 1 but received ${sensitivity} + ${specificity}`);
  }
  return clip01(unclippedRoganGladen(apparent, sensitivity, specificity));
}

/** (a + Sp − 1) / (Se + Sp − 1) before clipping; outside [0, 1] when a > Se or a < 1 − Sp. No checks. */
function unclippedRoganGladen(apparent: number, sensitivity: number, specificity: number): number {
  return (apparent + specificity - 1) / (sensitivity + specificity - 1);
}

/** Why a correction could not be made for an attribute, or null when it can. */
export function correctionProblem(v: ValidationCounts): string | null {
  for (const k of ['tp', 'fn', 'tn', 'fp'] as const) {
    if (!Number.isInteger(v[k]) || v[k] < 0) return `validation ${k} is not a non-negative integer (${v[k]})`;
  }
  if (v.tp + v.fn === 0) return 'no positive examples in the validation split, so sensitivity is unknown';
  if (v.tn + v.fp === 0) return 'no negative examples in the validation split, so specificity is unknown';
  const se = v.tp / (v.tp + v.fn);
  const sp = v.tn / (v.tn + v.fp);
  if (se + sp <= 1) return `sensitivity + specificity = ${(se + sp).toFixed(3)} <= 1: the classifier is no better than chance`;
  return null;
}

/**
 * How the corrected interval is simulated, in words for reports (the HTML report's summary box and methods both
 * print this one sentence; docs/compare.md says the same). It describes {@link bootstrapCorrected}.
 */
export const CORRECTED_INTERVAL_METHOD =
  'each replicate redraws every group\'s share of positive decisions and the sensitivity and specificity from their Jeffreys distributions (Beta(k + ½, m − k + ½) for k of m), applies Rogan–Gladen with clipping to [0, 1], and the interval is the percentile interval of the replicates; so it carries both the sampling error of the groups and the uncertainty of the validation counts';

/** Options for {@link bootstrapCorrected}. */
export interface BootstrapOptions {
  /** Number of bootstrap replicates, a positive integer (default 2000). */
  replicates?: number;
  /** Two-sided level of the percentile intervals, in (0, 1) (default 0.95). */
  confidence?: number;
  rng: Rng;
  /**
   * Faces in clusters (e.g. persons): per cluster, positive decisions and faces of each group (arrays in group
   * order, summing to the groups' counts). Each replicate then draws the groups' apparent prevalences by a cluster
   * bootstrap (whole clusters with replacement, {@link drawClusterWeights}) instead of the Jeffreys draw; a group
   * with 0 or all faces positive (where resampling clusters cannot vary) keeps a Jeffreys draw on its number of
   * clusters, Beta(k·p̂ + ½, k·(1 − p̂) + ½).
   */
  clusters?: readonly ClusterCounts[];
}

/** Corrected prevalence of one group: point estimate and percentile bootstrap interval. */
export interface CorrectedPrevalence extends Interval {
  estimate: number;
  /**
   * 'at 1' when the raw prevalence is above the sensitivity, 'at 0' when it is below 1 − specificity: the
   * unclipped Rogan–Gladen value lies outside [0, 1], the estimate is only a bound, and an interval pressed
   * against it (e.g. [100%, 100%]) is no claim of certainty. It means the model errs differently on these faces
   * than on the validation faces, or the group is small. null when the estimate needed no clipping.
   */
  clipped: 'at 0' | 'at 1' | null;
}

/** What {@link bootstrapCorrected} returns. */
export interface CorrectedBootstrap {
  /** Sensitivity and specificity estimated from the validation counts. */
  sensitivity: number;
  specificity: number;
  /** One entry per input group, in input order; null for a group with n = 0. */
  groups: (CorrectedPrevalence | null)[];
  /**
   * The replicates, `replicates[g][b]` for group g and replicate b (clipped to [0, 1]); groups in
   * one replicate share the same resampled Se and Sp, so differences between groups can be taken
   * replicate by replicate. Replicates where the resampled Se + Sp <= 1 are dropped.
   */
  replicates: Float64Array[];
  /** Replicates dropped because the resampled Se + Sp <= 1. */
  dropped: number;
}

/**
 * Rogan–Gladen corrected prevalence for several groups measured with one classifier, with a
 * simulation interval (percentile method, as a parametric bootstrap: Efron & Tibshirani, "An
 * Introduction to the Bootstrap", 1993). Each replicate redraws the three proportions from their
 * Jeffreys distributions (Beta(k + 1/2, m − k + 1/2) for k successes in m; Brown, Cai & DasGupta,
 * "Interval estimation for a binomial proportion", Statistical Science 16, 2001):
 *
 * - every group's apparent prevalence:  a*  ~ Beta(x + ½, n − x + ½),
 * - the sensitivity:                    Se* ~ Beta(tp + ½, fn + ½),
 * - the specificity:                    Sp* ~ Beta(tn + ½, fp + ½).
 *
 * Unlike redrawing x* ~ Binomial(n, x/n), this keeps its width when a group has 0 or n positives
 * (a plain parametric bootstrap then collapses to a zero-width interval, claiming certainty from
 * 0/4). The interval reflects both sampling error in the groups and estimation error in Se and Sp
 * (the two sources that Lang & Reiczigel, "Confidence limits for prevalence of disease adjusted
 * for estimated sensitivity and specificity", Preventive Veterinary Medicine 113, 2014, combine
 * analytically). Each replicate's estimate is clipped to [0, 1] before taking percentiles.
 *
 * @param groups `{count, n}` per group: positive decisions and faces, integers with 0 <= count <= n
 * @param validation the attribute's confusion counts on the validation split
 * @returns estimates, intervals and the replicate matrix (see {@link CorrectedBootstrap})
 * @throws RangeError when counts are invalid, when {@link correctionProblem} reports a problem,
 *   or when replicates/confidence are out of range
 */
export function bootstrapCorrected(
  groups: { count: number; n: number }[],
  validation: ValidationCounts,
  options: BootstrapOptions,
): CorrectedBootstrap {
  const problem = correctionProblem(validation);
  if (problem) throw new RangeError(problem);
  const B = options.replicates ?? 2000;
  if (!Number.isInteger(B) || B <= 0) throw new RangeError(`expected a positive integer for replicates but received ${B}`);
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`expected a number in (0, 1) for confidence but received ${confidence}`);
  }
  for (const g of groups) {
    if (!Number.isInteger(g.n) || g.n < 0 || !Number.isInteger(g.count) || g.count < 0 || g.count > g.n) {
      throw new RangeError(`expected integers 0 <= count <= n but received count ${g.count}, n ${g.n}`);
    }
  }
  const { rng } = options;
  const nPos = validation.tp + validation.fn;
  const nNeg = validation.tn + validation.fp;
  const se = validation.tp / nPos;
  const sp = validation.tn / nNeg;

  const perGroupClusters = groups.map((_, g) => options.clusters?.filter((c) => c.n[g] > 0).length ?? 0);
  const clusterDraws = (clusters: readonly ClusterCounts[]): number[] => {
    const w = drawClusterWeights(rng, clusters.length);
    const xs = new Array<number>(groups.length).fill(0);
    const ns = new Array<number>(groups.length).fill(0);
    clusters.forEach((c, i) => {
      if (w[i] === 0) return;
      for (let g = 0; g < groups.length; g++) {
        xs[g] += w[i] * c.count[g];
        ns[g] += w[i] * c.n[g];
      }
    });
    return groups.map((g, i) => {
      if (g.n === 0) return NaN;
      if (g.count === 0 || g.count === g.n || ns[i] === 0) {
        const k = perGroupClusters[i];
        const kx = (k * g.count) / g.n;
        return beta(rng, kx + 0.5, k - kx + 0.5);
      }
      return xs[i] / ns[i];
    });
  };
  const reps = groups.map(() => new Float64Array(B));
  let kept = 0;
  let dropped = 0;
  for (let b = 0; b < B; b++) {
    const seB = beta(rng, validation.tp + 0.5, validation.fn + 0.5);
    const spB = beta(rng, validation.tn + 0.5, validation.fp + 0.5);
    const draws = options.clusters ? clusterDraws(options.clusters) : groups.map((g) => (g.n === 0 ? NaN : beta(rng, g.count + 0.5, g.n - g.count + 0.5)));
    if (!(seB + spB - 1 > 0)) {
      dropped++;
      continue;
    }
    for (let g = 0; g < groups.length; g++) reps[g][kept] = clip01(unclippedRoganGladen(draws[g], seB, spB));
    kept++;
  }
  const replicates = reps.map((r) => r.slice(0, kept));
  const alpha = 1 - confidence;
  return {
    sensitivity: se,
    specificity: sp,
    groups: groups.map((g, i) => {
      if (g.n === 0 || kept === 0) return null;
      const sorted = Float64Array.from(replicates[i]).sort();
      const unclipped = unclippedRoganGladen(g.count / g.n, se, sp);
      const estimate = clip01(unclipped);
      // A percentile interval need not contain the estimate (skewed, clipped replicates); the printed one always does.
      return {
        estimate,
        clipped: unclipped > 1 ? 'at 1' as const : unclipped < 0 ? 'at 0' as const : null,
        lower: Math.min(estimate, quantileSorted(sorted, alpha / 2)),
        upper: Math.max(estimate, quantileSorted(sorted, 1 - alpha / 2)),
      };
    }),
    replicates,
    dropped,
  };
}

/**
 * Quantile of an ascending-sorted sample by linear interpolation between order statistics
 * (Hyndman & Fan 1996, type 7; R's default).
 * @param sorted ascending, non-empty
 * @param q in [0, 1]
 * @throws RangeError when the sample is empty or q is outside [0, 1]
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('expected a non-empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`expected a number in [0, 1] for q but received ${q}`);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function clip01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
