/**
 * The labelling view: the user opens the folder written by `facetally sample` (to-label.csv, crops/,
 * context/), sees the sampled faces one at a time (the aligned crop and the photo around the face) and answers
 * yes / no / skip per attribute, mostly with the keyboard; progress is shown, the sheet is exported as the same
 * CSV (`labels.csv`, for `facetally compare --validation-labels`) and an earlier export can be imported to go
 * on. Everything stays in the tab: files are read with `File.text()` and shown through `blob:` URLs; the export
 * is a download made in the page.
 *
 * The sheet's logic (parsing, labels, progress, merging, writing) is src/web/label-sheet.ts.
 */

import type { DroppedFile } from '../files.js';
import { downloadText } from '../dom.js';
import {
  formatLabelSheet,
  getLabel,
  labelledInRow,
  labelProgress,
  LabelSheetError,
  mergeLabels,
  nextUnlabelled,
  parseLabelSheet,
  setLabel,
  type Label,
  type LabelSheet,
} from '../label-sheet.js';

/** The name the sheet has in the folder written by `facetally sample`. */
const SHEET_NAME = 'to-label.csv';
/** The name of the exported file. */
const EXPORT_NAME = 'labels.csv';

/** Keyboard shortcuts, as shown on the page (one list, so the legend and the handler cannot disagree). */
const SHORTCUTS: [keys: string, what: string][] = [
  ['Y or 1', 'yes, next attribute'],
  ['N or 0', 'no, next attribute'],
  ['S or Space', 'skip (leave blank), next attribute'],
  ['Backspace', 'clear this label'],
  ['↑ ↓', 'previous / next attribute'],
  ['← →', 'previous / next face'],
  ['Enter', 'next face with blank labels'],
  ['Ctrl+S', `export ${EXPORT_NAME}`],
];

interface LabelState {
  sheet: LabelSheet;
  /** Name of the sheet's file, for messages. */
  sheetName: string;
  /** Folder of the sheet relative to what was opened ('' for loose files); crop/context paths are relative to it. */
  base: string;
  row: number;
  attr: number;
  /** Labels changed since the last export. */
  dirty: boolean;
}

let state: LabelState | null = null;
/** Every file opened so far, by its path relative to what was opened ("sample/crops/000001.png"). */
let files = new Map<string, File>();
/** Object URLs made for images, by path, revoked when another folder is opened. */
let urls = new Map<string, string>();

let root: HTMLElement;
const el = <T extends HTMLElement = HTMLElement>(sel: string) => root.querySelector(sel) as T;

