/**
 * Parallel tagging: a pool of worker threads, each with its own detector and attribute model (loaded once per
 * worker), fed from the streamed listing through a bounded window, with records coming back in listing order.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { listPhotos } from './files.js';
import { checkTagOptions, errorRecord, type TagOptions } from './tag.js';
import { withHash, type HashedRecord, type WorkerInit, type WorkerMessage, type WorkRequest } from './worker.js';

export type { HashedRecord } from './worker.js';

/**
 * One photo to tag, with where its bytes come from. The record always names `path`; `readPath` or `bytes` only
 * change what is read (used by `facetally worker`: a `--path-map`ped path, or the bytes a coordinator sent).
 */
export interface TagRequest {
  /** The path written in the record and in its error messages (as listed). */
  path: string;
  /** Read the photo from this path instead of `path`. */
  readPath?: string;
  /** The photo's encoded bytes: nothing is read from disk. */
  bytes?: Uint8Array;
  /**
   * Detector and decoder settings for this photo (score threshold, smallest face, pixel limit), overriding the
   * pool's; the models stay the pool's (`modelDir` and `threads` are ignored here).
   */
  options?: TagOptions;
}

/**
 * Where {@link tagListed} sends photos: the local pool of worker threads ({@link TaggerPool}), or the coordinator
 * of a distributed run (`QueueTagger` in `src/distributed/coordinator.ts`), which hands them to `facetally worker`
 * processes through a BullMQ queue. Listing order, duplicates, `--resume` skipping and output stay in one place
 * (tagListed and the `tag` command); a backend only turns a path into its record.
 */
export interface TaggingBackend {
  /** The attribute model's names in output order (CelebA's). */
  readonly attributeNames: readonly string[];
  /** Photos worth having in progress at once; the reorder window is derived from it. */
  readonly capacity: number;
  /** Tag one photo. Never rejects: failures become error records (`internal_error` when not the photo's fault). */
  tag(path: string): Promise<HashedRecord>;
  /** Stop; photos not yet done get `internal_error` records. */
  close(): Promise<void>;
}

/** Options of {@link TaggerPool} and {@link tagFilesParallel}. */
export interface PoolOptions extends TagOptions {
  /** Worker threads. Default: all cores (`os.availableParallelism()`). */
  workers?: number;
  /** Photos each worker works on at a time (overlaps its JavaScript with native decode/inference). Default 2. */
  perWorker?: number;
}

/** Size of libuv's thread pool (fixed when the process starts: set UV_THREADPOOL_SIZE in its environment). */
function uvThreads(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

/** The default number of workers: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

interface Slot {
  worker: Worker;
  /** Loading its models, or ready for photos. */
  state: 'starting' | 'ready';
  busy: number;
  tasks: Map<number, { path: string; resolve: (r: HashedRecord) => void }>;
}

/**
 * How to start a worker: `worker.js` beside this file in `dist/`; when running from the TypeScript sources
 * (tests, `tsx`), a small bootstrap that registers tsx's loader in the worker, then imports `worker.ts`.
 */
