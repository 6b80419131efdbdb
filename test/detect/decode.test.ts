import { describe, expect, it } from 'vitest';
import { anchorCentres, BLAZEFACE_HEADS, headsForInput } from '../../src/detect/anchors.js';
import { decodeHead, REGRESSOR_SIZE } from '../../src/detect/decode.js';

describe('BlazeFace anchors', () => {
  it('places 512 + 384 anchors at cell centres in output order', () => {
    const a1 = anchorCentres(BLAZEFACE_HEADS[0]);
    const a2 = anchorCentres(BLAZEFACE_HEADS[1]);
    expect(a1.length / 2).toBe(512);
    expect(a2.length / 2).toBe(384);
    // head 1: cell (0,0) has anchors 0 and 1 at (1/32, 1/32); anchor 2 is cell (1,0) at (3/32, 1/32)
    expect([a1[0], a1[1], a1[2], a1[3]]).toEqual([1 / 32, 1 / 32, 1 / 32, 1 / 32]);
    expect([a1[4], a1[5]]).toEqual([3 / 32, 1 / 32]);
    // head 1 last anchor: cell (15,15)
    expect([a1[1022], a1[1023]]).toEqual([31 / 32, 31 / 32]);
    // head 2: anchors 6..11 are cell (1,0) of an 8x8 grid
    expect([a2[12], a2[13]]).toEqual([3 / 16, 1 / 16]);
    // first anchor of row 1 of head 2: index 8*6 = 48
    expect([a2[96], a2[97]]).toEqual([1 / 16, 3 / 16]);
  });
});

describe('decodeHead', () => {
  const head = BLAZEFACE_HEADS[1]; // 8x8x6 = 384 anchors
  const n = 384;

  function tensors() {
    const logits = new Float32Array(n).fill(-10);
    const regs = new Float32Array(n * REGRESSOR_SIZE);
    return { logits, regs };
  }

  it('decodes box, score and keypoints of one anchor in input pixels', () => {
    const { logits, regs } = tensors();
    // anchor index 6*(8*2+3) + 4 = cell (3, 2), 5th anchor: centre ((3+0.5)/8, (2+0.5)/8) * 128 = (56, 40)
    const i = 6 * (8 * 2 + 3) + 4;
    logits[i] = Math.log(0.9 / 0.1); // sigmoid = 0.9
    const r = i * REGRESSOR_SIZE;
    regs.set([2, -3, 40, 50], r); // centre offset (+2, -3), size 40x50
    for (let k = 0; k < 6; k++) regs.set([k, -k], r + 4 + 2 * k);
    const dets = decodeHead(logits, regs, head, 128, 0.5);
    expect(dets).toHaveLength(1);
    const d = dets[0];
    expect(d.score).toBeCloseTo(0.9, 6);
    // centre (58, 37), size 40x50 → top-left (38, 12)
    expect(d.box.x).toBeCloseTo(38, 5);
    expect(d.box.y).toBeCloseTo(12, 5);
    expect(d.box.width).toBeCloseTo(40, 5);
    expect(d.box.height).toBeCloseTo(50, 5);
    expect(d.landmarks).toHaveLength(6);
    d.landmarks.forEach(([x, y], k) => {
      expect(x).toBeCloseTo(56 + k, 5);
      expect(y).toBeCloseTo(40 - k, 5);
    });
  });

  it('applies the score threshold on the sigmoid of the logit', () => {
    const { logits, regs } = tensors();
    logits[0] = Math.log(0.7 / 0.3); // 0.7
    logits[1] = Math.log(0.4 / 0.6); // 0.4
    expect(decodeHead(logits, regs, head, 256, 0.5)).toHaveLength(1);
    expect(decodeHead(logits, regs, head, 256, 0.3)).toHaveLength(2);
    expect(decodeHead(logits, regs, head, 256, 0.75)).toHaveLength(0);
  });

  it('scales anchor positions with the input size (256 model)', () => {
    const { logits, regs } = tensors();
    logits[0] = 5;
    const [d] = decodeHead(logits, regs, head, 256, 0.5);
    // cell (0,0) centre = (1/16, 1/16) * 256 = (16, 16), zero-size box at the centre
    expect(d.box.x).toBeCloseTo(16, 6);
    expect(d.box.y).toBeCloseTo(16, 6);
    expect(d.landmarks[0]).toEqual([16, 16]);
  });

  it('refuses tensors that do not match the head', () => {
    expect(() => decodeHead(new Float32Array(10), new Float32Array(160), head, 128, 0.5)).toThrow(/expected 384 scores/);
  });
});

describe('size-free full-range heads (whole-level inference)', () => {
  it('scales each grid with the input, keeping strides 16 and 32', () => {
    const [h1, h2] = headsForInput(768, 576, 256);
    expect(h1).toEqual({ cells: 48, rows: 36, anchorsPerCell: 2 });
    expect(h2).toEqual({ cells: 24, rows: 18, anchorsPerCell: 6 });
    expect(headsForInput(256, 256, 256)).toEqual([{ cells: 16, rows: 16, anchorsPerCell: 2 }, { cells: 8, rows: 8, anchorsPerCell: 6 }]);
    expect(() => headsForInput(300, 256, 256)).toThrow(/multiples of 32 pixels but received 300x256/);
  });

  it('places anchors at stride centres in input pixels on a non-square input', () => {
    const [h1] = headsForInput(96, 64, 256); // 6 x 4 cells of 16 px, 2 anchors each
    const a = anchorCentres(h1);
    expect(a.length / 2).toBe(6 * 4 * 2);
    // cell (5, 3) = anchors 2*(3*6+5) and +1: centre ((5.5)/6, (3.5)/4) -> (88, 56) px
    const i = 2 * (3 * 6 + 5);
    expect(a[2 * i] * 96).toBeCloseTo(88, 4);
    expect(a[2 * i + 1] * 64).toBeCloseTo(56, 4);
    const logits = new Float32Array(48).fill(-10);
    const regs = new Float32Array(48 * REGRESSOR_SIZE);
    logits[i] = 3;
    regs.set([1, 2, 10, 12], i * REGRESSOR_SIZE);
    const [d] = decodeHead(logits, regs, h1, 96, 0.5, 64);
    expect(d.box.x).toBeCloseTo(84, 4);
    expect(d.box.y).toBeCloseTo(52, 4);
    expect([d.box.width, d.box.height]).toEqual([10, 12]);
    expect(d.landmarks[0][0]).toBeCloseTo(88, 4);
    expect(d.landmarks[0][1]).toBeCloseTo(56, 4);
    expect(() => decodeHead(logits, regs, h1, 96, 0.5)).not.toThrow(); // anchors depend on the head, not the size
  });
});
