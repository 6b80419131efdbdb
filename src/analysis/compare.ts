/**
 * The core of `facetally compare`: per group and attribute, prevalence with a Wilson interval and
 * a misclassification-corrected prevalence with a bootstrap interval; per attribute, a test of
 * equal prevalence across groups, Benjamini–Hochberg adjustment across attributes, effect sizes
 * and a ranking. Pure computation on face records; no I/O.
 *
 * Faces are the unit of analysis: a photo with three faces contributes three observations.
 */

import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { createRng } from './random.js';
import { bootstrapCorrected, correctionProblem, quantileSorted, type CorrectedPrevalence, type ValidationCounts } from './rogan-gladen.js';
import { designEffects, newcombeEffective, raoScottTest, wilsonEffective, type ClusterCounts } from './cluster.js';
import { benjaminiHochberg, testEqualPrevalence, type PrevalenceTest } from './tests.js';
import { replicateVariance, simulateTwoPhase, waldHomogeneity, type TwoPhaseCounts, type TwoPhasePrevalence } from './two-phase.js';
import { newcombeDifference, wilsonInterval, type Interval } from './wilson.js';

/**
 * Fewest bootstrap replicates accepted: a percentile interval from fewer rests on a handful of order statistics
 * (with one replicate it has zero width and need not contain its own estimate).
 */
export const MIN_BOOTSTRAP_REPLICATES = 200;

/**
 * Rogan–Gladen is applied only to attributes whose Youden index J = Se + Sp − 1 (validation counts) is at least
 * this; below it the corrected figure is withheld and the raw share shown with the reason. The correction divides
 * by J, so a small J multiplies every error in the raw share and in the assumed error rates. Chosen on CelebA-HQ
 * VALIDATION photos split by true labels (scripts/compare-targets.ts; docs/compare.md, "Choosing the J threshold"):
 * below J = 0.8 the corrected figure was on average further from the truth than the raw share, and its intervals
 * covered the truth in only 43–80% of cells (about 50% between 0.4 and 0.7), so it is not printed.
 */
export const MIN_YOUDEN_J = 0.8;

/** One face as the comparison sees it. */
export interface FaceObservation {
  /** The user-defined group the face's photo belongs to. */
  group: string;
  /** Level of the second factor (e.g. "Male" / "not Male", or a manifest column's value); null for none. */
  level?: string | null;
  /** Attribute name → decision. Attributes absent here are left out of that attribute's counts. */
  decisions: Record<string, boolean>;
  /** Hand labels of this face (phase 2 of two-phase sampling): attribute → present; absent = not labelled. */
  labels?: Record<string, boolean>;
  /** The cluster (e.g. person) the face belongs to, with the `cluster` option. */
  cluster?: string;
}

/** Options of {@link compareGroups}. */
export interface CompareOptions {
  /** Attributes to analyse, in report order (default: the 40 CelebA attributes). */
  attributes?: readonly string[];
  /** Group order (default: order of first appearance). Groups listed but without faces are kept with n = 0. */
  groups?: readonly string[];
  /** Level order of the second factor (default: sorted). */
  levels?: readonly string[];
  /** Name of the second factor, for the report (e.g. "gender" or "Male"). */
  factor?: string | null;
  /**
   * Validation confusion counts per attribute (the model sidecar's `validation.per_attribute`);
   * when given, each prevalence is also corrected for misclassification (Rogan–Gladen).
   */
  validation?: Record<string, ValidationCounts> | null;
  /** Two-sided confidence level of all intervals (default 0.95). */
  confidence?: number;
  /** False discovery rate for flagging attributes (default 0.05). */
  alpha?: number;
  /** Bootstrap replicates for corrected intervals (default 2000, at least {@link MIN_BOOTSTRAP_REPLICATES}). */
  bootstrapReplicates?: number;
  /** Youden's J below which no Rogan–Gladen correction is made (default {@link MIN_YOUDEN_J}; 0 corrects every attribute Se + Sp > 1 allows). */
  minYoudenJ?: number;
  /** Replicates of the Monte Carlo exact test (default 9999). */
  monteCarloReplicates?: number;
  /** Seed of all random draws (default 1). Same inputs + same seed = same output. */
  seed?: number;
  /**
   * Two-phase estimation from the faces' hand labels (`FaceObservation.labels`, a random sample per group): for
   * every attribute with labels, the predictive-value estimate per group, its interval, a test and the largest
   * difference built on it (see ./two-phase.ts). Default false.
   */
  twoPhase?: boolean;
  /**
   * The unit of resampling when faces come in clusters (e.g. "person", a manifest column): every face then needs
   * `cluster`, every interval resamples whole clusters (raw: Wilson on the effective sample size) and every test
   * is cluster-aware (Rao–Scott; see ./cluster.ts). Default: none, faces are independent.
   */
  cluster?: string | null;
}

