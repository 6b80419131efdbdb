/**
 * Measure the canonical alignment template: run facetally's detector over CelebA aligned images
 * (../shared/data/celeba/img_align_celeba, 178x218) and print the mean position of each of the six
 * BlazeFace keypoints, with their standard deviations and the detection rate.
 * Usage: npx tsx scripts/measure-template.ts [DIR] [LIMIT]
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImageFile } from '../src/image/decode.js';
import { createDetector } from '../src/detect/load-node.js';

const dir = process.argv[2] ?? '../shared/data/celeba/img_align_celeba';
const limit = Number(process.argv[3] ?? 2000);
const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort().slice(0, limit);
const detector = await createDetector();
const sum = Array.from({ length: 6 }, () => [0, 0, 0, 0]);
let found = 0, missed = 0, multi = 0;
for (const f of files) {
  const img = await decodeImageFile(join(dir, f));
  const dets = await detector.detect(img);
  if (dets.length === 0) { missed++; continue; }
  if (dets.length > 1) multi++;
  found++;
  dets[0].landmarks.forEach(([x, y], k) => { sum[k][0] += x; sum[k][1] += y; sum[k][2] += x * x; sum[k][3] += y * y; });
}
console.log(`images ${files.length}, detected ${found}, missed ${missed}, more than one face ${multi}`);
const names = ['right_eye', 'left_eye', 'nose_tip', 'mouth_center', 'right_ear_tragion', 'left_ear_tragion'];
sum.forEach(([sx, sy, sxx, syy], k) => {
  const mx = sx / found, my = sy / found;
  console.log(`${names[k]}: [${mx.toFixed(2)}, ${my.toFixed(2)}]  sd [${Math.sqrt(sxx / found - mx * mx).toFixed(2)}, ${Math.sqrt(syy / found - my * my).toFixed(2)}]`);
});
