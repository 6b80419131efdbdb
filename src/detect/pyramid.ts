/**
 * The full-range BlazeFace's image pyramid, planned as plain data: which levels (sizes), how each is built, and how
 * each is cut into model calls. Pure and platform-neutral (imports nothing); {@link BlazeFaceDetector} runs the plan,
 * `scripts/detection-recall.ts` measures recall and cost of any plan (docs/detection.md).
 */

/** How a pyramid level's pixels are made. */
export type LevelSource =
  /** the photo resampled to the level's size (`resampleRgb`, or the photo itself when the size is the same) */
  | { from: 'photo' }
  /** the previous (next finer) level halved `halvings` times by 2x2 box means (`halveRgb`) */
  | { from: 'halve'; halvings: number }
  /** the previous (next finer) level resampled to the level's size (`resampleRgb`; spacings other than 2 and 4) */
  | { from: 'previous' };

/** A model input window on a pyramid level: top-left corner and size, in level pixels (may reach past the level). */
export interface Tile {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** One level of a planned pyramid. */
export interface PyramidLevel {
  /** Level size in pixels. */
  width: number;
  height: number;
  /** Level pixels per photo pixel along each axis (`width / photoWidth`, `height / photoHeight`). */
  scaleX: number;
  scaleY: number;
  source: LevelSource;
  /** Model calls on this level: windows in multiples of 32 px, padded mid-grey past the level's edge. */
  tiles: Tile[];
  /** Detections whose box side exceeds this many level pixels are dropped (they are whole on a coarser level). */
  maxFace: number;
}

/**
 * Parameters of a pyramid plan. The defaults ({@link DEFAULT_PYRAMID}) come from `scripts/detection-recall.ts` on
 * synthetic composites of CelebA-HQ train-split faces (docs/detection.md); {@link LEGACY_PYRAMID} is the plan before.
 */
export interface PyramidOptions {
  /**
   * `'fine'`: the finest level is the one where a `minFaceSize` face is `floor` model pixels; each coarser level is the
   * previous one shrunk by `spacing` (2 or 4: box halvings; else resampled), down to the first level whose longer side is at most
   * `coarsestSide`. `'coarse'`: level 0 has the longer side `coarsestSide`, each finer level is `spacing` times larger
   * (resampled from the photo), the last one capped at the scale `floor / minFaceSize` (the plan before issue 13).
   */
  anchor: 'fine' | 'coarse';
  /** Model pixels (box side) of a `minFaceSize` face on the finest level. */
  floor: number;
  /** Ratio of successive levels' sizes (> 1); with `anchor: 'fine'`, 2 and 4 build levels by box halvings. */
  spacing: number;
  /** Longer side of the coarsest level, in pixels (the model's nominal input, 256). */
  coarsestSide: number;
  /** Largest upsampling of the photo for tiny faces (level pixels per photo pixel). */
  maxUpscale: number;
  /** A level axis up to this many pixels is one window (rounded up to a multiple of 32); a longer one is tiled. */
  wholeLevelMax: number;
  /**
   * Tiles of a longer axis (longer than `wholeLevelMax`): `'fixed'`, windows of exactly `tileSize`; `'even'`, the
   * fewest windows of at most `tileSize` (a multiple of 32) that cover the axis with `tileOverlap`, all of one size.
   */
  tiling: 'fixed' | 'even';
  /** Side of the tiles of a longer axis (the largest with `tiling: 'even'`), and of every tile when `fixedInput` is set, in pixels. */
  tileSize: number;
  /** Overlap between neighbouring tiles, in level pixels. */
  tileOverlap: number;
  /** On every level but the coarsest, boxes larger than this many level pixels are dropped. */
  maxFaceAboveCoarsest: number;
  /** Cut every level into `tileSize` windows (for a model with a fixed square input, e.g. 256). */
  fixedInput: boolean;
}

/**
 * The plan before issue 13 (kept so that `scripts/detection-recall.ts` can compare): level 0 at 256 px, levels
 * doubling up to the one where a 32 px face is 24 model pixels, each resampled from the photo, axes over 1024 px cut
 * into 768 px tiles overlapping by 96 px.
 */
export const LEGACY_PYRAMID: PyramidOptions = {
  anchor: 'coarse',
  floor: 24,
  spacing: 2,
  coarsestSide: 256,
  maxUpscale: 2,
  wholeLevelMax: 1024,
  tiling: 'fixed',
  tileSize: 768,
  tileOverlap: 96,
  maxFaceAboveCoarsest: 96,
  fixedInput: false,
};

/**
 * The detector's plan (issue 13): the finest level where a `minFaceSize` face is 24 model pixels (0.75x for the
 * default `--min-face 32`), each coarser level a 2x2 box halving of the previous one down to a longer side of at most
 * 256 px, levels whole up to 1024 px and a longer axis cut into the fewest equal tiles of at most 1024 px overlapping
 * by at least 96 px. It runs 1.5x fewer full-range model pixels than {@link LEGACY_PYRAMID} at 1600x1200 (1,641,472
 * instead of 2,457,600), 1.2x fewer at 2400x1800 and 1024x768, the same at 640x480. Chosen with the detector's
 * thresholds 0.7 / 0.6 ({@link DEFAULT_DETECT_OPTIONS} in blazeface.ts) on 120 synthetic photos of CelebA-HQ
 * train-split faces (`scripts/detection-recall.ts`, docs/detection.md "Pyramid plan"): with them it finds at least as
 * many faces as the legacy plan at 0.75 / 0.5 in every face-size bin from 32 px up (498 of 516 faces >= 32 px against
 * 490), with the same single false positive in 220 MP.
 */
export const DEFAULT_PYRAMID: PyramidOptions = {
  anchor: 'fine',
  floor: 24,
  spacing: 2,
  coarsestSide: 256,
  maxUpscale: 2,
  wholeLevelMax: 1024,
  tiling: 'even',
  tileSize: 1024,
  tileOverlap: 96,
  maxFaceAboveCoarsest: 96,
  fixedInput: false,
};

/** The size-free model's input sides must be multiples of its coarsest stride. */
export const STRIDE_MULTIPLE = 32;

/**
 * Plan the full-range model's pyramid for a `width` x `height` photo (oriented pixels) searched for faces down to
 * `minFaceSize` photo pixels (box side). Levels are listed finest first, so that a level built by halving follows
 * the level it is built from.
 * @param options any of {@link PyramidOptions}; the rest from {@link DEFAULT_PYRAMID}.
 * @returns at least one level.
 * @throws RangeError for a non-positive size or minFaceSize, or a spacing not above 1.
 */
export function planPyramid(width: number, height: number, minFaceSize: number, options: Partial<PyramidOptions> = {}): PyramidLevel[] {
  const o = { ...DEFAULT_PYRAMID, ...options };
  if (!(width > 0 && height > 0)) throw new RangeError(`expected a positive photo size but received ${width}x${height}`);
  if (!(minFaceSize > 0)) throw new RangeError(`expected a positive number for minFaceSize but received ${minFaceSize}`);
  if (!(o.spacing > 1)) throw new RangeError(`expected a level spacing above 1 but received ${o.spacing}`);
  const maxSide = Math.max(width, height);
  const need = Math.min(o.maxUpscale, o.floor / minFaceSize);
  const coarseScale = o.coarsestSide / maxSide;
  const sized = (w: number, h: number, source: LevelSource, maxFace: number): PyramidLevel => ({
    width: w,
    height: h,
    scaleX: w / width,
    scaleY: h / height,
    source,
    tiles: tilesFor(w, h, o),
    maxFace,
  });
  const atScale = (s: number, maxFace: number) =>
    sized(Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s)), { from: 'photo' }, maxFace);

  if (o.anchor === 'coarse') {
    const levels: PyramidLevel[] = [];
    for (let k = 0; ; k++) {
      const s = Math.min(coarseScale * o.spacing ** k, Math.max(need, coarseScale));
      levels.push(atScale(s, k === 0 ? Infinity : o.maxFaceAboveCoarsest));
      if (s >= need || s >= o.maxUpscale) break;
    }
    return levels.reverse();
  }

  if (need <= coarseScale) return [atScale(coarseScale, Infinity)];
  const halvings = o.spacing === 2 ? 1 : o.spacing === 4 ? 2 : 0;
  const levels = [atScale(need, o.maxFaceAboveCoarsest)];
  for (;;) {
    const prev = levels[levels.length - 1];
    if (Math.max(prev.width, prev.height) <= o.coarsestSide) break;
    const w = halvings ? prev.width >> halvings : Math.round(prev.width / o.spacing);
    const h = halvings ? prev.height >> halvings : Math.round(prev.height / o.spacing);
    if (w < 1 || h < 1) break;
    levels.push(sized(w, h, halvings ? { from: 'halve', halvings } : { from: 'previous' }, o.maxFaceAboveCoarsest));
  }
  levels[levels.length - 1].maxFace = Infinity;
  return levels;
}

