/**
 * The coordinator of a distributed run (`facetally tag INPUTS --queue redis://…`): a {@link TaggingBackend} that
 * hands photos to `facetally worker` processes through a BullMQ queue instead of local worker threads. Listing
 * order, duplicates, `--resume`, progress and output stay with {@link tagListed} and the `tag` command, exactly as
 * for a local run; this class only turns a path into its record, whichever worker makes it.
 *
 * Exactly once: every photo of the run is a job named `<run>-<seq>`; the first record that comes back for a photo
 * is kept and any later one (a job done twice because its worker was thought dead) is dropped. Nothing is lost: a
 * worker that dies leaves its jobs to BullMQ's stalled-job check (another worker takes them); a job that vanished
 * from Redis (Redis restarted without persistence, or an event trimmed away) is found by a periodic check and
 * enqueued again; a photo that stopped its workers {@link MAX_STALLED_COUNT} + 1 times, or had to be enqueued again
 * more than `maxRequeues` times, gets an `internal_error` record instead of looping for ever.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_MODEL_DIR } from '../attributes/load-node.js';
import { parseSidecar } from '../attributes/sidecar.js';
import { decodeImageFile } from '../image/decode.js';
import { tagListed, type HashedRecord, type ListedTagOptions, type TaggingBackend } from '../pipeline/pool.js';
import { errorRecord, type TagOptions } from '../pipeline/tag.js';
import { withHash } from '../pipeline/worker.js';
import {
  connectRedis,
  DEFAULT_MAX_SEND_BYTES,
  describeRedisError,
  MAX_STALLED_COUNT,
  modelFingerprint,
  openRedis,
  QUEUE_NAME,
  redactUrl,
  runKey,
  type TagJobData,
  type TagJobResult,
} from './queue.js';

/** Options of {@link QueueTagger.connect}. */
export interface QueueTaggerOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Detector and decoder settings sent with every photo (the workers apply them to their models). */
  tagOptions?: TagOptions;
  /** The run's attribute model folder (default: the shipped model); workers must have the same model. */
  modelDir?: string;
  /** Put each photo's bytes into its job (for workers that cannot read the photos). Default false. */
  sendBytes?: boolean;
  /** With `sendBytes`: larger photos get a `too_large_to_send` record. Default {@link DEFAULT_MAX_SEND_BYTES}. */
  maxSendBytes?: number;
  /** Photos enqueued and not yet done, at most (also the reorder window). Default 1000. */
  inFlight?: number;
  /** With `sendBytes`: photo bytes enqueued and not yet done, at most. Default 256 MiB. */
  inFlightBytes?: number;
  /** Jobs added to Redis in one call (BullMQ `addBulk`). Default 50. */
  batchSize?: number;
  /**
   * How often jobs in flight are checked for having vanished from Redis (an event trimmed away), in ms; after
   * Redis comes back from an outage they are checked every 2 s a few times instead. Default 15000.
   */
  checkIntervalMs?: number;
  /** Lifetime of the run's liveness key in ms (refreshed every sixth of it); workers skip jobs of runs whose key expired. Default 30000. */
  runTtlMs?: number;
  /** A photo enqueued again more often than this (vanished jobs, ended-run skips) gets an `internal_error` record. Default 5. */
  maxRequeues?: number;
  /** Plain-language notices for the user (Redis lost, Redis back), one line each without a newline. */
  onNotice?: (line: string) => void;
}

/** A notice is printed when no record came back for this long while photos are in flight, in ms. */
const IDLE_NOTICE_MS = 60_000;

/** Pace of the checks for vanished jobs right after Redis came back, in ms. */
const FAST_CHECK_MS = 2000;

interface Entry {
  seq: number;
  path: string;
  jobId: string;
  resolve: (r: HashedRecord) => void;
  done: boolean;
  /** The job is known to be in Redis (addBulk answered). */
  acked: boolean;
  /** Consecutive checks that found the job missing from Redis. */
  missing: number;
  requeues: number;
  /** Bytes of the photo carried in the job (base64 length), 0 without --send-bytes. */
  bytes: number;
  /** Counted in the in-flight totals (taken from the waiting list, not yet done). */
  counted: boolean;
}

