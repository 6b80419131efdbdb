/**
 * The HTTP API of `facetally serve --api` (docs/api.md): `POST /v1/tag` turns photos into the records of
 * `facetally tag`, on the worker pool of the command line, with bounded memory and time; `GET /v1/health`,
 * `GET /v1/model`, `GET /v1/openapi.json`.
 *
 * Limits, all checked before any work is queued: body size (the declared Content-Length first, then the bytes
 * actually read), files per request, pixels per photo (from the image header, before decoding: a decompression
 * bomb is refused as `too_many_pixels`), requests in progress (429) and photos waiting for a worker (503), and the
 * time a request may take (a body not received in time gets 408 from Node's HTTP server; a photo not tagged in
 * time gets 503). Errors are JSON `{"error": {"code", "message"}}` with the status of the table in docs/api.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Sidecar } from '../attributes/sidecar.js';
import { markDuplicate, type TaggerPool } from '../pipeline/pool.js';
import type { Provenance } from '../pipeline/provenance.js';
import type { HashedRecord } from '../pipeline/worker.js';
import { markExcluded, type QualityRule } from '../quality/filter.js';
import { FACETALLY_VERSION } from '../version.js';
import { openApiDocument } from './openapi.js';

export { DEFAULT_API_LIMITS, type ApiLimits } from './defaults.js';
import { DEFAULT_API_LIMITS, type ApiLimits } from './defaults.js';

/** Seconds a client is told to wait (Retry-After) after 429 or 503. */
export const RETRY_AFTER_SECONDS = 1;

/** Options of {@link createApiApp}. */
export interface ApiOptions {
  pool: Pick<TaggerPool, 'tag' | 'attributeNames'>;
  /** The provenance of every record (the server's models and settings); its `cwd` is never sent. */
  provenance: Provenance;
  /** The attribute model's sidecar (names, thresholds) for GET /v1/model. */
  sidecar: Sidecar;
  limits?: Partial<ApiLimits>;
  /** The quality rule of `tag --quality …`: faces outside it are kept and marked `excluded` (as `tag` does). */
  quality?: QualityRule;
  /** When set, every /v1 request needs `Authorization: Bearer <token>`. */
  token?: string;
}

/** The HTTP status of each record error code when a photo is the whole request (docs/api.md). */
export const STATUS_OF_CODE: Record<string, 400 | 413 | 415 | 500> = {
  empty_file: 400,
  corrupt_image: 400,
  unsupported_format: 415,
  too_many_pixels: 413,
  internal_error: 500,
};

type ErrorStatus = 400 | 401 | 404 | 408 | 413 | 415 | 429 | 500 | 503;

function jsonError(c: Context, status: ErrorStatus, code: string, message: string, headers: Record<string, string> = {}): Response {
  return c.json({ error: { code, message } }, status, headers);
}

/** Constant-time comparison of a presented bearer token with the expected one (SHA-256 of both, then timingSafeEqual). */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Media types accepted as a raw image body (anything else but multipart/form-data is 415). */
const RAW_TYPES = /^(image\/[a-z0-9.+-]+|application\/octet-stream)$/i;

/** A file name safe to echo as the record's `path`: its last component, printable, at most 200 characters. */
function safeName(name: string | undefined, fallback: string): string {
  const last = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = last.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200);
  return clean || fallback;
}

/**
 * The /v1 routes, to be mounted on the server's Hono app (`app.route('/v1', createApiApp(...))`).
 * Records are those of `facetally tag` (`path` is the uploaded file's name, or `upload` for a raw body) with their
 * provenance, less `cwd`.
 */
