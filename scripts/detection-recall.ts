/**
 * Recall of the face detector by face size, false positives per megapixel, and pixels through BlazeFace, for any
 * pyramid plan and thresholds, on synthetic photos composed from CelebA-HQ TRAIN-split faces (never the sample
 * photos, never the validation or test splits). Not a test: figures to read (docs/detection.md, "Pyramid plan").
 *
 *   npx tsx scripts/detection-recall.ts [--photos 120] [--seed 13] [--sizes 640x480,1024x768,1600x1200,2400x1800]
 *       [--plan default|legacy|JSON] [--min-face 32] [--thresholds 0.5,0.6,0.75] [--verify 0.5]
 *       [--finest-model back|front] [--finest-floor 24] [--look centred|upright|both]
 *       [--curve 0.35,0.7] [--curve-model back|front] [--curve-max-face N] [--front-model FILE] [--cost] [--json FILE] [--work DIR]
 *   npx tsx scripts/detection-recall.ts --chart NAME=FILE.json@0.75+v0.5,NAME=FILE.json@SETTING --out docs/img/detection-recall.png
 *
 * The photo set (deterministic for a seed; cached under --work, default $TMPDIR/facetally-recall): `--photos`
 * photos cycling through `--sizes`. Background: a mosaic of cells of random size, each a corner (the portrait's own
 * background, no face) of a CelebA-HQ train photo enlarged and blurred, with a lighting gradient and grain. Faces:
 * other train-split CelebA-HQ portraits (128x128) scaled so that the detector's face box has a side drawn
 * log-uniformly from 12 px to a third of the photo's shorter side, cut out with a soft elliptical mask, darkened or
 * brightened (x0.45..1.25), blurred in 40% of faces (sigma up to 1.2 face-box/48 px), rotated in-plane by up to
 * ±30°, placed without overlap; the photo is saved as JPEG (quality 85) and decoded as facetally decodes. A face's
 * true box is the detector's own box on the upright 128x128 portrait (portraits where it does not find exactly one
 * face are skipped), mapped through the scale, rotation and position.
 *
 * Modes:
 * - plan (default): `BlazeFaceDetector.detect` with the plan (`--plan default` = the shipped DEFAULT_PYRAMID,
 *   `legacy` = LEGACY_PYRAMID, or a JSON object of PyramidOptions fields over the default), first-pass threshold 0.3
 *   and no second look, then every face's second-look score; recall and FP/MP are then computed for each first-pass
 *   threshold in `--thresholds` with each second-look threshold in `--verify` (0: none) (the detector merges the same candidates for every
 *   threshold >= 0.3, so this equals running it at each threshold).
 *   With `--finest-model back|front` the detector is emulated step by step (the same short-range call on the whole
 *   photo at 128x128, the same coarser levels built by 2x2 halvings of the plan's finest level, the same merging)
 *   except that the plan's finest level is replaced by ONE whole call of the chosen model at `--finest-floor` model
 *   pixels for a `--min-face` face (`front`: the size-free short-range model, see `--front-model`); pixels per photo
 *   are then counted per model. `--finest-model back --finest-floor 24` is the default plan with an untiled finest
 *   level: the check of the emulation against the detector.
 * - `--look`: which second look the `--verify` thresholds apply to: `centred` (the detector's, `verificationScore`: one
 *   short-range call on a crop 1.6x the box), `upright` (the mean score of the four upright looks the pose is read
 *   from, `uprightLooks`), or `both` (columns `T+vV` and `T+uV`).
 * - `--curve S1,S2,…`: one model alone on ONE whole level at each scale S (level pixels per photo pixel), no
 *   pyramid: recall by face size in model pixels, the curve the plan is read from. `--curve-model back` (default):
 *   the full-range model (size-free copy, 256 nominal, strides 16 and 32, level padded to a multiple of 32);
 *   `--curve-model front`: the short-range model made size-free by `scripts/blazeface-dynamic.py --front` (128
 *   nominal, strides 8 and 16, level padded to a multiple of 16), read from `--front-model` (default
 *   models/blazeface/face_detection_front_dynamic.onnx where that exists, else $TMPDIR/face_detection_front_dynamic.onnx,
 *   where the derive script writes it). Either way every merged detection's second look is the detector's own
 *   (`verificationScore`: the short-range model at 128x128 on a square crop 1.6x the box). `--curve-max-face N`
 *   drops boxes larger than N model pixels before merging, as the detector does on every pyramid level but the
 *   coarsest (96 there); default none. With one scale, recall rows in `--json` are in the set's face order, so two
 *   runs can be compared face by face (a face's photo size is its model size / the scale).
 * - `--cost`: CPU milliseconds per model call and CPU nanoseconds per input pixel of the full-range model and of
 *   the size-free short-range model (when its file exists, see `--front-model`) at 256..2048 px, the two measured
 *   alternately at each size (CPU time, not wall time, so that a loaded machine disturbs it less), and the process's
 *   peak RSS so far.
 * - `--chart`: recall by face size of several plan runs' `--json` files (at the named setting, else the first) as a
 *   Vega-Lite chart: writes OUT (PNG) and the spec beside it (.vl.json).
 *
 * A detection matches a true face when its box centre is within half the true side of the true centre and its side
 * is 0.5x..2x the true side; each true face matches once (the highest score); every other detection is a false
 * positive (duplicates included). Exit codes: 0 ok, 1 usage or missing data.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { headsForInput } from '../src/detect/anchors.js';
import type { BlazeFaceDetector } from '../src/detect/blazeface.js';
import { decodeHead } from '../src/detect/decode.js';
import { blazefaceModelPaths, createDetector } from '../src/detect/load-node.js';
import { weightedNonMaxSuppression } from '../src/detect/nms.js';
import { rng } from './lib/rng.js';
import { DEFAULT_PYRAMID, LEGACY_PYRAMID, planPyramid, pyramidPixels, STRIDE_MULTIPLE, type PyramidOptions } from '../src/detect/pyramid.js';
import { decodeImageFile, type RgbImage } from '../src/image/decode.js';
import { halveRgb, resampleRgb } from '../src/image/resample.js';
import { loadOnnxModel } from '../src/runtime/onnx-node.js';
import { renderSvg, svgToPng } from '../src/report/render.js';
import type { Detection } from '../src/types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.FACETALLY_SHARED ? resolve(process.env.FACETALLY_SHARED) : resolve(repoRoot, '..', 'shared');
const HELP = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0].replace(/^\/\*\*\n?/, '').replace(/^ \* ?/gm, '');

function fail(msg: string): never {
  console.error(`detection-recall: ${msg}`);
  process.exit(1);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      photos: { type: 'string', default: '120' },
      seed: { type: 'string', default: '13' },
      sizes: { type: 'string', default: '640x480,1024x768,1600x1200,2400x1800' },
      plan: { type: 'string', default: 'default' },
      'min-face': { type: 'string', default: '32' },
      thresholds: { type: 'string', default: '0.5,0.6,0.75' },
      verify: { type: 'string', default: '0.5' },
      look: { type: 'string', default: 'centred' },
      curve: { type: 'string' },
      'curve-model': { type: 'string', default: 'back' },
      'front-model': { type: 'string' },
      'curve-max-face': { type: 'string', default: 'Infinity' },
      'finest-model': { type: 'string' },
      'finest-floor': { type: 'string', default: '24' },
      cost: { type: 'boolean', default: false },
      chart: { type: 'string' },
      out: { type: 'string', default: 'docs/img/detection-recall.png' },
      json: { type: 'string' },
      work: { type: 'string', default: join(process.env.TMPDIR ?? '/tmp', 'facetally-recall') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (e) {
  fail(`${(e as Error).message} (see --help)`);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const nPhotos = Number(values.photos), seed = Number(values.seed), minFace = Number(values['min-face']);
const verifies = String(values.verify).split(',').map(Number);
const sizes = String(values.sizes).split(',').map((s) => s.split('x').map(Number) as [number, number]);
const thresholds = String(values.thresholds).split(',').map(Number);
if (!(Number.isInteger(nPhotos) && nPhotos > 0)) fail(`expected a positive integer for --photos but received ${values.photos}`);
if (!(minFace > 0)) fail(`expected a positive number for --min-face but received ${values['min-face']}`);
if (sizes.some(([w, h]) => !(w >= 64 && h >= 64))) fail(`expected sizes like 1024x768 (at least 64x64) but received ${values.sizes}`);
if (thresholds.some((t) => !(t >= 0.3 && t <= 1))) fail(`expected first-pass thresholds in [0.3, 1] but received ${values.thresholds}`);
if (verifies.some((v) => !(v >= 0 && v <= 1))) fail(`expected --verify values in [0, 1] but received ${values.verify}`);
if (!['centred', 'upright', 'both'].includes(String(values.look))) fail(`expected --look centred, upright or both but received ${values.look}`);
/** Second looks to score: the single centred look (`verificationScore`) and/or the four upright looks (`uprightLooks`). */
const looks = (values.look === 'both' ? ['centred', 'upright'] : [String(values.look)]) as ('centred' | 'upright')[];
if (values['curve-model'] !== 'back' && values['curve-model'] !== 'front') fail(`expected --curve-model back or front but received ${values['curve-model']}`);
const finestFloor = Number(values['finest-floor']);
if (values['finest-model'] !== undefined && values['finest-model'] !== 'back' && values['finest-model'] !== 'front') fail(`expected --finest-model back or front but received ${values['finest-model']}`);
if (!(finestFloor > 0)) fail(`expected a positive number for --finest-floor but received ${values['finest-floor']}`);
const curveMaxFace = Number(values['curve-max-face']);
if (!(curveMaxFace > 0)) fail(`expected a positive number for --curve-max-face but received ${values['curve-max-face']}`);
/** The size-free short-range model's file: --front-model, else the shipped copy if any, else the derive script's default output. */
const frontModelPath = values['front-model']
  ? resolve(String(values['front-model']))
  : [resolve(repoRoot, 'models/blazeface/face_detection_front_dynamic.onnx'), join(process.env.TMPDIR ?? '/tmp', 'face_detection_front_dynamic.onnx')].find((f) => existsSync(f)) ??
    join(process.env.TMPDIR ?? '/tmp', 'face_detection_front_dynamic.onnx');

