import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareGroups, type FaceObservation } from '../../src/analysis/compare.js';
import { createRng } from '../../src/analysis/random.js';
import { newcombeDifference, wilsonInterval } from '../../src/analysis/wilson.js';
import { CELEBA_ATTRIBUTES } from '../../src/attributes/names.js';
import { readCelebaAttributes } from '../helpers/celeba.js';
import { describeShared } from '../helpers/shared.js';

function faces(group: string, n: number, positives: number, level: string | null = null): FaceObservation[] {
  return Array.from({ length: n }, (_, i) => ({ group, level, decisions: { X: i < positives, Y: i % 2 === 0 } }));
}

describe('compareGroups on constructed data', () => {
  const data = [...faces('a', 20, 7, 'f'), ...faces('b', 20, 3, 'm'), ...faces('b', 10, 10, 'f')];
  const validation = { X: { tp: 90, fn: 10, tn: 180, fp: 20 }, Y: { tp: 50, fn: 50, tn: 50, fp: 50 } };
  const r = compareGroups(data, { attributes: ['X', 'Y'], validation, bootstrapReplicates: 400, factor: 'sex', seed: 3 });

  it('counts faces per group and level', () => {
    expect(r.groups).toEqual(['a', 'b']);
    expect(r.levels).toEqual(['f', 'm']);
    expect(r.panels.map((p) => p.level)).toEqual([null, 'f', 'm']);
    expect(r.panels[0].faces).toEqual({ a: 20, b: 30 });
    expect(r.panels[2].faces).toEqual({ a: 0, b: 20 });
  });
  it('reports prevalence with Wilson intervals', () => {
    const x = r.panels[0].attributes[0];
    expect(x.attribute).toBe('X');
    expect(x.groups[0]).toMatchObject({ group: 'a', n: 20, count: 7, prevalence: 0.35 });
    expect(x.groups[0].wilson).toEqual(wilsonInterval(7, 20));
    expect(x.groups[1]).toMatchObject({ n: 30, count: 13 });
  });
  it('tests, adjusts and measures the largest difference', () => {
    const x = r.panels[0].attributes[0];
    expect(x.test?.method).toBe('chi-square');
    expect(x.q).toBeGreaterThanOrEqual(x.test!.p);
    const nd = newcombeDifference(13, 30, 7, 20);
    expect(x.largestDifference).toMatchObject({ higherGroup: 'b', lowerGroup: 'a', difference: nd.difference, lower: nd.lower, upper: nd.upper });
    expect(x.largestDifference?.corrected).not.toBeNull();
    // Panel "m" has only group b: nothing to test.
    expect(r.panels[2].attributes[0].test).toBeNull();
    expect(r.panels[2].attributes[0].q).toBeNull();
  });
  it('corrects where the classifier is informative and says why not elsewhere', () => {
    const [x, y] = r.panels[0].attributes;
    expect(x.correction).toMatchObject({ sensitivity: 0.9, specificity: 0.9 });
    expect(x.groups[0].corrected!.estimate).toBeCloseTo((0.35 + 0.9 - 1) / 0.8, 12);
    expect(y.correction).toMatchObject({ unavailable: expect.stringMatching(/chance/) });
    expect(y.groups[0].corrected).toBeNull();
  });
  it('is reproducible from the seed', () => {
    const again = compareGroups(data, { attributes: ['X', 'Y'], validation, bootstrapReplicates: 400, factor: 'sex', seed: 3 });
    expect(again).toEqual(r);
  });
  it('needs two groups', () => {
    expect(() => compareGroups(faces('a', 5, 1), { attributes: ['X'] })).toThrow(/at least 2 groups/);
  });
});

describeShared('compare on CelebA labels (true labels as decisions)', ['data/celeba/list_attr_celeba.txt', 'data/celeba/img_align_celeba'], ([attrPath, imgDir]) => {
  const subset = new Set(readdirSync(imgDir).filter((f) => f.endsWith('.jpg')));
  const { rows } = readCelebaAttributes(attrPath, (f) => subset.has(f));

  it('uses the 6,000 labelled faces of the shared subset', () => {
    expect(rows.length).toBe(6000);
  });

  it('null: 200 random 3-way splits flag about 5% of attributes or fewer at FDR 0.05', () => {
    const rng = createRng(20240601);
    const idx = rows.map((_, i) => i);
    let tests = 0;
    let flagged = 0;
    let rawBelow05 = 0;
    let splitsWithAny = 0;
    for (let s = 0; s < 200; s++) {
      for (let i = idx.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      const obs: FaceObservation[] = idx.map((k, pos) => ({ group: ['A', 'B', 'C'][pos % 3], decisions: rows[k].labels }));
      const r = compareGroups(obs, { groups: ['A', 'B', 'C'], seed: s });
      let any = false;
      for (const a of r.panels[0].attributes) {
        tests++;
        if (a.significant) {
          flagged++;
          any = true;
        }
        if (a.test!.p < 0.05) rawBelow05++;
      }
      if (any) splitsWithAny++;
    }
    const share = flagged / tests;
    console.log(
      `null splits: ${flagged}/${tests} attribute tests flagged at FDR 0.05 (${(100 * share).toFixed(2)}%); ` +
        `unadjusted p < 0.05: ${(100 * rawBelow05 / tests).toFixed(2)}%; splits with any flag: ${splitsWithAny}/200`,
    );
    expect(share).toBeLessThanOrEqual(0.05);
    // The unadjusted p-values are calibrated: about 5% fall below 0.05.
    expect(rawBelow05 / tests).toBeGreaterThan(0.03);
    expect(rawBelow05 / tests).toBeLessThan(0.07);
    // Under the global null BH also bounds the chance of any flag at all by ~alpha.
    expect(splitsWithAny / 200).toBeLessThan(0.1);
  });

  it('known difference: grouping by true Wearing_Lipstick flags Heavy_Makeup and Male strongly', () => {
    const obs: FaceObservation[] = rows.map((r) => ({
      group: r.labels.Wearing_Lipstick ? 'lipstick' : 'no lipstick',
      level: r.labels.Male ? 'Male' : 'not Male',
      decisions: r.labels,
    }));
    const r = compareGroups(obs, { factor: 'Male', bootstrapReplicates: 200 });
    const all = r.panels[0].attributes;
    const get = (name: string) => all.find((a) => a.attribute === name)!;
    for (const name of ['Heavy_Makeup', 'Male']) {
      const a = get(name);
      console.log(
        `${name}: X2 = ${a.test!.statistic.toFixed(1)}, p = ${a.test!.p.toExponential(2)}, q = ${a.q!.toExponential(2)}, ` +
          `V = ${a.test!.cramersV.toFixed(3)}, difference ${a.largestDifference!.difference.toFixed(3)} ` +
          `[${a.largestDifference!.lower.toFixed(3)}, ${a.largestDifference!.upper.toFixed(3)}], rank ${a.rank}`,
      );
      expect(a.significant).toBe(true);
      expect(a.q!).toBeLessThan(1e-100);
      expect(a.test!.cramersV).toBeGreaterThan(0.5);
      expect(a.rank).toBeLessThanOrEqual(4);
    }
    expect(get('Wearing_Lipstick').rank).toBe(1);
    expect(get('Heavy_Makeup').largestDifference!.higherGroup).toBe('lipstick');
    expect(get('Male').largestDifference!.higherGroup).toBe('no lipstick');
    expect(r.panels.map((p) => p.level)).toEqual([null, 'Male', 'not Male']);
    expect(r.attributes).toEqual([...CELEBA_ATTRIBUTES]);
  });
});
