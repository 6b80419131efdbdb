import { statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_DETECT_OPTIONS } from '../detect/blazeface.js';
import { DEFAULT_QUALITY_RULE, describeRule, type QualityRule } from '../quality/filter.js';

/** commander parser for a number in [0, 1]. */
export function parseUnit(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1] but received "${v}"`);
  return n;
}

/** commander parser for a positive number. */
export function parsePositive(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a positive number but received "${v}"`);
  return n;
}

/** commander parser for a positive integer. */
export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer but received "${v}"`);
  return n;
}

/** commander parser for an integer >= 0. */
export function parseNonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || v.trim() === '') throw new InvalidArgumentError(`expected an integer >= 0 but received "${v}"`);
  return n;
}

/**
 * Add the detector/decoder options every photo-processing command shares (`--score-threshold`, `--min-face`,
 * `--max-pixels`, `--model`, `--threads`). Lives here, not in main.ts, so commands need not import the program
 * that imports them. `hideModel`: keep `--model` out of `--help` (commands that run no attribute model, like
 * `crop`, still accept the option only to refuse it with a plain reason).
 */
export function addPipelineOptions(cmd: Command, o: { hideModel?: boolean } = {}): Command {
  return cmd
    .addOption(new Option('--score-threshold <p>', 'minimum face detector confidence, 0..1 (below 0.05 acts as 0.05)').argParser(parseUnit).default(DEFAULT_DETECT_OPTIONS.scoreThreshold))
    .addOption(new Option('--min-face <px>', 'smallest face side to search for, in photo pixels (smaller = slower)').argParser(parsePositive).default(DEFAULT_DETECT_OPTIONS.minFaceSize))
    .addOption(new Option('--max-pixels <megapixels>', 'refuse photos larger than this many megapixels').argParser(parsePositive).default(100))
    .addOption(new Option('--model <dir>', 'attribute model folder (attributes.json + ONNX); default: the shipped model').hideHelp(!!o.hideModel))
    .addOption(new Option('--threads <n>', 'onnxruntime threads per model').argParser(parsePositiveInt).default(1));
}

/** The quality filters' CLI options (tag, compare, crop); see {@link addQualityOptions}. */
export interface QualityCliOptions extends QualityRule {
  quality?: string;
}

/**
 * Add the quality filters: `--quality default|none`, `--min-eye-distance PX`, `--min-sharpness S`, `--max-yaw DEG`, `--max-roll DEG`,
 * `--min-brightness B`, `--max-brightness B` (see `src/quality/filter.ts` and docs/quality.md). `what` says what
 * happens to a face left out.
 */
export function addQualityOptions(cmd: Command, what: string): Command {
  return cmd
    .addOption(new Option('--quality <rule>', `quality rule: "default" = the measured rule (${describeRule(DEFAULT_QUALITY_RULE)}, see docs/quality.md); explicit bounds below replace its own`).choices(['default', 'none']))
    .addOption(new Option('--min-eye-distance <px>', `leave out faces whose eyes are fewer than PX photo pixels apart (${what})`).argParser(parsePositive))
    .addOption(new Option('--min-sharpness <s>', `leave out faces less sharp than S (Laplacian variance / intensity variance on the aligned crop, 0-64; ${what})`).argParser(parsePositive))
    .addOption(new Option('--max-yaw <deg>', `leave out faces turned more than DEG degrees left or right (${what})`).argParser(parseYaw))
    .addOption(new Option('--max-roll <deg>', `leave out faces turned more than DEG degrees in the photo plane (${what})`).argParser(parseRoll))
    .addOption(new Option('--min-brightness <b>', `leave out faces darker than B (mean gray level 0-1; ${what})`).argParser(parseUnit))
    .addOption(new Option('--max-brightness <b>', `leave out faces brighter than B (mean gray level 0-1; ${what})`).argParser(parseUnit));
}

/** commander parser for a roll bound in degrees, (0, 180]. */
export function parseRoll(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 180)) throw new InvalidArgumentError(`expected degrees in (0, 180] but received "${v}"`);
  return n;
}

/** commander parser for a yaw bound in degrees, (0, 90]. */
export function parseYaw(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 90)) throw new InvalidArgumentError(`expected degrees in (0, 90] but received "${v}"`);
  return n;
}

/** Options shared by every command that runs the detector. */
export interface PipelineCliOptions {
  scoreThreshold: number;
  minFace: number;
  maxPixels: number;
  model?: string;
  threads?: number;
}

/** Map CLI option names to the library's TagOptions. */
export function toTagOptions(o: PipelineCliOptions) {
  return { scoreThreshold: o.scoreThreshold, minFaceSize: o.minFace, maxPixels: o.maxPixels * 1e6, modelDir: o.model, threads: o.threads };
}

/**
 * Nothing already written is lost: refuse an `--out` path that is a folder, and an existing file unless `replace`
 * (`allowEmpty`: an existing empty file is fine too, and the message gives the size).
 * @param remedy what the user can add to go on, e.g. "add --overwrite to replace it".
 * @throws Error naming the path.
 */
export function refuseExistingOutput(path: string, o: { replace?: boolean; remedy: string; allowEmpty?: boolean }): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return; // missing (or unreadable: opening it for writing reports that)
  }
  if (st.isDirectory()) throw new Error(`--out ${path} is a folder; give a file name`);
  if (o.replace || (o.allowEmpty && st.size === 0)) return;
  throw new Error(`${path} already exists${o.allowEmpty ? ` (${st.size} bytes)` : ''}; ${o.remedy}`);
}

/** `count` and the noun, singular for 1 (`plural(1, 'photo')` = "1 photo", `plural(3, 'face')` = "3 faces"). */
/**
 * The sentence that goes with exit code 2 (compare, sample, crop): "1 photo could not be read", "3 photos could not
 * be read and 2 had no record", "2 photos had no record". `missing` counts photos listed (manifest) but absent from
 * `--results`. Empty string when both are 0.
 */
export function unreadableSentence(unreadable: number, missing = 0): string {
  if (unreadable > 0 && missing > 0) return `${plural(unreadable, 'photo')} could not be read and ${missing} had no record`;
  if (unreadable > 0) return `${plural(unreadable, 'photo')} could not be read`;
  if (missing > 0) return `${plural(missing, 'photo')} had no record`;
  return '';
}

export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
