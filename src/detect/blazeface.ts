import type { Detection, Point } from '../types.js';
import type { RgbImage } from '../image/rgb.js';
import type { ImageOps } from '../image/ops.js';
import type { ModelRunner } from '../runtime/onnx.js';
import { headsForInput } from './anchors.js';
import { decodeHead } from './decode.js';
import { weightedNonMaxSuppression } from './nms.js';
import { edgeMapToCentreMap, warpSimilarityMipmapped } from '../align/warp.js';
import { halveRgb } from '../image/resample.js';
import { DEFAULT_PYRAMID, planPyramid, type PyramidLevel, type PyramidOptions, type Tile } from './pyramid.js';

/**
 * Options of the face detector. The thresholds' defaults (0.7 first pass, 0.6 second look) were chosen with the
 * pyramid plan on synthetic photos of CelebA-HQ train-split faces (`scripts/detection-recall.ts`, docs/detection.md
 * "Pyramid plan"), and checked on the shared sample photos' known face counts.
 */
export interface DetectOptions {
  /**
   * Minimum detector confidence in [0, 1] for a face to be reported (first pass). Default 0.7 (docs/detection.md,
   * "Pyramid plan"). Values below {@link MIN_CANDIDATE_SCORE} (0.05) act as 0.05: lower-scoring anchors are never
   * candidates.
   */
  scoreThreshold?: number;
  /**
   * Second look: each face is re-scored by the short-range model on a square crop 1.6x the face box, centred
   * on it; faces scoring below this are dropped. Animal faces and textures that fool the first pass score low
   * here (measured: the shared cat photo 0.78 → 0.44; human faces 0.82–0.95). 0 disables. Default 0.6
   * (docs/detection.md, "Pyramid plan").
   */
  verifyThreshold?: number;
  /** IoU above which detections are merged by weighted non-maximum suppression, in [0, 1]. Default 0.3. */
  iouThreshold?: number;
  /**
   * Smallest face (box side, pixels of the oriented photo) the tiled pyramid must reach. Smaller values
   * add finer pyramid levels (more tiles, slower). Default 32.
   */
  minFaceSize?: number;
  /**
   * The full-range model's pyramid plan ({@link PyramidOptions}); unset fields from {@link DEFAULT_PYRAMID}. For
   * measuring plans (`scripts/detection-recall.ts`); the default is the plan docs/detection.md justifies.
   */
  pyramid?: Partial<PyramidOptions>;
}

/** Resolved detector defaults. */
export const DEFAULT_DETECT_OPTIONS: Required<Omit<DetectOptions, 'pyramid'>> = {
  scoreThreshold: 0.7,
  iouThreshold: 0.3,
  minFaceSize: 32,
  verifyThreshold: 0.6,
};

/** Side of the verification crop relative to the face box's longer side. */
const VERIFY_CONTEXT = 1.6;
/** Crop sides (relative to the face box) of the upright looks of {@link BlazeFaceDetector.uprightKeypoints}. */
const UPRIGHT_CONTEXTS = [1.5, 1.8] as const;
/** A verification anchor must lie within this many model pixels of the crop centre. */
const VERIFY_CENTRE_TOLERANCE = 20;

/** Model input side of the full-range ("back camera") BlazeFace, in pixels. */
const BACK_SIZE = 256;
/** Model input side of the short-range ("front camera") BlazeFace, in pixels. */
const FRONT_SIZE = 128;
/** Candidates below this score are dropped before merging (they only blur the weighted mean). */
const CANDIDATE_FLOOR = 0.3;
/**
 * The lowest candidate floor, whatever `scoreThreshold` asks: at 0 every anchor of every level and tile (about
 * 100,000 for a 1024 px level) would be kept, merged by O(n²) non-maximum suppression and verified one by one.
 * A `scoreThreshold` below it acts as this value.
 */
export const MIN_CANDIDATE_SCORE = 0.05;
/** At most this many candidates (the highest scoring) go into non-maximum suppression, which is O(n²). */
export const MAX_CANDIDATES = 5000;

