import { describe, expect, it } from 'vitest';
import { edgeMapToCentreMap, warpSimilarity, warpSimilarityMipmapped } from '../../src/align/warp.js';
import { halveRgb, halvedRgb } from '../../src/image/resample.js';
import type { RgbImage } from '../../src/image/decode.js';

/** A synthetic image whose red channel is x, green is y, blue is 100. */
function ramp(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 100], (y * w + x) * 3);
  return { data, width: w, height: h };
}

const px = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('warpSimilarity', () => {
  it('identity copies the image', () => {
    const src = ramp(20, 10);
    const out = warpSimilarity(src, { a: 1, b: 0, tx: 0, ty: 0 }, 20, 10);
    expect(Array.from(out.data)).toEqual(Array.from(src.data));
  });

  it('a translation by (5.5, 2) samples bilinearly between pixels', () => {
    const src = ramp(40, 30);
    const out = warpSimilarity(src, { a: 1, b: 0, tx: 5.5, ty: 2 }, 10, 10);
    // output (0,0) ← source (5.5, 2): red = 5.5 → rounds to 6 (half away from zero in Math.round), green = 2
    expect(px(out, 0, 0)).toEqual([6, 2, 100]);
    expect(px(out, 3, 4)).toEqual([Math.round(8.5), 6, 100]);
  });

  it('a 90-degree rotation maps output (x, y) to source (y, W-1-x)... as given by the transform', () => {
    const src = ramp(50, 50);
    // out→src: x_s = a x - b y + tx with a=0, b=-1 → x_s = y + 0, y_s = -x + 49
    const out = warpSimilarity(src, { a: 0, b: -1, tx: 0, ty: 49 }, 50, 50);
    expect(px(out, 10, 3)).toEqual([3, 39, 100]);
    expect(px(out, 0, 0)).toEqual([0, 49, 100]);
  });

  it('downscaling by 2 averages 2x2 samples (no aliasing of a checkerboard)', () => {
    const w = 8, h = 8;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    // out→src scale 2: out (x, y) covers source [2x-0.5, 2x+1.5]; samples at 2x+0.5±0.5 → a 2x2 block
    const out = warpSimilarity({ data, width: w, height: h }, { a: 2, b: 0, tx: 0.5, ty: 0.5 }, 4, 4);
    for (let i = 0; i < out.data.length; i++) expect(out.data[i]).toBe(128);
  });

  it('repeats edge pixels outside the source', () => {
    const src = ramp(10, 10);
    const out = warpSimilarity(src, { a: 1, b: 0, tx: -5, ty: 20 }, 2, 2);
    expect(px(out, 0, 0)).toEqual([0, 9, 100]);
  });

  it('refuses bad sizes', () => {
    expect(() => warpSimilarity(ramp(2, 2), { a: 1, b: 0, tx: 0, ty: 0 }, 0, 3)).toThrow(/positive integer/);
  });
});

describe('edgeMapToCentreMap', () => {
  it('leaves a pure translation alone and moves a scaled map by half a pixel less half a source pixel', () => {
    expect(edgeMapToCentreMap({ a: 1, b: 0, tx: 3, ty: -2 })).toEqual({ a: 1, b: 0, tx: 3, ty: -2 });
    // Output pixel 0 covers edge coordinates [0, 1) → source [10, 12) at scale 2, whose centre is 11 in edge
    // coordinates, 10.5 in centre coordinates: tx' = 10 + ½·2 − ½.
    expect(edgeMapToCentreMap({ a: 2, b: 0, tx: 10, ty: 0 })).toEqual({ a: 2, b: 0, tx: 10.5, ty: 0.5 });
    // A quarter turn (a = 0, b = 1): x' = −y + tx, y' = x + ty; the output centre (½, ½) goes to (tx − ½, ty + ½).
    expect(edgeMapToCentreMap({ a: 0, b: 1, tx: 5, ty: 5 })).toEqual({ a: 0, b: 1, tx: 4, ty: 5 });
  });
});

/**
 * warpSimilarity as it was before its per-axis products were hoisted out of the sample loop (commit 5a9217d):
 * the reference that the faster loop must reproduce byte for byte.
 */
function warpReference(src: RgbImage, t: { a: number; b: number; tx: number; ty: number }, outWidth: number, outHeight: number): Uint8Array {
  const scale = Math.hypot(t.a, t.b);
  const n = Math.max(1, Math.min(16, Math.ceil(scale - 1e-9)));
  const out = new Uint8Array(outWidth * outHeight * 3);
  const W = src.width, H = src.height, d = src.data;
  const { a, b, tx, ty } = t;
  const nn = n * n;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let r = 0, g = 0, bl = 0;
      for (let j = 0; j < n; j++) {
        const py = y + (j + 0.5) / n - 0.5;
        for (let i = 0; i < n; i++) {
          const px = x + (i + 0.5) / n - 0.5;
          const sx = a * px - b * py + tx;
          const sy = b * px + a * py + ty;
          const cx = Math.min(Math.max(sx, 0), W - 1);
          const cy = Math.min(Math.max(sy, 0), H - 1);
          const x0 = Math.floor(cx), y0 = Math.floor(cy);
          const x1 = Math.min(x0 + 1, W - 1), y1 = Math.min(y0 + 1, H - 1);
          const fx = cx - x0, fy = cy - y0;
          const i00 = (y0 * W + x0) * 3, i01 = (y0 * W + x1) * 3, i10 = (y1 * W + x0) * 3, i11 = (y1 * W + x1) * 3;
          let top = d[i00] + (d[i01] - d[i00]) * fx;
          let bot = d[i10] + (d[i11] - d[i10]) * fx;
          r += top + (bot - top) * fy;
          top = d[i00 + 1] + (d[i01 + 1] - d[i00 + 1]) * fx;
          bot = d[i10 + 1] + (d[i11 + 1] - d[i10 + 1]) * fx;
          g += top + (bot - top) * fy;
          top = d[i00 + 2] + (d[i01 + 2] - d[i00 + 2]) * fx;
          bot = d[i10 + 2] + (d[i11 + 2] - d[i10 + 2]) * fx;
          bl += top + (bot - top) * fy;
        }
      }
      const o = (y * outWidth + x) * 3;
      out[o] = Math.round(r / nn);
      out[o + 1] = Math.round(g / nn);
      out[o + 2] = Math.round(bl / nn);
    }
  }
  return out;
}

