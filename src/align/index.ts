import type { RgbImage } from '../image/rgb.js';
import type { Detection, Point } from '../types.js';
import { estimateSimilarity, invertSimilarity, type Similarity } from './similarity.js';
import { TEMPLATE_HEIGHT, TEMPLATE_LANDMARK_INDICES, TEMPLATE_POINTS, TEMPLATE_WIDTH } from './template.js';
import { edgeMapToCentreMap, warpSimilarity } from './warp.js';

export * from './similarity.js';
export * from './template.js';
export { edgeMapToCentreMap, warpSimilarity } from './warp.js';

/** A face warped into the canonical 178x218 CelebA frame, with the transform that did it. */
export interface AlignedFace {
  /** The canonical crop, 178x218 RGB. */
  crop: RgbImage;
  /** Photo pixels → template pixels, both in pixel-edge coordinates (a pixel's centre at i + 0.5). */
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
 * into a 178x218 crop (bilinear, supersampled when shrinking). The keypoints and the template are in pixel-edge
 * coordinates and the warp samples at pixel centres, so the map is converted ({@link edgeMapToCentreMap}): a keypoint
 * lands on its template point at every face size (before, the crop was off by ½(s − 1) photo pixels for s photo
 * pixels per template pixel: about 1 template pixel for a 32 px face, whose eyes are some 13 px apart).
 * @throws RangeError when the keypoints are degenerate.
 */
export function alignFace(image: RgbImage, face: Detection): AlignedFace {
  const photoToTemplate = alignmentTransform(face);
  const crop = warpSimilarity(image, edgeMapToCentreMap(invertSimilarity(photoToTemplate)), TEMPLATE_WIDTH, TEMPLATE_HEIGHT);
  return { crop, photoToTemplate };
}