/**
 * MediaPipe BlazeFace (Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection on Mobile GPUs",
 * 2019) over an image pyramid, so that small faces in large photos are found. The plan is {@link planPyramid}'s
 * with {@link DEFAULT_PYRAMID} (docs/detection.md): the finest level is where a `minFaceSize` face is 24 model
 * pixels, each coarser level a 2x2 halving of the previous one, down to a longer side of at most 256 px. The
 * full-range model is fully convolutional; run as the size-free copy in `models/blazeface/` (`back` must accept any
 * H x W in multiples of 32), a level of up to 1024 px a side is one model call on the whole level (no tile edges, no
 * overlap), and a larger level is cut into equal tiles of at most 1024 px that overlap by at least 96 px. A `back`
 * model with a fixed 256x256 input (the npm package's file) still works: pass `{ fixedBackInput: true }` and every
 * level is cut into 256 px tiles. The short-range model additionally runs on the whole photo for close-up faces, and
 * gives every merged face a second look (see `verifyThreshold`).
 * Detections of all tiles are mapped back to photo pixels and merged by weighted non-maximum suppression.
 */
export class BlazeFaceDetector {
  /**
   * @param back the full-range 256x256 model; @param front the short-range 128x128 model;
   * @param ops image resampling (sharp in Node, canvas in the browser).
   */
  constructor(
    private readonly back: ModelRunner,
    private readonly front: ModelRunner,
    private readonly ops: ImageOps,
    layout: { fixedBackInput?: boolean } = {},
  ) {
    this.fixedBackInput = layout.fixedBackInput ?? false;
  }

  /** Free both models' sessions ({@link ModelRunner.release}); the detector must not be used afterwards. */
  async release(): Promise<void> {
    await Promise.all([this.back.release?.(), this.front.release?.()]);
  }

  /** The full-range model takes only 256x256 inputs: every level is cut into 256 px tiles. */
  private readonly fixedBackInput: boolean;

  /**
   * The full-range model's pyramid for a photo: {@link planPyramid} with `options.minFaceSize` and `options.pyramid`
   * (and 256 px tiles for a fixed-input model). Levels finest first.
   */
  pyramidPlan(width: number, height: number, options: DetectOptions = {}): PyramidLevel[] {
    const minFace = options.minFaceSize ?? DEFAULT_DETECT_OPTIONS.minFaceSize;
    const fixed = this.fixedBackInput ? { fixedInput: true, tileSize: BACK_SIZE } : {};
    return planPyramid(width, height, minFace, { ...DEFAULT_PYRAMID, ...options.pyramid, ...fixed });
  }

