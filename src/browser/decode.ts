/**
 * The browser side of the image-decoding seam: a dropped `File` → 8-bit sRGB RGB pixels ({@link RgbImage}),
 * with the same contract and error codes as the Node decoder (`src/image/decode.ts`, sharp):
 * EXIF orientation applied, alpha flattened on white, pixel limit checked before decoding, SVG refused.
 *
 * Where it differs from Node (and why the pure helpers here have their own tests):
 * - The browser decodes with `createImageBitmap(blob, {imageOrientation: 'from-image'})`, which cannot report
 *   the image size before decoding, so {@link imageHeaderSize} reads it from the header (PNG, JPEG, GIF, WebP)
 *   to refuse decompression bombs without decoding them.
 * - Chromium silently decodes a truncated JPEG/PNG (grey lower part); sharp (`failOn: 'truncated'`) refuses it.
 *   {@link looksTruncated} checks the end marker so both report `corrupt_image`.
 * - TIFF and HEIC, which sharp reads, are not decodable by Chromium: `unsupported_format` with a hint to use the CLI.
 * - Canvas pixels come as RGBA; {@link rgbaToRgb} flattens alpha on white like sharp's `flatten({background: white})`.
 *
 * This module must stay free of Node-only imports (sharp, fs): it is bundled for the browser.
 */

import type { DecodeErrorCode, RgbImage } from '../image/rgb.js';
import { describeUnknownBytes, sniffImageFormat, type SniffedFormat } from '../image/sniff.js';

export { sniffImageFormat, type SniffedFormat } from '../image/sniff.js';

export type { RgbImage } from '../image/rgb.js';

/** Default refusal limit, the same as the CLI's: 100 megapixels (width x height). */
export const BROWSER_DEFAULT_MAX_PIXELS = 100_000_000;

/** A photo that could not be decoded in the browser; `code` is one of the Node decoder's codes. */
export class BrowserDecodeError extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Formats that Chromium's `createImageBitmap` decodes and that the CLI accepts too. */
const BROWSER_DECODABLE = new Set<SniffedFormat>(['jpeg', 'png', 'gif', 'webp', 'avif']);


/**
 * Width and height declared in the header of a PNG, JPEG (first SOF marker), GIF or WebP (VP8, VP8L, VP8X),
 * without decoding pixels. EXIF orientation is not applied (the product, which the pixel limit checks, is the same).
 * @returns null when the format has no parser here (AVIF) or the header is cut short or malformed.
 */
export function imageHeaderSize(b: Uint8Array, format: SniffedFormat): { width: number; height: number } | null {
  const u16be = (i: number) => (b[i] << 8) | b[i + 1];
  const u16le = (i: number) => b[i] | (b[i + 1] << 8);
  const u24le = (i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
  const u32be = (i: number) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
  const ok = (w: number, h: number) => (w > 0 && h > 0 ? { width: w, height: h } : null);
  switch (format) {
    case 'png':
      // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
      if (b.length < 24 || String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR') return null;
      return ok(u32be(16), u32be(20));
    case 'gif':
      if (b.length < 10) return null;
      return ok(u16le(6), u16le(8));
    case 'webp': {
      if (b.length < 30) return null;
      const chunk = String.fromCharCode(...b.subarray(12, 16));
      if (chunk === 'VP8 ') {
        if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
        return ok(u16le(26) & 0x3fff, u16le(28) & 0x3fff);
      }
      if (chunk === 'VP8L') {
        if (b[20] !== 0x2f) return null;
        const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
        return ok((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
      }
      if (chunk === 'VP8X') return ok(u24le(24) + 1, u24le(27) + 1);
      return null;
    }
    case 'jpeg': {
      let i = 2;
      while (i + 4 <= b.length) {
        if (b[i] !== 0xff) return null;
        const marker = b[i + 1];
        if (marker === 0xff) {
          i++; // fill byte
          continue;
        }
        if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
          i += 2;
          continue;
        }
        if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan before any frame header
        const len = u16be(i + 2);
        if (len < 2) return null;
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          if (i + 9 > b.length) return null;
          return ok(u16be(i + 7), u16be(i + 5));
        }
        i += 2 + len;
      }
      return null;
    }
    default:
      return null;
  }
}

/**
 * True when a JPEG or PNG file lacks its end marker (EOI `FF D9`; the `IEND` chunk), i.e. the file was cut short.
 * Trailing zero padding after the marker is tolerated. Other formats: false.
 */
export function looksTruncated(b: Uint8Array, format: SniffedFormat): boolean {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x00 || b[end - 1] === 0x0a || b[end - 1] === 0x0d || b[end - 1] === 0x20)) end--;
  if (format === 'jpeg') {
    // Some cameras append data after EOI; look for it in the last 64 KiB.
    for (let i = end - 2; i >= Math.max(2, end - 65536); i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return false;
    return true;
  }
  if (format === 'png') {
    for (let i = end - 8; i >= Math.max(8, end - 65536); i--) {
      if (b[i] === 0x49 && b[i + 1] === 0x45 && b[i + 2] === 0x4e && b[i + 3] === 0x44) return false; // "IEND"
    }
    return true;
  }
  return false;
}

/**
 * RGBA pixels (as from `getImageData`, not premultiplied) → RGB with alpha flattened on white:
 * `c' = round((c * a + 255 * (255 - a)) / 255)`, like sharp's `flatten({background: '#ffffff'})`.
 * @throws RangeError when `rgba.length !== width * height * 4`.
 */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4) throw new RangeError(`expected ${n * 4} RGBA bytes for ${width}x${height} but received ${rgba.length}`);
  const data = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
    const a = rgba[i + 3];
    if (a === 255) {
      data[j] = rgba[i];
      data[j + 1] = rgba[i + 1];
      data[j + 2] = rgba[i + 2];
    } else {
      const w = 255 * (255 - a);
      data[j] = Math.round((rgba[i] * a + w) / 255);
      data[j + 1] = Math.round((rgba[i + 1] * a + w) / 255);
      data[j + 2] = Math.round((rgba[i + 2] * a + w) / 255);
    }
  }
  return { data, width, height };
}