/**
 * A BlazeFace model run size-free on a whole level: `nominal`, the square input it was published for (anchors and
 * strides scale from it, see headsForInput); `multiple`, its coarsest stride (inputs are padded to multiples of it).
 */
interface LevelModel {
  name: string;
  runner: Awaited<ReturnType<typeof loadOnnxModel>>;
  nominal: number;
  multiple: number;
}

/** Load the full-range (`back`) or size-free short-range (`front`) model; fails with a hint when the latter is missing. */
async function loadLevelModel(which: 'back' | 'front'): Promise<LevelModel> {
  if (which === 'back') return { name: 'full-range (back, 256 nominal, strides 16/32)', runner: await loadOnnxModel(blazefaceModelPaths().back), nominal: 256, multiple: STRIDE_MULTIPLE };
  if (!existsSync(frontModelPath)) fail(`${frontModelPath} not found: make it with /usr/bin/python3 scripts/blazeface-dynamic.py --front (or pass --front-model FILE)`);
  return { name: 'short-range (front, size-free, 128 nominal, strides 8/16)', runner: await loadOnnxModel(frontModelPath), nominal: 128, multiple: 16 };
}

/** Every (first-pass threshold, second look, second-look threshold) triple, and its column label. */
const pairs = thresholds.flatMap((t) =>
  looks.flatMap((look) => verifies.filter((v) => v > 0 || look === looks[0]).map((v) => ({ t, v, look, label: `${t}${v > 0 ? `+${look === 'upright' ? 'u' : 'v'}${v}` : ''}` }))),
);
const settings = pairs.map((p) => p.label);
const needVerify = verifies.some((v) => v > 0);

