import type { RgbImage } from './rgb.js';

/**
 * The image-resampling seam: detection and attribute code resize pixels only through this interface, so the
 * same code runs in Node (sharp, `src/image/ops-node.ts`) and in the browser (canvas).
 */
export interface ImageOps {
  /** Resize to exactly `width` x `height` (antialiased when shrinking). @throws RangeError for non-positive sizes. */
  resize(image: RgbImage, width: number, height: number): Promise<RgbImage>;
}

/**
 * Copy the `width` x `height` window at (`left`, `top`) out of an image (integer pixels, fully inside).
 * @throws RangeError when the window is not inside the image.
 */
export function cropRgb(image: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (!(left >= 0 && top >= 0 && width > 0 && height > 0 && left + width <= image.width && top + height <= image.height)) {
    throw new RangeError(`expected a window inside the ${image.width}x${image.height} image but received ${width}x${height} at (${left}, ${top})`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(src, src + width * 3), y * width * 3);
  }
  return { data, width, height };
}
