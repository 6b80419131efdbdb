/**
 * The size-free full-range BlazeFace (models/blazeface/, derived by scripts/blazeface-dynamic.py from the npm
 * package's 256x256 file): the same outputs at 256x256 (to float rounding), and the detector's whole-level inference finds the same
 * faces as the original 256-px tiling.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlazeFaceDetector } from '../../src/detect/index.js';
import { blazefaceModelPaths } from '../../src/detect/load-node.js';
import { decodeImageFile } from '../../src/image/decode.js';
import { sharpImageOps } from '../../src/image/ops-node.js';
import { loadOnnxModel } from '../../src/runtime/onnx-node.js';
import type { ModelRunner } from '../../src/runtime/onnx.js';
import { describeShared } from '../helpers/shared.js';
import { readFileSync } from 'node:fs';

describe('size-free full-range BlazeFace', () => {
  let fixed: ModelRunner, free: ModelRunner;
  beforeAll(async () => {
    const p = blazefaceModelPaths();
    expect(existsSync(p.back)).toBe(true);
    [fixed, free] = await Promise.all([loadOnnxModel(p.backFixed), loadOnnxModel(p.back)]);
  });

  it('gives the package model outputs on a 256x256 input (to float rounding)', async () => {
    const data = new Float32Array(256 * 256 * 3).map((_, i) => Math.sin(i * 0.37));
    const a = await fixed.run({ [fixed.inputNames[0]]: { data, dims: [1, 256, 256, 3] } });
    const b = await free.run({ [free.inputNames[0]]: { data, dims: [1, 256, 256, 3] } });
    expect(free.outputNames).toEqual(fixed.outputNames);
    // Bit-identical on an AVX-512 EPYC, but on an AVX2-only one onnxruntime's full graph optimisation (the level
    // loadOnnxModel uses) fuses the two graphs' different Pad/Concat nodes into kernels that round differently:
    // up to 1.8e-4 apart there, on outputs of magnitude up to ~100 (score logits and pixel regressors).
    for (const n of fixed.outputNames) {
      const x = a[n].data as Float32Array, y = b[n].data as Float32Array;
      expect(y.length, n).toBe(x.length);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(x[i])));
      expect(worst, n).toBeLessThan(1e-4);
    }
  });

  it('accepts any input in multiples of 32 and returns one anchor per stride cell', async () => {
    const data = new Float32Array(96 * 160 * 3);
    const r = await free.run({ [free.inputNames[0]]: { data, dims: [1, 96, 160, 3] } });
    const [s1, s2, r1, r2] = free.outputNames.map((n) => r[n].data.length);
    expect([s1, s2, r1, r2]).toEqual([6 * 10 * 2, 3 * 5 * 6, 6 * 10 * 2 * 16, 3 * 5 * 6 * 16]);
  });
});

describeShared('whole-level inference finds the faces the 256-px tiling finds', ['data/photos/expected.json'], ([expectedPath]) => {
  it('same faces on every sample photo (boxes within 6% of the face size)', async () => {
    const p = blazefaceModelPaths();
    const [back, backFixed, front] = await Promise.all([loadOnnxModel(p.back), loadOnnxModel(p.backFixed), loadOnnxModel(p.front)]);
    const freeDet = new BlazeFaceDetector(back, front, sharpImageOps);
    const tiledDet = new BlazeFaceDetector(backFixed, front, sharpImageOps, { fixedBackInput: true });
    const photos = join(expectedPath, '..');
    const expected = JSON.parse(readFileSync(expectedPath, 'utf8')).photos as Record<string, { faces: number }>;
    let faces = 0;
    for (const name of Object.keys(expected)) {
      const img = await decodeImageFile(join(photos, name));
      const [a, b] = [await freeDet.detect(img), await tiledDet.detect(img)];
      expect(a.length, name).toBe(b.length);
      for (const fa of a) {
        const fb = b.reduce((best, f) => (Math.hypot(f.box.x - fa.box.x, f.box.y - fa.box.y) < Math.hypot(best.box.x - fa.box.x, best.box.y - fa.box.y) ? f : best));
        const tol = 0.06 * Math.max(fb.box.width, fb.box.height);
        expect(Math.abs(fa.box.x - fb.box.x), name).toBeLessThan(tol);
        expect(Math.abs(fa.box.y - fb.box.y), name).toBeLessThan(tol);
        expect(Math.abs(fa.box.width - fb.box.width), name).toBeLessThan(tol);
      }
      faces += a.length;
    }
    expect(faces).toBeGreaterThan(10);
  });
});
