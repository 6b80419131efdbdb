/**
 * The int8 full-range BlazeFace (scripts/blazeface-int8.py) against the float one it was derived from: speed per
 * model call and faces found. Prints Markdown; not a test (test/detect/int8.test.ts checks the shared photos).
 *
 *   npx tsx scripts/blazeface-int8-compare.ts [--int8 FILE] [--float FILE] [--reps 5] [--synthetic 60]
 *                                             [--head-sides 20,400] [--heads 8]
 *                                             [--bench-set DIR] [--skip speed,synthetic,shared,bench]
 *
 * - speed: one onnxruntime-node session per model, 1 intra-op thread (as each facetally worker), one call per
 *   picture side 256..2048 (square synthetic pictures), float and int8 interleaved, the order alternating each
 *   repetition; median wall ms and median CPU ms (process.cpuUsage: all threads of this process) per call of `--reps`
 *   repetitions. Medians of interleaved runs, so that a busy machine slows both alike; CPU time is less sensitive to
 *   the load than wall time.
 * `--int8` may name several files (comma-separated): each is compared with the float model.
 * - faces: the whole detector (BlazeFaceDetector: pyramid, short-range second look, default thresholds) with the
 *   float or the int8 full-range model (the short-range model is the same float file in both), on
 *   (a) `--synthetic` group pictures of CelebA-HQ **validation** heads (scripts/lib/head-composites.ts; 640..1600 px,
 *   heads of `--head-sides` px, 2 to `--heads` a picture, known positions): recall by head size and unmatched detections, each model;
 *   (b) the shared sample photos (../shared/data/photos, counts in expected.json);
 *   (c) with `--bench-set DIR`, the benchmark's photo set (DIR/manifest.json of scripts/bench.ts, known counts).
 *   For (b) and (c), and the synthetic pictures, float and int8 faces are paired by IoU and the largest keypoint
 *   distance (in units of the face box side) and box IoU of the pairs are printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { BlazeFaceDetector } from '../src/detect/blazeface.js';
import { blazefaceModelPaths } from '../src/detect/load-node.js';
import { iou } from '../src/detect/nms.js';
import { decodeImageFile } from '../src/image/decode.js';
import { portableImageOps } from '../src/image/resample.js';
import type { RgbImage } from '../src/image/rgb.js';
import { loadOnnxModel } from '../src/runtime/onnx-node.js';
import type { Detection } from '../src/types.js';
import { composite, hqSplit, rng, sharedDir, unitTensor, type PastedHead } from './lib/head-composites.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function speed(floatPath: string, int8Paths: string[], reps: number): Promise<void> {
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  const sessions: ort.InferenceSession[] = [];
  for (const f of [floatPath, ...int8Paths]) sessions.push(await ort.InferenceSession.create(f, opts));
  const order = sessions.map((_, k) => k);
  const heads = hqSplit(sharedDir(repoRoot), 1);
  const rand = rng(2048);
  const sizes = [256, 512, 768, 1024, 1536, 2048];
  const inputs = new Map<number, ort.Tensor>();
  for (const s of sizes) {
    const c = await composite(heads, rand, s, s, 6, 20, s / 3);
    inputs.set(s, new ort.Tensor('float32', unitTensor(c.image), [1, s, s, 3]));
  }
  const times = sizes.map(() => sessions.map(() => [] as number[]));
  const cpu = sizes.map(() => sessions.map(() => [] as number[]));
  for (const se of sessions) await se.run({ [se.inputNames[0]]: inputs.get(256)! }); // warm-up
  for (let r = 0; r < reps; r++) {
    for (const [si, s] of sizes.entries()) {
      for (const k of r % 2 ? [...order].reverse() : order) {
        const t0 = performance.now(), c0 = process.cpuUsage();
        await sessions[k].run({ [sessions[k].inputNames[0]]: inputs.get(s)! });
        times[si][k].push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[si][k].push((c.user + c.system) / 1000);
      }
    }
  }
  console.log(`\n### Time per call (1 thread, median of ${reps} interleaved repetitions): wall ms, then CPU ms of the process\n`);
  const cols = int8Paths.map((x) => basename(x, '.onnx'));
  console.log(`| input | float ms | ${cols.map((c) => `${c} ms (float / it)`).join(' | ')} |\n|---|---|${cols.map(() => '---|').join('')}`);
  for (const [si, s] of sizes.entries()) {
    const [f, ...q] = times[si].map(median);
    const [cf, ...cq] = cpu[si].map(median);
    console.log(`| ${s}x${s} | ${f.toFixed(1)}; cpu ${cf.toFixed(1)} | ${q.map((x, k) => `${x.toFixed(1)} (${(f / x).toFixed(2)}x); cpu ${cq[k].toFixed(1)} (${(cf / cq[k]).toFixed(2)}x)`).join(' | ')} |`);
  }
  for (const se of sessions) await se.release();
}

/** Pairs of float and int8 faces (greedy by IoU > 0.5) and the faces found by one only. */
function pairFaces(a: Detection[], b: Detection[]) {
  const used = new Set<number>();
  const pairs: [Detection, Detection][] = [];
  const onlyA: Detection[] = [];
  for (const f of a) {
    let best = -1, bestIou = 0.5;
    b.forEach((g, j) => {
      const v = iou(f.box, g.box);
      if (!used.has(j) && v > bestIou) [best, bestIou] = [j, v];
    });
    if (best >= 0) {
      used.add(best);
      pairs.push([f, b[best]]);
    } else onlyA.push(f);
  }
  return { pairs, onlyA, onlyB: b.filter((_, j) => !used.has(j)) };
}

