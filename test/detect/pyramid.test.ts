/**
 * The pyramid plan (src/detect/pyramid.ts) for a few photo sizes, hand-computed in the comments. Pure: no model.
 */
import { describe, expect, it } from 'vitest';
import { LEGACY_PYRAMID, planPyramid, pyramidPixels, type PyramidLevel } from '../../src/detect/pyramid.js';

/** Level sizes, tiles as "WxH@x,y", maxFace and source, for compact comparison. */
const summary = (levels: PyramidLevel[]) =>
  levels.map((l) => ({
    size: `${l.width}x${l.height}`,
    tiles: l.tiles.map((t) => `${t.width}x${t.height}@${t.x0},${t.y0}`),
    maxFace: l.maxFace,
    from: l.source.from === 'halve' ? `halve x${l.source.halvings}` : 'photo',
  }));

describe('planPyramid: the plan before issue 13 (LEGACY_PYRAMID)', () => {
  it('1600x1200, --min-face 32: 256 px doubling up to scale 24/32 = 0.75, the last level in two 768 px tiles', () => {
    // coarse scale 256/1600 = 0.16; need = 24/32 = 0.75. Levels: 0.16 (256x192), 0.32 (512x384), 0.64 (1024x768),
    // min(1.28, 0.75) = 0.75 (1200x900). 1200 > 1024: 768 px tiles, stride 768-96 = 672, n = ceil(432/672)+1 = 2,
    // starts 0 and 432; 900 <= 1024: one window rounded up to 29*32 = 928.
    const levels = planPyramid(1600, 1200, 32, LEGACY_PYRAMID);
    expect(summary(levels)).toEqual([
      { size: '1200x900', tiles: ['768x928@0,0', '768x928@432,0'], maxFace: 96, from: 'photo' },
      { size: '1024x768', tiles: ['1024x768@0,0'], maxFace: 96, from: 'photo' },
      { size: '512x384', tiles: ['512x384@0,0'], maxFace: 96, from: 'photo' },
      { size: '256x192', tiles: ['256x192@0,0'], maxFace: Infinity, from: 'photo' },
    ]);
    // 2*768*928 + 1024*768 + 512*384 + 256*192 = 1,425,408 + 786,432 + 196,608 + 49,152
    expect(pyramidPixels(levels)).toBe(2_457_600);
  });

  it('640x480, --min-face 32: 256x192 and the 0.75 level 480x360 (window 480x384)', () => {
    // 256/640 = 0.4; next min(0.8, 0.75) = 0.75 -> 480x360; 360 rounds up to 12*32 = 384.
    const levels = planPyramid(640, 480, 32, LEGACY_PYRAMID);
    expect(summary(levels).map((l) => [l.size, l.tiles])).toEqual([['480x360', ['480x384@0,0']], ['256x192', ['256x192@0,0']]]);
    expect(pyramidPixels(levels)).toBe(480 * 384 + 256 * 192);
  });
});
