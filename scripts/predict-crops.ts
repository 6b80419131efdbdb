/**
 * Run an attribute model folder (attributes.onnx + attributes.json) over the canonical crops of `facetally crop`
 * manifests and write its probabilities, so that training/ can use a shipped ONNX model as a teacher (issue 18:
 * the from-scratch model as one member of the ensemble that is distilled) without an onnxruntime Python package
 * (none is reachable here).
 *
 * Usage:
 *   npx tsx scripts/predict-crops.ts --model models/celeba-attributes \
 *     --data celeba=work-data/crops/celeba --data celeba-hq=work-data/crops/celeba-hq --out work-data/teachers/v3
 *
 * Writes OUT/names.json (`["dataset/basename", ...]`, face 0 of each source, first manifest row wins, the same key
 * training/dataset.py joins labels on) and OUT/probs.f32 (little-endian float32, [names.length, 40], the model's
 * probabilities in its attribute order, which OUT/names.json's `attributes` field repeats).
 * Exit codes: 0 done, 1 usage or model error.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { loadAttributeModel } from '../src/attributes/load-node.js';
import type { RgbImage } from '../src/image/rgb.js';

const program = new Command()
  .name('predict-crops')
  .description('probabilities of an attribute model on the face-0 crops of crop manifests (teacher targets for training/)')
  .requiredOption('--model <dir>', 'attribute model folder')
  .requiredOption('--data <name=dir...>', 'dataset name = folder holding crops.jsonl (repeatable)')
  .requiredOption('--out <dir>', 'output folder for names.json and probs.f32')
  .option('--batch <n>', 'faces per model call', (v) => Number.parseInt(v, 10), 64)
  .parse();
const opts = program.opts<{ model: string; data: string[]; out: string; batch: number }>();

interface Row { name: string; crop: string }
const rows: Row[] = [];
for (const spec of opts.data) {
  const eq = spec.indexOf('=');
  if (eq <= 0) program.error(`--data ${spec}: expected NAME=DIR`);
  const name = spec.slice(0, eq);
  const dir = spec.slice(eq + 1);
  const manifest = path.join(dir, 'crops.jsonl');
  if (!existsSync(manifest)) program.error(`${manifest} does not exist (run facetally crop first)`);
  const seen = new Set<string>();
  for (const line of (await readFile(manifest, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { crop: string; source: string; face: number };
    if (r.face !== 0) continue;
    const base = path.basename(r.source);
    if (seen.has(base)) continue;
    seen.add(base);
    rows.push({ name: `${name}/${base}`, crop: path.resolve(dir, r.crop) });
  }
}

const model = await loadAttributeModel(opts.model);
const names = model.names;
const probs = new Float32Array(rows.length * names.length);
const t0 = Date.now();
for (let i = 0; i < rows.length; i += opts.batch) {
  const part = rows.slice(i, i + opts.batch);
  const crops: RgbImage[] = await Promise.all(part.map(async (r) => {
    const { data, info } = await sharp(r.crop).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) } as RgbImage;
  }));
  const preds = await model.predict(crops);
  preds.forEach((p, k) => names.forEach((a, j) => { probs[(i + k) * names.length + j] = p.attributes[a]; }));
  if ((i / opts.batch) % 50 === 0) process.stderr.write(`predict-crops: ${i + part.length}/${rows.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}
await model.release();
await mkdir(opts.out, { recursive: true });
await writeFile(path.join(opts.out, 'names.json'), JSON.stringify({ model: path.resolve(opts.model), attributes: names, names: rows.map((r) => r.name) }));
await writeFile(path.join(opts.out, 'probs.f32'), Buffer.from(probs.buffer));
process.stderr.write(`predict-crops: ${rows.length} crops in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${opts.out}\n`);
