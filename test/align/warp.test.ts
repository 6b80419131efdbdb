import { describe, expect, it } from 'vitest';
import { edgeMapToCentreMap, warpSimilarity } from '../../src/align/warp.js';
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
