/**
 * The browser decoding seam (src/browser/decode.ts) where it differs from Node's sharp decoder: header sizes read
 * before decoding (pixel limit), truncation checks (Chromium decodes truncated files silently), formats the
 * browser cannot decode, and RGBA → RGB flattening on white. The createImageBitmap/OffscreenCanvas part runs
 * in Chromium in e2e.test.ts.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImageBuffer } from '../../src/image/decode.js';
import { BrowserDecodeError, checkEncodedImage, imageHeaderSize, looksTruncated, rgbaToRgb, rgbToRgba, sniffImageFormat } from '../../src/browser/decode.js';

function noise(w: number, h: number, channels: 3 | 4): Buffer {
  const b = Buffer.alloc(w * h * channels);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7919 + 13) % 251;
  return b;
}

async function encode(format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff', w: number, h: number, opts: Record<string, unknown> = {}): Promise<Uint8Array> {
  const img = sharp(noise(w, h, 3), { raw: { width: w, height: h, channels: 3 } });
  const out = await (img as unknown as Record<string, (o: unknown) => sharp.Sharp>)[format](opts).toBuffer();
  return new Uint8Array(out);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as BrowserDecodeError).code;
  }
  return undefined;
}

describe('header sizes (pixel limit before decoding)', () => {
  for (const [format, opts] of [
    ['png', {}],
    ['jpeg', {}],
    ['jpeg', { progressive: true }],
    ['gif', {}],
    ['webp', {}],
    ['webp', { lossless: true }],
  ] as const) {
    it(`${format} ${JSON.stringify(opts)}: 123x45`, async () => {
      const bytes = await encode(format, 123, 45, opts);
      expect(sniffImageFormat(bytes)).toBe(format);
      expect(imageHeaderSize(bytes, format)).toEqual({ width: 123, height: 45 });
    });
  }

  it('WebP with alpha (VP8X) and a JPEG with EXIF before its frame header', async () => {
    const rgba = sharp(noise(70, 30, 4), { raw: { width: 70, height: 30, channels: 4 } });
    const webp = new Uint8Array(await rgba.webp().toBuffer());
    expect(imageHeaderSize(webp, 'webp')).toEqual({ width: 70, height: 30 });
    const jpeg = new Uint8Array(await sharp(noise(40, 20, 3), { raw: { width: 40, height: 20, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg().toBuffer());
    expect(imageHeaderSize(jpeg, 'jpeg')).toEqual({ width: 40, height: 20 });
  });

  it('a declared size over the limit is refused as too_many_pixels without decoding', async () => {
    const png = await encode('png', 200, 100);
    expect(code(() => checkEncodedImage(png, 'big.png', 19_999))).toBe('too_many_pixels');
    expect(() => checkEncodedImage(png, 'big.png', 19_999)).toThrow(/big\.png: 200x100 = 20000 pixels exceeds the limit of 19999 pixels/);
    expect(checkEncodedImage(png, 'ok.png', 20_000)).toBe('png');
    // A forged IHDR claiming 100000 x 100000 in a tiny file.
    const forged = png.slice();
    new DataView(forged.buffer).setUint32(16, 100_000);
    new DataView(forged.buffer).setUint32(20, 100_000);
    expect(code(() => checkEncodedImage(forged, 'bomb.png'))).toBe('too_many_pixels');
  });
});

describe('refusals with the CLI error codes', () => {
  it('empty, text, SVG, PDF, random bytes', () => {
    expect(code(() => checkEncodedImage(new Uint8Array(0), 'e.jpg'))).toBe('empty_file');
    const enc = new TextEncoder();
    expect(() => checkEncodedImage(enc.encode('hello, this is a note'), 'n.jpg')).toThrow(/n\.jpg: unsupported format: text, not an image/);
    expect(() => checkEncodedImage(enc.encode('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'), 's.svg')).toThrow(/"svg" \(SVG is refused/);
    expect(() => checkEncodedImage(enc.encode('%PDF-1.4 ...'), 'd.pdf')).toThrow(/"pdf"/);
    expect(code(() => checkEncodedImage(new Uint8Array([0, 1, 2, 3, 250, 251]), 'r.bin'))).toBe('unsupported_format');
  });

  it('TIFF, which sharp reads but Chromium cannot, is unsupported_format with a hint', async () => {
    const tiff = await encode('tiff', 10, 10);
    expect(sniffImageFormat(tiff)).toBe('tiff');
    expect(() => checkEncodedImage(tiff, 'scan.tif')).toThrow(/scan\.tif: TIFF images cannot be decoded in the browser/);
  });

  it('truncated JPEG and PNG are corrupt_image, as sharp (failOn: truncated) reports them', async () => {
    for (const format of ['jpeg', 'png'] as const) {
      const full = await encode(format, 64, 64);
      expect(looksTruncated(full, format)).toBe(false);
      const cut = full.subarray(0, Math.floor(full.length * 0.7));
      expect(looksTruncated(cut, format)).toBe(true);
      expect(code(() => checkEncodedImage(cut, `cut.${format}`))).toBe('corrupt_image');
      // Node agrees.
      await expect(decodeImageBuffer(Buffer.from(cut), `cut.${format}`)).rejects.toMatchObject({ code: 'corrupt_image' });
    }
    // Zero padding after the end marker is fine.
    const padded = new Uint8Array([...(await encode('jpeg', 8, 8)), 0, 0, 0]);
    expect(looksTruncated(padded, 'jpeg')).toBe(false);
  });

  it('a header cut short is corrupt_image', async () => {
    const png = await encode('png', 16, 16);
    expect(code(() => checkEncodedImage(png.subarray(0, 20), 'h.png'))).toBe('corrupt_image');
  });
});

describe('RGBA → RGB', () => {
  it('flattens alpha on white exactly like sharp', async () => {
    const w = 16, h = 8;
    const rgba = noise(w, h, 4);
    const mine = rgbaToRgb(new Uint8Array(rgba), w, h);
    const ref = await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer();
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - mine.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('opaque pixels are copied; rgbToRgba inverts it', () => {
    const rgb = { data: new Uint8Array([1, 2, 3, 250, 251, 252]), width: 2, height: 1 };
    const rgba = rgbToRgba(rgb);
    expect([...rgba]).toEqual([1, 2, 3, 255, 250, 251, 252, 255]);
    expect(rgbaToRgb(rgba, 2, 1)).toEqual(rgb);
    expect(() => rgbaToRgb(rgba, 3, 1)).toThrow(RangeError);
  });
});
