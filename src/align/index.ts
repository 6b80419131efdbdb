import type { RgbImage } from '../image/rgb.js';
import type { Detection, Point } from '../types.js';
import { estimateSimilarity, invertSimilarity, type Similarity } from './similarity.js';
import { TEMPLATE_HEIGHT, TEMPLATE_LANDMARK_INDICES, TEMPLATE_POINTS, TEMPLATE_WIDTH } from './template.js';
import { warpSimilarity } from './warp.js';

export * from './similarity.js';
export * from './template.js';
export { warpSimilarity } from './warp.js';

/** A face warped into the canonical 178x218 CelebA frame, with the transform that did it. */
export interface AlignedFace {
  /** The canonical crop, 178x218 RGB. */
  crop: RgbImage;
  /** Photo pixels → template pixels. */
  photoToTemplate: Similarity;
}

/**
 * The similarity transform (least squares over the eye centres and the mouth centre) that maps a
 * detection's keypoints onto the canonical template.
 * @throws RangeError when the keypoints are degenerate (all at one point).
 */
export function alignmentTransform(face: Detection): Similarity {
  const src: Point[] = TEMPLATE_LANDMARK_INDICES.map((i) => face.landmarks[i]);
  return estimateSimilarity(src, TEMPLATE_POINTS as Point[]);
}

/**
 * Align one detected face: estimate the similarity transform to the CelebA template and warp the photo
 * into a 178x218 crop (bilinear, supersampled when shrinking).
 * @throws RangeError when the keypoints are degenerate.
 */
export function alignFace(image: RgbImage, face: Detection): AlignedFace {
  const photoToTemplate = alignmentTransform(face);
  const crop = warpSimilarity(image, invertSimilarity(photoToTemplate), TEMPLATE_WIDTH, TEMPLATE_HEIGHT);
  return { crop, photoToTemplate };
}
