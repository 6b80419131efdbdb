/**
 * `facetally sample`: draw a seeded random sample of faces per group for hand labelling and write the labelling
 * folder: `to-label.csv`, the aligned crops and a context picture of each face.
 *
 * File contract (the web app's labelling view reads and writes the same CSV):
 * - `OUT/to-label.csv`: header `path,face,group,crop,context,` then the chosen attributes in CelebA order; one row
 *   per sampled face; `path` exactly as in the photo record (so `compare --validation-labels` matches it like
 *   `--results` records), `face` the 0-based index into that record's faces, `group` the group's name, `crop` and
 *   `context` paths relative to OUT, attribute cells empty (to be filled with 1 / 0, blank = not labelled).
 * - `OUT/crops/000001.png`: the aligned 178x218 crop of row 1 (the crop the attribute model saw), numbered by row.
 * - `OUT/context/000001.jpg`: the photo around the face with its box drawn, at most 512 px a side.
 * - `OUT/sample.json`: seed, faces and sampled faces per group (for the record); `OUT/tags.jsonl` when the
 *   models were run here (reuse it with `compare --results`).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { UsageError } from '../analysis/inputs.js';
import { drawLabellingSample, type SampleUnit } from '../analysis/sample.js';
import { alignFace } from '../align/index.js';
import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { decodeImageFile, type RgbImage } from '../image/decode.js';
import { collectGroupRecords, refuseOutputInGroups, type Tagger } from '../report/records.js';
import type { Face } from '../types.js';
import { csvField } from './csv.js';
import { outputFolderProblem } from './out-dir.js';
import { readdirSync } from 'node:fs';

/** Options of {@link runSample}. */
export interface SampleOptions {
  folders: string[];
  manifest?: string;
  results?: string;
  tagger?: Tagger;
  /** Faces per group (default 150); a group with fewer is taken whole. */
  perGroup?: number;
  seed?: number;
  /** Attributes to label (default all 40); written in CelebA order. */
  attributes?: readonly string[];
  /** Faces with a detector score below this are not sampled (default 0), as `compare --min-score`. */
  minScore?: number;
  out: string;
  /** Write into a non-empty folder (default false: refused). */
  overwrite?: boolean;
  /** Pixel limit passed to the decoder when crops are cut (default: the decoder's). */
  maxPixels?: number;
  log?: (message: string) => void;
}

/** What {@link runSample} returns. */
export interface SampleOutcome {
  /** Rows written, in file order. */
  rows: (SampleUnit & { crop: string; context: string })[];
  /** Faces available and sampled, per group. */
  groups: { group: string; faces: number; sampled: number }[];
  /** 0 every photo read; 2 some photos unreadable or missing from the results (their faces cannot be sampled). */
  exitCode: 0 | 2;
  /** Photos of the groups that could not be read (no faces sampled from them). */
  unreadable: number;
  /** Manifest photos without a record in `--results`. */
  missing: number;
}

/** Longest side of a context picture, in pixels. */
export const CONTEXT_MAX_SIDE = 512;

/**
 * Parse `--attributes`: comma-separated CelebA names (any order); returns them in CelebA order.
 * @throws UsageError naming an unknown attribute
 */
export function parseAttributeList(list: string | undefined): string[] {
  if (list === undefined || list.trim() === '') return [...CELEBA_ATTRIBUTES];
  const asked = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of asked) {
    if (!(CELEBA_ATTRIBUTES as readonly string[]).includes(a)) throw new UsageError(`--attributes: "${a}" is not one of the 40 CelebA attributes (e.g. Smiling, Eyeglasses)`);
  }
  return CELEBA_ATTRIBUTES.filter((a) => asked.includes(a));
}

/**
 * Draw the sample and write the labelling folder (see the module comment for the file contract).
 * @throws UsageError for input mistakes (as compare's), for an output folder that is a group folder or lies inside
 *   one (or is the folder of a manifest photo), and for an output folder that is non-empty (without
 *   `overwrite`), a file, or not writable — all checked before any photo is tagged
 */
