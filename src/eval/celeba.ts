import { readFile } from 'node:fs/promises';

/**
 * Binary labels of many images in CelebA's label-file layout (`list_attr_celeba.txt`, also
 * CelebAMask-HQ's `CelebAMask-HQ-attribute-anno.txt`): line 1 = image count, line 2 = the attribute
 * names, then `file v1 … vK` with values 1 / -1 (Liu et al., ICCV 2015).
 * `values[i * names.length + k]` is 1 when image `files[i]` has attribute `names[k]`, else 0.
 */
export interface LabelTable {
  names: string[];
  files: string[];
  values: Uint8Array;
}

/**
 * Read a CelebA-layout label file, keeping the rows whose file name passes `keep` (default all).
 * @throws Error naming the file and line when the header or a row is malformed (wrong count, value not ±1).
 */
export async function readLabelFile(path: string, keep?: (file: string) => boolean): Promise<LabelTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read label file (${(err as Error).message})`);
  }
  const lines = text.split(/\r?\n/);
  const names = (lines[1] ?? '').trim().split(/\s+/).filter(Boolean);
  if (names.length === 0) throw new Error(`${path}:2: expected attribute names on line 2`);
  const files: string[] = [];
  const vals: number[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== names.length + 1) throw new Error(`${path}:${i + 1}: expected a file name and ${names.length} labels but found ${parts.length - 1} labels`);
    if (keep && !keep(parts[0])) continue;
    files.push(parts[0]);
    for (let k = 1; k < parts.length; k++) {
      if (parts[k] === '1') vals.push(1);
      else if (parts[k] === '-1' || parts[k] === '0') vals.push(0);
      else throw new Error(`${path}:${i + 1}: expected 1 or -1 but found "${parts[k]}"`);
    }
  }
  return { names, files, values: Uint8Array.from(vals) };
}

/** CelebA's split codes in `list_eval_partition.txt`. */
export const SPLIT_CODES = { train: 0, val: 1, test: 2 } as const;

/**
 * Read a file of `file number` lines (blank lines skipped) as file name -> number.
 * @param what the kind of file, for messages ("split", "identity"); @param column the number's name in messages.
 * @throws Error naming the file when it cannot be read, and the line when it is not a file name and one
 * non-negative integer.
 */
async function readFileNumbers(path: string, what: string, column: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read ${what} file (${(err as Error).message})`);
  }
  const m = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const [file, value, extra] = line.split(/\s+/);
    const v = Number(value);
    if (!file || extra !== undefined || !Number.isInteger(v) || v < 0) throw new Error(`${path}:${i + 1}: expected "file ${column}" (a non-negative integer) but found "${line}"`);
    m.set(file, v);
  });
  return m;
}

/**
 * Read a split file: `file split` per line (0 train, 1 validation, 2 test).
 * @throws Error naming the file and line for a malformed line.
 */
export function readSplitFile(path: string): Promise<Map<string, number>> {
  return readFileNumbers(path, 'split', 'split');
}

/**
 * Read CelebA's identity file (`identity_CelebA.txt`: `file person` per line, person a positive integer; Liu et
 * al., ICCV 2015), or any file of the same layout, as file name -> person number.
 * @throws Error naming the file and line for a malformed line, or when the file cannot be read.
 */
export function readIdentityFile(path: string): Promise<Map<string, number>> {
  return readFileNumbers(path, 'identity', 'person');
}
