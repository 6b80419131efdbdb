/**
 * The worker pool: identical records whatever the number of workers, in listing order, equal to the library's
 * in-thread path (`tag` with `workers: 1`, sha256 and duplicate_of included); duplicates reported, not merged; errors carried through.
 *
 * Uses the shipped attribute model (models/celeba-attributes); when it is missing these tests fail with the
 * loader's message naming the file. FACETALLY_TEST_MODEL_DIR points them at another model folder (development only).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { TaggerPool, tagFilesParallel, type HashedRecord } from '../../src/pipeline/pool.js';
import { tag } from '../../src/pipeline/library.js';
import { withProvenance } from '../../src/pipeline/output.js';
import { runProvenance } from '../../src/pipeline/provenance.js';
import { markExcluded } from '../../src/quality/filter.js';
import { repoRoot } from '../helpers/shared.js';

const modelDir = process.env.FACETALLY_TEST_MODEL_DIR || undefined;

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

describe('TaggerPool / tagFilesParallel', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'facetally-pool-'));
    const astronaut = join(repoRoot, 'examples', 'astronaut.png');
    copyFileSync(astronaut, join(dir, 'a.png'));
    copyFileSync(join(repoRoot, 'examples', 'grace_hopper.jpg'), join(dir, 'b.jpg'));
    copyFileSync(astronaut, join(dir, 'c copy é.png')); // same bytes as a.png, a path with a space and non-ASCII
    await sharp(astronaut).resize(300).jpeg({ quality: 85 }).toFile(join(dir, 'd-small.jpg'));
    await sharp(astronaut).flop().png().toFile(join(dir, 'e-mirror.png'));
    writeFileSync(join(dir, 'f-empty.jpg'), '');
    writeFileSync(join(dir, 'g-text.jpg'), 'not a JPEG at all');
    mkdirSync(join(dir, 'h-folder.png'));
  });

  it('--workers 1 and 2 give identical records, in listing order, equal to the library in this thread and on 2 workers', async () => {
    const one = await collect(tagFilesParallel([dir], { modelDir, workers: 1 }));
    const two = await collect(tagFilesParallel([dir], { modelDir, workers: 2, perWorker: 3 }));
    expect(two).toEqual(one);
    // The library: the command's records, field order included (sha256 and duplicate_of as the command writes them).
    const serial = await tag(dir, { modelDir, workers: 1 });
    // The command writes each record with the run's provenance as its last field (RecordFormatter); so does the library.
    const provenance = await runProvenance({ modelDir });
    const cliLines = one.map((r) => JSON.stringify(withProvenance(r, provenance)));
    expect(serial.map((r) => JSON.stringify(r))).toEqual(cliLines);
    expect((await tag([dir], { modelDir, workers: 2 })).map((r) => JSON.stringify(r))).toEqual(cliLines);
    expect(serial.find((r) => r.path.endsWith('c copy é.png'))!.duplicate_of).toBe(join(dir, 'a.png'));
    // One face in each of the five readable photos (the astronaut, Grace Hopper, the copy, the 300 px copy, the mirror).
    expect(one.map((r) => [r.path.slice(dir.length + 1), r.faces.length])).toEqual([
      ['a.png', 1], ['b.jpg', 1], ['c copy é.png', 1], ['d-small.jpg', 1], ['e-mirror.png', 1], ['f-empty.jpg', 0], ['g-text.jpg', 0], ['h-folder.png', 0],
    ]);
  });

  it('the library applies a quality rule as the command does: faces marked excluded, the rule in provenance', async () => {
    const quality = { minEyeDistance: 10_000 }; // no face has its eyes 10,000 px apart
    const recs = await tag(dir, { modelDir, workers: 1, quality });
    const withFaces = recs.filter((r) => r.faces.length > 0);
    expect(withFaces.length).toBeGreaterThanOrEqual(4);
    for (const r of withFaces) for (const f of r.faces) expect((f as { excluded?: string[] }).excluded).toHaveLength(1);
    expect(recs[0].provenance.settings.quality_rule).toBe('--min-eye-distance 10000');
    expect(recs[0].provenance).toEqual(await runProvenance({ modelDir, quality }));
    // The command's path: its records through markExcluded, then the formatter's provenance.
    const one = await collect(tagFilesParallel([dir], { modelDir, workers: 2 }));
    const provenance = await runProvenance({ modelDir, quality });
    expect(recs.map((r) => JSON.stringify(r))).toEqual(one.map((r) => JSON.stringify(withProvenance(markExcluded(r, quality), provenance))));
  });

  it('a tiny reorder window still yields listing order', async () => {
    const recs = await collect(tagFilesParallel([dir], { modelDir, workers: 2, window: 2 }));
    expect(recs.map((r) => r.path)).toEqual([...recs.map((r) => r.path)].sort());
  });

  it('sha256 is the hash of the bytes; identical photos are reported with duplicate_of, not merged', async () => {
    const recs: HashedRecord[] = await collect(tagFilesParallel([dir], { modelDir, workers: 2 }));
    const by = new Map(recs.map((r) => [r.path.slice(dir.length + 1), r]));
    expect(by.get('a.png')!.sha256).toBe(createHash('sha256').update(readFileSync(join(dir, 'a.png'))).digest('hex'));
    expect(by.get('a.png')!.duplicate_of).toBeNull();
    expect(by.get('c copy é.png')!.duplicate_of).toBe(join(dir, 'a.png'));
    expect(by.get('c copy é.png')!.faces).toEqual(by.get('a.png')!.faces);
    expect(by.get('e-mirror.png')!.duplicate_of).toBeNull();
    // errors carried through with their codes; unreadable entries have no hash
    expect(by.get('f-empty.jpg')!.error?.code).toBe('empty_file');
    expect(by.get('g-text.jpg')!.error?.code).toBe('unsupported_format');
    expect(by.get('h-folder.png')!.error?.code).toBe('not_a_file');
    expect(by.get('h-folder.png')!.sha256).toBeNull();
  });

  it('skip leaves photos out; a pre-filled hash map keeps duplicates pointing at the earlier run', async () => {
    const first = new Map<string, string>();
    const recs = await collect(
      tagFilesParallel([dir], { modelDir, workers: 1, skip: (p) => !p.endsWith('copy é.png'), firstByHash: first }),
    );
    expect(recs).toHaveLength(1);
    expect(recs[0].duplicate_of).toBeNull();
    const again = await collect(tagFilesParallel([join(dir, 'a.png')], { modelDir, workers: 1, firstByHash: first }));
    expect(again[0].duplicate_of).toBe(join(dir, 'c copy é.png'));
  });

  it('a consumer that stops early closes the pool without killing the process (busy workers finish first)', async () => {
    let n = 0;
    for await (const r of tagFilesParallel([dir], { modelDir, workers: 2, perWorker: 2 })) {
      expect(r.path).toBe(join(dir, 'a.png'));
      if (++n === 1) break;
    }
    const pool = await TaggerPool.start({ modelDir, workers: 2 });
    const pending = [pool.tag(join(dir, 'a.png')), pool.tag(join(dir, 'b.jpg')), pool.tag(join(dir, 'e-mirror.png')), pool.tag(join(dir, 'd-small.jpg')), pool.tag(join(dir, 'c copy é.png'))];
    await pool.close(); // two on each worker are finished; the queued one gets an error record
    const recs = await Promise.all(pending);
    expect(recs.filter((r) => r.error?.code === 'internal_error').length).toBeGreaterThanOrEqual(1);
    expect(recs[0].faces.length).toBe(1);
  });

  /**
   * A worker's death, simulated by emitting 'error' on its Worker object (what Node does when the thread throws):
   * the pool's handler runs exactly as for a real death, while the thread itself is left to finish its photo and
   * is terminated idle afterwards (terminating a thread inside sharp or onnxruntime would abort the process).
   */
  type PoolInternals = { slots: { worker: Worker }[]; init: { options: { modelDir?: string } } };
  async function simulateDeath(pool: TaggerPool): Promise<() => Promise<void>> {
    const orphan = (pool as unknown as PoolInternals).slots[0].worker;
    const finished = new Promise((resolve) => orphan.once('message', resolve));
    orphan.emit('error', new Error('simulated crash'));
    return async () => {
      await finished;
      await orphan.terminate();
    };
  }

  it('a worker that dies: its photo gets an internal_error record, a replacement worker tags the next ones', async () => {
    const pool = await TaggerPool.start({ modelDir, workers: 1, perWorker: 1 });
    const inFlight = pool.tag(join(dir, 'a.png'));
    const reap = await simulateDeath(pool);
    const dead = await inFlight;
    expect(dead.error).toEqual({ code: 'internal_error', message: `${join(dir, 'a.png')}: worker thread died while tagging this photo (simulated crash)` });
    expect(dead.faces).toEqual([]);
    const next = await pool.tag(join(dir, 'b.jpg'));
    expect([next.error, next.faces.length]).toEqual([null, 1]);
    expect(pool.size).toBe(1);
    await reap();
    await pool.close();
  });

  it('a worker that dies and cannot be replaced: every queued photo gets an error record (failQueued), none hangs', async () => {
    const pool = await TaggerPool.start({ modelDir, workers: 1, perWorker: 1 });
    // The replacement will load from a folder without a model, so its start fails.
    (pool as unknown as PoolInternals).init.options.modelDir = join(dir, 'no-such-model');
    const recs = [pool.tag(join(dir, 'a.png')), pool.tag(join(dir, 'b.jpg')), pool.tag(join(dir, 'd-small.jpg'))];
    const reap = await simulateDeath(pool);
    const [first, ...queued] = await Promise.all(recs);
    expect(first.error?.message).toMatch(/worker thread died while tagging this photo \(simulated crash\)/);
    for (const r of queued) expect(r.error).toEqual({ code: 'internal_error', message: `${r.path}: no tagger worker could be restarted (simulated crash)` });
    expect(pool.size).toBe(0);
    await reap();
    await pool.close();
  });

  it('a model that cannot load fails the start with a message naming the file', async () => {
    await expect(TaggerPool.start({ modelDir: join(dir, 'no-such-model'), workers: 1 })).rejects.toThrow(/no-such-model.*attributes\.json/);
  });
});
