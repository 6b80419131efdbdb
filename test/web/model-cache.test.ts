/**
 * The web app's model cache (fetchModelBytes in src/browser/runner.ts) against `facetally serve`'s real server:
 * the first visit downloads and stores the model with its ETag, the next sends If-None-Match, gets 304 and reuses
 * the stored bytes, a changed file (new ETag) is downloaded again and replaces the copy. Cache Storage is stood in
 * for by a Map (Node has no `caches`); every request the "browser" makes is recorded.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchModelBytes, type ModelCache } from '../../src/browser/runner.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { repoRoot } from '../helpers/shared.js';

describe('fetchModelBytes: models kept in Cache Storage, revalidated by ETag', () => {
  let root: string;
  let server: RunningServer;
  const store = new Map<string, Response>();
  const cache: ModelCache = {
    match: async (url) => store.get(url)?.clone(),
    put: async (url, res) => void store.set(url, res),
  };
  const seen: { ifNoneMatch: string | null; status: number }[] = [];
  const recordingFetch = (async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    seen.push({ ifNoneMatch: new Headers(init?.headers).get('if-none-match'), status: res.status });
    return res;
  }) as typeof fetch;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'facetally-model-cache-'));
    mkdirSync(join(root, 'web'));
    mkdirSync(join(root, 'model'));
    writeFileSync(join(root, 'web/index.html'), '<!doctype html>');
    copyFileSync(join(repoRoot, 'models/celeba-attributes/attributes.json'), join(root, 'model/attributes.json')); // names attributes.onnx
    writeFileSync(join(root, 'model/attributes.onnx'), Buffer.alloc(100_000, 7));
    server = await startServer({ port: 0, webDir: join(root, 'web'), modelDir: join(root, 'model') });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('downloads once, then reuses the copy on a 304; a changed file replaces it', async () => {
    const url = new URL('models/attributes/attributes.onnx', server.url).href;
    const first = await fetchModelBytes(url, 'model', cache, recordingFetch);
    expect([first.length, first[0], first[99_999]]).toEqual([100_000, 7, 7]);
    expect(seen).toEqual([{ ifNoneMatch: null, status: 200 }]);
    expect(store.get(url)?.headers.get('etag')).toMatch(/^"186a0-[0-9a-f]+"$/); // 100,000 bytes = 0x186a0

    const second = await fetchModelBytes(url, 'model', cache, recordingFetch);
    expect(seen[1]).toEqual({ ifNoneMatch: store.get(url)!.headers.get('etag'), status: 304 });
    expect(Buffer.compare(Buffer.from(second), Buffer.from(first))).toBe(0);

    // The model is replaced (another size, another modification time): downloaded again, the copy replaced.
    writeFileSync(join(root, 'model/attributes.onnx'), Buffer.alloc(50_000, 9));
    utimesSync(join(root, 'model/attributes.onnx'), new Date(), new Date(Date.now() + 5000));
    const third = await fetchModelBytes(url, 'model', cache, recordingFetch);
    expect(seen[2].status).toBe(200);
    expect([third.length, third[0]]).toEqual([50_000, 9]);
    expect(store.get(url)?.headers.get('etag')).toMatch(/^"c350-/); // 50,000 bytes
  });

  it('without Cache Storage (null) it is a plain fetch; a missing file names the model and the status', async () => {
    const url = new URL('models/attributes/attributes.onnx', server.url).href;
    expect((await fetchModelBytes(url, 'model', null)).length).toBe(50_000);
    await expect(fetchModelBytes(new URL('models/attributes/other.onnx', server.url).href, 'attribute model other.onnx', null))
      .rejects.toThrow(/attribute model other\.onnx: cannot fetch .*other\.onnx \(HTTP 404\)/);
  });
});
