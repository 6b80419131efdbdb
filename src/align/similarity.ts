import type { Point } from '../types.js';

/**
 * A 2-D similarity transform (rotation, uniform scale, translation; no reflection or shear):
 * `x' = a*x - b*y + tx`, `y' = b*x + a*y + ty`. Scale is `hypot(a, b)`, rotation `atan2(b, a)` radians
 * (counter-clockwise in a y-up frame, i.e. clockwise on screen where y points down).
 */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** Apply a similarity transform to a point. */
export function applySimilarity(t: Similarity, [x, y]: Point): Point {
  return [t.a * x - t.b * y + t.tx, t.b * x + t.a * y + t.ty];
}

/** The inverse transform. @throws RangeError when the transform is degenerate (scale 0). */
export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  if (!(d > 0)) throw new RangeError('cannot invert a similarity transform with zero scale');
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/**
 * Least-squares similarity transform mapping `src[i]` onto `dst[i]` (Umeyama, "Least-squares estimation of
 * transformation parameters between two point patterns", IEEE TPAMI 1991, restricted to 2-D without
 * reflection). In complex numbers, with points centred on their means, `a + ib = Σ q·conj(p) / Σ |p|²`.
 *
 * @param src, dst equal-length arrays of at least 2 points, not all `src` points identical.
 * @throws RangeError when the lengths differ, fewer than 2 points are given, or `src` is degenerate.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Similarity {
  if (src.length !== dst.length) throw new RangeError(`expected as many dst points as src points but received ${dst.length} and ${src.length}`);
  if (src.length < 2) throw new RangeError(`expected at least 2 point pairs but received ${src.length}`);
  const n = src.length;
  let spx = 0, spy = 0, sqx = 0, sqy = 0;
  for (let i = 0; i < n; i++) { spx += src[i][0]; spy += src[i][1]; sqx += dst[i][0]; sqy += dst[i][1]; }
  const mpx = spx / n, mpy = spy / n, mqx = sqx / n, mqy = sqy / n;
  let re = 0, im = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i][0] - mpx, py = src[i][1] - mpy;
    const qx = dst[i][0] - mqx, qy = dst[i][1] - mqy;
    // q * conj(p) = (qx + i qy)(px - i py)
    re += qx * px + qy * py;
    im += qy * px - qx * py;
    norm += px * px + py * py;
  }
  if (!(norm > 1e-12)) throw new RangeError('source points are all identical: the similarity transform is undefined');
  const a = re / norm, b = im / norm;
  return { a, b, tx: mqx - (a * mpx - b * mpy), ty: mqy - (b * mpx + a * mpy) };
}
