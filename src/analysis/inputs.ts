/**
 * Turning `facetally compare` inputs into face observations: the manifest CSV, `tag` JSONL
 * results, group assignment and the second factor. No statistics here.
 */

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { PhotoResult } from '../types.js';
import { UsageError, type Assignment } from './observations.js';
import { plainErrno } from '../pipeline/out-dir.js';

export { UsageError, toObservations, type Assignment, type InputSummary, type SecondFactor } from './observations.js';


/**
 * Parse CSV text (RFC 4180: comma separator, double-quoted fields with "" escapes, CRLF or LF line
 * ends; a UTF-8 byte-order mark is ignored). Blank lines are skipped.
 * @returns rows of fields, each row with its 1-based line number
 * @throws UsageError on an unterminated quoted field
 */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let field = '';
  let fields: string[] = [];
  let rowLine = 1;
  let quoted = false;
  let any = false;
  const endRow = () => {
    fields.push(field);
    if (any || fields.length > 1 || field !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    any = false;
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      any = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      any = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new UsageError(`unterminated quoted field starting on line ${rowLine}`);
  if (field !== '' || fields.length > 0 || any) endRow();
  return rows;
}

/** One manifest row. */
export interface ManifestEntry {
  /** The path as written in the manifest. */
  path: string;
  group: string;
  /** Every column, including path and group, by header name. */
  columns: Record<string, string>;
  line: number;
}

/** A parsed manifest. */
export interface Manifest {
  file: string;
  columns: string[];
  entries: ManifestEntry[];
}

/**
 * Read a manifest CSV with a header row containing at least `path` and `group` (any order, other
 * columns allowed, e.g. `gender`, `decade`). Relative paths are taken relative to the manifest's
 * folder (and, failing that, to the working directory) when matched against photos.
 * @throws UsageError when the file cannot be read, a required column is missing, a row has the
 *   wrong number of fields or an empty path/group, or a photo is listed twice with different groups (paths are
 *   compared after resolving them against the manifest's folder, so `a/x.jpg` and `./a/x.jpg` are one photo; a
 *   photo listed twice in one group is kept once)
 */
export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read manifest ${file}: ${(err as Error).message}`);
  }
  const rows = parseCsv(text);
  if (rows.length === 0) throw new UsageError(`${file}: the manifest is empty; expected a header row with path,group`);
  const columns = rows[0].fields.map((c) => c.trim());
  for (const need of ['path', 'group']) {
    if (!columns.includes(need)) throw new UsageError(`${file}: expected a "${need}" column in the header but found: ${columns.join(', ')}`);
  }
  // Keyed by the resolved path, so that `a/x.jpg` and `./a/x.jpg` (or `a//x.jpg`, `b/../a/x.jpg`) are one photo.
  const base = dirname(resolve(file));
  const seen = new Map<string, { group: string; path: string }>();
  const entries: ManifestEntry[] = [];
  for (const row of rows.slice(1)) {
    if (row.fields.length !== columns.length) {
      throw new UsageError(`${file}:${row.line}: expected ${columns.length} fields but found ${row.fields.length}`);
    }
    const rec = Object.fromEntries(columns.map((c, j) => [c, row.fields[j].trim()]));
    if (!rec.path) throw new UsageError(`${file}:${row.line}: empty path`);
    if (!rec.group) throw new UsageError(`${file}:${row.line}: empty group for ${rec.path}`);
    const key = resolve(base, rec.path);
    const prev = seen.get(key);
    if (prev !== undefined && prev.group !== rec.group) {
      const spelt = prev.path === rec.path ? rec.path : `${rec.path} (also listed as ${prev.path})`;
      throw new UsageError(`${file}:${row.line}: ${spelt} is listed in two groups ("${prev.group}" and "${rec.group}")`);
    }
    if (prev !== undefined) continue;
    seen.set(key, { group: rec.group, path: rec.path });
    entries.push({ path: rec.path, group: rec.group, columns: rec, line: row.line });
  }
  if (entries.length === 0) throw new UsageError(`${file}: the manifest lists no photos`);
  return { file, columns, entries };
}

/**
 * The parts of a `facetally tag` photo record that `compare` relies on, checked strictly: a decision must be a
 * JSON boolean (a string "false" or a number 1 would otherwise count as present), a detector score a finite
 * number. Other fields (box, landmarks, probabilities, provenance, …) pass through unchecked.
 */
const PHOTO_RECORD = z
  .object({
    path: z.string().min(1),
    faces: z.array(
      z
        .object({
          score: z.number().finite(),
          decisions: z.record(z.string(), z.boolean(), { required_error: 'a face has no "decisions"; were attributes predicted?' }),
        })
        .passthrough(),
    ),
    error: z.object({ code: z.string(), message: z.string() }).passthrough().nullable().optional(),
  })
  .passthrough();

