import { describe, expect, it } from 'vitest';
import { designEffects, raoScottTest, wilsonEffective, type ClusterCounts } from '../../src/analysis/cluster.js';
import { compareGroups, type FaceObservation } from '../../src/analysis/compare.js';
import { createRng } from '../../src/analysis/random.js';
import { bootstrapCorrected } from '../../src/analysis/rogan-gladen.js';
import { chiSquareTest } from '../../src/analysis/tests.js';
import { replicateVariance } from '../../src/analysis/two-phase.js';
import { wilsonInterval } from '../../src/analysis/wilson.js';

// Group A: 4 persons of 3 faces, all-or-none: (3,3), (0,3), (3,3), (0,3). Group B: (1,3), (0,3), (1,3), (0,3).
const clusters: ClusterCounts[] = [
  { count: [3, 1], n: [3, 3] },
  { count: [0, 0], n: [3, 3] },
  { count: [3, 1], n: [3, 3] },
  { count: [0, 0], n: [3, 3] },
];

describe('design effect and Rao–Scott test, by hand', () => {
  it('A: p = 0.5, v = 4/3 · 4·1.5²/12² = 0.08333, binomial 0.25/12 -> deff 4; B: ratio 0.8, floored at 1', () => {
    const d = designEffects(clusters, 2);
    expect(d[0]).toBeCloseTo(4, 10);
    expect(d[1]).toBe(1);
  });
  it('X² on the adjusted table (A: 6/4 = 1.5 of 12/4 = 3, B: 2 of 12; p̃ = 3.5/15) = 1.490683, p = 0.222110 (SciPy chi2.sf(1.490683, 1))', () => {
    const t = raoScottTest(clusters, 2)!;
    expect(t.statistic).toBeCloseTo(1.4906832298, 8);
    expect(t.df).toBe(1);
    expect(t.p).toBeCloseTo(0.2221104831, 6);
  });
  it('one face per cluster: deff = k/(k − 1), so X² is Pearson\'s scaled by (k − 1)/k (10/30 vs 20/30: 6.6667 -> 6.4444)', () => {
    const single: ClusterCounts[] = [];
    for (let i = 0; i < 30; i++) single.push({ count: [i < 10 ? 1 : 0, 0], n: [1, 0] });
    for (let i = 0; i < 30; i++) single.push({ count: [0, i < 20 ? 1 : 0], n: [0, 1] });
    expect(chiSquareTest([[10, 20], [20, 10]]).statistic).toBeCloseTo(6.6666667, 6);
    expect(designEffects(single, 2)[0]).toBeCloseTo(30 / 29, 12);
    expect(raoScottTest(single, 2)!.statistic).toBeCloseTo((6.6666667 * 29) / 30, 6);
  });
  it('Wilson on the effective sample size is Wilson when deff = 1 (7 of 20: 0.1812, 0.5671) and Wilson of 7/20 at n = 20 when deff = 5 on 35 of 100', () => {
    const w = wilsonEffective(7, 20, 1);
    expect(w.lower).toBeCloseTo(0.1812, 3);
    expect(w.upper).toBeCloseTo(0.5671, 3);
    const e = wilsonEffective(35, 100, 5);
    const ref = wilsonInterval(7, 20);
    expect(e.lower).toBeCloseTo(ref.lower, 12);
    expect(e.upper).toBeCloseTo(ref.upper, 12);
  });
});

describe('cluster bootstrap', () => {
  const validation = { tp: 900, fn: 100, tn: 950, fp: 50 };
  it('reduces to the plain resampling of faces with one face per cluster: same spread as the Jeffreys draws (within 10%)', () => {
    const single = Array.from({ length: 200 }, (_, i) => ({ count: [i < 60 ? 1 : 0], n: [1] }));
    const plain = bootstrapCorrected([{ count: 60, n: 200 }], validation, { replicates: 4000, rng: createRng(1) });
    const clustered = bootstrapCorrected([{ count: 60, n: 200 }], validation, { replicates: 4000, rng: createRng(1), clusters: single });
    expect(clustered.groups[0]!.estimate).toBe(plain.groups[0]!.estimate);
    const ratio = Math.sqrt(replicateVariance(clustered.replicates[0]) / replicateVariance(plain.replicates[0]));
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.1);
  });
  it('widens every interval and weakens the test when persons carry their attribute: 3 of 10 vs 7 of 10 persons, 10 photos each', () => {
    const faces: FaceObservation[] = [];
    for (const [group, pos] of [['A', 3], ['B', 7]] as const) {
      for (let p = 0; p < 10; p++) for (let k = 0; k < 10; k++) faces.push({ group, cluster: `${group}${p}`, decisions: { Smiling: p < pos } });
    }
    const opts = { attributes: ['Smiling'], validation: { Smiling: validation }, bootstrapReplicates: 2000, seed: 4 };
    const plain = compareGroups(faces, opts).panels[0].attributes[0];
    const byPerson = compareGroups(faces, { ...opts, cluster: 'person' });
    const a = byPerson.panels[0].attributes[0];
    expect([byPerson.unit, byPerson.clusters]).toEqual(['person', 20]);
    const width = (g: { lower: number; upper: number } | null) => g!.upper - g!.lower;
    expect(width(a.groups[0].wilson)).toBeGreaterThan(2.5 * width(plain.groups[0].wilson));
    expect(width(a.groups[0].corrected)).toBeGreaterThan(2 * width(plain.groups[0].corrected));
    // Faces: X² = 32, p < 1e-7. Persons: deff = 11.11 in both groups, X² = 32/11.11 = 2.88, p = 0.0897 (SciPy chi2.sf(2.88, 1)).
    expect(plain.test!.p).toBeLessThan(1e-7);
    expect(a.test!.method).toBe('rao-scott');
    expect(a.test!.statistic).toBeCloseTo(2.88, 8);
    expect(a.test!.p).toBeCloseTo(0.08968602, 6);
  });
  it('refuses faces without a cluster when clustering', () => {
    expect(() => compareGroups([{ group: 'a', decisions: {} }, { group: 'b', decisions: {}, cluster: 'x' }], { cluster: 'person' })).toThrow(/1 face\(s\) have none/);
  });
});
