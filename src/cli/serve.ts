import { Command, InvalidArgumentError, Option } from 'commander';
import type { TaggerPool } from '../pipeline/pool.js';
import { DEFAULT_API_LIMITS, DEFAULT_PORT, isLoopback } from '../server/defaults.js';
import { addPipelineOptions, addQualityOptions, parsePositive, plural, parsePositiveInt, toTagOptions, type PipelineCliOptions, type QualityCliOptions } from './options.js';
import { resolveQualityRule } from '../quality/filter.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number in [0, 65535] but received "${v}"`);
  return n;
}

interface ServeCliOptions extends PipelineCliOptions, QualityCliOptions {
  port: number;
  host: string;
  api?: boolean;
  token?: string;
  workers: number;
  maxBodyMb: number;
  maxFiles: number;
  maxRequests: number;
  maxQueue: number;
  timeout: number;
}

/** Add `facetally serve` to the program. Argument parsing only; the server is src/server/serve.ts (+ api.ts). */
export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Start the local web app (photos never leave your browser); with --api also an HTTP API that tags posted photos')
    .addOption(new Option('-p, --port <n>', 'port (0 = any free port)').argParser(parsePort).default(DEFAULT_PORT))
    .option('--host <address>', 'interface to listen on; anything but 127.0.0.1/localhost exposes the app to your network (the API then needs --token)', '127.0.0.1')
    .option('--api', 'also serve the HTTP API under /v1 (POST /v1/tag, GET /v1/health, /v1/model, /v1/openapi.json; docs/api.md)')
    .option('--token <secret>', 'with --api: every /v1 request needs "Authorization: Bearer <secret>" (default: $FACETALLY_TOKEN); required off loopback')
    .addOption(new Option('-w, --workers <n>', 'with --api: worker threads tagging photos (each loads the models once)').argParser(parsePositiveInt).default(2))
    .addOption(new Option('--max-body-mb <n>', 'with --api: largest request body, MiB').argParser(parsePositive).default(DEFAULT_API_LIMITS.maxBodyBytes / 2 ** 20))
    .addOption(new Option('--max-files <n>', 'with --api: most photos in one multipart request').argParser(parsePositiveInt).default(DEFAULT_API_LIMITS.maxFiles))
    .addOption(new Option('--max-requests <n>', 'with --api: requests in progress at once; more are answered 429').argParser(parsePositiveInt).default(DEFAULT_API_LIMITS.maxRequests))
    .addOption(new Option('--max-queue <n>', 'with --api: photos waiting for or on a worker, over all requests; more are answered 503').argParser(parsePositiveInt).default(DEFAULT_API_LIMITS.maxQueue))
    .addOption(new Option('--timeout <s>', 'with --api: seconds a request may take (body not received: 408; photos not tagged: 503)').argParser(parsePositive).default(DEFAULT_API_LIMITS.timeoutMs / 1000))
    .addHelpText(
      'after',
      `
The web app: the server serves the app and the model files (GET/HEAD); detection and attributes run in the
browser (onnxruntime-web, WebAssembly), so photos are never uploaded. Nothing is fetched from the internet.

The API (--api): POST /v1/tag with a photo's bytes as the body (or multipart/form-data with up to --max-files
photos) answers the record(s) of \`facetally tag\` as JSON, tagged on --workers threads with the detector options
below (--score-threshold, --min-face, --max-pixels: a larger photo, decompression bombs included, is refused from
its header with 413). Errors are {"error": {"code", "message"}} with 400, 401, 408, 413, 415, 429 or 503
(Retry-After). Loopback only unless --token (or FACETALLY_TOKEN) is set. See docs/api.md.

Examples:
  facetally serve                      then open http://127.0.0.1:${DEFAULT_PORT}/
  facetally serve --port 8080 --model my-model/
  facetally serve --api                then: curl --data-binary @photo.jpg -H 'Content-Type: image/jpeg' http://127.0.0.1:${DEFAULT_PORT}/v1/tag
  FACETALLY_TOKEN=s3cret facetally serve --api --host 0.0.0.0

Exit codes: 0 stopped with Ctrl+C or SIGTERM; 1 bad usage or a fatal error (the port is taken, the model cannot
be read, the API off loopback without a token).`,
    );
  addQualityOptions(cmd, 'with --api: kept in the answer, marked "excluded" with the reason, as tag does');
  addPipelineOptions(cmd).action(async (opts: ServeCliOptions) => {
    const quality = resolveQualityRule(opts);
    const token = opts.token ?? (process.env.FACETALLY_TOKEN || undefined);
    if (opts.token !== undefined && !opts.api) throw new InvalidArgumentError('--token protects the API: add --api');
    if (opts.api && !isLoopback(opts.host) && !token) {
      throw new Error(`--api on ${opts.host} would let anyone who can reach this port send photos: give --token SECRET (or set FACETALLY_TOKEN), or leave --host at 127.0.0.1`);
    }
    if (!isLoopback(opts.host)) {
      process.stderr.write(
        `facetally serve: warning: listening on ${opts.host} makes the app reachable from other machines on your network. ` +
          `Photos dropped in the web app are still analysed only in each visitor's own browser, but anyone who can reach this port can load the app and the models` +
          `${opts.api ? '; the API answers only requests with the token' : ''}.\n`,
      );
    }
    // The server (hono) and the pipeline are loaded here, not when any other command starts.
    const { startServer } = await import('../server/serve.js');
    let pool: TaggerPool | null = null;
    let api;
    if (opts.api) {
      const tagOptions = toTagOptions(opts);
      const [{ runProvenance }, { TaggerPool }] = await Promise.all([import('../pipeline/provenance.js'), import('../pipeline/pool.js')]);
      const provenance = await runProvenance({ ...tagOptions, quality });
      pool = await TaggerPool.start({ ...tagOptions, workers: opts.workers });
      api = {
        pool,
        provenance,
        quality,
        token,
        limits: { maxBodyBytes: Math.floor(opts.maxBodyMb * 2 ** 20), maxFiles: opts.maxFiles, maxRequests: opts.maxRequests, maxQueue: opts.maxQueue, timeoutMs: opts.timeout * 1000 },
      };
    }
    let server;
    try {
      server = await startServer({ port: opts.port, host: opts.host, modelDir: opts.model, api });
    } catch (err) {
      await pool?.close();
      throw err;
    }
    process.stderr.write(`facetally serve: the web app is at ${server.url}  (open it in your browser; Ctrl+C to stop)\n`);
    if (opts.api) process.stderr.write(`facetally serve: the API is at ${server.url}v1/ (${plural(opts.workers, 'worker')}${token ? ', bearer token required' : ''}; docs at ${server.url}v1/openapi.json)\n`);
    const stop = () => {
      void server.close().then(async () => {
        await pool?.close();
        process.exit(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
