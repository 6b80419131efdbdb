/**
 * Compare two attribute models (or one model in two forms) on the same canonical crops: the largest and mean
 * absolute difference of the 40 probabilities and the number of decisions that differ. Used to check that
 * moving preprocessing inside the graph (training/in_graph_preprocess.py) leaves the predictions as they were.
 *
 *   npx tsx scripts/compare-preprocessing.ts MODEL_DIR_A MODEL_DIR_B [N]   (N CelebA aligned images, default 300)
 * Needs ../shared (or FACETALLY_SHARED). Prints one line of figures per model pair and the speed of each.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAttributeModel } from '../src/attributes/load-node.js';
import { decodeImageFile, type RgbImage } from '../src/image/decode.js';

const [dirA, dirB, nArg] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error('usage: tsx scripts/compare-preprocessing.ts MODEL_DIR_A MODEL_DIR_B [N]');
  process.exit(1);
}
const shared = resolve(process.env.FACETALLY_SHARED ?? join(import.meta.dirname, '..', '..', 'shared'));
const dir = join(shared, 'data', 'celeba', 'img_align_celeba');
const names = readdirSync(dir).filter((n) => n.endsWith('.jpg')).sort().slice(0, Number(nArg ?? 300));
const crops: RgbImage[] = [];
for (const n of names) crops.push(await decodeImageFile(join(dir, n)));

async function run(modelDir: string) {
  const model = await loadAttributeModel(modelDir, { threads: 2 });
  await model.predict(crops.slice(0, 32));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = [];
  for (let i = 0; i < crops.length; i += 32) out.push(...(await model.predict(crops.slice(i, i + 32))));
  const cpu = process.cpuUsage(c0);
  const cpuMsPerFace = (cpu.user + cpu.system) / 1000 / crops.length;
  return { out, facesPerSecond: crops.length / ((performance.now() - t0) / 1000), cpuMsPerFace, names: model.names };
}
const a = await run(dirA);
const b = await run(dirB);
let maxDiff = 0, sumDiff = 0, flips = 0, n = 0;
for (let i = 0; i < crops.length; i++) {
  for (const k of a.names) {
    const d = Math.abs(a.out[i].attributes[k] - b.out[i].attributes[k]);
    maxDiff = Math.max(maxDiff, d);
    sumDiff += d;
    n++;
    if (a.out[i].decisions[k] !== b.out[i].decisions[k]) flips++;
  }
}
console.log(`${crops.length} crops x 40 attributes: max |dp| ${maxDiff.toFixed(4)}, mean |dp| ${(sumDiff / n).toFixed(5)}, ` +
  `decisions differing ${flips} of ${n} (${((100 * flips) / n).toFixed(2)}%); ` +
  `faces/s (2 threads, batches of 32, preprocessing included) A ${a.facesPerSecond.toFixed(0)}, B ${b.facesPerSecond.toFixed(0)}; ` +
  `CPU ms per face A ${a.cpuMsPerFace.toFixed(2)}, B ${b.cpuMsPerFace.toFixed(2)}`);
