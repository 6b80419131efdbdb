import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/load-node.js';
import { decodeImageFile, type RgbImage } from '../../src/image/decode.js';
import type { Detection } from '../../src/types.js';
import { describeShared } from '../helpers/shared.js';
import { meanAbsDiff, tempDir } from './fixtures.js';

/**
 * EXIF orientation: each fixture stores the upright photo's pixels physically transformed the way a
 * camera would, plus the Orientation tag that undoes it. Tag N means "to display, apply T_N"; we store
 * T_N⁻¹(upright). 3: rotate 180. 6: display rotates 90° clockwise, so store rotated 270°. 8: the reverse.
 * (Tags 2, 4, 5, 7 add a mirror; sharp's .rotate() handles all eight, we check the three cameras write.)
 */
const ORIENTATIONS = [
  { tag: 3, storeRotation: 180 },
  { tag: 6, storeRotation: 270 },
  { tag: 8, storeRotation: 90 },
] as const;

/** Upright JPEG (quality 95) and the oriented versions of it, written into `dir`. */
async function writeOriented(upright: Buffer, file: (name: string, b: Buffer) => Promise<string>, stem: string) {
  const uprightPath = await file(`${stem}-upright.jpg`, upright);
  const oriented: { tag: number; path: string }[] = [];
  for (const { tag, storeRotation } of ORIENTATIONS) {
    // sharp 0.34: .rotate(angle) transforms the pixels; .withMetadata({ orientation }) writes the EXIF tag.
    const bytes = await sharp(upright).rotate(storeRotation).jpeg({ quality: 95 }).withMetadata({ orientation: tag }).toBuffer();
    oriented.push({ tag, path: await file(`${stem}-o${tag}.jpg`, bytes) });
  }
  return { uprightPath, oriented };
}

describeShared('EXIF orientation', ['data/photos/grace_hopper.jpg', 'data/photos/family_of_7.jpg'], ([hopper, family]) => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(() => tmp?.cleanup());

  it('decodes tags 3, 6, 8 to the upright size and pixels', async () => {
    // Non-square (512x384, multiples of 16 so JPEG blocks line up after rotation): a missed 90° turn shows in the size.
    const upright = await sharp(hopper).extract({ left: 0, top: 32, width: 512, height: 384 }).jpeg({ quality: 95 }).toBuffer();
    const { uprightPath, oriented } = await writeOriented(upright, tmp.file, 'hopper');
    const ref = await decodeImageFile(uprightPath);
    expect([ref.width, ref.height]).toEqual([512, 384]);

    for (const { tag, path } of oriented) {
      const meta = await sharp(path).metadata();
      expect(meta.orientation, `EXIF orientation of ${path}`).toBe(tag);
      // Stored size: swapped for the 90° tags.
      expect([meta.width, meta.height]).toEqual(tag === 3 ? [512, 384] : [384, 512]);

      const img = await decodeImageFile(path);
      expect([img.width, img.height], `tag ${tag}`).toEqual([512, 384]);
      expect(img.data.length).toBe(512 * 384 * 3);
      const mad = meanAbsDiff(ref.data, img.data);
      expect(mad, `tag ${tag}: mean abs diff to upright`).toBeLessThan(2);
    }

    // The check can fail: tag 3's stored pixels (upside down) really are far from upright.
    const raw = await sharp(oriented[0].path).removeAlpha().raw().toBuffer();
    expect(meanAbsDiff(ref.data, raw)).toBeGreaterThan(20);
  });

  it('the detector finds the same faces in every orientation (family_of_7, 7 faces)', async () => {
    const detector = await createDetector();
    // Crop to 1024x864 (all 7 faces kept) so the 90° versions are not square.
    const upright = await sharp(family).extract({ left: 0, top: 96, width: 1024, height: 864 }).jpeg({ quality: 95 }).toBuffer();
    const { uprightPath, oriented } = await writeOriented(upright, tmp.file, 'family');
    const base = await detector.detect(await decodeImageFile(uprightPath));
    expect(base).toHaveLength(7);

    for (const { tag, path } of oriented) {
      const img: RgbImage = await decodeImageFile(path);
      expect([img.width, img.height]).toEqual([1024, 864]);
      const found = await detector.detect(img);
      expect(found, `tag ${tag}: face count`).toHaveLength(7);
      for (const face of base) {
        const match = nearest(face, found);
        const [cx, cy] = centre(face);
        const [mx, my] = centre(match);
        const off = Math.hypot(mx - cx, my - cy);
        expect(off, `tag ${tag}: face at (${cx.toFixed(0)}, ${cy.toFixed(0)}) centre offset`).toBeLessThan(5);
        expect(Math.abs(match.box.width - face.box.width), `tag ${tag}: box width`).toBeLessThan(5);
        expect(Math.abs(match.box.height - face.box.height), `tag ${tag}: box height`).toBeLessThan(5);
      }
    }
  });
});

function centre(d: Detection): [number, number] {
  return [d.box.x + d.box.width / 2, d.box.y + d.box.height / 2];
}

function nearest(d: Detection, among: Detection[]): Detection {
  const [x, y] = centre(d);
  let best = among[0];
  let bestDist = Infinity;
  for (const o of among) {
    const [u, v] = centre(o);
    const dist = Math.hypot(u - x, v - y);
    if (dist < bestDist) [best, bestDist] = [o, dist];
  }
  return best;
}