  /**
   * Find faces in an image.
   * @returns detections in photo pixels, sorted by descending score; landmarks in MediaPipe order (see LANDMARK_NAMES).
   * @throws RangeError on option values out of range.
   */
  async detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection[]> {
    const opts = { ...DEFAULT_DETECT_OPTIONS, ...options };
    checkUnit('scoreThreshold', opts.scoreThreshold);
    checkUnit('iouThreshold', opts.iouThreshold);
    checkUnit('verifyThreshold', opts.verifyThreshold);
    if (!(opts.minFaceSize > 0)) throw new RangeError(`expected a positive number for minFaceSize but received ${opts.minFaceSize}`);
    const floor = Math.max(MIN_CANDIDATE_SCORE, Math.min(CANDIDATE_FLOOR, opts.scoreThreshold));
    const candidates: Detection[] = [];
    // push one by one: spreading a level's candidates into push() can overflow the call stack.
    const add = (found: Detection[]) => {
      for (const d of found) candidates.push(d);
    };
    const maxSide = Math.max(image.width, image.height);

    // Short-range model on the whole photo (close-up faces): letterboxed into its 128x128 input.
    const fw = Math.max(1, Math.round((image.width * FRONT_SIZE) / maxSide));
    const fh = Math.max(1, Math.round((image.height * FRONT_SIZE) / maxSide));
    const frontLevel: PyramidLevel = {
      width: fw, height: fh, scaleX: fw / image.width, scaleY: fh / image.height, source: { from: 'photo' },
      tiles: [{ x0: 0, y0: 0, width: FRONT_SIZE, height: FRONT_SIZE }], maxFace: Infinity,
    };
    add(await this.runLevel(this.front, FRONT_SIZE, frontLevel, await this.levelPixels(image, frontLevel, null), floor));

    // Full-range model over the pyramid, finest level first (coarser levels are built from finer ones). On every
    // level but the coarsest, faces larger than `maxFace` are left to the coarser levels, where they are smaller and
    // the full-range model scores them reliably.
    let previous: RgbImage | null = null;
    for (const level of this.pyramidPlan(image.width, image.height, opts)) {
      const pixels: RgbImage = await this.levelPixels(image, level, previous);
      add(await this.runLevel(this.back, BACK_SIZE, level, pixels, floor));
      previous = pixels;
    }
    if (candidates.length > MAX_CANDIDATES) {
      candidates.sort((a, b) => b.score - a.score);
      candidates.length = MAX_CANDIDATES;
    }
    const reportAbove = Math.max(MIN_CANDIDATE_SCORE, opts.scoreThreshold);
    const faces = weightedNonMaxSuppression(candidates, opts.iouThreshold).filter((d) => d.score >= reportAbove);
    if (opts.verifyThreshold <= 0) return faces;
    const kept: Detection[] = [];
    for (const f of faces) if ((await this.verificationScore(image, f)) >= opts.verifyThreshold) kept.push(f);
    return kept;
  }

  /**
   * Score of the short-range model for a face, looking at a square crop of side 1.6x the face box centred on it
   * and resampled to 128x128: the best anchor whose box centre lies near the crop centre. In [0, 1].
   */
  async verificationScore(image: RgbImage, face: Detection): Promise<number> {
    const side = Math.max(face.box.width, face.box.height) * VERIFY_CONTEXT;
    const cx = face.box.x + face.box.width / 2;
    const cy = face.box.y + face.box.height / 2;
    const s = side / FRONT_SIZE;
    const crop = warpSimilarityMipmapped(image, edgeMapToCentreMap({ a: s, b: 0, tx: cx - side / 2, ty: cy - side / 2 }), FRONT_SIZE, FRONT_SIZE);
    return (await this.centredLook(crop))?.score ?? 0;
  }

  /**
   * The short-range model on a 128x128 crop centred on a face: its highest-scoring detection (anchors above 0.01)
   * whose box centre lies within {@link VERIFY_CENTRE_TOLERANCE} model pixels of the crop centre, in crop pixels;
   * null when there is none. Shared by the second look and the upright pose looks.
   */
  private async centredLook(crop: RgbImage): Promise<Detection | null> {
    const dets = await this.runTile(this.front, FRONT_SIZE, crop, { x0: 0, y0: 0, width: FRONT_SIZE, height: FRONT_SIZE }, 0.01);
    const c = FRONT_SIZE / 2;
    let best: Detection | null = null;
    for (const d of dets) {
      const dx = d.box.x + d.box.width / 2 - c, dy = d.box.y + d.box.height / 2 - c;
      if (Math.abs(dx) < VERIFY_CENTRE_TOLERANCE && Math.abs(dy) < VERIFY_CENTRE_TOLERANCE && (!best || d.score > best.score)) best = d;
    }
    return best;
  }

  /**
   * A second, upright look at a face's keypoints, for head pose: {@link BlazeFaceDetector.uprightLooks}'s keypoints.
   * @returns the six keypoints in photo pixels, or null when no look found a face near the crop centre.
   */
  async uprightKeypoints(image: RgbImage, face: Detection): Promise<Point[] | null> {
    return (await this.uprightLooks(image, face)).keypoints;
  }

