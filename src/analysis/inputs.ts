/**
 * Turning `facetally compare` inputs into face observations: the manifest CSV, `tag` JSONL
 * results, group assignment and the second factor. No statistics here.
 */

import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { PhotoResult } from '../types.js';
import type { FaceObservation } from './compare.js';

/** A problem with the user's input (exit code 1 in the CLI). */
export class UsageError extends Error {
  override name = 'UsageError';
}

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
 *   wrong number of fields or an empty path/group, or a path is listed twice with different groups
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
  const seen = new Map<string, string>();
  const entries: ManifestEntry[] = [];
  for (const row of rows.slice(1)) {
    if (row.fields.length !== columns.length) {
      throw new UsageError(`${file}:${row.line}: expected ${columns.length} fields but found ${row.fields.length}`);
    }
    const rec = Object.fromEntries(columns.map((c, j) => [c, row.fields[j].trim()]));
    if (!rec.path) throw new UsageError(`${file}:${row.line}: empty path`);
    if (!rec.group) throw new UsageError(`${file}:${row.line}: empty group for ${rec.path}`);
    const prev = seen.get(rec.path);
    if (prev !== undefined && prev !== rec.group) {
      throw new UsageError(`${file}:${row.line}: ${rec.path} is listed in two groups ("${prev}" and "${rec.group}")`);
    }
    if (prev !== undefined) continue;
    seen.set(rec.path, rec.group);
    entries.push({ path: rec.path, group: rec.group, columns: rec, line: row.line });
  }
  if (entries.length === 0) throw new UsageError(`${file}: the manifest lists no photos`);
  return { file, columns, entries };
}

/**
 * Read `facetally tag` JSONL output (one PhotoResult per line; blank lines skipped).
 * @throws UsageError when the file cannot be read or a line is not a photo record
 */
export function readResults(file: string): PhotoResult[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read results ${file}: ${(err as Error).message}`);
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
    const r = rec as PhotoResult;
    if (typeof r !== 'object' || r === null || typeof r.path !== 'string' || !Array.isArray(r.faces)) {
      throw new UsageError(`${file}:${i + 1}: expected a photo record with "path" and "faces" (the JSONL output of facetally tag)`);
    }
    for (const f of r.faces) {
      if (typeof f !== 'object' || f === null || typeof f.decisions !== 'object' || f.decisions === null) {
        throw new UsageError(`${file}:${i + 1}: a face in ${r.path} has no "decisions"; were attributes predicted?`);
      }
    }
    out.push({ ...r, error: r.error ?? null });
  });
  return out;
}

/** How each photo's faces are assigned to a group and a level of the second factor. */
export interface Assignment {
  group: string;
  /** Manifest columns of the photo, for `--by`. */
  columns?: Record<string, string>;
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
 * @throws UsageError when fewer than two folders are given or two resolve to the same folder
 */
export function folderGroups(folders: readonly string[]): { folder: string; group: string }[] {
  const abs = folders.map((f) => resolve(f));
  if (new Set(abs).size !== abs.length) throw new UsageError('the same folder is given twice');
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

/** How to derive the second factor. */
export type SecondFactor = { kind: 'none' } | { kind: 'column'; column: string } | { kind: 'attribute'; attribute: string };

/** Counts of what went into the comparison. */
export interface InputSummary {
  /** Photos per group (including unreadable ones and photos without faces). */
  photos: Record<string, number>;
  /** Photos per group that could not be read. */
  unreadable: Record<string, number>;
  /** Faces per group kept (score >= minScore). */
  faces: Record<string, number>;
  /** Faces dropped for a detector score below minScore. */
  lowScoreFaces: number;
  /** Unreadable photos: path and error message. */
  errors: { path: string; code: string; message: string }[];
}

/**
 * Flatten photo records into face observations.
 *
 * @param photos records with their assignment (photos without an assignment must be filtered out before)
 * @param factor the second factor: a manifest column (`--by`), a predicted attribute
 *   (`--split-by-attribute`; level "<name>" or "not <name>"), or none
 * @param minScore faces with a detector score below this are left out
 * @throws UsageError when the attribute of `--split-by-attribute` is missing from a face's decisions
 */
export function toObservations(
  photos: readonly { photo: PhotoResult; assignment: Assignment }[],
  factor: SecondFactor,
  minScore: number,
  groups: readonly string[],
): { faces: FaceObservation[]; summary: InputSummary } {
  const zero = () => Object.fromEntries(groups.map((g) => [g, 0])) as Record<string, number>;
  const summary: InputSummary = { photos: zero(), unreadable: zero(), faces: zero(), lowScoreFaces: 0, errors: [] };
  const faces: FaceObservation[] = [];
  for (const { photo, assignment } of photos) {
    const g = assignment.group;
    summary.photos[g] = (summary.photos[g] ?? 0) + 1;
    if (photo.error) {
      summary.unreadable[g] = (summary.unreadable[g] ?? 0) + 1;
      summary.errors.push({ path: photo.path, code: photo.error.code, message: photo.error.message });
      continue;
    }
    for (const face of photo.faces) {
      if (typeof face.score === 'number' && face.score < minScore) {
        summary.lowScoreFaces++;
        continue;
      }
      let level: string | null = null;
      if (factor.kind === 'column') {
        level = assignment.columns?.[factor.column] || null;
      } else if (factor.kind === 'attribute') {
        const d = face.decisions[factor.attribute];
        if (d === undefined) throw new UsageError(`${photo.path}: a face has no decision for ${factor.attribute}`);
        level = d ? factor.attribute : `not ${factor.attribute}`;
      }
      summary.faces[g] = (summary.faces[g] ?? 0) + 1;
      faces.push({ group: g, level, decisions: face.decisions });
    }
  }
  return { faces, summary };
}
