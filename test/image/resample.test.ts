/**
 * The portable resampler (src/image/resample.ts) that both the CLI and the browser use for the detector's pyramid:
 * byte-exact against Pillow 9.4 (Debian python3-pil) `Image.resize(size, Image.BILINEAR)` where no halving is
 * involved, hand-computed box means where it is, and the same bytes on every call.
 *
 * Reference values were printed by:
 *   from PIL import Image
 *   data = bytes(((x*37 + y*11 + c*71) * 13) % 256 for y in range(7) for x in range(9) for c in range(3))
 *   im = Image.frombytes('RGB', (9, 7), data)
 *   list(im.resize((5, 4), Image.BILINEAR).tobytes()); list(im.resize((13, 10), Image.BILINEAR).tobytes())
 */
import { describe, expect, it } from 'vitest';
import { portableImageOps, resampleRgb } from '../../src/image/resample.js';
import type { RgbImage } from '../../src/image/rgb.js';

/** The 9x7 test image above (values wrap mod 256, so every pixel differs from its neighbours). */
function pattern(): RgbImage {
  const w = 9, h = 7;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = ((x * 37 + y * 11 + c * 71) * 13) % 256;
  return { data, width: w, height: h };
}

const PIL_5x4 = [118, 98, 109, 143, 131, 163, 111, 94, 139, 137, 136, 102, 89, 134, 135, 141, 111, 129, 160, 123, 122, 114, 124, 156, 144, 157, 107, 119, 151, 133, 112, 134, 131, 162, 109, 108, 129, 139, 152, 130, 118, 125, 142, 168, 113, 120, 164, 118, 123, 116, 125, 159, 142, 108, 122, 112, 155, 155, 140, 107];
/** The first 4 rows (13 pixels each) of Pillow's 13x10 upscale. */
const PIL_13x10_ROWS_0_3 = [0, 155, 54, 121, 138, 37, 218, 117, 75, 196, 95, 231, 175, 74, 229, 153, 52, 207, 132, 31, 186, 111, 10, 165, 89, 87, 143, 68, 223, 122, 46, 201, 100, 25, 180, 79, 8, 163, 62, 79, 93, 133, 124, 76, 116, 156, 87, 121, 134, 163, 179, 113, 153, 167, 91, 131, 145, 70, 110, 124, 146, 89, 103, 168, 111, 81, 147, 161, 70, 125, 139, 146, 104, 118, 158, 87, 101, 141, 115, 78, 169, 132, 61, 152, 141, 84, 131, 119, 196, 109, 98, 189, 127, 76, 167, 130, 55, 146, 109, 167, 125, 88, 204, 128, 66, 183, 146, 59, 161, 124, 171, 140, 103, 194, 123, 86, 177, 36, 178, 90, 150, 161, 73, 241, 143, 52, 219, 130, 30, 198, 110, 158, 176, 88, 230, 155, 67, 209, 143, 46, 188, 125, 118, 166, 104, 246, 146, 82, 224, 133, 61, 203, 115, 44, 186, 98];

describe('resampleRgb', () => {
  it('shrinking by less than 2 (9x7 -> 5x4) gives Pillow BILINEAR bytes exactly', () => {
    const out = resampleRgb(pattern(), 5, 4);
    expect([out.width, out.height]).toEqual([5, 4]);
    expect([...out.data]).toEqual(PIL_5x4);
  });

  it('upscaling (9x7 -> 13x10) gives Pillow BILINEAR bytes exactly', () => {
    const out = resampleRgb(pattern(), 13, 10);
    expect([...out.data.subarray(0, PIL_13x10_ROWS_0_3.length)]).toEqual(PIL_13x10_ROWS_0_3);
  });

  it('shrinking by 4 averages 4x4 blocks through two 2x2 halvings (hand-computed)', () => {
    // 8x8 grey image whose value is 16 * (x + y * 8) mod 256, one channel repeated three times.
    const data = new Uint8Array(8 * 8 * 3);
    for (let i = 0; i < 64; i++) data.fill((i * 16) % 256, 3 * i, 3 * i + 3);
    const out = resampleRgb({ data, width: 8, height: 8 }, 2, 2);
    // Top-left block: rows 0..3, columns 0..3. First halving, pixel (0,0): (0 + 16 + 128 + 144 + 2) >> 2 = 72;
    // (1,0): (32 + 48 + 160 + 176 + 2) >> 2 = 104; (0,1): rows 2,3 wrap mod 256: (0 + 16 + 128 + 144 + 2) >> 2 = 72
    // (row 2 is 256..368 mod 256 = 0..112); (1,1) = 104. Second halving: (72 + 104 + 72 + 104 + 2) >> 2 = 88.
    expect(out.data[0]).toBe(88);
    // Top-right block, columns 4..7: first halving (2,0): (64 + 80 + 192 + 208 + 2) >> 2 = 136; (3,0): (96 + 112 + 224 + 240 + 2) >> 2 = 168;
    // rows 2,3 the same mod 256: 136, 168. Second halving: (136 + 168 + 136 + 168 + 2) >> 2 = 152.
    expect(out.data[3]).toBe(152);
    expect([...out.data.subarray(0, 3)]).toEqual([88, 88, 88]);
  });

  it('returns the same bytes every time (the halvings are cached per image, not recomputed differently)', async () => {
    const img = pattern();
    const big: RgbImage = resampleRgb(img, 64, 48);
    const a = await portableImageOps.resize(big, 10, 7);
    const b = await portableImageOps.resize(big, 10, 7);
    expect(b.data).toEqual(a.data);
    expect(resampleRgb(big, 64, 48)).toBe(big);
    expect(() => resampleRgb(img, 0, 3)).toThrow(RangeError);
    expect(() => resampleRgb(img, 2.5, 3)).toThrow(RangeError);
  });
});
