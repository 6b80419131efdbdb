/**
 * The labelling sheet written by `facetally sample` (`DIR/to-label.csv`) and read back by
 * `facetally compare --validation-labels`: parsing, setting labels, progress, merging an earlier export, and
 * writing the same CSV again. Pure (no DOM), so it is tested in Node (test/web/label-sheet.test.ts).
 *
 * The file: a header `path,face,group,crop,context,` then attribute names (CelebA's spelling and order, a
 * subset chosen with `sample --attributes`); one row per sampled face. `crop` is the relative path (in DIR)
 * of the aligned 178×218 crop PNG, `context` that of a JPEG of the photo around the face with its box drawn.
 * Attribute cells are `1` (yes), `0` (no) or blank (not labelled).
 *
 * CSV is read and written with d3-dsv (RFC 4180: fields holding a comma, a quote or a line break are quoted,
 * quotes doubled). Writing keeps the header, the row order, every cell that was not labelled here, the line
 * ending (LF or CRLF), a byte-order mark and a final line break as they were read.
 */

import { csvFormatRow, csvParseRows } from 'd3-dsv';
import { CELEBA_ATTRIBUTES } from '../attributes/names.js';

/** A cell's label: 1 = yes, 0 = no, null = not labelled (blank). */
export type Label = 1 | 0 | null;

/** The columns every sheet must have (the attribute columns follow). `context` may be missing. */
export const SHEET_COLUMNS = ['path', 'face', 'group', 'crop', 'context'] as const;

/** A parsed `to-label.csv`. Rows keep their raw cells, so writing changes only what was labelled. */
export interface LabelSheet {
  /** The header, as read. */
  header: string[];
  /** One array of raw cells per face, each as long as the header, in file order. */
  rows: string[][];
  /** The attribute columns (CelebA names), in header order. */
  attributes: string[];
  /** Column index of each known column; `context` and `group` are -1 when absent. */
  col: Record<(typeof SHEET_COLUMNS)[number], number>;
  /** Column index of each attribute in {@link attributes}. */
  attributeCol: number[];
  /** Header columns that are neither known columns nor CelebA attributes (kept, never labelled). */
  otherColumns: string[];
  /** How the file was written, to write it back the same way. */
  format: { eol: '\n' | '\r\n'; bom: boolean; finalNewline: boolean };
}

/** A file that is not a labelling sheet; `line` is the 1-based line (header = 1) when one is to blame. */
export class LabelSheetError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'LabelSheetError';
  }
}

const KNOWN = new Set<string>(CELEBA_ATTRIBUTES);

/**
 * Parse a labelling sheet.
 * @param text the file's text (UTF-8 decoded; a byte-order mark is allowed)
 * @throws LabelSheetError when the header lacks `path`, `face` or `crop` or has no CelebA attribute column,
 *   a column name repeats, a row's field count differs from the header's, an attribute cell is not 1, 0 or
 *   blank, a (path, face) pair repeats, or there are no rows.
 */
export function parseLabelSheet(text: string): LabelSheet {
  const bom = text.startsWith('\uFEFF');
  if (bom) text = text.slice(1);
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const finalNewline = /\r?\n$/.test(text);
  const all = csvParseRows(text);
  // Blank lines (a lone empty field) carry nothing; a spreadsheet may add one at the end.
  const lines = all.map((cells, i) => ({ cells, line: i + 1 })).filter((r) => !(r.cells.length === 1 && r.cells[0] === ''));
  if (lines.length === 0 || lines[0].line !== 1) throw new LabelSheetError('the file is empty or does not start with a header line (path,face,group,crop,context,<attributes>)');
  const header = lines[0].cells.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new LabelSheetError(`the column "${h}" appears twice in the header`, 1);
    seen.add(h);
  }
  const col = Object.fromEntries(SHEET_COLUMNS.map((c) => [c, header.indexOf(c)])) as LabelSheet['col'];
  const missing = (['path', 'face', 'crop'] as const).filter((c) => col[c] < 0);
  if (missing.length) throw new LabelSheetError(`the header has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}; is this the to-label.csv written by facetally sample?`, 1);
  const attributes = header.filter((h) => KNOWN.has(h));
  if (attributes.length === 0) throw new LabelSheetError('the header names no CelebA attribute column (e.g. Smiling, Eyeglasses)', 1);
  const attributeCol = attributes.map((a) => header.indexOf(a));
  const otherColumns = header.filter((h) => !KNOWN.has(h) && !(SHEET_COLUMNS as readonly string[]).includes(h));
  const rows: string[][] = [];
  const keys = new Map<string, number>();
  for (const { cells, line } of lines.slice(1)) {
    if (cells.length !== header.length) throw new LabelSheetError(`${cells.length} fields, but the header has ${header.length}`, line);
    for (const [k, c] of attributeCol.entries()) {
      const v = cells[c].trim();
      if (v !== '' && v !== '1' && v !== '0') throw new LabelSheetError(`${attributes[k]} is "${cells[c]}"; a label is 1 (yes), 0 (no) or blank (not labelled)`, line);
    }
    const key = rowKey(cells, col);
    const first = keys.get(key);
    if (first !== undefined) throw new LabelSheetError(`face ${cells[col.face] || '(blank)'} of ${cells[col.path]} appears twice (also on line ${first})`, line);
    keys.set(key, line);
    rows.push(cells);
  }
  if (rows.length === 0) throw new LabelSheetError('the sheet has a header but no faces');
  return { header: lines[0].cells, rows, attributes, col, attributeCol, otherColumns, format: { eol, bom, finalNewline } };
}