export function createApiApp(o: ApiOptions): Hono {
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...o.limits };
  const { cwd: _cwd, ...provenance } = o.provenance;
  const api = new Hono();
  let requests = 0;
  let queued = 0;
  const stats = { requests: 0, photos: 0, rejected: 0 };
  const health = () => ({ requests_in_progress: requests, photos_queued: queued, requests_answered: stats.requests, photos_tagged: stats.photos, requests_rejected: stats.rejected });

  api.use('*', async (c, next) => {
    if (o.token !== undefined) {
      const m = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '');
      if (!m || !tokenMatches(m[1], o.token)) {
        return jsonError(c, 401, 'unauthorized', m ? 'wrong token' : 'this server needs Authorization: Bearer <token>', { 'WWW-Authenticate': 'Bearer realm="facetally"' });
      }
    }
    await next();
    c.header('Cache-Control', 'no-store');
  });

  api.get('/health', (c) => c.json({ status: 'ok', version: FACETALLY_VERSION, ...health(), limits: publicLimits(limits) }));
  api.get('/model', (c) =>
    c.json({
      name: provenance.model,
      model_sha256: provenance.model_sha256,
      thresholds_sha256: provenance.thresholds_sha256,
      detector_sha256: provenance.detector_sha256,
      facetally: provenance.facetally,
      settings: provenance.settings,
      attributes: o.sidecar.attributes,
      thresholds: o.sidecar.thresholds,
      validation: { split: o.sidecar.validation.split, n: o.sidecar.validation.n },
    }),
  );
  api.get('/openapi.json', (c) => c.json(openApiDocument(limits)));

  api.post(
    '/tag',
    async (c, next) => {
      if (requests >= limits.maxRequests) {
        stats.rejected++;
        return jsonError(c, 429, 'too_many_requests', `${limits.maxRequests} requests are already in progress; retry later`, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
      }
      requests++;
      try {
        await next();
      } finally {
        requests--;
      }
    },
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: (c) => jsonError(c, 413, 'body_too_large', `the request body is over the limit of ${limits.maxBodyBytes} bytes`, { Connection: 'close' }),
    }),
    async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      let photos: { name: string; bytes: Uint8Array }[];
      const multipart = type === 'multipart/form-data';
      if (multipart) {
        let form: Record<string, string | File | (string | File)[]>;
        try {
          form = await c.req.parseBody({ all: true });
        } catch (err) {
          return jsonError(c, 400, 'bad_request', `cannot read the multipart body: ${(err as Error).message}`);
        }
        const files = Object.values(form).flat().filter((v): v is File => typeof v !== 'string');
        if (files.length === 0) return jsonError(c, 400, 'bad_request', 'the multipart body holds no file (send each photo as a file part)');
        if (files.length > limits.maxFiles) return jsonError(c, 413, 'too_many_files', `${files.length} files in one request; at most ${limits.maxFiles}`);
        photos = await Promise.all(files.map(async (f, i) => ({ name: safeName(f.name, `upload-${i}`), bytes: new Uint8Array(await f.arrayBuffer()) })));
      } else if (RAW_TYPES.test(type)) {
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        photos = [{ name: 'upload', bytes }];
      } else {
        return jsonError(c, 415, 'unsupported_media_type', `Content-Type "${type || '(none)'}" is not accepted: send the photo's bytes as image/* or application/octet-stream, or photos as multipart/form-data`);
      }
      if (queued + photos.length > limits.maxQueue) {
        stats.rejected++;
        return jsonError(c, 503, 'queue_full', `${queued} photos are waiting for a worker (limit ${limits.maxQueue}); retry later`, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
      }
      queued += photos.length;
      stats.requests++;
      const firstByHash = new Map<string, string>();
      const jobs = photos.map((p) => {
        const job = p.bytes.length === 0
          ? Promise.resolve<HashedRecord>({ path: p.name, sha256: null, duplicate_of: null, width: null, height: null, faces: [], error: { code: 'empty_file', message: `${p.name}: empty file (0 bytes)` } })
          : o.pool.tag({ path: p.name, bytes: p.bytes });
        void job.finally(() => {
          queued--;
          stats.photos++;
        });
        return job;
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limits.timeoutMs)));
      const done = await Promise.race([Promise.all(jobs), timeout]);
      clearTimeout(timer);
      if (done === 'timeout') {
        return jsonError(c, 503, 'timeout', `the photos were not tagged within ${limits.timeoutMs / 1000} s; retry later`, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
      }
      const records = done.map((r) => ({ ...markExcluded(markDuplicate(r, firstByHash), o.quality), provenance }));
      if (multipart) return c.json({ records });
      const rec = records[0];
      if (rec.error) {
        const status = STATUS_OF_CODE[rec.error.code] ?? 400;
        return c.json({ error: rec.error, record: rec }, status);
      }
      return c.json(rec);
    },
  );
  // A client that went away mid-body (Node then answers 408 or just closes): nobody reads an answer, and it is not
  // a server fault worth a stack trace. Anything else is a JSON 500.
  api.onError((err, c) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || err.message === 'aborted') return jsonError(c, 400, 'bad_request', 'the request body was not received completely');
    process.stderr.write(`facetally serve: internal error in ${c.req.method} ${new URL(c.req.url).pathname}: ${err.stack ?? err.message}\n`);
    return jsonError(c, 500, 'internal_error', 'internal error while answering this request');
  });
  // Registered last: any other /v1 path or method is a JSON 404 (not the web app's file lookup).
  api.all('*', (c) => jsonError(c, 404, 'not_found', `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}`));
  return api;
}

function publicLimits(l: ApiLimits) {
  return { max_body_bytes: l.maxBodyBytes, max_files: l.maxFiles, max_requests: l.maxRequests, max_queue: l.maxQueue, timeout_s: l.timeoutMs / 1000 };
}

