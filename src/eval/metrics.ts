import { createRng } from '../analysis/random.js';
import { quantileSorted } from '../analysis/rogan-gladen.js';

/** Per-attribute evaluation figures. Rates are in [0, 1]. */
export interface AttributeMetrics {
  name: string;
  /** Images evaluated (missed faces included, as errors). */
  n: number;
  tp: number;
  fn: number;
  tn: number;
  fp: number;
  /** (tp + tn) / n. */
  accuracy: number;
  /** (TPR + TNR) / 2; a rate with an empty class counts as the other rate alone. */
  balancedAccuracy: number;
  /** Accuracy of always predicting the more common true label. */
  baseline: number;
}

/**
 * Predictions for a set of images: `decisions[i * K + k]` is 1/0, and `missed[i]` is 1 when no face was
 * found in image i (then every attribute of that image counts as an error).
 */
export interface PredictionTable {
  decisions: Uint8Array;
  missed: Uint8Array;
}

/**
 * Score predictions against labels. A missed face is scored as the wrong answer for every attribute (a
 * positive label becomes a false negative, a negative one a false positive).
 * @param truth `truth[i * K + k]` in {0, 1}; `K = names.length`.
 * @param rows optional image indices to score (default all); repeated indices count repeatedly (bootstrap).
 * @throws RangeError when the array lengths disagree.
 */
export function scoreAttributes(names: readonly string[], truth: Uint8Array, pred: PredictionTable, rows?: ArrayLike<number>): AttributeMetrics[] {
  const K = names.length;
  const n = truth.length / K;
  if (!Number.isInteger(n) || pred.decisions.length !== truth.length || pred.missed.length !== n) {
    throw new RangeError(`expected ${truth.length} decisions and ${n} missed flags but received ${pred.decisions.length} and ${pred.missed.length}`);
  }
  const tp = new Float64Array(K), fn = new Float64Array(K), tn = new Float64Array(K), fp = new Float64Array(K);
  const count = rows ? rows.length : n;
  for (let r = 0; r < count; r++) {
    const i = rows ? rows[r] : r;
    const miss = pred.missed[i] === 1;
    for (let k = 0; k < K; k++) {
      const t = truth[i * K + k];
      const p = miss ? 1 - t : pred.decisions[i * K + k];
      if (t) (p ? tp : fn)[k]++;
      else (p ? fp : tn)[k]++;
    }
  }
  return names.map((name, k) => {
    const pos = tp[k] + fn[k], neg = tn[k] + fp[k];
    const tpr = pos > 0 ? tp[k] / pos : NaN, tnr = neg > 0 ? tn[k] / neg : NaN;
    const bal = Number.isNaN(tpr) ? tnr : Number.isNaN(tnr) ? tpr : (tpr + tnr) / 2;
    return {
      name, n: count, tp: tp[k], fn: fn[k], tn: tn[k], fp: fp[k],
      accuracy: count ? (tp[k] + tn[k]) / count : NaN,
      balancedAccuracy: bal,
      baseline: count ? Math.max(pos, neg) / count : NaN,
    };
  });
}

/**
 * Expected calibration error (Naeini et al., AAAI 2015; Guo et al., ICML 2017) of one attribute's probabilities:
 * the images are put in `bins` equal-width probability bins, and ECE = sum over bins of
 * (images in bin / images) * |mean probability - fraction of true labels|. In [0, 1]; 0 is perfect calibration.
 * @param probs `probs[i * K + k]` in [0, 1]; `truth` likewise in {0, 1}.
 * @param rows the image indices to include (e.g. those with a detected face); NaN when empty.
 * @throws RangeError when `k` is outside [0, K) or `bins` is not a positive integer.
 */
