/**
 * Provenance of `tag` output: which facetally, which models (by content hash) and which result-changing settings
 * made a record, so that a file never silently mixes two settings or two models (`--resume` refuses such a
 * continuation) and a report can say what it was computed from. See docs/output.md.
 *
 * To add a setting that changes results (e.g. a quality filter), append one entry to {@link RESULT_SETTINGS}:
 * it then appears in every record, in the CSV columns, in `--resume`'s check and in `compare`'s report.
 */
import { describeRule, type QualityRule } from '../quality/filter.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DEFAULT_MODEL_DIR } from '../attributes/load-node.js';
import { DEFAULT_DETECT_OPTIONS } from '../detect/index.js';
import { blazefaceModelPaths, detectorBackPath } from '../detect/load-node.js';
import { DEFAULT_MAX_PIXELS } from '../image/decode.js';
import { FACETALLY_VERSION } from '../version.js';
import type { TagOptions } from './tag.js';

/** A setting value as written in the output. */
export type SettingValue = number | string | boolean | null;

/** One setting that changes results. */
export interface ResultSetting {
  /** Key in `provenance.settings` and CSV column name (snake_case). */
  key: string;
  /** The command-line flag that sets it, or null for a library-only option. Used in messages. */
  flag: string | null;
  /** Its value for these options, in the flag's units (defaults resolved). */
  read(options: ProvenanceOptions): SettingValue;
}

/** The pipeline's options plus the `tag` command's quality rule (it marks faces "excluded", so it changes results). */
export type ProvenanceOptions = TagOptions & { quality?: QualityRule };

/**
 * Every setting that changes `tag` results, in output order. Values are in the command line's units
 * (`max_pixels` in megapixels), so the provenance reads like the command that made it.
 */
export const RESULT_SETTINGS: ResultSetting[] = [
  { key: 'score_threshold', flag: '--score-threshold', read: (o) => o.scoreThreshold ?? DEFAULT_DETECT_OPTIONS.scoreThreshold },
  { key: 'min_face', flag: '--min-face', read: (o) => o.minFaceSize ?? DEFAULT_DETECT_OPTIONS.minFaceSize },
  { key: 'max_pixels', flag: '--max-pixels', read: (o) => (o.maxPixels ?? DEFAULT_MAX_PIXELS) / 1e6 },
  { key: 'verify_threshold', flag: null, read: (o) => o.verifyThreshold ?? DEFAULT_DETECT_OPTIONS.verifyThreshold },
  { key: 'iou_threshold', flag: null, read: (o) => o.iouThreshold ?? DEFAULT_DETECT_OPTIONS.iouThreshold },
  // The quality filters as the options that set them (e.g. "--min-eye-distance 14 --max-yaw 30"), or null for none.
  { key: 'quality_rule', flag: 'quality rule:', read: (o) => (o.quality ? describeRule(o.quality) : null) },
];

/**
 * What made a record: written as the `provenance` field of every `tag` JSON record (its last field) and as the
 * last columns of every CSV row.
 * - `facetally`: the package version.
 * - `model`: the attribute model folder's name; `model_sha256` / `thresholds_sha256`: the first 16 hex digits
 *   of the SHA-256 of its ONNX file and of its `attributes.json` (thresholds, temperatures), i.e.
 *   `sha256sum FILE | cut -c1-16`.
 * - `detector_sha256`: the same for the BlazeFace ONNX files that run (the full-range one, int8 or float, then the
 *   short-range one, hashed together).
 * - `settings`: {@link RESULT_SETTINGS} → value.
 * - `cwd`: the working directory that relative `path`s are relative to (lets `--resume` match them from
 *   anywhere); not compared by {@link provenanceDifferences}.
 */
export interface Provenance {
  facetally: string;
  model: string;
  model_sha256: string;
  thresholds_sha256: string;
  detector_sha256: string;
  settings: Record<string, SettingValue>;
  cwd: string;
}

