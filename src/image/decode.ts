import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { describeUnknownBytes, sniffImageFormat } from './sniff.js';
import { DEFAULT_MAX_PIXELS, type DecodeErrorCode, type RgbImage } from './rgb.js';

export { DEFAULT_MAX_PIXELS, type DecodeErrorCode, type RgbImage } from './rgb.js';

/** Options for {@link decodeImage}. */
export interface DecodeOptions {
  /** Refuse images whose width x height exceeds this many pixels, before decoding the pixels. Default 100 megapixels. */
  maxPixels?: number;
}

/** A photo that could not be decoded; `message` names the file and the reason. */
export class DecodeError extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Formats sharp reads that we accept. SVG is refused: rendering it could fetch URLs or read local files; it is
 * stopped by {@link sniffImageFormat} before sharp parses anything.
 */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'heif', 'avif']);

/**
 * Read and decode one photo into 8-bit sRGB RGB pixels with sharp: applies EXIF orientation,
 * converts any colour space (grayscale, CMYK, 16-bit) to 8-bit sRGB, flattens alpha on white,
 * takes the first frame of animated images.
 *
 * @param readPath file path to read.
 * @param path the name used in every error message (default: `readPath`).
 * @throws DecodeError with a stable `code` (see {@link DecodeErrorCode}) naming the file and the reason.
 */
export async function decodeImageFile(readPath: string, options: DecodeOptions = {}, path: string = readPath): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    const st = await stat(readPath);
    if (!st.isFile()) throw new DecodeError('not_a_file', `${path}: not a regular file`);
    bytes = await readFile(readPath);
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DecodeError('not_found', `${path}: no such file`);
    if (code === 'EACCES' || code === 'EPERM') throw new DecodeError('permission_denied', `${path}: permission denied`);
    if (code === 'EISDIR') throw new DecodeError('not_a_file', `${path}: is a directory`);
    if (code === 'ELOOP') throw new DecodeError('not_found', `${path}: too many levels of symbolic links`);
    throw new DecodeError('not_found', `${path}: cannot read (${(err as Error).message})`);
  }
  return decodeImageBuffer(bytes, path, options);
}

/**
 * Decode an in-memory encoded image (JPEG, PNG, WebP, TIFF, GIF, HEIF/AVIF where sharp has them). Bytes that do not
 * start with one of those formats' magic numbers (SVG, PDF, text, …) are refused before sharp parses them.
 * @param name used in error messages (usually the file path).
 * @throws DecodeError as {@link decodeImageFile}.
 */
export async function decodeImageBuffer(bytes: Buffer, name: string, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isFinite(maxPixels) || maxPixels <= 0) {
    throw new RangeError(`expected a positive number for maxPixels but received ${maxPixels}`);
  }
  if (bytes.length === 0) throw new DecodeError('empty_file', `${name}: empty file (0 bytes)`);
  // Only bytes that start like an accepted format reach sharp: SVG/XML, PDF, text and anything else are
  // refused here, so no other parser (librsvg, which can follow hrefs) ever sees them.
  const sniffed = sniffImageFormat(bytes);
  if (!sniffed || sniffed === 'bmp') {
    throw new DecodeError('unsupported_format', `${name}: ${describeUnknownBytes(bytes, 'JPEG, PNG, WebP, TIFF, GIF or HEIF/AVIF')}`);
  }
  let meta: sharp.Metadata;
  try {
    // Header only. limitInputPixels: false so that a huge declared size reaches our own check below
    // (and is reported as too_many_pixels) instead of failing inside sharp with a generic error.
    meta = await sharp(bytes, { failOn: 'none', limitInputPixels: false }).metadata();
  } catch (err) {
    const msg = shortMessage(err);
    if (/pixel limit/i.test(msg)) throw new DecodeError('too_many_pixels', `${name}: ${msg}`);
    // The magic number matched, so this is a damaged file of a known format (e.g. cut inside its header).
    // sharp appends libvips's error buffer after "corrupt header:", which is filled by whichever thread failed
    // last: the same file gave "…: VipsJpeg: premature end of JPEG image" in one run and nothing in another. The
    // record keeps the deterministic part only, so that the same photo always gets the same record.
    const reason = msg.replace(/(corrupt header):.*$/i, '$1');
    throw new DecodeError('corrupt_image', `${name}: damaged ${sniffed} data, header unreadable (${reason})`);
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
    throw new DecodeError('unsupported_format', `${name}: unsupported image format "${meta.format ?? 'unknown'}"`);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w * h > maxPixels) {
    throw new DecodeError(
      'too_many_pixels',
      `${name}: ${w}x${h} = ${formatPixels(w * h)} exceeds the limit of ${formatPixels(maxPixels)}`,
    );
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: Math.max(1, Math.floor(maxPixels)), pages: 1 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (err) {
    const msg = shortMessage(err);
    if (/pixel limit/i.test(msg)) throw new DecodeError('too_many_pixels', `${name}: ${msg}`);
    throw new DecodeError('corrupt_image', `${name}: damaged ${meta.format} data (${msg})`);
  }
}

/** "2500.0 megapixels" for large counts, "10000 pixels" below a megapixel (so small limits stay readable). */
function formatPixels(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} megapixels` : `${Math.round(n)} pixels`;
}

function shortMessage(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0].trim();
}