/** A true face in a composed photo: box centre and side in photo pixels. */
interface TrueFace {
  cx: number;
  cy: number;
  side: number;
}
interface SetPhoto {
  path: string;
  width: number;
  height: number;
  faces: TrueFace[];
}

const hqDir = join(shared, 'data', 'celeba-hq', 'images');
const partition = join(shared, 'data', 'celeba-hq', 'list_eval_partition.txt');

/** Names of the CelebA-HQ train split (partition 0), shuffled by the seed. */
function trainNames(rand: () => number): string[] {
  if (!existsSync(partition) || !existsSync(hqDir)) fail(`${partition} or ${hqDir} not found: the script needs the shared CelebA-HQ data`);
  const names = readFileSync(partition, 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p[1] === '0').map((p) => p[0]);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  return names;
}

async function rgbOf(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Compose (or reuse) the photo set. */
async function makeSet(detector: BlazeFaceDetector): Promise<SetPhoto[]> {
  const tag = String(values.sizes).replace(/,/g, '_');
  const dir = join(String(values.work), `set-s${seed}-n${nPhotos}-${tag}`);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8'));
  // Photos are composed one after another from one seeded stream, so a larger set of the same seed and sizes begins
  // with this one: reuse its first photos.
  if (existsSync(String(values.work))) {
    for (const d of readdirSync(String(values.work))) {
      const m = new RegExp(`^set-s${seed}-n(\\d+)-${tag}$`).exec(d);
      const other = join(String(values.work), d, 'manifest.json');
      if (m && Number(m[1]) > nPhotos && existsSync(other)) return (JSON.parse(readFileSync(other, 'utf8')) as SetPhoto[]).slice(0, nPhotos);
    }
  }
  mkdirSync(dir, { recursive: true });
  const rand = rng(seed);
  const names = trainNames(rand);
  let next = 0;
  const take = () => join(hqDir, names[next++ % names.length]);
  const photos: SetPhoto[] = [];
  for (let p = 0; p < nPhotos; p++) {
    const [W, H] = sizes[p % sizes.length];
    process.stderr.write(`\rcomposing photo ${p + 1}/${nPhotos} (${W}x${H})   `);
    // Background mosaic: cells 60..45% of the shorter side, each a 40x40 corner of a train portrait, enlarged, blurred.
    const cells: sharp.OverlayOptions[] = [];
    for (let y = 0; y < H; ) {
      const ch = Math.round(H * (0.08 + 0.37 * rand()));
      for (let x = 0; x < W; ) {
        const cw = Math.round(W * (0.08 + 0.3 * rand()));
        const corner = Math.floor(rand() * 2);
        const patch = await sharp(take()).extract({ left: corner ? 88 : 0, top: 0, width: 40, height: 40 })
          .resize(Math.min(cw, W - x), Math.min(ch, H - y), { fit: 'fill', kernel: 'cubic' }).blur(0.5 + 3 * rand()).toBuffer();
        cells.push({ input: patch, left: x, top: y });
        x += cw;
      }
      y += ch;
    }
    // Faces: log-uniform box sides from 12 px to a third of the shorter side, no overlap (rejection sampling).
    const faces: TrueFace[] = [];
    const overlays: sharp.OverlayOptions[] = [];
    const occupied: { x: number; y: number; r: number }[] = [];
    const target = Math.round(4 + 8 * rand());
    for (let tries = 0; faces.length < target && tries < 200; tries++) {
      const side = Math.exp(Math.log(12) + rand() * (Math.log(Math.min(W, H) / 3) - Math.log(12)));
      const file = take();
      const portrait = await rgbOf(file);
      const ref = await detector.detect(portrait, { minFaceSize: 24 });
      if (ref.length !== 1) continue;
      const b = ref[0].box;
      const refSide = Math.max(b.width, b.height);
      const k = side / refSide; // photo px per portrait px
      const P = Math.max(8, Math.round(128 * k));
      const r = (P / 2) * 1.45; // the rotated cut-out's reach
      const x = r + rand() * (W - 2 * r), y = r + rand() * (H - 2 * r);
      if (!(W > 2 * r && H > 2 * r) || occupied.some((o) => Math.hypot(o.x - x, o.y - y) < o.r + r)) continue;
      const theta = (rand() * 2 - 1) * 30; // degrees, clockwise on screen
      const mask = Buffer.from(`<svg width="${P}" height="${P}"><defs><radialGradient id="g"><stop offset="70%" stop-color="white"/><stop offset="100%" stop-color="white" stop-opacity="0"/></radialGradient></defs><ellipse cx="${P / 2}" cy="${P / 2}" rx="${P * 0.5}" ry="${P * 0.5}" fill="url(#g)"/></svg>`);
      let img = sharp(file).resize(P, P, { kernel: 'lanczos3' }).ensureAlpha().composite([{ input: mask, blend: 'dest-in' }]);
      img = sharp(await img.png().toBuffer()).modulate({ brightness: 0.45 + 0.8 * rand() });
      if (rand() < 0.4) img = sharp(await img.png().toBuffer()).blur(Math.max(0.3, (0.3 + 0.9 * rand()) * Math.max(1, side / 48)));
      const rot = await sharp(await img.png().toBuffer()).rotate(theta, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).png().toBuffer({ resolveWithObject: true });
      // Face centre: its offset from the portrait centre, rotated clockwise by theta (y down), from the rotated centre.
      const dx = (b.x + b.width / 2 - 64) * (P / 128), dy = (b.y + b.height / 2 - 64) * (P / 128);
      const t = (theta * Math.PI) / 180;
      const left = Math.round(x - rot.info.width / 2), top = Math.round(y - rot.info.height / 2);
      if (left < 0 || top < 0 || left + rot.info.width > W || top + rot.info.height > H) continue;
      overlays.push({ input: rot.data, left, top });
      faces.push({ cx: left + rot.info.width / 2 + dx * Math.cos(t) - dy * Math.sin(t), cy: top + rot.info.height / 2 + dx * Math.sin(t) + dy * Math.cos(t), side });
      occupied.push({ x, y, r });
    }
    const bg = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 120, g: 120, b: 120 } } }).composite(cells).png().toBuffer();
    // Lighting: a gradient from one side (multiply) and fine grain.
    const g0 = Math.round(150 + 105 * rand()), g1 = Math.round(150 + 105 * rand());
    const light = Buffer.from(`<svg width="${W}" height="${H}"><defs><linearGradient id="l" x1="0" y1="0" x2="${rand().toFixed(2)}" y2="1"><stop offset="0" stop-color="rgb(${g0},${g0},${g0})"/><stop offset="1" stop-color="rgb(${g1},${g1},${g1})"/></linearGradient></defs><rect width="${W}" height="${H}" fill="url(#l)"/></svg>`);
    const composed = await sharp(bg).composite([...overlays, { input: light, blend: 'multiply' }]).png().toBuffer();
    const path = join(dir, `photo_${String(p).padStart(3, '0')}_${W}x${H}.jpg`);
    await sharp(composed).jpeg({ quality: 85 }).toFile(path);
    photos.push({ path, width: W, height: H, faces });
  }
  process.stderr.write('\n');
  writeFileSync(manifest, JSON.stringify(photos));
  return photos;
}

