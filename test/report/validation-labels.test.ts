import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/analysis/inputs.js';
import { parseLabels } from '../../src/analysis/labels.js';
import { runCompare } from '../../src/report/run-compare.js';
import { syntheticResults, syntheticSidecar } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'facetally-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Two groups of 40 photos (every 4th with two faces: 50 faces per group).
const photos = syntheticResults(['gA', 'gB'], 40, join(dir, 'photos'));
writeFileSync(join(dir, 'tags.jsonl'), photos.map((p) => JSON.stringify(p)).join('\n') + '\n');
writeFileSync(join(dir, 'attributes.json'), JSON.stringify(syntheticSidecar()));
const folders = [join(dir, 'photos/gA'), join(dir, 'photos/gB')];

/** Label the first `k` single-face photos of a group: Smiling = the model's decision, except the first `flip` labelled faces decided yes. */
function labelRows(group: string, k: number, flip: number): string[] {
  const rows: string[] = [];
  let flipped = 0;
  for (const p of photos.filter((x) => x.path.includes(`/${group}/`) && x.faces.length === 1).slice(0, k)) {
    let v = p.faces[0].decisions.Smiling;
    if (v && flipped < flip) {
      v = false;
      flipped++;
    }
    rows.push(`${p.path},0,${group},,,${v ? 1 : 0},`);
  }
  return rows;
}