/**
 * Why a file could not be read, in plain words: `no such file`, `it is a folder, give a file`, else the shared
 * wording of {@link plainErrno} (`permission denied`, …) or the error's own message.
 */
export function readErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a folder, give a file';
  return plainErrno(err);
}

/**
 * Read `facetally tag` JSONL output (one PhotoResult per line; blank lines skipped). Each record is validated
 * (zod): `path` a non-empty string, `faces` an array of faces with a finite `score` and `decisions` of booleans,
 * `error` null or `{code, message}`.
 * @throws UsageError when the file cannot be read or a line is not such a photo record; the message names the
 *   file, the line, the photo and the offending field (e.g. `t.jsonl:3 (a.jpg): faces.0.decisions.Male: Expected
 *   boolean, received string`).
 */
export function readResults(file: string): PhotoResult[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read results ${file}: ${readErrorReason(err)}`);
  }
  const out: PhotoResult[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new UsageError(`${file}:${i + 1}: not JSON (${(err as Error).message}); expected the JSONL output of facetally tag`);
    }
    const parsed = PHOTO_RECORD.safeParse(rec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      const what = typeof rec === 'object' && rec !== null && typeof (rec as { path?: unknown }).path === 'string' ? ` (${(rec as { path: string }).path})` : '';
      throw new UsageError(`${file}:${i + 1}${what}: ${where}${issue.message}; expected a photo record of facetally tag's JSONL output`);
    }
    const r = rec as PhotoResult;
    out.push({ ...r, error: r.error ?? null });
  });
  return out;
}


/**
 * Look up photos in a manifest by path: a manifest path matches a result path when both resolve
 * to the same absolute file (manifest paths against the manifest's folder or the working
 * directory; result paths against the working directory).
 */
export class ManifestIndex {
  private readonly byPath = new Map<string, ManifestEntry>();
  constructor(readonly manifest: Manifest, cwd = process.cwd()) {
    const base = dirname(resolve(cwd, manifest.file));
    for (const e of manifest.entries) {
      this.byPath.set(resolve(base, e.path), e);
      if (!isAbsolute(e.path)) {
        const k = resolve(cwd, e.path);
        if (!this.byPath.has(k)) this.byPath.set(k, e);
      }
    }
    this.cwd = cwd;
  }
  private readonly cwd: string;
  /** The manifest entry of a photo path, or undefined. */
  find(photoPath: string): ManifestEntry | undefined {
    return this.byPath.get(resolve(this.cwd, photoPath));
  }
  /** Absolute paths of the photos, resolved against the manifest's folder, for running the models. */
  photoPaths(): string[] {
    const base = dirname(resolve(this.cwd, this.manifest.file));
    return this.manifest.entries.map((e) => resolve(base, e.path));
  }
}

/**
 * Group names for folder inputs: each folder's base name; where two folders share a base name,
 * their paths as given.
 * @throws UsageError when two folders resolve to the same folder or one lies inside another
 */
export function folderGroups(folders: readonly string[]): { folder: string; group: string }[] {
  const abs = folders.map((f) => resolve(f));
  if (new Set(abs).size !== abs.length) throw new UsageError('the same folder is given twice');
  // A folder inside another would put its photos in both groups (a photo counted twice); manifests refuse the same.
  for (let i = 0; i < abs.length; i++) {
    for (let j = 0; j < abs.length; j++) {
      const rel = relative(abs[i], abs[j]);
      if (i !== j && rel && rel.split(sep)[0] !== '..' && !isAbsolute(rel)) {
        throw new UsageError(`the folders overlap: ${folders[j]} lies inside ${folders[i]}, so its photos would be in two groups; give folders that do not contain one another, or a --manifest`);
      }
    }
  }
  const names = folders.map((f) => basename(resolve(f)) || f);
  return folders.map((folder, i) => ({
    folder,
    group: names.filter((n) => n === names[i]).length > 1 ? folder.replace(/[\\/]+$/, '') : names[i],
  }));
}

/**
 * The folder (from `folders`) that contains `photoPath`, or undefined.
 * The deepest matching folder wins when folders nest.
 */
export function folderOf(photoPath: string, folders: readonly string[], cwd = process.cwd()): string | undefined {
  const p = resolve(cwd, photoPath);
  let best: string | undefined;
  let bestLen = -1;
  for (const f of folders) {
    const rf = resolve(cwd, f);
    const rel = relative(rf, p);
    if (rel && rel.split(sep)[0] !== '..' && !isAbsolute(rel) && rf.length > bestLen) {
      best = f;
      bestLen = rf.length;
    }
  }
  return best;
}

