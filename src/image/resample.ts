/**
 * Platform-neutral image resampling for the detector's image pyramid, in plain TypeScript so that Node and the
 * browser compute the same pixels (see {@link resampleRgb}). Imports nothing but types.
 */
import type { ImageOps } from './ops.js';
import type { RgbImage } from './rgb.js';

/** Fixed-point precision of the weights, as Pillow's `PRECISION_BITS` (32 - 8 - 2). */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** Contributions of source pixels to each output pixel along one axis. */
interface AxisWeights {
  /** First source index per output pixel. */
  start: Int32Array;
  /** Number of source pixels per output pixel. */
  count: Int32Array;
  /** `maxCount` fixed-point weights per output pixel (summing to about 2^22), zero-padded. */
  weights: Int32Array;
  maxCount: number;
}

/**
 * Weights of the triangle (bilinear) kernel resampling `inSize` pixels to `outSize`, widened by the reduction factor
 * when shrinking so that it averages every source pixel it covers (antialiasing): Pillow's `precompute_coeffs` and
 * `normalize_coeffs_8bpc` (`src/libImaging/Resample.c`) with its bilinear filter (support 1). Pixel centres are at
 * `i + 0.5`; output pixel `x` is centred on input coordinate `(x + 0.5) * scale` (`scale` input pixels per output pixel).
 */
function axisWeights(inSize: number, outSize: number, scale = inSize / outSize): AxisWeights {
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // triangle support 1, widened by the reduction factor
  const maxCount = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * maxCount);
  const k = new Float64Array(maxCount);
  for (let x = 0; x < outSize; x++) {
    const centre = (x + 0.5) * scale;
    // (The clamps matter only at the far edge of a halving that dropped an odd last row or column.)
    const lo = Math.min(inSize - 1, Math.max(0, Math.trunc(centre - support + 0.5)));
    const hi = Math.max(lo + 1, Math.min(inSize, Math.trunc(centre + support + 0.5)));
    const n = hi - lo;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      k[j] = Math.max(0, 1 - Math.abs((j + lo - centre + 0.5) / filterScale));
      sum += k[j];
    }
    for (let j = 0; j < n; j++) {
      const w = sum > 0 ? k[j] / sum : j === n - 1 ? 1 : 0; // beyond the last pixel: repeat it
      weights[x * maxCount + j] = Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    start[x] = lo;
    count[x] = n;
  }
  return { start, count, weights, maxCount };
}

/**
 * Resample `src` (`w` x `h`) to `width` x `height` with the triangle kernel, output pixel centres mapped to
 * `(x + 0.5) * sx`, `(y + 0.5) * sy` in `src` pixels: rows first into bytes, then columns, in 22-bit fixed point,
 * as Pillow's `ImagingResampleHorizontal_8bpc` / `ImagingResampleVertical_8bpc` (the same bytes as Pillow's
 * `Image.resize(…, BILINEAR)` for a plain resize).
 */
function triangleResample(src: Uint8Array, w: number, h: number, width: number, height: number, sx: number, sy: number): Uint8Array {
  // Stores go through Uint8ClampedArray: for the integer `sum >> 22` that is Pillow's `clip8` (clamp to 0..255).
  const { start: hs, count: hc, weights: hw, maxCount: hm } = axisWeights(w, width, sx);
  const tmp = new Uint8ClampedArray(h * width * 3);
  const w3 = w * 3;
  for (let y = 0; y < h; y++) {
    const row = y * w3;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      let i = row + hs[x] * 3, k = x * hm;
      const n = hc[x];
      let r = HALF, g = HALF, b = HALF;
      for (let j = 0; j < n; j++, i += 3) {
        const wt = hw[k++];
        r += src[i] * wt;
        g += src[i + 1] * wt;
        b += src[i + 2] * wt;
      }
      tmp[o++] = r >> PRECISION_BITS;
      tmp[o++] = g >> PRECISION_BITS;
      tmp[o++] = b >> PRECISION_BITS;
    }
  }
  const { start: vs, count: vc, weights: vw, maxCount: vm } = axisWeights(h, height, sy);
  const out = new Uint8ClampedArray(width * height * 3);
  const stride = width * 3;
  const acc = new Int32Array(stride); // one output row
  for (let y = 0; y < height; y++) {
    const s = vs[y], n = vc[y], k = y * vm;
    acc.fill(HALF);
    for (let j = 0; j < n; j++) {
      const wt = vw[k + j];
      const i = (s + j) * stride;
      for (let c = 0; c < stride; c++) acc[c] += tmp[i + c] * wt;
    }
    const o = y * stride;
    for (let c = 0; c < stride; c++) out[o + c] = acc[c] >> PRECISION_BITS;
  }
  return new Uint8Array(out.buffer);
}

