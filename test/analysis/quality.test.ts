import { describe, expect, it } from 'vitest';
import { toObservations } from '../../src/analysis/observations.js';
import { distribution, expectedAccuracyChange, kruskalWallis, qualitySection } from '../../src/analysis/quality.js';
import type { MeasuredRelation } from '../../src/quality/relation.js';
import type { Face, PhotoResult } from '../../src/types.js';

const face = (eye: number, yaw = 0, sharp = 0.1): Face => ({
  box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9, landmarks: [],
  pose: { yaw, pitch: 0, roll: 0 },
  quality: { eye_distance: eye, sharpness: sharp, brightness: 0.5, contrast: 0.1, clipped: 0 },
  attributes: {}, decisions: { Smiling: true },
});
const photo = (path: string, faces: Face[]): PhotoResult => ({ path, width: 100, height: 100, faces, error: null });

describe('Kruskal–Wallis test', () => {
  it('matches SciPy (scipy.stats.kruskal, SciPy 1.17.1) with and without ties', () => {
    // kruskal([1,2,3,4,5],[3,4,5,6,7,8],[2,2,9,10]) -> statistic 2.889873417721524, pvalue 0.23576099766580166
    const a = kruskalWallis([[1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8], [2, 2, 9, 10]])!;
    expect(a.statistic).toBeCloseTo(2.889873417721524, 10);
    expect(a.df).toBe(2);
    expect(a.p).toBeCloseTo(0.23576099766580166, 8);
    // kruskal([0.1,0.2,0.35,0.4],[0.3,0.5,0.6,0.7,0.9]) -> statistic 3.84, pvalue 0.050043521248705126
    const b = kruskalWallis([[0.1, 0.2, 0.35, 0.4], [0.3, 0.5, 0.6, 0.7, 0.9]])!;
    expect(b.statistic).toBeCloseTo(3.84, 10);
    expect(b.p).toBeCloseTo(0.050043521248705126, 8);
  });

  it('gives no test for fewer than two non-empty samples or all-equal values', () => {
    expect(kruskalWallis([[1, 2], []])).toBeNull();
    expect(kruskalWallis([[3, 3], [3]])).toBeNull();
  });

  it('quartiles are type 7 (R quantile default): 1..10 -> 3.25, 5.5, 7.75', () => {
    expect(distribution([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual({ n: 10, q1: 3.25, median: 5.5, q3: 7.75, min: 1, max: 10 });
  });
});

describe('expected accuracy change and the warning', () => {
  const relation: MeasuredRelation = {
    source: 'hand-made',
    referenceAccuracy: 0.9,
    bins: {
      eye_distance: [{ lo: 0, hi: 10, n: 50, loss: -0.05 }, { lo: 10, hi: null, n: 50, loss: 0.002 }],
      sharpness: [{ lo: 0, hi: 0.02, n: 50, loss: -0.03 }, { lo: 0.02, hi: null, n: 50, loss: 0 }],
      brightness: [{ lo: 0, hi: null, n: 50, loss: 0 }],
      abs_yaw: [{ lo: 0, hi: 30, n: 50, loss: 0 }, { lo: 30, hi: null, n: 50, loss: -0.02 }],
      abs_roll: [{ lo: 0, hi: null, n: 50, loss: 0 }],
    },
  };

  it('per face: the worst bin loss over the measures (positive losses count as 0)', () => {
    const q = (eye: number, sharp: number) => ({ eye_distance: eye, sharpness: sharp, brightness: 0.5, contrast: 0.1, clipped: 0 });
    expect(expectedAccuracyChange(q(20, 0.1), { yaw: 0, pitch: 0, roll: 0 }, relation)).toBe(0);
    expect(expectedAccuracyChange(q(5, 0.01), { yaw: 0, pitch: 0, roll: 0 }, relation)).toBe(-0.05);
    expect(expectedAccuracyChange(q(20, 0.01), { yaw: -45, pitch: 0, roll: 0 }, relation)).toBe(-0.03);
  });

  it('warns when the groups\' expected accuracy differs by a point or more, not otherwise', () => {
    const faces = [
      ...[20, 20, 20, 20].map((e) => ({ group: 'A', quality: face(e).quality!, pose: face(e).pose!, score: 0.9 })),
      ...[5, 20, 20, 20].map((e) => ({ group: 'B', quality: face(e).quality!, pose: face(e).pose!, score: 0.9 })),
    ];
    const s = qualitySection(faces, ['A', 'B'], relation);
    expect(s.expectedAccuracyChange).toEqual({ A: 0, B: -0.0125 });
    expect(s.expectedGapPoints).toBeCloseTo(1.25, 10);
    expect(s.warning).toMatch(/1\.3 points below full quality in "B" but 0\.0 in "A"/);
    expect(s.distributions.eye_distance.B).toMatchObject({ n: 4, median: 20, min: 5 });
    expect(s.tests.eye_distance).not.toBeNull();
    const calm = qualitySection(faces.filter((f) => f.group === 'A' || f.quality.eye_distance > 10), ['A', 'B'], relation);
    expect(calm.warning).toBeNull();
  });
});

describe('toObservations with a quality rule', () => {
  it('leaves failing faces out and counts them per group and per filter', () => {
    const photos = [
      { photo: photo('a1.jpg', [face(30), face(8), face(6, 50)]), assignment: { group: 'A' } },
      { photo: photo('b1.jpg', [face(30, 60), face(25)]), assignment: { group: 'B' } },
    ];
    const { faces, summary, measured } = toObservations(photos, { kind: 'none' }, 0, ['A', 'B'], undefined, undefined, { minEyeDistance: 11, maxYaw: 40 });
    expect(faces.map((f) => f.group)).toEqual(['A', 'B']);
    expect(summary.faces).toEqual({ A: 1, B: 1 });
    expect(summary.qualityExcluded).toEqual({ A: 2, B: 1 });
    expect(summary.qualityExcludedBy).toEqual({ A: { 'min-eye-distance': 2, 'max-yaw': 1 }, B: { 'max-yaw': 1 } });
    expect(measured.map((m) => m.quality.eye_distance)).toEqual([30, 25]);
  });

  it('names the photo when a record has no quality to judge', () => {
    const old = face(30);
    delete old.quality;
    expect(() => toObservations([{ photo: photo('old.jpg', [old]), assignment: { group: 'A' } }], { kind: 'none' }, 0, ['A'], undefined, undefined, { minEyeDistance: 11 })).toThrow(/old\.jpg: a face record has no "quality"/);
  });
});
