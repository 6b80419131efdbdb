import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile, type RgbImage } from '../../src/image/decode.js';
import { describeShared } from '../helpers/shared.js';
import { meanAbsDiff, pixelAt, tempDir } from './fixtures.js';

/** Every odd-but-valid input must come out as 8-bit RGB, 3 bytes a pixel. */
function expectRgb8(img: RgbImage, width: number, height: number): void {
  expect([img.width, img.height]).toEqual([width, height]);
  expect(img.data).toBeInstanceOf(Uint8Array);
  expect(img.data.length).toBe(width * height * 3);
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp?.cleanup());

describeShared('odd but valid formats (from grace_hopper.jpg)', ['data/photos/grace_hopper.jpg'], ([hopper]) => {
  let ref: RgbImage;
  beforeAll(async () => {
    ref = await decodeImageFile(hopper);
    expectRgb8(ref, 512, 512);
  });

  /** Write `bytes`, check what sharp says it is, decode, and compare with the original's pixels. */
  async function roundTrip(name: string, bytes: Buffer, expectMeta: Partial<sharp.Metadata>, maxMad: number): Promise<RgbImage> {
    const path = await tmp.file(name, bytes);
    const meta = await sharp(path).metadata();
    expect(meta, `${name} metadata`).toMatchObject(expectMeta);
    const img = await decodeImageFile(path);
    expectRgb8(img, 512, 512);
    expect(meanAbsDiff(ref.data, img.data), `${name}: mean abs diff to the original`).toBeLessThan(maxMad);
    return img;
  }

  it('grayscale JPEG (1 channel) → R = G = B, equal to the luminance', async () => {
    const bytes = await sharp(hopper).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer();
    const path = await tmp.file('gray.jpg', bytes);
    expect(await sharp(path).metadata()).toMatchObject({ format: 'jpeg', channels: 1, space: 'b-w' });
    const img = await decodeImageFile(path);
    expectRgb8(img, 512, 512);
    for (let i = 0; i < img.data.length; i += 3) {
      if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) throw new Error(`pixel ${i / 3} is not gray`);
    }
    const luma = await sharp(hopper).toColourspace('b-w').raw().toBuffer();
    const red = img.data.filter((_, i) => i % 3 === 0);
    expect(meanAbsDiff(luma, red)).toBeLessThan(1.5);
  });

  it('16-bit PNG → 8-bit, same picture', async () => {
    const bytes = await sharp(hopper).toColourspace('rgb16').png().toBuffer();
    await roundTrip('deep.png', bytes, { format: 'png', depth: 'ushort', channels: 3 }, 0.5);
  });

  it('CMYK JPEG → sRGB, not inverted, close to the original', async () => {
    const bytes = await sharp(hopper).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    // Through a CMYK ICC profile and back: gamut and profile costs a few levels, an inversion would cost ~100.
    await roundTrip('cmyk.jpg', bytes, { format: 'jpeg', space: 'cmyk', channels: 4 }, 12);
  });

  it('palette PNG → RGB', async () => {
    const bytes = await sharp(hopper).png({ palette: true }).toBuffer();
    await roundTrip('palette.png', bytes, { format: 'png', channels: 3, isPalette: true }, 4);
  });

  it('WebP', async () => {
    await roundTrip('photo.webp', await sharp(hopper).webp({ quality: 95 }).toBuffer(), { format: 'webp' }, 2.5);
  });

  it('TIFF (deflate) and 16-bit TIFF', async () => {
    await roundTrip('photo.tiff', await sharp(hopper).tiff({ compression: 'deflate' }).toBuffer(), { format: 'tiff' }, 0.5);
    const deep = await sharp(hopper).toColourspace('rgb16').tiff({ compression: 'lzw' }).toBuffer();
    await roundTrip('deep.tiff', deep, { format: 'tiff', depth: 'ushort' }, 0.5);
  });

  it('AVIF (HEIF container)', async () => {
    await roundTrip('photo.avif', await sharp(hopper).avif({ quality: 80, effort: 0 }).toBuffer(), { format: 'heif', compression: 'av1' }, 4);
  });
});

