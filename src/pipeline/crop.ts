import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import sharp from 'sharp';
import type { Box, FaceQuality, HeadPose, PhotoError } from '../types.js';
import { formatExclusion, qualityExclusions, type QualityRule } from '../quality/filter.js';
import { roundDetection } from './records.js';
import { listPhotos } from './files.js';
import { outputFolderProblem } from './out-dir.js';
import { refuseOutputFolderInInputs } from './output.js';
import { errorRecord, Tagger, type TagOptions } from './tag.js';

/** One line of `crops.jsonl`: which crop came from which photo and face (0 = highest detector score). */
export interface CropManifestLine {
  /** Crop PNG path relative to the output folder. */
  crop: string;
  /** The photo path as listed. */
  source: string;
  /** Index of the face in the photo (0 = highest detector score): the index into `faces` of `tag`'s record. */
  face: number;
  /** Detector confidence in [0, 1], rounded to 1e-4 as in `tag`. */
  score: number;
  /** The face box in pixels of the oriented photo, rounded to 0.01 px as in `tag` (joins a crop to its record). */
  box: Box;
  /** Head pose in degrees (see docs/quality.md). */
  pose: HeadPose;
  /** Quality of the face (see docs/quality.md). */
  quality: FaceQuality;
}

/** Options of {@link cropFiles}. */
export interface CropOptions extends TagOptions {
  /** Process only photos whose listing index i has i % count === index (for running several processes). */
  shard?: { index: number; count: number };
  /** Called after each photo. */
  onPhoto?: (info: { path: string; faces: number; error: PhotoError | null }) => void;
  /**
   * Quality filters: faces that fail get no crop and a line in `excluded.jsonl` (`{"source", "face", "score", "pose",
   * "quality", "excluded": [reasons]}`) instead of `crops.jsonl`.
   */
  quality?: QualityRule;
  /**
   * Start the manifest and error list again when `outDir` already holds non-empty ones from an earlier run (its
   * crops of the same names are replaced, others stay). Default false: such a folder is refused.
   */
  overwrite?: boolean;
}

/**
 * The crop file name for face `face` of a photo: its path relative to the input root (the file's own name when
 * the input was a file), with `__face<i>.png` appended, e.g. `sub/IMG_1.jpg__face0.png`.
 */
export function cropName(path: string, root: string, face: number): string {
  return faceFile(cropStem(path, root), face);
}

/** A photo's path relative to its input root, or its own name when the input was the file itself. */
const cropStem = (path: string, root: string): string => (path === root ? basename(path) : relative(root, path));

/** `stem` (see {@link cropStem}, possibly with a `~k` suffix) + `__face<i>.png`. */
const faceFile = (stem: string, face: number): string => `${stem}__face${face}.png`;

/**
 * Write the canonical 178x218 crop of every face of every photo as PNG under `outDir`, and append one line per
 * crop to `outDir/crops.jsonl` (see {@link CropManifestLine}); errors go to `outDir/errors.jsonl`. Crops are named
 * by {@link cropName}; when two input roots hold the same relative path, the later photo's crops get `~2`, `~3`, …
 * after the photo name (`p.png~2__face0.png`), so no crop is overwritten.
 * Runs exactly the decode → detect → align code that `tag` runs.
 * @returns counts of photos, faces cropped, photos with errors, and faces left out by the quality rule.
 * @throws Error naming the path, before any model loads or file is written, when `outDir` is a file, is an input
 * folder or lies inside one (or is the folder of an input photo; see refuseOutputFolderInInputs), or holds a
 * non-empty manifest or error list of an earlier run and `overwrite` is not set (nothing already written is lost),
 * or cannot be created or written (permission denied, read-only file system, a file in the path).
 */
