/**
 * Accuracy against face quality (issue 14): degrade CelebA faces in controlled steps, run the full pipeline
 * (decode → detect → align → attributes, exactly as `tag`) on each degraded photo, and record, per face and
 * setting, the measured quality and pose and which of the 40 attribute decisions match the labels.
 *
 *   nice -n 10 npx tsx scripts/quality-accuracy.ts run --set hq-val --limit 200 --reference-extra 600 \
 *       --out work-data/quality/hq-val.jsonl          # CelebA-HQ validation: the rule is chosen here
 *   nice -n 10 npx tsx scripts/quality-accuracy.ts run --set celeba-test --limit 150 --out work-data/quality/celeba-test.jsonl
 *   npx tsx scripts/quality-accuracy.ts report --choose work-data/quality/hq-val.jsonl --check work-data/quality/celeba-test.jsonl
 *       # writes the model card's section "Accuracy against face quality" (models/celeba-attributes/MODEL_CARD.md),
 *       # quality-accuracy.json beside it, docs/img/quality-accuracy.png (+ .vl.json), src/quality/measured.ts
 *
 * Sets (read from `--shared`, default ../shared): `hq-val` = CelebA-HQ photos of the official validation split
 * (128x128, whole head); `celeba-test` = the aligned CelebA test images (178x218). Images are taken in file-number
 * order (the first `--limit`), so a rerun gives the same faces.
 *
 * Degradations, each applied to the original photo (sharp), one at a time:
 * - `scale`: downscale so the eyes are E px apart (E = 4, 6, 8, 11, 16, 23, from the reference run's eye distance;
 *   face boxes about 2.3 E), pasted into a mid-grey canvas of at least 256 px (a small face in a larger photo);
 * - `blur`: Gaussian blur, σ = k x (eye distance / 40) px for k = 0.5, 1, 1.5, 2, 3, 4 (σ in px of a face whose
 *   eyes are 40 px apart, as in CelebA's aligned crops);
 * - `exposure`: gray levels x g (clipped), g = 0.15, 0.25, 0.4, 0.6 (darker) and 1.6, 2.2, 3 (over-exposed);
 * - `jpeg`: re-encoded at quality 3, 6, 10, 20, 40;
 * - `rotate`: in-plane rotation by 15, 30, 45, 60, 90 degrees (grey corners).
 * `--reference-extra N` runs N more images without degradation, for the relation with natural pose.
 * The detector runs with --min-face 16 so that small faces are looked for; detection recall is reported per setting.
 */

import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { CELEBA_ATTRIBUTES } from '../src/attributes/names.js';
import { readLabelFile, readSplitFile } from '../src/eval/celeba.js';
import { centralFace } from '../src/eval/run.js';
import type { RgbImage } from '../src/image/decode.js';
import { runProvenance } from '../src/pipeline/provenance.js';
import { Tagger } from '../src/pipeline/tag.js';
import { chartSpecs, summarise, type FaceRow } from './quality-accuracy-report.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** One degradation setting. */
interface Setting {
  kind: 'none' | 'scale' | 'blur' | 'exposure' | 'jpeg' | 'rotate';
  level: number;
}

const SETTINGS: Setting[] = [
  { kind: 'none', level: 0 },
  ...[23, 16, 11, 8, 6, 4].map((level) => ({ kind: 'scale' as const, level })),
  ...[0.5, 1, 1.5, 2, 3, 4].map((level) => ({ kind: 'blur' as const, level })),
  ...[0.15, 0.25, 0.4, 0.6, 1.6, 2.2, 3].map((level) => ({ kind: 'exposure' as const, level })),
  ...[40, 20, 10, 6, 3].map((level) => ({ kind: 'jpeg' as const, level })),
  ...[15, 30, 45, 60, 90].map((level) => ({ kind: 'rotate' as const, level })),
];

