/**
 * The worker-thread side of {@link TaggerPool} (see `pool.ts`), and the per-photo work it runs.
 *
 * Each worker loads the detector and the attribute model once ({@link Tagger.create}), answers `ready`, then
 * tags the photos the pool sends it, several at a time (`perWorker`), so that while one photo waits on sharp or
 * onnxruntime (native threads) the worker's JavaScript (anchor decoding, NMS, warping) runs for another.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { decodeImageBuffer, type RgbImage } from '../image/decode.js';
import type { PhotoResult } from '../types.js';
import type { TagRequest } from './pool.js';
import { errorRecord, Tagger, type TagOptions } from './tag.js';

/**
 * A `tag` record with the photo's content hash. `sha256` is the SHA-256 of the file's bytes in hex (the same
 * string `sha256sum` prints), or null when the file could not be read at all. `duplicate_of` is the path of the
 * first photo of the same run (in listing order) with the same bytes, or null.
 */
export interface HashedRecord extends PhotoResult {
  sha256: string | null;
  duplicate_of: string | null;
}

/** Put the record's fields in the documented order: path, sha256, duplicate_of, width, height, faces, error. */
export function withHash(rec: PhotoResult, sha256: string | null, duplicateOf: string | null = null): HashedRecord {
  return { path: rec.path, sha256, duplicate_of: duplicateOf, width: rec.width, height: rec.height, faces: rec.faces, error: rec.error };
}

/**
 * Tag one photo and hash its bytes, reading the file once. Gives exactly the record of {@link Tagger.tagFile}
 * plus `sha256` (`duplicate_of` is left null: duplicates are a property of a run, set by the pool's consumer).
 * Never throws for a bad photo. Files that cannot be read (missing, a folder, no permission, a FIFO) go through
 * `tagFile` so that their error codes come from the decoder.
 * @param source read the bytes from `readPath` instead of `path`, or take `bytes` as they are; the record and its
 *   messages name `path` either way (so a `--path-map`ped or sent photo gives the record of a local run).
 */
export async function tagPhotoHashed(tagger: Tagger, path: string, source: { readPath?: string; bytes?: Uint8Array } = {}): Promise<HashedRecord> {
  const readPath = source.readPath ?? path;
  let bytes: Buffer | null = source.bytes ? Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength) : null;
  if (!bytes) {
    try {
      if ((await stat(readPath)).isFile()) bytes = await readFile(readPath);
    } catch {
      bytes = null;
    }
  }
  if (!bytes) return withHash(await tagger.tagFile(path, readPath), null);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let image: RgbImage;
  try {
    image = await decodeImageBuffer(bytes, path, tagger.options);
  } catch (err) {
    return withHash(errorRecord(path, err), sha256);
  }
  bytes = null; // let the encoded bytes go before the (long) analysis
  try {
    const faces = await tagger.analyzeImage(image);
    return withHash({ path, width: image.width, height: image.height, faces, error: null }, sha256);
  } catch (err) {
    return withHash({ ...errorRecord(path, err), width: image.width, height: image.height }, sha256);
  }
}

/** Data the pool hands each worker. */
export interface WorkerInit {
  facetallyTagWorker: true;
  options: TagOptions;
  /** libvips threads per image operation (process-wide setting); default: sharp's own (one per core). */
  sharpConcurrency?: number;
}

/** Main → worker: tag `path` (read as the {@link TagRequest} says). */
export interface WorkRequest extends TagRequest {
  id: number;
}

/** Worker → main. */
export type WorkerMessage =
  | { type: 'ready'; attributeNames: string[] }
  | { type: 'fatal'; message: string }
  | { type: 'done'; id: number; record: HashedRecord };

async function runWorker(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  sharp.cache(false); // photos are decoded once from memory: a cache only holds memory
  if (init.sharpConcurrency) sharp.concurrency(init.sharpConcurrency);
  let tagger: Tagger;
  try {
    tagger = await Tagger.create(init.options);
  } catch (err) {
    port.postMessage({ type: 'fatal', message: (err as Error)?.message ?? String(err) } satisfies WorkerMessage);
    return;
  }
  // Taggers sharing the loaded models, one per distinct set of per-photo options (a distributed run sends its own).
  const byOptions = new Map<string, Tagger>();
  const taggerFor = (options: TagOptions | undefined): Tagger => {
    if (!options) return tagger;
    const key = JSON.stringify(options);
    let t = byOptions.get(key);
    if (!t) byOptions.set(key, (t = tagger.withOptions(options)));
    return t;
  };
  port.on('message', (req: WorkRequest) => {
    tagPhotoHashed(taggerFor(req.options), req.path, req).then(
      (record) => port.postMessage({ type: 'done', id: req.id, record } satisfies WorkerMessage),
      (err) => port.postMessage({ type: 'done', id: req.id, record: withHash(errorRecord(req.path, err), null) } satisfies WorkerMessage),
    );
  });
  port.postMessage({ type: 'ready', attributeNames: [...(tagger.attributes?.names ?? [])] } satisfies WorkerMessage);
}

if (!isMainThread && (workerData as WorkerInit | undefined)?.facetallyTagWorker) void runWorker(workerData as WorkerInit);
