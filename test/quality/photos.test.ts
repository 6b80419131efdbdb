import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, expect, it } from 'vitest';
import { Tagger } from '../../src/pipeline/tag.js';
import type { RgbImage } from '../../src/image/decode.js';
import type { Face } from '../../src/types.js';
import { describeShared } from '../helpers/shared.js';

/** The photo as RGB pixels, rotated clockwise by `deg` (sharp: positive = clockwise; corners mid-grey) and/or mirrored. */
async function load(path: string, deg = 0, mirrored = false): Promise<RgbImage> {
  let img = sharp(path).rotate(deg, { background: '#808080' });
  if (mirrored) img = sharp(await img.png().toBuffer()).flop();
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

describeShared('head pose and quality on real photos (../shared/data/photos)', ['data/photos/grace_hopper.jpg', 'data/photos/astronaut.png', 'data/photos/man_three_quarter.jpg', 'data/photos/cameraman.png'], ([grace, astronaut, man, cameraman]) => {
  let tagger: Tagger;
  const face = async (img: RgbImage): Promise<Face> => {
    const faces = await tagger.analyzeImage(img);
    expect(faces.length).toBe(1);
    return faces[0];
  };
  beforeAll(async () => {
    tagger = await Tagger.create({ threads: 1 });
  });

  // The photo's own roll is unknown, so it is estimated as the mean of roll(θ) − θ over the rotations; each
  // rotation's error is its deviation from that mean. Measured (docs/quality.md): at most 2.0° over ±10°–45°.
  for (const [name, path] of [['grace_hopper.jpg', () => grace], ['astronaut.png', () => astronaut]] as const) {
    it(`${name} rotated by known angles: roll follows the rotation within 3°`, async () => {
      const angles = [-30, -15, 0, 15, 30];
      const offsets: number[] = [];
      for (const a of angles) offsets.push((await face(await load(path(), a))).pose!.roll - a);
      const mean = offsets.reduce((s, v) => s + v, 0) / offsets.length;
      for (const o of offsets) expect(Math.abs(o - mean)).toBeLessThan(3);
      // These portraits stand nearly upright: their own roll is small.
      expect(Math.abs(mean)).toBeLessThan(5);
    }, 60_000);
  }

  it('the four upright looks: a face scores high and gives the pose keypoints; a flat grey patch scores near 0', async () => {
    const img = await load(grace);
    const [d] = await tagger.detector.detect(img);
    const looks = await tagger.detector.uprightLooks(img, d);
    expect(looks.score).toBeGreaterThan(0.7);
    expect(looks.score).toBeLessThanOrEqual(1);
    expect(looks.keypoints).toEqual(await tagger.detector.uprightKeypoints(img, d));
    const grey: RgbImage = { data: new Uint8Array(256 * 256 * 3).fill(128), width: 256, height: 256 };
    const fake = { ...d, box: { x: 64, y: 64, width: 100, height: 100 }, landmarks: d.landmarks.map(([x, y]) => [x - d.box.x + 64, y - d.box.y + 64] as [number, number]) };
    // Each look keeps its best centred anchor above 0.01: on flat grey that is a near-zero score, far below 0.6.
    expect((await tagger.detector.uprightLooks(grey, fake)).score).toBeLessThan(0.1);
  }, 60_000);

  it('mirrored photos give opposite yaw (three-quarter and profile faces)', async () => {
    for (const path of [man, cameraman]) {
      const a = (await face(await load(path))).pose!;
      const b = (await face(await load(path, 0, true))).pose!;
      expect(Math.abs(a.yaw)).toBeGreaterThan(20);
      expect(Math.sign(b.yaw)).toBe(-Math.sign(a.yaw));
      expect(Math.abs(a.yaw + b.yaw)).toBeLessThan(3);
      expect(Math.abs(a.roll + b.roll)).toBeLessThan(3);
    }
  }, 60_000);

  it('yaw orders the faces: frontal portraits near 0, the three-quarter face (turned to its right) negative and larger', async () => {
    const g = (await face(await load(grace))).pose!;
    const s = (await face(await load(astronaut))).pose!;
    const m = (await face(await load(man))).pose!;
    expect(Math.abs(g.yaw)).toBeLessThan(5);
    expect(Math.abs(s.yaw)).toBeLessThan(5);
    expect(m.yaw).toBeLessThan(-20);
    expect(m.yaw).toBeGreaterThan(-60);
  }, 60_000);

  it('a blurred or downscaled photo gives a less sharp face at the same brightness; eye distance follows the scale', async () => {
    const q = (await face(await load(grace))).quality!;
    const { data, info } = await sharp(grace).blur(3).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const b = (await face({ data: new Uint8Array(data), width: info.width, height: info.height })).quality!;
    const small = await sharp(grace).resize({ width: 128 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const d = (await face({ data: new Uint8Array(small.data), width: small.info.width, height: small.info.height })).quality!;
    expect(b.sharpness).toBeLessThan(q.sharpness / 3);
    expect(d.sharpness).toBeLessThan(q.sharpness / 3);
    expect(Math.abs(b.brightness - q.brightness)).toBeLessThan(0.03);
    expect(d.eye_distance / q.eye_distance).toBeCloseTo(128 / 512, 1);
  }, 60_000);
});
