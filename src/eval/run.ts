import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { Tagger, type TagOptions } from '../pipeline/tag.js';
import type { Face } from '../types.js';
import { readIdentityFile, readLabelFile, readSplitFile, SPLIT_CODES, type LabelTable } from './celeba.js';
import { bootstrapMeans, expectedCalibrationError, meanOf, scoreAttributes, type AttributeMetrics, type BootstrapInterval, type PredictionTable } from './metrics.js';

/** Where the images and labels of an evaluation set are. */
export interface EvalSource {
  imagesDir: string;
  labelsFile: string;
  splitFile?: string;
  /** Which split to evaluate when a split file is given. */
  split?: keyof typeof SPLIT_CODES;
  /**
   * Optional `file person` file (CelebA's `identity_CelebA.txt`): the means then also get an identity-clustered
   * bootstrap interval (resampling people instead of images), see {@link bootstrapMeans}.
   */
  identityFile?: string;
}

/**
 * The CelebA layout: `DIR/img_align_celeba`, `DIR/list_attr_celeba.txt`, `DIR/list_eval_partition.txt`, and
 * `DIR/identity_CelebA.txt` when it exists (then intervals are also given resampling people).
 */
export function celebaSource(dir: string, split: keyof typeof SPLIT_CODES = 'test'): EvalSource {
  const identityFile = join(dir, 'identity_CelebA.txt');
  return {
    imagesDir: join(dir, 'img_align_celeba'), labelsFile: join(dir, 'list_attr_celeba.txt'), splitFile: join(dir, 'list_eval_partition.txt'), split,
    ...(existsSync(identityFile) ? { identityFile } : {}),
  };
}

/** Mean accuracy and balanced accuracy over the 40 attributes within one subgroup of images. */
export interface SubgroupMetrics {
  /** E.g. "Male", "not Male". */
  group: string;
  n: number;
  meanAccuracy: number;
  meanBalancedAccuracy: number;
  perAttribute: AttributeMetrics[];
}

/** Everything `facetally eval` reports. */
export interface EvalReport {
  source: EvalSource;
  /** Images of the split that were present and evaluated. */
  n: number;
  /** Images where no face was found (scored as errors on every attribute). */
  missed: number;
  missedFiles: string[];
  /** Images that could not be read (also scored as missed). */
  unreadable: number;
  perAttribute: AttributeMetrics[];
  meanAccuracy: BootstrapInterval;
  meanBalancedAccuracy: BootstrapInterval;
  meanBaseline: number;
  /**
   * Identity-clustered 95% bootstrap intervals of the two means (resampling people, every photo of a drawn person
   * included), when the source has an identity file; null otherwise. Wider than the image intervals when one
   * person's photos are alike, as they are.
   */
  byPerson: { people: number; meanAccuracy: BootstrapInterval; meanBalancedAccuracy: BootstrapInterval } | null;
  /**
   * Expected calibration error of each attribute's probabilities (10 equal-width bins) over the images with a
   * detected face, in attribute order, in [0, 1]; see {@link expectedCalibrationError}.
   */
  ece: number[];
  /** Mean of `ece` over the 40 attributes. */
  meanEce: number;
  subgroups: SubgroupMetrics[];
  seconds: number;
}

/** Of several faces, the one whose box centre is nearest the photo centre (the labelled subject of a portrait). */
export function centralFace(faces: readonly Face[], width: number, height: number): Face | undefined {
  let best: Face | undefined, bestD = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
    if (d < bestD) { bestD = d; best = f; }
  }
  return best;
}

/**
 * Select the labelled images of the requested split that exist in `imagesDir`.
 * @throws Error when the label or split file is unreadable, or the labels are not CelebA's 40 attributes.
 */
export async function loadEvalSet(src: EvalSource): Promise<LabelTable> {
  const split = src.splitFile ? await readSplitFile(src.splitFile) : null;
  const code = src.split ? SPLIT_CODES[src.split] : undefined;
  const table = await readLabelFile(src.labelsFile, (f) => (!split || code === undefined || split.get(f) === code) && existsSync(join(src.imagesDir, f)));
  if (table.names.join() !== CELEBA_ATTRIBUTES.join()) throw new Error(`${src.labelsFile}: the attribute names are not CelebA's 40 names in CelebA order`);
  return table;
}

