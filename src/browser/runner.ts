/**
 * The browser implementation of the {@link ModelRunner} seam, on onnxruntime-web's WebAssembly backend.
 * The runtime's .wasm file is part of the Vite build (a hashed asset under /assets/) and served by the local
 * facetally server; nothing is fetched from a CDN. One thread, so the page needs no cross-origin isolation.
 */

import * as ort from 'onnxruntime-web/wasm';
import { ortElementType, type FloatTensor, type InputTensor, type ModelRunner } from '../runtime/onnx.js';

let configured = false;

/**
 * Configure onnxruntime-web once before {@link loadWebModel} (later calls are ignored).
 * @param wasmBase where the runtime's .wasm/.mjs files are served (a URL path ending in '/'); default: the
 *   asset bundled by Vite beside the code.
 */
export function configureOrt(wasmBase?: string, threads = 1): void {
  if (configured) return;
  configured = true;
  if (wasmBase) ort.env.wasm.wasmPaths = wasmBase;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

/** The part of the Cache Storage API's `Cache` that {@link fetchModelBytes} uses. */
export interface ModelCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

/** Name of the Cache Storage cache that holds the models (never photos). */
export const MODEL_CACHE_NAME = 'facetally-models-v1';

/**
 * The bytes of a model file, kept in Cache Storage between visits: with a cached copy that has an ETag, the
 * request carries `If-None-Match` and a 304 answer (`facetally serve` sends one when the file is unchanged) reuses
 * the copy, so a large attribute model (an ensemble of tens of MB) is not downloaded on every visit. The browser's
 * HTTP cache would not do it reliably: Chromium does not keep responses of that size in a memory-backed cache
 * (private windows, automated browsers). Any other answer (200: the file changed) replaces the copy.
 * @param cache default `caches.open(MODEL_CACHE_NAME)` where Cache Storage exists (secure contexts: 127.0.0.1,
 *   localhost, https); without one, a plain fetch. A cache that fails is ignored.
 * @throws Error naming the model when it cannot be fetched (HTTP status other than 200/304).
 */
export async function fetchModelBytes(url: string, label = url, cache?: ModelCache | null, fetcher: typeof fetch = fetch): Promise<Uint8Array> {
  if (cache === undefined) cache = await openModelCache();
  const cached = cache ? await cache.match(url).catch(() => undefined) : undefined;
  const etag = cached?.headers.get('etag');
  const res = await fetcher(url, etag ? { headers: { 'If-None-Match': etag }, cache: 'no-store' } : cache ? { cache: 'no-store' } : undefined);
  if (res.status === 304 && cached) return new Uint8Array(await cached.arrayBuffer());
  if (!res.ok) throw new Error(`${label}: cannot fetch ${url} (HTTP ${res.status})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (cache && res.headers.get('etag')) {
    const headers = { 'Content-Type': 'application/octet-stream', ETag: res.headers.get('etag')! };
    await cache.put(url, new Response(bytes, { headers })).catch(() => {});
  }
  return bytes;
}

async function openModelCache(): Promise<ModelCache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(MODEL_CACHE_NAME);
  } catch {
    return null;
  }
}

/**
 * Fetch an ONNX model from the local server ({@link fetchModelBytes}: kept in Cache Storage, revalidated by ETag)
 * and open it with onnxruntime-web (WASM execution provider).
 * @param url same-origin URL of the .onnx file; @param label name used in error messages.
 * @throws Error naming the model when it cannot be fetched or loaded.
 */
export async function loadWebModel(url: string, label = url): Promise<ModelRunner> {
  const bytes = await fetchModelBytes(url, label);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  } catch (err) {
    throw new Error(`${label}: cannot load ONNX model (${(err as Error).message})`);
  }
  return wrapSession(session);
}

/** Adapt an onnxruntime-web session to {@link ModelRunner} (not exported: its type would tie this module's declarations to onnxruntime-web's). */
function wrapSession(session: ort.InferenceSession): ModelRunner {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds: Record<string, InputTensor>): Promise<Record<string, FloatTensor>> {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(ortElementType(v), v.data, v.dims);
      const out = await session.run(ortFeeds);
      const res: Record<string, FloatTensor> = {};
      for (const [k, v] of Object.entries(out)) {
        res[k] = { data: v.data as Float32Array, dims: v.dims };
      }
      for (const t of Object.values(ortFeeds)) t.dispose();
      return res;
    },
    release: () => session.release(),
  };
}