/** First 16 hex digits of the SHA-256 of the files' bytes, in order (streamed). @throws the fs error. */
export async function shortFileHash(...paths: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const p of paths) {
    for await (const chunk of createReadStream(p)) h.update(chunk as Buffer);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The provenance of a run with `options` (hashes the model files once: the attribute model's ONNX file, 5 MB for v3 and up to ~25 MB for a larger model, and the detector's).
 * @throws Error naming the file when a model file cannot be read.
 */
export async function runProvenance(options: ProvenanceOptions = {}, cwd: string = process.cwd()): Promise<Provenance> {
  const modelDir = resolve(options.modelDir ?? DEFAULT_MODEL_DIR);
  const sidecarPath = join(modelDir, 'attributes.json');
  let onnx: string;
  try {
    onnx = (JSON.parse(await readFile(sidecarPath, 'utf8')) as { model: string }).model;
  } catch (err) {
    throw new Error(`${sidecarPath}: cannot read the attribute model sidecar (${(err as Error).message})`);
  }
  const bf = blazefaceModelPaths();
  const [model_sha256, thresholds_sha256, detector_sha256] = await Promise.all([
    shortFileHash(join(modelDir, onnx)),
    shortFileHash(sidecarPath),
    shortFileHash(detectorBackPath(options.detectorPrecision), bf.front),
  ]);
  return {
    facetally: FACETALLY_VERSION,
    model: basename(modelDir),
    model_sha256,
    thresholds_sha256,
    detector_sha256,
    settings: Object.fromEntries(RESULT_SETTINGS.map((s) => [s.key, s.read(options)])),
    cwd,
  };
}

/** How a setting reads in a message: `--min-face 32` (or `verify_threshold 0.5` for a library-only option). */
function describeSetting(key: string, value: SettingValue | undefined): string {
  const flag = RESULT_SETTINGS.find((s) => s.key === key)?.flag;
  const v = value === undefined ? '(not recorded)' : String(value);
  return flag ? `${flag} ${v}` : `${key} ${v}`;
}

/**
 * The differences that make two provenances incompatible in one file: version, model and detector hashes,
 * and every setting (`cwd` is ignored). Each is a phrase "X: A in the file, B now".
 * @returns [] when they match.
 */
export function provenanceDifferences(file: Provenance, now: Provenance): string[] {
  const out: string[] = [];
  if (file.facetally !== now.facetally) out.push(`facetally ${file.facetally} in the file, ${now.facetally} now`);
  if (file.model !== now.model || file.model_sha256 !== now.model_sha256) {
    out.push(`attribute model ${file.model} (${file.model_sha256}) in the file, ${now.model} (${now.model_sha256}) now`);
  }
  if (file.thresholds_sha256 !== now.thresholds_sha256) out.push(`model thresholds (attributes.json ${file.thresholds_sha256}) in the file, ${now.thresholds_sha256} now`);
  if (file.detector_sha256 !== now.detector_sha256) out.push(`face detector ${file.detector_sha256} in the file, ${now.detector_sha256} now`);
  const keys = new Set([...Object.keys(file.settings ?? {}), ...Object.keys(now.settings)]);
  for (const k of keys) {
    const a = file.settings?.[k], b = now.settings[k];
    if (a !== b) out.push(`${describeSetting(k, a)} in the file, ${describeSetting(k, b)} now`);
  }
  return out;
}

/** The CSV columns of the provenance, in order (after the record's columns). */
export function provenanceCsvHeader(): string[] {
  return ['facetally_version', 'model', 'model_sha256', 'thresholds_sha256', 'detector_sha256', ...RESULT_SETTINGS.map((s) => s.key)];
}

/** The provenance's CSV cells, in {@link provenanceCsvHeader}'s order (`cwd` is left out of CSV). */
export function provenanceCsvCells(p: Provenance): SettingValue[] {
  return [p.facetally, p.model, p.model_sha256, p.thresholds_sha256, p.detector_sha256, ...RESULT_SETTINGS.map((s) => p.settings[s.key] ?? null)];
}

/** A one-line human summary, e.g. `facetally 0.1.0, model celeba-attributes (3f2a…), --score-threshold 0.7, --min-face 32, …`. */
export function formatProvenance(p: Provenance): string {
  const settings = Object.entries(p.settings).map(([k, v]) => describeSetting(k, v));
  return `facetally ${p.facetally}, model ${p.model} (onnx ${p.model_sha256}, thresholds ${p.thresholds_sha256}), detector ${p.detector_sha256}, ${settings.join(', ')}`;
}
