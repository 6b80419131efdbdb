/**
 * The inference worker: loads the models once, then tags photos one at a time (so the page stays responsive)
 * and runs group comparisons. See {@link ToWorker} / {@link FromWorker} for the messages.
 */

import { compareInBrowser } from './compare.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { WebTagger } from '../browser/pipeline.js';
import { SerialQueue } from './serial-queue.js';

/** The subset of DedicatedWorkerGlobalScope used here (the root tsconfig has DOM types, not WebWorker ones). */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;

let tagger: Promise<WebTagger> | null = null;
/** All work runs in arrival order, one job at a time; a failed job is reported and the next one runs. */
const queue = new SerialQueue();

function post(m: FromWorker): void {
  scope.postMessage(m);
}

function init(): Promise<WebTagger> {
  if (!tagger) {
    const t0 = performance.now();
    tagger = WebTagger.create();
    tagger.then(
      (t) =>
        post({
          type: 'ready',
          seconds: (performance.now() - t0) / 1000,
          model: {
            name: t.sidecar.model,
            attributes: [...t.sidecar.attributes],
            thresholds: t.sidecar.thresholds,
            validationSplit: t.sidecar.validation.split,
            validationN: t.sidecar.validation.n,
          },
        }),
      (err: Error) => post({ type: 'init-error', message: err.message }),
    );
  }
  return tagger;
}

scope.addEventListener('message', (e) => {
  const msg = e.data;
  if (msg.type === 'init') {
    void init().catch(() => {});
    return;
  }
  queue.push(async () => {
    if (msg.type === 'tag') {
      let t: WebTagger;
      try {
        t = await init();
      } catch (err) {
        post({ type: 'result', id: msg.id, ms: 0, result: { path: msg.path, width: null, height: null, faces: [], error: { code: 'internal_error', message: `${msg.path}: models not loaded (${(err as Error).message})` } } });
        return;
      }
      post({ type: 'started', id: msg.id });
      const t0 = performance.now();
      const result = await t.tagBlob(msg.file, msg.path);
      post({ type: 'result', id: msg.id, result, ms: performance.now() - t0 });
    } else if (msg.type === 'compare') {
      try {
        const t = await init().catch(() => null);
        const out = await compareInBrowser(msg.request, t?.sidecar ?? null);
        post({ type: 'compare-result', result: out.result, html: out.html, csv: out.csv, json: out.json, charts: out.charts.map(({ id, title, svg }) => ({ id, title, svg })) });
      } catch (err) {
        post({ type: 'compare-error', message: (err as Error).message });
      }
    }
  }, (err) => {
    // Whatever escaped the job (e.g. a result that cannot be posted): answer the message so the page does not wait.
    const message = (err as Error)?.message ?? String(err);
    if (msg.type === 'tag') {
      post({ type: 'result', id: msg.id, ms: 0, result: { path: msg.path, width: 0, height: 0, faces: [], error: { code: 'internal_error', message: `${msg.path}: ${message}` } } });
    } else if (msg.type === 'compare') post({ type: 'compare-error', message });
  });
});