class Agreement {
  faces = 0;
  floatOnly: string[] = [];
  int8Only: string[] = [];
  minIou = 1;
  maxKeypoint = 0; // in face box sides
  maxScore = 0;
  add(name: string, f: Detection[], q: Detection[]) {
    const { pairs, onlyA, onlyB } = pairFaces(f, q);
    this.faces += pairs.length;
    for (const d of onlyA) this.floatOnly.push(`${name} (score ${d.score.toFixed(2)}, ${Math.round(d.box.width)} px)`);
    for (const d of onlyB) this.int8Only.push(`${name} (score ${d.score.toFixed(2)}, ${Math.round(d.box.width)} px)`);
    for (const [x, y] of pairs) {
      this.minIou = Math.min(this.minIou, iou(x.box, y.box));
      this.maxScore = Math.max(this.maxScore, Math.abs(x.score - y.score));
      const side = Math.max(x.box.width, x.box.height);
      x.landmarks.forEach(([u, v], i) => (this.maxKeypoint = Math.max(this.maxKeypoint, Math.hypot(u - y.landmarks[i][0], v - y.landmarks[i][1]) / side)));
    }
  }
  print(what: string) {
    console.log(
      `${what}: ${this.faces} faces found by both; found by float only: ${this.floatOnly.length ? this.floatOnly.join(', ') : 'none'}; ` +
        `by int8 only: ${this.int8Only.length ? this.int8Only.join(', ') : 'none'}; paired faces: smallest box IoU ${this.minIou.toFixed(3)}, ` +
        `largest keypoint distance ${(this.maxKeypoint * 100).toFixed(1)}% of the box side, largest score difference ${this.maxScore.toFixed(3)}`,
    );
  }
}

/** Whether a detection is the pasted head's face: its centre inside the head square, its side 0.25..1.5 of it. */
const isHead = (d: Detection, h: PastedHead) => {
  const cx = d.box.x + d.box.width / 2, cy = d.box.y + d.box.height / 2;
  const side = Math.max(d.box.width, d.box.height);
  return cx >= h.x && cx <= h.x + h.size && cy >= h.y && cy <= h.y + h.size && side >= 0.25 * h.size && side <= 1.5 * h.size;
};