describe('alpha, palette and animation (synthetic pixels)', () => {
  it('RGBA PNG flattens on white: transparent → 255,255,255; half-transparent red → pink', async () => {
    // Row 0: transparent black; row 1: opaque red; row 2: red at alpha 128; row 3: opaque blue.
    const px = Buffer.alloc(4 * 4 * 4);
    const rows: [number, number, number, number][] = [
      [0, 0, 0, 0],
      [255, 0, 0, 255],
      [255, 0, 0, 128],
      [0, 0, 255, 255],
    ];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) px.set(rows[y], (y * 4 + x) * 4);
    const path = await tmp.file('alpha.png', await sharp(px, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer());
    expect(await sharp(path).metadata()).toMatchObject({ channels: 4, hasAlpha: true });
    const img = await decodeImageFile(path);
    expectRgb8(img, 4, 4);
    expect(pixelAt(img, 2, 0)).toEqual([255, 255, 255]);
    expect(pixelAt(img, 2, 1)).toEqual([255, 0, 0]);
    const [r, g, b] = pixelAt(img, 2, 2);
    expect(r).toBe(255);
    expect(Math.abs(g - 127)).toBeLessThanOrEqual(2);
    expect(Math.abs(b - 127)).toBeLessThanOrEqual(2);
    expect(pixelAt(img, 2, 3)).toEqual([0, 0, 255]);
  });

  it('grayscale + alpha PNG (2 channels) → gray on white', async () => {
    const px = Buffer.alloc(4 * 4 * 2);
    for (let i = 0; i < 16; i++) px.set([100, i < 8 ? 0 : 255], i * 2); // top half transparent
    const bytes = await sharp(px, { raw: { width: 4, height: 4, channels: 2 } }).toColourspace('b-w').png().toBuffer();
    const path = await tmp.file('gray-alpha.png', bytes);
    expect(await sharp(path).metadata()).toMatchObject({ channels: 2, space: 'b-w', hasAlpha: true });
    const img = await decodeImageFile(path);
    expectRgb8(img, 4, 4);
    expect(pixelAt(img, 1, 0)).toEqual([255, 255, 255]);
    expect(pixelAt(img, 1, 3)).toEqual([100, 100, 100]);
  });

  it('palette PNG with a transparent entry → white there', async () => {
    const px = Buffer.alloc(4 * 4 * 4);
    for (let i = 0; i < 16; i++) px.set(i % 2 ? [0, 200, 0, 255] : [0, 0, 0, 0], i * 4);
    const bytes = await sharp(px, { raw: { width: 4, height: 4, channels: 4 } }).png({ palette: true }).toBuffer();
    const path = await tmp.file('palette-alpha.png', bytes);
    expect((await sharp(path).metadata()).isPalette).toBe(true);
    const img = await decodeImageFile(path);
    expectRgb8(img, 4, 4);
    expect(pixelAt(img, 0, 0)).toEqual([255, 255, 255]);
    expect(pixelAt(img, 1, 0)).toEqual([0, 200, 0]);
  });

  it('animated GIF → the first frame only (red, not the blue second frame)', async () => {
    const frame = (colour: string) => sharp({ create: { width: 8, height: 6, channels: 3, background: colour } }).png().toBuffer();
    const bytes = await sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } }).gif().toBuffer();
    const path = await tmp.file('anim.gif', bytes);
    const meta = await sharp(path).metadata();
    expect(meta).toMatchObject({ format: 'gif', pages: 2, width: 8, height: 6 });
    const img = await decodeImageFile(path);
    expectRgb8(img, 8, 6);
    for (const [x, y] of [[0, 0], [7, 5], [4, 3]]) expect(pixelAt(img, x, y)).toEqual([255, 0, 0]);
  });
});
