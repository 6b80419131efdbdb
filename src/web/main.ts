/**
 * The facetally web app (page side): adding photos (pick or drop, folders included), the gallery with face
 * boxes and keypoints, the attribute panel, filters, groups and the comparison view. All inference runs in
 * a Web Worker (src/web/worker.ts); this file only handles the DOM.
 */

import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import type { Face, PhotoResult } from '../types.js';
import { compileFilter, FilterSyntaxError, type FacePredicate } from './filter.js';
import { folderGroups, type DroppedFile, filesFromDataTransfer } from './files.js';
import type { FromWorker, ModelInfo, ToWorker } from './protocol.js';

/** One photo in the page. */
interface PhotoEntry {
  id: number;
  path: string;
  file: File;
  url: string;
  group: string | null;
  status: 'queued' | 'processing' | 'done';
  result: PhotoResult | null;
  selected: boolean;
  card: HTMLElement;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const photos = new Map<number, PhotoEntry>();
const groups: string[] = [];
let nextId = 1;
let model: ModelInfo | null = null;
let filter: FacePredicate | null = null;
let selectedFace: { id: number; face: number } | null = null;
let batch = { total: 0, done: 0, started: 0 };
let lastCompare: { html: string; csv: string; json: string } | null = null;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'facetally-inference' });
const send = (m: ToWorker) => worker.postMessage(m);
worker.addEventListener('message', (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data));
worker.addEventListener('error', (e) => setModelStatus(`The inference worker failed: ${e.message}`, 'error'));
send({ type: 'init' });

// ---------------------------------------------------------------- worker messages

function onWorkerMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      model = m.model;
      setModelStatus(`Models ready (${m.model.name}, ${m.seconds.toFixed(1)} s)`, 'ok');
      break;
    case 'init-error':
      setModelStatus(`Models could not be loaded: ${m.message}`, 'error');
      break;
    case 'started': {
      const p = photos.get(m.id);
      if (p) {
        p.status = 'processing';
        p.card.dataset.status = 'processing';
        setCaption(p);
        updateProgress(p.path);
      }
      break;
    }
    case 'result': {
      const p = photos.get(m.id);
      if (!p) break;
      p.status = 'done';
      p.result = m.result;
      batch.done++;
      renderCard(p);
      updateProgress();
      updateGroupTable();
      break;
    }
    case 'compare-result':
      lastCompare = { html: m.html, csv: m.csv, json: m.json };
      showReport(m.html);
      $('compare-status').textContent = `Compared ${m.result.groups.length} groups, ${Object.values(m.result.panels[0].faces).reduce((a, b) => a + b, 0)} faces.`;
      $('downloads').hidden = false;
      ($('run-compare') as HTMLButtonElement).disabled = false;
      break;
    case 'compare-error':
      $('compare-status').textContent = `Cannot compare: ${m.message}`;
      $('compare-status').classList.add('error');
      ($('run-compare') as HTMLButtonElement).disabled = false;
      break;
  }
}

function setModelStatus(text: string, kind: 'ok' | 'error' | 'loading'): void {
  const el = $('model-status');
  el.textContent = text;
  el.className = `status ${kind}`;
}

// ---------------------------------------------------------------- adding photos

/** Queue files for analysis; each file's group comes from its folder (see folderGroups). */
function addFiles(files: DroppedFile[]): void {
  const images = files
    .filter((f) => !/(^|\/)\./.test(f.path)) // skip hidden files (.DS_Store, ._x)
    .sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
  if (images.length === 0) return;
  const gallery = $('gallery');
  gallery.querySelector('.empty')?.remove();
  const folderGroup = folderGroups(images.map((f) => f.path));
  for (const [k, f] of images.entries()) {
    const group = folderGroup[k];
    if (group && !groups.includes(group)) groups.push(group);
    const id = nextId++;
    const entry: PhotoEntry = { id, path: f.path, file: f.file, url: URL.createObjectURL(f.file), group, status: 'queued', result: null, selected: false, card: document.createElement('figure') };
    photos.set(id, entry);
    renderCard(entry);
    gallery.append(entry.card);
    send({ type: 'tag', id, file: f.file, path: f.path });
  }
  if (batch.done >= batch.total) batch = { total: 0, done: 0, started: performance.now() };
  batch.total += images.length;
  updateProgress();
  refreshGroupControls();
}

