import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA_ATTRIBUTES } from '../../src/attributes/names.js';
import { centralFace } from '../../src/eval/run.js';
import { Tagger } from '../../src/pipeline/tag.js';
import type { Face } from '../../src/types.js';
import { repoRoot } from '../helpers/shared.js';

/**
 * `facetally eval` end to end on a small generated CelebA-layout folder whose labels are built from the model's
 * own decisions with known flips, so every figure of the report is known in advance:
 * - astronaut.jpg: labels = the model's decisions, Smiling flipped  → wrong on Smiling only;
 * - hopper.jpg:    labels = decisions, Male flipped                → wrong on Male only;
 * - pair.jpg:      the astronaut in the middle of a wide canvas and Grace Hopper in a corner: the central face
 *                  (the astronaut) must be the one scored; labels = that face's decisions → no error;
 * - blank.jpg:     no face → missed, an error on all 40 attributes;
 * - train.jpg:     in the train split → not evaluated with --split test.
 * Per attribute 4 images: Smiling and Male 2/4 right, the other 38 3/4: mean accuracy (38·0.75 + 2·0.5) / 40 = 73.75%.
 */
const bin = join(repoRoot, 'bin', 'facetally.js');
let root: string;
let decisions: Record<string, Record<string, boolean>>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'facetally-evalcmd-'));
  const img = join(root, 'img_align_celeba');
  mkdirSync(img);
  const astronaut = join(repoRoot, 'examples', 'astronaut.png');
  const hopper = join(repoRoot, 'examples', 'grace_hopper.jpg');
  await sharp(astronaut).jpeg({ quality: 95 }).toFile(join(img, 'astronaut.jpg'));
  copyFileSync(hopper, join(img, 'hopper.jpg'));
  await sharp({ create: { width: 1400, height: 700, channels: 3, background: '#808080' } })
    .composite([{ input: astronaut, left: 444, top: 94 }, { input: await sharp(hopper).resize(240).toBuffer(), left: 10, top: 10 }])
    .jpeg({ quality: 95 })
    .toFile(join(img, 'pair.jpg'));
  await sharp({ create: { width: 178, height: 218, channels: 3, background: '#6a7a8a' } }).jpeg().toFile(join(img, 'blank.jpg'));
  copyFileSync(join(img, 'astronaut.jpg'), join(img, 'train.jpg'));

  const tagger = await Tagger.create();
  decisions = {};
  try {
    for (const f of ['astronaut.jpg', 'hopper.jpg']) {
      const rec = await tagger.tagFile(join(img, f));
      expect(rec.faces).toHaveLength(1);
      decisions[f] = rec.faces[0].decisions;
    }
    // In pair.jpg, the face inside the astronaut's rectangle (444..956 x 94..606) is the central one; its decisions
    // (not those of astronaut.jpg: a borderline value such as Male may differ in a composite) are its labels.
    const pair = await tagger.tagFile(join(img, 'pair.jpg'));
    expect(pair.faces).toHaveLength(2);
    const inside = (f: Face) => f.box.x > 444 && f.box.x + f.box.width < 956 && f.box.y > 94 && f.box.y + f.box.height < 606;
    const [centre, corner] = inside(pair.faces[0]) ? pair.faces : [pair.faces[1], pair.faces[0]];
    expect(inside(centre) && !inside(corner)).toBe(true);
    decisions['pair.jpg'] = centre.decisions;
    // Scoring the corner face instead would show: the two faces disagree on several attributes.
    expect(CELEBA_ATTRIBUTES.filter((a) => centre.decisions[a] !== corner.decisions[a]).length).toBeGreaterThanOrEqual(3);
  } finally {
    await tagger.close();
  }
  const row = (file: string, d: Record<string, boolean> | null, flip?: string) =>
    `${file} ${CELEBA_ATTRIBUTES.map((a) => ((d ? d[a] !== (a === flip) : false) ? ' 1' : '-1')).join(' ')}`;
  writeFileSync(join(root, 'list_attr_celeba.txt'), [
    '5', CELEBA_ATTRIBUTES.join(' '),
    row('astronaut.jpg', decisions['astronaut.jpg'], 'Smiling'),
    row('hopper.jpg', decisions['hopper.jpg'], 'Male'),
    row('pair.jpg', decisions['pair.jpg']),
    row('blank.jpg', null),
    row('train.jpg', decisions['astronaut.jpg']),
  ].join('\n') + '\n');
  writeFileSync(join(root, 'list_eval_partition.txt'), 'astronaut.jpg 2\nhopper.jpg 2\npair.jpg 2\nblank.jpg 2\ntrain.jpg 0\n');
  writeFileSync(join(root, 'identity_CelebA.txt'), 'astronaut.jpg 1\nhopper.jpg 2\npair.jpg 1\nblank.jpg 3\ntrain.jpg 1\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [bin, 'eval', '--celeba', root, '--split', 'test', '-q', ...args], { cwd: repoRoot, encoding: 'utf8' });
}

