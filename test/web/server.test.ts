/**
 * `facetally serve`'s server: files only, GET/HEAD only, loopback Host check, no path traversal,
 * the model files named by the sidecar. Runs against a temporary web build and a stand-in model folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA_ATTRIBUTES } from '../../src/attributes/names.js';
import { CONTENT_SECURITY_POLICY, isLoopback, startServer, type RunningServer } from '../../src/server/serve.js';

/** A minimal valid sidecar (the server checks it; its numbers do not matter here). */
export function fakeSidecar(model = 'attributes.onnx'): unknown {
  const per = { tp: 1, fn: 1, tn: 1, fp: 1, accuracy: 0.5, balanced_accuracy: 0.5, baseline: 0.5, sensitivity: 0.5, specificity: 0.5 };
  return {
    format: 'facetally-attributes/1',
    model,
    attributes: [...CELEBA_ATTRIBUTES],
    input: { width: 8, height: 8, layout: 'NCHW', region: { x: 0, y: 0, width: 178, height: 218 }, mean: [0, 0, 0], std: [1, 1, 1] },
    output: 'probabilities',
    thresholds: Object.fromEntries(CELEBA_ATTRIBUTES.map((a) => [a, 0.5])),
    validation: { split: 'val', n: 4, mean_accuracy: 0.5, mean_balanced_accuracy: 0.5, mean_baseline: 0.5, per_attribute: Object.fromEntries(CELEBA_ATTRIBUTES.map((a) => [a, per])) },
    training: {},
  };
}

describe('facetally serve (server)', () => {
  let server: RunningServer;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'facetally-serve-'));
    mkdirSync(join(root, 'web/assets'), { recursive: true });
    mkdirSync(join(root, 'model'));
    writeFileSync(join(root, 'web/index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'web/assets/app-123.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    writeFileSync(join(root, 'model/attributes.json'), JSON.stringify(fakeSidecar('net.onnx')));
    writeFileSync(join(root, 'model/net.onnx'), 'ONNX');
    writeFileSync(join(root, 'model/other.onnx'), 'OTHER');
    server = await startServer({ port: 0, webDir: join(root, 'web'), modelDir: join(root, 'model') });
  });
  afterAll(() => server?.close());

  it('binds 127.0.0.1 by default and serves the app with a strict CSP', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
    const js = await fetch(new URL('assets/app-123.js', server.url));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
  });

  it('serves the sidecar, the ONNX file it names and the BlazeFace models, nothing else from the model folder', async () => {
    expect(await (await fetch(new URL('models/attributes/attributes.json', server.url))).json()).toMatchObject({ model: 'net.onnx' });
    expect(await (await fetch(new URL('models/attributes/net.onnx', server.url))).text()).toBe('ONNX');
    expect((await fetch(new URL('models/attributes/other.onnx', server.url))).status).toBe(404);
    const bf = await fetch(new URL('models/blazeface/face_detection_back_dynamic.onnx', server.url));
    expect(bf.status).toBe(200);
    expect((await bf.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
  });

  it('gives the models an ETag and answers a matching If-None-Match with 304 and no body (a large model is not downloaded again)', async () => {
    const url = new URL('models/attributes/net.onnx', server.url);
    const first = await fetch(url);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"4-[0-9a-f]+"$/); // size 4 bytes ('ONNX'), then the modification time in ms, hex
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await fetch(url, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    expect((await fetch(url, { headers: { 'If-None-Match': `"x", W/${etag}` } })).status).toBe(304);
    const changed = await fetch(url, { headers: { 'If-None-Match': '"4-0"' } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe('ONNX');
  });

  it('accepts no uploads: every method but GET/HEAD is 405', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await fetch(server.url, { method, body: method === 'DELETE' ? undefined : 'photo bytes' });
      expect(res.status, method).toBe(405);
    }
    expect((await fetch(server.url, { method: 'HEAD' })).status).toBe(200);
  });

  it('refuses path traversal and foreign Host headers', async () => {
    const { request } = await import('node:http');
    const get = (path: string, host?: string) =>
      new Promise<number>((ok, fail) => {
        const req = request({ host: '127.0.0.1', port: server.port, path, headers: host ? { host } : {} }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        });
        req.on('error', fail);
        req.end();
      });
    expect(await get('/../secret.txt')).toBe(404);
    expect(await get('/%2e%2e/secret.txt')).toBe(404);
    expect(await get('/..%2fsecret.txt')).toBe(404);
    expect(await get('/', `evil.example:${server.port}`)).toBe(403);
    expect(await get('/', `localhost:${server.port}`)).toBe(200);
  });

  it('fails clearly without a web build or a model, and on a busy port', async () => {
    await expect(startServer({ port: 0, webDir: join(root, 'nope'), modelDir: join(root, 'model') })).rejects.toThrow(/web app not built/);
    await expect(startServer({ port: 0, webDir: join(root, 'web'), modelDir: root })).rejects.toThrow(/attributes\.json: attribute model sidecar not found/);
    await expect(startServer({ port: server.port, webDir: join(root, 'web'), modelDir: join(root, 'model') })).rejects.toThrow(/already in use/);
    expect(readFileSync(join(root, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', 'localhost', '::1', '127.1.2.3'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '192.168.1.2', '::'].some(isLoopback)).toBe(false);
  });
});