$('file-input').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  addFiles([...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
  input.value = '';
});
$('folder-input').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  addFiles([...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
  input.value = '';
});

let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  dragDepth++;
  $('drop-overlay').hidden = false;
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) $('drop-overlay').hidden = true;
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('drop-overlay').hidden = true;
  if (!e.dataTransfer) return;
  void filesFromDataTransfer(e.dataTransfer).then(addFiles, (err: Error) => alert(`Could not read the dropped items: ${err.message}`));
});

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

// ---------------------------------------------------------------- gallery

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
  if (r && !r.error && r.width > 0) {
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
  const sel = groupSelect(p.group, (g) => {
    p.group = g;
    p.card.dataset.group = g ?? '';
    updateGroupTable();
  });
  sel.className = 'card-group';
  p.card.dataset.group = p.group ?? '';
  cap.append(top, info, sel);
}

function groupSelect(value: string | null, onChange: (g: string | null) => void): HTMLSelectElement {
  const sel = document.createElement('select');
  sel.title = 'group';
  sel.append(new Option('— no group —', ''));
  for (const g of groups) sel.append(new Option(`group: ${g}`, g, false, g === value));
  sel.value = value ?? '';
  sel.addEventListener('change', () => onChange(sel.value === '' ? null : sel.value));
  return sel;
}

// ---------------------------------------------------------------- face panel

function selectFace(id: number, face: number): void {
  selectedFace = { id, face };
  document.querySelectorAll('.face.active').forEach((el) => el.classList.remove('active'));
  photos.get(id)?.card.querySelector(`.face[data-face="${face}"]`)?.classList.add('active');
  renderFacePanel();
}

function renderFacePanel(): void {
  const panel = $('face-panel');
  panel.replaceChildren();
  const p = selectedFace ? photos.get(selectedFace.id) : undefined;
  const f: Face | undefined = p?.result?.faces[selectedFace!.face];
  if (!p || !f) {
    panel.innerHTML = '<p class="note">Click a face box to see its 40 attributes.</p>';
    return;
  }
  panel.dataset.path = p.path;
  panel.dataset.face = String(selectedFace!.face);
  const head = document.createElement('div');
  head.className = 'panel-head';
  const thumb = document.createElement('canvas');
  thumb.width = 96;
  thumb.height = 118;
  const img = p.card.querySelector('img');
  if (img) drawFaceThumb(thumb, img, f);
  const text = document.createElement('div');
  text.innerHTML = `<h2>Face ${selectedFace!.face + 1} of ${p.result!.faces.length}</h2><p class="note"></p><p class="note">detector score ${f.score.toFixed(2)}</p>`;
  text.querySelector('.note')!.textContent = p.path;
  head.append(thumb, text);
  const list = document.createElement('ol');
  list.className = 'attributes';
  const names = Object.keys(f.attributes).sort((a, b) => f.attributes[b] - f.attributes[a]);
  for (const name of names) {
    const prob = f.attributes[name];
    const yes = f.decisions[name];
    const thr = model?.thresholds[name];
    const li = document.createElement('li');
    li.dataset.attribute = name;
    li.dataset.decision = String(yes);
    li.className = yes ? 'yes' : 'no';
    li.title = `${name}: probability ${(100 * prob).toFixed(1)}%${thr !== undefined ? `, threshold ${(100 * thr).toFixed(0)}%` : ''} → ${yes ? 'yes' : 'no'}`;
    const label = document.createElement('span');
    label.className = 'attr';
    label.textContent = name.replace(/_/g, ' ');
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.width = `${(100 * prob).toFixed(1)}%`;
    bar.append(fill);
    if (thr !== undefined) {
      const tick = document.createElement('span');
      tick.className = 'tick';
      tick.style.left = `${(100 * thr).toFixed(1)}%`;
      bar.append(tick);
    }
    const val = document.createElement('span');
    val.className = 'prob';
    val.textContent = `${(100 * prob).toFixed(0)}%`;
    const dec = document.createElement('span');
    dec.className = 'decision';
    dec.textContent = yes ? 'yes' : 'no';
    li.append(label, bar, val, dec);
    li.addEventListener('click', () => addToFilter(name));
    list.append(li);
  }
  const legend = document.createElement('p');
  legend.className = 'note';
  legend.textContent = 'Bars: probability. Tick: the decision threshold chosen on CelebA validation. Click an attribute to filter by it. Predictions are statistical estimates, not facts about the person.';
  panel.append(head, list, legend);
}