/**
 * Run the full pipeline (decode → detect → align → attributes, exactly as `tag`) on every image of an
 * evaluation set and score the decisions against the labels; subgroups by the true Male and Young labels.
 * `onImage` is called after each image with its 1-based index, the image count, and its face count and whether it
 * could not be read (for a progress bar).
 */
export async function runEval(src: EvalSource, options: TagOptions & { replicates?: number; onImage?: (i: number, n: number, image: { faces: number; error: boolean }) => void } = {}): Promise<EvalReport> {
  const t0 = Date.now();
  const table = await loadEvalSet(src);
  const n = table.files.length;
  if (n === 0) throw new Error(`no labelled images of split "${src.split ?? 'all'}" found in ${src.imagesDir}`);
  const K = table.names.length;
  const tagger = await Tagger.create(options);
  const pred: PredictionTable = { decisions: new Uint8Array(n * K), missed: new Uint8Array(n) };
  const probs = new Float32Array(n * K);
  const found: number[] = [];
  const missedFiles: string[] = [];
  let unreadable = 0;
  try {
    for (let i = 0; i < n; i++) {
      const rec = await tagger.tagFile(join(src.imagesDir, table.files[i]));
      if (rec.error) unreadable++;
      const face = centralFace(rec.faces, rec.width ?? 0, rec.height ?? 0);
      if (!face) {
        pred.missed[i] = 1;
        missedFiles.push(table.files[i]);
      } else {
        table.names.forEach((name, k) => {
          pred.decisions[i * K + k] = face.decisions[name] ? 1 : 0;
          probs[i * K + k] = face.attributes[name];
        });
        found.push(i);
      }
      options.onImage?.(i + 1, n, { faces: rec.faces.length, error: rec.error !== null && rec.error !== undefined });
    }
  } finally {
    await tagger.close();
  }
  const perAttribute = scoreAttributes(table.names, table.values, pred);
  const ece = table.names.map((_, k) => expectedCalibrationError(probs, table.values, K, k, found));
  const replicates = options.replicates ?? 1000;
  const boot = bootstrapMeans(table.names, table.values, pred, replicates);
  let byPerson: EvalReport['byPerson'] = null;
  if (src.identityFile) {
    const ids = await readIdentityFile(src.identityFile);
    const person = table.files.map((f) => {
      const id = ids.get(f);
      if (id === undefined) throw new Error(`${src.identityFile}: no identity for ${f}`);
      return id;
    });
    const b = bootstrapMeans(table.names, table.values, pred, replicates, 1, person);
    byPerson = { people: new Set(person).size, meanAccuracy: b.accuracy, meanBalancedAccuracy: b.balancedAccuracy };
  }
  const subgroups: SubgroupMetrics[] = [];
  for (const attr of ['Male', 'Young']) {
    const k = table.names.indexOf(attr);
    for (const value of [1, 0]) {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (table.values[i * K + k] === value) rows.push(i);
      if (rows.length === 0) continue;
      const m = scoreAttributes(table.names, table.values, pred, rows);
      subgroups.push({ group: value ? attr : `not ${attr}`, n: rows.length, meanAccuracy: meanOf(m, 'accuracy'), meanBalancedAccuracy: meanOf(m, 'balancedAccuracy'), perAttribute: m });
    }
  }
  return {
    source: src, n, missed: missedFiles.length, missedFiles, unreadable, perAttribute,
    meanAccuracy: boot.accuracy, meanBalancedAccuracy: boot.balancedAccuracy, meanBaseline: meanOf(perAttribute, 'baseline'), byPerson,
    ece, meanEce: ece.reduce((s, v) => s + v, 0) / ece.length,
    subgroups, seconds: (Date.now() - t0) / 1000,
  };
}
