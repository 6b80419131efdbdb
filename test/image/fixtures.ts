/**
 * Helpers for decoder tests: a per-suite temp folder and pixel comparisons. Fixtures are generated in
 * code (sharp) from the shared sample photos, never committed.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp folder; `cleanup` removes it. */
export async function tempDir(prefix = 'facetally-test-'): Promise<{ dir: string; file: (name: string, bytes?: Buffer | string) => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    /** Path of `name` in the folder; written with `bytes` when given. */
    file: async (name, bytes) => {
      const p = join(dir, name);
      if (bytes !== undefined) await writeFile(p, bytes);
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Mean absolute difference of two equally long byte arrays (0..255). @throws Error on a length mismatch. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** The RGB triple at (x, y) of an interleaved 3-channel image. */
export function pixelAt(img: { data: Uint8Array; width: number }, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}
