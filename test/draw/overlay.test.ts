import { describe, expect, it } from 'vitest';
import { faceLabelLines } from '../../src/draw/overlay.js';
import type { Face } from '../../src/types.js';

describe('faceLabelLines', () => {
  const face = {
    box: { x: 0, y: 0, width: 10, height: 10 },
    score: 0.934,
    landmarks: [],
    attributes: { Smiling: 0.97, Young: 0.81, Male: 0.3, Eyeglasses: 0.6 },
    decisions: { Smiling: true, Young: true, Male: false, Eyeglasses: true },
  } as unknown as Face;

  it('lists the positive decisions by probability, at most `top`', () => {
    expect(faceLabelLines(face, 2, 2)).toEqual(['#2 face 0.93', 'Smiling 0.97', 'Young 0.81']);
    expect(faceLabelLines(face, 0, 10)).toEqual(['#0 face 0.93', 'Smiling 0.97', 'Young 0.81', 'Eyeglasses 0.60']);
  });

  it('top 0 gives the face line only (boxes and scores)', () => {
    expect(faceLabelLines(face, 1, 0)).toEqual(['#1 face 0.93']);
  });
});
