/**
 * Make the fixture that proves training/dlib_resnet.py (the PyTorch port of dlib's face-recognition ResNet)
 * against @vladmandic/face-api's own tfjs forward: a few 150x150 aligned face crops from the repository's
 * bundled example photos, and the 128-d descriptors face-api computes for them. Run once; the output is
 * committed and read by test/training/dlib-port.test.ts.
 *
 *   npx tsx scripts/dlib-reference.ts [OUT_DIR]     (default test/fixtures/dlib-port)
 *
 * Crops: `facetally crop examples` (our detector + similarity-transform alignment, the canonical 178x218
 * CelebA frame), the centred 178x178 square (rows 20..197) resized to 150x150 by sharp (bilinear-ish
 * Lanczos, does not matter: the PNG bytes are what both sides read), and each crop mirrored — 2 faces x 2.
 * face-api (its CommonJS build dist/face-api.node-wasm.js) runs on tfjs's pure-JS 'cpu' backend (tfjs-node
 * cannot be installed here); the input is the PNG's
 * exact RGB bytes as a float32 [150, 150, 3] tensor, so face-api neither pads nor resizes it.
 * The descriptors are only a test oracle: facetally never exposes or compares identity descriptors.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type * as TF from '@tensorflow/tfjs';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'test/fixtures/dlib-port'));
const MODEL_DIR = join(ROOT, 'node_modules/@vladmandic/face-api/model');
const SIZE = 150;

// face-api's CommonJS Node build on @tensorflow/tfjs (pure JS; its ESM builds do not load in Node 20). Its
// own tfjs instance (faceapi.tf) is used throughout, with the pure-JS 'cpu' backend.
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof import('@vladmandic/face-api');
const tf = faceapi.tf as unknown as typeof TF;

await tf.setBackend('cpu');
await tf.ready();

// 1. Aligned crops of the bundled examples through our own pipeline.
const tmp = mkdtempSync(join(tmpdir(), 'facetally-dlib-ref-'));
const r = spawnSync(process.execPath, [join(ROOT, 'bin/facetally.js'), 'crop', join(ROOT, 'examples'), '-o', tmp, '-q'], {
  encoding: 'utf8',
});
if (r.status !== 0) throw new Error(`facetally crop failed (${r.status}): ${r.stderr}`);
const manifest = readFileSync(join(tmp, 'crops.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { crop: string; source: string; face: number });
manifest.sort((a, b) => a.crop.localeCompare(b.crop));

mkdirSync(OUT, { recursive: true });
const names: string[] = [];
for (const m of manifest) {
  // e.g. "astronaut.png__face0.png" -> "astronaut_face0"
  const base = m.crop.replace(/^.*\//, '').replace(/\.png$/, '').replace(/\.[a-z]+__/i, '_');
  const square = sharp(join(tmp, m.crop)).extract({ left: 0, top: 20, width: 178, height: 178 });
  for (const flip of [false, true]) {
    const name = `${base}${flip ? '_mirror' : ''}.png`;
    let img = square.clone().resize(SIZE, SIZE, { kernel: 'lanczos3' });
    if (flip) img = img.flop();
    await img.removeAlpha().png({ compressionLevel: 9 }).toFile(join(OUT, name));
    names.push(name);
  }
}
rmSync(tmp, { recursive: true, force: true });

// 2. face-api's face-recognition net, weights decoded by tfjs itself (io.decodeWeights dequantises).
const specsFile = JSON.parse(readFileSync(join(MODEL_DIR, 'face_recognition_model-weights_manifest.json'), 'utf8')) as {
  paths: string[];
  weights: TF.io.WeightsManifestEntry[];
}[];
const bin = readFileSync(join(MODEL_DIR, specsFile[0].paths[0]));
const weightMap = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specsFile[0].weights);
const net = new faceapi.FaceRecognitionNet();
net.loadFromWeightMap(weightMap);

// 3. Descriptors of the stored PNGs' exact bytes.
const descriptors: number[][] = [];
for (const name of names) {
  const { data, info } = await sharp(join(OUT, name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== SIZE || info.height !== SIZE || info.channels !== 3) throw new Error(`${name}: unexpected ${JSON.stringify(info)}`);
  const input = tf.tensor3d(Float32Array.from(data), [SIZE, SIZE, 3], 'float32');
  const d = (await net.computeFaceDescriptor(input)) as Float32Array;
  input.dispose();
  descriptors.push(Array.from(d));
}

const out = {
  about:
    'Reference 128-d descriptors of dlib_face_recognition_resnet_model_v1 computed by @vladmandic/face-api ' +
    'FaceRecognitionNet (tfjs cpu backend) on the PNG crops in this folder; made by scripts/dlib-reference.ts; ' +
    'test oracle for training/dlib_resnet.py only.',
  face_api_version: (JSON.parse(readFileSync(join(ROOT, 'node_modules/@vladmandic/face-api/package.json'), 'utf8')) as { version: string })
    .version,
  tfjs_version: tf.version.tfjs,
  backend: tf.getBackend(),
  input: { width: SIZE, height: SIZE, channels: 'RGB', range: '0..255' },
  crops: names,
  descriptors,
};
writeFileSync(join(OUT, 'reference.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`${names.length} crops and descriptors -> ${OUT} (face-api ${out.face_api_version}, tfjs ${out.tfjs_version}, ${out.backend})`);
