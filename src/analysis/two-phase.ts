/**
 * Two-phase (double) sampling for prevalence with a fallible classifier: every face gets the model's decision
 * (phase 1); a simple random sample of each group's faces is labelled by hand (phase 2). The predictive-value
 * estimator
 *
 *   π̂ = W₁·PPV + W₀·(1 − NPV),   W₁ = N₁/N (share decided yes), W₀ = N₀/N,
 *   PPV = y₁/m₁ (labelled present among the m₁ labelled faces decided yes), 1 − NPV = y₀/m₀,
 *
 * is Tenenbein's ("A double sampling scheme for estimating from binomial data with misclassifications", JASA 65,
 * 1970) and Cochran's double sampling for stratification with the decision as the stratum ("Sampling Techniques",
 * 3rd ed. 1977, §12.2). It needs no assumption that the model errs on these faces as on CelebA, nor equally in
 * every group: PPV and NPV are measured in the group's own labelled faces.
 *
 * Its variance (Cochran 1977, eq. 12.3 with an infinite population and plug-in estimates) is
 *
 *   V = W₁W₀(π₁ − π₀)²/N + Σ_d W_d² π_d(1 − π_d)/m_d,   π₁ = PPV, π₀ = 1 − NPV,
 *
 * the first term from phase 1 (which faces the model decided yes), the second from phase 2 (the labels). It
 * equals p(1 − p)/N when every face is labelled. Pure computation; no I/O.
 */

import { drawClusterWeights } from './cluster.js';
import { beta, type Rng } from './random.js';
import { quantileSorted } from './rogan-gladen.js';
import { chiSquareSurvival } from './tests.js';

/** One group × attribute: phase-1 decisions and phase-2 labels, split by the decision. */
export interface TwoPhaseCounts {
  /** Faces decided yes (N₁) and no (N₀) by the model: all faces of the group with a decision. */
  decidedYes: number;
  decidedNo: number;
  /** Labelled faces decided yes (m₁) and, of them, labelled present (y₁). */
  labelledYes: number;
  presentAmongYes: number;
  /** Labelled faces decided no (m₀) and, of them, labelled present (y₀). */
  labelledNo: number;
  presentAmongNo: number;
}

/**
 * A group with fewer labelled faces than this (for an attribute) borrows both predictive values from all groups'
 * labels pooled; so does a decision stratum with faces but no labelled face. Either is flagged in the report.
 */
export const MIN_GROUP_LABELS = 10;

/** The two-phase estimate of one group for one attribute. */
export interface TwoPhasePrevalence {
  /** Faces with a decision (phase 1). */
  n: number;
  /** Labelled faces (phase 2). */
  labelled: number;
  /** π̂ = W₁·PPV + W₀·(1 − NPV). */
  estimate: number;
  /** Percentile interval of the simulation (see {@link simulateTwoPhase}). */
  lower: number;
  upper: number;
  /** Predictive values used (the group's own, or pooled where flagged); null for an empty stratum. */
  ppv: number | null;
  npv: number | null;
  /** Which predictive values were pooled over all groups because this group had too few labels; null when none. */
  pooled: null | 'both' | 'ppv' | 'npv';
  /** Cochran's variance (module comment) with the values used. */
  variance: number;
  /**
   * More labelled faces in this group that would halve the interval's width (variance / 4), under the same
   * predictive values and the same random sampling; null when labels alone cannot (the phase-1 term, from the
   * number of faces, is over a quarter of the variance: more photos are needed, not labels).
   */
  labelsToHalve: number | null;
}

/** π̂ from the counts and the predictive values in use. */
export function twoPhaseEstimate(c: TwoPhaseCounts, pi1: number, pi0: number): number {
  const N = c.decidedYes + c.decidedNo;
  return (c.decidedYes * pi1 + c.decidedNo * pi0) / N;
}

/**
 * Cochran's two-phase variance split into its phase-1 and phase-2 terms (module comment).
 * @param m1, m0 labelled faces behind π₁ and π₀ (the pooled counts where pooled)
 */
export function twoPhaseVariance(c: TwoPhaseCounts, pi1: number, pi0: number, m1: number, m0: number): { phase1: number; phase2: number } {
  const N = c.decidedYes + c.decidedNo;
  const w1 = c.decidedYes / N;
  const w0 = c.decidedNo / N;
  const phase1 = (w1 * w0 * (pi1 - pi0) ** 2) / N;
  const phase2 = (w1 > 0 && m1 > 0 ? (w1 * w1 * pi1 * (1 - pi1)) / m1 : 0) + (w0 > 0 && m0 > 0 ? (w0 * w0 * pi0 * (1 - pi0)) / m0 : 0);
  return { phase1, phase2 };
}

