import sharp from 'sharp';
import type { RgbImage } from './rgb.js';
import type { ImageOps } from './ops.js';

/**
 * Resize RGB pixels to exactly `width` x `height` with sharp (libvips; `kernel` as sharp's, default 'linear',
 * antialiased when shrinking). The pipeline uses `portableImageOps` (src/image/resample.ts) instead, so that the browser
 * computes the same pixels; this one stays for scripts and comparisons.
 * @throws RangeError for non-positive sizes.
 */
export async function resizeRgb(image: RgbImage, width: number, height: number, kernel: keyof sharp.KernelEnum = 'linear'): Promise<RgbImage> {
  if (!(width > 0 && height > 0)) throw new RangeError(`expected positive size but received ${width}x${height}`);
  if (width === image.width && height === image.height) return image;
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** The Node implementation of the {@link ImageOps} seam, on sharp. */
export const sharpImageOps: ImageOps = { resize: (image, width, height) => resizeRgb(image, width, height) };