export function expectedCalibrationError(probs: ArrayLike<number>, truth: ArrayLike<number>, K: number, k: number, rows: ArrayLike<number>, bins = 10): number {
  if (!(k >= 0 && k < K) || !Number.isInteger(bins) || bins < 1) throw new RangeError(`expected 0 <= k < ${K} and a positive integer bin count but received k=${k}, bins=${bins}`);
  const count = new Float64Array(bins), sumP = new Float64Array(bins), sumY = new Float64Array(bins);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    const p = probs[i * K + k];
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]++;
    sumP[b] += p;
    sumY[b] += truth[i * K + k];
  }
  if (rows.length === 0) return NaN;
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) e += (count[b] / rows.length) * Math.abs(sumP[b] / count[b] - sumY[b] / count[b]);
  return e;
}

/** Mean of a metric over attributes. */
export function meanOf(rows: readonly AttributeMetrics[], key: 'accuracy' | 'balancedAccuracy' | 'baseline'): number {
  return rows.reduce((s, r) => s + r[key], 0) / rows.length;
}

/** A 95% percentile bootstrap interval. */
export interface BootstrapInterval {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Percentile bootstrap (Efron & Tibshirani 1993) of the mean accuracy and mean balanced accuracy over the
 * attributes, resampling images with replacement `replicates` times (seeded, reproducible).
 *
 * With `clusters` (`clusters[i]` = the cluster, e.g. the person, of image i; any non-negative integers) it is a
 * cluster bootstrap (Field & Welsh, JRSS B 2007): each replicate draws as many clusters as there are, with
 * replacement, and takes every image of each drawn cluster. Photos of one person are not independent (CelebA's
 * 660 test images are 22 people x 30), so resampling images alone gives intervals that are too narrow for a claim
 * about people in general; resampling people answers that. Without `clusters` every image is its own cluster,
 * which is the plain image bootstrap.
 * @param clusters optional, length = number of images.
 * @returns 95% intervals (2.5% and 97.5% quantiles) with the full-sample point estimates.
 * @throws RangeError when `clusters` has the wrong length or a value that is not a non-negative integer.
 */
export function bootstrapMeans(
  names: readonly string[],
  truth: Uint8Array,
  pred: PredictionTable,
  replicates = 1000,
  seed = 1,
  clusters?: ArrayLike<number>,
): { accuracy: BootstrapInterval; balancedAccuracy: BootstrapInterval } {
  const n = pred.missed.length;
  const groups = clusterRows(clusters ?? Array.from({ length: n }, (_, i) => i), n);
  const full = scoreAttributes(names, truth, pred);
  const rng = createRng(seed);
  const accs = new Float64Array(replicates), bals = new Float64Array(replicates);
  for (let b = 0; b < replicates; b++) {
    const rows: number[] = [];
    for (let c = 0; c < groups.length; c++) for (const i of groups[rng.int(groups.length)]) rows.push(i);
    const m = scoreAttributes(names, truth, pred, rows);
    accs[b] = meanOf(m, 'accuracy');
    bals[b] = meanOf(m, 'balancedAccuracy');
  }
  accs.sort();
  bals.sort();
  return {
    accuracy: { estimate: meanOf(full, 'accuracy'), lower: quantileSorted(accs, 0.025), upper: quantileSorted(accs, 0.975) },
    balancedAccuracy: { estimate: meanOf(full, 'balancedAccuracy'), lower: quantileSorted(bals, 0.025), upper: quantileSorted(bals, 0.975) },
  };
}

/** The image indices of each cluster, clusters in order of first appearance. */
function clusterRows(clusters: ArrayLike<number>, n: number): number[][] {
  if (clusters.length !== n) throw new RangeError(`expected ${n} cluster labels but received ${clusters.length}`);
  const index = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = clusters[i];
    if (!Number.isInteger(c) || c < 0) throw new RangeError(`expected a non-negative integer cluster label but received ${c} for image ${i}`);
    let rows = index.get(c);
    if (!rows) index.set(c, (rows = []));
    rows.push(i);
  }
  return [...index.values()];
}
