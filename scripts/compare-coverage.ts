/**
 * Coverage of the corrected-prevalence interval with the model's real decisions: for each
 * attribute, does the 95% Rogan–Gladen bootstrap interval computed from the model's decisions on
 * CelebA images contain the true label prevalence of those images? (Issue 4's coverage check;
 * the figure goes in docs/compare.md.)
 *
 *   npx tsx scripts/compare-coverage.ts [--split validation|test] [--results tags.jsonl] [--one-per-identity | --cluster]
 *        [--sidecar models/celeba-attributes/attributes.json] [--shared ../shared] [--bootstrap 2000]
 *
 * Images: the shared CelebA subset (`<shared>/data/celeba/img_align_celeba`) in the chosen
 * official split (validation: 780 images, test: 660). Without --results the pipeline tags them
 * (detect → align → attributes); with --results, records of `facetally tag` on those images are
 * reused. Per image the highest-scoring face is used; images without a face are left out (and
 * counted). Se/Sp come from the sidecar's validation counts. Note that with --split validation the
 * same images may have contributed to those counts (the sidecar is measured on the full official
 * validation split); --split test gives an out-of-sample check.
 *
 * --cluster: every photo of every person, with a cluster bootstrap over persons (identity_CelebA.txt), as
 * `compare --cluster person` does; the raw interval is then the Wilson interval on the effective sample size.
 * Coverage is given for every attribute the correction can be computed for, and for those `compare` prints
 * (Youden's J >= MIN_YOUDEN_J, interval of non-zero width).
 */

import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createRng } from '../src/analysis/random.js';
import { designEffects, wilsonEffective, type ClusterCounts } from '../src/analysis/cluster.js';
import { MIN_YOUDEN_J } from '../src/analysis/compare.js';
import { bootstrapCorrected, correctionProblem } from '../src/analysis/rogan-gladen.js';
import { wilsonInterval } from '../src/analysis/wilson.js';
import { CELEBA_ATTRIBUTES } from '../src/attributes/names.js';
import { parseSidecar } from '../src/attributes/sidecar.js';
import type { PhotoResult } from '../src/types.js';
import { readCelebaAttributes, readCelebaPartition } from '../test/helpers/celeba.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const root = resolve(import.meta.dirname, '..');
const shared = resolve(arg('shared', process.env.FACETALLY_SHARED ?? join(root, '..', 'shared'))!);
const split = arg('split', 'validation')!;
const splitCode = { train: 0, validation: 1, test: 2 }[split];
if (splitCode === undefined) throw new Error(`--split: expected validation or test but received ${split}`);
const sidecarPath = resolve(arg('sidecar', join(root, 'models/celeba-attributes/attributes.json'))!);
const B = Number(arg('bootstrap', '2000'));
const celeba = join(shared, 'data/celeba');
if (!existsSync(sidecarPath)) throw new Error(`model sidecar not found: ${sidecarPath} (train/ship the model first, or pass --sidecar)`);
if (!existsSync(celeba)) throw new Error(`CelebA data not found in ${celeba} (pass --shared DIR or set FACETALLY_SHARED)`);

const sidecar = parseSidecar(JSON.parse(readFileSync(sidecarPath, 'utf8')), sidecarPath);
const partition = readCelebaPartition(join(celeba, 'list_eval_partition.txt'));
const imgDir = join(celeba, 'img_align_celeba');
const { readdirSync } = await import('node:fs');
const files = readdirSync(imgDir).filter((f) => f.endsWith('.jpg') && partition.get(f) === splitCode).sort();
const labels = new Map(readCelebaAttributes(join(celeba, 'list_attr_celeba.txt'), (f) => files.includes(f)).rows.map((r) => [r.file, r.labels]));

let records: PhotoResult[];
const resultsPath = arg('results');
if (resultsPath) {
  records = readFileSync(resultsPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as PhotoResult);
} else {
  const { tagFiles } = await import('../src/pipeline/tag.js');
  records = [];
  for await (const r of tagFiles(files.map((f) => join(imgDir, f)), { modelDir: resolve(sidecarPath, '..') })) {
    records.push(r);
    if (records.length % 100 === 0) process.stderr.write(`tagged ${records.length}/${files.length}\n`);
  }
}

