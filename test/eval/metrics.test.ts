import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIdentityFile, readLabelFile, readSplitFile } from '../../src/eval/celeba.js';
import { bootstrapMeans, expectedCalibrationError, meanOf, scoreAttributes } from '../../src/eval/metrics.js';
import { LNETS_ANET_ACCURACY, STUDY_2016_ACCURACY, STUDY_2016_MEAN_ACCURACY } from '../../src/eval/published.js';
import { celebaSource, loadEvalSet } from '../../src/eval/run.js';
import { CELEBA_ATTRIBUTES } from '../../src/attributes/names.js';
import { describeShared } from '../helpers/shared.js';

describe('scoreAttributes', () => {
  // 2 attributes, 5 images. Truth and decisions by hand:
  //   A: truth 1 1 1 0 0, pred 1 0 1 0 1 → tp 2, fn 1, tn 1, fp 1: acc 3/5, TPR 2/3, TNR 1/2, bal 7/12, baseline 3/5
  //   B: truth 0 0 0 0 1, pred 0 0 0 0 0 → tp 0, fn 1, tn 4, fp 0: acc 4/5, TPR 0, TNR 1, bal 1/2, baseline 4/5
  const names = ['A', 'B'];
  const truth = Uint8Array.from([1, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
  const decisions = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
  const none = new Uint8Array(5);

  it('gives hand-computed accuracy, balanced accuracy and baseline', () => {
    const [a, b] = scoreAttributes(names, truth, { decisions, missed: none });
    expect([a.tp, a.fn, a.tn, a.fp]).toEqual([2, 1, 1, 1]);
    expect(a.accuracy).toBeCloseTo(0.6, 12);
    expect(a.balancedAccuracy).toBeCloseTo(7 / 12, 12);
    expect(a.baseline).toBeCloseTo(0.6, 12);
    expect([b.tp, b.fn, b.tn, b.fp]).toEqual([0, 1, 4, 0]);
    expect(b.accuracy).toBeCloseTo(0.8, 12);
    expect(b.balancedAccuracy).toBeCloseTo(0.5, 12);
    expect(b.baseline).toBeCloseTo(0.8, 12);
  });

  it('counts a missed face as an error on every attribute', () => {
    // image 0 missed: A truth 1 → fn (was tp); B truth 0 → fp (was tn)
    const missed = Uint8Array.from([1, 0, 0, 0, 0]);
    const [a, b] = scoreAttributes(names, truth, { decisions, missed });
    expect([a.tp, a.fn, a.tn, a.fp]).toEqual([1, 2, 1, 1]);
    expect([b.tp, b.fn, b.tn, b.fp]).toEqual([0, 1, 3, 1]);
    expect(a.accuracy).toBeCloseTo(0.4, 12);
  });

  it('expected calibration error: hand-computed bins, rows restrict the images', () => {
    // K = 2 attributes; attribute 1 is the one scored. Bins of 0.1: 0.05 -> bin 0 (|0.05 - 0|), 0.15 -> bin 1
    // (|0.15 - 1|), 0.85 -> bin 8 (|0.85 - 1|), 0.95 -> bin 9 (|0.95 - 1|): (0.05 + 0.85 + 0.15 + 0.05) / 4 = 0.275.
    const probs = [0.9, 0.05, 0.9, 0.15, 0.9, 0.95, 0.9, 0.85];
    const truth = [1, 0, 1, 1, 1, 1, 1, 1];
    expect(expectedCalibrationError(probs, truth, 2, 1, [0, 1, 2, 3])).toBeCloseTo(0.275, 12);
    // Two images in one bin (9): mean p 0.94, mean label 0.5 -> 0.44.
    expect(expectedCalibrationError([0.91, 0.97], [0, 1], 1, 0, [0, 1])).toBeCloseTo(0.44, 12);
    // p = 1 falls in the last bin, not past it; a perfectly calibrated set has ECE 0.
    expect(expectedCalibrationError([1, 0], [1, 0], 1, 0, [0, 1])).toBe(0);
    expect(expectedCalibrationError(probs, truth, 2, 1, [2, 3])).toBeCloseTo((0.05 + 0.15) / 2, 12); // images 2 (p 0.95) and 3 (p 0.85), both true
    expect(expectedCalibrationError(probs, truth, 2, 1, [])).toBeNaN();
    expect(() => expectedCalibrationError(probs, truth, 2, 2, [0])).toThrow(RangeError);
  });

  it('bootstrap interval contains the estimate and shrinks with more images', () => {
    const small = bootstrapMeans(names, truth, { decisions, missed: none }, 500, 7);
    expect(small.accuracy.estimate).toBeCloseTo(0.7, 12);
    expect(small.accuracy.lower).toBeLessThanOrEqual(0.7);
    expect(small.accuracy.upper).toBeGreaterThanOrEqual(0.7);
    // the same data repeated 20 times: same estimate, narrower interval
    const rep = (x: Uint8Array, times: number) => Uint8Array.from(Array.from({ length: times }, () => Array.from(x)).flat());
    const big = bootstrapMeans(names, rep(truth, 20), { decisions: rep(decisions, 20), missed: new Uint8Array(100) }, 500, 7);
    expect(big.accuracy.estimate).toBeCloseTo(0.7, 12);
    expect(big.accuracy.lower).toBeLessThanOrEqual(0.7);
    expect(big.accuracy.upper).toBeGreaterThanOrEqual(0.7);
    expect(big.accuracy.upper - big.accuracy.lower).toBeLessThan((small.accuracy.upper - small.accuracy.lower) / 2);
    expect(meanOf(scoreAttributes(names, truth, { decisions, missed: none }), 'baseline')).toBeCloseTo(0.7, 12);
  });

  it('cluster bootstrap: one image per cluster draws what the image bootstrap draws; clustered copies widen it', () => {
    const pred = { decisions, missed: none };
    const img = bootstrapMeans(names, truth, pred, 300, 11);
    // Cluster labels need not be 0..n-1: any distinct non-negative integers, one per image.
    const own = bootstrapMeans(names, truth, pred, 300, 11, [40, 3, 17, 8, 2]);
    expect(own).toEqual(img);
    // 20 copies of the 5 images. As 100 independent images the interval is narrow; as 5 people with 20 identical
    // photos each it must be as wide as the 5-image interval (each replicate is a 5-image replicate x 20).
    const rep = (x: Uint8Array, times: number) => Uint8Array.from(Array.from({ length: times }, () => Array.from(x)).flat());
    const big = { decisions: rep(decisions, 20), missed: new Uint8Array(100) };
    const person = Array.from({ length: 100 }, (_, i) => i % 5);
    const asImages = bootstrapMeans(names, rep(truth, 20), big, 300, 11);
    const asPeople = bootstrapMeans(names, rep(truth, 20), big, 300, 11, person);
    expect(asPeople.accuracy.estimate).toBeCloseTo(0.7, 12);
    expect(asPeople.accuracy.lower).toBeLessThanOrEqual(0.7);
    expect(asPeople.accuracy.upper).toBeGreaterThanOrEqual(0.7);
    expect(asPeople.accuracy.upper - asPeople.accuracy.lower).toBeGreaterThan(2 * (asImages.accuracy.upper - asImages.accuracy.lower));
    // A replicate of 5 drawn people is a 5-image replicate repeated 20 times, so the interval is the 5-image one
    // for the same draws: the first 5 draws of the rng pick people exactly as they pick images.
    expect(asPeople.accuracy.upper - asPeople.accuracy.lower).toBeCloseTo(img.accuracy.upper - img.accuracy.lower, 12);
    expect(() => bootstrapMeans(names, truth, pred, 10, 1, [0, 1])).toThrow(RangeError);
    expect(() => bootstrapMeans(names, truth, pred, 10, 1, [0, 1, 2, 3, -1])).toThrow(/non-negative integer/);
  });
});

describe('label files', () => {
  it('reads a small CelebA-layout file and rejects malformed rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-eval-'));
    writeFileSync(join(dir, 'l.txt'), '2\nA B\nx.jpg 1 -1\ny.jpg -1  1\n');
    const t = await readLabelFile(join(dir, 'l.txt'));
    expect(t.names).toEqual(['A', 'B']);
    expect(t.files).toEqual(['x.jpg', 'y.jpg']);
    expect(Array.from(t.values)).toEqual([1, 0, 0, 1]);
    writeFileSync(join(dir, 'bad.txt'), '1\nA B\nx.jpg 1 2\n');
    await expect(readLabelFile(join(dir, 'bad.txt'))).rejects.toThrow(/bad.txt:3: expected 1 or -1/);
    writeFileSync(join(dir, 's.txt'), 'x.jpg 0\ny.jpg 2\n');
    expect([...(await readSplitFile(join(dir, 's.txt')))]).toEqual([['x.jpg', 0], ['y.jpg', 2]]);
    writeFileSync(join(dir, 'i.txt'), 'x.jpg 7\ny.jpg 12\n\n');
    expect([...(await readIdentityFile(join(dir, 'i.txt')))]).toEqual([['x.jpg', 7], ['y.jpg', 12]]);
    writeFileSync(join(dir, 'ibad.txt'), 'x.jpg 7\ny.jpg twelve\n');
    await expect(readIdentityFile(join(dir, 'ibad.txt'))).rejects.toThrow(/ibad.txt:2: expected "file person"/);
  });

  it('LNets+ANet reference values average 87.3 (Liu et al. 2015)', () => {
    const v = Object.values(LNETS_ANET_ACCURACY);
    expect(v).toHaveLength(40);
    expect(v.reduce((s, x) => s + x, 0) / 40).toBeCloseTo(87.3, 6);
  });

  it('the 2016 study\'s Table 3: 40 values in CelebA order, averaging 87.29675 (printed as 87.30%)', () => {
    expect(Object.keys(STUDY_2016_ACCURACY)).toEqual([...CELEBA_ATTRIBUTES]);
    // Values read off the table by hand: first, last, and three where the study and LNets+ANet differ most.
    expect([STUDY_2016_ACCURACY['5_o_Clock_Shadow'], STUDY_2016_ACCURACY.Young]).toEqual([91.41, 83.7]);
    expect([STUDY_2016_ACCURACY.Male, STUDY_2016_ACCURACY.Blurry, STUDY_2016_ACCURACY.Wearing_Necklace]).toEqual([95.16, 95.43, 85.74]);
    expect(Object.values(STUDY_2016_ACCURACY).reduce((s, x) => s + x, 0) / 40).toBeCloseTo(87.29675, 9);
    expect(STUDY_2016_MEAN_ACCURACY).toBe(87.3);
  });
});

