/** Pure helpers of distributed runs: --path-map rewriting, queue URL checks, password redaction, model fingerprint. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRedisUrl, modelFingerprint, redactUrl } from '../../src/distributed/queue.js';
import { mapPath, parsePathMap } from '../../src/distributed/worker.js';

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
