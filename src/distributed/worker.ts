/**
 * A distributed worker (`facetally worker --queue redis://…`): loads the models once into a local pool of worker
 * threads ({@link TaggerPool}), then takes photos from the BullMQ queue that coordinators fill and returns their
 * records. It never listens on a port: it only connects to the Redis URL it is given.
 *
 * A job whose run has ended (its coordinator stopped or was killed: the run's liveness key expired) is skipped
 * without tagging. A job for another attribute model is failed back to the queue and the worker stops with exit
 * code 1. While a photo is being tagged BullMQ renews the job's lock from this process's main thread (tagging runs
 * in the pool's threads); a worker that dies stops renewing, and after `stallTimeoutMs` another worker's
 * stalled-job check gives the photo to someone else.
 */
import { hostname } from 'node:os';
export { mapPath, parsePathMap } from './paths.js';
import { mapPath } from './paths.js';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { TaggerPool } from '../pipeline/pool.js';
import { connectRedis, describeRedisError, MAX_STALLED_COUNT, modelFingerprint, openRedis, QUEUE_NAME, redactUrl, runKey, type TagJobData, type TagJobResult } from './queue.js';

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Tagging threads (each loads the models once); the worker takes twice as many photos at a time. */
  concurrency: number;
  /** Attribute model folder (default: the shipped model); must be the coordinator's model. */
  modelDir?: string;
  /** onnxruntime threads per model. Default 1. */
  threads?: number;
  /** Path prefixes to rewrite before reading, first match wins: `[from, to]` (from `--path-map FROM=TO`). */
  pathMap?: [string, string][];
  /** Log a line every this many photos. Default 100. */
  logEvery?: number;
  /** Milliseconds without a lock renewal after which a photo is given to another worker (BullMQ `lockDuration`; the stalled-job check runs as often). Default 30000. */
  stallTimeoutMs?: number;
  /** Where log lines go (one line each, without a newline). */
  log: (line: string) => void;
  /** Resolves when the worker should stop after its current photos (e.g. on SIGTERM). */
  stop?: Promise<unknown>;
}

/**
 * Run a worker until `stop` resolves (then finish the photos in hand and return 0), or until it cannot go on
 * (return 1 after logging why).
 * @throws Error with a plain reason when the models cannot load or Redis cannot be reached at start (nothing was
 *   taken from the queue then).
 */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<number> {
  const name = `${hostname()}:${process.pid}`;
  const model = await modelFingerprint(o.modelDir).catch((err) => {
    throw new Error(`cannot load the models: ${(err as Error).message}`);
  });
  const pool = await TaggerPool.start({ workers: o.concurrency, modelDir: o.modelDir, threads: o.threads }).catch((err) => {
    throw new Error(`cannot load the models: ${(err as Error).message}`);
  });
  let redis: Redis;
  try {
    redis = await connectRedis(o.url);
  } catch (err) {
    await pool.close();
    throw err;
  }
  redis.on('error', () => {});
  const logEvery = o.logEvery ?? 100;
  const stallMs = o.stallTimeoutMs ?? 30_000;
  let exitCode = 0;
  let fatal: string | null = null;
  let done = 0, errors = 0, skipped = 0, sinceLog = 0;
  let lastLog = Date.now();
  const alive = new Map<string, { alive: boolean; at: number }>();
  const runAlive = async (run: string): Promise<boolean> => {
    const cached = alive.get(run);
    if (cached && Date.now() - cached.at < 1000) return cached.alive;
    const yes = (await redis.exists(runKey(run))) === 1;
    alive.set(run, { alive: yes, at: Date.now() });
    if (alive.size > 1000) alive.delete(alive.keys().next().value!);
    return yes;
  };

  let resolveFatal!: () => void;
  const fatalStop = new Promise<void>((r) => (resolveFatal = r));
  const failBack = (why: string): never => {
    if (!fatal) {
      fatal = why;
      exitCode = 1;
      resolveFatal();
    }
    throw new Error(why); // the job goes back to the queue (BullMQ retries it, on another worker)
  };

  const processor = async (job: Job<TagJobData, TagJobResult>): Promise<TagJobResult> => {
    const d = job.data;
    if (fatal) failBack(fatal);
    if (d.model !== model) {
      failBack(`this worker's attribute model (${model.slice(0, 12)}…) is not the run's (${d.model.slice(0, 12)}…); start the worker with the coordinator's --model`);
    }
    if (!(await runAlive(d.run))) {
      skipped++;
      return { skipped: 'run-ended', worker: name };
    }
    const record = await pool.tag({
      path: d.path,
      readPath: mapPath(d.abs, o.pathMap ?? []),
      bytes: d.bytes !== undefined ? Buffer.from(d.bytes, 'base64') : undefined,
      options: d.options,
    });
    if (pool.size === 0) failBack('no tagging thread could be restarted (see the messages above)');
    done++;
    sinceLog++;
    if (record.error) errors++;
    if (sinceLog >= logEvery) {
      const now = Date.now();
      o.log(`facetally worker: ${done} photos done (${(sinceLog / Math.max((now - lastLog) / 1000, 1e-3)).toFixed(1)} photos/s lately), ${errors} unreadable, ${skipped} skipped (their run had ended)`);
      sinceLog = 0;
      lastLog = now;
    }
    return { record, worker: name };
  };

  const worker = new Worker<TagJobData, TagJobResult>(QUEUE_NAME, processor, {
    connection: openRedis(o.url),
    concurrency: pool.capacity,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    maxStalledCount: MAX_STALLED_COUNT,
    name,
    autorun: false,
  });
  let up = true;
  let lastOther = 0;
  worker.on('error', (err) => {
    const e = err as NodeJS.ErrnoException;
    const connection = /^E(CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|PIPE|HOSTUNREACH)$/.test(e.code ?? '') || /Connection is closed|connect E/i.test(e.message);
    if (!connection) {
      // e.g. "Missing lock for job …" when Redis lost a job this worker was finishing: the coordinator enqueues it again.
      if (Date.now() - lastOther > 10_000) o.log(`facetally worker: ${e.message}`);
      lastOther = Date.now();
      return;
    }
    if (!up) return;
    up = false;
    o.log(`facetally worker: lost the connection to Redis at ${redactUrl(o.url)} (${describeRedisError(err)}); waiting for it to come back`);
  });
  worker.on('ready', () => {
    if (up) return;
    up = true;
    o.log(`facetally worker: Redis at ${redactUrl(o.url)} is back`);
  });
  o.log(`facetally worker ${name}: models loaded (${pool.size} threads); taking photos from ${redactUrl(o.url)} (queue ${QUEUE_NAME})`);
  const running = worker.run().catch((err) => {
    o.log(`facetally worker: ${(err as Error).message}`);
    exitCode = 1;
  });
  await Promise.race([o.stop ?? new Promise(() => {}), fatalStop, running]);
  if (fatal) o.log(`facetally worker: stopping: ${fatal}`);
  else o.log('facetally worker: stopping after the photos in hand…');
  await worker.close();
  await running;
  await pool.close();
  redis.disconnect();
  o.log(`facetally worker: stopped; ${done} photos done, ${errors} unreadable, ${skipped} skipped`);
  return exitCode;
}
