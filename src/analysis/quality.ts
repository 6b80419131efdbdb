/**
 * The comparison's quality section (issue 14): per group, the distribution of each quality measure and of head
 * pose; a Kruskal–Wallis test of difference between groups for each; and the accuracy the model can be expected
 * to lose in each group given the measured accuracy-vs-quality relation, with a plain warning when the groups
 * differ by a point or more.
 */
import jStat from 'jstat';
import { MEASURED_RELATION } from '../quality/measured.js';
import type { MeasuredRelation, RelationMeasure } from '../quality/relation.js';
import type { FaceQuality, HeadPose } from '../types.js';

/** The measures the section describes, with their units (for tables). */
export const QUALITY_SECTION_MEASURES = [
  { key: 'eye_distance', label: 'eye distance', unit: 'px' },
  { key: 'sharpness', label: 'sharpness', unit: '' },
  { key: 'brightness', label: 'brightness', unit: '' },
  { key: 'contrast', label: 'contrast', unit: '' },
  { key: 'clipped', label: 'clipped share', unit: '' },
  { key: 'score', label: 'detector score', unit: '' },
  { key: 'abs_yaw', label: '|yaw|', unit: '°' },
  { key: 'pitch', label: 'pitch', unit: '°' },
  { key: 'abs_roll', label: '|roll|', unit: '°' },
] as const;
export type QualitySectionMeasure = (typeof QUALITY_SECTION_MEASURES)[number]['key'];

/** A kept face's measures, as {@link toObservations} lists them (plus its detector score). */
export interface MeasuredFace {
  group: string;
  quality: FaceQuality;
  pose: HeadPose;
  score?: number;
}

/** Five-number-ish summary of one measure in one group. */
export interface Distribution {
  n: number;
  /** Quartiles (type 7, as R's `quantile` default and NumPy's `percentile`): 25th, 50th, 75th; NaN when n = 0. */
  q1: number;
  median: number;
  q3: number;
  min: number;
  max: number;
}

/** Kruskal–Wallis H test result (tie-corrected H, chi-square approximation with k − 1 df). */
export interface KruskalWallis {
  statistic: number;
  df: number;
  p: number;
}

/** The quality section of a comparison. */
export interface QualitySection {
  groups: string[];
  /** Measure → group → distribution. */
  distributions: Record<QualitySectionMeasure, Record<string, Distribution>>;
  /** Measure → test of difference between groups (null when fewer than two groups have faces, or all values tie). */
  tests: Record<QualitySectionMeasure, KruskalWallis | null>;
  /**
   * Group → expected change of mean attribute accuracy (a fraction, ≤ 0) from its faces' quality under the measured
   * relation: per face the worst (most negative) bin loss over eye distance, sharpness, brightness, |yaw| and |roll|, then
   * the mean over the group's faces. NaN for a group without faces.
   */
  expectedAccuracyChange: Record<string, number>;
  /** The largest difference of expected accuracy change between two groups, in points (≥ 0). */
  expectedGapPoints: number;
  /** Plain-language warning when that gap is at least 1 point, else null. */
  warning: string | null;
  /** Where the relation comes from. */
  relationSource: string;
}

/** Quantile of sorted values, type 7 (linear interpolation between order statistics). */
function quantileSorted(s: number[], p: number): number {
  if (!s.length) return NaN;
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]) - s[lo]);
}

/** Distribution of values (see {@link Distribution}). */
export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, q1: quantileSorted(s, 0.25), median: quantileSorted(s, 0.5), q3: quantileSorted(s, 0.75), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/**
 * Kruskal–Wallis H test of whether k samples come from the same distribution: ranks of the pooled values (ties get
 * their mean rank), H = 12/(N(N+1)) Σ R_i²/n_i − 3(N+1), divided by the tie correction 1 − Σ(t³−t)/(N³−N); p from
 * the chi-square distribution with k − 1 df (Kruskal & Wallis 1952; as SciPy's `scipy.stats.kruskal`). Empty
 * samples are left out.
 * @returns null when fewer than two samples have values, or all values are equal.
 */