/** One group's figures for one attribute. */
export interface GroupPrevalence {
  group: string;
  /** Faces with a decision for this attribute. */
  n: number;
  /** Faces with a positive decision. */
  count: number;
  /** count / n, or null when n = 0. */
  prevalence: number | null;
  /** Wilson score interval, or null when n = 0. */
  wilson: Interval | null;
  /** Rogan–Gladen corrected prevalence with bootstrap interval; null without validation counts, when n = 0, or when withheld. */
  corrected: CorrectedPrevalence | null;
  /**
   * Why no corrected figure is printed for this group although the attribute is corrected: its simulation interval
   * had zero width (every replicate clipped to the same bound), which would claim a certainty the data do not have.
   */
  correctedWithheld?: string | null;
}

/** The largest difference in prevalence between two groups, oriented so that `difference` >= 0. */
export interface LargestDifference {
  /** Group with the higher prevalence. */
  higherGroup: string;
  lowerGroup: string;
  /** prevalence(higherGroup) − prevalence(lowerGroup), with Newcombe's hybrid score interval. */
  difference: number;
  lower: number;
  upper: number;
  /** The same two groups' difference in corrected prevalence, with a bootstrap interval; null without correction. */
  corrected: { difference: number; lower: number; upper: number } | null;
}

/** Everything about one attribute in one panel. */
export interface AttributeComparison {
  attribute: string;
  groups: GroupPrevalence[];
  /** Test of equal prevalence; null when fewer than two groups have faces. */
  test: PrevalenceTest | null;
  /** Benjamini–Hochberg adjusted p-value across the panel's attributes; null when untested. */
  q: number | null;
  /** q <= alpha. */
  significant: boolean;
  largestDifference: LargestDifference | null;
  /** 1 = differs most; see {@link rankAttributes}. */
  rank: number;
  /** Sensitivity/specificity used for the correction, or why there is none. */
  correction: { sensitivity: number; specificity: number; dropped: number } | { unavailable: string } | null;
  /** Two-phase estimates from hand labels; null when labels were not given or none covers this attribute. */
  twoPhase?: TwoPhaseComparison | null;
}

/** One attribute's two-phase results (see ./two-phase.ts). */
export interface TwoPhaseComparison {
  /** One entry per group, in group order; null where the group has no faces or no estimate is possible. */
  groups: (TwoPhasePrevalence | null)[];
  /** Wald test of equal two-phase prevalence (Cochran's Q with the simulation variances); null with < 2 estimates. */
  test: { method: 'wald-two-phase'; statistic: number; df: number; p: number } | null;
  /** Benjamini–Hochberg q across the panel's attributes with two-phase tests. */
  q: number | null;
  significant: boolean;
  /** The pair of groups whose two-phase estimates differ most, with a percentile interval of the difference. */
  largestDifference: { higherGroup: string; lowerGroup: string; difference: number; lower: number; upper: number } | null;
  /** The largest of the groups' `labelsToHalve` (more labels per group to halve the widest interval); null if none. */
  labelsToHalve: number | null;
}

