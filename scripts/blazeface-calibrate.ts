/**
 * Activation ranges for scripts/blazeface-int8.py (run by it; not a test):
 *
 *   npx tsx scripts/blazeface-calibrate.ts --model PROBE.onnx --out RANGES.json [--images 96] [--percentiles 99.9,99.99,99.999,100]
 *
 * PROBE.onnx is the (equalised) float BlazeFace with every activation to be quantised added as a graph output.
 * It is run with onnxruntime-node on `--images` synthetic pictures (scripts/lib/head-composites.ts: CelebA-HQ
 * **train** heads of 16 px to 80% of the picture on blurred train-photo backgrounds, 256..640 px a side, as the
 * pyramid levels see them; a quarter are close-ups of one head). For each activation, all values of all pictures are
 * pooled in a 4096-bin histogram over [-max|x|, max|x|] (two passes) and the range for percentile p is its
 * [100 - p, p] percentiles (to a bin). Writes `{ percentiles: { p: { tensor: [lo, hi] } }, absmax: { tensor: max|x| }, images }`.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { composite, hqSplit, rng, sharedDir, unitTensor } from './lib/head-composites.js';
import type { RgbImage } from '../src/image/rgb.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BINS = 4096;

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (dflt === undefined) throw new Error(`--${name} is required`);
  return dflt;
}

async function main(): Promise<void> {
  const model = arg('model');
  const out = arg('out');
  const n = Number(arg('images', '96'));
  const ps = arg('percentiles', '99.9,99.99,99.999,100').split(',').map(Number);
  const heads = hqSplit(sharedDir(repoRoot), 0);
  const rand = rng(813);
  const images: RgbImage[] = [];
  for (let i = 0; i < n; i++) {
    const closeUp = i % 4 === 3;
    const w = 32 * (8 + Math.floor(rand() * 13)), h = 32 * (8 + Math.floor(rand() * 13));
    const side = Math.min(w, h);
    const c = closeUp
      ? await composite(heads, rand, w, h, 1, side * 0.5, side * 0.95)
      : await composite(heads, rand, w, h, 1 + Math.floor(rand() * 6), 16, side * 0.8);
    images.push(c.image);
  }
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const names = session.outputNames.slice(4); // the first four are the model's own outputs
  const run = async (img: RgbImage) =>
    session.run({ [session.inputNames[0]]: new ort.Tensor('float32', unitTensor(img), [1, img.height, img.width, 3]) });
  const absmax = new Map<string, number>(names.map((k) => [k, 0]));
  for (const img of images) {
    const res = await run(img);
    for (const k of names) {
      const d = res[k].data as Float32Array;
      let m = absmax.get(k)!;
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]);
        if (a > m) m = a;
      }
      absmax.set(k, m);
    }
  }
  const hist = new Map<string, Float64Array>(names.map((k) => [k, new Float64Array(BINS)]));
  for (const img of images) {
    const res = await run(img);
    for (const k of names) {
      const d = res[k].data as Float32Array;
      const h = hist.get(k)!;
      const m = absmax.get(k)! || 1;
      for (let i = 0; i < d.length; i++) h[Math.min(BINS - 1, Math.floor(((d[i] + m) / (2 * m)) * BINS))]++;
    }
  }
  const percentiles: Record<string, Record<string, [number, number]>> = {};
  for (const p of ps) {
    const ranges: Record<string, [number, number]> = {};
    for (const k of names) {
      const h = hist.get(k)!;
      const m = absmax.get(k)! || 1;
      const total = h.reduce((s, v) => s + v, 0);
      const cut = (total * (100 - p)) / 100;
      let lo = 0, hi = BINS - 1, acc = 0;
      while (lo < BINS - 1 && acc + h[lo] <= cut) acc += h[lo++];
      acc = 0;
      while (hi > 0 && acc + h[hi] <= cut) acc += h[hi--];
      // bin b covers [-m + 2m b / BINS, -m + 2m (b + 1) / BINS)
      ranges[k] = [-m + (2 * m * lo) / BINS, -m + (2 * m * (hi + 1)) / BINS];
    }
    percentiles[String(p)] = ranges;
  }
  writeFileSync(out, JSON.stringify({ images: n, percentiles, absmax: Object.fromEntries(absmax) }, null, 1));
  await session.release();
  console.log(`${names.length} activations calibrated on ${n} pictures -> ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
