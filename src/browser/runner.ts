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

/**
 * Fetch an ONNX model from the local server and open it with onnxruntime-web (WASM execution provider).
 * @param url same-origin URL of the .onnx file; @param label name used in error messages.
 * @throws Error naming the model when it cannot be fetched or loaded.
 */
export async function loadWebModel(url: string, label = url): Promise<ModelRunner> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${label}: cannot fetch ${url} (HTTP ${res.status})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
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