/** A detection with its second-look score. */
interface Scored {
  d: Detection;
  /** Second-look score of the single centred look (`verificationScore`); 1 when not computed. */
  verify: number;
  /** Mean score of the four upright looks (`uprightLooks`); 1 when not computed. */
  upright: number;
}

/** Both second-look scores of a detection, as far as `--look` asks for them. */
async function scoreLooks(detector: BlazeFaceDetector, img: RgbImage, d: Detection, wanted: boolean): Promise<Scored> {
  if (!wanted) return { d, verify: 1, upright: 1 };
  return {
    d,
    verify: looks.includes('centred') ? await detector.verificationScore(img, d) : 1,
    upright: looks.includes('upright') ? (await detector.uprightLooks(img, d)).score : 1,
  };
}

/** Match detections (score >= t, second look `look` >= v) to true faces; returns matched flags and false positives. */
function match(faces: TrueFace[], dets: Scored[], t: number, v: number, look: 'centred' | 'upright' = 'centred'): { found: boolean[]; fp: number; fps: Scored[] } {
  const kept = dets.filter((s) => s.d.score >= t && (v <= 0 || (look === 'upright' ? s.upright : s.verify) >= v)).sort((a, b) => b.d.score - a.d.score);
  const found = faces.map(() => false);
  let fp = 0;
  const fps: Scored[] = [];
  for (const k of kept) {
    const d = k.d;
    const cx = d.box.x + d.box.width / 2, cy = d.box.y + d.box.height / 2, side = Math.max(d.box.width, d.box.height);
    let best = -1, bestDist = Infinity;
    faces.forEach((f, i) => {
      const dist = Math.hypot(cx - f.cx, cy - f.cy);
      if (!found[i] && dist < f.side / 2 && side > f.side / 2 && side < f.side * 2 && dist < bestDist) [best, bestDist] = [i, dist];
    });
    if (best >= 0) found[best] = true;
    else {
      fp++;
      fps.push(k);
    }
  }
  return { found, fp, fps };
}