// --one-per-identity: keep the first image (by name) of each person (identity_CelebA.txt), so the faces are
// independent; the shared subset has 30 photos per person, whose errors go together.
if (process.argv.includes('--one-per-identity')) {
  const identity = new Map(readFileSync(join(celeba, 'identity_CelebA.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/) as [string, string]));
  const seen = new Set<string>();
  records = records
    .slice()
    .sort((a, b) => basename(a.path).localeCompare(basename(b.path)))
    .filter((r) => {
      const id = identity.get(basename(r.path));
      if (id === undefined || seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  console.log(`--one-per-identity: ${records.length} images, one per person`);
}

const clustered = process.argv.includes('--cluster');
const identityOf = clustered
  ? new Map(readFileSync(join(celeba, 'identity_CelebA.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/) as [string, string]))
  : null;
const person: string[] = [];

// One face per image: the detector's best.
const decisions: Record<string, boolean>[] = [];
const truth: Record<string, boolean>[] = [];
let noFace = 0;
for (const r of records) {
  const lab = labels.get(basename(r.path));
  if (!lab) continue;
  if (r.error || r.faces.length === 0) {
    noFace++;
    continue;
  }
  const best = r.faces.reduce((a, b) => (b.score > a.score ? b : a));
  decisions.push(best.decisions);
  truth.push(lab);
  person.push(identityOf?.get(basename(r.path)) ?? basename(r.path));
}
const n = decisions.length;
console.log(`split ${split}: ${files.length} images, ${n} with a face, ${noFace} without (left out); model ${sidecar.model}; ${B} bootstrap replicates\n`);
console.log('| attribute | true prevalence | raw (model) [95% Wilson] | corrected [95% bootstrap] | raw covers | corrected covers |');
console.log('|---|---|---|---|---|---|');
let coveredCorr = 0;
let coveredRaw = 0;
let tested = 0;
let printed = 0;
let coveredPrinted = 0;
const persons = [...new Set(person)];
if (clustered) console.log(`--cluster: ${persons.length} persons, ${n} faces; intervals resample persons\n`);
const rng = createRng(1);
const f = (v: number) => (100 * v).toFixed(1);
for (const a of CELEBA_ATTRIBUTES) {
  const v = sidecar.validation.per_attribute[a];
  const truePrev = truth.filter((t) => t[a]).length / n;
  const count = decisions.filter((d) => d[a]).length;
  const clusters: ClusterCounts[] | undefined = clustered
    ? persons.map((p) => {
        const idx = person.flatMap((q, i) => (q === p ? [i] : []));
        return { count: [idx.filter((i) => decisions[i][a]).length], n: [idx.length] };
      })
    : undefined;
  const w = clusters ? wilsonEffective(count, n, designEffects(clusters, 1)[0]) : wilsonInterval(count, n);
  const rawCovers = w.lower <= truePrev && truePrev <= w.upper;
  const problem = v ? correctionProblem(v) : 'no validation counts';
  if (problem) {
    console.log(`| ${a} | ${f(truePrev)}% | ${f(count / n)}% [${f(w.lower)}, ${f(w.upper)}] | – (${problem}) | ${rawCovers ? 'yes' : 'no'} | – |`);
    continue;
  }
  const g = bootstrapCorrected([{ count, n }], v, { replicates: B, rng, clusters }).groups[0]!;
  const covers = g.lower <= truePrev && truePrev <= g.upper;
  tested++;
  if (covers) coveredCorr++;
  const j = v!.tp / (v!.tp + v!.fn) + v!.tn / (v!.tn + v!.fp) - 1;
  if (j >= MIN_YOUDEN_J && g.upper - g.lower > 1e-12) {
    printed++;
    if (covers) coveredPrinted++;
  }
  if (rawCovers) coveredRaw++;
  console.log(`| ${a} | ${f(truePrev)}% | ${f(count / n)}% [${f(w.lower)}, ${f(w.upper)}] | ${f(g.estimate)}% [${f(g.lower)}, ${f(g.upper)}] | ${rawCovers ? 'yes' : 'no'} | ${covers ? 'yes' : 'no'} |`);
}
console.log(
  `\ncorrected interval contains the true prevalence for ${coveredCorr}/${tested} attributes (${f(coveredCorr / tested)}%); ` +
    `the raw Wilson interval of the decisions does for ${coveredRaw}/${tested} (${f(coveredRaw / tested)}%). Target: >= 90% for the corrected one.`,
);
console.log(`of the corrected intervals compare prints (Youden's J >= ${MIN_YOUDEN_J}, non-zero width): ${coveredPrinted}/${printed} (${f(coveredPrinted / Math.max(1, printed))}%) contain the true prevalence.`);
