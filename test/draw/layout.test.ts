import { describe, expect, it } from 'vitest';
import { overlapArea, placeLabels } from '../../src/draw/layout.js';

describe('overlapArea', () => {
  it('is the intersection area, 0 for disjoint or touching rectangles', () => {
    expect(overlapArea({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 6, width: 10, height: 10 })).toBe(5 * 4);
    expect(overlapArea({ x: 0, y: 0, width: 10, height: 10 }, { x: 10, y: 0, width: 5, height: 5 })).toBe(0);
    expect(overlapArea({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 20, width: 5, height: 5 })).toBe(0);
  });
});

describe('placeLabels', () => {
  it('puts a label below its box when that is free, and beside it when below would cover a neighbour\'s label', () => {
    // Two 40 px faces side by side at the top of a 200x200 image; labels 80x30 are wider than the faces.
    // A (top-left first): below, left-aligned, at y = 10 + 40 + 2 = 52, touches nothing.
    // B: below (60,52) would cover 30x30 of A's label; above is pushed inside the image onto B itself (cost
    // 0.5 x 800); right of B, (102,10), is free.
    const boxes = [{ x: 60, y: 10, width: 40, height: 40 }, { x: 10, y: 10, width: 40, height: 40 }];
    const sizes = [{ width: 80, height: 30 }, { width: 80, height: 30 }];
    const [b, a] = placeLabels(boxes, sizes, 200, 200);
    expect(a).toEqual({ x: 10, y: 52, width: 80, height: 30 });
    expect(b).toEqual({ x: 102, y: 10, width: 80, height: 30 });
  });

  it('does not cover the face below: a label that would, goes above its own box', () => {
    // Upper face at (50,60), lower face right under it at (50,112); 60x40 labels in a 300x300 image.
    // Upper: below (50,102) would cover the lower face, right-aligned below too; above at (50,18) is free.
    // Lower: below at (50, 112 + 50 + 2 = 164) is free.
    const boxes = [{ x: 50, y: 60, width: 50, height: 50 }, { x: 50, y: 112, width: 50, height: 50 }];
    const spots = placeLabels(boxes, [{ width: 60, height: 40 }, { width: 60, height: 40 }], 300, 300);
    expect(spots[0]).toEqual({ x: 50, y: 18, width: 60, height: 40 });
    expect(spots[1]).toEqual({ x: 50, y: 164, width: 60, height: 40 });
    for (const s of spots) for (const b of boxes) expect(overlapArea(s, b)).toBe(0);
  });

  it('keeps every label inside the image, and rejects mismatched inputs', () => {
    const spots = placeLabels([{ x: 180, y: 180, width: 20, height: 20 }], [{ width: 50, height: 30 }], 200, 200);
    const s = spots[0];
    expect(s.x).toBeGreaterThanOrEqual(0);
    expect(s.y).toBeGreaterThanOrEqual(0);
    expect(s.x + s.width).toBeLessThanOrEqual(200);
    expect(s.y + s.height).toBeLessThanOrEqual(200);
    expect(() => placeLabels([{ x: 0, y: 0, width: 1, height: 1 }], [], 10, 10)).toThrow(RangeError);
  });
});
