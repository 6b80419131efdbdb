import { describe, expect, it } from 'vitest';
import { faceLabelLines, faceMarkSizes, overlaySvg, poseAxes } from '../../src/draw/overlay.js';
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

describe('marks sized to each face, not to the photo', () => {
  const face = (side: number): Face => ({
    box: { x: 100, y: 100, width: side, height: side }, score: 0.9,
    landmarks: [[110, 115], [130, 115], [120, 125], [120, 135], [101, 118], [139, 118]],
    pose: { yaw: 0, pitch: 0, roll: 0 }, attributes: {}, decisions: {},
  });
  const radii = (svg: string) => [...svg.matchAll(/<circle [^>]*r="([\d.]+)"/g)].map((m) => Number(m[1]));

  it('faceMarkSizes: side/60 line and side/45 dot radius, clamped (hand-computed)', () => {
    expect(faceMarkSizes(90)).toEqual({ stroke: 1.5, radius: 2 });
    expect(faceMarkSizes(30)).toEqual({ stroke: 0.75, radius: 1 });
    expect(faceMarkSizes(900)).toEqual({ stroke: 6, radius: 8 });
  });

  it('a 50 px face gets the same small dots in a 512 px and a 3072 px photo (about 2 px across, smaller than its eyes)', () => {
    const small = radii(overlaySvg(512, 512, [face(50)]));
    const large = radii(overlaySvg(3072, 3072, [face(50)]));
    expect(large).toEqual(small);
    expect(large).toHaveLength(6);
    // Eyes of a face with a 50 px box are about 20 px apart and 8 px wide; the dots are 2.2 px across.
    for (const r of large) expect(2 * r).toBeLessThan(3);
  });

  it('pose axes: a frontal face draws x right, y down, z (towards the camera) as a point; yaw 90 turns z to the right; roll 90 turns x down', () => {
    const near = (a: [number, number][], b: [number, number][]) => a.forEach((v, i) => v.forEach((c, j) => expect(c).toBeCloseTo(b[i][j], 10)));
    near(poseAxes({ yaw: 0, pitch: 0, roll: 0 }), [[1, 0], [0, 1], [0, 0]]);
    near(poseAxes({ yaw: 90, pitch: 0, roll: 0 }), [[0, 0], [0, 1], [1, 0]]);
    near(poseAxes({ yaw: 0, pitch: 0, roll: 90 }), [[0, 1], [-1, 0], [0, 0]]);
    near(poseAxes({ yaw: 0, pitch: 90, roll: 0 }), [[1, 0], [0, 0], [0, -1]]); // chin up: the nose points up
    const svg = overlaySvg(512, 512, [{ ...face(50), pose: { yaw: 30, pitch: 0, roll: 0 } }], { poseAxes: true });
    expect(svg.match(/<line /g)).toHaveLength(3);
    expect(overlaySvg(512, 512, [face(50)])).not.toMatch(/<line /);
  });
});