describeShared('the 2016 study\'s Table 3 as transcribed in the shared docs', ['docs/study-table3.md'], ([table]) => {
  it('every embedded figure equals the shared transcription (and its "Average" row)', () => {
    const rows = new Map<string, number>();
    for (const line of readFileSync(table, 'utf8').split('\n')) {
      const m = /^\|\s*([^|]+?)\s*\|\s*\d+%\s*\|\s*([\d.]+)%\s*\|\s*$/.exec(line);
      if (m) rows.set(m[1], Number(m[2]));
    }
    expect(rows.size).toBe(41);
    for (const a of CELEBA_ATTRIBUTES) expect(STUDY_2016_ACCURACY[a], a).toBe(rows.get(a));
    expect(rows.get('Average (mean of 40)')).toBe(STUDY_2016_MEAN_ACCURACY);
  });
});

describeShared('the real CelebA label files', ['data/celeba/list_attr_celeba.txt', 'data/celeba/list_eval_partition.txt'], ([attrs, parts]) => {
  it('has 202,599 rows of 40 values and the official split sizes', async () => {
    const t = await readLabelFile(attrs);
    expect(t.files).toHaveLength(202599);
    expect(t.values.length).toBe(202599 * 40);
    expect(t.names[0]).toBe('5_o_Clock_Shadow');
    expect(t.names[39]).toBe('Young');
    const split = await readSplitFile(parts);
    const counts = [0, 0, 0];
    for (const s of split.values()) counts[s]++;
    expect(counts).toEqual([162770, 19867, 19962]);
  });
});

describeShared('the real CelebA identity file', ['data/celeba'], ([dir]) => {
  it('names a person for all 202,599 images; the 660 test images present are 22 people; celebaSource finds it', async () => {
    const src = celebaSource(dir, 'test');
    expect(src.identityFile).toBe(join(dir, 'identity_CelebA.txt'));
    const ids = await readIdentityFile(src.identityFile!);
    expect(ids.size).toBe(202599);
    const table = await loadEvalSet(src);
    expect(table.files).toHaveLength(660);
    expect(new Set(table.files.map((f) => ids.get(f))).size).toBe(22);
  });
});
