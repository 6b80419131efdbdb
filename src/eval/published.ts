import { CELEBA_ATTRIBUTES } from '../attributes/names.js';

/**
 * LNets+ANet per-attribute test accuracy on CelebA, in percent, in CelebA order.
 * Source: Liu, Luo, Wang, Tang, "Deep Learning Face Attributes in the Wild", ICCV 2015, Table 1
 * (row "LNets+ANet", CelebA columns); mean 87.3 (reported as 87). Measured on the full official test split
 * (19,962 images), not on the 660-image subset facetally evaluates on, so it is a reference, not a paired figure.
 */
export const LNETS_ANET_ACCURACY: Readonly<Record<string, number>> = Object.fromEntries(
  [91, 79, 81, 79, 98, 95, 68, 78, 88, 95, 84, 80, 90, 91, 92, 99, 95, 97, 90, 87, 98, 92, 95, 81, 95, 66, 91, 72, 89, 90, 96, 92, 73, 80, 82, 99, 93, 71, 93, 87].map(
    (v, i) => [CELEBA_ATTRIBUTES[i], v],
  ),
);

/**
 * The 2016 study's per-attribute accuracy on CelebA, in percent (two decimals as printed), in CelebA order.
 * Source: Wang, Liao, Feng, Xu, Luo, "Do They All Look the Same? Deciphering Chinese, Japanese and Koreans by
 * Fine-Grained Deep Learning" (2016), Table 3 "Attribute Classification Results" (only its attribute table is used
 * here; facetally builds nothing of that paper's subject). Mean of the 40: 87.30 (87.29675).
 *
 * Not a like-for-like comparison: the study trained one network per attribute on CelebA images it cropped itself
 * with OpenCV face boxes, and its test images differ from CelebA's official test split (its authors say its figures
 * are not strictly comparable with LNets+ANet's for that reason), and from the images `facetally eval` scores.
 * Embedded (published figures, 40 numbers) so that a clone without the shared data shows them;
 * `test/eval/published.test.ts` checks them against the transcription in `../shared/docs/study-table3.md`.
 */
export const STUDY_2016_ACCURACY: Readonly<Record<string, number>> = Object.fromEntries(
  [
    91.41, 76.78, 72.82, 79.54, 97.93, 91.80, 67.29, 76.57, 80.25, 92.45, 95.43, 81.31, 89.26, 94.47, 95.33, 98.11, 95.89, 96.54, 85.17, 84.14,
    95.16, 91.02, 96.66, 85.91, 93.07, 69.28, 93.08, 72.25, 91.70, 92.67, 96.11, 89.53, 77.19, 70.32, 84.87, 98.24, 89.75, 85.74, 93.13, 83.70,
  ].map((v, i) => [CELEBA_ATTRIBUTES[i], v]),
);

/** The 2016 study's mean accuracy over the 40 attributes, in percent (its Table 3 "Average": 87.30; see {@link STUDY_2016_ACCURACY}). */
export const STUDY_2016_MEAN_ACCURACY = 87.3;
