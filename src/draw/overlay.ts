import sharp from 'sharp';
import type { RgbImage } from '../image/rgb.js';
import type { Detection, Face } from '../types.js';
import { placeLabels } from './layout.js';

/** Options for {@link renderOverlay}. */
export interface OverlayOptions {
  /** How many of each face's most probable positive attributes to print beside it. Default 4. */
  topAttributes?: number;
  /**
   * Draw each face's head-pose axes from the nose tip (faces with a `pose`): red = the face's x axis (towards the
   * photo's right when frontal), green = y (down), blue = z (where the nose points). Default false.
   */
  poseAxes?: boolean;
}

/**
 * Stroke width and keypoint radius for one face, in photo pixels, from its box's longer side `side`: the box line
 * is side/60 (at least 0.75 px, at most 6 px), a keypoint dot's radius side/45 (at least 1 px, at most 8 px) — so
 * on a 50 px face the dots are about 2 px across, smaller than its eyes, whatever the photo's size.
 */
export function faceMarkSizes(side: number): { stroke: number; radius: number } {
  return { stroke: Math.min(6, Math.max(0.75, side / 60)), radius: Math.min(8, Math.max(1, side / 45)) };
}

/**
 * The head-pose axes of a face as 2D vectors (photo pixels per unit length; x right, y down): the head frame's
 * x, y and z axes turned by yaw (about y), then pitch (about x), then roll (in the photo plane), seen by an
 * orthographic camera — the model of `estimateHeadPose`.
 */
export function poseAxes(pose: { yaw: number; pitch: number; roll: number }): [number, number][] {
  const r = Math.PI / 180;
  const [cy, sy, cp, sp, cr, sr] = [Math.cos(pose.yaw * r), Math.sin(pose.yaw * r), Math.cos(pose.pitch * r), Math.sin(pose.pitch * r), Math.cos(pose.roll * r), Math.sin(pose.roll * r)];
  return ([[1, 0, 0], [0, 1, 0], [0, 0, 1]] as const).map(([x, y, z]) => {
    const x1 = x * cy + z * sy, z1 = -x * sy + z * cy;
    const y2 = y * cp - z1 * sp;
    return [x1 * cr - y2 * sr, x1 * sr + y2 * cr];
  });
}

const LANDMARK_COLOURS = ['#00e5ff', '#00e5ff', '#ffea00', '#ff4081', '#76ff03', '#76ff03'];

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/**
 * The lines of text drawn beside a face: its index and detector score, then the `top` attributes
 * decided positive, by descending probability (e.g. `Smiling 0.97`).
 */
export function faceLabelLines(face: Detection | Face, index: number, top: number): string[] {
  const lines = [`#${index} face ${face.score.toFixed(2)}`];
  if ('attributes' in face) {
    const pos = Object.entries(face.attributes)
      .filter(([name]) => face.decisions[name])
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    for (const [name, p] of pos) lines.push(`${name} ${p.toFixed(2)}`);
  }
  return lines;
}

/**
 * Draw boxes, the six keypoints and the top attributes of each face over the photo, as PNG bytes (the SVG of
 * {@link overlaySvg} composited by sharp, librsvg).
 */
export async function renderOverlay(image: RgbImage, faces: readonly (Detection | Face)[], options: OverlayOptions = {}): Promise<Buffer> {
  const svg = overlaySvg(image.width, image.height, faces, options);
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/**
 * The overlay as an SVG of the photo's size: boxes, keypoints, optional pose axes, and labels. Box lines and
 * keypoint dots are sized to each face ({@link faceMarkSizes}), not to the photo, so small faces in a large photo
 * are not hidden under their marks; label text is sized to each face's box too (at least 8 px so that it stays
 * readable), and labels avoid other faces and labels ({@link placeLabels}).
 */
export function overlaySvg(width: number, height: number, faces: readonly (Detection | Face)[], options: OverlayOptions = {}): string {
  const top = options.topAttributes ?? 4;
  const unit = Math.max(1, Math.max(width, height) / 512);
  const shapes: string[] = [];
  const labels: string[] = [];
  // Label text is sized to its face (so neighbours in a group photo collide less), then every label is placed
  // beside its box where it covers no other face and no other label, when there is room (placeLabels).
  const texts = faces.map((f, i) => {
    const lines = faceLabelLines(f, i, top);
    const longest = Math.max(...lines.map((l) => l.length));
    const font = Math.max(8, Math.min(11 * unit, f.box.width / (0.6 * longest)));
    return { lines, font, width: longest * font * 0.6 + 4, height: lines.length * font * 1.2 + 4 };
  });
  const spots = placeLabels(faces.map((f) => f.box), texts, width, height);
  const n2 = (v: number) => Math.round(v * 100) / 100;
  faces.forEach((f, i) => {
    const b = f.box;
    const { stroke, radius } = faceMarkSizes(Math.max(b.width, b.height));
    shapes.push(`<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="none" stroke="#ffea00" stroke-width="${n2(stroke)}"/>`);
    f.landmarks.forEach(([x, y], k) => shapes.push(`<circle cx="${x}" cy="${y}" r="${n2(radius)}" fill="${LANDMARK_COLOURS[k]}" stroke="#000" stroke-width="${n2(radius / 5)}"/>`));
    if (options.poseAxes && 'pose' in f && f.pose && f.landmarks[2]) {
      const [nx, ny] = f.landmarks[2];
      const len = 0.5 * Math.max(b.width, b.height);
      poseAxes(f.pose).forEach(([dx, dy], k) => {
        shapes.push(`<line x1="${nx}" y1="${ny}" x2="${n2(nx + len * dx)}" y2="${n2(ny + len * dy)}" stroke="${['#e6194b', '#3cb44b', '#4363d8'][k]}" stroke-width="${n2(stroke * 1.5)}" stroke-linecap="round"/>`);
      });
    }
    // The face's number inside its box's corner, so a label placed away from the box still names its face.
    const tag = texts[i].font;
    shapes.push(`<rect x="${b.x}" y="${b.y}" width="${tag * 0.6 * (String(i).length + 1) + 4}" height="${tag * 1.2 + 2}" fill="#ffea00"/>`);
    shapes.push(`<text x="${b.x + 2}" y="${b.y + 1 + tag * 0.95}" font-family="DejaVu Sans Mono, monospace" font-size="${tag}" fill="#000">#${i}</text>`);
    const { x: x0, y: y0, width: w, height: h } = spots[i];
    const { lines, font } = texts[i];
    labels.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="#000" fill-opacity="0.6"/>`);
    lines.forEach((l, j) => labels.push(`<text x="${x0 + 2}" y="${y0 + 2 + font * (0.95 + 1.2 * j)}" font-family="DejaVu Sans Mono, monospace" font-size="${font}" fill="#fff">${esc(l)}</text>`));
  });
  const parts = [...shapes, ...labels];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}