async function main(): Promise<void> {
  const p = blazefaceModelPaths();
  const floatPath = arg('float', p.back);
  const int8Paths = arg('int8', p.backInt8).split(',');
  const skip = new Set(arg('skip', '').split(',').filter(Boolean));
  console.log(`float ${basename(floatPath)}, int8 ${int8Paths.map((x) => basename(x)).join(', ')}; onnxruntime-node, CPU`);
  if (!skip.has('speed')) await speed(floatPath, int8Paths, Number(arg('reps', '5')));

  const front = await loadOnnxModel(p.front);
  const detectors: BlazeFaceDetector[] = [];
  for (const f of [floatPath, ...int8Paths]) detectors.push(new BlazeFaceDetector(await loadOnnxModel(f), front, portableImageOps));
  const all = async (img: RgbImage) => {
    const out: Detection[][] = [];
    for (const d of detectors) out.push(await d.detect(img));
    return out;
  };
  const agreements = () => int8Paths.map(() => new Agreement());
  const addAll = (ag: Agreement[], name: string, dets: Detection[][]) => ag.forEach((a, k) => a.add(name, dets[0], dets[k + 1]));
  const printAll = (ag: Agreement[]) => ag.forEach((a, k) => a.print(`Float vs ${basename(int8Paths[k])}`));
  const cols = int8Paths.map((x) => basename(x, '.onnx'));

  if (!skip.has('synthetic')) {
    const n = Number(arg('synthetic', '60'));
    const [minHead, maxHead] = arg('head-sides', '20,400').split(',').map(Number);
    const maxHeads = Number(arg('heads', '8'));
    const heads = hqSplit(sharedDir(repoRoot), 1);
    const rand = rng(1613);
    const bins = [20, 32, 48, 64, 96, 128, 256, Infinity];
    const found = detectors.map(() => bins.map(() => 0));
    const total = bins.map(() => 0);
    const extra = detectors.map(() => 0);
    let pixels = 0;
    const agree = agreements();
    for (let i = 0; i < n; i++) {
      const [w, h] = [[640, 480], [1024, 768], [1600, 1200]][i % 3];
      const c = await composite(heads, rand, w, h, 2 + Math.floor(rand() * (maxHeads - 1)), minHead, maxHead);
      pixels += w * h;
      const dets = await all(c.image);
      addAll(agree, `synthetic ${i}`, dets);
      for (const hd of c.heads) {
        const b = bins.findIndex((x, j) => hd.size >= x && hd.size < bins[j + 1]);
        total[b]++;
        dets.forEach((ds, k) => (found[k][b] += ds.some((d) => isHead(d, hd)) ? 1 : 0));
      }
      dets.forEach((ds, k) => (extra[k] += ds.filter((d) => !c.heads.some((hd) => isHead(d, hd))).length));
    }
    console.log(`\n### ${n} synthetic pictures of CelebA-HQ validation heads (640x480, 1024x768, 1600x1200)\n`);
    console.log(`| head side (px) | heads | float found | ${cols.map((c) => `${c} found`).join(' | ')} |\n|---|---|---|${cols.map(() => '---|').join('')}`);
    bins.slice(0, -1).forEach((x, b) => total[b] && console.log(`| ${x}–${bins[b + 1] === Infinity ? '' : bins[b + 1] - 1} | ${total[b]} | ${found.map((f) => f[b]).join(' | ')} |`));
    const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
    console.log(`| all | ${sum(total)} | ${found.map(sum).join(' | ')} |`);
    console.log(`\nDetections matching no head: float ${extra[0]}, ${cols.map((c, k) => `${c} ${extra[k + 1]}`).join(', ')} (${(pixels / 1e6).toFixed(1)} megapixels).`);
    printAll(agree);
  }

  if (!skip.has('shared')) {
    const dir = join(sharedDir(repoRoot), 'data', 'photos');
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).photos as Record<string, { faces: number }>;
    const agree = agreements();
    const rows: string[] = [];
    for (const [name, e] of Object.entries(expected)) {
      const dets = await all(await decodeImageFile(join(dir, name)));
      addAll(agree, name, dets);
      rows.push(`${name} ${e.faces}/${dets.map((d) => d.length).join('/')}`);
    }
    console.log(`\n### Shared sample photos (expected/float/${cols.join('/')} faces)\n\n${rows.join('; ')}`);
    printAll(agree);
  }

  const benchDir = arg('bench-set', '');
  if (benchDir && !skip.has('bench')) {
    const manifest = JSON.parse(readFileSync(join(benchDir, 'manifest.json'), 'utf8')) as { path: string; faces: number }[];
    const agree = agreements();
    const right = detectors.map(() => 0);
    let known = 0;
    for (const ph of manifest) {
      if (!existsSync(ph.path)) continue;
      const dets = await all(await decodeImageFile(ph.path));
      addAll(agree, basename(ph.path), dets);
      known += ph.faces;
      dets.forEach((d, k) => (right[k] += d.length === ph.faces ? 1 : 0));
    }
    console.log(`\n### Benchmark set (${manifest.length} photos, ${known} known faces)\n\nphotos with the known count: float ${right[0]}, ${cols.map((c, k) => `${c} ${right[k + 1]}`).join(', ')}`);
    printAll(agree);
  }

}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
