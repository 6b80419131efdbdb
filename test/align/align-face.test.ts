import { describe, expect, it } from 'vitest';
import { alignFace, applySimilarity, TEMPLATE_POINTS, type Similarity } from '../../src/align/index.js';
import type { RgbImage } from '../../src/image/decode.js';
import type { Detection, Point } from '../../src/types.js';

/**
 * End-to-end alignment: a synthetic photo with a Gaussian blob at each of the three keypoints (right eye,
 * left eye, mouth centre), placed where a known template→photo similarity sends the template points.
 * Coordinates are pixel-edge coordinates throughout (pixel i covers [i, i+1), its centre is i + 0.5), the
 * convention of the detector's keypoints and of TEMPLATE_POINTS. After `alignFace`, each blob's intensity
 * centroid in the crop, measured in the same convention, must sit on its template point.
 *
 * A crop shifted by half a photo pixel minus half a template pixel (sampling at pixel centres without the
 * edge→centre conversion) misses by 0.5·(s − 1)/s template pixels: −1.17 at s = 0.3 (a 32 px face upscaled),
 * +0.3 at s = 2.5 (a large face). At s = 1 it cannot be seen, which is why CelebA's aligned images hid it.
 */
function syntheticFace(s: number, angle: number): { image: RgbImage; detection: Detection } {
  // Template → photo: scale s, rotation `angle`, the template centre (89, 109) on the photo centre.
  const side = Math.ceil(s * 300) + 20;
  const a = s * Math.cos(angle), b = s * Math.sin(angle);
  const c = side / 2;
  const templateToPhoto: Similarity = { a, b, tx: c - (a * 89 - b * 109), ty: c - (b * 89 + a * 109) };
  const keypoints = TEMPLATE_POINTS.map((p) => applySimilarity(templateToPhoto, p as Point));
  const sigma = 3 * s; // 3 template pixels, in photo pixels: well sampled on both sides of the warp
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let v = 0;
      for (const [kx, ky] of keypoints) {
        const dx = x + 0.5 - kx, dy = y + 0.5 - ky; // pixel centre, in edge coordinates
        v += 255 * Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
      }
      data.fill(Math.min(255, Math.round(v)), (y * side + x) * 3, (y * side + x) * 3 + 3);
    }
  }
  // The detection's six keypoints: right eye, left eye, nose tip (unused), mouth centre, two tragions (unused).
  const [re, le, mouth] = keypoints;
  const landmarks: Point[] = [re, le, [(re[0] + le[0] + mouth[0]) / 3, (re[1] + le[1] + mouth[1]) / 3], mouth, re, le];
  return { image: { data, width: side, height: side }, detection: { box: { x: 0, y: 0, width: side, height: side }, score: 1, landmarks } };
}

/** Intensity centroid, in pixel-edge coordinates, of the red channel within `r` pixels of `p`. */
function centroid(img: RgbImage, [px, py]: Point, r: number): Point {
  let sw = 0, sx = 0, sy = 0;
  for (let y = Math.floor(py - r); y <= Math.ceil(py + r); y++) {
    for (let x = Math.floor(px - r); x <= Math.ceil(px + r); x++) {
      const w = img.data[(y * img.width + x) * 3];
      sw += w; sx += w * (x + 0.5); sy += w * (y + 0.5);
    }
  }
  return [sx / sw, sy / sw];
}

describe('alignFace', () => {
  // s: photo pixels per template pixel. 0.3 ≈ a 32 px face (upscaled), 1 ≈ CelebA's aligned images,
  // 2.5 ≈ a 450 px face (shrunk, with the warp's supersampling).
  for (const s of [0.3, 0.6, 1, 2.5]) {
    for (const angle of [0, 0.35]) {
      it(`puts the keypoints on the template points (scale ${s}, rotation ${angle} rad)`, () => {
        const { image, detection } = syntheticFace(s, angle);
        const { crop } = alignFace(image, detection);
        for (const t of TEMPLATE_POINTS) {
          const [x, y] = centroid(crop, t as Point, 12);
          // Tolerance: blob rounding to bytes and bilinear interpolation of a 3-px blob; the half-pixel
          // error this guards against is 0.14 to 1.6 template pixels at these scales (0 only at s = 1 unrotated); measured
          // after the fix: at most 0.005.
          expect(Math.abs(x - t[0])).toBeLessThan(0.03);
          expect(Math.abs(y - t[1])).toBeLessThan(0.03);
        }
      });
    }
  }
});