/** The identity of a row: photo path and face index (as compare --validation-labels matches them). */
function rowKey(cells: readonly string[], col: LabelSheet['col']): string {
  return `${cells[col.path]}\u0000${cells[col.face].trim()}`;
}

/** The label of row `row` (0-based) for attribute `attribute`. @throws Error for an attribute not in the sheet. */
export function getLabel(sheet: LabelSheet, row: number, attribute: string): Label {
  const v = sheet.rows[row][attributeColumn(sheet, attribute)].trim();
  return v === '1' ? 1 : v === '0' ? 0 : null;
}

/** Set (1 / 0) or clear (null) the label of row `row` for `attribute`. @throws Error for an attribute not in the sheet. */
export function setLabel(sheet: LabelSheet, row: number, attribute: string, label: Label): void {
  sheet.rows[row][attributeColumn(sheet, attribute)] = label === null ? '' : String(label);
}

function attributeColumn(sheet: LabelSheet, attribute: string): number {
  const k = sheet.attributes.indexOf(attribute);
  if (k < 0) throw new Error(`the sheet has no column ${attribute}`);
  return sheet.attributeCol[k];
}

/** Number of labelled cells in row `row`. */
export function labelledInRow(sheet: LabelSheet, row: number): number {
  return sheet.attributeCol.filter((c) => sheet.rows[row][c].trim() !== '').length;
}

/** How far the labelling is. */
export interface LabelProgress {
  faces: number;
  /** Faces with every attribute labelled. */
  facesDone: number;
  /** Faces with some but not all attributes labelled. */
  facesStarted: number;
  /** faces × attributes. */
  cells: number;
  cellsLabelled: number;
  yes: number;
  no: number;
}

/** Count labelled faces and cells. */
export function labelProgress(sheet: LabelSheet): LabelProgress {
  const p: LabelProgress = { faces: sheet.rows.length, facesDone: 0, facesStarted: 0, cells: sheet.rows.length * sheet.attributes.length, cellsLabelled: 0, yes: 0, no: 0 };
  sheet.rows.forEach((cells) => {
    let n = 0;
    for (const c of sheet.attributeCol) {
      const v = cells[c].trim();
      if (v === '1') p.yes++;
      else if (v === '0') p.no++;
      else continue;
      n++;
    }
    p.cellsLabelled += n;
    if (n === sheet.attributes.length) p.facesDone++;
    else if (n > 0) p.facesStarted++;
  });
  return p;
}

/** The first row at or after `from` (wrapping around) with a blank attribute cell, or -1 when all are labelled. */
export function nextUnlabelled(sheet: LabelSheet, from = 0): number {
  const n = sheet.rows.length;
  for (let k = 0; k < n; k++) {
    const r = (from + k) % n;
    if (labelledInRow(sheet, r) < sheet.attributes.length) return r;
  }
  return -1;
}

/** What {@link mergeLabels} did. */
export interface MergeSummary {
  /** Labelled cells taken from the imported sheet (including those equal to what was there). */
  cells: number;
  /** Of those, cells whose existing label was different (the imported one wins). */
  changed: number;
  /** Faces of this sheet that had at least one labelled cell in the import. */
  faces: number;
  /** Imported rows whose (path, face) is not in this sheet (ignored). */
  unmatchedRows: number;
  /** Labelled attributes of the import that this sheet has no column for (ignored). */
  unmatchedAttributes: string[];
}

/**
 * Copy the labels of `imported` (an earlier export, possibly of another subset of attributes) into `sheet`,
 * matching rows by (path, face) and columns by name. Imported 1/0 cells overwrite; imported blanks leave the
 * current label as it is, so importing an older, less complete export never erases work.
 */
export function mergeLabels(sheet: LabelSheet, imported: LabelSheet): MergeSummary {
  const index = new Map(sheet.rows.map((cells, r) => [rowKey(cells, sheet.col), r]));
  const summary: MergeSummary = { cells: 0, changed: 0, faces: 0, unmatchedRows: 0, unmatchedAttributes: [] };
  const unmatched = new Set<string>();
  for (const cells of imported.rows) {
    const r = index.get(rowKey(cells, imported.col));
    if (r === undefined) {
      if (imported.attributeCol.some((c) => cells[c].trim() !== '')) summary.unmatchedRows++;
      continue;
    }
    let any = false;
    for (const [k, c] of imported.attributeCol.entries()) {
      const v = cells[c].trim();
      if (v === '') continue;
      const a = imported.attributes[k];
      if (!sheet.attributes.includes(a)) {
        unmatched.add(a);
        continue;
      }
      const before = getLabel(sheet, r, a);
      if (before !== null && String(before) !== v) summary.changed++;
      setLabel(sheet, r, a, v === '1' ? 1 : 0);
      summary.cells++;
      any = true;
    }
    if (any) summary.faces++;
  }
  summary.unmatchedAttributes = [...unmatched];
  return summary;
}

/** Write the sheet as CSV: the header and rows as read, with the labels set since; quoting per RFC 4180. */
export function formatLabelSheet(sheet: LabelSheet): string {
  const { eol, bom, finalNewline } = sheet.format;
  const body = [sheet.header, ...sheet.rows].map((r) => csvFormatRow(r)).join(eol);
  return (bom ? '\uFEFF' : '') + body + (finalNewline ? eol : '');
}