/**
 * A {@link TaggingBackend} whose photos are tagged by `facetally worker` processes on any machine that reaches the
 * same Redis. See the file's comment for the guarantees; `docs/distributed.md` for a walk-through.
 *
 * @example
 * const backend = await QueueTagger.connect({ url: 'redis://:secret@queue-host:6379' });
 * for await (const rec of tagListed(['/shared/photos'], backend)) console.log(rec.path);
 */
export class QueueTagger implements TaggingBackend {
  /** This run's id (a random UUID): its jobs are `<runId>-<seq>`; jobs of earlier runs are never taken as ours. */
  readonly runId = randomUUID();
  readonly capacity: number;
  /** Distinct workers (`host:pid`) that returned a record to this run. */
  readonly workersSeen = new Set<string>();
  private readonly toSend: Entry[] = [];
  private readonly byJob = new Map<string, Entry>();
  private inFlightCount = 0;
  private inFlightBytes = 0;
  private nextSeq = 0;
  private sending = false;
  private checking = false;
  private closed = false;
  private up = true;
  /** Checks left at the fast pace (after a reconnect). */
  private fastChecks = 0;
  private lastCheck = Date.now();
  /** When the last record arrived (or the run started), for the "no worker?" notice. */
  private lastRecord = Date.now();
  private lastError: unknown = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly opts: Required<Omit<QueueTaggerOptions, 'tagOptions' | 'modelDir' | 'onNotice'>> & Pick<QueueTaggerOptions, 'onNotice'>;
  private readonly tagOptions: TagOptions;

  private constructor(
    options: QueueTaggerOptions,
    private readonly redis: Redis,
    private readonly eventsRedis: Redis,
    private readonly queue: Queue<TagJobData, TagJobResult>,
    private readonly events: QueueEvents,
    private readonly model: string,
    readonly attributeNames: readonly string[],
  ) {
    this.opts = {
      url: options.url,
      sendBytes: options.sendBytes ?? false,
      maxSendBytes: options.maxSendBytes ?? DEFAULT_MAX_SEND_BYTES,
      inFlight: options.inFlight ?? 1000,
      inFlightBytes: options.inFlightBytes ?? 256 * 1024 * 1024,
      batchSize: options.batchSize ?? 50,
      checkIntervalMs: options.checkIntervalMs ?? 15_000,
      runTtlMs: options.runTtlMs ?? 30_000,
      maxRequeues: options.maxRequeues ?? 5,
      onNotice: options.onNotice,
    };
    const { modelDir: _m, threads: _t, ...rest } = options.tagOptions ?? {};
    this.tagOptions = rest;
    // The reorder window of tagListed: exactly the photos allowed in flight, so the listing never runs ahead.
    this.capacity = Math.max(1, Math.ceil(this.opts.inFlight / 8));
  }

  /** Photos allowed in flight at once (the reorder window to give {@link tagListed}). */
  get window(): number {
    return this.opts.inFlight;
  }