describe('warpSimilarity output values', () => {
  it('are byte for byte those of the per-sample reference, for rotations, shrinks, enlargements and edges', () => {
    // A noisy image (a linear congruential generator), so that any change in a sample position shows.
    const w = 301, h = 257;
    const data = new Uint8Array(w * h * 3);
    let s = 12345;
    for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    const src = { data, width: w, height: h };
    let cases = 0;
    for (const scale of [0.37, 1, 1.0000001, 1.9, 2.5, 4.2, 17.3]) {
      for (const deg of [0, 7.5, -33, 90, 181]) {
        const th = (deg * Math.PI) / 180;
        const t = { a: scale * Math.cos(th), b: scale * Math.sin(th), tx: 20.3 - 3 * scale, ty: -4.7 + 2 * scale };
        const got = warpSimilarity(src, t, 41, 37);
        expect(Buffer.from(got.data).equals(Buffer.from(warpReference(src, t, 41, 37))), `scale ${scale}, ${deg}°`).toBe(true);
        cases++;
      }
    }
    expect(cases).toBe(35);
  });
});

describe('warpSimilarityMipmapped (the detector looks\' warp)', () => {
  /** Deterministic pseudo-random pixels (LCG). */
  function noise(w: number, h: number, seed = 7): RgbImage {
    const data = new Uint8Array(w * h * 3);
    let s = seed;
    for (let i = 0; i < data.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      data[i] = s >>> 24;
    }
    return { data, width: w, height: h };
  }

  it('a shrink by exactly 2 or 4 on the pixel grid gives the 2x2 box halvings themselves', () => {
    const src = noise(16, 12);
    // Output pixel i covers source pixels [2i, 2i + 2): in the halved image that is pixel i, sampled at its centre.
    const half = warpSimilarityMipmapped(src, edgeMapToCentreMap({ a: 2, b: 0, tx: 0, ty: 0 }), 8, 6);
    expect(Array.from(half.data)).toEqual(Array.from(halveRgb(src).data));
    const quarter = warpSimilarityMipmapped(src, edgeMapToCentreMap({ a: 4, b: 0, tx: 0, ty: 0 }), 4, 3);
    expect(Array.from(quarter.data)).toEqual(Array.from(halveRgb(halveRgb(src)).data));
    // Hand check of one pixel: the mean of the 4x4 block at (4..7, 0..3) through two rounded 2x2 means.
    const block = (x: number, y: number, c: number) => src.data[(y * 16 + x) * 3 + c];
    const mean2 = (x: number, y: number, c: number) => (block(x, y, c) + block(x + 1, y, c) + block(x, y + 1, c) + block(x + 1, y + 1, c) + 2) >> 2;
    const expected = (mean2(4, 0, 0) + mean2(6, 0, 0) + mean2(4, 2, 0) + mean2(6, 2, 0) + 2) >> 2;
    expect(quarter.data[3]).toBe(expected);
  });

  it('below a shrink of 2 it is warpSimilarity, byte for byte', () => {
    const src = noise(60, 50);
    const t = { a: 1.7 * Math.cos(0.4), b: 1.7 * Math.sin(0.4), tx: 20.3, ty: 3.1 };
    expect(Array.from(warpSimilarityMipmapped(src, t, 20, 20).data)).toEqual(Array.from(warpSimilarity(src, t, 20, 20).data));
  });

  it('a rotated shrink by 3 stays within a few levels of the full supersampled warp on a smooth image', () => {
    const src = ramp(200, 200);
    const t = { a: 3 * Math.cos(0.5), b: 3 * Math.sin(0.5), tx: 60, ty: 10 };
    const a = warpSimilarityMipmapped(src, t, 30, 30), b = warpSimilarity(src, t, 30, 30);
    let worst = 0;
    for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
    // On a linear ramp both are means of the ramp around the same point; the halving's centre offset is exact, so
    // only rounding (two rounded halvings, the final rounding) and the edge clamp separate them.
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('halvedRgb caches per image and refuses impossible halvings', () => {
    const src = noise(8, 8);
    expect(halvedRgb(src, 0)).toBe(src);
    expect(halvedRgb(src, 2)).toBe(halvedRgb(src, 2));
    expect(halvedRgb(src, 3).width).toBe(1);
    expect(() => halvedRgb(src, 4)).toThrow(RangeError);
    expect(() => halvedRgb(src, -1)).toThrow(RangeError);
  });
});
