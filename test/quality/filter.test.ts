import { describe, expect, it } from 'vitest';
import { DEFAULT_QUALITY_RULE, describeRule, formatExclusion, markExcluded, qualityExclusions, resolveQualityRule } from '../../src/quality/filter.js';
import type { Face } from '../../src/types.js';

const face = (eye: number, sharp: number, yaw: number, bright = 0.5): Face => ({
  box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9, landmarks: [],
  pose: { yaw, pitch: 0, roll: 0 },
  quality: { eye_distance: eye, sharpness: sharp, brightness: bright, contrast: 0.1, clipped: 0 },
  attributes: { Smiling: 0.7 }, decisions: { Smiling: true },
});

describe('quality filters', () => {
  it('names each failed filter with the value and the bound; values at a bound are kept', () => {
    const rule = { minEyeDistance: 11, minSharpness: 0.02, maxYaw: 40, minBrightness: 0.1, maxBrightness: 0.9 };
    expect(qualityExclusions(face(11, 0.02, -40, 0.1), rule)).toEqual([]);
    expect(qualityExclusions(face(8.2, 0.01, -52.1, 0.95), rule).map(formatExclusion)).toEqual([
      'min-eye-distance: 8.2 < 11', 'min-sharpness: 0.01 < 0.02', 'max-yaw: |-52.1| > 40', 'max-brightness: 0.95 > 0.9',
    ]);
    expect(qualityExclusions(face(30, 0.1, 0, 0.05), rule).map(formatExclusion)).toEqual(['min-brightness: 0.05 < 0.1']);
  });

  it('refuses to judge records written before pose and quality existed', () => {
    const old = { ...face(30, 0.1, 0) };
    delete old.quality;
    expect(() => qualityExclusions(old, { minEyeDistance: 5 })).toThrow(/no "quality".*tag the photos again/);
    expect(qualityExclusions(old, {})).toEqual([]);
  });

  it('--quality default gives the measured rule; explicit bounds replace its own; none and no options give no rule', () => {
    expect(resolveQualityRule({ quality: 'default' })).toEqual(DEFAULT_QUALITY_RULE);
    expect(resolveQualityRule({ quality: 'default', maxYaw: 60 })).toEqual({ ...DEFAULT_QUALITY_RULE, maxYaw: 60 });
    expect(resolveQualityRule({ minSharpness: 0.03 })).toEqual({ minSharpness: 0.03 });
    expect(resolveQualityRule({ quality: 'none' })).toBeUndefined();
    expect(resolveQualityRule({})).toBeUndefined();
    expect(() => resolveQualityRule({ quality: 'strict' })).toThrow(/expected "default" or "none"/);
    expect(() => resolveQualityRule({ minBrightness: 0.8, maxBrightness: 0.2 })).toThrow(/no face could pass/);
    expect(describeRule({ minEyeDistance: 11, maxYaw: 40 })).toBe('--min-eye-distance 11 --max-yaw 40');
  });

  it('markExcluded keeps every face, adds "excluded" after quality to those that fail, leaves the others untouched', () => {
    const rec = { path: 'p.jpg', faces: [face(30, 0.1, 0), face(6, 0.1, 0)] };
    const out = markExcluded(rec, { minEyeDistance: 11 });
    expect(out.faces).toHaveLength(2);
    expect(out.faces[0]).toBe(rec.faces[0]);
    expect(out.faces[1].excluded).toEqual(['min-eye-distance: 6 < 11']);
    expect(Object.keys(out.faces[1])).toEqual(['box', 'score', 'landmarks', 'pose', 'quality', 'excluded', 'attributes', 'decisions']);
    expect(markExcluded(rec, undefined)).toBe(rec);
  });
});