/**
 * Halve an image: each output pixel is the rounded mean of a 2x2 block (`(a + b + c + d + 2) >> 2`); an odd last
 * row or column is dropped. Output pixel `i` covers input pixels `2i` and `2i + 1`. Plain JavaScript (the same bytes
 * in Node and the browser); the detector builds coarser pyramid levels with it (`src/detect/pyramid.ts`).
 * @returns a new `floor(width / 2)` x `floor(height / 2)` image.
 * @throws RangeError when the image is narrower or lower than 2 pixels.
 */
export function halveRgb(image: RgbImage): RgbImage {
  if (image.width < 2 || image.height < 2) throw new RangeError(`expected an image of at least 2x2 pixels but received ${image.width}x${image.height}`);
  return halve(image);
}

function halve(image: RgbImage): RgbImage {
  const width = image.width >> 1, height = image.height >> 1;
  const src = image.data, W = image.width * 3;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const r0 = 2 * y * W, r1 = r0 + W;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      const i = 6 * x;
      out[o++] = (src[r0 + i] + src[r0 + i + 3] + src[r1 + i] + src[r1 + i + 3] + 2) >> 2;
      out[o++] = (src[r0 + i + 1] + src[r0 + i + 4] + src[r1 + i + 1] + src[r1 + i + 4] + 2) >> 2;
      out[o++] = (src[r0 + i + 2] + src[r0 + i + 5] + src[r1 + i + 2] + src[r1 + i + 5] + 2) >> 2;
    }
  }
  return { data: out, width, height };
}

/** Halvings of each image made so far (index m: halved m + 1 times), so that every pyramid level of one photo reuses them. */
const halvings = new WeakMap<RgbImage, RgbImage[]>();

/**
 * `image` halved `m` times by {@link halveRgb} (m >= 0; 0 gives `image` itself), computed once per image object and
 * cached (a WeakMap), so the pyramid's levels and the detector's looks at large faces share the halvings of one photo.
 * Read the result, do not modify it.
 * @returns a `floor(width / 2^m)` x `floor(height / 2^m)` image.
 * @throws RangeError when `m` is negative or not an integer, or the image is too small to be halved `m` times.
 */
export function halvedRgb(image: RgbImage, m: number): RgbImage {
  if (!(Number.isInteger(m) && m >= 0)) throw new RangeError(`expected a non-negative integer number of halvings but received ${m}`);
  if (image.width >> m < 1 || image.height >> m < 1) throw new RangeError(`a ${image.width}x${image.height} image cannot be halved ${m} times`);
  return halved(image, m);
}

/** `image` halved `m` times (m >= 0), computed once per image. */
function halved(image: RgbImage, m: number): RgbImage {
  if (m === 0) return image;
  let chain = halvings.get(image);
  if (!chain) halvings.set(image, (chain = []));
  while (chain.length < m) chain.push(halve(chain.length === 0 ? image : chain[chain.length - 1]));
  return chain[m - 1];
}

/**
 * Resize RGB pixels to exactly `width` x `height`, antialiased when shrinking: a box-filter mipmap (2x2 means) down to
 * the last halving still at least as large as the target on both axes (shrinking by `f` >= 2 starts from the image
 * halved `floor(log2 f)` times), then a separable triangle (bilinear) kernel widened by
 * the remaining factor (< 2): PIL's `Image.resize(…, BILINEAR)` resampling (Pillow `Resample.c`). Upscaling is plain
 * bilinear. Output pixel centres map to `(x + 0.5) * w / width` of the original image whatever halving is used.
 *
 * Why by hand: it is plain, deterministic JavaScript arithmetic, so Node and every browser compute identical bytes,
 * which keeps the CLI's and the web app's detections, keypoints and attributes the same. sharp's and the canvas's
 * resamplers differ enough to move a keypoint by 0.3–2.9 px and a probability by up to 0.17 on the sample photos.
 * The halvings are cached per image object (a WeakMap), so the pyramid levels of one photo read the full-size photo
 * once.
 * @returns `image` itself when the size is unchanged; for an exact power-of-two shrink, the cached halving (shared by
 * later calls on the same image: read it, do not modify it); else a new image.
 * @throws RangeError for non-positive or non-integer sizes.
 */
export function resampleRgb(image: RgbImage, width: number, height: number): RgbImage {
  if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new RangeError(`expected positive integer size but received ${width}x${height}`);
  }
  if (width === image.width && height === image.height) return image;
  const fx = image.width / width, fy = image.height / height;
  const m = Math.max(0, Math.floor(Math.log2(Math.min(fx, fy))));
  const src = halved(image, m);
  // An exact power-of-two shrink is the halving itself (the triangle pass at scale 1 would copy it byte for byte).
  if (src.width === width && src.height === height) return src;
  const k = 2 ** m;
  return { data: triangleResample(src.data, src.width, src.height, width, height, fx / k, fy / k), width, height };
}

/**
 * The {@link ImageOps} of both the Node and the browser pipeline: {@link resampleRgb}, the same bytes everywhere.
 */
export const portableImageOps: ImageOps = { resize: async (image, width, height) => resampleRgb(image, width, height) };
