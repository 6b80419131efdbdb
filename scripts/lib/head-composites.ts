/**
 * Synthetic group pictures for the int8 BlazeFace scripts (scripts/blazeface-calibrate.ts, scripts/blazeface-int8-compare.ts):
 * CelebA-HQ heads (128x128 JPEGs in ../shared/data/celeba-hq/images) of one official split pasted at known sizes and
 * positions, some dimmed or brightened, on a background made from another photo of the same split, enlarged and
 * blurred (real-looking colours and gradients, no face). Deterministic for a seed. Never the test split (it is not in
 * the shared folder) nor the shared sample photos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../src/image/rgb.js';

/** One pasted head: its square in picture pixels. */
export interface PastedHead {
  x: number;
  y: number;
  size: number;
}

/** A synthetic picture and the heads in it. */
export interface Composite {
  image: RgbImage;
  heads: PastedHead[];
}

/** The scripts' seeded generator (mulberry32), re-exported for the callers of this module. */
export { rng } from './rng.js';

/**
 * Paths of the CelebA-HQ photos of one official split (0 = train, 1 = validation) with index >= `minIndex`
 * (scripts/bench.ts takes its heads from the lowest indices; 10000 and up keeps these apart from them).
 */
export function hqSplit(shared: string, split: 0 | 1, minIndex = 10000): string[] {
  const dir = join(shared, 'data', 'celeba-hq');
  const lines = readFileSync(join(dir, 'list_eval_partition.txt'), 'utf8').trim().split('\n');
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter(([f, s]) => Number(s) === split && parseInt(f) >= minIndex)
    .map(([f]) => join(dir, 'images', f));
}

/**
 * One composite picture of `width` x `height`: `faces` heads with sides drawn log-uniformly in [minSide, maxSide],
 * placed at random without overlapping (a head that finds no free place after 50 tries is left out).
 */
export async function composite(
  heads: string[],
  rand: () => number,
  width: number,
  height: number,
  faces: number,
  minSide: number,
  maxSide: number,
): Promise<Composite> {
  const pick = () => heads[Math.floor(rand() * heads.length)];
  const bg = await sharp(pick())
    .resize(width, height, { fit: 'cover' })
    .blur(4 + rand() * 12)
    .modulate({ brightness: 0.6 + rand() * 0.7 })
    .removeAlpha()
    .raw()
    .toBuffer();
  const placed: PastedHead[] = [];
  const overlays: sharp.OverlayOptions[] = [];
  for (let f = 0; f < faces; f++) {
    const size = Math.round(Math.exp(Math.log(minSide) + rand() * (Math.log(maxSide) - Math.log(minSide))));
    if (size > width || size > height) continue;
    for (let attempt = 0; attempt < 50; attempt++) {
      const x = Math.floor(rand() * (width - size + 1)), y = Math.floor(rand() * (height - size + 1));
      if (placed.some((p) => x < p.x + p.size && p.x < x + size && y < p.y + p.size && p.y < y + size)) continue;
      const input = await sharp(pick()).resize(size, size, { kernel: 'lanczos3' }).modulate({ brightness: 0.7 + rand() * 0.6 }).toBuffer();
      overlays.push({ input, left: x, top: y });
      placed.push({ x, y, size });
      break;
    }
  }
  const { data, info } = await sharp(bg, { raw: { width, height, channels: 3 } })
    .composite(overlays)
    .jpeg({ quality: 85 })
    .toBuffer()
    .then((jpg) => sharp(jpg).raw().toBuffer({ resolveWithObject: true }));
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }, heads: placed };
}

/** NHWC float32 model input in [-1, 1] (v / 127.5 - 1, as the detector's tileTensor) of a whole image. */
export function unitTensor(img: RgbImage): Float32Array {
  const t = new Float32Array(img.data.length);
  for (let i = 0; i < t.length; i++) t[i] = img.data[i] / 127.5 - 1;
  return t;
}

/** The shared data folder: `../shared` beside the repository root, or $FACETALLY_SHARED. */
export function sharedDir(repoRoot: string): string {
  return process.env.FACETALLY_SHARED ?? join(repoRoot, '..', 'shared');
}