/** All attributes for one slice of the faces: all of them, or one level of the second factor. */
export interface Panel {
  /** null for the panel of all faces. */
  level: string | null;
  /** Faces per group in this panel. */
  faces: Record<string, number>;
  attributes: AttributeComparison[];
}

/** What {@link compareGroups} returns. */
export interface CompareResult {
  attributes: string[];
  groups: string[];
  factor: string | null;
  levels: string[];
  confidence: number;
  alpha: number;
  seed: number;
  bootstrapReplicates: number;
  corrected: boolean;
  /** True when two-phase estimates from hand labels were asked for (`twoPhase` option). */
  twoPhase?: boolean;
  /** The unit of analysis: "face", or the cluster column (e.g. "person") whose clusters every interval resamples. */
  unit?: string;
  /** Number of clusters, with `cluster`. */
  clusters?: number;
  /** panels[0] = all faces; then one panel per level of the second factor, in `levels` order. */
  panels: Panel[];
}

/**
 * Compare attribute prevalence between groups of faces.
 *
 * Tests and the BH adjustment are done separately in every panel (all faces; each level of the
 * second factor), each panel being one family of `attributes.length` tests.
 *
 * @throws RangeError when options are out of range (confidence/alpha outside (0, 1), non-positive
 *   replicate counts) or there are fewer than two groups
 */
