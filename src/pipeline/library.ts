/**
 * The library's photo → record entry points, {@link tagFiles} and {@link tag}: the same records as `facetally tag`
 * writes as JSON lines (`sha256`, `duplicate_of`, `provenance`, listing order), on the same worker pool as the command
 * by default, or in the calling thread with `workers: 1`.
 */
import { listPhotos } from './files.js';
import { withProvenance, type OutputRecord } from './output.js';
import { defaultWorkers, markDuplicate, tagFilesParallel, type ParallelTagOptions } from './pool.js';
import { markExcluded, type QualityRule } from '../quality/filter.js';
import { runProvenance } from './provenance.js';
import { checkTagOptions, Tagger } from './tag.js';
import { tagPhotoHashed, withHash, type HashedRecord } from './worker.js';

/**
 * One record of {@link tagFiles}: a line of `facetally tag`'s JSON output — `path`, `sha256`, `duplicate_of`,
 * `width`, `height`, `faces`, `error`, and `provenance` (facetally version, model hashes, result-changing settings, cwd;
 * the same object for every record of a run; see docs/output.md).
 */
export type TagRecord = OutputRecord<HashedRecord>;

/** Options of {@link tagFiles} and {@link tag}: the pipeline's options (see `TagOptions`) plus how to run it. */
export interface TagFilesOptions extends Omit<ParallelTagOptions, 'onReady'> {
  /**
   * Worker threads, each loading its own copy of the models. Default: one per core
   * (`os.availableParallelism()`), as `facetally tag`. `1` runs in the calling thread, without a worker thread.
   */
  workers?: number;
  /**
   * The `tag` command's quality rule (`--quality`, `--min-eye-distance`, …; see docs/quality.md): faces outside it are
   * kept with an `excluded` field naming why, and the rule is part of `provenance`. Default: none, as the command.
   */
  quality?: QualityRule;
}

/**
 * Tag every photo named by `inputs` (files, or folders searched recursively): one record per photo, in listing
 * order, exactly as `facetally tag` writes them — `path`, `sha256` (of the file's bytes; null when unreadable),
 * `duplicate_of` (the first path of this run with identical bytes, else null), `width`, `height`, `faces`, `error`,
 * `provenance` (see {@link TagRecord}).
 * Unreadable photos become records with an `error` (codes: `DecodeErrorCode`, `internal_error`); nothing throws for a
 * bad photo. Records stream out as they are made; memory stays bounded however many photos there are. The models are
 * released when the generator finishes, throws or is stopped early (in the calling thread: `Tagger.close`; on workers:
 * the pool's threads end).
 *
 * @throws Error naming the model file when a model cannot be loaded; RangeError for a bad `workers` or pipeline option
 *   (`checkTagOptions`: thresholds in [0, 1], positive `minFaceSize`, `maxPixels`, `threads`), before any model loads.
 * @example
 * for await (const rec of tagFiles(['photos/'], { workers: 4 })) console.log(rec.path, rec.faces.length);
 */
export async function* tagFiles(inputs: readonly string[], options: TagFilesOptions = {}): AsyncGenerator<TagRecord> {
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`expected a positive integer for workers but received ${workers}`);
  const { skip, firstByHash = new Map<string, string>(), window, perWorker, workers: _workers, quality, ...tagOptions } = options;
  checkTagOptions(tagOptions);
  const provenance = await runProvenance({ ...tagOptions, quality });
  if (workers > 1) {
    for await (const rec of tagFilesParallel(inputs, { ...tagOptions, skip, firstByHash, window, perWorker, workers })) yield withProvenance(markExcluded(rec, quality), provenance);
    return;
  }
  const tagger = await Tagger.create(tagOptions);
  try {
    for await (const item of listPhotos(inputs)) {
      if (skip?.(item.path)) continue;
      const rec = item.problem
        ? withHash({ path: item.path, width: null, height: null, faces: [], error: item.problem }, null)
        : await tagPhotoHashed(tagger, item.path);
      yield withProvenance(markExcluded(markDuplicate(rec, firstByHash), quality), provenance);
    }
  } finally {
    // The three onnxruntime sessions are native memory that garbage collection does not free.
    await tagger.close();
  }
}

/**
 * Tag photos and collect all records (see {@link tagFiles}; for large collections iterate {@link tagFiles} instead).
 * @param inputs a file or folder, or a list of them.
 * @example
 * const records = await tag('photos/');                    // all cores
 * const same = await tag('photos/', { workers: 1 });       // in this thread: the same records
 */
export async function tag(inputs: string | readonly string[], options: TagFilesOptions = {}): Promise<TagRecord[]> {
  const out: TagRecord[] = [];
  for await (const r of tagFiles(typeof inputs === 'string' ? [inputs] : inputs, options)) out.push(r);
  return out;
}
