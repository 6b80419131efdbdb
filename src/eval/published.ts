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
 * The 2016 study facetally grows out of reported a mean accuracy of 87.3% over the 40 attributes, "the same as
 * LNets+ANet". Its per-attribute table is not available to this project, so only the mean is shown.
 */
export const STUDY_2016_MEAN_ACCURACY = 87.3;