function drawFaceThumb(canvas: HTMLCanvasElement, img: HTMLImageElement, f: Face): void {
  const draw = () => {
    const ctx = canvas.getContext('2d');
    if (!ctx || !img.naturalWidth) return;
    const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2;
    const s = Math.max(f.box.width, f.box.height) * 1.5;
    const w = s * (canvas.width / canvas.height);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, cx - w / 2, cy - s / 2, w, s, 0, 0, canvas.width, canvas.height);
  };
  if (img.complete) draw();
  else img.addEventListener('load', draw, { once: true });
}

// ---------------------------------------------------------------- filter

const filterInput = $<HTMLInputElement>('filter');
const datalist = $('attribute-names');
for (const n of CELEBA_ATTRIBUTES) datalist.append(new Option(n));
filterInput.addEventListener('input', () => setFilter(filterInput.value));

function addToFilter(name: string): void {
  const cur = filterInput.value.trim();
  filterInput.value = cur ? `${cur} and ${name}` : name;
  setFilter(filterInput.value);
}

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
  for (const p of photos.values()) {
    const n = applyFilterTo(p);
    if (n > 0 || !filter) shown++;
    faces += n;
  }
  status.textContent = filter ? `${faces} face${faces === 1 ? '' : 's'} in ${shown} of ${photos.size} photos match` : '';
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
  for (const g of groups) sel.append(new Option(g, g));
  sel.value = groups.includes(cur) ? cur : '';
  for (const p of photos.values()) {
    const old = p.card.querySelector('select.card-group');
    if (old) {
      const s = groupSelect(p.group, (g) => {
        p.group = g;
        p.card.dataset.group = g ?? '';
        updateGroupTable();
      });
      s.className = 'card-group';
      old.replaceWith(s);
    }
  }
  updateGroupTable();
}

function refreshSelection(): void {
  const n = [...photos.values()].filter((p) => p.selected).length;
  $('selection-status').textContent = n ? `${n} photo${n === 1 ? '' : 's'} selected →` : 'Click photos\u2019 checkboxes to select them.';
  ($('assign-selected') as HTMLButtonElement).disabled = n === 0;
}

$('assign-selected').addEventListener('click', () => {
  const typed = $<HTMLInputElement>('new-group').value.trim();
  const group = typed || $<HTMLSelectElement>('assign-group').value || null;
  if (group && !groups.includes(group)) groups.push(group);
  for (const p of photos.values()) {
    if (!p.selected) continue;
    p.group = group;
    p.selected = false;
    p.card.classList.remove('selected');
  }
  $<HTMLInputElement>('new-group').value = '';
  refreshGroupControls();
  for (const p of photos.values()) setCaption(p);
  refreshSelection();
});