/** RGB → RGBA with alpha 255, for `putImageData`. */
export function rgbToRgba(image: RgbImage): Uint8ClampedArray {
  const n = image.width * image.height;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0, j = 0; j < n * 3; i += 4, j += 3) {
    out[i] = image.data[j];
    out[i + 1] = image.data[j + 1];
    out[i + 2] = image.data[j + 2];
    out[i + 3] = 255;
  }
  return out;
}


/**
 * Check encoded bytes before decoding: empty, unknown/refused format, undecodable in the browser, header size
 * over the pixel limit, truncated. Pure, so it is tested in Node.
 * @returns the format.
 * @throws BrowserDecodeError with the CLI's codes (`empty_file`, `unsupported_format`, `too_many_pixels`, `corrupt_image`).
 */
export function checkEncodedImage(bytes: Uint8Array, name: string, maxPixels = BROWSER_DEFAULT_MAX_PIXELS): SniffedFormat {
  if (!(Number.isFinite(maxPixels) && maxPixels > 0)) throw new RangeError(`expected a positive number for maxPixels but received ${maxPixels}`);
  if (bytes.length === 0) throw new BrowserDecodeError('empty_file', `${name}: empty file (0 bytes)`);
  const format = sniffImageFormat(bytes);
  if (!format) throw new BrowserDecodeError('unsupported_format', `${name}: ${describeUnknownBytes(bytes, 'JPEG, PNG, WebP, GIF or AVIF')}`);
  if (!BROWSER_DECODABLE.has(format)) {
    throw new BrowserDecodeError('unsupported_format', `${name}: ${format.toUpperCase()} images cannot be decoded in the browser (use \`facetally tag\` on the command line, or convert to JPEG/PNG)`);
  }
  const size = imageHeaderSize(bytes, format);
  if (!size && format !== 'avif') throw new BrowserDecodeError('corrupt_image', `${name}: damaged ${format} data, header unreadable`);
  if (size && size.width * size.height > maxPixels) {
    const px = size.width * size.height;
    throw new BrowserDecodeError('too_many_pixels', `${name}: ${size.width}x${size.height} = ${formatPixels(px)} exceeds the limit of ${formatPixels(maxPixels)}`);
  }
  if (looksTruncated(bytes, format)) throw new BrowserDecodeError('corrupt_image', `${name}: damaged ${format} data (file is truncated)`);
  return format;
}

function formatPixels(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} megapixels` : `${Math.round(n)} pixels`;
}

/**
 * Decode a photo in the browser (main thread or worker): checks ({@link checkEncodedImage}), then
 * `createImageBitmap(blob, {imageOrientation: 'from-image'})` (EXIF orientation, colour converted to sRGB),
 * drawn on an OffscreenCanvas, read back and flattened on white.
 * @param name used in every error message (the photo's path as the user sees it).
 * @throws BrowserDecodeError (see {@link checkEncodedImage}; `corrupt_image` when the browser cannot decode it).
 */
export async function decodeImageBlob(blob: Blob, name: string, maxPixels = BROWSER_DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await blob.arrayBuffer());
  } catch (err) {
    throw new BrowserDecodeError('permission_denied', `${name}: cannot read the file (${(err as Error).message})`);
  }
  const format = checkEncodedImage(bytes, name, maxPixels);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'default' });
  } catch (err) {
    throw new BrowserDecodeError('corrupt_image', `${name}: damaged ${format} data (the browser cannot decode it: ${(err as Error).message || 'unknown error'})`);
  }
  try {
    const { width, height } = bitmap;
    if (width * height > maxPixels) throw new BrowserDecodeError('too_many_pixels', `${name}: ${width}x${height} = ${formatPixels(width * height)} exceeds the limit of ${formatPixels(maxPixels)}`);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new BrowserDecodeError('corrupt_image', `${name}: no 2D canvas available to decode ${width}x${height} pixels`);
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    return rgbaToRgb(rgba, width, height);
  } finally {
    bitmap.close();
  }
}
