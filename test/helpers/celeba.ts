/**
 * Readers for CelebA's label files (Liu et al., ICCV 2015), for tests and validation scripts.
 * `list_attr_celeba.txt`: line 1 = count, line 2 = the 40 names, then `file v1 ... v40` with 1 / -1.
 * `list_eval_partition.txt`: `file split` with 0 = train, 1 = validation, 2 = test.
 */

import { readFileSync } from 'node:fs';

/** One labelled image: file name and the 40 labels as booleans, keyed by attribute name. */
export interface CelebaLabels {
  file: string;
  labels: Record<string, boolean>;
}

/**
 * Read the attribute labels, keeping only files accepted by `keep` (default: all).
 * @throws Error when the header or a row is malformed
 */
export function readCelebaAttributes(path: string, keep?: (file: string) => boolean): { names: string[]; rows: CelebaLabels[] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  const names = lines[1].trim().split(/\s+/);
  if (names.length !== 40) throw new Error(`${path}: expected 40 attribute names on line 2 but found ${names.length}`);
  const rows: CelebaLabels[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const sp = line.indexOf(' ');
    const file = line.slice(0, sp);
    if (keep && !keep(file)) continue;
    const values = line.slice(sp).trim().split(/\s+/);
    if (values.length !== 40) throw new Error(`${path}:${i + 1}: expected 40 labels but found ${values.length}`);
    const labels: Record<string, boolean> = {};
    names.forEach((n, j) => (labels[n] = values[j] === '1'));
    rows.push({ file, labels });
  }
  return { names, rows };
}

/** Read the official split: file name → 0 (train), 1 (validation) or 2 (test). */
export function readCelebaPartition(path: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [file, split] = line.trim().split(/\s+/);
    if (file && split !== undefined) m.set(file, Number(split));
  }
  return m;
}