/**
 * Two-phase estimates of several groups for one attribute, with percentile intervals from a simulation of both
 * phases. Each replicate draws, per group, the share decided yes W₁* ~ Beta(N₁ + ½, N₀ + ½) and the predictive
 * values π_d* ~ Beta(y_d + ½, m_d − y_d + ½) (Jeffreys; Brown, Cai & DasGupta 2001), and takes
 * π* = W₁*π₁* + (1 − W₁*)π₀*. To first order its variance is Cochran's (module comment); the Jeffreys draws keep
 * a width where a stratum has 0 or all of its labelled faces present (a plain resampling would give none).
 * Pooled predictive values are drawn once per replicate and shared by the groups that use them.
 *
 * @param groups counts per group, in order
 * @param replicates B, a positive integer
 * @param confidence two-sided level in (0, 1)
 * @param clusters per cluster, the counts of its faces in each group (summing to `groups`): a cluster bootstrap
 *   (whole clusters with replacement) replaces the Jeffreys draws where resampling can vary the counts
 * @returns per group the estimate (null when the group has no faces, or a stratum has faces but no labelled face
 *   in any group), and the replicates `[group][b]` for differences between groups
 * @throws RangeError on negative or inconsistent counts
 */
export function simulateTwoPhase(
  groups: readonly TwoPhaseCounts[],
  rng: Rng,
  replicates: number,
  confidence: number,
  clusters?: readonly (readonly TwoPhaseCounts[])[],
): { groups: (TwoPhasePrevalence | null)[]; replicates: Float64Array[] } {
  for (const c of groups) {
    const v = [c.decidedYes, c.decidedNo, c.labelledYes, c.presentAmongYes, c.labelledNo, c.presentAmongNo];
    if (v.some((x) => !Number.isInteger(x) || x < 0) || c.presentAmongYes > c.labelledYes || c.presentAmongNo > c.labelledNo) {
      throw new RangeError(`expected non-negative integer counts with present <= labelled but received ${JSON.stringify(c)}`);
    }
  }
  const pool = { y1: 0, m1: 0, y0: 0, m0: 0 };
  for (const c of groups) {
    pool.y1 += c.presentAmongYes;
    pool.m1 += c.labelledYes;
    pool.y0 += c.presentAmongNo;
    pool.m0 += c.labelledNo;
  }
  // Per group: which counts stand behind π₁ and π₀ (own or pooled), or why there is no estimate.
  const plan = groups.map((c) => {
    const N = c.decidedYes + c.decidedNo;
    if (N === 0) return null;
    const few = c.labelledYes + c.labelledNo < MIN_GROUP_LABELS;
    const pool1 = c.decidedYes > 0 && (few || c.labelledYes === 0);
    const pool0 = c.decidedNo > 0 && (few || c.labelledNo === 0);
    const s1 = pool1 ? { y: pool.y1, m: pool.m1 } : { y: c.presentAmongYes, m: c.labelledYes };
    const s0 = pool0 ? { y: pool.y0, m: pool.m0 } : { y: c.presentAmongNo, m: c.labelledNo };
    if ((c.decidedYes > 0 && s1.m === 0) || (c.decidedNo > 0 && s0.m === 0)) return null;
    const pooled: TwoPhasePrevalence['pooled'] = pool1 && pool0 ? 'both' : pool1 ? 'ppv' : pool0 ? 'npv' : null;
    return { c, N, s1, s0, pool1, pool0, pooled };
  });

  const B = replicates;
  const reps = groups.map(() => new Float64Array(B));
  // With clusters, a replicate takes whole clusters with replacement and recomputes every count from them; a rate
  // that resampling cannot vary (0 or all of the labelled faces present, or no labelled face drawn) keeps its
  // Jeffreys draw from the original counts.
  const ratio = (y: number, m: number, yStar: number, mStar: number): number =>
    mStar > 0 && y > 0 && y < m ? yStar / mStar : beta(rng, y + 0.5, m - y + 0.5);
  for (let b = 0; b < B; b++) {
    if (clusters) {
      const w = drawClusterWeights(rng, clusters.length);
      const star = groups.map(() => ({ decidedYes: 0, decidedNo: 0, labelledYes: 0, presentAmongYes: 0, labelledNo: 0, presentAmongNo: 0 }));
      clusters.forEach((cl, i) => {
        if (w[i] === 0) return;
        cl.forEach((c, g) => {
          for (const k of Object.keys(c) as (keyof TwoPhaseCounts)[]) star[g][k] += w[i] * c[k];
        });
      });
      const ps = star.reduce((a, c) => ({ y1: a.y1 + c.presentAmongYes, m1: a.m1 + c.labelledYes, y0: a.y0 + c.presentAmongNo, m0: a.m0 + c.labelledNo }), { y1: 0, m1: 0, y0: 0, m0: 0 });
      const pooled1 = pool.m1 > 0 ? ratio(pool.y1, pool.m1, ps.y1, ps.m1) : NaN;
      const pooled0 = pool.m0 > 0 ? ratio(pool.y0, pool.m0, ps.y0, ps.m0) : NaN;
      plan.forEach((p, g) => {
        if (!p) {
          reps[g][b] = NaN;
          return;
        }
        const { c } = p;
        const cs = star[g];
        const nStar = cs.decidedYes + cs.decidedNo;
        const w1 = c.decidedYes === 0 ? 0 : c.decidedNo === 0 ? 1 : nStar > 0 ? cs.decidedYes / nStar : beta(rng, c.decidedYes + 0.5, c.decidedNo + 0.5);
        const pi1 = w1 === 0 ? 0 : p.pool1 ? pooled1 : ratio(p.s1.y, p.s1.m, cs.presentAmongYes, cs.labelledYes);
        const pi0 = w1 === 1 ? 0 : p.pool0 ? pooled0 : ratio(p.s0.y, p.s0.m, cs.presentAmongNo, cs.labelledNo);
        reps[g][b] = w1 * pi1 + (1 - w1) * pi0;
      });
      continue;
    }
    const pooled1 = pool.m1 > 0 ? beta(rng, pool.y1 + 0.5, pool.m1 - pool.y1 + 0.5) : NaN;
    const pooled0 = pool.m0 > 0 ? beta(rng, pool.y0 + 0.5, pool.m0 - pool.y0 + 0.5) : NaN;
    plan.forEach((p, g) => {
      if (!p) {
        reps[g][b] = NaN;
        return;
      }
      const { c } = p;
      const w1 = c.decidedYes === 0 ? 0 : c.decidedNo === 0 ? 1 : beta(rng, c.decidedYes + 0.5, c.decidedNo + 0.5);
      const pi1 = w1 === 0 ? 0 : p.pool1 ? pooled1 : beta(rng, p.s1.y + 0.5, p.s1.m - p.s1.y + 0.5);
      const pi0 = w1 === 1 ? 0 : p.pool0 ? pooled0 : beta(rng, p.s0.y + 0.5, p.s0.m - p.s0.y + 0.5);
      reps[g][b] = w1 * pi1 + (1 - w1) * pi0;
    });
  }
  const tail = (1 - confidence) / 2;
  const out = plan.map((p, g): TwoPhasePrevalence | null => {
    if (!p) return null;
    const { c, N } = p;
    const pi1 = p.s1.m > 0 ? p.s1.y / p.s1.m : 0;
    const pi0 = p.s0.m > 0 ? p.s0.y / p.s0.m : 0;
    const estimate = twoPhaseEstimate(c, pi1, pi0);
    const sorted = Float64Array.from(reps[g]).sort();
    const lower = Math.min(estimate, quantileSorted(sorted, tail));
    const upper = Math.max(estimate, quantileSorted(sorted, 1 - tail));
    const v = twoPhaseVariance(c, pi1, pi0, p.s1.m, p.s0.m);
    const variance = v.phase1 + v.phase2;
    // Width ∝ √V; V(m') = phase1 + phase2·m/m' (proportional allocation under random sampling); V(m') = V/4.
    const m = c.labelledYes + c.labelledNo;
    const need = variance / 4 - v.phase1;
    const labelsToHalve = m > 0 && need > 0 && v.phase2 > 0 ? Math.max(0, Math.ceil((v.phase2 * m) / need) - m) : null;
    return {
      n: N,
      labelled: m,
      estimate,
      lower,
      upper,
      ppv: c.decidedYes > 0 ? pi1 : null,
      npv: c.decidedNo > 0 ? 1 - pi0 : null,
      pooled: p.pooled,
      variance,
      labelsToHalve,
    };
  });
  return { groups: out, replicates: reps };
}

