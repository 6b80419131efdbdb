import type { Point } from '../types.js';

/** Width of the canonical face frame in pixels: CelebA's aligned images (`img_align_celeba`) are 178x218. */
export const TEMPLATE_WIDTH = 178;
/** Height of the canonical face frame in pixels. */
export const TEMPLATE_HEIGHT = 218;

/**
 * Canonical positions, in pixels of the 178x218 CelebA aligned frame, of the three keypoints used for
 * alignment: the subject's right eye, left eye and mouth centre (BlazeFace keypoints 0, 1, 3).
 *
 * Measured, not assumed: the mean BlazeFace keypoints over the first 1,500 (sorted by name) images of
 * `../shared/data/celeba/img_align_celeba` with facetally's own detector: 1,495 detected, 5 missed;
 * per-axis standard deviations about 2 px for the eyes and 3.5 px for the mouth.
 * Reproduce with `npx tsx scripts/measure-template.ts ../shared/data/celeba/img_align_celeba 1500`.
 * Because the template is CelebA's own frame, CelebA aligned crops are already in template space and
 * every other photo is warped into it.
 */
export const TEMPLATE_POINTS: readonly Point[] = [
  [69.13, 112.9],
  [108.78, 112.76],
  [88.76, 156.94],
];

/** Indices, in the six BlazeFace keypoints, of the points matched to {@link TEMPLATE_POINTS}. */
export const TEMPLATE_LANDMARK_INDICES = [0, 1, 3] as const;
