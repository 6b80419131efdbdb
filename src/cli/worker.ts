import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parsePathMap } from '../distributed/paths.js';
import { parsePositive, parsePositiveInt } from './options.js';

interface WorkerCliOptions {
  queue?: string;
  concurrency: number;
  pathMap: [string, string][];
  logEvery: number;
  stallTimeout: number;
  model?: string;
  threads?: number;
  quiet?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Tag photos for distributed runs: take them from a Redis queue (filled by `facetally tag --queue`) and return their records')
    .addOption(new Option('--queue <url>', 'the Redis of the run: redis://[:PASSWORD@]HOST:PORT[/DB], or rediss:// for TLS').env('FACETALLY_REDIS_URL'))
    .addOption(new Option('-c, --concurrency <n>', 'tagging threads (each loads the models once); twice as many photos are taken at a time').argParser(parsePositiveInt).default(Math.max(1, availableParallelism()), 'all cores'))
    .addOption(
      new Option('--path-map <FROM=TO>', 'read photos listed under FROM from TO instead (repeatable; first match wins), when the shared storage is mounted elsewhere here')
        .argParser((v: string, prev: [string, string][] = []) => {
          try {
            return [...prev, parsePathMap(v)];
          } catch (err) {
            throw new InvalidArgumentError((err as Error).message);
          }
        })
        .default([], 'none'),
    )
    .addOption(new Option('--log-every <n>', 'log a line every N photos').argParser(parsePositiveInt).default(100))
    .addOption(new Option('--stall-timeout <seconds>', 'a photo whose worker stopped answering for this long is given to another worker').argParser(parsePositive).default(30))
    .addOption(new Option('--model <dir>', 'attribute model folder; must be the coordinator\'s (default: the shipped model)'))
    .addOption(new Option('--threads <n>', 'onnxruntime threads per model').argParser(parsePositiveInt).default(1))
    .option('-q, --quiet', 'no log lines except errors')
    .addHelpText(
      'after',
      `
Runs until SIGTERM or Ctrl-C, then finishes the photos in hand and exits 0 (a second signal stops at once;
the photos it held are then given to other workers after --stall-timeout). It never listens on a port: it
only connects to the Redis URL. Photos are read by the path the coordinator listed (made absolute on the
coordinator's machine), so the collection must be on storage this machine sees at the same path, or use
--path-map; or run the coordinator with --send-bytes. See docs/distributed.md.
Exit codes: 0 stopped on request; 1 the models cannot load, Redis cannot be reached at start, or a job
needs another model (its photo is handed back to the queue).`,
    )
    .action(async (opts: WorkerCliOptions) => {
      if (!opts.queue) throw new Error('--queue redis://HOST:PORT is needed (or FACETALLY_REDIS_URL)');
      // Loaded here, not at start-up (bullmq and ioredis take a fifth of a second to load; docs/performance.md).
      const [{ checkRedisUrl }, { runQueueWorker }] = await Promise.all([import('../distributed/queue.js'), import('../distributed/worker.js')]);
      const url = checkRedisUrl(opts.queue);
      let signals = 0;
      let stop!: () => void;
      const stopped = new Promise<void>((r) => (stop = r));
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) {
          process.stderr.write(`facetally worker: ${sig} again; stopping now\n`);
          process.exit(1);
        }
        stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      const code = await runQueueWorker({
        url,
        concurrency: opts.concurrency,
        modelDir: opts.model,
        threads: opts.threads,
        pathMap: opts.pathMap,
        logEvery: opts.logEvery,
        stallTimeoutMs: opts.stallTimeout * 1000,
        log: (line) => {
          if (!opts.quiet || /stopping:|lost|cannot/.test(line)) process.stderr.write(line + '\n');
        },
        stop: stopped,
      });
      process.exitCode = code;
      // Handles of onnxruntime's and BullMQ's can outlive their close(); everything is finished here.
      process.exit(code);
    });
}
