import type { Detection, Point } from '../types.js';
import { anchorCentres, type HeadLayout } from './anchors.js';

/** Number of values per anchor in a BlazeFace regressor: box (cx, cy, w, h) + 6 keypoints x 2. */
export const REGRESSOR_SIZE = 16;

/**
 * Decode one BlazeFace head into detections in **input pixel** coordinates (0..inputSize).
 *
 * For anchor centre (ax, ay) in [0,1] and regressor r: centre = (ax, ay) * inputSize + (r0, r1),
 * size = (r2, r3), keypoint k = (ax, ay) * inputSize + (r[4+2k], r[5+2k]); score = sigmoid(logit).
 * (Equivalent to the package's shader, which works in normalised units and flips y for Unity textures;
 * our tensors are top-row-first, so no flip.)
 *
 * @param logits raw score logits, length = anchors of the head.
 * @param regressors length = anchors * 16.
 * @param inputSize the model input width in pixels (128 or 256 for the square models).
 * @param minScore keep anchors whose sigmoid score is >= minScore (in [0, 1]).
 * @param inputHeight the model input height in pixels; default `inputSize` (square input).
 * @throws RangeError when the tensor lengths do not match the head layout.
 */
export function decodeHead(
  logits: Float32Array,
  regressors: Float32Array,
  head: HeadLayout,
  inputSize: number,
  minScore: number,
  inputHeight: number = inputSize,
): Detection[] {
  const anchors = anchorCentres(head);
  const n = anchors.length / 2;
  if (logits.length !== n || regressors.length !== n * REGRESSOR_SIZE) {
    throw new RangeError(
      `expected ${n} scores and ${n * REGRESSOR_SIZE} regressors for a ${head.cells}x${head.rows ?? head.cells}x${head.anchorsPerCell} head but received ${logits.length} and ${regressors.length}`,
    );
  }
  // sigmoid(x) >= minScore  <=>  x >= logit(minScore); clamp to avoid infinities at 0 and 1.
  const p = Math.min(Math.max(minScore, 1e-7), 1 - 1e-7);
  const minLogit = Math.log(p / (1 - p));
  const out: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const logit = logits[i];
    if (!(logit >= minLogit)) continue;
    const ax = anchors[2 * i] * inputSize;
    const ay = anchors[2 * i + 1] * inputHeight;
    const r = i * REGRESSOR_SIZE;
    const cx = ax + regressors[r];
    const cy = ay + regressors[r + 1];
    const w = regressors[r + 2];
    const h = regressors[r + 3];
    const landmarks: Point[] = [];
    for (let k = 0; k < 6; k++) landmarks.push([ax + regressors[r + 4 + 2 * k], ay + regressors[r + 5 + 2 * k]]);
    out.push({
      box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h },
      score: 1 / (1 + Math.exp(-Math.max(-80, Math.min(80, logit)))),
      landmarks,
    });
  }
  return out;
}
