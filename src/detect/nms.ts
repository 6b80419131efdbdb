import type { Box, Detection, Point } from '../types.js';

/** Intersection over union of two boxes, in [0, 1]; 0 when either box is empty. */
export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Weighted non-maximum suppression, as MediaPipe's `NonMaxSuppressionCalculator` with
 * `overlap_type: INTERSECTION_OVER_UNION` and `algorithm: WEIGHTED` (BlazeFace, Bazarevsky et al. 2019,
 * "blending" strategy): repeatedly take the highest-scoring detection, gather every remaining detection
 * whose IoU with it exceeds `iouThreshold`, and replace the cluster by the score-weighted mean of their
 * boxes and landmarks, keeping the top score.
 *
 * @param detections any order; not modified.
 * @param iouThreshold in [0, 1]; MediaPipe uses 0.3 for BlazeFace.
 * @returns merged detections, sorted by descending score.
 */
export function weightedNonMaxSuppression(detections: readonly Detection[], iouThreshold = 0.3): Detection[] {
  const remaining = [...detections].sort((a, b) => b.score - a.score);
  const out: Detection[] = [];
  while (remaining.length > 0) {
    const top = remaining[0];
    const cluster: Detection[] = [];
    const rest: Detection[] = [];
    for (const d of remaining) (iou(top.box, d.box) > iouThreshold || d === top ? cluster : rest).push(d);
    remaining.length = 0;
    remaining.push(...rest);
    if (cluster.length === 1) {
      out.push(top);
      continue;
    }
    let wsum = 0;
    let x = 0, y = 0, w = 0, h = 0;
    const lm: Point[] = top.landmarks.map(() => [0, 0]);
    for (const d of cluster) {
      const s = d.score;
      wsum += s;
      x += s * d.box.x; y += s * d.box.y; w += s * d.box.width; h += s * d.box.height;
      d.landmarks.forEach((p, k) => { lm[k][0] += s * p[0]; lm[k][1] += s * p[1]; });
    }
    out.push({
      box: { x: x / wsum, y: y / wsum, width: w / wsum, height: h / wsum },
      score: top.score,
      landmarks: lm.map(([px, py]) => [px / wsum, py / wsum] as Point),
    });
  }
  return out;
}
