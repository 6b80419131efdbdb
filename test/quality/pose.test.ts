import { describe, expect, it } from 'vitest';
import { estimateHeadPose, HEAD_MODEL } from '../../src/quality/pose.js';
import type { Point } from '../../src/types.js';

/**
 * The generic head of HEAD_MODEL (cm, tragion midpoint at the origin, x to the photo's right, y down, z towards the
 * camera) with mouth and eye spacing added, posed by yaw ψ (about y, nose towards +x) then pitch φ (about x, chin
 * up), seen by a scaled orthographic camera (`scale` px per cm) at (cx, cy). Hand-derived: a point (x, y, z) goes
 * to x' = x cos ψ + z sin ψ, z' = −x sin ψ + z cos ψ, then y' = y cos φ − z' sin φ.
 */
function project(yawDeg: number, pitchDeg: number, scale = 10, cx = 300, cy = 200): Point[] {
  const m = HEAD_MODEL;
  const pts: [number, number, number][] = [
    [-3.15, m.eyeDrop, m.eyeDepth], // right eye (the subject's right, on the photo's left)
    [3.15, m.eyeDrop, m.eyeDepth],
    [0, m.noseDrop, m.noseDepth],
    [0, 6.5, 9.5], // mouth centre (not used by the estimate)
    [-m.halfTragionSpan, 0, 0],
    [m.halfTragionSpan, 0, 0],
  ];
  const ψ = (yawDeg * Math.PI) / 180, φ = (pitchDeg * Math.PI) / 180;
  return pts.map(([x, y, z]) => {
    const x1 = x * Math.cos(ψ) + z * Math.sin(ψ);
    const z1 = -x * Math.sin(ψ) + z * Math.cos(ψ);
    const y1 = y * Math.cos(φ) - z1 * Math.sin(φ);
    return [cx + scale * x1, cy + scale * y1];
  });
}

function rotate(points: Point[], deg: number, [ox, oy]: Point = [0, 0]): Point[] {
  const t = (deg * Math.PI) / 180;
  return points.map(([x, y]) => [ox + (x - ox) * Math.cos(t) - (y - oy) * Math.sin(t), oy + (x - ox) * Math.sin(t) + (y - oy) * Math.cos(t)]);
}

/** Mirror left-right in a photo `width` wide: x → width − x, and the subject's right and left keypoints swap. */
function mirror(points: Point[], width: number): Point[] {
  const m = points.map(([x, y]) => [width - x, y] as Point);
  return [m[1], m[0], m[2], m[3], m[5], m[4]];
}

describe('estimateHeadPose on hand-made keypoints', () => {
  it('a frontal head is yaw 0, pitch 0, roll 0', () => {
    expect(estimateHeadPose(project(0, 0))).toEqual({ yaw: 0, pitch: 0, roll: 0 });
  });

  it('recovers the yaw of the generic head turned by known angles', () => {
    for (const yaw of [-60, -30, -10, 10, 25, 45]) {
      const p = estimateHeadPose(project(yaw, 0));
      expect(p.yaw).toBeCloseTo(yaw, 1);
      expect(p.pitch).toBeCloseTo(0, 1);
      expect(p.roll).toBe(0);
    }
  });

  it('recovers the pitch of the generic head tilted by known angles (positive = chin up)', () => {
    for (const pitch of [-30, -10, 15, 30]) expect(estimateHeadPose(project(0, pitch)).pitch).toBeCloseTo(pitch, 1);
  });

  // (Yaw and pitch together tilt the eye line a little, p0.roll = 3.6° here: the estimate is the eye line.)
  it('roll is the eye line angle: rotating the keypoints by θ in the photo adds θ and leaves yaw and pitch', () => {
    const base = project(20, 10);
    const p0 = estimateHeadPose(base);
    for (const deg of [-90, -35, 12.5, 60]) {
      const p = estimateHeadPose(rotate(base, deg, [123, 45]));
      expect(p.roll).toBeCloseTo(p0.roll + deg, 1);
      expect(p.yaw).toBeCloseTo(p0.yaw, 1);
      expect(p.pitch).toBeCloseTo(p0.pitch, 1);
    }
    // Hand-computed: eyes at (0, 0) and (10, 10) → 45° (the left eye, on the photo's right, is lower).
    expect(estimateHeadPose([[0, 0], [10, 10], [5, 9], [5, 14], [-6, 6], [16, 16]]).roll).toBe(45);
  });

  it('a mirrored face has the opposite yaw and roll and the same pitch', () => {
    const pts = rotate(project(27, -8), 14, [300, 200]);
    const p = estimateHeadPose(pts);
    const q = estimateHeadPose(mirror(pts, 640));
    expect(p.yaw).toBeGreaterThan(20);
    expect(q.yaw).toBeCloseTo(-p.yaw, 5);
    expect(q.roll).toBeCloseTo(-p.roll, 5);
    expect(q.pitch).toBeCloseTo(p.pitch, 5);
  });

  it('refuses degenerate keypoints', () => {
    expect(() => estimateHeadPose([[1, 1], [1, 1], [1, 2], [1, 3], [0, 1], [2, 1]])).toThrow(/eye keypoints coincide/);
    expect(() => estimateHeadPose([[0, 0], [10, 0], [5, 5], [5, 9], [5, 0], [5, 0]])).toThrow(/tragion keypoints coincide/);
    expect(() => estimateHeadPose([[0, 0], [10, 0]])).toThrow(/expected 6 keypoints/);
  });
});
