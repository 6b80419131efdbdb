import { describe, expect, it } from 'vitest';
import { headsForInput } from '../../src/detect/anchors.js';
import { BlazeFaceDetector, MAX_CANDIDATES, MIN_CANDIDATE_SCORE } from '../../src/detect/blazeface.js';
import type { ImageOps } from '../../src/image/ops.js';
import type { FloatTensor, InputTensor, ModelRunner } from '../../src/runtime/onnx.js';

/**
 * A fake BlazeFace whose every anchor has logit `logit` and a 6x6 box on the anchor centre: anchors of one cell
 * merge, neighbouring cells (8 px or more apart) do not, so every cell of every level and tile is its own face.
 */
function fakeModel(nominal: number, logit: number, calls: { n: number }): ModelRunner {
  return {
    inputNames: ['input'],
    outputNames: ['s1', 's2', 'r1', 'r2'],
    async run(feeds: Record<string, InputTensor>): Promise<Record<string, FloatTensor>> {
      calls.n++;
      const [, h, w] = Object.values(feeds)[0].dims;
      const out: Record<string, FloatTensor> = {};
      headsForInput(w, h, nominal).forEach((head, k) => {
        const n = head.cells * (head.rows ?? head.cells) * head.anchorsPerCell;
        const reg = new Float32Array(n * 16);
        for (let i = 0; i < n; i++) {
          reg[i * 16 + 2] = 6;
          reg[i * 16 + 3] = 6;
        }
        out[`s${k + 1}`] = { data: new Float32Array(n).fill(logit), dims: [1, n, 1] };
        out[`r${k + 1}`] = { data: reg, dims: [1, n, 16] };
      });
      return out;
    },
  };
}

const ops: ImageOps = { resize: async (img, width, height) => ({ data: new Uint8Array(width * height * 3), width, height }) };
const grey = (side: number) => ({ data: new Uint8Array(side * side * 3).fill(128), width: side, height: side });

describe('detector candidates at --score-threshold 0', () => {
  it('keeps no anchor scoring below the minimum candidate score', async () => {
    const calls = { n: 0 };
    // logit -5: score 0.0067 on every anchor. Before, a threshold of 0 made the floor 0: every anchor was a
    // candidate and came back as a "face" (thousands of them).
    const det = new BlazeFaceDetector(fakeModel(256, -5, calls), fakeModel(128, -5, calls), ops);
    expect(await det.detect(grey(512), { scoreThreshold: 0, verifyThreshold: 0 })).toEqual([]);
    expect(MIN_CANDIDATE_SCORE).toBe(0.05);
  });
  it('merges at most MAX_CANDIDATES candidates, the highest scoring', async () => {
    const calls = { n: 0 };
    // logit 5 (score 0.993) everywhere; minFaceSize 24 adds the full-resolution level, whose 64x64 + 32x32 cells
    // alone are 5,120 faces (without the cap, 7,040 faces came back).
    const det = new BlazeFaceDetector(fakeModel(256, 5, calls), fakeModel(128, 5, calls), ops);
    const faces = await det.detect(grey(1024), { scoreThreshold: 0, verifyThreshold: 0, minFaceSize: 24 });
    expect(faces.length).toBeGreaterThan(1000);
    expect(faces.length).toBeLessThanOrEqual(MAX_CANDIDATES);
  });
});