/** Face-size bins (lower edges, pixels). */
const BINS = [8, 12, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128, 192, 256, 384];
const binOf = (s: number) => {
  let i = 0;
  while (i + 1 < BINS.length && s >= BINS[i + 1]) i++;
  return i;
};
const binLabel = (i: number) => (i === 0 ? `< ${BINS[1]}` : i + 1 < BINS.length ? `${BINS[i]}–${BINS[i + 1]}` : `${BINS[i]}+`);

/** Recall table by size bin for several (threshold, verify) settings. */
function recallTable(rows: { side: number; hit: boolean[] }[], settings: string[], sizeLabel: string): string {
  const n = BINS.map(() => 0), hits = BINS.map(() => settings.map(() => 0));
  for (const r of rows) {
    const b = binOf(r.side);
    n[b]++;
    r.hit.forEach((h, k) => (hits[b][k] += h ? 1 : 0));
  }
  const out = [`| ${sizeLabel} | faces | ${settings.join(' | ')} |`, `|---|---:|${settings.map(() => '---:').join('|')}|`];
  BINS.forEach((_, b) => {
    if (n[b]) out.push(`| ${binLabel(b)} | ${n[b]} | ${hits[b].map((h) => (h / n[b]).toFixed(3)).join(' | ')} |`);
  });
  return out.join('\n');
}

const json: Record<string, unknown> = { seed, photos: nPhotos, sizes: values.sizes, minFace };

/**
 * CPU time per call of the full-range model and of the size-free short-range model (one intra-op thread, as a worker
 * runs it) at 256..2048 px, the two alternating at each size: CPU time of this process (process.cpuUsage) rather than
 * wall time, so that other jobs on a loaded machine count less. The short-range model is skipped (with a note) when its
 * size-free file is missing.
 */
async function costMode(): Promise<void> {
  const models = [await loadLevelModel('back')];
  if (existsSync(frontModelPath)) models.push(await loadLevelModel('front'));
  else console.log(`(short-range model skipped: ${frontModelPath} not found; make it with scripts/blazeface-dynamic.py --front)\n`);
  console.log('| model | input (W x H) | CPU ms per call (median) | CPU ms per call (min) | CPU ns per input pixel (median) | calls | peak RSS so far (MB) |\n|---|---|---:|---:|---:|---:|---:|');
  const rows: unknown[] = [];
  for (const s of [256, 384, 512, 768, 1024, 1536, 2048]) {
    const h = Math.round((s * 0.75) / 32) * 32;
    const data = new Float32Array(s * h * 3).map((_, i) => Math.sin(i * 0.37));
    for (const m of models) {
      const feed = { [m.runner.inputNames[0]]: { data, dims: [1, h, s, 3] } };
      await m.runner.run(feed);
      const reps = Math.max(5, Math.round(1.5e7 / (s * h)));
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const c0 = process.cpuUsage();
        await m.runner.run(feed);
        const c = process.cpuUsage(c0);
        times.push((c.user + c.system) / 1000);
      }
      times.sort((a, b) => a - b);
      const med = times[times.length >> 1], min = times[0];
      const model = m.nominal === 256 ? 'back' : 'front';
      console.log(`| ${model} | ${s} x ${h} | ${med.toFixed(1)} | ${min.toFixed(1)} | ${((1e6 * med) / (s * h)).toFixed(0)} | ${reps} | ${peakRssMb().toFixed(0)} |`);
      rows.push({ model, width: s, height: h, medianCpuMs: med, minCpuMs: min, calls: reps, peakRssMb: peakRssMb() });
    }
  }
  json.cost = rows;
}

/** Peak resident set size of this process (VmHWM), MB; 0 where /proc is missing. */
function peakRssMb(): number {
  const hwm = existsSync('/proc/self/status') ? /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')) : null;
  return hwm ? Number(hwm[1]) / 1024 : 0;
}

/**
 * Candidates of one model on one whole level (`level`, a resampling of `img`), padded mid-grey (0 in the model's
 * [-1, 1] range, as the detector pads) to at least `minPad` px and to multiples of the model's coarsest stride:
 * unmerged detections in photo pixels with score >= 0.3 and boxes of at most `maxFace` level pixels.
 */
async function levelCandidates(model: LevelModel, img: RgbImage, level: RgbImage, maxFace = Infinity, minPad = 0): Promise<Detection[]> {
  const { width: lw, height: lh } = level;
  const w = Math.max(minPad, Math.ceil(lw / model.multiple) * model.multiple), h = Math.max(minPad, Math.ceil(lh / model.multiple) * model.multiple);
  const t = new Float32Array(w * h * 3);
  for (let y = 0; y < lh; y++) for (let i = 0; i < lw * 3; i++) t[y * w * 3 + i] = level.data[y * lw * 3 + i] / 127.5 - 1;
  const res = await model.runner.run({ [model.runner.inputNames[0]]: { data: t, dims: [1, h, w, 3] } });
  const [s1, s2, r1, r2] = model.runner.outputNames.map((n) => res[n].data);
  const heads = headsForInput(w, h, model.nominal);
  const dets = [...decodeHead(s1, r1, heads[0], w, 0.3, h), ...decodeHead(s2, r2, heads[1], w, 0.3, h)].filter((d) => Math.max(d.box.width, d.box.height) <= maxFace);
  const sx = lw / img.width, sy = lh / img.height;
  return dets.map((d) => ({
    score: d.score,
    box: { x: d.box.x / sx, y: d.box.y / sy, width: d.box.width / sx, height: d.box.height / sy },
    landmarks: d.landmarks.map(([x, y]) => [x / sx, y / sy] as [number, number]),
  }));
}

