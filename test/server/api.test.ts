/**
 * `facetally serve --api`: every status code of POST /v1/tag, the bearer token, a 2 GB declared Content-Length, a
 * slow client that never finishes its body, a decompression-bomb PNG, the OpenAPI document validated by
 * @apidevtools/swagger-parser, and the web app still served beside the API.
 *
 * The real server (startServer) runs on a free 127.0.0.1 port with the shipped models on one worker; the limits
 * that need a busy server (429, 503) run the same routes in process (Hono's app.request) with a pool that answers
 * only when the test lets it, so they do not depend on timing.
 */
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '../../src/attributes/load-node.js';
import { parseSidecar } from '../../src/attributes/sidecar.js';
import { TaggerPool } from '../../src/pipeline/pool.js';
import { runProvenance, type Provenance } from '../../src/pipeline/provenance.js';
import { tagPhotoHashed, type HashedRecord } from '../../src/pipeline/worker.js';
import { Tagger } from '../../src/pipeline/tag.js';
import { createApiApp, tokenMatches } from '../../src/server/api.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { repoRoot } from '../helpers/shared.js';

const astronaut = readFileSync(join(repoRoot, 'examples', 'astronaut.png'));
const hopper = readFileSync(join(repoRoot, 'examples', 'grace_hopper.jpg'));
const MAX_PIXELS = 10e6;

/** Send raw bytes over TCP and collect the response until the server closes the connection (or `waitMs`). */
function rawRequest(port: number, head: string, body: Buffer, waitMs: number): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closed: false, ms: Date.now() - t0 });
    }, waitMs);
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true, ms: Date.now() - t0 });
    });
    sock.write(head);
    sock.write(body);
  });
}

