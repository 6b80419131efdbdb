/**
 * The pyramid plan (src/detect/pyramid.ts) for a few photo sizes, hand-computed in the comments (pure), and the
 * detector running a plan whose coarser levels are halvings of the finer ones.
 */
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/load-node.js';
import { decodeImageFile } from '../../src/image/decode.js';
import { describeShared } from '../helpers/shared.js';
import { DEFAULT_PYRAMID, LEGACY_PYRAMID, planPyramid, pyramidPixels, type PyramidLevel, type PyramidOptions } from '../../src/detect/pyramid.js';

/** The halving plan measured in docs/detection.md (the default since issue 13): finest level at 24 model px, halvings, even tiles of <= 1024 px. */
const HALVING: Partial<PyramidOptions> = { anchor: 'fine', floor: 24, spacing: 2, wholeLevelMax: 1024, tiling: 'even', tileSize: 1024 };

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

describe('planPyramid: a halving plan (finest level at 24 model px for --min-face, halvings down to 256 px)', () => {
  it('is the default plan: DEFAULT_PYRAMID is HALVING over LEGACY_PYRAMID, and planPyramid without options plans it', () => {
    expect(DEFAULT_PYRAMID).toEqual({ ...LEGACY_PYRAMID, ...HALVING });
    // HALVING differs from LEGACY_PYRAMID in anchor, tiling and tileSize only.
    expect(Object.keys(HALVING).filter((k) => HALVING[k as keyof PyramidOptions] !== LEGACY_PYRAMID[k as keyof PyramidOptions]).sort()).toEqual(['anchor', 'tileSize', 'tiling']);
    for (const [w, h] of [[640, 480], [1024, 768], [1600, 1200], [2400, 1800]]) expect(planPyramid(w, h, 32)).toEqual(planPyramid(w, h, 32, HALVING));
    // 1024x768: 768x576 (0.75) from the photo, halvings 384x288 and 192x144 (windows 768x576, 384x288, 192x160):
    // 442,368 + 110,592 + 30,720 = 583,680 model pixels, against 688,128 for LEGACY_PYRAMID (768x576, 512x384, 256x192).
    expect(pyramidPixels(planPyramid(1024, 768, 32))).toBe(583_680);
    expect(pyramidPixels(planPyramid(1024, 768, 32, LEGACY_PYRAMID))).toBe(688_128);
  });

  it('legacy levels with even tiles: 1800x1350 in 2x2 tiles of 960x736 instead of 3x2 of 768x768', () => {
    // x: n = ceil((1800-96)/928) = 2, side ceil((1800+96)/2/32)*32 = 960; y: n = ceil((1350-96)/928) = 2,
    // side ceil((1350+96)/2/32)*32 = 736. Starts 0 and 1800-960 = 840; 0 and 1350-736 = 614.
    const [finest] = planPyramid(2400, 1800, 32, { ...LEGACY_PYRAMID, tiling: 'even', tileSize: 1024 });
    expect(finest.tiles.map((t) => `${t.width}x${t.height}@${t.x0},${t.y0}`)).toEqual(['960x736@0,0', '960x736@840,0', '960x736@0,614', '960x736@840,614']);
    expect(pyramidPixels(planPyramid(2400, 1800, 32, LEGACY_PYRAMID))).toBe(6 * 768 * 768 + 1024 * 768 + 512 * 384 + 256 * 192);
  });

  it('1600x1200, --min-face 32: 1200x900 in two equal 672 px tiles, then 600x450, 300x225, 150x112 by halving', () => {
    // need = 24/32 = 0.75 -> 1200x900 from the photo. 1200 > 1024: n = ceil((1200-96)/(1024-96)) = 2 tiles of
    // ceil((1200+96)/2/32)*32 = 672, starts 0 and 1200-672 = 528 (overlap 144); 900 -> one window of 928.
    // Halvings: 600x450 (608x480), 300x225 (320x256; still > 256), 150x112 (160x128; the coarsest, no maxFace).
    const levels = planPyramid(1600, 1200, 32, HALVING);
    expect(summary(levels)).toEqual([
      { size: '1200x900', tiles: ['672x928@0,0', '672x928@528,0'], maxFace: 96, from: 'photo' },
      { size: '600x450', tiles: ['608x480@0,0'], maxFace: 96, from: 'halve x1' },
      { size: '300x225', tiles: ['320x256@0,0'], maxFace: 96, from: 'halve x1' },
      { size: '150x112', tiles: ['160x128@0,0'], maxFace: Infinity, from: 'halve x1' },
    ]);
    // 2*672*928 + 608*480 + 320*256 + 160*128 = 1,247,232 + 291,840 + 81,920 + 20,480 (old plan: 2,457,600)
    expect(pyramidPixels(levels)).toBe(1_641_472);
    expect(levels[0].scaleX).toBe(0.75);
    expect(levels[3].scaleY).toBeCloseTo(112 / 1200, 12);
  });

  it('1024x768, --min-face 64: 384x288 (0.375 = 24/64) and its halving 192x144', () => {
    expect(summary(planPyramid(1024, 768, 64, HALVING)).map((l) => [l.size, l.tiles, l.maxFace])).toEqual([
      ['384x288', ['384x288@0,0'], 96],
      ['192x144', ['192x160@0,0'], Infinity],
    ]);
  });

  it('a photo smaller than the coarsest level: one level of 256 px (200x150 -> 256x192, upsampled 1.28x)', () => {
    // need 0.75 <= 256/200 = 1.28: the single level is the coarsest, at 1.28.
    expect(summary(planPyramid(200, 150, 32, HALVING))).toEqual([{ size: '256x192', tiles: ['256x192@0,0'], maxFace: Infinity, from: 'photo' }]);
  });

  it('4000x3000, --min-face 32: 3000x2250 in 4x3 tiles of 832 px', () => {
    // x: n = ceil((3000-96)/928) = 4, side ceil((3000+3*96)/4/32)*32 = 832, starts round(k*(3000-832)/3) = 0, 723, 1445, 2168;
    // y: n = ceil((2250-96)/928) = 3, side ceil((2250+2*96)/3/32)*32 = 832, starts 0, 709, 1418.
    const [finest] = planPyramid(4000, 3000, 32, HALVING);
    expect(finest.tiles.map((t) => `${t.x0},${t.y0}`)).toEqual(['0,0', '723,0', '1445,0', '2168,0', '0,709', '723,709', '1445,709', '2168,709', '0,1418', '723,1418', '1445,1418', '2168,1418']);
    expect(new Set(finest.tiles.map((t) => `${t.width}x${t.height}`))).toEqual(new Set(['832x832']));
  });

  it('spacing 4 halves twice; other spacings resample the previous level; spacing <= 1 is refused', () => {
    expect(summary(planPyramid(1600, 1200, 32, { ...HALVING, spacing: 4 })).map((l) => [l.size, l.from])).toEqual([['1200x900', 'photo'], ['300x225', 'halve x2'], ['75x56', 'halve x2']]);
    expect(planPyramid(1600, 1200, 32, { ...HALVING, spacing: 3 }).map((l) => [`${l.width}x${l.height}`, l.source.from])).toEqual([['1200x900', 'photo'], ['400x300', 'previous'], ['133x100', 'previous']]);
    expect(() => planPyramid(1600, 1200, 32, { ...HALVING, spacing: 1 })).toThrow(RangeError);
  });
});

describeShared('the detector runs a halving plan (levels built from the previous one)', ['data/photos/family_of_7.jpg', 'data/photos/group_of_3.jpg'], ([family, group]) => {
  it('finds the 7 and 3 faces of family_of_7.jpg and group_of_3.jpg (expected.json) with HALVING', async () => {
    const detector = await createDetector();
    try {
      for (const [path, n] of [[family, 7], [group, 3]] as const) {
        const img = await decodeImageFile(path);
        // Both photos are 1024x1024: 768x768 (0.75 = 24/32) from the photo, then halvings 384x384 and 192x192.
        expect(detector.pyramidPlan(img.width, img.height, { pyramid: HALVING }).map((l) => `${l.width}x${l.height} ${l.source.from}`)).toEqual(['768x768 photo', '384x384 halve', '192x192 halve']);
        expect((await detector.detect(img, { pyramid: HALVING })).length, path).toBe(n);
      }
    } finally {
      await detector.release();
    }
  });
});
