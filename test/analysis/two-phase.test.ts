import { describe, expect, it } from 'vitest';
import { compareGroups, type FaceObservation } from '../../src/analysis/compare.js';
import { createRng } from '../../src/analysis/random.js';
import { MIN_GROUP_LABELS, replicateVariance, simulateTwoPhase, twoPhaseEstimate, twoPhaseVariance, waldHomogeneity, type TwoPhaseCounts } from '../../src/analysis/two-phase.js';

// Group A: 100 faces, the model says yes for 40. Of 10 labelled yes-faces 8 have the attribute (PPV 0.8); of 10
// labelled no-faces 1 has it (NPV 0.9).
const A: TwoPhaseCounts = { decidedYes: 40, decidedNo: 60, labelledYes: 10, presentAmongYes: 8, labelledNo: 10, presentAmongNo: 1 };

describe('two-phase (double sampling) estimator, by hand', () => {
  it('π̂ = W1·PPV + W0·(1 − NPV) = 0.4·0.8 + 0.6·0.1 = 0.38', () => {
    expect(twoPhaseEstimate(A, 0.8, 0.1)).toBeCloseTo(0.38, 12);
  });
  it("Cochran's variance: phase 1 = 0.4·0.6·0.7²/100 = 0.001176; phase 2 = 0.4²·0.16/10 + 0.6²·0.09/10 = 0.0058", () => {
    const v = twoPhaseVariance(A, 0.8, 0.1, 10, 10);
    expect(v.phase1).toBeCloseTo(0.001176, 12);
    expect(v.phase2).toBeCloseTo(0.0058, 12);
  });
  it('reduces to p(1 − p)/N when every face is labelled', () => {
    // 30 yes-faces (24 present), 70 no-faces (7 present), all labelled: p = 31/100.
    const all: TwoPhaseCounts = { decidedYes: 30, decidedNo: 70, labelledYes: 30, presentAmongYes: 24, labelledNo: 70, presentAmongNo: 7 };
    const v = twoPhaseVariance(all, 0.8, 0.1, 30, 70);
    expect(twoPhaseEstimate(all, 0.8, 0.1)).toBeCloseTo(0.31, 12);
    expect(v.phase1 + v.phase2).toBeCloseTo((0.31 * 0.69) / 100, 12);
  });
  it('simulation: estimate 0.38, replicate SD within 10% of √0.006976 = 0.0835, interval contains the estimate; 185 more labels halve it', () => {
    const r = simulateTwoPhase([A], createRng(5), 20000, 0.95);
    const g = r.groups[0]!;
    expect(g.estimate).toBeCloseTo(0.38, 12);
    expect([g.n, g.labelled, g.pooled]).toEqual([100, 20, null]);
    expect(g.ppv).toBeCloseTo(0.8, 12);
    expect(g.npv).toBeCloseTo(0.9, 12);
    expect(g.variance).toBeCloseTo(0.006976, 12);
    expect(Math.sqrt(replicateVariance(r.replicates[0])) / Math.sqrt(0.006976)).toBeGreaterThan(0.9);
    expect(Math.sqrt(replicateVariance(r.replicates[0])) / Math.sqrt(0.006976)).toBeLessThan(1.1);
    expect(g.lower).toBeLessThan(0.38);
    expect(g.upper).toBeGreaterThan(0.38);
    // Halving the width = variance / 4: 0.001176 + 0.0058·20/m' = 0.001744 -> m' = 204.2 -> 205 labels, 185 more.
    expect(g.labelsToHalve).toBe(185);
  });
  it('never gives a zero-width interval when every labelled face agrees with the model', () => {
    const perfect: TwoPhaseCounts = { decidedYes: 10, decidedNo: 90, labelledYes: 5, presentAmongYes: 5, labelledNo: 15, presentAmongNo: 0 };
    const g = simulateTwoPhase([perfect], createRng(1), 2000, 0.95).groups[0]!;
    expect(g.estimate).toBeCloseTo(0.1, 12);
    expect(g.upper - g.lower).toBeGreaterThan(0.02);
    expect(g.lower).toBeLessThanOrEqual(0.1);
  });
  it('pools predictive values over groups only for a group with too few labels, and flags it', () => {
    const few: TwoPhaseCounts = { decidedYes: 50, decidedNo: 50, labelledYes: 2, presentAmongYes: 2, labelledNo: 2, presentAmongNo: 0 };
    const noYesLabel: TwoPhaseCounts = { decidedYes: 5, decidedNo: 95, labelledYes: 0, presentAmongYes: 0, labelledNo: 20, presentAmongNo: 2 };
    expect(MIN_GROUP_LABELS).toBe(10);
    const r = simulateTwoPhase([A, few, noYesLabel], createRng(2), 500, 0.95);
    expect(r.groups[0]!.pooled).toBeNull();
    // Pooled over the three groups: PPV = (8 + 2 + 0)/(10 + 2 + 0) = 10/12, 1 − NPV = (1 + 0 + 2)/(10 + 2 + 20) = 3/32.
    expect(r.groups[1]!.pooled).toBe('both');
    expect(r.groups[1]!.estimate).toBeCloseTo(0.5 * (10 / 12) + 0.5 * (3 / 32), 12);
    expect(r.groups[2]!.pooled).toBe('ppv');
    expect(r.groups[2]!.estimate).toBeCloseTo(0.05 * (10 / 12) + 0.95 * (2 / 20), 12);
  });
  it('refuses inconsistent counts', () => {
    expect(() => simulateTwoPhase([{ ...A, presentAmongYes: 11 }], createRng(1), 10, 0.95)).toThrow(RangeError);
  });
});

