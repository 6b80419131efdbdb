import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { IMAGE_EXTENSIONS, listPhotos } from '../pipeline/files.js';
import type { QueueTagger } from '../distributed/coordinator.js';
import { defaultWorkers, tagFilesParallel, type HashedRecord, type TaggingBackend } from '../pipeline/pool.js';
import { hasRecord, LineWriter, readResumeState, skipDone, type ResumeState } from '../pipeline/resume.js';
import { RecordFormatter, refuseInputAsOutput } from '../pipeline/output.js';
import { runProvenance } from '../pipeline/provenance.js';
import { addPipelineOptions, addQualityOptions, parsePositiveInt, plural, refuseExistingOutput, toTagOptions, type PipelineCliOptions, type QualityCliOptions } from './options.js';
import { DEFAULT_QUALITY_RULE, describeRule, markExcluded, resolveQualityRule } from '../quality/filter.js';
import { createProgress } from './progress.js';

/** The extensions named in the "no photos found" message: the photo formats (an .svg is listed, then refused as unsupported). */
const PHOTO_EXTENSIONS_SHOWN = [...IMAGE_EXTENSIONS].filter((e) => e !== '.svg').join(' ');

interface TagCliOptions extends PipelineCliOptions, QualityCliOptions {
  out?: string;
  format: 'jsonl' | 'csv';
  quiet?: boolean;
  workers: number;
  resume?: boolean;
  overwrite?: boolean;
  queue?: string | true;
  sendBytes?: boolean;
  inFlight: number;
  runTtl: number;
}

/**
 * Count the photos an input list names (for the progress total), without holding the listing.
 * @param skip listed paths not to count (photos already done, for `--resume`).
 */