/**
 * One model alone on one whole level at `scale`: detections in photo pixels (score >= 0.3, boxes of at most `maxFace`
 * level pixels, merged).
 */
async function singleLevel(model: LevelModel, img: RgbImage, scale: number, maxFace = Infinity): Promise<Detection[]> {
  const lw = Math.max(1, Math.round(img.width * scale)), lh = Math.max(1, Math.round(img.height * scale));
  return weightedNonMaxSuppression(await levelCandidates(model, img, resampleRgb(img, lw, lh), maxFace), 0.3);
}

/** Model input pixels of one emulated detection, by model. */
interface EmulatedPixels {
  front: number;
  back: number;
  calls: number;
  levels: string;
}

/**
 * The detector (`BlazeFaceDetector.detect` at first-pass threshold 0.3, no second look) re-run step by step with the
 * finest pyramid level's model chosen (`--finest-model`): the short-range model on the whole photo letterboxed into
 * 128x128 (as the detector), then the plan's finest level at `finestFloor / minFace` (at most `maxUpscale`) as ONE
 * whole call of `finest` (the full-range model, or the size-free short-range model padded to multiples of 16), boxes
 * up to `maxFaceAboveCoarsest` level px, then the plan's coarser levels exactly as the detector builds them (2x2 box
 * halvings of the plan's own finest level, each whole), all merged by weighted non-maximum suppression (IoU 0.3).
 * With `finest` the full-range model at the plan's floor it differs from the detector only where the detector tiles the
 * finest level (axes over 1024 px): the measure of the emulation itself. Needs levels built by halvings
 * (`anchor: 'fine'`, spacing 2 or 4) and coarser levels of at most `wholeLevelMax` px.
 */
async function emulatedDetect(img: RgbImage, plan: PyramidOptions, finest: LevelModel, finestFloor: number, back: LevelModel, front128: LevelModel): Promise<{ dets: Detection[]; px: EmulatedPixels }> {
  const cands: Detection[] = [];
  const maxSide = Math.max(img.width, img.height);
  const fw = Math.max(1, Math.round((img.width * 128) / maxSide)), fh = Math.max(1, Math.round((img.height * 128) / maxSide));
  for (const d of await levelCandidates(front128, img, fw === img.width && fh === img.height ? img : resampleRgb(img, fw, fh), Infinity, 128)) cands.push(d);
  const levels = planPyramid(img.width, img.height, minFace, plan);
  if (plan.anchor !== 'fine' || levels.slice(1).some((l) => l.source.from !== 'halve' || l.tiles.length > 1)) fail('--finest-model needs a plan of whole coarser levels built by halvings');
  const px: EmulatedPixels = { front: 0, back: 0, calls: 1, levels: '' };
  const names: string[] = [];
  // The plan's own finest level: the source of the halvings, and the level the chosen model replaces.
  let previous = levels[0].width === img.width && levels[0].height === img.height ? img : resampleRgb(img, levels[0].width, levels[0].height);
  if (levels.length === 1) {
    // One level is the coarsest: it stays the full-range model's, with no box limit.
    for (const d of await levelCandidates(back, img, previous)) cands.push(d);
    px.back += Math.ceil(previous.width / 32) * 32 * Math.ceil(previous.height / 32) * 32;
    names.push(`${previous.width}x${previous.height} back`);
  } else {
    const s = Math.min(plan.maxUpscale, finestFloor / minFace);
    const lw = Math.max(1, Math.round(img.width * s)), lh = Math.max(1, Math.round(img.height * s));
    const level = lw === levels[0].width && lh === levels[0].height ? previous : resampleRgb(img, lw, lh);
    for (const d of await levelCandidates(finest, img, level, plan.maxFaceAboveCoarsest)) cands.push(d);
    const n = Math.ceil(lw / finest.multiple) * finest.multiple * Math.ceil(lh / finest.multiple) * finest.multiple;
    if (finest.nominal === 128) px.front += n;
    else px.back += n;
    names.push(`${lw}x${lh} ${finest.nominal === 128 ? 'front' : 'back'}`);
  }
  px.calls++;
  for (const l of levels.slice(1)) {
    for (let i = 0; i < (l.source as { halvings: number }).halvings; i++) previous = halveRgb(previous);
    for (const d of await levelCandidates(back, img, previous, l.maxFace)) cands.push(d);
    px.back += pyramidPixels([l]);
    px.calls++;
    names.push(`${l.width}x${l.height} back`);
  }
  px.levels = names.join(', ');
  return { dets: weightedNonMaxSuppression(cands, 0.3).filter((d) => d.score >= 0.3), px };
}

