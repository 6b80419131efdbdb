/**
 * The output side of `tag`, in one place so that every producer of tag records (the CLI, the HTTP API, a
 * distributed coordinator) writes the same thing: records with their provenance as JSON lines or CSV rows,
 * the refusal to write over an input photo, and the resume check (see resume.ts for the append-only file).
 */
import { statSync, realpathSync } from 'node:fs';
import { dirname, extname, basename, resolve, sep } from 'node:path';
import type { PhotoResult } from '../types.js';
import { tagCsvHeader, tagCsvRows } from './csv.js';
import { IMAGE_EXTENSIONS } from './files.js';
import type { Provenance } from './provenance.js';

/** A `tag` record as written: the photo record, then its provenance (always the last field). */
export type OutputRecord<R extends PhotoResult = PhotoResult> = R & { provenance: Provenance };

/** Attach `provenance` as the record's last field (field order: the record's own, then `provenance`). */
export function withProvenance<R extends PhotoResult>(rec: R, provenance: Provenance): OutputRecord<R> {
  return { ...rec, provenance };
}

/**
 * Formats records for `tag --format jsonl|csv`. JSON: one line per photo, `provenance` as the last field of every
 * record. CSV: a header row, then one row per face (a photo without faces still gets one row); the provenance
 * fills the last columns of every row.
 */
export class RecordFormatter {
  constructor(
    readonly format: 'jsonl' | 'csv',
    readonly attributeNames: readonly string[],
    readonly provenance: Provenance,
  ) {}

  /** The text before the first record: the CSV header line, or '' for JSON lines. */
  header(): string {
    return this.format === 'csv' ? tagCsvHeader(this.attributeNames) + '\n' : '';
  }

  /** One record's complete line(s), ending with a newline. */
  lines(rec: PhotoResult): string {
    if (this.format === 'csv') return tagCsvRows(rec, this.attributeNames, this.provenance).join('\n') + '\n';
    return JSON.stringify(withProvenance(rec, this.provenance)) + '\n';
  }
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    try {
      return resolve(realpathSync(dirname(p)), basename(p));
    } catch {
      return resolve(p);
    }
  }
}

/**
 * Refuse an `--out` path that is one of the input photos, or that a folder input would list as a photo, so that
 * no option (not even `--overwrite`) can replace a photo with JSON or CSV. Compared by real path and, for an
 * existing file, by device and inode (a hard link is the same photo).
 * @throws Error naming the path.
 */
export function refuseInputAsOutput(out: string, inputs: readonly string[]): void {
  const outReal = realOrResolved(out);
  let outId: string | null = null;
  try {
    const st = statSync(out);
    if (st.isFile()) outId = `${st.dev}:${st.ino}`;
  } catch {
    outId = null;
  }
  const photoLike = IMAGE_EXTENSIONS.has(extname(out).toLowerCase());
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      if (realOrResolved(input) === outReal) throw new Error(`--out ${out} is also an input photo; write the output to another file`);
      continue;
    }
    if (st.isDirectory()) {
      const root = realOrResolved(input);
      if (photoLike && outReal.startsWith(root + sep)) {
        throw new Error(`--out ${out} lies in the input folder ${input} and is named like a photo, so it would be read as one (or is one); write the output to another file`);
      }
    } else if (realOrResolved(input) === outReal || (outId !== null && `${st.dev}:${st.ino}` === outId)) {
      throw new Error(`--out ${out} is also an input photo (${input}); facetally never writes over a photo, even with --overwrite: write the output to another file`);
    }
  }
}

/**
 * Refuse an output folder that would mix its files with the inputs: an `--out` folder that is an input folder or
 * lies inside one (`crop`, `compare` and `sample` would otherwise write crops, charts or labelling files among the
 * photos, and the next run over that folder would read them as photos of the group). For a photo input (a file, or
 * a manifest's photo) the folder holding it counts as an input folder only when `--out` is exactly that folder, so
 * writing a report into a subfolder beside a manifest's photos stays allowed. Paths are compared as real paths
 * (symlinks and `..` spellings resolved, by {@link refuseInputAsOutput}'s rule); inputs that do not exist are
 * skipped (they fail later with their own message). Cost: one stat and at most one realpath per distinct folder.
 * @param out the output folder as given (need not exist yet)
 * @param inputs input folders and/or photo paths
 * @throws Error naming both paths, before anything is written
 */
export function refuseOutputFolderInInputs(out: string, inputs: readonly string[]): void {
  const outReal = realOrResolved(out);
  const seen = new Set<string>();
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      const root = realOrResolved(input);
      if (outReal === root) throw new Error(`--out ${out} is the input folder ${input}; write the output to a folder outside the inputs`);
      if (outReal.startsWith(root.endsWith(sep) ? root : root + sep)) {
        throw new Error(`--out ${out} lies inside the input folder ${input}, so its files would be read as photos of that folder next time; write the output to a folder outside the inputs`);
      }
    } else {
      const dir = dirname(resolve(input));
      if (seen.has(dir)) continue;
      seen.add(dir);
      if (realOrResolved(dir) === outReal) throw new Error(`--out ${out} is the folder that holds the input photo ${input}; write the output to another folder`);
    }
  }
}