export async function countPhotos(inputs: string[], skip?: (path: string) => boolean): Promise<number> {
  let n = 0;
  for await (const item of listPhotos(inputs)) if (!skip?.(item.path)) n++;
  return n;
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** Thrown from `onReady` when Ctrl-C came while the models were loading: the backend is closed, then tag exits 130. */
class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Running totals of a `tag` run, for the summary on stderr. */
export class TagSummary {
  photos = 0;
  faces = 0;
  /** Faces marked `excluded` by the quality rule. */
  excluded = 0;
  duplicates = 0;
  readonly errorsByCode = new Map<string, number>();
  private readonly start = Date.now();
  private ready = 0;

  /** Note the moment the models are loaded and photos start (the rate is measured from there). */
  markReady(): void {
    this.ready = Date.now();
  }

  /** Count one record. */
  add(rec: HashedRecord): void {
    this.photos++;
    this.faces += rec.faces.length;
    for (const f of rec.faces) if (f.excluded) this.excluded++;
    if (rec.duplicate_of) this.duplicates++;
    if (rec.error) this.errorsByCode.set(rec.error.code, (this.errorsByCode.get(rec.error.code) ?? 0) + 1);
  }

  /** Photos with an error. */
  get errors(): number {
    let n = 0;
    for (const v of this.errorsByCode.values()) n += v;
    return n;
  }

  /**
   * The end-of-run summary, e.g.
   * `facetally tag: 1200 photos, 2301 faces, 3 errors, 2 duplicates in 63.1 s, 2.1 s of it loading models (19.7 photos/s, 2 workers)`
   * followed by one `  <code>: <count>` line per error code (most frequent first).
   */
  format(workers: number, resumed?: ResumeState): string {
    const now = Date.now();
    const s = (now - this.start) / 1000;
    const loading = this.ready ? (this.ready - this.start) / 1000 : 0;
    const rate = this.photos / Math.max((now - (this.ready || this.start)) / 1000, 1e-3);
    let text =
      `facetally tag: ${plural(this.photos, 'photo')}, ${plural(this.faces, 'face')}, ${plural(this.errors, 'error')}, ${plural(this.duplicates, 'duplicate')}` +
      ` in ${s.toFixed(1)} s, ${loading.toFixed(1)} s of it loading models (${rate.toFixed(1)} photos/s, ${plural(workers, 'worker')})\n`;
    if (this.excluded) text += `  quality rule: ${plural(this.excluded, 'face')} marked "excluded" (kept in the output with the reason)\n`;
    if (resumed) {
      text += `  resumed: ${plural(resumed.records, 'photo was', 'photos were')} already in the output${resumed.droppedBytes ? `; a torn last line (${resumed.droppedBytes} bytes) was dropped` : ''}\n`;
    }
    if (this.errors > 0) {
      text += '  errors by code:\n';
      for (const [code, n] of [...this.errorsByCode].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) text += `    ${code}: ${n}\n`;
    }
    return text;
  }
}

export function registerTagCommand(program: Command): void {
  const cmd = program
    .command('tag')
    .description('Detect faces and predict the 40 CelebA attributes; one JSON line per photo (or CSV, one row per face)')
    .argument('<inputs...>', 'photo files or folders (folders are searched recursively)')
    .option('-o, --out <file>', 'write to this file instead of stdout (one complete record per line, written as each photo is done)')
    .addOption(new Option('-f, --format <format>', 'output format (an --out file ending in .csv is written as CSV unless --format says otherwise)').choices(['jsonl', 'csv']).default('jsonl'))
    .addOption(new Option('-w, --workers <n>', 'worker threads (each loads the models once; at most 4 x the cores)').argParser(parsePositiveInt).default(defaultWorkers(), 'all cores'))
    .option('--resume', 'continue an interrupted run: keep the records already in --out (a torn last line is dropped), tag only the other photos')
    .option('--overwrite', 'replace an existing, non-empty --out file (without --resume or --overwrite, an existing file is never touched)')
    .option('-q, --quiet', 'no progress bar and no summary (a count of unreadable photos is still printed)')
    .option('--queue [url]', 'distributed run: hand the photos to `facetally worker` processes through this Redis (redis://[:PASSWORD@]HOST:PORT[/DB] or rediss://; without a value: $FACETALLY_REDIS_URL); see docs/distributed.md')
    .option('--send-bytes', 'with --queue: put each photo\'s bytes into its job, for workers that cannot read the photos (photos over 16 MiB get a too_large_to_send record)')
    .addOption(new Option('--in-flight <n>', 'with --queue: photos enqueued and not yet done, at most').argParser(parsePositiveInt).default(1000))
    .addOption(new Option('--run-ttl <seconds>', 'with --queue: workers skip the jobs of a run whose coordinator was silent this long').argParser(parsePositiveInt).default(30).hideHelp())
    .addHelpText(
      'after',
      `
JSON line per photo, in listing order:
  {"path", "sha256", "duplicate_of", "width", "height",
   "faces": [{"box": {"x","y","width","height"}, "score", "landmarks": [[x,y] x6],
     "pose": {"yaw","pitch","roll"}, "quality": {"eye_distance","sharpness","brightness","contrast","clipped"},
   "attributes": {"5_o_Clock_Shadow": p, ..., "Young": p}, "decisions": {name: true|false}}], "error": null,
   "provenance": {"facetally", "model", "model_sha256", "thresholds_sha256", "detector_sha256",
                  "settings": {"score_threshold", "min_face", "max_pixels", ...}, "cwd"}}
  Coordinates are pixels of the EXIF-oriented photo. Landmarks: right eye, left eye, nose tip, mouth centre,
  right ear tragion, left ear tragion (the subject's right). Pose in degrees (yaw + = nose to the photo's right,
  pitch + = chin up, roll + = clockwise); quality: eye distance in photo pixels, sharpness (Laplacian variance
  over intensity variance, 0-64), brightness and contrast (0-1), clipped share (0-1); see docs/quality.md.
  A photo that cannot be read has "faces": [],
  "width"/"height" null and "error": {"code", "message"}; the run goes on. "sha256" is the SHA-256 of the file's bytes (null when it
  cannot be read); "duplicate_of" is the first path of this run (or of the run resumed) with identical bytes.
  "provenance" (every record's last field; the last columns of every CSV row) names the facetally version, the
  models by file hash and every setting that changes results; "cwd" is the folder relative paths start from.
CSV: one row per face; landmark columns right_eye_x, right_eye_y, ..., left_ear_tragion_y.
Quality filters (--quality default, --min-eye-distance, --min-sharpness, --max-yaw, --max-roll,
  --min/--max-brightness): a face that fails them stays in its record with
  "excluded": ["min-eye-distance: 8.2 < 14", ...] (CSV column "excluded");
  --quality default is ${describeRule(DEFAULT_QUALITY_RULE)}.
Interrupted runs: records are appended one complete line at a time; rerun the same command with --resume
  (needs --out and --format jsonl; works from any folder) and each photo ends up in the file exactly once.
  --resume refuses a file made with other settings, another model or another facetally version, naming them.
  An existing, non-empty --out file is refused unless --resume (continue it) or --overwrite (replace it);
  an input photo is never an output, even with --overwrite.
Distributed runs (--queue): the same output, written here, by workers on other machines (facetally worker);
  Redis lost mid-run is reported and waited for, and photos it lost are enqueued again. docs/distributed.md.
Progress: a bar on a terminal; otherwise a line every 30 s (FACETALLY_PROGRESS_SECONDS sets the interval).
Exit codes: 0 every photo read; 2 some photos could not be read; 1 bad usage or fatal error;
  130 interrupted (Ctrl-C): the records written so far are complete; continue with --resume.`,
    );
  addQualityOptions(cmd, 'kept in the output, marked "excluded" with the reason');
  addPipelineOptions(cmd).action(async (inputs: string[], opts: TagCliOptions) => {
    const rule = resolveQualityRule(opts);
    // `--out faces.csv` without --format means CSV: writing JSON lines into a .csv file helps nobody.
    if (opts.out && cmd.getOptionValueSource('format') === 'default' && /\.csv$/i.test(opts.out)) opts.format = 'csv';
    if (opts.resume && !opts.out) throw new Error('--resume needs --out FILE (the output of the run to continue)');
    if (opts.resume && opts.format !== 'jsonl') throw new Error('--resume works with --format jsonl only (a CSV row is a face, not a photo)');
    const maxWorkers = 4 * availableParallelism();
    if (opts.workers > maxWorkers) {
      throw new Error(`--workers ${opts.workers}: at most ${maxWorkers} (4 x the ${availableParallelism()} cores here); each worker loads its own copy of the models`);
    }
    if (opts.sendBytes && !opts.queue) throw new Error('--send-bytes needs --queue (it puts the photos into the jobs of a distributed run)');
    let queueUrl: string | undefined;
    if (opts.queue) {
      queueUrl = opts.queue === true ? process.env.FACETALLY_REDIS_URL : opts.queue;
      if (!queueUrl) throw new Error('--queue without a URL reads $FACETALLY_REDIS_URL, which is not set');
      const { checkRedisUrl } = await import('../distributed/queue.js');
      checkRedisUrl(queueUrl);
    }
    if (opts.resume && opts.overwrite) throw new Error('--resume and --overwrite contradict each other: --resume keeps the records in --out, --overwrite replaces them');
    if (opts.out) refuseInputAsOutput(opts.out, inputs);
    if (opts.out && !opts.resume) {
      refuseExistingOutput(opts.out, { replace: opts.overwrite, allowEmpty: true, remedy: 'add --resume to continue that run, or --overwrite to replace it' });
    }

    const tagOptions = toTagOptions(opts);
    const provenance = await runProvenance({ ...tagOptions, quality: rule });
    const resumed = opts.resume ? await readResumeState(opts.out!, provenance) : undefined;
    let noRecords = false;
    const skip = resumed ? skipDone(resumed) : undefined;
    // Opened once the models have loaded, so that a model that cannot load leaves an earlier output untouched.
    let sink: LineWriter | null = null;
    // stdout closed by the reader (`facetally tag photos/ | head`): stop cleanly instead of dying on EPIPE.
    let readerGone = false;
    if (!opts.out) {
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        readerGone = true;
      });
    }
    const emit = async (text: string) => {
      if (opts.out) return sink!.write(text);
      if (readerGone) return;
      try {
        await write(process.stdout, text);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
        readerGone = true;
      }
    };
    const summary = new TagSummary();
    let formatter: RecordFormatter | null = null;
    // Ctrl-C: every record counted here is complete in the output (LineWriter writes synchronously), so say how
    // many and how to go on at once, write nothing more, and exit 130 (128 + SIGINT) once the photos in progress
    // have finished and the worker threads have stopped (pool.close). Exiting while a worker thread is inside
    // onnxruntime aborts the process (exit 134, "terminate called after throwing an instance of 'Napi::Error'"):
    // process.exit stops the workers, and the native call that completes during their teardown throws into C++.
    // A second Ctrl-C does not wait: it dies of SIGINT at once (the shell sees 130 too).
    let written = 0;
    let interrupted = false;
    const onSecondSigint = () => {
      process.removeListener('SIGINT', onSecondSigint);
      process.kill(process.pid, 'SIGINT'); // no listener left: the default action, no native teardown
    };
    const onSigint = () => {
      interrupted = true;
      progress.stop();
      const where = opts.out ? `in ${opts.out}` : 'written to stdout';
      const before = resumed?.records ? ` (${resumed.records} of them from before)` : '';
      const how = opts.out
        ? opts.format === 'jsonl'
          ? `rerun the same command with --resume${opts.overwrite ? ' (instead of --overwrite)' : ''} to tag only the rest`
          : 'CSV cannot be resumed: rerun with --format jsonl --out FILE to be able to resume'
        : 'use --out FILE to be able to resume';
      process.stderr.write(`\nfacetally tag: interrupted; ${plural(written + (resumed?.records ?? 0), 'record is', 'records are')} safely ${where}${before}; ${how}\n`);
      process.on('SIGINT', onSecondSigint);
    };
    process.once('SIGINT', onSigint);
    // The total for the progress bar and its ETA walks the listing once more, only when the bar is shown.
    const total = process.stderr.isTTY && !opts.quiet ? await countPhotos(inputs, resumed && ((p) => hasRecord(resumed, p))) : undefined;
    let progress = createProgress('tag', total, true);
    // The distributed coordinator (bullmq, ioredis) is loaded only for --queue runs.
    const tagFilesQueued = queueUrl ? (await import('../distributed/coordinator.js')).tagFilesQueued : null;
    let coordinator: QueueTagger | null = null;
    try {
      const onReady = (backend: TaggingBackend) => {
        if (interrupted) throw new Interrupted(); // the workers are stopped by tagFilesParallel/tagFilesQueued
        formatter = new RecordFormatter(opts.format, backend.attributeNames, provenance);
        if (opts.out) sink = new LineWriter(opts.out, !!opts.resume);
        summary.markReady();
        progress = createProgress('tag', total, opts.quiet); // rate and ETA from the first photo, not from model loading
      };
      const records = queueUrl && tagFilesQueued
        ? tagFilesQueued(inputs, {
            url: queueUrl,
            tagOptions,
            modelDir: opts.model,
            sendBytes: opts.sendBytes,
            inFlight: opts.inFlight,
            runTtlMs: opts.runTtl * 1000,
            skip,
            firstByHash: resumed?.firstByHash,
            onNotice: (line) => process.stderr.write(`\nfacetally tag: ${line}\n`),
            onReady: (backend) => {
              coordinator = backend;
              onReady(backend);
            },
          })
        : tagFilesParallel(inputs, { ...tagOptions, workers: opts.workers, skip, firstByHash: resumed?.firstByHash, onReady });
      if (interrupted) process.exit(130); // Ctrl-C while listing: no worker has started yet
      let first = true;
      for await (const tagged of records) {
        if (interrupted) break; // leaving the loop closes the pool: photos in progress finish, workers stop
        const rec = markExcluded(tagged, rule);
        if (first) {
          first = false;
          await emit(formatter!.header());
        }
        summary.add(rec);
        await emit(formatter!.lines(rec));
        written++;
        progress.tick({ faces: rec.faces.length, error: !!rec.error });
        if (readerGone) break;
      }
      if (interrupted) process.exit(130);
      if (first && formatter) await emit((formatter as RecordFormatter).header());
      noRecords = first;
    } catch (err) {
      if (interrupted) process.exit(130); // e.g. Interrupted from onReady, after the pool has been closed
      throw err;
    } finally {
      progress.stop();
      (sink as LineWriter | null)?.close();
      process.removeListener('SIGINT', onSigint);
    }
    const workers = coordinator ? (coordinator as QueueTagger).workersSeen.size : opts.workers;
    if (!opts.quiet) process.stderr.write(summary.format(workers, resumed));
    // The resumed paths the listing never met again: records of photos outside this run's inputs (e.g. --resume with
    // other folders). They stay in the file; say so, since a resumed run is meant to finish the same inputs.
    const others = resumed && !readerGone ? [...resumed.done.values()].reduce((a, b) => a + b, 0) : 0;
    if (others > 0) {
      process.stderr.write(
        `facetally tag: ${plural(others, 'record')} in ${opts.out} ${others === 1 ? 'is' : 'are'} of photos not among this run's inputs; kept as ${others === 1 ? 'it was' : 'they were'} (--resume finishes a run: give it the same inputs)\n`,
      );
    }
    if (noRecords && !resumed?.records) {
      process.stderr.write(`facetally tag: no photos found in ${inputs.join(', ')} (looked for ${PHOTO_EXTENSIONS_SHOWN})\n`);
    }
    if (summary.errors > 0) {
      process.stderr.write(`facetally tag: ${plural(summary.errors, 'photo')} could not be read (see their "error" fields)\n`);
      process.exitCode = 2;
    }
  });
}
