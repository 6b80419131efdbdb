/**
 * Recognising image containers by their first bytes (magic numbers), without decoding: a pure module shared by
 * the Node decoder (`decode.ts`, in front of sharp) and the browser decoder (`src/browser/decode.ts`).
 */

/** Container formats recognised by their first bytes. */
export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'heif' | 'avif' | 'bmp';

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/**
 * Which image container the first bytes announce (magic numbers), or null.
 * @example sniffImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])) // 'jpeg'
 */
export function sniffImageFormat(b: Uint8Array): SniffedFormat | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (b.length >= 4 && ['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(0, 4))) return 'tiff';
  if (b.length >= 12 && ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (AVIF_BRANDS.has(brand)) return 'avif';
    if (HEIF_BRANDS.has(brand)) return 'heif';
  }
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return null;
}

/**
 * Why bytes that {@link sniffImageFormat} does not recognise (or that the caller does not accept) are refused,
 * naming SVG, PDF and text specifically. `accepted` lists the formats the caller decodes, for the message,
 * e.g. "JPEG, PNG, WebP, GIF or AVIF". Shared wording for the CLI and the browser.
 */
export function describeUnknownBytes(bytes: Uint8Array, accepted: string): string {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 512));
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (/<svg[\s>]/i.test(head)) return 'unsupported image format "svg" (SVG is refused: rendering it could fetch URLs or read local files)';
  if (text.startsWith('%PDF')) return 'unsupported image format "pdf"';
  const sample = bytes.subarray(0, Math.min(bytes.length, 512));
  const printable = sample.filter((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128).length;
  if (printable === sample.length) {
    const preview = text.slice(0, 24).replace(/\s+/g, ' ').trimEnd();
    return `unsupported format: text, not an image (starts with "${preview}${text.length > 24 ? '…' : ''}")`;
  }
  const hex = Array.from(bytes.subarray(0, 4), (c) => c.toString(16).padStart(2, '0')).join(' ');
  return `unsupported format: not a ${accepted} image (first bytes ${hex})`;
}
