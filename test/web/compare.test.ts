/**
 * The browser's comparison (src/web/compare.ts) feeds the CLI's compareGroups/report code; here it runs in Node
 * (Vega with its expression interpreter works in both) to check grouping, left-out photos and the outputs.
 */
import { describe, expect, it } from 'vitest';
import { CELEBA_ATTRIBUTES } from '../../src/attributes/names.js';
import type { PhotoResult } from '../../src/types.js';
import { compareInBrowser, observationsFromPhotos } from '../../src/web/compare.js';

function photo(path: string, faces: Record<string, boolean>[], error: PhotoResult['error'] = null): PhotoResult {
  return {
    path,
    width: error ? 0 : 100,
    height: error ? 0 : 100,
    error,
    faces: faces.map((d) => ({
      box: { x: 0, y: 0, width: 10, height: 10 },
      score: 0.9,
      landmarks: [],
      attributes: Object.fromEntries(CELEBA_ATTRIBUTES.map((a) => [a, d[a] ? 0.9 : 0.1])),
      decisions: Object.fromEntries(CELEBA_ATTRIBUTES.map((a) => [a, d[a] ?? false])),
    })),
  };
}

const photos = [
  { result: photo('a/1.jpg', [{ Smiling: true }, { Smiling: true, Male: true }]), group: 'a' },
  { result: photo('a/2.jpg', [{ Eyeglasses: true }]), group: 'a' },
  { result: photo('b/1.jpg', [{ Male: true }, {}]), group: 'b' },
  { result: photo('b/bad.jpg', [], { code: 'corrupt_image', message: 'b/bad.jpg: damaged' }), group: 'b' },
  { result: photo('loose.jpg', [{ Smiling: true }]), group: null },
];

describe('comparison in the browser', () => {
  it('turns grouped records into face observations; ungrouped photos are left out', () => {
    const { faces, summary } = observationsFromPhotos(photos, ['a', 'b'], 'Male');
    expect(faces).toHaveLength(5);
    expect(summary.photos).toEqual({ a: 2, b: 2 });
    expect(summary.faces).toEqual({ a: 3, b: 2 });
    expect(summary.unreadable).toEqual({ a: 0, b: 1 });
    expect(summary.errors).toEqual([{ path: 'b/bad.jpg', code: 'corrupt_image', message: 'b/bad.jpg: damaged' }]);
    expect(faces.map((f) => f.level)).toEqual(['not Male', 'Male', 'not Male', 'Male', 'not Male']);
  });

  it('produces the CLI report, CSV and JSON', async () => {
    const out = await compareInBrowser({ photos, bootstrap: 200 }, null);
    expect(out.result.groups).toEqual(['a', 'b']);
    expect(out.result.corrected).toBe(false);
    expect(out.csv.split('\n')[0]).toMatch(/^panel,attribute,group,n,count,prevalence/);
    expect(out.csv).toContain('\nall,Smiling,a,3,2,');
    expect(JSON.parse(out.json)).toMatchObject({ format: 'facetally-compare/1', context: { mode: 'web' } });
    expect(out.html).toContain('<h1>Attribute prevalence by group</h1>');
    expect(out.charts.map((c) => c.id)).toEqual(['prevalence-top', 'prevalence-all']);
    expect(out.charts[0].svg).toMatch(/^<svg/);
    await expect(compareInBrowser({ photos: photos.slice(0, 2) }, null)).rejects.toThrow(/at least two groups but found 1 \(a\)/);
  });
});
