import { describe, expect, it } from 'vitest';
import { alignmentTransform, TEMPLATE_POINTS } from '../../src/align/index.js';
import { applySimilarity, estimateSimilarity, invertSimilarity } from '../../src/align/similarity.js';
import type { Point } from '../../src/types.js';

describe('estimateSimilarity', () => {
  it('recovers a known rotation, scale and translation to 1e-6', () => {
    const theta = (30 * Math.PI) / 180, s = 2.5, tx = 12, ty = -7;
    const a = s * Math.cos(theta), b = s * Math.sin(theta);
    const src: Point[] = [[0, 0], [10, 0], [3, 8], [-4, 5]];
    // hand-computed: x' = a x - b y + tx, y' = b x + a y + ty
    const dst: Point[] = src.map(([x, y]) => [a * x - b * y + tx, b * x + a * y + ty]);
    // spot check one point by hand: (10, 0) -> (2.5 cos30 * 10 + 12, 2.5 sin30 * 10 - 7) = (33.6506…, 5.5)
    expect(dst[1][0]).toBeCloseTo(21.650635 + 12, 5);
    expect(dst[1][1]).toBeCloseTo(5.5, 10);
    const t = estimateSimilarity(src, dst);
    expect(Math.hypot(t.a, t.b)).toBeCloseTo(s, 6);
    expect(Math.atan2(t.b, t.a)).toBeCloseTo(theta, 6);
    expect(t.tx).toBeCloseTo(tx, 6);
    expect(t.ty).toBeCloseTo(ty, 6);
  });

  it('is the least-squares fit for noisy points (centroid maps to centroid)', () => {
    const src: Point[] = [[0, 0], [2, 0], [1, 2]];
    const dst: Point[] = [[1, 1], [5, 1.2], [3, 5]];
    const t = estimateSimilarity(src, dst);
    const c = applySimilarity(t, [1, 2 / 3]);
    expect(c[0]).toBeCloseTo(3, 10);
    expect(c[1]).toBeCloseTo((1 + 1.2 + 5) / 3, 10);
  });

  it('inverts exactly', () => {
    const t = { a: 1.2, b: -0.5, tx: 3, ty: 4 };
    const p: Point = [7, -2];
    const q = applySimilarity(invertSimilarity(t), applySimilarity(t, p));
    expect(q[0]).toBeCloseTo(7, 12);
    expect(q[1]).toBeCloseTo(-2, 12);
  });

  it('refuses degenerate input', () => {
    expect(() => estimateSimilarity([[1, 1], [1, 1]], [[0, 0], [1, 1]])).toThrow(/identical/);
    expect(() => estimateSimilarity([[1, 1]], [[0, 0]])).toThrow(/at least 2/);
    expect(() => estimateSimilarity([[1, 1], [2, 2]], [[0, 0]])).toThrow(/as many/);
  });
});

describe('alignmentTransform', () => {
  it('maps keypoints that are a rotated, scaled copy of the template exactly onto it', () => {
    // A face at twice template scale, rotated by -20 degrees, shifted by (300, 150).
    const th = (-20 * Math.PI) / 180;
    const fwd = { a: 2 * Math.cos(th), b: 2 * Math.sin(th), tx: 300, ty: 150 };
    const [re, le, mo] = TEMPLATE_POINTS.map((p) => applySimilarity(fwd, p as Point));
    const landmarks: Point[] = [re, le, [0, 0], mo, [0, 0], [0, 0]];
    const t = alignmentTransform({ box: { x: 0, y: 0, width: 1, height: 1 }, score: 1, landmarks });
    expect(Math.hypot(t.a, t.b)).toBeCloseTo(0.5, 9);
    expect(Math.atan2(t.b, t.a)).toBeCloseTo(-th, 9);
    const back = applySimilarity(t, re);
    expect(back[0]).toBeCloseTo(TEMPLATE_POINTS[0][0], 6);
    expect(back[1]).toBeCloseTo(TEMPLATE_POINTS[0][1], 6);
  });
});
