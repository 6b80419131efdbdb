import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, expect, it } from 'vitest';
import type { BlazeFaceDetector } from '../../src/detect/index.js';
import { createDetector } from '../../src/detect/load-node.js';
import type { RgbImage } from '../../src/image/decode.js';
import { describeShared } from '../helpers/shared.js';

/**
 * A 2000x1500 "group photo" composed from CelebA-HQ portraits pasted at known positions and sizes, so that
 * the face boxes range from about 32 px to 400 px. In a 128 px CelebA-HQ photo the BlazeFace box is about
 * 83 px wide, so a portrait pasted at side S has a face of about 0.65*S.
 */
const FACE_SIDES = [32, 36, 40, 48, 56, 64, 80, 96, 128, 160, 200, 260, 330, 400];
const PHOTOS = ['0.jpg', '1.jpg', '3.jpg', '5.jpg', '6.jpg', '7.jpg', '8.jpg', '9.jpg', '10.jpg', '11.jpg', '12.jpg', '13.jpg', '14.jpg', '15.jpg'];

describeShared('tiled detection of small and large faces in a 2000 px photo', ['data/celeba-hq/images'], ([hqDir]) => {
  let detector: BlazeFaceDetector;
  let canvas: RgbImage;
  const placed: { cx: number; cy: number; face: number }[] = [];

  beforeAll(async () => {
    detector = await createDetector();
    const W = 2000, H = 1500;
    const composites: sharp.OverlayOptions[] = [];
    let x = 20, y = 20, rowH = 0;
    for (const [i, faceSide] of FACE_SIDES.entries()) {
      const side = Math.round(faceSide / 0.65);
      if (x + side > W - 20) { x = 20; y += rowH + 40; rowH = 0; }
      const input = await sharp(join(hqDir, PHOTOS[i])).resize(side, side, { kernel: 'lanczos3' }).toBuffer();
      composites.push({ input, left: x, top: y });
      placed.push({ cx: x + side / 2, cy: y + side * 0.58, face: faceSide });
      x += side + 60;
      rowH = Math.max(rowH, side);
    }
    const { data, info } = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 128, g: 120, b: 110 } } })
      .composite(composites).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    canvas = { data: new Uint8Array(data), width: info.width, height: info.height };
  });

  it('finds every face from 32 px to 400 px, each once, near its true position', async () => {
    const faces = await detector.detect(canvas);
    const missed: number[] = [];
    for (const p of placed) {
      const hits = faces.filter((f) => Math.hypot(f.box.x + f.box.width / 2 - p.cx, f.box.y + f.box.height / 2 - p.cy) < p.face * 0.5);
      if (hits.length === 0) missed.push(p.face);
      else expect(hits.length, `face of ${p.face} px found more than once`).toBe(1);
    }
    expect(missed, `missed faces of these sizes (px)`).toEqual([]);
    expect(faces.length).toBe(FACE_SIDES.length);
  });
});
