/**
 * Where one worker's time goes: the tag pipeline run stage by stage on a folder of photos, one photo at a time on
 * one thread (as each worker thread of `facetally tag` runs it), with every model call and every resampling timed.
 * A benchmark that prints figures, not a test (docs/performance.md, "Where a worker's time goes").
 *
 *   npx tsx scripts/profile-stages.ts [--photos DIR] [--rounds 2] [--workers 2] [--json FILE]
 *
 * Default photos: the benchmark's set (`$TMPDIR/facetally-bench/set-30`, made by `npm run bench`). The first photo
 * is run once to warm up; then the whole folder `--rounds` times (the table gives the best round). Stages:
 * - decode: `decodeImageFile` (sharp, EXIF orientation, as the workers decode);
 * - detector, short-range whole photo: the short-range model's call on the whole photo (128 px);
 * - detector, pyramid resampling: the photo resampled to the finest level (`resampleRgb` through the ImageOps seam);
 * - detector, full-range model: the full-range model's calls over the pyramid, tensor building included;
 * - detector, second look, model: the short-range model's calls on each merged face (verification);
 * - detector, the rest: the second look's warps, the halvings, tensor building for the short-range calls, anchor
 *   decoding, non-maximum suppression;
 * - alignment: `alignFace` (the 178x218 crops);
 * - attributes: `AttributeModel.predict` (the faces of a photo are one batch);
 * - pose looks: `uprightKeypoints` (four short-range calls and two warps per face), split into model and warp time.
 * The models are the shipped ones, loaded as `Tagger.create` loads them (float detector unless $FACETALLY_DETECTOR).
 * The last lines give the ceiling the full-range model alone puts on throughput: photos/s if a photo cost nothing
 * but its full-range calls, at `--workers` workers each as fast as this one thread.
 * Exit codes: 0 done; 1 bad usage or no photos.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { alignFace } from '../src/align/index.js';
import { loadAttributeModel } from '../src/attributes/load-node.js';
import { BlazeFaceDetector } from '../src/detect/blazeface.js';
import { blazefaceModelPaths, detectorBackPath } from '../src/detect/load-node.js';
import { decodeImageFile, type RgbImage } from '../src/image/decode.js';
import type { ImageOps } from '../src/image/ops.js';
import { portableImageOps } from '../src/image/resample.js';
import { IMAGE_EXTENSIONS } from '../src/pipeline/files.js';
import { loadOnnxModel } from '../src/runtime/onnx-node.js';
import type { ModelRunner } from '../src/runtime/onnx.js';

const STAGES = [
  'decode',
  'detector: short-range, whole photo',
  'detector: pyramid resampling',
  'detector: full-range model',
  'detector: second look, model',
  'detector: the rest',
  'alignment',
  'attributes',
  'pose looks: short-range model',
  'pose looks: warps and the rest',
] as const;
type Stage = (typeof STAGES)[number];

function positiveInt(x: string): number {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer but received "${x}"`);
  return n;
}

const program = new Command()
  .name('profile-stages')
  .description("Time each stage of the tag pipeline on one thread, photo by photo: where one worker's time goes.")
  .option('--photos <dir>', 'folder of photos (default: the benchmark set made by npm run bench)', join(tmpdir(), 'facetally-bench', 'set-30'))
  .option('--rounds <n>', 'passes over the folder; the best is reported', positiveInt, 2)
  .option('--workers <n>', 'workers for the ceiling line (each as fast as this thread)', positiveInt, 2)
  .option('--json <file>', 'also write the figures as JSON')
  .addHelpText('after', '\nExit codes: 0 done; 1 bad usage or no photos.')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ photos: string; rounds: number; workers: number; json?: string }>();

const dir = resolve(opts.photos);
if (!existsSync(dir)) {
  process.stderr.write(`profile-stages: ${dir} not found (the default is the benchmark's photo set: run npm run bench once, or give --photos DIR)\n`);
  process.exit(1);
}
const files = readdirSync(dir)
  .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
  .sort()
  .map((f) => join(dir, f));
if (!files.length) {
  process.stderr.write(`profile-stages: no photos in ${dir}\n`);
  process.exit(1);
}

const ms: Record<Stage, number> = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
let phase: 'front' | 'verify' | 'upright' = 'front';
let fullRangeCalls = 0, shortRangeCalls = 0;

/** A runner that adds its wall time to the stage `stage()` names when called. */
function timed(runner: ModelRunner, stage: () => Stage, count: () => void): ModelRunner {
  return {
    inputNames: runner.inputNames,
    outputNames: runner.outputNames,
    async run(feeds) {
      const t = performance.now();
      try {
        return await runner.run(feeds);
      } finally {
        ms[stage()] += performance.now() - t;
        count();
      }
    },
    release: () => runner.release?.() ?? Promise.resolve(),
  };
}