  /**
   * Connect to Redis, check the run's model, and start listening for records.
   * @throws Error "cannot reach Redis at URL: reason" (after about 10 s of trying), or naming a model file that
   *   cannot be read.
   */
  static async connect(options: QueueTaggerOptions): Promise<QueueTagger> {
    const modelDir = options.modelDir ?? DEFAULT_MODEL_DIR;
    const model = await modelFingerprint(modelDir);
    const sidecarPath = join(modelDir, 'attributes.json');
    const names = parseSidecar(JSON.parse(await readFile(sidecarPath, 'utf8')), sidecarPath).attributes;
    const redis = await connectRedis(options.url);
    redis.on('error', () => {}); // reported through the connection's own events (see watchConnection)
    const queue = new Queue<TagJobData, TagJobResult>(QUEUE_NAME, { connection: redis, streams: { events: { maxLen: 10_000 } } });
    queue.on('error', () => {});
    // Read the event stream from its current end, so that no record of this run can be missed before the reader starts.
    let last: string;
    try {
      last = (await redis.xrevrange(queue.keys.events, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    } catch (err) {
      redis.disconnect();
      throw new Error(`cannot read the queue at ${redactUrl(options.url)}: ${describeRedisError(err)}`);
    }
    const eventsRedis = openRedis(options.url);
    eventsRedis.on('error', () => {});
    const events = new QueueEvents(QUEUE_NAME, { connection: eventsRedis, lastEventId: last, autorun: false });
    events.on('error', () => {});
    const tagger = new QueueTagger(options, redis, eventsRedis, queue, events, model, names);
    tagger.start();
    return tagger;
  }

  private start(): void {
    this.events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue as unknown as TagJobResult));
    this.events.on('failed', ({ jobId, failedReason }) => this.onFailed(jobId, failedReason));
    void this.events.run().catch(() => {});
    this.watchConnection();
    void this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat(), Math.max(100, Math.floor(this.opts.runTtlMs / 6))));
    this.timers.push(
      setInterval(() => {
        if (this.fastChecks > 0 || Date.now() - this.lastCheck >= this.opts.checkIntervalMs) void this.check();
        if (this.up && this.inFlightCount > 0 && Date.now() - this.lastRecord >= IDLE_NOTICE_MS) void this.idleNotice();
      }, Math.min(FAST_CHECK_MS, this.opts.checkIntervalMs)),
    );
  }

  /** Enqueue one photo; resolves with its record (never rejects). */
  tag(path: string): Promise<HashedRecord> {
    return new Promise((resolvePromise) => {
      const seq = this.nextSeq++;
      if (this.closed) {
        resolvePromise(withHash(errorRecord(path, new Error('the run was stopped before this photo was tagged')), null));
        return;
      }
      const entry: Entry = { seq, path, jobId: `${this.runId}-${seq}`, resolve: resolvePromise, done: false, acked: false, missing: 0, requeues: 0, bytes: 0, counted: false };
      this.toSend.push(entry);
      void this.pump();
    });
  }

  /**
   * Stop: photos still in flight get `internal_error` records, the run's liveness key is deleted (workers then skip
   * its leftover jobs) and the connections are closed. Waits at most a few seconds for an unreachable Redis.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const e of [...this.toSend, ...this.byJob.values()]) this.finish(e, withHash(errorRecord(e.path, new Error('the run was stopped before this photo was tagged')), null));
    this.toSend.length = 0;
    const bounded = <T>(p: Promise<T>) => Promise.race([p.catch(() => {}), new Promise<void>((r) => setTimeout(r, 3000).unref())]);
    if (this.up) await bounded(this.redis.del(runKey(this.runId)));
    await bounded(this.events.close());
    await bounded(this.queue.close());
    this.eventsRedis.disconnect();
    this.redis.disconnect();
  }

  private finish(e: Entry, rec: HashedRecord): void {
    if (e.done) return;
    e.done = true;
    this.byJob.delete(e.jobId);
    this.uncount(e);
    e.resolve(rec);
    void this.pump();
  }

  private uncount(e: Entry): void {
    if (!e.counted) return;
    e.counted = false;
    this.inFlightCount--;
    this.inFlightBytes -= e.bytes;
    e.bytes = 0;
  }

  /** Add waiting photos to the queue in batches while the in-flight limits allow. One pump runs at a time. */
  private async pump(): Promise<void> {
    if (this.sending || this.closed) return;
    this.sending = true;
    try {
      while (this.toSend.length > 0 && this.inFlightCount < this.opts.inFlight && this.inFlightBytes < this.opts.inFlightBytes && !this.closed) {
        const batch: { entry: Entry; data: TagJobData }[] = [];
        while (batch.length < this.opts.batchSize && this.toSend.length > 0 && this.inFlightCount < this.opts.inFlight && this.inFlightBytes < this.opts.inFlightBytes) {
          const entry = this.toSend.shift()!;
          if (entry.done) continue;
          entry.counted = true;
          this.inFlightCount++;
          const data = await this.jobData(entry);
          if ('faces' in data) {
            this.finish(entry, data); // decided here: unreadable, or too large to send
            continue;
          }
          entry.bytes = data.bytes?.length ?? 0;
          this.inFlightBytes += entry.bytes;
          this.byJob.set(entry.jobId, entry);
          batch.push({ entry, data });
        }
        if (batch.length === 0) continue;
        const opts = (jobId: string): JobsOptions => ({ jobId, removeOnComplete: true, removeOnFail: true, attempts: 3, backoff: { type: 'fixed', delay: 1000 } });
        try {
          await this.queue.addBulk(batch.map(({ entry, data }) => ({ name: 'tag', data, opts: opts(entry.jobId) })));
          for (const { entry } of batch) entry.acked = true;
        } catch (err) {
          // Not a lost connection (commands wait for Redis to come back): put the photos back and try again shortly.
          this.notice(`could not enqueue ${batch.length} photos (${describeRedisError(err)}); trying again`);
          for (const { entry } of batch.reverse()) {
            this.byJob.delete(entry.jobId);
            this.uncount(entry);
            this.toSend.unshift(entry);
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** The job of a photo, or its record when it is decided here (`--send-bytes`: unreadable or too large). */
  private async jobData(e: Entry): Promise<TagJobData | HashedRecord> {
    const data: TagJobData = { run: this.runId, seq: e.seq, path: e.path, abs: resolve(e.path), options: this.tagOptions, model: this.model };
    if (!this.opts.sendBytes) return data;
    let bytes: Buffer | null = null;
    try {
      const st = await stat(e.path);
      if (st.isFile() && st.size > this.opts.maxSendBytes) {
        const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
        return withHash(
          { path: e.path, width: null, height: null, faces: [], error: { code: 'too_large_to_send', message: `${e.path}: ${mb(st.size)} MiB, over the ${mb(this.opts.maxSendBytes)} MiB limit of --send-bytes (put the photos on storage the workers can read)` } },
          null,
        );
      }
      if (st.isFile()) bytes = await readFile(e.path);
    } catch {
      bytes = null;
    }
    if (!bytes) {
      // Unreadable here: the decoder's stable error code, exactly as a worker (or a local run) would report it.
      try {
        await decodeImageFile(e.path, {});
      } catch (err) {
        return withHash(errorRecord(e.path, err), null);
      }
      bytes = await readFile(e.path); // it became readable meanwhile
    }
    return { ...data, bytes: bytes.toString('base64') };
  }

  private onCompleted(jobId: string, result: TagJobResult): void {
    const e = this.byJob.get(jobId);
    if (!e || e.done) return; // another run's job, or a photo already done (the first record is kept)
    if ('skipped' in result) {
      this.requeue(e, 'a worker found the run ended');
      return;
    }
    this.workersSeen.add(result.worker);
    this.lastRecord = Date.now();
    this.finish(e, result.record);
  }

  private onFailed(jobId: string, failedReason: string): void {
    const e = this.byJob.get(jobId);
    if (!e || e.done) return;
    const why = /stalled/i.test(failedReason)
      ? `workers stopped while tagging this photo ${MAX_STALLED_COUNT + 1} times (died, or lost their connection); given up`
      : `workers failed on this photo: ${failedReason}`;
    this.finish(e, withHash(errorRecord(e.path, new Error(why)), null));
  }

  /** Enqueue a photo again under a new job id (its job vanished, or was skipped), or give up on it. */
  private requeue(e: Entry, why: string): void {
    if (e.done) return;
    this.byJob.delete(e.jobId);
    this.uncount(e);
    e.acked = false;
    e.missing = 0;
    if (++e.requeues > this.opts.maxRequeues) {
      this.finish(e, withHash(errorRecord(e.path, new Error(`enqueued ${e.requeues} times without a record (${why}); given up`)), null));
      return;
    }
    e.jobId = `${this.runId}-${e.seq}-${e.requeues}`;
    this.toSend.unshift(e);
    void this.pump();
  }

  /** Find jobs in flight that are no longer in Redis (two checks in a row) and enqueue their photos again. */
  private async check(): Promise<void> {
    if (this.checking || this.closed || !this.up) return;
    this.checking = true;
    this.lastCheck = Date.now();
    if (this.fastChecks > 0) this.fastChecks--;
    try {
      const entries = [...this.byJob.values()].filter((e) => e.acked && !e.done);
      if (entries.length === 0) return;
      const pipeline = this.redis.pipeline();
      for (const e of entries) pipeline.exists(this.queue.toKey(e.jobId));
      const answers = (await pipeline.exec()) ?? [];
      let lost = 0;
      entries.forEach((e, i) => {
        const [err, n] = answers[i] ?? [null, 1];
        if (err || n !== 0) {
          e.missing = 0;
          return;
        }
        if (++e.missing >= 2 && !e.done) {
          lost++;
          this.requeue(e, 'its job vanished from Redis');
        }
      });
      if (lost > 0) this.notice(`${lost === 1 ? '1 photo was' : `${lost} photos were`} no longer in Redis (lost with a restart?); enqueued again`);
    } catch {
      // Redis went away during the check: the connection's events report it.
    } finally {
      this.checking = false;
    }
  }

  /** Say so when no record came back for a minute while photos wait (no worker running, or none with this model). */
  private async idleNotice(): Promise<void> {
    this.lastRecord = Date.now(); // once a minute at most
    try {
      const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed');
      this.notice(
        `no record for ${IDLE_NOTICE_MS / 1000} s: ${counts.waiting + counts.delayed} photos wait in the queue, ${counts.active} are being tagged. ` +
          `Is a worker running (facetally worker --queue …, with this run's model)?`,
      );
    } catch {
      // Redis trouble is reported by watchConnection
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.closed || !this.up) return;
    try {
      await this.redis.set(runKey(this.runId), '1', 'PX', this.opts.runTtlMs);
    } catch {
      // reported by watchConnection
    }
  }

  private watchConnection(): void {
    this.redis.on('error', (err) => (this.lastError = err));
    const lost = () => {
      if (!this.up || this.closed) return;
      this.up = false;
      const reason = this.lastError ? describeRedisError(this.lastError) : 'connection closed';
      this.notice(
        `lost the connection to Redis at ${redactUrl(this.opts.url)} (${reason}); waiting for it to come back. ` +
          `${this.inFlightCount} photos in flight; those Redis lost will be enqueued again.`,
      );
    };
    this.redis.on('close', lost);
    this.redis.on('end', lost);
    this.redis.on('ready', () => {
      if (this.up || this.closed) return;
      this.up = true;
      this.lastError = null;
      this.notice(`Redis at ${redactUrl(this.opts.url)} is back; checking the ${this.inFlightCount} photos in flight`);
      void this.heartbeat();
      this.fastChecks = 4; // now, then every 2 s: a job missing twice in a row is enqueued again
      void this.check();
    });
  }

  private notice(line: string): void {
    this.opts.onNotice?.(line);
  }
}

/** Options of {@link tagFilesQueued}. */
export interface QueuedTagOptions extends QueueTaggerOptions, ListedTagOptions {
  /** Called once connected to Redis, with the coordinator (e.g. to start a progress display). */
  onReady?: (backend: QueueTagger) => void;
}

/**
 * The distributed twin of {@link tagFilesParallel}: the same records in the same listing order, tagged by
 * `facetally worker` processes through the queue at `options.url`. The reorder window defaults to the photos
 * allowed in flight (`inFlight`).
 * @throws Error "cannot reach Redis at URL: reason" when Redis does not answer at start.
 */
export async function* tagFilesQueued(inputs: readonly string[], options: QueuedTagOptions): AsyncGenerator<HashedRecord> {
  const { skip, firstByHash, window, onReady, ...queueOptions } = options;
  const backend = await QueueTagger.connect(queueOptions);
  try {
    onReady?.(backend);
  } catch (err) {
    await backend.close();
    throw err;
  }
  yield* tagListed(inputs, backend, { skip, firstByHash, window: window ?? backend.window });
}