export function kruskalWallis(samples: readonly (readonly number[])[]): KruskalWallis | null {
  const groups = samples.filter((s) => s.length > 0);
  if (groups.length < 2) return null;
  const pooled = groups.flatMap((s, g) => s.map((v) => ({ v, g })));
  pooled.sort((a, b) => a.v - b.v);
  const N = pooled.length;
  const rankSum = new Array(groups.length).fill(0);
  let ties = 0;
  for (let i = 0; i < N; ) {
    let j = i;
    while (j + 1 < N && pooled[j + 1].v === pooled[i].v) j++;
    const rank = (i + j + 2) / 2; // ranks i+1 … j+1, averaged
    for (let k = i; k <= j; k++) rankSum[pooled[k].g] += rank;
    const t = j - i + 1;
    ties += t ** 3 - t;
    i = j + 1;
  }
  const correction = 1 - ties / (N ** 3 - N);
  if (correction <= 0) return null;
  let h = 0;
  groups.forEach((s, g) => (h += rankSum[g] ** 2 / s.length));
  h = ((12 / (N * (N + 1))) * h - 3 * (N + 1)) / correction;
  const df = groups.length - 1;
  return { statistic: h, df, p: 1 - jStat.chisquare.cdf(h, df) };
}

function valueOf(f: MeasuredFace, m: QualitySectionMeasure): number | undefined {
  switch (m) {
    case 'abs_yaw':
      return Math.abs(f.pose.yaw);
    case 'pitch':
      return f.pose.pitch;
    case 'abs_roll':
      return Math.abs(f.pose.roll);
    case 'score':
      return f.score;
    default:
      return f.quality[m];
  }
}

/**
 * Expected change of mean attribute accuracy for one face under `relation` (a fraction ≤ 0): the most negative
 * bin loss over the relation's measures (positive losses, which are noise, count as 0). Taking the worst measure
 * rather than the sum avoids counting twice what small faces and blur share.
 */
export function expectedAccuracyChange(q: FaceQuality, pose: HeadPose, relation: MeasuredRelation = MEASURED_RELATION): number {
  let worst = 0;
  for (const m of Object.keys(relation.bins) as RelationMeasure[]) {
    const v = m === 'abs_yaw' ? Math.abs(pose.yaw) : m === 'abs_roll' ? Math.abs(pose.roll) : q[m];
    const bin = relation.bins[m].find((b) => v >= b.lo && (b.hi === null || v < b.hi));
    if (bin && bin.loss < worst) worst = bin.loss;
  }
  return worst;
}

/** Build the quality section from the kept faces of each group. */
export function qualitySection(faces: readonly MeasuredFace[], groups: readonly string[], relation: MeasuredRelation = MEASURED_RELATION): QualitySection {
  const byGroup = new Map(groups.map((g) => [g, faces.filter((f) => f.group === g)]));
  const distributions = {} as QualitySection['distributions'];
  const tests = {} as QualitySection['tests'];
  for (const { key } of QUALITY_SECTION_MEASURES) {
    const samples = groups.map((g) => byGroup.get(g)!.map((f) => valueOf(f, key)).filter((v): v is number => typeof v === 'number'));
    distributions[key] = Object.fromEntries(groups.map((g, i) => [g, distribution(samples[i])]));
    tests[key] = kruskalWallis(samples);
  }
  const expected: Record<string, number> = {};
  for (const g of groups) {
    const fs = byGroup.get(g)!;
    expected[g] = fs.length ? fs.reduce((s, f) => s + expectedAccuracyChange(f.quality, f.pose, relation), 0) / fs.length : NaN;
  }
  const finite = groups.filter((g) => Number.isFinite(expected[g]));
  let gap = 0, worstGroup = '', bestGroup = '';
  for (const a of finite) for (const b of finite) if (expected[b] - expected[a] > gap) [gap, worstGroup, bestGroup] = [expected[b] - expected[a], a, b];
  const pts = (v: number) => `${(100 * v).toFixed(1)}`;
  const warning =
    100 * gap >= 1
      ? `The groups differ in face quality enough to change the model's accuracy: from the measured relation between quality and accuracy, its mean attribute accuracy is expected to be ${pts(-expected[worstGroup])} points below full quality in "${worstGroup}" but ${pts(-expected[bestGroup])} in "${bestGroup}". Part of any difference between these groups may be the model's errors rather than the faces; consider comparing only faces that pass --quality default, and check the differences that remain.`
      : null;
  return { groups: [...groups], distributions, tests, expectedAccuracyChange: expected, expectedGapPoints: 100 * gap, warning, relationSource: relation.source };
}