/**
 * Wald test of equal prevalence across groups from independent estimates with variances (e.g. the two-phase
 * estimates): X² = Σ_g (π̂_g − π̄)²/V_g with π̄ the inverse-variance weighted mean, referred to χ² with k − 1
 * degrees of freedom (the homogeneity test of a meta-analysis, Cochran's Q: Cochran, "The combination of
 * estimates from different experiments", Biometrics 10, 1954).
 * @param estimates per group: estimate and variance (> 0); groups with a non-positive or non-finite variance
 *   are left out
 * @returns statistic, df and p; null when fewer than two groups remain
 */
export function waldHomogeneity(estimates: readonly { estimate: number; variance: number }[]): { statistic: number; df: number; p: number } | null {
  const ok = estimates.filter((e) => e.variance > 0 && Number.isFinite(e.variance) && Number.isFinite(e.estimate));
  if (ok.length < 2) return null;
  const w = ok.map((e) => 1 / e.variance);
  const sw = w.reduce((a, b) => a + b, 0);
  const mean = ok.reduce((a, e, i) => a + w[i] * e.estimate, 0) / sw;
  const statistic = ok.reduce((a, e, i) => a + w[i] * (e.estimate - mean) ** 2, 0);
  const df = ok.length - 1;
  return { statistic, df, p: chiSquareSurvival(statistic, df) };
}

/** Sample variance of the finite values (n − 1 denominator); NaN with fewer than two. */
export function replicateVariance(r: ArrayLike<number>): number {
  let n = 0;
  let s = 0;
  for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i])) {
    n++;
    s += r[i];
  }
  if (n < 2) return NaN;
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i])) ss += (r[i] - mean) ** 2;
  return ss / (n - 1);
}
