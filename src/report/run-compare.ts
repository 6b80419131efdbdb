/**
 * `facetally compare` end to end: gather photo records (from `tag` results or by running the
 * models), assign groups, compare, and write compare.json, compare.csv, report.html and
 * charts/*.svg + *.png into the output folder.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareGroups, type CompareResult } from '../analysis/compare.js';
import { readManifest, toObservations, UsageError, type Assignment, type SecondFactor } from '../analysis/inputs.js';
import { readLabels, type LabelRow } from '../analysis/labels.js';
import type { PhotoResult } from '../types.js';
import type { ValidationCounts } from '../analysis/rogan-gladen.js';
import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { parseSidecar } from '../attributes/sidecar.js';
import type { Provenance } from '../pipeline/provenance.js';
import { qualitySection } from '../analysis/quality.js';
import { describeRule, type QualityRule } from '../quality/filter.js';
import { chartPlan } from './charts.js';
import { outputFolderProblem } from '../pipeline/out-dir.js';
import { collectGroupRecords, refuseOutputInGroups, type Tagger } from './records.js';
import { renderReport, type ReportChart } from './html.js';
import { renderSvg, svgToPng } from './render.js';
import { compareCsv, compareDocument, type CompareContext } from './tables.js';

export type { Tagger } from './records.js';

/** Options of {@link runCompare}; the CLI's options after parsing. */
export interface RunCompareOptions {
  /** Folders, one group each (named after the folder). */
  folders: string[];
  manifest?: string;
  results?: string;
  /** Manifest column for the second factor. */
  by?: string;
  /** Predicted attribute for the second factor. */
  splitByAttribute?: string;
  /** Leave out faces with a detector score below this (default 0). */
  minScore?: number;
  /** Quality filters (`--quality default`, `--min-eye-distance`, …); faces that fail them are left out and counted. */
  quality?: QualityRule;
  out: string;
  /** Replace the report of an earlier run in `out` (default false: such a folder is refused). */
  overwrite?: boolean;
  /** Model sidecar (attributes.json) for the correction; null = no correction. */
  sidecar: string | null;
  /** True when `sidecar` was chosen by the user (a missing file is then an error, not a note). */
  sidecarExplicit?: boolean;
  bootstrap?: number;
  seed?: number;
  alpha?: number;
  confidence?: number;
  /** Attributes in the "top differences" chart (default 10). */
  top?: number;
  /** Also write PNGs of the charts (default true). */
  png?: boolean;
  /** Runs the models when photos must be tagged (no --results). */
  tagger?: Tagger;
  /** Manifest column whose value is each photo's cluster (person, account, event): cluster bootstrap and tests. */
  cluster?: string;
  /** Hand labels of a random sample of faces per group (`--validation-labels`, see analysis/labels.ts): two-phase estimates. */
  validationLabels?: string;
  /** Progress and warnings (default: none). */
  log?: (message: string) => void;
  /** Warnings only, when they should reach the user although `log` is off (default: `log`). */
  warn?: (message: string) => void;
  version?: string;
}

/** What {@link runCompare} returns. */
export interface RunCompareOutcome {
  /** 0 all photos read; 2 some photos unreadable or missing from the results. */
  exitCode: 0 | 2;
  files: string[];
  result: CompareResult;
  context: CompareContext;
}

/**
 * Run the comparison and write its outputs. When it fails, an `--out` folder that this run created and left empty
 * is removed again (a refused run leaves nothing behind); a folder that existed, or holds anything, is kept.
 * @throws UsageError for bad usage (exit code 1 in the CLI); other errors are fatal too
 */
export async function runCompare(o: RunCompareOptions): Promise<RunCompareOutcome> {
  const existed = existsSync(o.out);
  try {
    return await compareAndWrite(o);
  } catch (err) {
    if (!existed) {
      try {
        if (readdirSync(o.out).length === 0) rmdirSync(o.out);
      } catch {
        // never created, or not removable: nothing to tidy
      }
    }
    throw err;
  }
}

