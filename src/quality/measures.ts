import type { RgbImage } from '../image/rgb.js';
import type { Point } from '../types.js';

/**
 * Image-quality measures of one face (the detector's score is the face's own `score`, in [0, 1]).
 *
 * Brightness, contrast, clipped share and sharpness are measured on the aligned 178x218 crop (the attribute
 * model's input, see `src/align`), inside the {@link QUALITY_REGION} that holds the eyes, nose and mouth in every
 * crop. Because that crop has the same size whatever the photo's size, none of them depends on the photo's
 * size; a small face is upsampled into the crop, which is exactly the loss of detail that `sharpness` sees.
 * Gray is BT.601 luma `(0.299 R + 0.587 G + 0.114 B) / 255`.
 */
export interface FaceQuality {
  /** Inter-ocular distance (between the two eye keypoints) in pixels of the source photo, >= 0. */
  eye_distance: number;
  /**
   * Variance of the Laplacian of the gray crop divided by the variance of the gray crop (both over the region),
   * dimensionless, in [0, 64] (the 4-neighbour Laplacian's largest gain is 8). Normalising by the intensity
   * variance makes it independent of contrast and exposure; it falls when the face is blurred or small.
   * Pech-Pacheco et al., "Diatom autofocusing in brightfield microscopy", ICPR 2000 (variance of the Laplacian).
   * 0 for a flat region.
   */
  sharpness: number;
  /** Mean gray level over the region, in [0, 1]. */
  brightness: number;
  /** Standard deviation of the gray level over the region (RMS contrast), in [0, 0.5]. */
  contrast: number;
  /** Share of region pixels whose gray level is <= 2/255 or >= 253/255 (clipped shadows or highlights), in [0, 1]. */
  clipped: number;
}

/**
 * The window of the 178x218 aligned crop over which quality is measured: from half an inter-ocular distance
 * outside each eye to about 0.4 of it below the mouth, 0.6 of it above the eyes (template eyes at (69, 113) and
 * (109, 113), mouth at (89, 157)). Half-open pixel ranges.
 */
export const QUALITY_REGION = { x0: 49, x1: 129, y0: 89, y1: 173 } as const;

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * Measure a face's quality (see {@link FaceQuality}). Rounded: eye distance to 0.01 px, the rest to 1e-4.
 * @param crop the face's aligned crop (at least {@link QUALITY_REGION}'s extent, normally 178x218).
 * @param landmarks the six keypoints in photo pixels (the first two are the eyes).
 * @throws RangeError when the crop is smaller than the region.
 */
export function measureFaceQuality(crop: RgbImage, landmarks: readonly Point[]): FaceQuality {
  const { x0, x1, y0, y1 } = QUALITY_REGION;
  if (crop.width < x1 + 1 || crop.height < y1 + 1) {
    throw new RangeError(`expected an aligned crop of at least ${x1 + 1}x${y1 + 1} but received ${crop.width}x${crop.height}`);
  }
  const W = crop.width;
  const d = crop.data;
  // Gray over the region plus a one-pixel border (for the Laplacian).
  const gw = x1 - x0 + 2;
  const gh = y1 - y0 + 2;
  const gray = new Float64Array(gw * gh);
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const i = ((y0 - 1 + y) * W + (x0 - 1 + x)) * 3;
      gray[y * gw + x] = (0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]) / 255;
    }
  }
  let n = 0, sum = 0, sum2 = 0, lsum = 0, lsum2 = 0, clipped = 0;
  for (let y = 1; y < gh - 1; y++) {
    for (let x = 1; x < gw - 1; x++) {
      const k = y * gw + x;
      const v = gray[k];
      const lap = gray[k - 1] + gray[k + 1] + gray[k - gw] + gray[k + gw] - 4 * v;
      n++;
      sum += v;
      sum2 += v * v;
      lsum += lap;
      lsum2 += lap * lap;
      if (v <= 2 / 255 + 1e-9 || v >= 253 / 255 - 1e-9) clipped++;
    }
  }
  const mean = sum / n;
  const variance = Math.max(0, sum2 / n - mean * mean);
  const lapVariance = Math.max(0, lsum2 / n - (lsum / n) ** 2);
  const [re, le] = landmarks;
  return {
    eye_distance: Math.round(Math.hypot(le[0] - re[0], le[1] - re[1]) * 100) / 100,
    sharpness: variance > 1e-12 ? r4(lapVariance / variance) : 0,
    brightness: r4(mean),
    contrast: r4(Math.sqrt(variance)),
    clipped: r4(clipped / n),
  };
}
