/**
 * Pure helpers of distributed runs (--path-map rewriting, queue URL checks, password redaction, model
 * fingerprint), and the command line's refusals that need no Redis (built dist/).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRedisUrl, modelFingerprint, redactUrl } from '../../src/distributed/queue.js';
import { mapPath, parsePathMap } from '../../src/distributed/worker.js';
import { repoRoot } from '../helpers/shared.js';

const facetally = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'facetally.js'), ...args], { encoding: 'utf8', env: { ...process.env, FACETALLY_REDIS_URL: '' } });

describe('--path-map', () => {
  it('rewrites the first matching prefix, whole path components only', () => {
    const map: [string, string][] = [parsePathMap('/mnt/photos=/data/photos'), parsePathMap('/mnt=/other')];
    expect(mapPath('/mnt/photos/2019/a.jpg', map)).toBe('/data/photos/2019/a.jpg');
    expect(mapPath('/mnt/photos', map)).toBe('/data/photos');
    expect(mapPath('/mnt/photos2/a.jpg', map)).toBe('/other/photos2/a.jpg'); // not /data/photos2
    expect(mapPath('/home/me/a.jpg', map)).toBe('/home/me/a.jpg');
    expect(mapPath('/mnt/photos/a.jpg', [parsePathMap('/mnt/photos/=/data/photos/')])).toBe('/data/photos/a.jpg');
    expect(mapPath('/srv/a b/ü.jpg', [parsePathMap('/=/nowhere/')])).toBe('/nowhere/srv/a b/ü.jpg');
  });

  it('refuses a mapping without FROM=TO', () => {
    for (const bad of ['/mnt/photos', '=/data', '/mnt=']) expect(() => parsePathMap(bad)).toThrow(/expected FROM=TO/);
    expect(parsePathMap('C=D=E')).toEqual(['C', 'D=E']);
  });
});

describe('queue URLs', () => {
  it('accepts redis:// and rediss:// with a password and a database number; refuses the rest in plain words', () => {
    for (const ok of ['redis://127.0.0.1:6379', 'rediss://:pw@queue-host:6380/2', 'redis://user:pw@h']) expect(checkRedisUrl(ok)).toBe(ok);
    expect(() => checkRedisUrl('http://h:6379')).toThrow(/expected a redis:\/\/ or rediss:\/\/ URL, not http:\/\//);
    expect(() => checkRedisUrl('queue-host:6379')).toThrow(/expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => checkRedisUrl('not a url')).toThrow(/is not a URL/);
    expect(() => checkRedisUrl('redis://:secret@h/photos')).toThrow(/redis:\/\/:\*\*\*@h\/photos: the path must be a database number/);
  });

  it('never prints a password', () => {
    expect(redactUrl('redis://:s3cret@queue-host:6379/1')).toBe('redis://:***@queue-host:6379/1');
    expect(redactUrl('rediss://alice:s3cret@h:6380')).toBe('rediss://alice:***@h:6380');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('modelFingerprint', () => {
  it('is the SHA-256 of attributes.json followed by the ONNX file it names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-fp-'));
    const sidecar = JSON.stringify({ model: 'm.onnx' });
    writeFileSync(join(dir, 'attributes.json'), sidecar);
    writeFileSync(join(dir, 'm.onnx'), Buffer.from([1, 2, 3]));
    expect(await modelFingerprint(dir)).toBe(createHash('sha256').update(sidecar).update(Buffer.from([1, 2, 3])).digest('hex'));
    writeFileSync(join(dir, 'm.onnx'), Buffer.from([1, 2, 4]));
    expect(await modelFingerprint(dir)).not.toBe(createHash('sha256').update(sidecar).update(Buffer.from([1, 2, 3])).digest('hex'));
    await expect(modelFingerprint(join(dir, 'missing'))).rejects.toThrow(/attributes\.json: attribute model sidecar not found/);
  });
});

describe('command line (needs dist/)', () => {
  it('a worker whose models cannot load exits 1 with the reason, before touching Redis', () => {
    // Port 1 on loopback: nothing listens there; the worker must fail on the model first.
    const r = facetally('worker', '--queue', 'redis://127.0.0.1:1', '--model', join(tmpdir(), 'no-such-model-facetally'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^facetally: cannot load the models: .*no-such-model-facetally\/attributes\.json: attribute model sidecar not found\n$/);
  });

  it('refuses a worker without a queue, a bad queue URL, and --send-bytes without --queue', () => {
    const none = facetally('worker');
    expect([none.status, none.stderr]).toEqual([1, 'facetally: --queue redis://HOST:PORT is needed (or FACETALLY_REDIS_URL)\n']);
    const bad = facetally('tag', 'x.jpg', '--queue', 'http://queue-host:6379');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--queue http:\/\/queue-host:6379: expected a redis:\/\/ or rediss:\/\/ URL/);
    const bytes = facetally('tag', 'x.jpg', '--send-bytes');
    expect([bytes.status, bytes.stderr]).toEqual([1, 'facetally: --send-bytes needs --queue (it puts the photos into the jobs of a distributed run)\n']);
  });
});
