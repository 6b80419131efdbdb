import type { RgbImage } from '../image/rgb.js';
import type { Similarity } from './similarity.js';
import { halvedRgb } from '../image/resample.js';

/**
 * Convert a map between **pixel-edge** coordinates (pixel i covers [i, i+1); its centre is i + 0.5: the
 * convention of detector boxes and keypoints, and of the alignment template) into the map between **pixel-centre**
 * coordinates (pixel i's centre is i) that {@link warpSimilarity} samples with. For `t` = (a, b, tx, ty):
 * centre' = t(centre + ½) − ½, i.e. tx' = tx + ½(a − b) − ½, ty' = ty + ½(a + b) − ½. Without it a warp of
 * scale s shifts its output by ½(s − 1) source pixels (as OpenCV's warpAffine, which also samples at integer
 * centres; compare skimage.transform.warp's documentation of the same convention).
 */
export function edgeMapToCentreMap(t: Similarity): Similarity {
  return { a: t.a, b: t.b, tx: t.tx + 0.5 * (t.a - t.b) - 0.5, ty: t.ty + 0.5 * (t.a + t.b) - 0.5 };
}

/**
 * Warp an RGB image into an `outWidth` x `outHeight` crop. `outToSrc` maps output pixel coordinates to
 * source pixel coordinates (pixel centres at integer coordinates, as OpenCV's warpAffine with WARP_INVERSE_MAP).
 * Sampling is bilinear; when the warp shrinks the source (more than one source pixel per output pixel),
 * each output pixel averages an n x n grid of bilinear samples, n = ceil(source pixels per output pixel),
 * to avoid aliasing. Samples outside the source repeat the nearest edge pixel.
 *
 * @returns a new image of the requested size.
 * @throws RangeError for non-positive output sizes.
 */
export function warpSimilarity(src: RgbImage, outToSrc: Similarity, outWidth: number, outHeight: number): RgbImage {
  if (!(outWidth > 0 && outHeight > 0 && Number.isInteger(outWidth) && Number.isInteger(outHeight))) {
    throw new RangeError(`expected positive integer output size but received ${outWidth}x${outHeight}`);
  }
  const scale = Math.hypot(outToSrc.a, outToSrc.b);
  const n = Math.max(1, Math.min(16, Math.ceil(scale - 1e-9)));
  const out = new Uint8Array(outWidth * outHeight * 3);
  const W = src.width, H = src.height, d = src.data;
  const { a, b, tx, ty } = outToSrc;
  const nn = n * n;
  // The sample arithmetic of `applySimilarity`, inlined: this loop runs for every pixel of every face crop. Every
  // product that depends on one axis only is computed once per column (a·px, b·px) or per row (a·py, b·py) instead
  // of once per sample; the sums are formed in the same order as `a * px - b * py + tx` and `b * px + a * py + ty`,
  // so each sample position, and the output, is bit-for-bit what the per-sample expression gives.
  const cols = outWidth * n;
  const aPx = new Float64Array(cols), bPx = new Float64Array(cols);
  for (let x = 0; x < outWidth; x++) {
    for (let i = 0; i < n; i++) {
      const px = x + (i + 0.5) / n - 0.5;
      aPx[x * n + i] = a * px;
      bPx[x * n + i] = b * px;
    }
  }
  const aPy = new Float64Array(n), bPy = new Float64Array(n);
  const W1 = W - 1, H1 = H - 1;
  for (let y = 0; y < outHeight; y++) {
    for (let j = 0; j < n; j++) {
      const py = y + (j + 0.5) / n - 0.5;
      aPy[j] = a * py;
      bPy[j] = b * py;
    }
    let o = y * outWidth * 3;
    for (let x = 0; x < outWidth; x++) {
      let r = 0, g = 0, bl = 0;
      const c0 = x * n;
      for (let j = 0; j < n; j++) {
        const bpy = bPy[j], apy = aPy[j];
        for (let i = 0; i < n; i++) {
          const sx = aPx[c0 + i] - bpy + tx;
          const sy = bPx[c0 + i] + apy + ty;
          const cx = Math.min(Math.max(sx, 0), W1);
          const cy = Math.min(Math.max(sy, 0), H1);
          const x0 = Math.floor(cx), y0 = Math.floor(cy);
          const x1 = Math.min(x0 + 1, W1), y1 = Math.min(y0 + 1, H1);
          const fx = cx - x0, fy = cy - y0;
          const i00 = (y0 * W + x0) * 3, i01 = (y0 * W + x1) * 3, i10 = (y1 * W + x0) * 3, i11 = (y1 * W + x1) * 3;
          let top = d[i00] + (d[i01] - d[i00]) * fx;
          let bot = d[i10] + (d[i11] - d[i10]) * fx;
          r += top + (bot - top) * fy;
          top = d[i00 + 1] + (d[i01 + 1] - d[i00 + 1]) * fx;
          bot = d[i10 + 1] + (d[i11 + 1] - d[i10 + 1]) * fx;
          g += top + (bot - top) * fy;
          top = d[i00 + 2] + (d[i01 + 2] - d[i00 + 2]) * fx;
          bot = d[i10 + 2] + (d[i11 + 2] - d[i10 + 2]) * fx;
          bl += top + (bot - top) * fy;
        }
      }
      out[o++] = Math.round(r / nn);
      out[o++] = Math.round(g / nn);
      out[o++] = Math.round(bl / nn);
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/**
 * {@link warpSimilarity} for strong reductions at a fraction of the cost: when the warp shrinks the source by
 * `scale` >= 2 (source pixels per output pixel), it samples the source halved m = floor(log2(scale)) times by 2x2 box
 * means ({@link halvedRgb}, cached per image object, so the looks at every face of a photo share them) instead of the
 * source itself, so each output pixel averages at most 2 x 2 bilinear samples instead of ceil(scale)². The halved
 * image's pixel i covers source pixels [2^m·i, 2^m·(i + 1)), centre 2^m·i + (2^m − 1)/2 in pixel-centre coordinates,
 * so `outToSrc` becomes x ↦ (outToSrc(x) − (2^m − 1)/2) / 2^m. The result is an antialiased resampling like
 * warpSimilarity's (a box prefilter, then a bilinear grid), not the same bytes: the detector's second looks use it
 * (`BlazeFaceDetector`); the alignment crop keeps {@link warpSimilarity} so attribute inputs do not change. Below a
 * reduction of 2 it is warpSimilarity itself. Source of the idea: mipmapping (L. Williams, "Pyramidal parametrics",
 * SIGGRAPH 1983). Samples past the halved image's edge (including a row or column an odd size dropped) repeat its edge.
 * @returns a new `outWidth` x `outHeight` image.
 * @throws RangeError for non-positive output sizes.
 */
export function warpSimilarityMipmapped(src: RgbImage, outToSrc: Similarity, outWidth: number, outHeight: number): RgbImage {
  const scale = Math.hypot(outToSrc.a, outToSrc.b);
  let m = scale >= 2 ? Math.floor(Math.log2(scale)) : 0;
  while (m > 0 && (src.width >> m < 2 || src.height >> m < 2)) m--;
  if (m === 0) return warpSimilarity(src, outToSrc, outWidth, outHeight);
  const k = 2 ** m, offset = (k - 1) / 2;
  const { a, b, tx, ty } = outToSrc;
  return warpSimilarity(halvedRgb(src, m), { a: a / k, b: b / k, tx: (tx - offset) / k, ty: (ty - offset) / k }, outWidth, outHeight);
}
