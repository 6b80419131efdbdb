/**
 * The gallery view: adding photos (pick or drop, folders included), analysis progress, the photo cards with
 * face boxes and keypoints, the attribute filter, and putting photos into groups. Clicking a face opens the
 * face panel (./face-panel.ts).
 */

import { CELEBA_ATTRIBUTES } from '../../attributes/names.js';
import type { PhotoResult } from '../../types.js';
import { compileFilter, FilterSyntaxError, type FacePredicate } from '../filter.js';
import { folderGroups, type DroppedFile } from '../files.js';
import { $, app, emit, on, send, type PhotoEntry } from '../state.js';
import { selectFace } from './face-panel.js';

let filter: FacePredicate | null = null;
let batch = { total: 0, done: 0, started: 0 };

/** Wire the gallery's controls (file inputs, filter, group assignment); called once by the shell. */
export function initGallery(): void {
  for (const id of ['file-input', 'folder-input']) {
    $(id).addEventListener('change', (e) => {
      const input = e.target as HTMLInputElement;
      addFiles([...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
      input.value = '';
    });
  }
  const filterInput = $<HTMLInputElement>('filter');
  const datalist = $('attribute-names');
  for (const n of CELEBA_ATTRIBUTES) datalist.append(new Option(n));
  filterInput.addEventListener('input', () => setFilter(filterInput.value));
  on('filter-add', (name) => {
    if (!name) return;
    const cur = filterInput.value.trim();
    filterInput.value = cur ? `${cur} and ${name}` : name;
    setFilter(filterInput.value);
  });
  $('assign-selected').addEventListener('click', assignSelected);
  refreshGroupControls();
}

// ---------------------------------------------------------------- worker results

/** The worker started analysing photo `id`. */
export function photoStarted(id: number): void {
  const p = app.photos.get(id);
  if (!p) return;
  p.status = 'processing';
  p.card.dataset.status = 'processing';
  setCaption(p);
  updateProgress(p.path);
}

/** The worker finished photo `id` (a record with faces, or with an error). */
export function photoDone(id: number, result: PhotoResult): void {
  const p = app.photos.get(id);
  if (!p) return;
  p.status = 'done';
  p.result = result;
  batch.done++;
  renderCard(p);
  updateProgress();
  emit('groups-changed');
}

// ---------------------------------------------------------------- adding photos

/** Queue files for analysis; each file's group comes from its folder (see folderGroups). */
export function addFiles(files: DroppedFile[]): void {
  const images = files
    .filter((f) => !/(^|\/)\./.test(f.path)) // skip hidden files (.DS_Store, ._x)
    .sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
  if (images.length === 0) return;
  const gallery = $('gallery');
  gallery.querySelector('.empty')?.remove();
  const folderGroup = folderGroups(images.map((f) => f.path));
  for (const [k, f] of images.entries()) {
    const group = folderGroup[k];
    if (group && !app.groups.includes(group)) app.groups.push(group);
    const id = app.nextId++;
    const entry: PhotoEntry = { id, path: f.path, file: f.file, url: URL.createObjectURL(f.file), group, status: 'queued', result: null, selected: false, card: document.createElement('figure') };
    app.photos.set(id, entry);
    renderCard(entry);
    gallery.append(entry.card);
    send({ type: 'tag', id, file: f.file, path: f.path });
  }
  if (batch.done >= batch.total) batch = { total: 0, done: 0, started: performance.now() };
  batch.total += images.length;
  updateProgress();
  refreshGroupControls();
}

// ---------------------------------------------------------------- progress

function updateProgress(current?: string): void {
  const box = $('progress');
  const bar = $<HTMLProgressElement>('progress-bar');
  box.hidden = batch.total === 0;
  bar.max = Math.max(1, batch.total);
  bar.value = batch.done;
  const elapsed = (performance.now() - batch.started) / 1000;
  let text = `${batch.done} of ${batch.total} photos analysed`;
  if (batch.done < batch.total) {
    if (batch.done > 0) text += ` · about ${formatSeconds(((batch.total - batch.done) * elapsed) / batch.done)} left`;
    if (current) text += ` · now: ${current}`;
  } else text += ` in ${formatSeconds(elapsed)}`;
  $('progress-text').textContent = text;
  box.dataset.done = String(batch.done >= batch.total);
}

function formatSeconds(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
}

// ---------------------------------------------------------------- cards

const SVG_NS = 'http://www.w3.org/2000/svg';

function renderCard(p: PhotoEntry): void {
  const card = p.card;
  card.className = 'card';
  card.dataset.id = String(p.id);
  card.dataset.path = p.path;
  card.dataset.status = p.status;
  card.replaceChildren();
  const frame = document.createElement('div');
  frame.className = 'frame';
  const img = document.createElement('img');
  img.src = p.url;
  img.alt = p.path;
  img.loading = 'lazy';
  img.decoding = 'async';
  frame.append(img);
  const r = p.result;
  if (r && !r.error && (r.width ?? 0) > 0) {
    card.dataset.faces = String(r.faces.length);
    frame.append(faceOverlay(p, r));
  }
  if (r?.error) {
    card.dataset.error = r.error.code;
    img.remove();
    const err = document.createElement('div');
    err.className = 'unreadable';
    err.textContent = '⚠';
    frame.append(err);
  }
  const cap = document.createElement('figcaption');
  card.append(frame, cap);
  setCaption(p);
  applyFilterTo(p);
}

function faceOverlay(p: PhotoEntry, r: PhotoResult): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${r.width} ${r.height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.classList.add('overlay');
  r.faces.forEach((f, i) => {
    const g = document.createElementNS(SVG_NS, 'g');
    g.classList.add('face');
    g.dataset.face = String(i);
    const rect = document.createElementNS(SVG_NS, 'rect');
    rect.setAttribute('x', String(f.box.x));
    rect.setAttribute('y', String(f.box.y));
    rect.setAttribute('width', String(f.box.width));
    rect.setAttribute('height', String(f.box.height));
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = `face ${i + 1} · detector score ${f.score.toFixed(2)} · click for attributes`;
    rect.append(title);
    g.append(rect);
    const rad = Math.max(1.5, f.box.width / 40);
    for (const [x, y] of f.landmarks) {
      const c = document.createElementNS(SVG_NS, 'circle');
      c.setAttribute('cx', String(x));
      c.setAttribute('cy', String(y));
      c.setAttribute('r', String(rad));
      g.append(c);
    }
    g.addEventListener('click', (e) => {
      e.stopPropagation();
      selectFace(p.id, i);
    });
    svg.append(g);
  });
  return svg;
}

function setCaption(p: PhotoEntry): void {
  const cap = p.card.querySelector('figcaption');
  if (!cap) return;
  cap.replaceChildren();
  const top = document.createElement('div');
  top.className = 'cap-top';
  const check = document.createElement('input');
  check.type = 'checkbox';
  check.checked = p.selected;
  check.title = 'select this photo (to put it in a group)';
  check.addEventListener('change', () => {
    p.selected = check.checked;
    p.card.classList.toggle('selected', p.selected);
    refreshSelection();
  });
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = p.path.slice(p.path.lastIndexOf('/') + 1);
  name.title = p.path;
  top.append(check, name);
  const info = document.createElement('div');
  info.className = 'info';
  const r = p.result;
  if (p.status === 'queued') info.textContent = 'waiting…';
  else if (p.status === 'processing') info.textContent = 'analysing…';
  else if (r?.error) {
    info.classList.add('error');
    info.textContent = `Cannot read: ${r.error.message.startsWith(p.path + ': ') ? r.error.message.slice(p.path.length + 2) : r.error.message} (${r.error.code})`;
  } else if (r) info.textContent = `${r.faces.length === 0 ? 'no faces' : r.faces.length === 1 ? '1 face' : `${r.faces.length} faces`} · ${r.width}×${r.height}`;
  const sel = cardGroupSelect(p);
  p.card.dataset.group = p.group ?? '';
  cap.append(top, info, sel);
}

/** The group menu on a photo's card. */
function cardGroupSelect(p: PhotoEntry): HTMLSelectElement {
  const sel = document.createElement('select');
  sel.title = 'group';
  sel.className = 'card-group';
  sel.append(new Option('— no group —', ''));
  for (const g of app.groups) sel.append(new Option(`group: ${g}`, g, false, g === p.group));
  sel.value = p.group ?? '';
  sel.addEventListener('change', () => {
    p.group = sel.value === '' ? null : sel.value;
    p.card.dataset.group = p.group ?? '';
    emit('groups-changed');
  });
  return sel;
}

// ---------------------------------------------------------------- filter

function setFilter(expr: string): void {
  const status = $('filter-status');
  status.classList.remove('error');
  try {
    filter = expr.trim() ? compileFilter(expr) : null;
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err;
    status.textContent = err.message;
    status.classList.add('error');
    return;
  }
  let shown = 0, faces = 0;
  for (const p of app.photos.values()) {
    const n = applyFilterTo(p);
    if (n > 0 || !filter) shown++;
    faces += n;
  }
  status.textContent = filter ? `${faces} face${faces === 1 ? '' : 's'} in ${shown} of ${app.photos.size} photos match` : '';
}

/** Show/hide a card and mark its matching faces; @returns the number of matching faces. */
function applyFilterTo(p: PhotoEntry): number {
  const faces = p.result?.faces ?? [];
  if (!filter) {
    p.card.hidden = false;
    p.card.querySelectorAll('.face').forEach((el) => el.classList.remove('match', 'nomatch'));
    return faces.length;
  }
  let n = 0;
  faces.forEach((f, i) => {
    const ok = filter!(f.decisions);
    if (ok) n++;
    const el = p.card.querySelector(`.face[data-face="${i}"]`);
    el?.classList.toggle('match', ok);
    el?.classList.toggle('nomatch', !ok);
  });
  p.card.hidden = n === 0;
  return n;
}

// ---------------------------------------------------------------- groups

function refreshGroupControls(): void {
  const sel = $<HTMLSelectElement>('assign-group');
  const cur = sel.value;
  sel.replaceChildren(new Option('— no group —', ''));
  for (const g of app.groups) sel.append(new Option(g, g));
  sel.value = app.groups.includes(cur) ? cur : '';
  for (const p of app.photos.values()) p.card.querySelector('select.card-group')?.replaceWith(cardGroupSelect(p));
  emit('groups-changed');
}

function refreshSelection(): void {
  const n = [...app.photos.values()].filter((p) => p.selected).length;
  $('selection-status').textContent = n ? `${n} photo${n === 1 ? '' : 's'} selected →` : 'Click photos\u2019 checkboxes to select them.';
  ($('assign-selected') as HTMLButtonElement).disabled = n === 0;
}

function assignSelected(): void {
  const typed = $<HTMLInputElement>('new-group').value.trim();
  const group = typed || $<HTMLSelectElement>('assign-group').value || null;
  if (group && !app.groups.includes(group)) app.groups.push(group);
  for (const p of app.photos.values()) {
    if (!p.selected) continue;
    p.group = group;
    p.selected = false;
    p.card.classList.remove('selected');
  }
  $<HTMLInputElement>('new-group').value = '';
  refreshGroupControls();
  for (const p of app.photos.values()) setCaption(p);
  refreshSelection();
}