describe('Wald homogeneity test (Cochran Q)', () => {
  it('two groups: 0.38 (V 0.006976) vs 0.10 (V 0.002): X² = 0.28²/(0.008976) = 8.734, p = 0.003122 (SciPy chi2.sf(8.734, 1))', () => {
    const t = waldHomogeneity([{ estimate: 0.38, variance: 0.006976 }, { estimate: 0.1, variance: 0.002 }])!;
    expect(t.statistic).toBeCloseTo(0.0784 / 0.008976, 9);
    expect(t.df).toBe(1);
    expect(t.p).toBeCloseTo(0.0031227, 5);
  });
});

describe('compareGroups with hand labels', () => {
  // Group g1: 100 faces, model yes on 40; 20 labelled as group A above. Group g2: 100 faces, model yes on 40 too,
  // but the model is worse there: of 10 labelled yes-faces 3 are present, of 10 labelled no-faces 1.
  const faces: FaceObservation[] = [];
  const add = (group: string, yes: number, no: number, ly: [number, number], ln: [number, number]) => {
    for (let i = 0; i < yes; i++) faces.push({ group, decisions: { Smiling: true }, labels: i < ly[0] ? { Smiling: i < ly[1] } : undefined });
    for (let i = 0; i < no; i++) faces.push({ group, decisions: { Smiling: false }, labels: i < ln[0] ? { Smiling: i < ln[1] } : undefined });
  };
  add('g1', 40, 60, [10, 8], [10, 1]);
  add('g2', 40, 60, [10, 3], [10, 1]);
  const r = compareGroups(faces, { attributes: ['Smiling'], twoPhase: true, bootstrapReplicates: 4000, seed: 3 });
  const a = r.panels[0].attributes[0];
  it('estimates 0.38 and 0.4·0.3 + 0.6·0.1 = 0.18, where the decisions alone say 0.40 in both groups', () => {
    expect(a.groups.map((g) => g.prevalence)).toEqual([0.4, 0.4]);
    expect(a.twoPhase!.groups.map((g) => g!.estimate)).toEqual([expect.closeTo(0.38, 12), expect.closeTo(0.18, 12)]);
    expect(a.twoPhase!.largestDifference).toMatchObject({ higherGroup: 'g1', lowerGroup: 'g2', difference: expect.closeTo(0.2, 12) });
    expect(a.twoPhase!.largestDifference!.lower).toBeLessThan(0.2);
    expect(a.twoPhase!.test!.method).toBe('wald-two-phase');
    expect(a.twoPhase!.test!.df).toBe(1);
    // The decision test sees no difference at all; the two-phase test does (X² about 0.2²/(0.0070 + 0.0040) ≈ 3.6).
    expect(a.test!.p).toBeCloseTo(1, 9);
    expect(a.twoPhase!.test!.p).toBeLessThan(0.1);
    expect(a.twoPhase!.labelsToHalve).toBeGreaterThan(0);
  });
  it('attributes without any label get no two-phase block', () => {
    const r2 = compareGroups(faces.map((f) => ({ ...f, decisions: { ...f.decisions, Male: true } })), { attributes: ['Male', 'Smiling'], twoPhase: true, bootstrapReplicates: 200 });
    expect(r2.panels[0].attributes[0].twoPhase).toBeNull();
    expect(r2.panels[0].attributes[1].twoPhase).not.toBeNull();
  });
});
