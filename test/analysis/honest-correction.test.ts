import { describe, expect, it } from 'vitest';
import { compareGroups, MIN_BOOTSTRAP_REPLICATES, MIN_YOUDEN_J, type FaceObservation } from '../../src/analysis/compare.js';
import { createRng } from '../../src/analysis/random.js';
import { bootstrapCorrected } from '../../src/analysis/rogan-gladen.js';

function faces(group: string, positives: number, n: number, attribute = 'Big_Lips'): FaceObservation[] {
  return Array.from({ length: n }, (_, i) => ({ group, decisions: { [attribute]: i < positives } }));
}

describe('no correction where the model separates an attribute too poorly', () => {
  it(`withholds Rogan–Gladen below J = ${MIN_YOUDEN_J} (Big_Lips: Se 0.14, Sp 0.98, J = 0.12) and says why`, () => {
    const r = compareGroups([...faces('a', 19, 100), ...faces('b', 30, 100)], {
      attributes: ['Big_Lips'],
      validation: { Big_Lips: { tp: 14, fn: 86, tn: 980, fp: 20 } },
      bootstrapReplicates: 200,
    });
    const a = r.panels[0].attributes[0];
    expect(a.correction).toEqual({ unavailable: expect.stringMatching(/Youden's J = Se \+ Sp − 1 = 0\.12 < 0\.8.*raw share only.*--validation-labels/) });
    expect(a.groups.map((g) => g.corrected)).toEqual([null, null]);
    expect(a.largestDifference!.corrected).toBeNull();
    // With the threshold off the correction is attempted (the rule withheld it) — and shows why it must not be:
    // raw 30% is above Se = 14%, so every replicate clips to 100% (the "0.0%‡ [0.0, 0.0]" case, mirrored).
    const all = compareGroups([...faces('a', 19, 100), ...faces('b', 30, 100)], { attributes: ['Big_Lips'], validation: { Big_Lips: { tp: 14, fn: 86, tn: 980, fp: 20 } }, bootstrapReplicates: 200, minYoudenJ: 0 });
    expect(all.panels[0].attributes[0].correction).toMatchObject({ sensitivity: 0.14, specificity: 0.98 });
    expect(all.panels[0].attributes[0].groups[1].correctedWithheld).toMatch(/clipped to 100%/);
  });
  it('corrects at J = 0.85 (Se 0.9, Sp 0.95): (0.3 + 0.95 − 1)/0.85 = 0.2941', () => {
    const r = compareGroups([...faces('a', 30, 100, 'Smiling'), ...faces('b', 60, 100, 'Smiling')], { attributes: ['Smiling'], validation: { Smiling: { tp: 900, fn: 100, tn: 950, fp: 50 } }, bootstrapReplicates: 400 });
    expect(r.panels[0].attributes[0].groups[0].corrected!.estimate).toBeCloseTo(0.25 / 0.85, 12);
  });
});

describe('no interval of zero width, none that misses its own estimate, a minimum replicate count', () => {
  it('withholds a corrected figure whose replicates all clip to one bound (100 of 100 faces, Se 0.9), with the reason', () => {
    const r = compareGroups([...faces('a', 100, 100, 'Smiling'), ...faces('b', 50, 100, 'Smiling')], {
      attributes: ['Smiling'],
      validation: { Smiling: { tp: 90000, fn: 10000, tn: 95000, fp: 5000 } },
      bootstrapReplicates: 400,
    });
    const [a, b] = r.panels[0].attributes[0].groups;
    expect(a.corrected).toBeNull();
    expect(a.correctedWithheld).toMatch(/every simulated replicate was clipped to 100%/);
    expect(b.corrected!.upper - b.corrected!.lower).toBeGreaterThan(0.1);
    expect(r.panels[0].attributes[0].largestDifference!.corrected).toBeNull();
  });
  it(`refuses fewer than ${MIN_BOOTSTRAP_REPLICATES} replicates (--bootstrap 1 gave [0.8667, 0.8667] around 0.8297)`, () => {
    expect(MIN_BOOTSTRAP_REPLICATES).toBe(200);
    expect(() => compareGroups([...faces('a', 1, 5), ...faces('b', 2, 5)], { bootstrapReplicates: 1 })).toThrow(/expected an integer >= 200 for bootstrapReplicates but received 1/);
  });
  it('every corrected interval contains its estimate, even when the replicates are skewed by clipping', () => {
    const rng = createRng(11);
    const validation = { tp: 61, fn: 39, tn: 950, fp: 50 };
    for (const [count, n] of [[9, 10], [0, 4], [1, 50], [60, 100], [4, 4]] as const) {
      for (const g of bootstrapCorrected([{ count, n }], validation, { replicates: 200, rng }).groups) {
        expect(g!.lower).toBeLessThanOrEqual(g!.estimate);
        expect(g!.upper).toBeGreaterThanOrEqual(g!.estimate);
      }
    }
  });
});