const paths = blazefaceModelPaths();
const back = timed(await loadOnnxModel(detectorBackPath(), { threads: 1 }), () => {
  phase = 'verify'; // every short-range call after the first full-range call of a photo is a second look
  return 'detector: full-range model';
}, () => fullRangeCalls++);
const front = timed(
  await loadOnnxModel(paths.front, { threads: 1 }),
  () => (phase === 'front' ? 'detector: short-range, whole photo' : phase === 'verify' ? 'detector: second look, model' : 'pose looks: short-range model'),
  () => shortRangeCalls++,
);
const ops: ImageOps = {
  async resize(image, width, height) {
    const t = performance.now();
    try {
      return await portableImageOps.resize(image, width, height);
    } finally {
      ms['detector: pyramid resampling'] += performance.now() - t;
    }
  },
};
const detector = new BlazeFaceDetector(back, front, ops);
const attributes = await loadAttributeModel(undefined, { threads: 1 });

/** Run one photo through every stage. @returns its number of faces. */
async function one(path: string): Promise<number> {
  let t = performance.now();
  const image: RgbImage = await decodeImageFile(path, {});
  ms.decode += performance.now() - t;

  phase = 'front';
  const before = { ...ms };
  t = performance.now();
  const detections = await detector.detect(image);
  const detectMs = performance.now() - t;
  const inner = (['detector: short-range, whole photo', 'detector: pyramid resampling', 'detector: full-range model'] as const).reduce((s, k) => s + ms[k] - before[k], 0);
  // What the runners and the resampling seam did not time (the second look's warps among it).
  ms['detector: the rest'] += detectMs - inner - (ms['detector: second look, model'] - before['detector: second look, model']);

  t = performance.now();
  const crops = detections.map((d) => alignFace(image, d).crop);
  ms.alignment += performance.now() - t;

  t = performance.now();
  await attributes.predict(crops);
  ms.attributes += performance.now() - t;

  phase = 'upright';
  const modelBefore = ms['pose looks: short-range model'];
  t = performance.now();
  for (const d of detections) await detector.uprightKeypoints(image, d);
  ms['pose looks: warps and the rest'] += performance.now() - t - (ms['pose looks: short-range model'] - modelBefore);
  return detections.length;
}

await one(files[0]); // warm-up
const rounds: { total: number; faces: number; stages: Record<Stage, number>; fullRangeCalls: number; shortRangeCalls: number }[] = [];
const load = [loadavg()[0]];
for (let r = 0; r < opts.rounds; r++) {
  for (const s of STAGES) ms[s] = 0;
  fullRangeCalls = shortRangeCalls = 0;
  let faces = 0;
  const t = performance.now();
  for (const f of files) faces += await one(f);
  rounds.push({ total: performance.now() - t, faces, stages: { ...ms }, fullRangeCalls, shortRangeCalls });
}
load.push(loadavg()[0]);
await Promise.all([detector.release(), attributes.release()]);

const best = rounds.reduce((a, b) => (b.total < a.total ? b : a));
const pct = (v: number) => ((100 * v) / best.total).toFixed(1);
const lines = [
  `${files.length} photos (${dir}), ${best.faces} faces; one thread, best of ${opts.rounds} rounds; load average ${load.map((l) => l.toFixed(2)).join(' before, ')} after`,
  '',
  '| stage | ms (all photos) | share | ms per photo |',
  '|---|---:|---:|---:|',
  ...STAGES.map((s) => `| ${s} | ${best.stages[s].toFixed(0)} | ${pct(best.stages[s])}% | ${(best.stages[s] / files.length).toFixed(1)} |`),
  `| **total** | **${best.total.toFixed(0)}** | 100% | ${(best.total / files.length).toFixed(1)} |`,
  '',
  `${(files.length / (best.total / 1000)).toFixed(2)} photos/s on this thread; ${best.fullRangeCalls} full-range and ${best.shortRangeCalls} short-range model calls.`,
  `Ceiling set by the full-range model alone at ${opts.workers} workers: ${((opts.workers * files.length) / (best.stages['detector: full-range model'] / 1000)).toFixed(1)} photos/s` +
    ` (if every other stage cost nothing); with the attribute model too: ${((opts.workers * files.length) / ((best.stages['detector: full-range model'] + best.stages.attributes) / 1000)).toFixed(1)} photos/s.`,
];
process.stdout.write(lines.join('\n') + '\n');
if (opts.json) writeFileSync(opts.json, JSON.stringify({ photos: files.length, dir, load, rounds }, null, 1) + '\n');
