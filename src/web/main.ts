/**
 * The facetally web app's shell (page side): starts the inference worker (src/web/worker.ts) and routes its
 * messages, switches between the views (tabs), and handles drag-and-drop for the whole page. Each view is a
 * module of its own in src/web/views/; their shared state is src/web/state.ts. All inference runs in the
 * worker; the page only handles the DOM.
 */

import type { PhotoResult } from '../types.js';
import { filesFromDataTransfer, type DroppedFile } from './files.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { $, app, connectWorker } from './state.js';
import { compareAnswered, initCompareView, showCompareView } from './views/compare-view.js';
import { addFiles, initGallery, photoDone, photoStarted } from './views/gallery.js';
import { initLabelView, openLabelFiles } from './views/label.js';

// ---------------------------------------------------------------- worker

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'facetally-inference' });
const send = (m: ToWorker) => worker.postMessage(m);
connectWorker(send);
worker.addEventListener('message', (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data));
worker.addEventListener('error', (e) => setModelStatus(`The inference worker failed: ${e.message}`, 'error'));
send({ type: 'init' });

function onWorkerMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      app.model = m.model;
      setModelStatus(`Models ready (${m.model.name}, ${m.seconds.toFixed(1)} s)`, 'ok');
      break;
    case 'init-error':
      setModelStatus(`Models could not be loaded: ${m.message}`, 'error');
      break;
    case 'started':
      photoStarted(m.id);
      break;
    case 'result':
      photoDone(m.id, m.result);
      break;
    case 'compare-result':
    case 'compare-error':
      compareAnswered(m);
      break;
  }
}

function setModelStatus(text: string, kind: 'ok' | 'error' | 'loading'): void {
  const el = $('model-status');
  el.textContent = text;
  el.className = `status ${kind}`;
}

// ---------------------------------------------------------------- drag and drop (whole page)

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
  const onDrop = views[current].onDrop ?? addFiles;
  void filesFromDataTransfer(e.dataTransfer).then(onDrop, (err: Error) => alert(`Could not read the dropped items: ${err.message}`));
});

// ---------------------------------------------------------------- views (tabs)

/**
 * The views: each tab's `data-view` names a section `<name>-view`. `onShow` runs when the view is opened;
 * `onDrop` takes files dropped on the page while the view is open (default: add them as photos);
 * `photoToolbar` shows the Add photos bar above it.
 */
const views: Record<string, { onShow?: () => void; onDrop?: (files: DroppedFile[]) => void; photoToolbar: boolean }> = {
  gallery: { photoToolbar: true },
  compare: { onShow: showCompareView, photoToolbar: true },
  label: { onDrop: (f) => void openLabelFiles(f), photoToolbar: false },
};
let current = 'gallery';

/** Open a view; the address's #fragment follows (#label opens the labelling view directly). */
function showView(view: string): void {
  if (!(view in views)) view = 'gallery';
  current = view;
  document.querySelectorAll<HTMLButtonElement>('.tabs button').forEach((x) => {
    x.classList.toggle('active', x.dataset.view === view);
    x.setAttribute('aria-selected', String(x.dataset.view === view));
  });
  for (const name of Object.keys(views)) $(`${name}-view`).hidden = name !== view;
  $('photo-toolbar').hidden = !views[view].photoToolbar;
  $('drop-overlay').firstElementChild!.textContent = view === 'label' ? 'Drop the folder written by facetally sample' : 'Drop photos or folders to analyse them here';
  if (location.hash !== `#${view}` && (location.hash || view !== 'gallery')) history.replaceState(null, '', `#${view}`);
  views[view].onShow?.();
}

document.querySelectorAll<HTMLButtonElement>('.tabs button').forEach((b) => b.addEventListener('click', () => showView(b.dataset.view ?? 'gallery')));
window.addEventListener('hashchange', () => showView(location.hash.slice(1)));

initCompareView();
initGallery();
initLabelView($('label-view'));
if (location.hash.length > 1) showView(location.hash.slice(1));

/** For tests and the curious (devtools): the records made so far, the same as `facetally tag` writes. */
(window as unknown as { __facetally: { records(): PhotoResult[] } }).__facetally = {
  records: () => [...app.photos.values()].filter((p) => p.result).map((p) => p.result as PhotoResult),
};