  /**
   * Four upright looks at a face with the short-range model. The square crop of side `context` x the face box
   * around its centre is rotated by the roll of the first-pass eye line (so the face stands upright in it) and
   * resampled to 128x128; this is done at crop sides 1.5x and 1.8x, each also mirrored (the mirrored keypoints are
   * flipped back, right and left swapped). In each look the best detection whose box centre lies near the crop centre
   * counts. The mirrored looks cancel the model's left-right bias, so a mirrored photo gets mirrored keypoints, and
   * averaging halves the keypoint noise that limits roll (measured in docs/quality.md). The mean score is not the
   * detector's second look: as one, it kept the same faces as {@link BlazeFaceDetector.verificationScore} but let
   * through more false positives on synthetic photos (`scripts/detection-recall.ts --look both`, docs/detection.md).
   * @returns `score`, the mean over the four looks of that detection's score (0 for a look that found none), in
   *   [0, 1]; `keypoints`, the mean of the found looks' six keypoints in photo pixels, or null when none found one.
   */
  async uprightLooks(image: RgbImage, face: Detection): Promise<{ score: number; keypoints: Point[] | null }> {
    const [re, le] = face.landmarks;
    const theta = Math.atan2(le[1] - re[1], le[0] - re[0]);
    const cx = face.box.x + face.box.width / 2;
    const cy = face.box.y + face.box.height / 2;
    const c = FRONT_SIZE / 2;
    const sum: Point[] = Array.from({ length: 6 }, () => [0, 0] as Point);
    let found = 0, scoreSum = 0, looks = 0;
    for (const context of UPRIGHT_CONTEXTS) {
      const s = (Math.max(face.box.width, face.box.height) * context) / FRONT_SIZE;
      const a = s * Math.cos(theta), b = s * Math.sin(theta);
      // warpSimilarity maps output pixel centres (integer coordinates) by a similarity and a mirror is not one,
      // so the mirrored look is the upright crop with its rows reversed (continuous x ↔ 128 − x): one warp per
      // context serves both looks (the warp is the larger part of a look's JavaScript time).
      const corner: Point = [a * (0.5 - c) - b * (0.5 - c) + cx, b * (0.5 - c) + a * (0.5 - c) + cy];
      const upright = warpSimilarityMipmapped(image, { a, b, tx: corner[0] - 0.5, ty: corner[1] - 0.5 }, FRONT_SIZE, FRONT_SIZE);
      for (const mirrored of [false, true]) {
        looks++;
        // Crop coordinates (continuous, as the detector's) → photo: (mirror,) rotate and scale about the crop centre.
        const m = mirrored ? -1 : 1;
        const toPhoto = ([x, y]: Point): Point => {
          const u = m * (x - c), v = y - c;
          return [a * u - b * v + cx, b * u + a * v + cy];
        };
        const best = await this.centredLook(mirrored ? flipRows(upright) : upright);
        if (!best) continue;
        scoreSum += best.score;
        const pts = best.landmarks.map(toPhoto);
        // In a mirrored look the model's "right eye" is the subject's left eye, and so on.
        const ordered = mirrored ? [pts[1], pts[0], pts[2], pts[3], pts[5], pts[4]] : pts;
        ordered.forEach(([x, y], k) => {
          sum[k][0] += x;
          sum[k][1] += y;
        });
        found++;
      }
    }
    return { score: scoreSum / looks, keypoints: found ? sum.map(([x, y]) => [x / found, y / found] as Point) : null };
  }

  /**
   * Run a model on one window of `img` (top-left (x0, y0), `width` x `height` model input pixels; outside the
   * image is mid-grey); detections in window input pixels. `nominal` is the model's square training size.
   */
  private async runTile(model: ModelRunner, nominal: number, img: RgbImage, tile: Tile, floor: number): Promise<Detection[]> {
    const { x0, y0, width: w, height: h } = tile;
    const input = tileTensor(img, x0, y0, w, h);
    const res = await model.run({ [model.inputNames[0]]: { data: input, dims: [1, h, w, 3] } });
    const [s1, s2, r1, r2] = model.outputNames.map((n) => res[n].data);
    const heads = headsForInput(w, h, nominal);
    return [...decodeHead(s1, r1, heads[0], w, floor, h), ...decodeHead(s2, r2, heads[1], w, floor, h)];
  }

