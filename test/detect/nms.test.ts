import { describe, expect, it } from 'vitest';
import { iou, weightedNonMaxSuppression } from '../../src/detect/nms.js';
import type { Detection, Point } from '../../src/types.js';

function det(x: number, y: number, w: number, score: number): Detection {
  const lm: Point[] = Array.from({ length: 6 }, (_, k) => [x + k, y + k]);
  return { box: { x, y, width: w, height: w }, score, landmarks: lm };
}

describe('iou', () => {
  it('matches hand-computed overlaps', () => {
    // two 10x10 boxes offset by 5 in x: inter 50, union 150
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(1 / 3, 12);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 })).toBe(0);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 })).toBe(1);
    expect(iou({ x: 0, y: 0, width: 0, height: 0 }, { x: 0, y: 0, width: 0, height: 0 })).toBe(0);
  });
});

describe('weightedNonMaxSuppression', () => {
  it('merges a cluster into the score-weighted mean and keeps separate faces apart', () => {
    const a = det(0, 0, 10, 0.9);
    const b = det(2, 0, 10, 0.6); // IoU with a = 80/120 = 0.667
    const c = det(100, 100, 20, 0.8);
    const out = weightedNonMaxSuppression([b, c, a], 0.3);
    expect(out).toHaveLength(2);
    // sorted by score: merged a+b (0.9) first, then c
    expect(out[0].score).toBe(0.9);
    expect(out[0].box.x).toBeCloseTo((0.9 * 0 + 0.6 * 2) / 1.5, 12); // 0.8
    expect(out[0].box.width).toBeCloseTo(10, 12);
    expect(out[0].landmarks[3][0]).toBeCloseTo((0.9 * 3 + 0.6 * 5) / 1.5, 12); // 3.8
    expect(out[1]).toEqual(c);
  });

  it('does not merge boxes whose IoU is at or below the threshold', () => {
    const a = det(0, 0, 10, 0.9);
    const b = det(5, 0, 10, 0.8); // IoU 1/3
    expect(weightedNonMaxSuppression([a, b], 0.4)).toHaveLength(2);
    expect(weightedNonMaxSuppression([a, b], 0.3)).toHaveLength(1);
  });

  it('returns nothing for nothing', () => {
    expect(weightedNonMaxSuppression([])).toEqual([]);
  });
});