async function compareAndWrite(o: RunCompareOptions): Promise<RunCompareOutcome> {
  const log = o.log ?? (() => {});
  const minScore = o.minScore ?? 0;
  if (o.by && o.splitByAttribute) throw new UsageError('use either --by or --split-by-attribute, not both');
  if (o.splitByAttribute && !(CELEBA_ATTRIBUTES as readonly string[]).includes(o.splitByAttribute)) {
    const near = CELEBA_ATTRIBUTES.find((a) => a.toLowerCase().replace(/[^a-z0-9]/g, '') === o.splitByAttribute!.toLowerCase().replace(/[^a-z0-9]/g, ''));
    throw new UsageError(`--split-by-attribute: expected one of the 40 CelebA attributes (e.g. Male) but received "${o.splitByAttribute}"${near ? `; did you mean ${near}?` : ''}`);
  }
  if (o.by && !o.manifest) throw new UsageError('--by needs --manifest (the column comes from the manifest)');
  if (o.manifest && o.folders.length) throw new UsageError('give either folders or --manifest, not both');
  if (!o.manifest && o.folders.length < 2) throw new UsageError('expected at least two folders (one per group), or --manifest FILE.csv');
  if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new UsageError(`--out ${o.out} is a file; give a folder for the report`);
  // Charts written among a group's photos would be read as photos of that group by the next run.
  refuseOutputInGroups(o.out, o);
  // Nothing already written is lost: an earlier report in the folder is replaced only when asked.
  const earlier = ['report.html', 'compare.json', 'compare.csv'].map((f) => join(o.out, f)).find((f) => existsSync(f));
  if (earlier && !o.overwrite) throw new UsageError(`${earlier} already exists from an earlier comparison; add --overwrite to replace that report, or give another --out folder`);
  // Checked before any photo is tagged: a folder that cannot be written fails now, in plain words, not after the work.
  const outProblem = outputFolderProblem(o.out);
  if (outProblem) throw new UsageError(`--out ${o.out}: ${outProblem}`);

  const factor: SecondFactor = o.by
    ? { kind: 'column', column: o.by }
    : o.splitByAttribute
      ? { kind: 'attribute', attribute: o.splitByAttribute }
      : { kind: 'none' };

  // Correction: the model sidecar's validation counts.
  let validation: Record<string, ValidationCounts> | null = null;
  let model: CompareContext['model'] = null;
  let correctionOff: string | null = null;
  if (o.sidecar === null) correctionOff = 'The misclassification correction was turned off (--no-correction)';
  else if (!existsSync(o.sidecar)) {
    if (o.sidecarExplicit) throw new UsageError(`model sidecar not found: ${o.sidecar}`);
    correctionOff = `No model sidecar was found at ${o.sidecar}`;
    log(`warning: ${correctionOff}; reporting raw prevalence only`);
  } else {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(o.sidecar, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read model sidecar ${o.sidecar}: ${(err as Error).message}`);
    }
    const sc = parseSidecar(json, o.sidecar);
    validation = sc.validation.per_attribute;
    model = { name: sc.model, sidecar: o.sidecar, validationSplit: sc.validation.split, validationN: sc.validation.n };
  }

  // Photo records and their groups.
  // The labels file is read (and its mistakes reported) before any photo is tagged.
  const labelFile = o.validationLabels ? readLabels(o.validationLabels) : null;
  // A --by or --cluster column that the manifest lacks is refused before any photo is tagged.
  if (o.cluster && !o.manifest) throw new UsageError('--cluster needs --manifest (the cluster, e.g. the person, is a manifest column)');
  if ((o.by || o.cluster) && o.manifest) {
    const manifest = readManifest(o.manifest);
    for (const [flag, col] of [['--by', o.by], ['--cluster', o.cluster]] as const) {
      if (col && !manifest.columns.includes(col)) throw new UsageError(`${flag} ${col}: no such column in ${o.manifest} (columns: ${manifest.columns.join(', ')})`);
    }
    if (o.cluster) {
      const empty = manifest.entries.find((e) => !e.columns[o.cluster as string]);
      if (empty) throw new UsageError(`${o.manifest}:${empty.line}: empty ${o.cluster} for ${empty.path}; --cluster ${o.cluster} needs a value for every photo (a photo alone may be its own cluster: give it a unique value)`);
    }
  }
  const { groups, assigned, missing, mode } = await collectGroupRecords({ folders: o.folders, manifest: o.manifest, results: o.results, tagger: o.tagger, log });
  // What made the records read from --results (shown in the report); null when the photos were tagged now.
  const resultsProvenance = o.results ? collectProvenance(assigned.map((a) => a.photo)) : null;

  const labelsOf = o.validationLabels && labelFile ? matchLabels(o.validationLabels, labelFile.rows, assigned, minScore) : undefined;
  const { faces, summary, measured } = toObservations(assigned, factor, minScore, groups, labelsOf, o.cluster, o.quality);
  if (o.quality) {
    for (const g of groups) {
      const lost = summary.qualityExcluded[g] ?? 0;
      if (lost) log(`quality rule: group "${g}" lost ${lost} face(s) (${Object.entries(summary.qualityExcludedBy[g] ?? {}).map(([f, n]) => `${f} ${n}`).join(', ')})`);
    }
  }
  const copies = identicalCopies(assigned);
  if (copies.copies > 0) {
    (o.warn ?? log)(
      `warning: ${copies.copies} photo(s) are byte-identical copies of another photo in the comparison (e.g. ${copies.example}), ` +
        `each counted again` + (copies.acrossGroups.length ? `; the same photo is in groups ${copies.acrossGroups.map(([a, b]) => `"${a}" and "${b}"`).join(', ')}` : '') +
        ' (`facetally tag` lists them in duplicate_of)',
    );
  }
  // A group without faces makes every comparison with it empty: worth a warning even when progress is quiet.
  for (const g of groups) if ((summary.faces[g] ?? 0) === 0) (o.warn ?? log)(`warning: group "${g}" has no faces (${summary.photos[g] ?? 0} photos)`);
  log(`comparing ${faces.length} faces in ${groups.length} groups`);
  const result = compareGroups(faces, {
    groups,
    factor: factor.kind === 'column' ? factor.column : factor.kind === 'attribute' ? factor.attribute : null,
    levels: factor.kind === 'attribute' ? [factor.attribute, `not ${factor.attribute}`] : undefined,
    validation,
    bootstrapReplicates: o.bootstrap,
    seed: o.seed,
    alpha: o.alpha,
    confidence: o.confidence,
    twoPhase: !!o.validationLabels,
    cluster: o.cluster ?? null,
  });

  const context: CompareContext = {
    mode,
    inputs: o.folders,
    manifest: o.manifest ?? null,
    results: o.results ?? null,
    validationLabels: o.validationLabels ?? null,
    secondFactor: factor.kind === 'column' ? { kind: 'column', name: factor.column } : factor.kind === 'attribute' ? { kind: 'attribute', name: factor.attribute } : null,
    minScore,
    model,
    correctionOff,
    summary,
    qualityRule: o.quality ? describeRule(o.quality) : null,
    quality: measured.length ? qualitySection(measured, groups) : null,
    missing,
    created: new Date().toISOString(),
    resultsProvenance,
    version: o.version ?? '0.1.0',
  };
  const files = await writeOutputs(result, context, o.out, o.top ?? 10, o.png ?? true);
  return { exitCode: summary.errors.length > 0 || missing.length > 0 ? 2 : 0, files, result, context };
}

/**
 * Attach hand labels to the faces they name. A label row's path is matched like a `--results` record (the same
 * file after resolving against the working directory).
 * @throws UsageError naming the labels file's line for a photo outside the compared groups (or unreadable), a
 *   face index that the photo lacks, a missing face index on a photo with several faces, a face left out by
 *   --min-score, or a group that disagrees with compare's group for that photo
 */
function matchLabels(file: string, rows: readonly LabelRow[], assigned: readonly { photo: PhotoResult; assignment: Assignment }[], minScore: number): (photo: PhotoResult, face: number) => Record<string, boolean> | undefined {
  const byPath = new Map<string, { photo: PhotoResult; group: string }>();
  for (const a of assigned) byPath.set(resolve(a.photo.path), { photo: a.photo, group: a.assignment.group });
  const labels = new Map<PhotoResult, Map<number, Record<string, boolean>>>();
  for (const r of rows) {
    const at = `${file}:${r.line}`;
    const hit = byPath.get(resolve(r.path));
    if (!hit) throw new UsageError(`${at}: ${r.path} is not a photo of the compared groups; labels must come from a sample of these groups (facetally sample with the same folders or manifest)`);
    const { photo, group } = hit;
    if (photo.error) throw new UsageError(`${at}: ${r.path} could not be read (${photo.error.message}), so its labels cannot be used`);
    if (r.group !== null && r.group !== group) throw new UsageError(`${at}: ${r.path} is labelled as group "${r.group}" but compare puts it in group "${group}"`);
    let face = r.face;
    if (face === null) {
      if (photo.faces.length !== 1) throw new UsageError(`${at}: ${r.path} has ${photo.faces.length} faces; give the face column (0-based index in the record) to say which is labelled`);
      face = 0;
    }
    if (face >= photo.faces.length) throw new UsageError(`${at}: ${r.path} has ${photo.faces.length} face(s) (0-based index) but the label is for face ${face}`);
    const score = photo.faces[face].score;
    if (typeof score === 'number' && score < minScore) throw new UsageError(`${at}: face ${face} of ${r.path} is left out by --min-score ${minScore} (score ${score}), so it is outside the comparison`);
    if (Object.keys(r.labels).length === 0) continue;
    const m = labels.get(photo) ?? new Map<number, Record<string, boolean>>();
    m.set(face, { ...(m.get(face) ?? {}), ...r.labels });
    labels.set(photo, m);
  }
  return (photo, face) => labels.get(photo)?.get(face);
}

/**
 * Write compare.json, compare.csv, charts/*.svg (+ .png) and report.html into `out` (created
 * if needed). @returns the paths written
 */
export async function writeOutputs(result: CompareResult, context: CompareContext, out: string, topK: number, png: boolean): Promise<string[]> {
  const chartDir = join(out, 'charts');
  mkdirSync(chartDir, { recursive: true });
  const files: string[] = [];
  const write = (path: string, data: string | Buffer) => {
    writeFileSync(path, data);
    files.push(path);
  };
  write(join(out, 'compare.json'), JSON.stringify(compareDocument(result, context), null, 1) + '\n');
  write(join(out, 'compare.csv'), compareCsv(result));

  const charts: ReportChart[] = [];
  for (const { id, title, spec } of chartPlan(result, topK)) {
    const svg = await renderSvg(spec);
    write(join(chartDir, `${id}.svg`), svg);
    write(join(chartDir, `${id}.vl.json`), JSON.stringify(spec) + '\n');
    const rel = [`charts/${id}.svg`];
    if (png) {
      write(join(chartDir, `${id}.png`), await svgToPng(svg));
      rel.push(`charts/${id}.png`);
    }
    charts.push({ id, title, svg, files: rel });
  }
  write(join(out, 'report.html'), renderReport(result, context, charts, topK));
  return files.map((f) => resolve(f));
}

/** The distinct provenances (without `cwd`) of `tag` records, in order of appearance, and the count of records without one. */
export function collectProvenance(photos: readonly PhotoResult[]): { provenances: Omit<Provenance, 'cwd'>[]; recordsWithout: number } {
  const seen = new Map<string, Omit<Provenance, 'cwd'>>();
  let recordsWithout = 0;
  for (const p of photos) {
    const prov = (p as { provenance?: Provenance }).provenance;
    if (!prov || typeof prov !== 'object') {
      recordsWithout++;
      continue;
    }
    const { cwd: _cwd, ...rest } = prov;
    const key = JSON.stringify(rest);
    if (!seen.has(key)) seen.set(key, rest);
  }
  return { provenances: [...seen.values()], recordsWithout };
}

/**
 * Byte-identical photos among the compared ones (same `sha256`; records without one are skipped): how many are
 * copies of an earlier one, one example "copy = original", and the pairs of groups that share a photo. Copies are
 * kept (a user may mean them), but counting a photo twice narrows every interval, so `compare` warns.
 */
export function identicalCopies(assigned: readonly { photo: { path: string; sha256?: string | null }; assignment: { group: string } }[]): {
  copies: number;
  example: string | null;
  acrossGroups: [string, string][];
} {
  const first = new Map<string, { path: string; group: string }>();
  const pairs = new Set<string>();
  let copies = 0;
  let example: string | null = null;
  for (const { photo, assignment } of assigned) {
    if (!photo.sha256) continue;
    const seen = first.get(photo.sha256);
    if (!seen) {
      first.set(photo.sha256, { path: photo.path, group: assignment.group });
      continue;
    }
    copies++;
    example ??= `${photo.path} = ${seen.path}`;
    if (seen.group !== assignment.group) pairs.add(JSON.stringify([seen.group, assignment.group].sort()));
  }
  return { copies, example, acrossGroups: [...pairs].map((k) => JSON.parse(k) as [string, string]) };
}
