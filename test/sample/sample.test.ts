import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, UsageError } from '../../src/analysis/inputs.js';
import { drawLabellingSample, type SampleUnit } from '../../src/analysis/sample.js';
import { parseAttributeList, runSample } from '../../src/pipeline/sample.js';
import { tag } from '../../src/pipeline/library.js';
import { describeShared } from '../helpers/shared.js';

const units = (group: string, n: number): SampleUnit[] => Array.from({ length: n }, (_, i) => ({ path: `${group}/p${Math.floor(i / 2)}.jpg`, face: i % 2, group }));

describe('drawLabellingSample', () => {
  const all = [...units('a', 40), ...units('b', 3), ...units('c', 200)];
  it('draws min(perGroup, faces) distinct faces of each group, only from that group', () => {
    const s = drawLabellingSample(all, 5, 7);
    const count = (g: string) => s.filter((u) => u.group === g).length;
    expect([count('a'), count('b'), count('c')]).toEqual([5, 3, 5]);
    expect(new Set(s.map((u) => `${u.path}#${u.face}`)).size).toBe(13);
    for (const u of s) expect(u.path.startsWith(`${u.group}/`)).toBe(true);
  });
  it('is reproducible from the seed, changes with it, and a group draw does not depend on the other groups', () => {
    const key = (s: SampleUnit[], g: string) => s.filter((u) => u.group === g).map((u) => `${u.path}#${u.face}`).sort().join(' ');
    expect(drawLabellingSample(all, 5, 7)).toEqual(drawLabellingSample(all, 5, 7));
    expect(key(drawLabellingSample(all, 5, 8), 'c')).not.toBe(key(drawLabellingSample(all, 5, 7), 'c'));
    const withoutA = all.filter((u) => u.group !== 'a');
    expect(key(drawLabellingSample(withoutA, 5, 7), 'c')).toBe(key(drawLabellingSample(all, 5, 7), 'c'));
  });
  it('gives every face the same chance (simple random sampling): 2000 draws of 5 of 40', () => {
    const hits = new Map<string, number>();
    const a = units('a', 40);
    for (let s = 0; s < 2000; s++) for (const u of drawLabellingSample(a, 5, s)) hits.set(`${u.path}#${u.face}`, (hits.get(`${u.path}#${u.face}`) ?? 0) + 1);
    // Each face is expected 2000 * 5/40 = 250 times; sd = sqrt(2000 * 0.125 * 0.875) = 14.8; 5 sd = 74.
    expect(hits.size).toBe(40);
    for (const v of hits.values()) expect(Math.abs(v - 250)).toBeLessThan(74);
  });
  it('refuses a non-positive sample size', () => {
    expect(() => drawLabellingSample(all, 0, 1)).toThrow(RangeError);
  });
});

describe('parseAttributeList', () => {
  it('returns the chosen attributes in CelebA order and all 40 by default', () => {
    expect(parseAttributeList('Smiling, Eyeglasses,Male')).toEqual(['Eyeglasses', 'Male', 'Smiling']);
    expect(parseAttributeList(undefined)).toHaveLength(40);
    expect(() => parseAttributeList('Smiling,Happy')).toThrow(/"Happy" is not one of the 40 CelebA attributes/);
  });
});

describeShared('runSample on the shared photos', ['data/photos/group_of_3.jpg', 'data/photos/grace_hopper.jpg', 'data/photos/man_three_quarter.jpg'], ([group3, hopper, man]) => {
  const dir = mkdtempSync(join(tmpdir(), 'facetally-sample-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'ga'));
  mkdirSync(join(dir, 'gb'));
  copyFileSync(group3, join(dir, 'ga/group_of_3.jpg'));
  copyFileSync(hopper, join(dir, 'gb/grace_hopper.jpg'));
  copyFileSync(man, join(dir, 'gb/man_three_quarter.jpg'));

  it('writes to-label.csv by the contract, aligned crops and context pictures; the paths are the records\' own', async () => {
    const records = await tag([join(dir, 'ga'), join(dir, 'gb')], { workers: 1 });
    writeFileSync(join(dir, 'tags.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const out = join(dir, 'label');
    const o = await runSample({ folders: [join(dir, 'ga'), join(dir, 'gb')], results: join(dir, 'tags.jsonl'), perGroup: 2, seed: 3, attributes: ['Smiling', 'Eyeglasses'], out });
    expect(o.exitCode).toBe(0);
    // group_of_3 has 3 faces (2 drawn); grace_hopper and man_three_quarter one each (both taken).
    expect(o.groups).toEqual([{ group: 'ga', faces: 3, sampled: 2 }, { group: 'gb', faces: 2, sampled: 2 }]);
    const rows = parseCsv(readFileSync(join(out, 'to-label.csv'), 'utf8')).map((r) => r.fields);
    expect(rows[0]).toEqual(['path', 'face', 'group', 'crop', 'context', 'Eyeglasses', 'Smiling']);
    expect(rows).toHaveLength(5);
    const paths = new Set(records.map((r) => r.path));
    rows.slice(1).forEach((r, i) => {
      expect(paths.has(r[0])).toBe(true);
      const rec = records.find((x) => x.path === r[0])!;
      expect(Number(r[1])).toBeLessThan(rec.faces.length);
      expect(r[2]).toBe(r[0].includes('/ga/') ? 'ga' : 'gb');
      const name = String(i + 1).padStart(6, '0');
      expect(r.slice(3)).toEqual([`crops/${name}.png`, `context/${name}.jpg`, '', '']);
    });
    for (let i = 1; i <= 4; i++) {
      const name = String(i).padStart(6, '0');
      const crop = await sharp(join(out, `crops/${name}.png`)).metadata();
      expect([crop.format, crop.width, crop.height]).toEqual(['png', 178, 218]);
      const ctx = await sharp(join(out, `context/${name}.jpg`)).metadata();
      expect(ctx.format).toBe('jpeg');
      expect(Math.max(ctx.width!, ctx.height!)).toBeLessThanOrEqual(512);
      expect(Math.max(ctx.width!, ctx.height!)).toBeGreaterThanOrEqual(256);
    }
    // Same seed, same sample.
    const again = await runSample({ folders: [join(dir, 'ga'), join(dir, 'gb')], results: join(dir, 'tags.jsonl'), perGroup: 2, seed: 3, attributes: ['Smiling', 'Eyeglasses'], out, overwrite: true });
    expect(again.rows.map((r) => `${r.path}#${r.face}`)).toEqual(o.rows.map((r) => `${r.path}#${r.face}`));
    // A non-empty folder is refused without --overwrite (it may hold labels).
    await expect(runSample({ folders: [join(dir, 'ga'), join(dir, 'gb')], results: join(dir, 'tags.jsonl'), out })).rejects.toThrow(/is not empty .*--overwrite/);
  }, 60_000);

  it('refuses an --out that cannot be created, in plain words, before tagging', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    let tagged = false;
    const tagger = async function* () {
      tagged = true;
      yield* [];
    };
    const err = await runSample({ folders: [join(dir, 'ga'), join(dir, 'gb')], tagger, out: join(dir, 'a-file', 'sub') }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/cannot create the folder .*a part of the path is a file/);
    expect(tagged).toBe(false);
  });
});