async function toRgb(img: sharp.Sharp): Promise<RgbImage> {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** The degraded photo, or null when the setting does not apply (a downscale that would enlarge). */
async function degrade(bytes: Buffer, s: Setting, eyeDistance: number): Promise<RgbImage | null> {
  const meta = await sharp(bytes).metadata();
  const W = meta.width!, H = meta.height!;
  switch (s.kind) {
    case 'none':
      return toRgb(sharp(bytes));
    case 'scale': {
      const f = s.level / eyeDistance;
      if (!(f < 1)) return null;
      const w = Math.max(1, Math.round(W * f)), h = Math.max(1, Math.round(H * f));
      const small = await sharp(bytes).resize(w, h, { kernel: 'lanczos3' }).png().toBuffer();
      const side = Math.max(256, 2 * Math.max(w, h));
      return toRgb(sharp({ create: { width: side, height: side, channels: 3, background: { r: 128, g: 128, b: 128 } } }).composite([{ input: small, left: Math.floor((side - w) / 2), top: Math.floor((side - h) / 2) }]));
    }
    case 'blur':
      return toRgb(sharp(bytes).blur(Math.max(0.3, (s.level * eyeDistance) / 40)));
    case 'exposure':
      return toRgb(sharp(bytes).linear(s.level, 0));
    case 'jpeg':
      return toRgb(sharp(await sharp(bytes).jpeg({ quality: s.level }).toBuffer()));
    case 'rotate':
      return toRgb(sharp(bytes).rotate(s.level, { background: '#808080' }));
  }
}

async function run(): Promise<void> {
  const shared = resolve(arg('shared', '../shared')!);
  const set = arg('set', 'hq-val')!;
  const limit = Number(arg('limit', '200'));
  const extra = Number(arg('reference-extra', '0'));
  const out = resolve(arg('out', `work-data/quality/${set}.jsonl`)!);
  let imagesDir: string, labelsFile: string, files: string[];
  if (set === 'hq-val') {
    const dir = join(shared, 'data/celeba-hq');
    imagesDir = join(dir, 'images');
    labelsFile = join(dir, 'CelebAMask-HQ-attribute-anno.txt');
    const split = await readSplitFile(join(dir, 'list_eval_partition.txt'));
    files = [...split].filter(([f, c]) => c === 1 && existsSync(join(imagesDir, f))).map(([f]) => f);
  } else if (set === 'celeba-test') {
    const dir = join(shared, 'data/celeba');
    imagesDir = join(dir, 'img_align_celeba');
    labelsFile = join(dir, 'list_attr_celeba.txt');
    const split = await readSplitFile(join(dir, 'list_eval_partition.txt'));
    files = [...split].filter(([f, c]) => c === 2 && existsSync(join(imagesDir, f))).map(([f]) => f);
  } else throw new Error(`--set must be hq-val or celeba-test, not ${set}`);
  files.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  files = files.slice(0, limit + extra);
  const wanted = new Set(files);
  const labels = await readLabelFile(labelsFile, (f) => wanted.has(f));
  const row = new Map(labels.files.map((f, i) => [f, i]));
  const K = CELEBA_ATTRIBUTES.length;
  mkdirSync(dirname(out), { recursive: true });
  const sink = createWriteStream(out);
  const tagger = await Tagger.create({ minFaceSize: 16, threads: 1 });
  // What measured these rows, on every row (the report names it, so a card section says which model it describes).
  const prov = await runProvenance({ minFaceSize: 16 });
  const measuredWith = `model ${prov.model} ${prov.model_sha256} (thresholds ${prov.thresholds_sha256}), detector ${prov.detector_sha256} at score ${prov.settings.score_threshold} / verify ${prov.settings.verify_threshold}, facetally ${prov.facetally}`;
  const t0 = Date.now();
  let runs = 0;
  for (let n = 0; n < files.length; n++) {
    const file = files[n];
    const bytes = readFileSync(join(imagesDir, file));
    const li = row.get(file)!;
    let eyeDistance = 0;
    const settings = n < limit ? SETTINGS : SETTINGS.slice(0, 1);
    for (const s of settings) {
      const img = await degrade(bytes, s, eyeDistance || 40);
      if (!img) continue;
      const faces = await tagger.analyzeImage(img);
      runs++;
      const f = centralFace(faces, img.width, img.height);
      if (s.kind === 'none') eyeDistance = f?.quality?.eye_distance ?? 0;
      if (s.kind !== 'none' && !eyeDistance) break; // no reference face: the degradations cannot be scaled to it
      const rec: FaceRow = { set, file, kind: s.kind, level: s.level, detected: !!f, measuredWith };
      if (f) {
        rec.score = f.score;
        rec.pose = f.pose;
        rec.quality = f.quality;
        rec.correct = CELEBA_ATTRIBUTES.map((a, k) => (f.decisions[a] === (labels.values[li * K + k] === 1) ? '1' : '0')).join('');
      }
      sink.write(JSON.stringify(rec) + '\n');
    }
    if ((n + 1) % 10 === 0) process.stderr.write(`${set}: ${n + 1}/${files.length} images, ${runs} pipeline runs, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  sink.end();
  process.stderr.write(`${set}: done, ${runs} pipeline runs in ${((Date.now() - t0) / 1000).toFixed(0)} s → ${out}\n`);
}

async function report(): Promise<void> {
  const choose = arg('choose');
  if (!choose) throw new Error('report needs --choose FILE (the CelebA-HQ validation results)');
  const check = arg('check');
  const outDir = resolve(arg('out-dir', 'models/celeba-attributes')!);
  const chartFile = resolve(arg('chart', 'docs/img/quality-accuracy.png')!);
  const read = (p: string): FaceRow[] => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const { markdown, json } = summarise(read(choose), check ? read(check) : null, process.argv.slice(2).join(' '));
  writeFileSync(join(outDir, 'quality-accuracy.json'), JSON.stringify(json, (k, v) => (typeof v === 'number' ? Math.round(v * 1e5) / 1e5 : v)) + '\n');
  const { renderSvg, svgToPng } = await import('../src/report/render.js');
  const spec = chartSpecs(json);
  writeFileSync(chartFile, await svgToPng(await renderSvg(spec)));
  writeFileSync(chartFile.replace(/\.png$/, '.vl.json'), JSON.stringify(spec) + '\n');
  // The section of the model card between its markers (appended, with the markers, the first time).
  const card = join(outDir, 'MODEL_CARD.md');
  const start = '<!-- quality-accuracy:start (generated by scripts/quality-accuracy.ts report) -->';
  const end = '<!-- quality-accuracy:end -->';
  const chartRel = relative(outDir, chartFile);
  const body = `${start}\n\n![Attribute accuracy against measured face quality](${chartRel})\n\nChart: ${chartRel} (Vega-Lite spec beside it); every figure: quality-accuracy.json.\n\n${markdown}\n${end}`;
  let text = existsSync(card) ? readFileSync(card, 'utf8') : '';
  const a = text.indexOf(start), b = text.indexOf(end);
  text = a >= 0 && b > a ? text.slice(0, a) + body + text.slice(b + end.length) : `${text.trimEnd()}\n\n## Accuracy against face quality\n\n${body}\n`;
  writeFileSync(card, text);
  const tsOut = resolve(arg('ts-out', 'src/quality/measured.ts')!);
  writeFileSync(
    tsOut,
    `/**
 * GENERATED by \`npx tsx scripts/quality-accuracy.ts ${process.argv.slice(2).join(' ')}\` — do not edit by hand.
 * The quality rule and the accuracy-vs-quality relation measured on CelebA-HQ validation faces degraded in
 * controlled steps; every figure is in models/celeba-attributes/MODEL_CARD.md ("Accuracy against face quality").
 */
import type { MeasuredRelation } from './relation.js';

/** \`--quality default\`: bounds chosen so that mean attribute accuracy stays within 1 point of undegraded faces. */
export const MEASURED_RULE = ${JSON.stringify(json.rule)} as const;

/** Mean accuracy change per bin of each measure (see {@link MeasuredRelation}). */
export const MEASURED_RELATION: MeasuredRelation = ${JSON.stringify(json.relation, (k, v) => (typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v))};
`,
  );
  process.stdout.write(JSON.stringify(json.rule, null, 1) + '\n');
}

const cmd = process.argv[2];
if (cmd === 'run') await run();
else if (cmd === 'report') await report();
else {
  process.stderr.write('usage: npx tsx scripts/quality-accuracy.ts run|report [options] (see the comment at the top)\n');
  process.exit(1);
}
