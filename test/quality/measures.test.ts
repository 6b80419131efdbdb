import { describe, expect, it } from 'vitest';
import { measureFaceQuality, QUALITY_REGION } from '../../src/quality/measures.js';
import type { RgbImage } from '../../src/image/decode.js';
import type { Point } from '../../src/types.js';

const EYES: Point[] = [[10, 20], [40, 60], [0, 0], [0, 0], [0, 0], [0, 0]];

function gray(fn: (x: number, y: number) => number, w = 178, h = 218): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(fn(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { data, width: w, height: h };
}

/** A 3x3 box blur (edges repeated), channel by channel. */
function boxBlur(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) {
      const xx = Math.min(w - 1, Math.max(0, x + i)), yy = Math.min(h - 1, Math.max(0, y + j));
      s += data[(yy * w + xx) * 3 + c];
    }
    out[(y * w + x) * 3 + c] = Math.round(s / 9);
  }
  return { data: out, width: w, height: h };
}

describe('measureFaceQuality on hand-made crops', () => {
  it('eye distance is the distance between the two eye keypoints in source pixels (3-4-5 triangle x10)', () => {
    expect(measureFaceQuality(gray(() => 128), EYES).eye_distance).toBe(50);
  });

  it('a flat crop: brightness = its gray level, no contrast, sharpness 0, nothing clipped', () => {
    const q = measureFaceQuality(gray(() => 51), EYES);
    expect(q).toEqual({ eye_distance: 50, sharpness: 0, brightness: 0.2, contrast: 0, clipped: 0 });
  });

  it('a black/white checkerboard: brightness 0.5, contrast 0.5, all clipped, sharpness 64 (Laplacian ±4, variance 16, over intensity variance 0.25)', () => {
    const q = measureFaceQuality(gray((x, y) => ((x + y) % 2 ? 255 : 0)), EYES);
    expect(q.brightness).toBe(0.5);
    expect(q.contrast).toBe(0.5);
    expect(q.clipped).toBe(1);
    expect(q.sharpness).toBe(64);
  });

  it('sharpness does not change with contrast or exposure (gray levels scaled and shifted)', () => {
    const pattern = (x: number, y: number) => Math.sin(x / 1.5) * Math.cos(y / 2);
    const a = measureFaceQuality(gray((x, y) => Math.round(128 + 100 * pattern(x, y))), EYES);
    const b = measureFaceQuality(gray((x, y) => Math.round(60 + 30 * pattern(x, y))), EYES);
    expect(b.contrast).toBeLessThan(a.contrast / 3);
    expect(Math.abs(a.sharpness - b.sharpness) / a.sharpness).toBeLessThan(0.1);
  });

  it('a blurred crop is less sharp, with the same brightness', () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const sharp = gray(() => Math.round(60 + 120 * noise()));
    const blurred = boxBlur(sharp);
    const a = measureFaceQuality(sharp, EYES);
    const b = measureFaceQuality(blurred, EYES);
    expect(b.sharpness).toBeLessThan(a.sharpness / 4);
    expect(Math.abs(a.brightness - b.brightness)).toBeLessThan(0.01);
  });

  it('only the region counts: pixels outside it change nothing', () => {
    const { x0, x1, y0, y1 } = QUALITY_REGION;
    const inside = (x: number, y: number) => x >= x0 - 1 && x <= x1 && y >= y0 - 1 && y <= y1;
    const a = measureFaceQuality(gray((x, y) => (inside(x, y) ? 90 : 0)), EYES);
    expect(a).toEqual({ eye_distance: 50, sharpness: 0, brightness: 0.3529, contrast: 0, clipped: 0 });
  });

  it('refuses a crop smaller than the region', () => {
    expect(() => measureFaceQuality(gray(() => 0, 100, 100), EYES)).toThrow(/aligned crop of at least 130x174/);
  });
});