/** Model input pixels of a plan (sum of its windows' areas): the work of the full-range model, padding included. */
export function pyramidPixels(levels: readonly PyramidLevel[]): number {
  let n = 0;
  for (const l of levels) for (const t of l.tiles) n += t.width * t.height;
  return n;
}

/** The windows of a `w` x `h` level: per axis one window (rounded up to 32) or overlapping tiles. */
function tilesFor(w: number, h: number, o: PyramidOptions): Tile[] {
  const axis = (length: number) =>
    o.fixedInput
      ? tileStarts(length, o.tileSize, o.tileOverlap).map((start) => ({ start, size: o.tileSize }))
      : length <= o.wholeLevelMax
        ? [{ start: 0, size: Math.max(STRIDE_MULTIPLE, Math.ceil(length / STRIDE_MULTIPLE) * STRIDE_MULTIPLE) }]
        : o.tiling === 'even'
          ? evenTiles(length, o.tileSize, o.tileOverlap)
          : tileStarts(length, o.tileSize, o.tileOverlap).map((start) => ({ start, size: o.tileSize }));
  const tiles: Tile[] = [];
  for (const y of axis(h)) for (const x of axis(w)) tiles.push({ x0: x.start, y0: y.start, width: x.size, height: y.size });
  return tiles;
}

/** Start offsets of tiles of side `size` covering `length` pixels with at least `overlap` pixels of overlap. */
function tileStarts(length: number, size: number, overlap: number): number[] {
  if (length <= size) return [0];
  const stride = size - overlap;
  const n = Math.ceil((length - size) / stride) + 1;
  const step = (length - size) / (n - 1);
  return Array.from({ length: n }, (_, i) => Math.round(i * step));
}

/**
 * The fewest windows of one size (a multiple of 32, at most `maxSize`) covering `length` pixels with at least
 * `overlap` pixels between neighbours (to rounding), spread evenly from the start to the end of the axis.
 */
function evenTiles(length: number, maxSize: number, overlap: number): { start: number; size: number }[] {
  const n = Math.max(1, Math.ceil((length - overlap) / (maxSize - overlap)));
  const size = Math.min(maxSize, Math.ceil((length + (n - 1) * overlap) / n / STRIDE_MULTIPLE) * STRIDE_MULTIPLE);
  if (n === 1) return [{ start: 0, size }];
  const step = (length - size) / (n - 1);
  return Array.from({ length: n }, (_, i) => ({ start: Math.round(i * step), size }));
}