/** Recall by size bin of plan runs (their --json files), as a Vega-Lite line chart: OUT.png and OUT.vl.json. */
async function chartMode(): Promise<void> {
  const values_: { plan: string; size: number; recall: number; faces: number }[] = [];
  for (const item of String(values.chart).split(',')) {
    const m = /^([^=]+)=([^@]+)(?:@(.+))?$/.exec(item);
    if (!m || !existsSync(m[2])) fail(`--chart expects NAME=FILE.json[@SETTING] items (FILE from --json) but ${item} is not one`);
    const [, name, file] = m;
    const j = JSON.parse(readFileSync(file, 'utf8')) as { recall: { side: number; hit: boolean[] }[]; settings: string[]; fp: Record<string, number>; megapixels: number };
    const k = m[3] ? j.settings.indexOf(m[3]) : 0;
    if (k < 0) fail(`${file} has no setting ${m[3]} (it has ${j.settings.join(', ')})`);
    const n = BINS.map(() => 0), h = BINS.map(() => 0);
    for (const r of j.recall) {
      n[binOf(r.side)]++;
      h[binOf(r.side)] += r.hit[k] ? 1 : 0;
    }
    BINS.forEach((lo, b) => {
      const hi = b + 1 < BINS.length ? BINS[b + 1] : lo * 1.5;
      if (b > 0 && n[b] >= 5) values_.push({ plan: `${name} (first pass ${j.settings[k].replace('+v', ', second look ')}; ${j.fp[j.settings[k]]} false positive${j.fp[j.settings[k]] === 1 ? '' : 's'} in ${j.megapixels.toFixed(0)} MP)`, size: Math.sqrt(lo * hi), recall: h[b] / n[b], faces: n[b] });
    });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Detection recall by face size', subtitle: [`synthetic photos of CelebA-HQ train faces (scripts/detection-recall.ts, seed ${seed}); --min-face ${minFace}`, 'face size: box side in photo pixels, bin geometric centre (log scale)'] },
    data: { values: values_ },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'size', type: 'quantitative', title: 'face box side (photo pixels)', scale: { type: 'log', domain: [10, 600], nice: false }, axis: { values: [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384] } },
      y: { field: 'recall', type: 'quantitative', title: 'recall', scale: { domain: [0, 1] } },
      color: { field: 'plan', type: 'nominal', title: null },
      tooltip: [{ field: 'faces', type: 'quantitative' }],
    },
    layer: undefined,
    width: 520,
    height: 260,
    config: { font: 'DejaVu Sans', legend: { orient: 'bottom', labelLimit: 1000, direction: 'vertical' } },
  };
  const out = String(values.out);
  const rule = { mark: { type: 'rule', strokeDash: [4, 3], color: 'gray' }, encoding: { x: { datum: minFace } } };
  const full = { ...spec, layer: [{ mark: spec.mark, encoding: spec.encoding }, rule], mark: undefined, encoding: undefined };
  delete (full as Record<string, unknown>).mark;
  delete (full as Record<string, unknown>).encoding;
  writeFileSync(out.replace(/\.png$/, '.vl.json'), JSON.stringify(full, null, 1) + '\n');
  writeFileSync(out, await svgToPng(await renderSvg(full)));
  console.log(`wrote ${out} and ${out.replace(/\.png$/, '.vl.json')}`);
}