export async function runSample(o: SampleOptions): Promise<SampleOutcome> {
  const log = o.log ?? (() => {});
  const perGroup = o.perGroup ?? 150;
  const seed = o.seed ?? 1;
  const minScore = o.minScore ?? 0;
  const attributes = o.attributes ? CELEBA_ATTRIBUTES.filter((a) => o.attributes!.includes(a)) : [...CELEBA_ATTRIBUTES];
  if (attributes.length === 0) throw new UsageError('--attributes: no attribute chosen');
  // First: a group folder is never "not empty, add --overwrite"; crops written there would become its photos.
  refuseOutputInGroups(o.out, o);
  let entries: string[] = [];
  try {
    entries = readdirSync(o.out);
  } catch {
    entries = [];
  }
  if (entries.length > 0 && !o.overwrite) {
    throw new UsageError(`--out ${o.out} is not empty (${entries.length} entries, e.g. ${entries[0]}); a labelling folder may hold labels already. Add --overwrite to write into it anyway, or give another folder`);
  }
  const problem = outputFolderProblem(o.out);
  if (problem) throw new UsageError(`--out ${o.out}: ${problem}`);

  const { groups, assigned, missing, tagged } = await collectGroupRecords({ folders: o.folders, manifest: o.manifest, results: o.results, tagger: o.tagger, log });
  const units: SampleUnit[] = [];
  const faceOf = new Map<string, Face>();
  const available = new Map(groups.map((g) => [g, 0]));
  let unreadable = 0;
  for (const { photo, assignment } of assigned) {
    if (photo.error) {
      unreadable++;
      continue;
    }
    photo.faces.forEach((f, i) => {
      if (typeof f.score === 'number' && f.score < minScore) return;
      units.push({ path: photo.path, face: i, group: assignment.group });
      faceOf.set(`${i}\u0000${photo.path}`, f);
      available.set(assignment.group, (available.get(assignment.group) ?? 0) + 1);
    });
  }
  if (units.length === 0) throw new UsageError('no faces to sample: no photo in the groups has a face');
  const chosen = drawLabellingSample(units, perGroup, seed);
  const sampled = new Map(groups.map((g) => [g, 0]));
  for (const u of chosen) sampled.set(u.group, (sampled.get(u.group) ?? 0) + 1);
  for (const g of groups) if ((available.get(g) ?? 0) === 0) log(`warning: group "${g}" has no faces to sample`);
  log(`sampling ${chosen.length} faces: ${groups.map((g) => `${g} ${sampled.get(g)} of ${available.get(g)}`).join(', ')}`);

  mkdirSync(join(o.out, 'crops'), { recursive: true });
  mkdirSync(join(o.out, 'context'), { recursive: true });
  // Decode each photo once, however many of its faces were drawn.
  const order = chosen.map((u, i) => ({ u, i })).sort((a, b) => (a.u.path < b.u.path ? -1 : a.u.path > b.u.path ? 1 : a.i - b.i));
  const rows: SampleOutcome['rows'] = new Array(chosen.length);
  let image: RgbImage | null = null;
  let imagePath = '';
  let done = 0;
  for (const { u, i } of order) {
    if (u.path !== imagePath) {
      try {
        image = await decodeImageFile(resolve(u.path), { maxPixels: o.maxPixels });
      } catch (err) {
        throw new UsageError(`cannot read ${u.path} to cut its face (${(err as Error).message}); run sample from the folder where tag was run, so the record paths resolve`);
      }
      imagePath = u.path;
    }
    const face = faceOf.get(`${u.face}\u0000${u.path}`) as Face;
    const name = String(i + 1).padStart(6, '0');
    const crop = `crops/${name}.png`;
    const context = `context/${name}.jpg`;
    const aligned = alignFace(image as RgbImage, face).crop;
    await sharp(aligned.data, { raw: { width: aligned.width, height: aligned.height, channels: 3 } }).png().toFile(join(o.out, crop));
    await writeContext(image as RgbImage, face, join(o.out, context));
    rows[i] = { ...u, crop, context };
    if (++done % 25 === 0) log(`${done}/${chosen.length} faces cut`);
  }

  const header = ['path', 'face', 'group', 'crop', 'context', ...attributes];
  const lines = [header.join(',')];
  for (const r of rows) lines.push([csvField(r.path), r.face, csvField(r.group), r.crop, r.context, ...attributes.map(() => '')].join(','));
  writeFileSync(join(o.out, 'to-label.csv'), lines.join('\n') + '\n');
  const groupSummary = groups.map((g) => ({ group: g, faces: available.get(g) ?? 0, sampled: sampled.get(g) ?? 0 }));
  writeFileSync(
    join(o.out, 'sample.json'),
    JSON.stringify({ format: 'facetally-sample/1', seed, perGroup, minScore, attributes, groups: groupSummary, unreadablePhotos: unreadable, missingPhotos: missing.length }, null, 1) + '\n',
  );
  if (tagged) writeFileSync(join(o.out, 'tags.jsonl'), assigned.map((a) => JSON.stringify(a.photo)).join('\n') + '\n');
  return { rows, groups: groupSummary, exitCode: unreadable > 0 || missing.length > 0 ? 2 : 0, unreadable, missing: missing.length };
}

/**
 * The photo around a face with its box drawn, as JPEG: a square of 3x the box's longer side centred on the box
 * (clipped to the photo), scaled so that its longer side is at most {@link CONTEXT_MAX_SIDE} (and at least 256
 * px, so a small photo is still easy to see).
 */
async function writeContext(image: RgbImage, face: Face, file: string): Promise<void> {
  const b = face.box;
  const side = 3 * Math.max(b.width, b.height);
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2;
  const left = Math.max(0, Math.floor(cx - side / 2));
  const top = Math.max(0, Math.floor(cy - side / 2));
  const right = Math.min(image.width, Math.ceil(cx + side / 2));
  const bottom = Math.min(image.height, Math.ceil(cy + side / 2));
  const w = Math.max(1, right - left);
  const h = Math.max(1, bottom - top);
  const longer = Math.max(w, h);
  const scale = Math.min(CONTEXT_MAX_SIDE, Math.max(256, longer)) / longer;
  const W = Math.max(1, Math.min(CONTEXT_MAX_SIDE, Math.round(w * scale)));
  const H = Math.max(1, Math.min(CONTEXT_MAX_SIDE, Math.round(h * scale)));
  const sx = W / w;
  const sy = H / h;
  const stroke = Math.max(2, Math.round(Math.max(W, H) / 200));
  const rect = `<rect x="${((b.x - left) * sx).toFixed(1)}" y="${((b.y - top) * sy).toFixed(1)}" width="${(b.width * sx).toFixed(1)}" height="${(b.height * sy).toFixed(1)}" fill="none" stroke="#ffea00" stroke-width="${stroke}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${rect}</svg>`;
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width: w, height: h })
    .resize(W, H, { fit: 'fill' })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toFile(file);
}