/** Build the view inside `section` and wire its controls; called once by the shell. */
export function initLabelView(section: HTMLElement): void {
  root = section;
  section.innerHTML = `
  <div class="label-toolbar">
    <label class="button primary" title="the folder written by facetally sample (to-label.csv, crops/, context/)">Open the sample folder<input type="file" id="label-folder" webkitdirectory multiple></label>
    <label class="button" title="when your browser cannot pick folders: to-label.csv and the images of crops/ and context/ (several times if needed)">Open files…<input type="file" id="label-files" multiple accept=".csv,image/*"></label>
    <label class="button" title="a labels.csv exported earlier: its labels are copied into this sample">Import labels…<input type="file" id="label-import" accept=".csv,text/csv"></label>
    <button id="label-export" class="primary" disabled>Export ${EXPORT_NAME}</button>
    <span id="label-status" class="note" role="status"></span>
  </div>
  <div id="label-empty" class="label-empty">
    <p><b>Hand-label a random sample of your own faces</b>, so that <code>facetally compare --validation-labels</code> can correct the
    prevalence with error rates measured on your photos instead of CelebA's.</p>
    <ol>
      <li>In a terminal: <code>facetally sample GROUP_FOLDERS… --out my-sample</code> (see <code>facetally sample --help</code>).</li>
      <li>Here: <b>Open the sample folder</b> (or drop it on this page) and answer yes or no for each attribute of each face.</li>
      <li><b>Export ${EXPORT_NAME}</b>, then <code>facetally compare GROUP_FOLDERS… --validation-labels labels.csv</code>.</li>
    </ol>
    <p class="note">The folder is read in this tab only: nothing is uploaded, and closing the tab forgets it — export before you close.
    To go on later, open the folder again and <b>Import labels…</b> your last export.</p>
  </div>
  <div id="label-work" hidden>
    <div id="label-progress"><progress id="label-progress-bar" max="1" value="0"></progress><span id="label-progress-text"></span></div>
    <div class="label-layout">
      <div class="label-main">
        <div class="label-images">
          <figure class="label-crop"><img id="label-crop" alt="aligned face crop"><figcaption>aligned crop (what the model sees)</figcaption></figure>
          <figure class="label-context"><img id="label-context" alt="the photo around the face, its box drawn"><figcaption>the photo around it</figcaption></figure>
        </div>
        <h3>Keyboard</h3>
        <dl class="shortcuts" aria-label="keyboard shortcuts"></dl>
      </div>
      <div class="label-side">
        <div class="label-face-head">
          <button id="label-prev" title="previous face (←)">←</button>
          <div><h2 id="label-face-title"></h2><p id="label-face-path" class="note"></p></div>
          <button id="label-next" title="next face (→)">→</button>
        </div>
        <ol id="label-attributes" class="label-attributes"></ol>
      </div>
    </div>
  </div>`;
  const dl = el('.shortcuts');
  for (const [k, what] of SHORTCUTS) {
    const pair = document.createElement('div');
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = what;
    pair.append(dt, dd);
    dl.append(pair);
  }
  const picked = (input: HTMLInputElement, fn: (f: DroppedFile[]) => void) =>
    input.addEventListener('change', () => {
      fn([...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
      input.value = '';
    });
  picked(el('#label-folder'), (f) => void openLabelFiles(f));
  picked(el('#label-files'), (f) => void openLabelFiles(f));
  picked(el('#label-import'), (f) => void importLabels(f[0]?.file));
  el('#label-export').addEventListener('click', exportSheet);
  el('#label-prev').addEventListener('click', () => goFace(-1));
  el('#label-next').addEventListener('click', () => goFace(1));
  document.addEventListener('keydown', onKey);
  window.addEventListener('beforeunload', (e) => {
    if (state?.dirty) e.preventDefault(); // the browser asks "leave the page?"
  });
}

// ---------------------------------------------------------------- opening

/**
 * Add opened or dropped files: a sheet among them (`to-label.csv`, or the only .csv) starts labelling it;
 * images are kept to show the crops and context photos (matched by path relative to the sheet's folder, or by
 * file name when the files were picked without their folders).
 */
export async function openLabelFiles(list: DroppedFile[]): Promise<void> {
  const visible = list.filter((f) => !/(^|\/)\./.test(f.path));
  const csvs = visible.filter((f) => /\.csv$/i.test(f.path));
  const sheetFile = pickSheet(csvs);
  if (sheetFile && state?.dirty && !confirm(`Open ${sheetFile.path}? The labels made here since the last export will be lost.`)) return;
  if (sheetFile) {
    let sheet: LabelSheet;
    try {
      sheet = parseLabelSheet(await sheetFile.file.text());
    } catch (err) {
      if (!(err instanceof LabelSheetError)) throw err;
      setStatus(`${sheetFile.path} is not a labelling sheet: ${err.message}`, true);
      return;
    }
    // A new folder replaces the images. A lone CSV keeps those already opened (found by file name) only when it
    // lists the same faces with the same crops as the open sheet (the same sample, picked again with Open files…).
    const sameSample = !!state && sameFaces(state.sheet, sheet);
    if (!sameSample || visible.some((f) => !/\.csv$/i.test(f.path))) {
      for (const u of urls.values()) URL.revokeObjectURL(u);
      urls = new Map();
      files = new Map();
    }
    const slash = sheetFile.path.lastIndexOf('/');
    const first = nextUnlabelled(sheet, 0);
    state = { sheet, sheetName: sheetFile.path, base: slash < 0 ? '' : sheetFile.path.slice(0, slash + 1), row: Math.max(0, first), attr: 0, dirty: false };
    if (first >= 0) state.attr = Math.max(0, sheet.attributes.findIndex((a) => getLabel(sheet, first, a) === null));
  }
  for (const f of visible) if (!/\.csv$/i.test(f.path)) files.set(f.path, f.file);
  if (!state) {
    setStatus(csvs.length ? `None of the CSV files is a labelling sheet (${SHEET_NAME}).` : `No ${SHEET_NAME} among the opened files: open the folder written by facetally sample.`, true);
    return;
  }
  const missing = state.sheet.rows.filter((r) => !findFile(r[state!.sheet.col.crop])).length;
  const p = labelProgress(state.sheet);
  setStatus(
    `${state.sheetName}: ${p.faces} faces × ${state.sheet.attributes.length} attributes` +
      (p.cellsLabelled ? `, ${p.cellsLabelled} already labelled` : '') +
      (missing ? ` · ${missing} crop image${missing === 1 ? '' : 's'} not found among the opened files` : ''),
    missing > 0,
  );
  el('#label-empty').hidden = true;
  el('#label-work').hidden = false;
  (el('#label-export') as HTMLButtonElement).disabled = false;
  render();
}

/** True when both sheets list the same faces (path, face) with the same crop and context files, in the same order. */
function sameFaces(a: LabelSheet, b: LabelSheet): boolean {
  const id = (s: LabelSheet, r: string[]) => [s.col.path, s.col.face, s.col.crop, s.col.context].map((c) => (c < 0 ? '' : r[c].trim())).join('\u0000');
  return a.rows.length === b.rows.length && a.rows.every((r, i) => id(a, r) === id(b, b.rows[i]));
}

/** The sheet among the CSV files: `to-label.csv` nearest the top, else the only CSV. */
function pickSheet(csvs: DroppedFile[]): DroppedFile | undefined {
  const named = csvs.filter((f) => f.path === SHEET_NAME || f.path.endsWith('/' + SHEET_NAME)).sort((a, b) => a.path.split('/').length - b.path.split('/').length);
  return named[0] ?? (csvs.length === 1 ? csvs[0] : undefined);
}

/** The opened file for a path relative to the sheet's folder: by full path, else by unique file name. */
function findFile(rel: string): File | undefined {
  if (!state || !rel) return undefined;
  const clean = rel.replace(/^\.\//, '');
  const exact = files.get(state.base + clean) ?? files.get(clean);
  if (exact) return exact;
  const name = clean.slice(clean.lastIndexOf('/') + 1);
  const same = [...files.entries()].filter(([p]) => p === name || p.endsWith('/' + name));
  return same.length === 1 ? same[0][1] : undefined;
}

function imageUrl(rel: string): string | null {
  const f = findFile(rel);
  if (!f) return null;
  const key = state!.base + rel;
  let u = urls.get(key);
  if (!u) urls.set(key, (u = URL.createObjectURL(f)));
  return u;
}

async function importLabels(file: File | undefined): Promise<void> {
  if (!file) return;
  if (!state) {
    setStatus('Open the sample folder first, then import the labels exported from it.', true);
    return;
  }
  let imported: LabelSheet;
  try {
    imported = parseLabelSheet(await file.text());
  } catch (err) {
    if (!(err instanceof LabelSheetError)) throw err;
    setStatus(`${file.name} cannot be imported: ${err.message}`, true);
    return;
  }
  const m = mergeLabels(state.sheet, imported);
  const notes = [
    m.changed && `${m.changed} replaced a different label made here`,
    m.unmatchedRows && `${m.unmatchedRows} labelled face${m.unmatchedRows === 1 ? '' : 's'} not in this sample (ignored)`,
    m.unmatchedAttributes.length && `no column here for ${m.unmatchedAttributes.join(', ')} (ignored)`,
  ].filter(Boolean);
  setStatus(`Imported ${m.cells} label${m.cells === 1 ? '' : 's'} for ${m.faces} face${m.faces === 1 ? '' : 's'} from ${file.name}${notes.length ? ` · ${notes.join(' · ')}` : ''}.`, m.unmatchedRows > 0 || m.unmatchedAttributes.length > 0);
  if (m.cells > 0) state.dirty = true;
  const next = nextUnlabelled(state.sheet, 0);
  if (next >= 0) moveTo(next, firstBlank(next));
  render();
}

function exportSheet(): void {
  if (!state) return;
  downloadText(formatLabelSheet(state.sheet), EXPORT_NAME, 'text/csv');
  state.dirty = false;
  const p = labelProgress(state.sheet);
  setStatus(`Exported ${EXPORT_NAME}: ${p.cellsLabelled} labels on ${p.facesDone + p.facesStarted} faces. Next: facetally compare … --validation-labels ${EXPORT_NAME}`);
}

// ---------------------------------------------------------------- labelling

function firstBlank(row: number): number {
  const k = state!.sheet.attributes.findIndex((a) => getLabel(state!.sheet, row, a) === null);
  return k < 0 ? 0 : k;
}

function moveTo(row: number, attr: number): void {
  const s = state!;
  s.row = Math.min(Math.max(0, row), s.sheet.rows.length - 1);
  s.attr = Math.min(Math.max(0, attr), s.sheet.attributes.length - 1);
}

/** Answer the current attribute (1, 0, or undefined = skip) and go to the next one (the next face after the last). */
function answer(label: Label | undefined): void {
  const s = state!;
  if (label !== undefined) {
    setLabel(s.sheet, s.row, s.sheet.attributes[s.attr], label);
    s.dirty = true;
  }
  if (s.attr + 1 < s.sheet.attributes.length) s.attr++;
  else if (s.row + 1 < s.sheet.rows.length) moveTo(s.row + 1, 0);
  else {
    const left = nextUnlabelled(s.sheet, 0);
    setStatus(left < 0 ? `That was the last face, and every label is set: export ${EXPORT_NAME}.` : `That was the last face. Enter goes to face ${left + 1}, which has blank labels; or export ${EXPORT_NAME}.`);
  }
  render();
}

function goFace(delta: number): void {
  if (!state) return;
  moveTo(state.row + delta, 0);
  render();
}

function onKey(e: KeyboardEvent): void {
  if (!state || root.hidden || e.altKey || e.metaKey) return;
  if (e.ctrlKey) {
    if (e.key === 's' || e.key === 'S') {
      e.preventDefault();
      exportSheet();
    }
    return;
  }
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
  const s = state;
  switch (e.key) {
    case 'y': case 'Y': case '1': answer(1); break;
    case 'n': case 'N': case '0': answer(0); break;
    case 's': case 'S': case ' ': answer(undefined); break;
    case 'Backspace': case 'Delete':
      setLabel(s.sheet, s.row, s.sheet.attributes[s.attr], null);
      s.dirty = true;
      render();
      break;
    case 'ArrowUp': moveTo(s.row, s.attr - 1); render(); break;
    case 'ArrowDown': moveTo(s.row, s.attr + 1); render(); break;
    case 'ArrowLeft': goFace(-1); break;
    case 'ArrowRight': goFace(1); break;
    case 'Enter': {
      const next = nextUnlabelled(s.sheet, (s.row + 1) % s.sheet.rows.length);
      if (next < 0) setStatus(`Every face is fully labelled: export ${EXPORT_NAME}.`);
      else moveTo(next, firstBlank(next));
      render();
      break;
    }
    default:
      return;
  }
  e.preventDefault();
}

// ---------------------------------------------------------------- drawing

function render(): void {
  if (!state) return;
  const { sheet, row, attr } = state;
  const cells = sheet.rows[row];
  const work = el('#label-work');
  work.dataset.row = String(row);
  work.dataset.attribute = sheet.attributes[attr];
  el('#label-face-title').textContent = `Face ${row + 1} of ${sheet.rows.length}`;
  const path = cells[sheet.col.path];
  const group = sheet.col.group >= 0 && cells[sheet.col.group] ? `group ${cells[sheet.col.group]} · ` : '';
  const where = el('#label-face-path');
  const face = cells[sheet.col.face].trim();
  where.textContent = `${group}${path.slice(path.lastIndexOf('/') + 1)}${face === '' ? '' : ` (face index ${face})`}`;
  where.title = path;
  showImage(el<HTMLImageElement>('#label-crop'), cells[sheet.col.crop]);
  showImage(el<HTMLImageElement>('#label-context'), sheet.col.context >= 0 ? cells[sheet.col.context] : '');
  (el('#label-prev') as HTMLButtonElement).disabled = row === 0;
  (el('#label-next') as HTMLButtonElement).disabled = row === sheet.rows.length - 1;

  const list = el('#label-attributes');
  list.replaceChildren(
    ...sheet.attributes.map((a, k) => {
      const v = getLabel(sheet, row, a);
      const li = document.createElement('li');
      li.dataset.attribute = a;
      li.dataset.label = v === null ? '' : String(v);
      li.className = (k === attr ? 'current ' : '') + (v === 1 ? 'yes' : v === 0 ? 'no' : 'blank');
      const name = document.createElement('span');
      name.className = 'attr';
      name.textContent = a.replace(/_/g, ' ');
      const yes = labelButton('yes', v === 1, () => pick(k, 1));
      const no = labelButton('no', v === 0, () => pick(k, 0));
      li.append(name, yes, no);
      li.addEventListener('click', () => {
        moveTo(state!.row, k);
        render();
      });
      return li;
    }),
  );
  // Keep the current attribute in view by scrolling the list only (scrolling the page would hide the face).
  const cur = list.querySelector<HTMLElement>('li.current');
  if (cur) {
    const top = cur.offsetTop - list.offsetTop;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + cur.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = top + cur.offsetHeight - list.clientHeight;
  }

  const p = labelProgress(sheet);
  const bar = el<HTMLProgressElement>('#label-progress-bar');
  bar.max = Math.max(1, p.cells);
  bar.value = p.cellsLabelled;
  el('#label-progress-text').textContent =
    `${p.facesDone} of ${p.faces} faces fully labelled` +
    (p.facesStarted ? `, ${p.facesStarted} in part` : '') +
    ` · ${p.cellsLabelled} of ${p.cells} labels (${Math.floor((100 * p.cellsLabelled) / p.cells)}%: ${p.yes} yes, ${p.no} no)` +
    ` · this face: ${labelledInRow(sheet, row)} of ${sheet.attributes.length}`;
  const prog = el('#label-progress');
  prog.dataset.facesDone = String(p.facesDone);
  prog.dataset.cellsLabelled = String(p.cellsLabelled);
}

function labelButton(text: 'yes' | 'no', on: boolean, fn: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.tabIndex = -1; // the keyboard drives the view; a focused button would swallow Space
  b.className = `label-${text}${on ? ' on' : ''}`;
  b.textContent = text;
  b.title = text === 'yes' ? 'yes (Y or 1)' : 'no (N or 0)';
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    fn();
  });
  return b;
}

function pick(k: number, label: Label): void {
  moveTo(state!.row, k);
  answer(label);
}

function showImage(img: HTMLImageElement, rel: string): void {
  const fig = img.parentElement as HTMLElement;
  const u = rel ? imageUrl(rel) : null;
  fig.hidden = !rel;
  fig.classList.toggle('missing', !!rel && !u);
  if (u) {
    if (img.getAttribute('src') !== u) img.src = u;
    img.title = rel;
  } else {
    img.removeAttribute('src');
    img.title = rel ? `${rel} is not among the opened files` : '';
  }
  fig.dataset.src = rel;
  const cap = fig.querySelector('figcaption')!;
  cap.dataset.caption ??= cap.textContent ?? '';
  cap.textContent = rel && !u ? `${rel}: not among the opened files` : cap.dataset.caption;
}

function setStatus(text: string, warn = false): void {
  const s = el('#label-status');
  s.textContent = text;
  s.classList.toggle('error', warn);
}