async function main(): Promise<void> {
  if (values.chart) return chartMode();
  if (values.cost) {
    await costMode();
    if (values.json) writeFileSync(String(values.json), JSON.stringify(json, null, 1));
    return;
  }
  const detector = await createDetector();
  const set = await makeSet(detector);
  const totalMp = set.reduce((a, p) => a + (p.width * p.height) / 1e6, 0);
  const nFaces = set.reduce((a, p) => a + p.faces.length, 0);
  console.log(`Photo set: ${set.length} photos (${String(values.sizes)}), ${nFaces} faces, ${totalMp.toFixed(1)} MP; seed ${seed}; CelebA-HQ train split.`);

  if (values.curve) {
    const scales = String(values.curve).split(',').map(Number);
    const model = await loadLevelModel(values['curve-model'] as 'back' | 'front');
    const rows: { side: number; hit: boolean[] }[] = [];
    const fps = pairs.map(() => 0);
    let mp = 0;
    for (const [i, p] of set.entries()) {
      process.stderr.write(`\rcurve: photo ${i + 1}/${set.length}   `);
      const img = await decodeImageFile(p.path);
      for (const s of scales) {
        const dets = await singleLevel(model, img, s, curveMaxFace);
        const scored: Scored[] = [];
        for (const d of dets) scored.push(await scoreLooks(detector, img, d, d.score >= Math.min(...thresholds) && needVerify));
        const results = pairs.map(({ t, v, look }, k) => {
          const r = match(p.faces, scored, t, v, look);
          fps[k] += r.fp;
          return r.found;
        });
        p.faces.forEach((f, j) => rows.push({ side: f.side * s, hit: results.map((r) => r[j]) }));
        mp += (p.width * p.height * s * s) / 1e6;
      }
    }
    process.stderr.write('\n');
    console.log(`\n${model.name} model alone, one whole level at scales ${scales.join(', ')} of each photo${curveMaxFace < Infinity ? `, boxes <= ${curveMaxFace} model px` : ''}: recall by face box side in MODEL pixels.\n`);
    console.log(recallTable(rows, settings, 'face side (model px)'));
    console.log(`\nFalse positives per megapixel of level (${mp.toFixed(1)} MP of levels): ${settings.map((s, k) => `${s}: ${(fps[k] / mp).toFixed(2)} (${fps[k]})`).join(', ')}`);
    json.recall = rows;
    json.settings = settings;
    json.curve = { model: values['curve-model'], scales, maxFace: curveMaxFace, levelMegapixels: mp, fp: Object.fromEntries(settings.map((s, k) => [s, fps[k]])), rows: rows.length, fpPerLevelMp: Object.fromEntries(settings.map((s, k) => [s, fps[k] / mp])) };
  } else {
    const plan: Partial<PyramidOptions> =
      values.plan === 'default' ? DEFAULT_PYRAMID : values.plan === 'legacy' ? LEGACY_PYRAMID : { ...DEFAULT_PYRAMID, ...JSON.parse(String(values.plan)) };
    const rows: { side: number; hit: boolean[] }[] = [];
    const fps = pairs.map(() => 0);
    const pixels = new Map<string, { back: number; front: number; calls: number; photos: number; levels: string }>();
    const finestWhich = values['finest-model'] as 'back' | 'front' | undefined;
    const emulation = finestWhich
      ? { finest: await loadLevelModel(finestWhich), back: await loadLevelModel('back'), front128: { name: 'short-range 128', runner: await loadOnnxModel(blazefaceModelPaths().front), nominal: 128, multiple: 128 } }
      : null;
    // False positives are listed (in --json) for the first (loosest) setting, with their scores, to filter later.
    const fpSetting = 0;
    const falsePositives: { photo: string; box: Detection['box']; score: number; verify: number }[] = [];
    const t0 = performance.now();
    for (const [i, p] of set.entries()) {
      process.stderr.write(`\rplan: photo ${i + 1}/${set.length}   `);
      const img = await decodeImageFile(p.path);
      const opts = { minFaceSize: minFace, scoreThreshold: 0.3, verifyThreshold: 0, pyramid: plan };
      const emulated = emulation ? await emulatedDetect(img, { ...DEFAULT_PYRAMID, ...plan }, emulation.finest, finestFloor, emulation.back, emulation.front128) : null;
      const dets = emulated ? emulated.dets : await detector.detect(img, opts);
      const scored: Scored[] = [];
      for (const d of dets) scored.push(await scoreLooks(detector, img, d, needVerify && d.score >= Math.min(...thresholds)));
      const results = pairs.map(({ t, v, look }, k) => {
        const r = match(p.faces, scored, t, v, look);
        fps[k] += r.fp;
        if (k === fpSetting) for (const f of r.fps) falsePositives.push({ photo: p.path, box: f.d.box, score: f.d.score, verify: f.verify });
        return r.found;
      });
      p.faces.forEach((f, j) => rows.push({ side: f.side, hit: results.map((r) => r[j]) }));
      const levels = detector.pyramidPlan(img.width, img.height, opts);
      const key = `${img.width}x${img.height}`;
      const e = pixels.get(key) ?? { back: 0, front: 0, calls: 0, photos: 0, levels: emulated ? emulated.px.levels : levels.map((l) => `${l.width}x${l.height}${l.tiles.length > 1 ? ` (${l.tiles.length} tiles)` : ''}`).join(', ') };
      e.back += emulated ? emulated.px.back : pyramidPixels(levels);
      e.front += emulated ? emulated.px.front : 0;
      e.calls += emulated ? emulated.px.calls - 1 : levels.reduce((a, l) => a + l.tiles.length, 0);
      e.photos++;
      pixels.set(key, e);
    }
    const seconds = (performance.now() - t0) / 1000;
    process.stderr.write('\n');
    if (emulation) console.log(`\nEmulated detector: finest level by the ${emulation.finest.name} model at ${finestFloor} model px for --min-face, coarser levels of the plan by the full-range model.`);
    console.log(`\nPlan ${JSON.stringify(plan)}, --min-face ${minFace}; detection seconds ${seconds.toFixed(0)} (this machine, as loaded).\n`);
    console.log(recallTable(rows, settings, 'face side (photo px)'));
    const atLeast = rows.filter((r) => r.side >= minFace);
    console.log(`\nFaces >= --min-face (${minFace} px): ${atLeast.length}; recall ${settings.map((s, k) => `${s}: ${(atLeast.filter((r) => r.hit[k]).length / atLeast.length).toFixed(3)}`).join(', ')}`);
    console.log(`False positives per megapixel: ${settings.map((s, k) => `${s}: ${(fps[k] / totalMp).toFixed(3)} (${fps[k]})`).join(', ')}`);
    console.log('\n| photo | levels (finest first) | full-range model pixels per photo | size-free short-range model pixels per photo | calls per photo |\n|---|---|---:|---:|---:|');
    for (const [k, e] of pixels) console.log(`| ${k} | ${e.levels} | ${Math.round(e.back / e.photos).toLocaleString('en')} | ${Math.round(e.front / e.photos).toLocaleString('en')} | ${(e.calls / e.photos).toFixed(0)} |`);
    console.log('(plus per photo one short-range call on 128x128 and one 128x128 second-look call per first-pass face)');
    json.plan = plan;
    if (emulation) json.emulated = { finestModel: finestWhich, finestFloor };
    json.recall = rows;
    json.settings = settings;
    json.fp = Object.fromEntries(settings.map((s, k) => [s, fps[k]]));
    json.megapixels = totalMp;
    json.falsePositives = falsePositives;
    json.pixels = Object.fromEntries(pixels);
  }
  if (values.json) writeFileSync(String(values.json), JSON.stringify(json));
}

main().catch((e) => fail((e as Error).message));