describe('facetally eval on a generated CelebA-layout folder (needs dist/)', () => {
  it('JSON: the known accuracies, the missed image, the central face of a two-face photo, people from the identity file', () => {
    const r = run(['-f', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect([rep.n, rep.missed, rep.missedFiles, rep.unreadable]).toEqual([4, 1, ['blank.jpg'], 0]);
    const acc = Object.fromEntries(rep.perAttribute.map((a: { name: string; accuracy: number }) => [a.name, a.accuracy]));
    for (const a of CELEBA_ATTRIBUTES) expect(acc[a], a).toBe(a === 'Smiling' || a === 'Male' ? 0.5 : 0.75);
    expect(rep.meanAccuracy.estimate).toBeCloseTo(0.7375, 12);
    expect(rep.byPerson.people).toBe(3);
    // Smiling: the astronaut is labelled the opposite of the model, the pair's central face agrees, blank is missed.
    const smiling = rep.perAttribute.find((a: { name: string }) => a.name === 'Smiling');
    expect(smiling.tp + smiling.fn + smiling.tn + smiling.fp).toBe(4);
    expect(r.stderr).toMatch(/facetally eval: 4 images/);
  });
  it('refuses --split with --labels but no --split-file (it would be ignored), before reading anything', () => {
    const r = spawnSync(process.execPath, [bin, 'eval', '--labels', join(root, 'list_attr_celeba.txt'), '--images', join(root, 'img_align_celeba'), '--split', 'val', '-q'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--split val needs --split-file FILE with --labels/);
    expect(r.stdout).toBe('');
  });
  it('markdown and CSV carry the same figures', () => {
    const md = run([]);
    expect(md.status, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^Mean accuracy 73\.75% \(95% bootstrap interval [\d.]+–[\d.]+\), mean balanced accuracy /m);
    expect(md.stdout).toMatch(/resampling the 4 images; resampling the 3 people instead/);
    expect(md.stdout).toContain('Faces missed by the detector: 1 of 4 images');
    expect(md.stdout).toMatch(/^\| Smiling \| 4 \| \d \| 50\.00 /m);
    // The published columns: LNets+ANet (Liu et al. 2015) and the 2016 study's Table 3, with the caveat.
    expect(md.stdout).toMatch(/^\| Smiling \| 4 \| \d \| 50\.00[^|]*\|.*\| 92 \| 89\.53 \|$/m);
    expect(md.stdout).toMatch(/^\| Male \| 4 \|.*\| 98 \| 95\.16 \|$/m);
    expect(md.stdout).toMatch(/^\| \*\*mean\*\* \| 4 \|.*\| 87\.30 \| 87\.30 \|$/m);
    expect(md.stdout).toContain('its test images differ from the official split, so it is not a like-for-like comparison');
    const csv = run(['-f', 'csv']);
    const rows = csv.stdout.trim().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['attribute', 'n', 'tp', 'fn', 'tn', 'fp', 'accuracy', 'balanced_accuracy', 'baseline', 'ece', 'lnets_anet', 'study_2016']);
    expect(rows.find((x) => x[0] === 'Male')!.slice(-2)).toEqual(['0.98', '0.9516']);
    expect(rows.at(-1)!.slice(-2)).toEqual(['0.873', '0.8730']);
    expect(rows.find((x) => x[0] === 'Male')!.slice(1, 2).concat(rows.find((x) => x[0] === 'Male')![6])).toEqual(['4', '0.500000']);
    expect(rows.at(-1)!.slice(0, 2).concat(rows.at(-1)![6])).toEqual(['MEAN', '4', '0.737500']);
  });
});

describe('centralFace', () => {
  const face = (x: number, y: number, w: number): Face => ({ box: { x, y, width: w, height: w }, score: 0.9, landmarks: [], attributes: {}, decisions: {} });
  it('picks the face whose box centre is nearest the photo centre, not the largest or the first', () => {
    const big = face(0, 0, 300), mid = face(450, 330, 100), near = face(480, 360, 20);
    // Photo 1000 x 800, centre (500, 400): centres (150, 150), (500, 380), (490, 370): distances 430, 20, 31.6.
    expect(centralFace([big, near, mid], 1000, 800)).toBe(mid);
    expect(centralFace([], 1000, 800)).toBeUndefined();
  });
});