  /** The pixels of a planned level: resampled from the photo, or halved from the previous (finer) level. */
  private async levelPixels(image: RgbImage, level: PyramidLevel, previous: RgbImage | null): Promise<RgbImage> {
    if (level.source.from === 'photo') {
      return level.width === image.width && level.height === image.height ? image : this.ops.resize(image, level.width, level.height);
    }
    if (!previous) throw new Error('a pyramid level built from the previous one needs the level before it');
    if (level.source.from === 'previous') return this.ops.resize(previous, level.width, level.height);
    let img = previous;
    for (let i = 0; i < level.source.halvings; i++) img = halveRgb(img);
    return img;
  }

  /** Run one model over the windows of one planned level (`pixels` are the level's pixels). */
  private async runLevel(model: ModelRunner, nominal: number, level: PyramidLevel, pixels: RgbImage, floor: number): Promise<Detection[]> {
    const { width: lw, height: lh, scaleX: sx, scaleY: sy } = level;
    const out: Detection[] = [];
    for (const tile of level.tiles) {
      const dets = await this.runTile(model, nominal, pixels, tile, floor);
      for (const d of dets) {
        // A face cut by a tile edge that is not the level's edge is found whole in a neighbouring tile
        // or on a coarser level; its partial detection would be a false positive.
        if (cutByInnerEdge(d, tile, lw, lh)) continue;
        if (Math.max(d.box.width, d.box.height) > level.maxFace) continue;
        out.push(toPhoto(d, tile.x0, tile.y0, sx, sy));
      }
    }
    return out;
  }
}

/** Slack, in model pixels, before a box counts as crossing a tile edge. */
const EDGE_SLACK = 4;

/** True when the box crosses an edge of the tile that lies inside the level image. */
function cutByInnerEdge(d: Detection, t: Tile, lw: number, lh: number): boolean {
  const b = d.box;
  if (t.x0 > 0 && b.x < -EDGE_SLACK) return true;
  if (t.y0 > 0 && b.y < -EDGE_SLACK) return true;
  if (t.x0 + t.width < lw && b.x + b.width > t.width + EDGE_SLACK) return true;
  if (t.y0 + t.height < lh && b.y + b.height > t.height + EDGE_SLACK) return true;
  return false;
}

/** Byte value v -> v / 127.5 - 1 (the model's input range [-1, 1]), as float32. */
const TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/** NHWC float32 tensor in [-1, 1] of the `tw` x `th` window at (x0, y0); outside the image is 0 (mid-grey). */
function tileTensor(img: RgbImage, x0: number, y0: number, tw: number, th: number): Float32Array {
  const t = new Float32Array(tw * th * 3);
  const w = Math.min(tw, img.width - x0);
  const h = Math.min(th, img.height - y0);
  for (let y = 0; y < h; y++) {
    let src = ((y0 + y) * img.width + x0) * 3;
    let dst = y * tw * 3;
    for (let i = 0; i < w * 3; i++) t[dst++] = TO_UNIT[img.data[src++]];
  }
  return t;
}

/** Map a detection from the input pixels of the tile at (x0, y0) of a level (sx, sy level pixels per photo pixel) back to photo pixels. */
function toPhoto(d: Detection, x0: number, y0: number, sx: number, sy: number): Detection {
  const fx = (x: number) => (x + x0) / sx;
  const fy = (y: number) => (y + y0) / sy;
  return {
    box: { x: fx(d.box.x), y: fy(d.box.y), width: d.box.width / sx, height: d.box.height / sy },
    score: d.score,
    landmarks: d.landmarks.map(([x, y]) => [fx(x), fy(y)]),
  };
}

function checkUnit(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`expected a number in [0, 1] for ${name} but received ${v}`);
}

/** The image mirrored left-right (each row reversed). */
function flipRows(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3, j = (y * w + (w - 1 - x)) * 3;
      out[j] = data[i];
      out[j + 1] = data[i + 1];
      out[j + 2] = data[i + 2];
    }
  }
  return { data: out, width: w, height: h };
}