describe('HTTP API on a real server (shipped models, one worker)', () => {
  let server: RunningServer;
  let pool: TaggerPool;
  let provenance: Provenance;
  let root: string;
  let url: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'facetally-api-'));
    mkdirSync(join(root, 'web'));
    writeFileSync(join(root, 'web/index.html'), '<!doctype html><title>facetally</title>');
    const tagOptions = { maxPixels: MAX_PIXELS };
    provenance = await runProvenance(tagOptions);
    pool = await TaggerPool.start({ ...tagOptions, workers: 1 });
    server = await startServer({
      port: 0,
      webDir: join(root, 'web'),
      api: { pool, provenance, limits: { maxBodyBytes: 4 * 2 ** 20, maxFiles: 3, timeoutMs: 1500 } },
    });
    url = server.url;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await pool?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('POST /v1/tag with the raw bytes answers the record of facetally tag, with provenance (no cwd)', async () => {
    const res = await fetch(`${url}v1/tag`, { method: 'POST', body: astronaut, headers: { 'Content-Type': 'image/png' } });
    expect(res.status).toBe(200);
    const rec = (await res.json()) as HashedRecord & { provenance: Provenance };
    const tagger = await Tagger.create({ maxPixels: MAX_PIXELS });
    const local = await tagPhotoHashed(tagger, 'upload', { bytes: astronaut });
    expect({ ...rec, provenance: undefined }).toEqual({ ...local, provenance: undefined });
    expect(rec.faces).toHaveLength(1);
    expect(Object.keys(rec)).toEqual(['path', 'sha256', 'duplicate_of', 'width', 'height', 'faces', 'error', 'provenance']);
    const { cwd: _cwd, ...expected } = provenance;
    expect(rec.provenance).toEqual(expected);
    expect(rec.provenance.settings.max_pixels).toBe(10);
  });

  it('multipart/form-data with several files answers their records in order; identical bytes are duplicates', async () => {
    const form = new FormData();
    form.append('file', new Blob([hopper], { type: 'image/jpeg' }), 'hopper.jpg');
    form.append('file', new Blob([astronaut], { type: 'image/png' }), 'dir/astronaut.png');
    form.append('other', new Blob([hopper], { type: 'image/jpeg' }), 'copy.jpg');
    const res = await fetch(`${url}v1/tag`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const { records } = (await res.json()) as { records: HashedRecord[] };
    expect(records.map((r) => [r.path, r.faces.length, r.duplicate_of])).toEqual([
      ['hopper.jpg', 1, null],
      ['astronaut.png', 1, null],
      ['copy.jpg', 1, 'hopper.jpg'],
    ]);
  });

  it('400 for an empty body, a corrupt image and a multipart body without a file; 415 for other media and formats', async () => {
    const post = (body: BodyInit, type: string) => fetch(`${url}v1/tag`, { method: 'POST', body, headers: { 'Content-Type': type } });
    const empty = await post(new Uint8Array(0), 'image/jpeg');
    expect([empty.status, ((await empty.json()) as { error: { code: string } }).error.code]).toEqual([400, 'empty_file']);
    const corrupt = await post(Buffer.concat([astronaut.subarray(0, 200)]), 'image/png');
    const cj = (await corrupt.json()) as { error: { code: string }; record: HashedRecord };
    expect([corrupt.status, cj.error.code, cj.record.width]).toEqual([400, 'corrupt_image', null]);
    const noFile = new FormData();
    noFile.append('note', 'hello');
    const nf = await fetch(`${url}v1/tag`, { method: 'POST', body: noFile });
    expect([nf.status, ((await nf.json()) as { error: { code: string } }).error.code]).toEqual([400, 'bad_request']);
    const text = await post('hello', 'text/plain');
    expect([text.status, ((await text.json()) as { error: { code: string } }).error.code]).toEqual([415, 'unsupported_media_type']);
    const notImage = await post('this is not a photo', 'image/jpeg');
    expect([notImage.status, ((await notImage.json()) as { error: { code: string } }).error.code]).toEqual([415, 'unsupported_format']);
  });

  it('413 for a decompression-bomb PNG (refused from its header, before decoding)', async () => {
    // 6000 x 6000 grey pixels: 36 MB of pixels in a PNG of a few tens of kB, over the server's 10-megapixel limit.
    const bomb = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(200_000);
    const res = await fetch(`${url}v1/tag`, { method: 'POST', body: new Uint8Array(bomb), headers: { 'Content-Type': 'image/png' } });
    const j = (await res.json()) as { error: { code: string; message: string } };
    expect([res.status, j.error.code]).toEqual([413, 'too_many_pixels']);
    expect(j.error.message).toMatch(/6000x6000/);
  });

  it('413 for a body over the limit: a declared 2 GB Content-Length is refused at once, a chunked body when it passes the limit', async () => {
    const head = `POST /v1/tag HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: ${2 * 2 ** 30}\r\n\r\n`;
    const r = await rawRequest(server.port, head, Buffer.alloc(1024), 10_000);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.text).toMatch(/"code":"body_too_large"/);
    const big = new Uint8Array(5 * 2 ** 20);
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 5; i++) ctl.enqueue(big.subarray(i * 2 ** 20, (i + 1) * 2 ** 20));
        ctl.close();
      },
    });
    const res = await fetch(`${url}v1/tag`, { method: 'POST', body: stream, headers: { 'Content-Type': 'image/jpeg' }, duplex: 'half' } as never);
    expect(res.status).toBe(413);
    const form = new FormData();
    for (let i = 0; i < 4; i++) form.append('file', new Blob([hopper]), `h${i}.jpg`);
    const many = await fetch(`${url}v1/tag`, { method: 'POST', body: form });
    expect([many.status, ((await many.json()) as { error: { code: string } }).error.code]).toEqual([413, 'too_many_files']);
  });

  it('408 and a closed connection for a client that never finishes its body', async () => {
    const head = `POST /v1/tag HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n`;
    const r = await rawRequest(server.port, head, hopper.subarray(0, 1000), 15_000);
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it('GET /v1/health, /v1/model and a valid OpenAPI 3.1 document; unknown endpoints 404 in JSON', async () => {
    const health = (await (await fetch(`${url}v1/health`)).json()) as { status: string; limits: Record<string, number> };
    expect(health.status).toBe('ok');
    expect(health.limits).toMatchObject({ max_body_bytes: 4 * 2 ** 20, max_files: 3, timeout_s: 1.5 });
    const model = (await (await fetch(`${url}v1/model`)).json()) as { name: string; model_sha256: string; thresholds: Record<string, number>; attributes: string[] };
    const sidecar = parseSidecar(JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'attributes.json'), 'utf8')), 'attributes.json');
    expect(model.name).toBe('celeba-attributes');
    expect(model.model_sha256).toBe(provenance.model_sha256);
    expect(model.thresholds).toEqual(sidecar.thresholds);
    expect(model.attributes).toHaveLength(40);
    const doc = (await (await fetch(`${url}v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    expect(Object.keys((api as { paths: object }).paths)).toEqual(['/v1/tag', '/v1/health', '/v1/model', '/v1/openapi.json']);
    const missing = await fetch(`${url}v1/nope`);
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
  });

  it('the web app is still served beside the API, and still answers only GET/HEAD outside /v1', async () => {
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>facetally<\/title>/);
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('refuses to start the API on a non-loopback interface without a token', async () => {
    await expect(startServer({ port: 0, host: '0.0.0.0', webDir: join(root, 'web'), api: { pool, provenance } })).rejects.toThrow(/give a token with --token or FACETALLY_TOKEN/);
  });
});

describe('HTTP API limits and token (in process, with a pool the test releases)', () => {
  const sidecar = parseSidecar(JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'attributes.json'), 'utf8')), 'attributes.json');
  const provenance: Provenance = {
    facetally: '0.0.0', model: 'm', model_sha256: '0'.repeat(16), thresholds_sha256: '1'.repeat(16), detector_sha256: '2'.repeat(16), settings: { min_face: 32 }, cwd: '/secret/home',
  };
  /** A pool whose photos finish only when `release()` is called. */
  function heldPool() {
    const waiting: (() => void)[] = [];
    let tagged = 0;
    return {
      attributeNames: sidecar.attributes,
      tag: (req: { path: string }) =>
        new Promise<HashedRecord>((resolve) => {
          tagged++;
          waiting.push(() => resolve({ path: req.path, sha256: 'ab'.repeat(32), duplicate_of: null, width: 4, height: 4, faces: [], error: null }));
        }),
      release: () => waiting.splice(0).forEach((f) => f()),
      get tagged() {
        return tagged;
      },
    };
  }
  const post = (app: ReturnType<typeof createApiApp>, n = 1, headers: Record<string, string> = {}) => {
    if (n === 1) return app.request('/tag', { method: 'POST', body: hopper, headers: { 'Content-Type': 'image/jpeg', ...headers } });
    const form = new FormData();
    for (let i = 0; i < n; i++) form.append('file', new Blob([hopper]), `p${i}.jpg`);
    return app.request('/tag', { method: 'POST', body: form, headers });
  };
  /** Wait until the pool has been handed `n` photos in all (polls; no fixed sleep, so a slow machine only waits longer). */
  const handed = async (pool: { tagged: number }, n: number) => {
    while (pool.tagged < n) await new Promise((r) => setTimeout(r, 5));
  };

  it('429 with Retry-After when --max-requests requests are in progress; served again once they finish', async () => {
    const pool = heldPool();
    const app = createApiApp({ pool, provenance, sidecar, limits: { maxRequests: 2 } });
    const first = [post(app), post(app)];
    await handed(pool, 2);
    const third = await post(app);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    pool.release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    const again = post(app);
    await handed(pool, 3);
    pool.release();
    const rec = (await (await again).json()) as { provenance: Record<string, unknown> };
    expect(rec.provenance).not.toHaveProperty('cwd');
  });

  it('503 with Retry-After when the photo queue (--max-queue) would overflow; 503 when photos are not tagged in time', async () => {
    const pool = heldPool();
    const app = createApiApp({ pool, provenance, sidecar, limits: { maxQueue: 3 } });
    const two = post(app, 2);
    await handed(pool, 2);
    const full = await post(app, 2);
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('queue_full');
    const one = post(app, 1); // 2 + 1 = 3 fits
    await handed(pool, 3);
    pool.release();
    expect([(await two).status, (await one).status]).toEqual([200, 200]);

    const slow = createApiApp({ pool, provenance, sidecar, limits: { timeoutMs: 30 } });
    const late = await post(slow);
    expect(late.status).toBe(503);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('timeout');
    pool.release();
  });

  it('with a token: 401 without it or with a wrong one (WWW-Authenticate: Bearer), 200 with it', async () => {
    const pool = heldPool();
    const app = createApiApp({ pool, provenance, sidecar, token: 's3cret-token' });
    const none = await app.request('/health');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await app.request('/health', { headers: { Authorization: 'Bearer s3cret-tokeN' } });
    expect([wrong.status, ((await wrong.json()) as { error: { code: string } }).error.code]).toEqual([401, 'unauthorized']);
    expect((await post(app, 1, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect(pool.tagged).toBe(0);
    expect((await app.request('/health', { headers: { Authorization: 'Bearer s3cret-token' } })).status).toBe(200);
    expect([tokenMatches('a', 'a'), tokenMatches('a', 'b'), tokenMatches('', 'a'), tokenMatches('abc', 'abcd')]).toEqual([true, false, false, false]);
  });
});
