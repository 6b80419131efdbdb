import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeImageFile } from '../../src/image/decode.js';
import { Tagger } from '../../src/pipeline/tag.js';
import { tag, tagFiles } from '../../src/pipeline/library.js';
import { repoRoot } from '../helpers/shared.js';

const astronaut = join(repoRoot, 'examples', 'astronaut.png');
const hopper = join(repoRoot, 'examples', 'grace_hopper.jpg');

afterEach(() => vi.restoreAllMocks());

describe('Tagger.close', () => {
  it('releases the onnxruntime sessions: the tagger works before and refuses to run after; a second close is a no-op', async () => {
    const tagger = await Tagger.create();
    const image = await decodeImageFile(astronaut);
    expect(await tagger.analyzeImage(image)).toHaveLength(1);
    const release = [vi.spyOn(tagger.detector, 'release'), vi.spyOn(tagger.attributes!, 'release')];
    await tagger.close();
    await tagger[Symbol.asyncDispose]();
    for (const spy of release) expect(spy).toHaveBeenCalledTimes(1);
    // onnxruntime refuses a released session: proof the native sessions are gone, not just a flag set.
    await expect(tagger.analyzeImage(image)).rejects.toThrow();
  });
});

describe('one-shot helpers release their models', () => {
  it('tag() in the calling thread closes its tagger once per call', async () => {
    const close = vi.spyOn(Tagger.prototype, 'close');
    const recs = await tag([astronaut, hopper], { workers: 1 });
    expect(recs.map((r) => r.faces.length)).toEqual([1, 1]);
    expect(close).toHaveBeenCalledTimes(1);
  });
  it('tagFiles() closes its tagger when the caller stops early', async () => {
    const close = vi.spyOn(Tagger.prototype, 'close');
    for await (const rec of tagFiles([astronaut, hopper], { workers: 1 })) {
      expect(rec.path).toBe(astronaut);
      break;
    }
    expect(close).toHaveBeenCalledTimes(1);
  });
});

describe('pipeline options are checked before any model loads', () => {
  it('tag(), Tagger.create and a pool refuse an out-of-range option with one RangeError (not an error record per photo)', async () => {
    const create = vi.spyOn(Tagger, 'create');
    await expect(tag(astronaut, { workers: 1, scoreThreshold: 5 })).rejects.toThrow(new RangeError('expected a number in [0, 1] for scoreThreshold but received 5'));
    await expect(tag(astronaut, { workers: 2, minFaceSize: -3 })).rejects.toThrow(new RangeError('expected a positive number for minFaceSize but received -3'));
    expect(create).not.toHaveBeenCalled();
    await expect(Tagger.create({ verifyThreshold: -0.1 })).rejects.toThrow(/verifyThreshold but received -0.1/);
    await expect(Tagger.create({ threads: 1.5 })).rejects.toThrow(/positive integer for threads but received 1.5/);
    await expect(Tagger.create({ maxPixels: Infinity })).rejects.toThrow(/positive number for maxPixels/);
    // In range, including the edges, is accepted.
    const recs = await tag(astronaut, { workers: 1, scoreThreshold: 1, verifyThreshold: 0 });
    expect(recs[0].error).toBeNull();
  });
});
