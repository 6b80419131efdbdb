/**
 * `facetally compare` end to end: gather photo records (from `tag` results or by running the
 * models), assign groups, compare, and write compare.json, compare.csv, report.html and
 * charts/*.svg + *.png into the output folder.
 */

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareGroups, type CompareResult } from '../analysis/compare.js';
import {
  folderGroups,
  folderOf,
  ManifestIndex,
  readManifest,
  readResults,
  toObservations,
  UsageError,
  type Assignment,
  type SecondFactor,
} from '../analysis/inputs.js';
import type { ValidationCounts } from '../analysis/rogan-gladen.js';
import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { parseSidecar } from '../attributes/sidecar.js';
import type { PhotoResult } from '../types.js';
import { chartPlan } from './charts.js';
import { renderReport, type ReportChart } from './html.js';
import { renderSvg, svgToPng } from './render.js';
import { compareCsv, compareDocument, type CompareContext } from './tables.js';

/** Runs the models on photo paths; `tagFiles` from the pipeline, injectable for tests. */
export type Tagger = (inputs: string[]) => AsyncIterable<PhotoResult>;

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
 * Run the comparison and write its outputs.
 * @throws UsageError for bad usage (exit code 1 in the CLI); other errors are fatal too
 */
export async function runCompare(o: RunCompareOptions): Promise<RunCompareOutcome> {
  const log = o.log ?? (() => {});
  const minScore = o.minScore ?? 0;
  if (o.by && o.splitByAttribute) throw new UsageError('use either --by or --split-by-attribute, not both');
  if (o.splitByAttribute && !(CELEBA_ATTRIBUTES as readonly string[]).includes(o.splitByAttribute)) {
    throw new UsageError(`--split-by-attribute: expected one of the 40 CelebA attributes (e.g. Male) but received "${o.splitByAttribute}"`);
  }
  if (o.by && !o.manifest) throw new UsageError('--by needs --manifest (the column comes from the manifest)');
  if (o.manifest && o.folders.length) throw new UsageError('give either folders or --manifest, not both');
  if (!o.manifest && o.folders.length < 2) throw new UsageError('expected at least two folders (one per group), or --manifest FILE.csv');
  if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new UsageError(`--out ${o.out} is a file; give a folder for the report`);
  // Nothing already written is lost: an earlier report in the folder is replaced only when asked.
  const earlier = ['report.html', 'compare.json', 'compare.csv'].map((f) => join(o.out, f)).find((f) => existsSync(f));
  if (earlier && !o.overwrite) throw new UsageError(`${earlier} already exists from an earlier comparison; add --overwrite to replace that report, or give another --out folder`);

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
  let groups: string[];
  const assigned: { photo: PhotoResult; assignment: Assignment }[] = [];
  const missing: string[] = [];
  let mode: string;
  if (o.manifest) {
    const manifest = readManifest(o.manifest);
    if (o.by && !manifest.columns.includes(o.by)) {
      throw new UsageError(`--by ${o.by}: no such column in ${o.manifest} (columns: ${manifest.columns.join(', ')})`);
    }
    groups = [...new Set(manifest.entries.map((e) => e.group))];
    if (groups.length < 2) throw new UsageError(`${o.manifest}: expected at least two groups but found ${groups.length} (${groups.join(', ')})`);
    const index = new ManifestIndex(manifest);
    const found = new Set<string>();
    const photos = o.results ? readResults(o.results) : await tagAll(needTagger(o), index.photoPaths(), log);
    mode = o.results ? 'results+manifest' : 'manifest';
    let unlisted = 0;
    for (const photo of photos) {
      const e = index.find(photo.path);
      if (!e) {
        unlisted++;
        continue;
      }
      if (found.has(e.path)) continue; // the same photo twice in the results: count once
      found.add(e.path);
      assigned.push({ photo, assignment: { group: e.group, columns: e.columns } });
    }
    for (const e of manifest.entries) if (!found.has(e.path)) missing.push(e.path);
    if (assigned.length === 0) {
      throw new UsageError(`none of the ${manifest.entries.length} manifest paths matched a photo in ${o.results ?? 'the tagged photos'} (paths are matched after resolving against the manifest's folder or the working directory)`);
    }
    if (unlisted) log(`note: ${unlisted} photo record(s) not in the manifest were ignored`);
    if (missing.length) log(`warning: ${missing.length} manifest photo(s) have no record${o.results ? ` in ${o.results}` : ''}, e.g. ${missing.slice(0, 3).join(', ')}`);
  } else {
    const fg = folderGroups(o.folders);
    groups = fg.map((f) => f.group);
    if (o.results) {
      mode = 'results+folders';
      const folders = fg.map((f) => f.folder);
      for (const photo of readResults(o.results)) {
        const f = folderOf(photo.path, folders);
        if (f === undefined) continue;
        assigned.push({ photo, assignment: { group: fg[folders.indexOf(f)].group } });
      }
      if (assigned.length === 0) throw new UsageError(`no photo in ${o.results} lies inside the folders given`);
    } else {
      mode = 'folders';
      const tagger = needTagger(o);
      // The folders are tagged now: a mistyped one is a usage error, not an empty group.
      for (const f of o.folders) {
        if (!existsSync(f)) throw new UsageError(`${f}: folder not found`);
        if (!statSync(f).isDirectory()) throw new UsageError(`${f}: not a folder (give one folder per group, or --manifest)`);
      }
      for (const f of fg) {
        const photos = await tagAll(tagger, [f.folder], log, f.group);
        // A group folder without a single photo is a mistake (wrong folder, wrong extension), not an empty group.
        if (photos.length === 0) throw new UsageError(`${f.folder}: no photos found in this folder (group "${f.group}"); facetally reads JPEG, PNG, WebP, TIFF, GIF, HEIF/AVIF`);
        for (const photo of photos) assigned.push({ photo, assignment: { group: f.group } });
      }
    }
  }

  const { faces, summary } = toObservations(assigned, factor, minScore, groups);
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
  });

  const context: CompareContext = {
    mode,
    inputs: o.folders,
    manifest: o.manifest ?? null,
    results: o.results ?? null,
    secondFactor: factor.kind === 'column' ? { kind: 'column', name: factor.column } : factor.kind === 'attribute' ? { kind: 'attribute', name: factor.attribute } : null,
    minScore,
    model,
    correctionOff,
    summary,
    missing,
    created: new Date().toISOString(),
    version: o.version ?? '0.1.0',
  };
  const files = await writeOutputs(result, context, o.out, o.top ?? 10, o.png ?? true);
  return { exitCode: summary.errors.length > 0 || missing.length > 0 ? 2 : 0, files, result, context };
}

function needTagger(o: RunCompareOptions): Tagger {
  if (!o.tagger) throw new UsageError('running the models needs the pipeline; pass --results tags.jsonl to reuse facetally tag output');
  return o.tagger;
}

async function tagAll(tagger: Tagger, inputs: string[], log: (m: string) => void, label?: string): Promise<PhotoResult[]> {
  const out: PhotoResult[] = [];
  for await (const r of tagger(inputs)) {
    out.push(r);
    if (out.length % 50 === 0) log(`${label ? `${label}: ` : ''}${out.length} photos tagged`);
  }
  return out;
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