function updateGroupTable(): void {
  const rows = [...groups, null].map((g) => {
    const members = [...photos.values()].filter((p) => p.group === g);
    const faces = members.reduce((s, p) => s + (p.result?.faces.length ?? 0), 0);
    const unreadable = members.filter((p) => p.result?.error).length;
    return { g, photos: members.length, faces, unreadable };
  });
  const t = document.createElement('table');
  t.className = 'groups';
  t.innerHTML = '<thead><tr><th>group</th><th>photos</th><th>faces</th><th>unreadable</th></tr></thead>';
  const tb = document.createElement('tbody');
  for (const r of rows) {
    if (r.g === null && r.photos === 0) continue;
    const tr = document.createElement('tr');
    if (r.g === null) tr.className = 'ungrouped';
    for (const v of [r.g ?? '(no group — left out)', r.photos, r.faces, r.unreadable]) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    tb.append(tr);
  }
  t.append(tb);
  const box = $('group-table');
  box.replaceChildren(t);
  if (groups.length < 2) {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = 'Comparing needs at least two groups: drop one folder per group, or select photos in the gallery and put them in named groups.';
    box.append(p);
  }
}

// ---------------------------------------------------------------- comparison

const splitBy = $<HTMLSelectElement>('split-by');
for (const n of CELEBA_ATTRIBUTES) splitBy.append(new Option(n, n));

$('run-compare').addEventListener('click', () => {
  const status = $('compare-status');
  status.classList.remove('error');
  const pending = [...photos.values()].filter((p) => p.group !== null && p.status !== 'done').length;
  if (pending) {
    status.textContent = `Wait until all photos are analysed (${pending} to go).`;
    return;
  }
  const grouped = [...photos.values()].filter((p) => p.group !== null && p.result);
  const used = groups.filter((g) => grouped.some((p) => p.group === g));
  if (used.length < 2) {
    status.textContent = 'Put photos into at least two groups first.';
    status.classList.add('error');
    return;
  }
  ($('run-compare') as HTMLButtonElement).disabled = true;
  status.textContent = 'Comparing (bootstrap intervals take a few seconds)…';
  send({
    type: 'compare',
    request: {
      photos: grouped.map((p) => ({ result: p.result!, group: p.group })),
      groups: used,
      splitByAttribute: splitBy.value || null,
      correction: $<HTMLInputElement>('correction').checked,
    },
  });
});

function showReport(html: string): void {
  const out = $('compare-out');
  const frame = document.createElement('iframe');
  frame.className = 'report';
  frame.title = 'comparison report';
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.srcdoc = html;
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    if (doc) frame.style.height = `${doc.documentElement.scrollHeight + 24}px`;
  });
  out.replaceChildren(frame);
}

document.querySelectorAll<HTMLButtonElement>('[data-download]').forEach((b) =>
  b.addEventListener('click', () => {
    if (!lastCompare) return;
    const kind = b.dataset.download as 'csv' | 'json' | 'html';
    const type = { csv: 'text/csv', json: 'application/json', html: 'text/html' }[kind];
    const name = { csv: 'compare.csv', json: 'compare.json', html: 'report.html' }[kind];
    const url = URL.createObjectURL(new Blob([lastCompare[kind]], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }),
);

// ---------------------------------------------------------------- tabs

document.querySelectorAll<HTMLButtonElement>('.tabs button').forEach((b) =>
  b.addEventListener('click', () => {
    const view = b.dataset.view;
    document.querySelectorAll<HTMLButtonElement>('.tabs button').forEach((x) => {
      x.classList.toggle('active', x === b);
      x.setAttribute('aria-selected', String(x === b));
    });
    $('gallery-view').hidden = view !== 'gallery';
    $('compare-view').hidden = view !== 'compare';
    if (view === 'compare') updateGroupTable();
  }),
);

updateGroupTable();
refreshGroupControls();

/** For tests and the curious (devtools): the records made so far, the same as `facetally tag` writes. */
(window as unknown as { __facetally: { records(): PhotoResult[] } }).__facetally = {
  records: () => [...photos.values()].filter((p) => p.result).map((p) => p.result as PhotoResult),
};
