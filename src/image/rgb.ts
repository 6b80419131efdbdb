/**
 * Platform-neutral image types, shared by the Node pipeline (sharp decoding, `src/image/decode.ts`) and the browser
 * pipeline (`src/browser/`). This module imports nothing: detect/, align/, attributes/ and the browser entry
 * depend on it without pulling in sharp or any Node built-in.
 */

/**
 * 8-bit sRGB pixels, 3 channels interleaved (RGBRGB…), row-major, top row first.
 * `data.length === width * height * 3`. Orientation is already applied (EXIF), alpha is flattened on white.
 */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Stable error codes for photos that cannot be read, the same in Node and in the browser. Each error record
 * carries one of these.
 * - `not_found`: the path does not exist.
 * - `not_a_file`: the path is a directory or other non-regular file.
 * - `permission_denied`: the file cannot be opened for reading.
 * - `empty_file`: zero bytes.
 * - `unsupported_format`: the bytes are not an image format we decode (includes text named .jpg, SVG, PDF).
 * - `too_many_pixels`: the declared size exceeds the pixel limit (decompression-bomb guard).
 * - `corrupt_image`: the format is recognised (by its magic number) but the data is damaged (e.g. a truncated
 *   JPEG, a header cut short).
 */
export type DecodeErrorCode =
  | 'not_found'
  | 'not_a_file'
  | 'permission_denied'
  | 'empty_file'
  | 'unsupported_format'
  | 'too_many_pixels'
  | 'corrupt_image';

/** Default refusal limit for decoded images, in Node and in the browser: 100 megapixels (width x height). */
export const DEFAULT_MAX_PIXELS = 100_000_000;
