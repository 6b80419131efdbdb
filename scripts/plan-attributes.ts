/**
 * Attribute decisions of two detector settings on the same faces: the detector before issue 13 (LEGACY_PYRAMID,
 * first pass 0.75, second look 0.5) against the current defaults (DEFAULT_PYRAMID, 0.7 / 0.6). A pyramid plan moves
 * the keypoints a little (faces are seen on other levels), so the aligned crop and the attribute probabilities move
 * with them; this measures whether that changes attribute accuracy. Not a test: figures to read
 * (docs/detection.md, "Pyramid plan").
 *
 *   npx tsx scripts/plan-attributes.ts [--photos 240] [--seed 1313] [--work DIR]
 *
 * Photos: CelebA-HQ VALIDATION-split heads (../shared/data/celeba-hq, 128x128, the first --photos by number; never
 * train or test, never the sample photos), enlarged (Lanczos) to 96, 128, 160, 192, 256 or 320 px in turn and
 * pasted one per photo at a seeded random place on a plain background of a seeded colour, in photos of 1024x768
 * and 1600x1200 in turn (JPEG quality 90, cached under --work, default $TMPDIR/facetally-plan-attributes). Both
 * settings tag every photo with the full pipeline (`Tagger`); the face whose box centre lies on the pasted head is
 * compared with the head's CelebA labels. Prints faces found, mean accuracy over the 40 attributes for each
 * setting, the paired difference per face with a 95% normal interval, the decisions that differ, and the same by
 * head size. Exit codes: 0 ok, 1 usage or missing data.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { LEGACY_PYRAMID } from '../src/detect/pyramid.js';
import { Tagger } from '../src/pipeline/tag.js';
import type { Face } from '../src/types.js';
import { rng } from './lib/rng.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.FACETALLY_SHARED ? resolve(process.env.FACETALLY_SHARED) : resolve(repoRoot, '..', 'shared');
const HELP = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0].replace(/^\/\*\*\n?/, '').replace(/^ \* ?/gm, '');
const SIDES = [96, 128, 160, 192, 256, 320];
const SIZES: [number, number][] = [[1024, 768], [1600, 1200]];

function fail(msg: string): never {
  console.error(`plan-attributes: ${msg}`);
  process.exit(1);
}

let values: { photos: string; seed: string; work: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      photos: { type: 'string', default: '240' },
      seed: { type: 'string', default: '1313' },
      work: { type: 'string', default: join(tmpdir(), 'facetally-plan-attributes') },
      help: { type: 'boolean', short: 'h' },
    },
  }) as { values: typeof values });
} catch (e) {
  fail(`${(e as Error).message} (see --help)`);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const n = Number(values.photos), seed = Number(values.seed);
if (!(Number.isInteger(n) && n > 0)) fail(`--photos must be a positive integer but is "${values.photos}"`);
if (!Number.isInteger(seed)) fail(`--seed must be an integer but is "${values.seed}"`);
const hq = join(shared, 'data', 'celeba-hq');
const annoPath = join(hq, 'CelebAMask-HQ-attribute-anno.txt');
if (!existsSync(annoPath)) fail(`${annoPath} not found: the script needs ../shared/data/celeba-hq (or FACETALLY_SHARED)`);

const split = new Map(readFileSync(join(hq, 'list_eval_partition.txt'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/) as [string, string]));
const lines = readFileSync(annoPath, 'utf8').trim().split('\n');
const names = lines[1].trim().split(/\s+/);
const labels = new Map<string, boolean[]>();
for (const l of lines.slice(2)) {
  const [f, ...v] = l.trim().split(/\s+/);
  labels.set(f, v.map((x) => x === '1'));
}
const files = [...labels.keys()].filter((f) => split.get(f) === '1').sort((a, b) => parseInt(a) - parseInt(b)).slice(0, n);
if (files.length < n) fail(`only ${files.length} validation photos, ${n} asked`);

const dir = join(values.work, `s${seed}`);
mkdirSync(dir, { recursive: true });
const rand = rng(seed);
const photos: { path: string; cx: number; cy: number; side: number; file: string }[] = [];
for (const [i, file] of files.entries()) {
  const side = SIDES[i % SIDES.length];
  const [w, h] = SIZES[Math.floor(i / SIDES.length) % SIZES.length];
  const x = Math.floor(rand() * (w - side)), y = Math.floor(rand() * (h - side));
  const background = { r: 70 + Math.floor(rand() * 140), g: 70 + Math.floor(rand() * 140), b: 70 + Math.floor(rand() * 140) };
  const path = join(dir, `${String(i).padStart(4, '0')}_${w}x${h}_${side}px_${file}`);
  if (!existsSync(path)) {
    const head = await sharp(join(hq, 'images', file)).resize(side, side, { kernel: 'lanczos3' }).toBuffer();
    await sharp({ create: { width: w, height: h, channels: 3, background } }).composite([{ input: head, left: x, top: y }]).jpeg({ quality: 90 }).toFile(path);
  }
  photos.push({ path, cx: x + side / 2, cy: y + side / 2, side, file });
}

const before = await Tagger.create({ pyramid: LEGACY_PYRAMID, scoreThreshold: 0.75, verifyThreshold: 0.5 });
const now = await Tagger.create({});
const pick = async (t: Tagger, p: (typeof photos)[number]): Promise<Face | undefined> =>
  (await t.tagFile(p.path)).faces.find((f) => Math.abs(f.box.x + f.box.width / 2 - p.cx) < p.side / 2 && Math.abs(f.box.y + f.box.height / 2 - p.cy) < p.side / 2);
let foundBefore = 0, foundNow = 0, differ = 0;
const diffs: number[] = [];
const bySide = new Map<number, { before: number; now: number; faces: number; differ: number }>();
const right = (f: Face, truth: boolean[]) => names.filter((a, k) => f.decisions[a] === truth[k]).length;
for (const [i, p] of photos.entries()) {
  process.stderr.write(`\rphoto ${i + 1}/${photos.length}   `);
  const [a, b] = [await pick(before, p), await pick(now, p)];
  if (a) foundBefore++;
  if (b) foundNow++;
  if (!a || !b) continue;
  const truth = labels.get(p.file)!;
  const [ra, rb] = [right(a, truth), right(b, truth)];
  const d = names.filter((x) => a.decisions[x] !== b.decisions[x]).length;
  differ += d;
  diffs.push((rb - ra) / names.length);
  const s = bySide.get(p.side) ?? { before: 0, now: 0, faces: 0, differ: 0 };
  s.before += ra / names.length;
  s.now += rb / names.length;
  s.faces++;
  s.differ += d;
  bySide.set(p.side, s);
}
process.stderr.write('\n');
await before.close();
await now.close();

const k = diffs.length;
if (k < 2) fail('fewer than two faces found by both settings');
const mean = diffs.reduce((x, y) => x + y, 0) / k;
const se = Math.sqrt(diffs.reduce((x, y) => x + (y - mean) ** 2, 0) / (k - 1) / k);
const sum = (f: (s: { before: number; now: number }) => number) => [...bySide.values()].reduce((x, s) => x + f(s), 0);
const f4 = (x: number) => x.toFixed(4);
console.log(`${photos.length} photos (CelebA-HQ validation heads, seed ${seed}); faces found: before ${foundBefore}, now ${foundNow}, both ${k}.`);
console.log(`Mean accuracy over the 40 attributes, faces found by both: before (LEGACY_PYRAMID, 0.75 / 0.5) ${f4(sum((s) => s.before) / k)}, ` +
  `now (defaults) ${f4(sum((s) => s.now) / k)}; paired difference now - before ${f4(mean)} ± ${f4(1.96 * se)} (95%, normal); ` +
  `decisions that differ: ${differ} of ${k * names.length}.`);
console.log('\n| head side (px) | faces | accuracy before | accuracy now | decisions that differ |\n|---:|---:|---:|---:|---:|');
for (const [side, s] of [...bySide].sort((x, y) => x[0] - y[0])) console.log(`| ${side} | ${s.faces} | ${f4(s.before / s.faces)} | ${f4(s.now / s.faces)} | ${s.differ} |`);