function startWorker(workerData: WorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), { workerData });
  // tsx's "tsx/esm/api" entry for `import` (its package exports map): ./dist/esm/api/index.mjs
  const tsxApi = pathToFileURL(join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./worker.ts', here).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/**
 * A fixed set of worker threads that tag photos. Each worker loads the models once at start; a worker that dies
 * (a crash in native code surfaced as an error) turns its photos in progress into `internal_error` records and is
 * replaced, so one bad file cannot stop a run.
 *
 * @example
 * const pool = await TaggerPool.start({ workers: 4 });
 * const rec = await pool.tag('photo.jpg');   // PhotoResult + sha256
 * await pool.close();
 */
export class TaggerPool implements TaggingBackend {
  private readonly slots: Slot[] = [];
  /** Every worker started and not yet exited, ready or still loading its models. */
  private readonly live = new Set<Slot>();
  /** Wakes {@link close} when a worker finishes a photo, becomes ready or exits. */
  private changed: (() => void) | null = null;
  private readonly queue: WorkRequest[] = [];
  private readonly waiting = new Map<number, { path: string; resolve: (r: HashedRecord) => void }>();
  private nextId = 0;
  private closed = false;
  /** The attribute model's names in output order (CelebA's), as loaded by the workers. */
  attributeNames: readonly string[] = [];

  private constructor(
    private readonly init: WorkerInit,
    readonly perWorker: number,
  ) {}

  /**
   * Start the workers and wait until each has loaded its models.
   * @throws Error with the model loader's message (naming the file) when a model cannot be loaded; RangeError for
   *   a bad `workers`, `perWorker` or pipeline option (`checkTagOptions`).
   */
  static async start(options: PoolOptions = {}): Promise<TaggerPool> {
    const { workers = defaultWorkers(), perWorker = 2, ...tagOptions } = options;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`expected a positive integer for workers but received ${workers}`);
    if (!Number.isInteger(perWorker) || perWorker < 1) throw new RangeError(`expected a positive integer for perWorker but received ${perWorker}`);
    checkTagOptions(tagOptions); // here, not only in each worker, so a bad value is one error before any thread starts
    const init: WorkerInit = {
      facetallyTagWorker: true,
      options: tagOptions,
      // sharp runs on libuv's thread pool (UV_THREADPOOL_SIZE, default 4, shared by all workers); give each of
      // its operations enough libvips threads that the pool can still fill the cores, and no more.
      sharpConcurrency: Math.max(1, Math.floor(availableParallelism() / uvThreads())),
    };
    const pool = new TaggerPool(init, perWorker);
    try {
      await Promise.all(Array.from({ length: workers }, () => pool.spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Number of worker threads. */
  get size(): number {
    return this.slots.length;
  }

  /** Photos that can be in progress at once (`workers * perWorker`). */
  get capacity(): number {
    return this.slots.length * this.perWorker;
  }

  /** Tag one photo (a path, or a {@link TagRequest}) on some worker. Never rejects: failures become error records. */
  tag(photo: string | TagRequest): Promise<HashedRecord> {
    const req = typeof photo === 'string' ? { path: photo } : photo;
    const path = req.path;
    if (this.closed) return Promise.resolve(withHash(errorRecord(path, new Error('tagger pool is closed')), null));
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, { path, resolve });
      this.queue.push({ ...req, id });
      this.pump();
    });
  }

  /**
   * Stop every worker. Photos still queued get `internal_error` records; photos already on a worker are finished
   * (their records dropped) before the worker is stopped, because terminating a thread inside sharp or
   * onnxruntime aborts the whole process.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const [, t] of this.waiting) t.resolve(withHash(errorRecord(t.path, new Error('tagger pool closed before this photo was tagged')), null));
    this.waiting.clear();
    this.queue.length = 0;
    this.slots.length = 0;
    const quiet = () => [...this.live].every((s) => s.state === 'ready' && s.busy === 0);
    while (!quiet()) await new Promise<void>((resolve) => (this.changed = resolve));
    const slots = [...this.live];
    this.live.clear();
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private notify(): void {
    const wake = this.changed;
    this.changed = null;
    wake?.();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.slots) if (s.busy < this.perWorker && (!best || s.busy < best.busy)) best = s;
      if (!best) return;
      const req = this.queue.shift()!;
      const task = this.waiting.get(req.id)!;
      this.waiting.delete(req.id);
      best.busy++;
      best.tasks.set(req.id, task);
      best.worker.postMessage(req);
    }
  }

  private spawn(): Promise<void> {
    const worker = startWorker(this.init);
    const slot: Slot = { worker, state: 'starting', busy: 0, tasks: new Map() };
    this.live.add(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          slot.state = 'ready';
          this.notify();
          if (this.closed) {
            reject(new Error('tagger pool closed while this worker was starting'));
            return;
          }
          this.attributeNames = m.attributeNames;
          this.slots.push(slot);
          resolve();
          this.pump();
        } else if (m.type === 'fatal') {
          reject(new Error(m.message));
          this.live.delete(slot);
          this.notify();
          void worker.terminate(); // idle: its model loading has ended
        } else {
          const t = slot.tasks.get(m.id);
          if (!t) return;
          slot.tasks.delete(m.id);
          slot.busy--;
          t.resolve(m.record);
          this.notify();
          this.pump();
        }
      });
      const died = (why: string) => {
        const wasLive = this.live.delete(slot);
        this.notify();
        if (slot.state === 'starting') {
          reject(new Error(`tagger worker failed to start: ${why}`));
          return;
        }
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        if (!wasLive && i < 0) return; // stopped by close()
        for (const [, t] of slot.tasks) t.resolve(withHash(errorRecord(t.path, new Error(`worker thread died while tagging this photo (${why})`)), null));
        slot.tasks.clear();
        slot.busy = 0;
        if (!this.closed) this.spawn().then(() => this.pump(), () => this.failQueued(why));
      };
      worker.on('error', (err) => died(err.message));
      worker.on('exit', (code) => died(`exit code ${code}`));
    });
  }

  private failQueued(why: string): void {
    if (this.slots.length > 0) return;
    for (const req of this.queue.splice(0)) {
      const t = this.waiting.get(req.id);
      this.waiting.delete(req.id);
      t?.resolve(withHash(errorRecord(req.path, new Error(`no tagger worker could be restarted (${why})`)), null));
    }
  }
}

/** Options of {@link tagListed}: what to skip, duplicates, and the reorder window. */
export interface ListedTagOptions {
  /** Listed paths for which this returns true are not tagged and not yielded (used by `--resume`). */
  skip?: (path: string) => boolean;
  /**
   * Content hash → first path seen, for `duplicate_of`. Pass one pre-filled from an earlier output to keep
   * duplicates pointing at photos of that run (`--resume`). Memory: one entry per distinct file content
   * (about 150 bytes with a typical path; ~150 MB for a million distinct photos).
   */
  firstByHash?: Map<string, string>;
  /** Records held at most while waiting for an earlier, slower photo (reorder window). Default `max(64, 8 * capacity)`. */
  window?: number;
}

/** Options of {@link tagFilesParallel}. */
export interface ParallelTagOptions extends PoolOptions, ListedTagOptions {
  /** Called once the workers have loaded their models, with the pool (e.g. to start a progress display). */
  onReady?: (pool: TaggerPool) => void;
}

/** The key of a content hash in {@link ListedTagOptions.firstByHash}: its first 128 bits in hex. */
export function hashKey(sha256: string): string {
  return sha256.slice(0, 32);
}

/**
 * Set `rec.duplicate_of` to the first path seen with the same content hash (records in listing order), and remember
 * `rec.path` when its content is new. Records without a hash (unreadable files) pass unchanged. Mutates and returns `rec`.
 */
export function markDuplicate(rec: HashedRecord, firstByHash: Map<string, string>): HashedRecord {
  if (rec.sha256) {
    const key = hashKey(rec.sha256);
    const first = firstByHash.get(key);
    if (first === undefined) firstByHash.set(key, rec.path);
    else if (first !== rec.path) rec.duplicate_of = first;
  }
  return rec;
}

/**
 * Tag every photo named by `inputs` on a pool of worker threads; yields one record per photo **in listing order**
 * (the same order, and the same records, as {@link tagFiles} plus `sha256`/`duplicate_of`, whatever the number of
 * workers). Memory is bounded: the listing is streamed, at most `window` photos are in progress or waiting for an
 * earlier one, and nothing of a photo is kept after its record is yielded except its hash (for duplicates).
 *
 * @example
 * for await (const rec of tagFilesParallel(['photos/'], { workers: 4 })) console.log(rec.path, rec.faces.length);
 */
export async function* tagFilesParallel(inputs: readonly string[], options: ParallelTagOptions = {}): AsyncGenerator<HashedRecord> {
  const { skip, firstByHash, window, onReady, ...poolOptions } = options;
  const pool = await TaggerPool.start(poolOptions);
  try {
    onReady?.(pool);
  } catch (err) {
    await pool.close();
    throw err;
  }
  yield* tagListed(inputs, pool, { skip, firstByHash, window });
}

/**
 * Tag every photo named by `inputs` on `backend` (the local pool, or a distributed run's coordinator) and yield one
 * record per photo in listing order, with `duplicate_of` set from the content hashes; closes the backend at the end
 * (also when the consumer stops early). Listing problems (a symlink loop, an unlistable folder) become records here
 * without reaching the backend. At most `window` photos are in progress or waiting for an earlier one.
 */
export async function* tagListed(inputs: readonly string[], backend: TaggingBackend, options: ListedTagOptions = {}): AsyncGenerator<HashedRecord> {
  const { skip, firstByHash = new Map<string, string>(), window: win } = options;
  try {
    const window = win ?? Math.max(64, 8 * backend.capacity);
    const pending: Promise<HashedRecord>[] = [];
    const finish = (rec: HashedRecord): HashedRecord => markDuplicate(rec, firstByHash);
    for await (const item of listPhotos(inputs)) {
      if (skip?.(item.path)) continue;
      pending.push(
        item.problem
          ? Promise.resolve(withHash({ path: item.path, width: null, height: null, faces: [], error: item.problem }, null))
          : backend.tag(item.path),
      );
      while (pending.length >= window) yield finish(await pending.shift()!);
    }
    while (pending.length > 0) yield finish(await pending.shift()!);
  } finally {
    await backend.close();
  }
}
