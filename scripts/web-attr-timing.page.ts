/**
 * The browser half of scripts/web-attr-timing.ts (bundled by it with esbuild; not part of the package): loads the
 * attribute model that `facetally serve` serves, exactly as the web app's worker does (the sidecar, then the ONNX
 * file it names, onnxruntime-web WASM with one thread, `AttributeModel` with the portable image ops), and times
 * `AttributeModel.predict` on canonical 178x218 crops handed over by the Node half.
 */
import { AttributeModel } from '../src/attributes/model.js';
import { fetchSidecar } from '../src/browser/pipeline.js';
import { configureOrt, loadWebModel } from '../src/browser/runner.js';
import { portableImageOps } from '../src/image/resample.js';

/** What the Node half asks for. */
export interface TimingRequest {
  ortBase: string;
  sidecarUrl: string;
  cropsUrl: string;
  /** Batch sizes to time: 1 = a photo with one face; the app predicts all faces of a photo as one batch. */
  batches: number[];
  /** Rounds over all crops per batch size. */
  rounds: number;
}

/** Per batch size: ms per face, over every call (each call's time divided by its faces). */
export interface TimingResult {
  loadMs: number;
  crops: number;
  perBatch: { batch: number; calls: number; medianMsPerFace: number; meanMsPerFace: number; p90MsPerFace: number }[];
}

async function timeAttributes(req: TimingRequest): Promise<TimingResult> {
  configureOrt(req.ortBase);
  const t0 = performance.now();
  const sidecar = await fetchSidecar(req.sidecarUrl);
  const modelUrl = new URL(sidecar.model, new URL(req.sidecarUrl, location.href)).href;
  const runner = await loadWebModel(modelUrl, `attribute model ${sidecar.model}`);
  const model = new AttributeModel(sidecar, runner, portableImageOps);
  const loadMs = performance.now() - t0;
  const bytes = new Uint8Array(await (await fetch(req.cropsUrl)).arrayBuffer());
  const per = 178 * 218 * 3;
  const crops = Array.from({ length: bytes.length / per }, (_, i) => ({ data: bytes.subarray(i * per, (i + 1) * per), width: 178, height: 218 }));
  await model.predict(crops.slice(0, 2)); // warm-up (first-run allocations)
  const perBatch: TimingResult['perBatch'] = [];
  for (const b of req.batches) {
    const ms: number[] = [];
    for (let r = 0; r < req.rounds; r++) {
      for (let i = 0; i + b <= crops.length; i += b) {
        const s = performance.now();
        await model.predict(crops.slice(i, i + b));
        ms.push((performance.now() - s) / b);
      }
    }
    ms.sort((x, y) => x - y);
    perBatch.push({
      batch: b,
      calls: ms.length,
      medianMsPerFace: ms[Math.floor(ms.length / 2)],
      meanMsPerFace: ms.reduce((s, x) => s + x, 0) / ms.length,
      p90MsPerFace: ms[Math.floor(ms.length * 0.9)],
    });
  }
  await model.release();
  return { loadMs, crops: crops.length, perBatch };
}

(globalThis as unknown as { timeAttributes: typeof timeAttributes }).timeAttributes = timeAttributes;
