/**
 * Canvas helpers for the browser: RGB pixels on an OffscreenCanvas, and an {@link ImageOps} that resamples with the
 * canvas (`imageSmoothingQuality = 'high'`). The pipeline no longer uses {@link canvasImageOps}: the canvas resamples
 * differently from Node, which moved keypoints by up to 2.9 px and probabilities by up to 0.17 against the CLI, so
 * both sides now use `portableImageOps` (src/image/resample.ts). Kept for pages that want the canvas's speed for
 * display work. Works on the main thread and in workers.
 */

import type { ImageOps } from '../image/ops.js';
import { rgbaToRgb, rgbToRgba, type RgbImage } from './decode.js';

/** Put RGB pixels on a new OffscreenCanvas. */
export function rgbToCanvas(image: RgbImage): OffscreenCanvas {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context available');
  ctx.putImageData(new ImageData(rgbToRgba(image) as Uint8ClampedArray<ArrayBuffer>, image.width, image.height), 0, 0);
  return canvas;
}

/**
 * Resize RGB pixels to exactly `width` x `height` with the canvas's high-quality smoothing.
 * @throws RangeError for non-positive sizes.
 */
export async function canvasResize(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (!(width > 0 && height > 0)) throw new RangeError(`expected positive size but received ${width}x${height}`);
  if (width === image.width && height === image.height) return image;
  const src = rgbToCanvas(image);
  const dst = new OffscreenCanvas(width, height);
  const ctx = dst.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas context available');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(src, 0, 0, image.width, image.height, 0, 0, width, height);
  return rgbaToRgb(ctx.getImageData(0, 0, width, height).data, width, height);
}

/** {@link ImageOps} for the browser (OffscreenCanvas). */
export const canvasImageOps: ImageOps = { resize: canvasResize };