async function compare(labels: string[], extra: Record<string, unknown> = {}) {
  const file = join(dir, `labels-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, ['path,face,group,crop,context,Smiling,Eyeglasses', ...labels].join('\n') + '\n');
  return runCompare({ folders, results: join(dir, 'tags.jsonl'), out: join(dir, 'out'), overwrite: true, sidecar: join(dir, 'attributes.json'), bootstrap: 400, png: false, validationLabels: file, ...extra });
}

describe('compare --validation-labels', () => {
  it('gives two-phase estimates that equal the hand computation, with the labelled counts, in JSON, CSV and the report', async () => {
    const o = await compare([...labelRows('gA', 20, 0), ...labelRows('gB', 20, 3)]);
    const a = o.result.panels[0].attributes.find((x) => x.attribute === 'Smiling')!;
    expect(o.result.twoPhase).toBe(true);
    // gA: labels agree with the model everywhere -> PPV = 1, NPV = 1 -> the two-phase estimate is the raw share.
    const gA = a.twoPhase!.groups[0]!;
    expect(gA.labelled).toBe(20);
    expect(gA.estimate).toBeCloseTo(a.groups[0].prevalence!, 12);
    // gB: 3 of the labelled yes-faces are labelled absent -> PPV = (m1 − 3)/m1, NPV = 1.
    const gB = a.twoPhase!.groups[1]!;
    const m1 = labelRows('gB', 20, 0).filter((r) => r.endsWith(',1,')).length;
    expect(gB.ppv).toBeCloseTo((m1 - 3) / m1, 12);
    expect(gB.estimate).toBeCloseTo(a.groups[1].prevalence! * ((m1 - 3) / m1), 12);
    expect(gB.lower).toBeLessThan(gB.estimate);
    // Eyeglasses has a column but no cell filled: no two-phase block.
    expect(o.result.panels[0].attributes.find((x) => x.attribute === 'Eyeglasses')!.twoPhase).toBeNull();
    const csv = readFileSync(join(dir, 'out', 'compare.csv'), 'utf8').split('\n');
    const header = csv[0].split(',');
    const row = csv.find((l) => l.startsWith('all,Smiling,gB,'))!.split(',');
    expect(Number(row[header.indexOf('labelled')])).toBe(20);
    expect(Number(row[header.indexOf('two_phase')])).toBeCloseTo(gB.estimate, 6);
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain('Prevalence calibrated on your labels (two-phase)');
    expect(html).toContain('20 labelled');
    expect(JSON.parse(readFileSync(join(dir, 'out', 'compare.json'), 'utf8')).context.validationLabels).toMatch(/labels-.*\.csv$/);
  });

  it('pools a group with fewer than 10 labels over the groups, and flags it', async () => {
    const o = await compare([...labelRows('gA', 20, 0), ...labelRows('gB', 4, 0)]);
    const a = o.result.panels[0].attributes.find((x) => x.attribute === 'Smiling')!;
    expect(a.twoPhase!.groups[0]!.pooled).toBeNull();
    expect(a.twoPhase!.groups[1]!.pooled).toBe('both');
  });

  it('refuses, naming the line: a photo outside the compared groups, a disagreeing group, a missing face index, a face the photo lacks', async () => {
    const other = `${join(dir, 'elsewhere/x.jpg')},0,gA,,,1,`;
    await expect(compare([other])).rejects.toThrow(/labels-.*\.csv:2: .*elsewhere\/x\.jpg is not a photo of the compared groups/);
    const one = photos.find((p) => p.path.includes('/gA/') && p.faces.length === 1)!;
    const two = photos.find((p) => p.path.includes('/gA/') && p.faces.length === 2)!;
    await expect(compare([`${one.path},0,gB,,,1,`])).rejects.toThrow(/:2: .* is labelled as group "gB" but compare puts it in group "gA"/);
    await expect(compare([`${one.path},,gA,,,1,`, `${two.path},,gA,,,1,`])).rejects.toThrow(/:3: .* has 2 faces; give the face column/);
    await expect(compare([`${two.path},2,gA,,,1,`])).rejects.toThrow(/:2: .* has 2 face\(s\) \(0-based index\) but the label is for face 2/);
    await expect(compare([`${one.path},0,gA,,,1,`], { minScore: 0.9999 })).rejects.toThrow(/left out by --min-score/);
    // A single-face photo may leave the face column blank.
    await expect(compare([`${one.path},,gA,,,1,`])).resolves.toBeTruthy();
  });
});

describe('parseLabels', () => {
  it('reads 1 / 0 / blank cells and refuses anything else, unknown columns and conflicting repeats, naming the line', () => {
    const r = parseLabels('path,face,Smiling,Male\na.jpg,0,1,\nb.jpg,,0,1\n', 'l.csv');
    expect(r.attributes).toEqual(['Smiling', 'Male']);
    expect(r.rows).toEqual([
      { line: 2, path: 'a.jpg', face: 0, group: null, labels: { Smiling: true } },
      { line: 3, path: 'b.jpg', face: null, group: null, labels: { Smiling: false, Male: true } },
    ]);
    expect(() => parseLabels('path,Smiling\na.jpg,yes\n', 'l.csv')).toThrow(UsageError);
    expect(() => parseLabels('path,Smiling\na.jpg,yes\n', 'l.csv')).toThrow(/l\.csv:2: Smiling is "yes"; expected 1 \(present\), 0 \(absent\) or blank/);
    expect(() => parseLabels('path,Happy\na.jpg,1\n', 'l.csv')).toThrow(/l\.csv:1: column "Happy" is neither/);
    expect(() => parseLabels('face,Smiling\n0,1\n', 'l.csv')).toThrow(/expected a "path" column/);
    expect(() => parseLabels('path,face,Smiling\na.jpg,x,1\n', 'l.csv')).toThrow(/l\.csv:2: face "x" is not a face index/);
    expect(() => parseLabels('path,face,Smiling\na.jpg,0,1\na.jpg,0,0\n', 'l.csv')).toThrow(/l\.csv:3: .* different Smiling than on line 2/);
  });
});

describe('compare --cluster', () => {
  const manifest = (rows: string[]) => {
    const file = join(dir, `m-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(file, ['path,group,person', ...rows].join('\n') + '\n');
    return file;
  };
  const rows = photos.map((p, i) => `${p.path},${p.path.includes('/gA/') ? 'gA' : 'gB'},p${Math.floor(i / 4)}`);
  const run = (extra: Record<string, unknown>) =>
    runCompare({ folders: [], results: join(dir, 'tags.jsonl'), out: join(dir, 'out-c'), overwrite: true, sidecar: join(dir, 'attributes.json'), bootstrap: 200, png: false, ...extra });
  it('resamples persons: the report names the unit, every test is Rao–Scott', async () => {
    const o = await run({ manifest: manifest(rows), cluster: 'person' });
    expect(o.result.unit).toBe('person');
    expect(o.result.clusters).toBe(20);
    expect(o.result.panels[0].attributes.every((a) => a.test === null || a.test.method === 'rao-scott')).toBe(true);
    expect(readFileSync(join(dir, 'out-c', 'report.html'), 'utf8')).toContain('the unit of resampling is the <b>person</b> (20 of them');
  });
  it('refuses --cluster without a manifest, an unknown column and an empty value (line named), before any tagging', async () => {
    await expect(run({ folders, cluster: 'person' })).rejects.toThrow(/--cluster needs --manifest/);
    await expect(run({ manifest: manifest(rows), cluster: 'account' })).rejects.toThrow(/--cluster account: no such column .*path, group, person/);
    const withEmpty = [...rows];
    withEmpty[2] = withEmpty[2].replace(/,p\d+$/, ',');
    await expect(run({ manifest: manifest(withEmpty), cluster: 'person' })).rejects.toThrow(/m-.*\.csv:4: empty person for .*; --cluster person needs a value for every photo/);
  });
});
