/**
 * What the coordinator (`facetally tag --queue`) and the workers (`facetally worker`) of a distributed run share:
 * the BullMQ queue's name, the job and result shapes, the Redis connection, and the model fingerprint that keeps a
 * worker with another model out of a run.
 *
 * The queue is BullMQ's (https://docs.bullmq.io): one job per photo, named by run id and listing position; a worker
 * returns the photo's record as the job's return value, which reaches the coordinator in the `completed` event of
 * the queue's event stream. Jobs are removed from Redis as soon as they finish, so Redis holds only the photos in
 * flight.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_MODEL_DIR } from '../attributes/load-node.js';
import type { HashedRecord } from '../pipeline/pool.js';
import type { TagOptions } from '../pipeline/tag.js';

/** Name of the BullMQ queue the coordinator fills and the workers take photos from (keys `bull:facetally-tag:*`). */
export const QUEUE_NAME = 'facetally-tag';

/** Photos larger than this are not put into a job by `--send-bytes` (their record gets `too_large_to_send`): 16 MiB. */
export const DEFAULT_MAX_SEND_BYTES = 16 * 1024 * 1024;

/**
 * Times a photo may be picked up again after its worker died (BullMQ's `maxStalledCount`): a photo that kills
 * its worker three times in a row (once, then twice more on other workers) ends as an `internal_error` record.
 */
export const MAX_STALLED_COUNT = 2;

/** The Redis key a coordinator keeps alive while its run lasts; workers skip the jobs of runs whose key is gone. */
export function runKey(runId: string): string {
  return `facetally:run:${runId}`;
}

/** Data of one job: one photo of one run. */
export interface TagJobData {
  /** The run (one coordinator process) the photo belongs to. */
  run: string;
  /** Position in the run's listing (0-based). */
  seq: number;
  /** The path as listed by the coordinator: written into the record and its messages. */
  path: string;
  /** The same path made absolute on the coordinator's machine: what a worker reads (after its `--path-map`). */
  abs: string;
  /** The photo's bytes in base64 (`--send-bytes`); the worker then reads nothing. */
  bytes?: string;
  /** Detector and decoder settings of the run (score threshold, smallest face, pixel limit). */
  options: TagOptions;
  /** {@link modelFingerprint} of the run's attribute model; a worker with another model refuses the job. */
  model: string;
}

/** Return value of a job. */
export type TagJobResult =
  /** The photo's record (`duplicate_of` null: duplicates are set by the coordinator, in listing order). */
  | { record: HashedRecord; worker: string }
  /** The run had ended (its coordinator stopped or was killed) when a worker took the job: nothing was done. */
  | { skipped: 'run-ended'; worker: string };

/**
 * The fingerprint of an attribute model folder: SHA-256 of its `attributes.json` bytes followed by its ONNX file's
 * bytes, in hex. Equal fingerprints mean equal thresholds and weights; the detector ships inside the package.
 * @throws Error naming the file when the sidecar or the ONNX file cannot be read.
 */
export async function modelFingerprint(dir: string = DEFAULT_MODEL_DIR): Promise<string> {
  const sidecarPath = join(dir, 'attributes.json');
  let sidecar: Buffer;
  try {
    sidecar = await readFile(sidecarPath);
  } catch {
    throw new Error(`${sidecarPath}: attribute model sidecar not found`);
  }
  let onnx: string;
  try {
    onnx = String((JSON.parse(sidecar.toString('utf8')) as { model?: unknown }).model);
  } catch (err) {
    throw new Error(`${sidecarPath}: not valid JSON (${(err as Error).message})`);
  }
  const hash = createHash('sha256').update(sidecar);
  try {
    hash.update(await readFile(join(dir, onnx)));
  } catch {
    throw new Error(`${join(dir, onnx)}: attribute model file not found`);
  }
  return hash.digest('hex');
}

/**
 * Check a queue URL: `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS).
 * @returns the URL, unchanged.
 * @throws Error with a plain reason for anything else.
 */
export function checkRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--queue ${JSON.stringify(redactUrl(url))} is not a URL; expected redis://HOST:PORT (or rediss:// for TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`--queue ${redactUrl(url)}: expected a redis:// or rediss:// URL, not ${u.protocol}//`);
  }
  if (!u.hostname) throw new Error(`--queue ${redactUrl(url)}: no host`);
  if (u.pathname && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname)) {
    throw new Error(`--queue ${redactUrl(url)}: the path must be a database number (/0, /1, …)`);
  }
  return url;
}

/** The URL with its password (if any) replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Open a Redis connection for BullMQ (which needs `maxRetriesPerRequest: null`: commands wait for a lost
 * connection to come back instead of failing). ioredis reconnects by itself, every 0.2–2 s.
 */
export function openRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    ...extra,
  });
}

/** Why a Redis connection failed, in plain words (ECONNREFUSED → "connection refused"). */
export function describeRedisError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { message?: string };
  if (e?.code === 'ECONNREFUSED') return 'connection refused (is redis-server running there?)';
  if (e?.code === 'ENOTFOUND') return 'host not found';
  if (e?.code === 'ETIMEDOUT') return 'timed out';
  if (e?.code === 'ECONNRESET') return 'connection reset';
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(e?.message ?? '')) return 'wrong or missing password (put it in the URL: redis://:PASSWORD@HOST:PORT)';
  if (/CERT|certificate/i.test(`${e?.code ?? ''} ${e?.message ?? ''}`)) {
    return `${e?.message ?? e?.code} (TLS: to trust your own certificate authority, start with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`;
  }
  return e?.message ?? String(err);
}

/**
 * Connect and wait until Redis answers, or fail after `timeoutMs` with a plain reason.
 * @throws Error "cannot reach Redis at URL: reason".
 */
export async function connectRedis(url: string, timeoutMs = 10_000): Promise<Redis> {
  const client = openRedis(url);
  let last: unknown = null;
  const onError = (err: unknown) => (last = err);
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      // An authentication error is not retried by reconnecting: fail at once.
      client.on('error', (err: Error) => {
        if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(err.message)) {
          clearTimeout(timer);
          reject(err);
        }
      });
    });
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${describeRedisError(last && (err as Error).message === 'timed out' ? last : err)}`);
  } finally {
    client.off('error', onError);
  }
  return client;
}