export function compareGroups(faces: readonly FaceObservation[], options: CompareOptions = {}): CompareResult {
  const attributes = [...(options.attributes ?? CELEBA_ATTRIBUTES)];
  const confidence = options.confidence ?? 0.95;
  const alpha = options.alpha ?? 0.05;
  const B = options.bootstrapReplicates ?? 2000;
  const seed = options.seed ?? 1;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`expected a number in (0, 1) for confidence but received ${confidence}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`expected a number in (0, 1) for alpha but received ${alpha}`);
  if (!Number.isInteger(B) || B < MIN_BOOTSTRAP_REPLICATES) throw new RangeError(`expected an integer >= ${MIN_BOOTSTRAP_REPLICATES} for bootstrapReplicates but received ${B}`);
  const minJ = options.minYoudenJ ?? MIN_YOUDEN_J;

  const clusterName = options.cluster ?? null;
  if (clusterName) {
    const missing = faces.filter((f) => f.cluster === undefined || f.cluster === '').length;
    if (missing) throw new RangeError(`expected a ${clusterName} for every face with the cluster option but ${missing} face(s) have none`);
  }
  const groups = [...(options.groups ?? [])];
  for (const f of faces) if (!groups.includes(f.group)) groups.push(f.group);
  if (groups.length < 2) throw new RangeError(`expected at least 2 groups but received ${groups.length} (${groups.join(', ')})`);

  const seenLevels = new Set<string>();
  for (const f of faces) if (f.level != null) seenLevels.add(f.level);
  const levels = options.levels ? [...options.levels] : [...seenLevels].sort();
  for (const l of seenLevels) if (!levels.includes(l)) levels.push(l);

  const panels: Panel[] = [buildPanel(null, faces)];
  for (const level of levels) panels.push(buildPanel(level, faces.filter((f) => f.level === level)));

  return {
    attributes,
    groups,
    factor: options.factor ?? null,
    levels,
    confidence,
    alpha,
    seed,
    bootstrapReplicates: B,
    corrected: !!options.validation,
    twoPhase: !!options.twoPhase,
    unit: clusterName ?? 'face',
    ...(clusterName ? { clusters: new Set(faces.map((f) => f.cluster)).size } : {}),
    panels,
  };

  function buildPanel(level: string | null, panelFaces: readonly FaceObservation[]): Panel {
    const gi = new Map(groups.map((g, i) => [g, i]));
    const facesPerGroup: Record<string, number> = Object.fromEntries(groups.map((g) => [g, 0]));
    for (const f of panelFaces) facesPerGroup[f.group]++;
    const rows: AttributeComparison[] = attributes.map((attribute) => {
      const n = new Array<number>(groups.length).fill(0);
      const count = new Array<number>(groups.length).fill(0);
      for (const f of panelFaces) {
        const d = f.decisions[attribute];
        if (d === undefined) continue;
        const i = gi.get(f.group) as number;
        n[i]++;
        if (d) count[i]++;
      }
      const rng = createRng(hashSeed(seed, level ?? '\u0000all', attribute));
      // Clusters: per cluster, positive decisions and faces of each group.
      let clusterCounts: ClusterCounts[] | undefined;
      let deff: number[] | null = null;
      if (clusterName) {
        const byCluster = new Map<string, ClusterCounts>();
        for (const f of panelFaces) {
          const d = f.decisions[attribute];
          if (d === undefined) continue;
          let c = byCluster.get(f.cluster as string);
          if (!c) byCluster.set(f.cluster as string, (c = { count: new Array(groups.length).fill(0), n: new Array(groups.length).fill(0) }));
          const i = gi.get(f.group) as number;
          c.n[i]++;
          if (d) c.count[i]++;
        }
        clusterCounts = [...byCluster.values()];
        deff = designEffects(clusterCounts, groups.length);
      }
      const test = clusterCounts ? raoScottPrevalenceTest(clusterCounts, groups.length) : testEqualPrevalence(
        groups.map((_, i) => [count[i], n[i] - count[i]]),
        rng,
        options.monteCarloReplicates ?? 9999,
      );

      let correction: AttributeComparison['correction'] = null;
      let boot: ReturnType<typeof bootstrapCorrected> | null = null;
      if (options.validation) {
        const v = options.validation[attribute];
        const problem = v ? correctionProblem(v) ?? youdenProblem(v, minJ) : 'no validation counts for this attribute in the model sidecar';
        if (problem) correction = { unavailable: problem };
        else {
          boot = bootstrapCorrected(groups.map((_, i) => ({ count: count[i], n: n[i] })), v, { replicates: B, confidence, rng, clusters: clusterCounts });
          correction = { sensitivity: boot.sensitivity, specificity: boot.specificity, dropped: boot.dropped };
        }
      }

      const groupRows: GroupPrevalence[] = groups.map((group, i) => ({
        group,
        n: n[i],
        count: count[i],
        prevalence: n[i] > 0 ? count[i] / n[i] : null,
        wilson: n[i] > 0 ? (deff ? wilsonEffective(count[i], n[i], deff[i], confidence) : wilsonInterval(count[i], n[i], confidence)) : null,
        corrected: boot && boot.groups[i] && !zeroWidth(boot.groups[i]) ? boot.groups[i] : null,
        ...(boot && boot.groups[i] && zeroWidth(boot.groups[i])
          ? { correctedWithheld: `every simulated replicate was clipped to ${pctText(boot.groups[i]!.lower)}: the raw share lies outside what the validation error rates allow, so no interval can be given (the model errs differently here than on the validation faces, or the group is small)` }
          : {}),
      }));

      let largestDifference: LargestDifference | null = null;
      let best = -1;
      for (let i = 0; i < groups.length; i++) {
        for (let j = i + 1; j < groups.length; j++) {
          if (n[i] === 0 || n[j] === 0) continue;
          const d = Math.abs(count[i] / n[i] - count[j] / n[j]);
          if (d <= best) continue;
          best = d;
          const [hi, lo] = count[i] / n[i] >= count[j] / n[j] ? [i, j] : [j, i];
          const nd = deff
            ? newcombeEffective(count[hi], n[hi], deff[hi], count[lo], n[lo], deff[lo], confidence)
            : newcombeDifference(count[hi], n[hi], count[lo], n[lo], confidence);
          largestDifference = {
            higherGroup: groups[hi],
            lowerGroup: groups[lo],
            difference: nd.difference,
            lower: nd.lower,
            upper: nd.upper,
            corrected: boot && groupRows[hi].corrected && groupRows[lo].corrected ? correctedDifference(boot, hi, lo, confidence) : null,
          };
        }
      }
      const twoPhase = options.twoPhase ? twoPhaseFor(attribute, panelFaces, gi, rng) : undefined;
      return { attribute, groups: groupRows, test, q: null, significant: false, largestDifference, rank: 0, correction, ...(twoPhase !== undefined ? { twoPhase } : {}) };
    });

    if (options.twoPhase) {
      const q2 = benjaminiHochberg(rows.map((r) => r.twoPhase?.test?.p ?? null));
      rows.forEach((r, i) => {
        if (!r.twoPhase) return;
        r.twoPhase.q = q2[i];
        r.twoPhase.significant = q2[i] !== null && (q2[i] as number) <= alpha;
      });
    }
    const q = benjaminiHochberg(rows.map((r) => (r.test ? r.test.p : null)));
    rows.forEach((r, i) => {
      r.q = q[i];
      r.significant = q[i] !== null && (q[i] as number) <= alpha;
    });
    rankAttributes(rows);
    return { level, faces: facesPerGroup, attributes: rows };
  }

  function twoPhaseFor(attribute: string, panelFaces: readonly FaceObservation[], gi: Map<string, number>, rng: ReturnType<typeof createRng>): TwoPhaseComparison | null {
    const counts: TwoPhaseCounts[] = groups.map(() => ({ decidedYes: 0, decidedNo: 0, labelledYes: 0, presentAmongYes: 0, labelledNo: 0, presentAmongNo: 0 }));
    let anyLabel = false;
    for (const f of panelFaces) {
      const d = f.decisions[attribute];
      if (d === undefined) continue;
      const c = counts[gi.get(f.group) as number];
      if (d) c.decidedYes++;
      else c.decidedNo++;
      const l = f.labels?.[attribute];
      if (l === undefined) continue;
      anyLabel = true;
      if (d) {
        c.labelledYes++;
        if (l) c.presentAmongYes++;
      } else {
        c.labelledNo++;
        if (l) c.presentAmongNo++;
      }
    }
    if (!anyLabel) return null;
    let clusterCells: TwoPhaseCounts[][] | undefined;
    if (clusterName) {
      const byCluster = new Map<string, TwoPhaseCounts[]>();
      for (const f of panelFaces) {
        const d = f.decisions[attribute];
        if (d === undefined) continue;
        let cells = byCluster.get(f.cluster as string);
        if (!cells) byCluster.set(f.cluster as string, (cells = groups.map(() => ({ decidedYes: 0, decidedNo: 0, labelledYes: 0, presentAmongYes: 0, labelledNo: 0, presentAmongNo: 0 }))));
        const c = cells[gi.get(f.group) as number];
        const l = f.labels?.[attribute];
        if (d) {
          c.decidedYes++;
          if (l !== undefined) {
            c.labelledYes++;
            if (l) c.presentAmongYes++;
          }
        } else {
          c.decidedNo++;
          if (l !== undefined) {
            c.labelledNo++;
            if (l) c.presentAmongNo++;
          }
        }
      }
      clusterCells = [...byCluster.values()];
    }
    const sim = simulateTwoPhase(counts, rng, B, confidence, clusterCells);
    const est = sim.groups;
    const test = waldHomogeneity(est.flatMap((e, g) => (e ? [{ estimate: e.estimate, variance: replicateVariance(sim.replicates[g]) }] : [])));
    let largest: TwoPhaseComparison['largestDifference'] = null;
    let best = -1;
    const tail = (1 - confidence) / 2;
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = est[i];
        const b = est[j];
        if (!a || !b || Math.abs(a.estimate - b.estimate) <= best) continue;
        best = Math.abs(a.estimate - b.estimate);
        const [hi, lo] = a.estimate >= b.estimate ? [i, j] : [j, i];
        const diffs = new Float64Array(B);
        for (let k = 0; k < B; k++) diffs[k] = sim.replicates[hi][k] - sim.replicates[lo][k];
        diffs.sort();
        const difference = (est[hi] as TwoPhasePrevalence).estimate - (est[lo] as TwoPhasePrevalence).estimate;
        largest = {
          higherGroup: groups[hi],
          lowerGroup: groups[lo],
          difference,
          lower: Math.min(difference, quantileSorted(diffs, tail)),
          upper: Math.max(difference, quantileSorted(diffs, 1 - tail)),
        };
      }
    }
    const halves = est.flatMap((e) => (e && e.labelsToHalve !== null ? [e.labelsToHalve] : []));
    return {
      groups: est,
      test: test ? { method: 'wald-two-phase', ...test } : null,
      q: null,
      significant: false,
      largestDifference: largest,
      labelsToHalve: halves.length ? Math.max(...halves) : null,
    };
  }
}

/** {@link raoScottTest} in the shape of a {@link PrevalenceTest} (Cramér's V from the design-adjusted table). */
function raoScottPrevalenceTest(clusters: ClusterCounts[], groups: number): PrevalenceTest | null {
  const t = raoScottTest(clusters, groups);
  if (!t) return null;
  let nAdj = 0;
  for (let g = 0; g < groups; g++) {
    let n = 0;
    for (const c of clusters) n += c.n[g];
    nAdj += n / t.designEffects[g];
  }
  return { method: 'rao-scott', statistic: t.statistic, df: t.df, p: t.p, cramersV: nAdj > 0 ? Math.sqrt(t.statistic / nAdj) : 0, minExpected: NaN };
}

/** Why J = Se + Sp − 1 is too small to correct, or null. */
function youdenProblem(v: ValidationCounts, minJ: number): string | null {
  const j = v.tp / (v.tp + v.fn) + v.tn / (v.tn + v.fp) - 1;
  if (j >= minJ) return null;
  return `the model separates this attribute too poorly to correct (Youden's J = Se + Sp − 1 = ${j.toFixed(2)} < ${minJ}): the correction would divide every error by ${j.toFixed(2)}; raw share only — label a sample of your faces (compare --validation-labels) for a trustworthy figure`;
}

function zeroWidth(c: CorrectedPrevalence | null): boolean {
  return !!c && c.upper - c.lower <= 1e-12;
}

function pctText(v: number): string {
  return `${(100 * v).toFixed(0)}%`;
}

function correctedDifference(
  boot: ReturnType<typeof bootstrapCorrected>,
  hi: number,
  lo: number,
  confidence: number,
): LargestDifference['corrected'] {
  const a = boot.groups[hi];
  const b = boot.groups[lo];
  if (!a || !b) return null;
  const ra = boot.replicates[hi];
  const rb = boot.replicates[lo];
  const diffs = new Float64Array(ra.length);
  for (let k = 0; k < ra.length; k++) diffs[k] = ra[k] - rb[k];
  diffs.sort();
  const tail = (1 - confidence) / 2;
  return { difference: a.estimate - b.estimate, lower: quantileSorted(diffs, tail), upper: quantileSorted(diffs, 1 - tail) };
}

/**
 * Rank attributes by how much they differ between groups: attributes flagged by the FDR
 * procedure come first, each block ordered by the largest pairwise difference in prevalence
 * (largest first), ties broken by q then by name. Sets `rank` (1-based) in place.
 */
export function rankAttributes(rows: AttributeComparison[]): void {
  const order = [...rows].sort((x, y) => {
    if (x.significant !== y.significant) return x.significant ? -1 : 1;
    const dx = x.largestDifference?.difference ?? -1;
    const dy = y.largestDifference?.difference ?? -1;
    if (dx !== dy) return dy - dx;
    const qx = x.q ?? 2;
    const qy = y.q ?? 2;
    if (qx !== qy) return qx - qy;
    return x.attribute < y.attribute ? -1 : x.attribute > y.attribute ? 1 : 0;
  });
  order.forEach((r, i) => (r.rank = i + 1));
}

/** A 32-bit seed from the user's seed, the panel and the attribute (FNV-1a), so draws don't depend on processing order. */
function hashSeed(seed: number, level: string, attribute: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of `${level}\u0001${attribute}`) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
