import type { RgbImage } from '../image/decode.js';
import { applySimilarity, type Similarity } from './similarity.js';

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
  const acc = [0, 0, 0];
  const W = src.width, H = src.height, d = src.data;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          const [sx, sy] = applySimilarity(outToSrc, [x + (i + 0.5) / n - 0.5, y + (j + 0.5) / n - 0.5]);
          const cx = Math.min(Math.max(sx, 0), W - 1);
          const cy = Math.min(Math.max(sy, 0), H - 1);
          const x0 = Math.floor(cx), y0 = Math.floor(cy);
          const x1 = Math.min(x0 + 1, W - 1), y1 = Math.min(y0 + 1, H - 1);
          const fx = cx - x0, fy = cy - y0;
          const i00 = (y0 * W + x0) * 3, i01 = (y0 * W + x1) * 3, i10 = (y1 * W + x0) * 3, i11 = (y1 * W + x1) * 3;
          for (let c = 0; c < 3; c++) {
            const top = d[i00 + c] + (d[i01 + c] - d[i00 + c]) * fx;
            const bot = d[i10 + c] + (d[i11 + c] - d[i10 + c]) * fx;
            acc[c] += top + (bot - top) * fy;
          }
        }
      }
      const o = (y * outWidth + x) * 3;
      const nn = n * n;
      out[o] = Math.round(acc[0] / nn);
      out[o + 1] = Math.round(acc[1] / nn);
      out[o + 2] = Math.round(acc[2] / nn);
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}