export async function cropFiles(inputs: readonly string[], outDir: string, options: CropOptions = {}): Promise<{ photos: number; faces: number; errors: number; excluded: number }> {
  const suffix = options.shard && options.shard.count > 1 ? `.shard${options.shard.index}` : '';
  const manifest = join(outDir, `crops${suffix}.jsonl`);
  const errorsFile = join(outDir, `errors${suffix}.jsonl`);
  const excludedFile = join(outDir, `excluded${suffix}.jsonl`);
  const outStat = await stat(outDir).catch(() => null);
  if (outStat && !outStat.isDirectory()) throw new Error(`--out ${outDir} is a file; give a folder for the crops`);
  // Crops and manifests written among the photos would be cropped again as photos by the next run.
  refuseOutputFolderInInputs(outDir, inputs);
  for (const f of options.quality ? [manifest, errorsFile, excludedFile] : [manifest, errorsFile]) {
    const st = await stat(f).catch(() => null);
    if (st && st.size > 0 && !options.overwrite) {
      throw new Error(`${f} already exists (${st.size} bytes) from an earlier crop run; add --overwrite to start its manifest again (crops of the same names are replaced), or give another --out folder`);
    }
  }
  // Before any model loads: a folder that cannot be created or written is refused in plain words.
  const problem = outputFolderProblem(outDir);
  if (problem) throw new Error(`--out ${outDir}: ${problem}`);
  const tagger = await Tagger.create(options, false);
  try {
    await mkdir(outDir, { recursive: true });
    await writeFile(manifest, '');
    await writeFile(errorsFile, '');
    if (options.quality) await writeFile(excludedFile, '');
    let photos = 0, faces = 0, errors = 0, excluded = 0, i = -1;
    // Photos of different input roots can have the same relative path (`a/p.png`, `b/p.png` -> `p.png`): the
    // second and later get `~2`, `~3`, ... so that no crop overwrites another (the manifest names the source).
    const stemOwner = new Map<string, string>();
    const uniqueStem = (path: string, root: string): string => {
      const stem = cropStem(path, root);
      for (let k = 1; ; k++) {
        const candidate = k === 1 ? stem : `${stem}~${k}`;
        const owner = stemOwner.get(candidate);
        if (owner === undefined) stemOwner.set(candidate, path);
        if (owner === undefined || owner === path) return candidate;
      }
    };
    for await (const item of listPhotos(inputs)) {
      i++;
      if (options.shard && i % options.shard.count !== options.shard.index) continue;
      photos++;
      let error: PhotoError | null = item.problem ?? null;
      let n = 0;
      if (!error) {
        try {
          const det = await tagger.detectFile(item.path);
          const lines: string[] = [];
          const left: string[] = [];
          const stem = det.faces.length ? uniqueStem(item.path, item.root) : '';
          for (const [k, f] of det.faces.entries()) {
            const measured = await tagger.measureFace(det.image, f);
            const score = Math.round(f.detection.score * 1e4) / 1e4;
            const why = options.quality ? qualityExclusions(measured, options.quality) : [];
            if (why.length) {
              left.push(JSON.stringify({ source: item.path, face: k, score, ...measured, excluded: why.map(formatExclusion) }));
              continue;
            }
            const name = faceFile(stem, k);
            const file = join(outDir, name);
            await mkdir(dirname(file), { recursive: true });
            const c = f.aligned.crop;
            await sharp(c.data, { raw: { width: c.width, height: c.height, channels: 3 } }).png().toFile(file);
            const d = roundDetection(f.detection);
            const line: CropManifestLine = { crop: name, source: item.path, face: k, score: d.score, box: d.box, ...measured };
            lines.push(JSON.stringify(line));
          }
          if (lines.length) await appendFile(manifest, lines.join('\n') + '\n');
          if (left.length) await appendFile(excludedFile, left.join('\n') + '\n');
          n = lines.length;
          excluded += left.length;
        } catch (err) {
          error = errorRecord(item.path, err).error;
        }
      }
      if (error) {
        errors++;
        await appendFile(errorsFile, JSON.stringify({ path: item.path, error }) + '\n');
      }
      faces += n;
      options.onPhoto?.({ path: item.path, faces: n, error });
    }
    return { photos, faces, errors, excluded };
  } finally {
    await tagger.close();
  }
}
