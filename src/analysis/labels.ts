/**
 * Hand labels for two-phase estimation (`compare --validation-labels FILE.csv`, written by `facetally sample` and
 * the web app's labelling view). Parsing only; matching labels to faces is in report/run-compare.
 */

import { readFileSync } from 'node:fs';
import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { parseCsv, readErrorReason, UsageError } from './inputs.js';

/** Columns of a labels file that carry no label: `group` is checked against compare's group, the rest ignored. */
export const LABEL_INFO_COLUMNS = ['path', 'face', 'group', 'crop', 'context'] as const;

/** One row of a labels file. */
export interface LabelRow {
  /** 1-based line in the file, for messages. */
  line: number;
  /** The photo record's path, as written. */
  path: string;
  /** Face index in the record; null when the column is absent or the cell blank (allowed for one-face photos). */
  face: number | null;
  /** The group written in the file, or null. */
  group: string | null;
  /** Attribute → present (1) or absent (0); blank cells are left out (not labelled). */
  labels: Record<string, boolean>;
}

/**
 * Read a labels CSV: header with `path` (required), optionally `face`, `group`, `crop`, `context`, and any of the
 * 40 CelebA attribute names; cells `1` (present), `0` (absent) or blank (not labelled).
 * @throws UsageError naming the file and line for a missing path column, an unknown column, a malformed face
 *   index or cell, a wrong number of fields, or a face listed twice with different labels
 */
export function readLabels(file: string): { attributes: string[]; rows: LabelRow[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read labels ${file}: ${readErrorReason(err)}`);
  }
  return parseLabels(text, file);
}

/** {@link readLabels} on text already read; `file` names it in messages. */
export function parseLabels(text: string, file: string): { attributes: string[]; rows: LabelRow[] } {
  const csv = parseCsv(text);
  if (csv.length === 0) throw new UsageError(`${file}: empty; expected a header row with path and attribute columns (e.g. the to-label.csv of facetally sample)`);
  const header = csv[0].fields.map((c) => c.trim());
  if (!header.includes('path')) throw new UsageError(`${file}:${csv[0].line}: expected a "path" column in the header but found: ${header.join(', ')}`);
  const attributes: string[] = [];
  header.forEach((c) => {
    if ((LABEL_INFO_COLUMNS as readonly string[]).includes(c)) return;
    if (!(CELEBA_ATTRIBUTES as readonly string[]).includes(c)) {
      throw new UsageError(`${file}:${csv[0].line}: column "${c}" is neither one of path, face, group, crop, context nor a CelebA attribute name`);
    }
    if (attributes.includes(c)) throw new UsageError(`${file}:${csv[0].line}: column "${c}" appears twice`);
    attributes.push(c);
  });
  const col = (name: string) => header.indexOf(name);
  const seen = new Map<string, LabelRow>();
  const rows: LabelRow[] = [];
  for (const r of csv.slice(1)) {
    const at = `${file}:${r.line}`;
    if (r.fields.length !== header.length) throw new UsageError(`${at}: expected ${header.length} fields but found ${r.fields.length}`);
    const path = r.fields[col('path')].trim();
    if (!path) throw new UsageError(`${at}: empty path`);
    let face: number | null = null;
    if (col('face') >= 0 && r.fields[col('face')].trim() !== '') {
      const v = r.fields[col('face')].trim();
      if (!/^\d+$/.test(v)) throw new UsageError(`${at}: face "${v}" is not a face index (0, 1, 2, ...)`);
      face = Number(v);
    }
    const group = col('group') >= 0 ? r.fields[col('group')].trim() || null : null;
    const labels: Record<string, boolean> = {};
    for (const a of attributes) {
      const v = r.fields[col(a)].trim();
      if (v === '') continue;
      if (v !== '1' && v !== '0') throw new UsageError(`${at}: ${a} is "${v}"; expected 1 (present), 0 (absent) or blank (not labelled)`);
      labels[a] = v === '1';
    }
    const key = `${face ?? ''}\u0000${path}`;
    const prev = seen.get(key);
    if (prev) {
      for (const [a, v] of Object.entries(labels)) {
        if (a in prev.labels && prev.labels[a] !== v) throw new UsageError(`${at}: ${path} face ${face ?? '(none)'} is labelled again with a different ${a} than on line ${prev.line}`);
        prev.labels[a] = v;
      }
      continue;
    }
    const row = { line: r.line, path, face, group, labels };
    seen.set(key, row);
    rows.push(row);
  }
  return { attributes, rows };
}
