import sharp from 'sharp';
import type { RgbImage } from '../image/rgb.js';
import type { Detection, Face } from '../types.js';
import { placeLabels } from './layout.js';

/** Options for {@link renderOverlay}. */
export interface OverlayOptions {
  /** How many of each face's most probable positive attributes to print beside it. Default 4. */
  topAttributes?: number;
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
 * Draw boxes, the six keypoints and the top attributes of each face over the photo, as PNG bytes.
 * Line widths scale with the photo size, label text with each face's box; labels avoid other faces and labels
 * ({@link placeLabels}). Rendering uses sharp's SVG compositing (librsvg).
 */
export async function renderOverlay(image: RgbImage, faces: readonly (Detection | Face)[], options: OverlayOptions = {}): Promise<Buffer> {
  const top = options.topAttributes ?? 4;
  const unit = Math.max(1, Math.max(image.width, image.height) / 512);
  const stroke = 2 * unit;
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
  const spots = placeLabels(faces.map((f) => f.box), texts, image.width, image.height);
  faces.forEach((f, i) => {
    const b = f.box;
    shapes.push(`<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="none" stroke="#ffea00" stroke-width="${stroke}"/>`);
    f.landmarks.forEach(([x, y], k) => shapes.push(`<circle cx="${x}" cy="${y}" r="${2.5 * unit}" fill="${LANDMARK_COLOURS[k]}" stroke="#000" stroke-width="${unit * 0.5}"/>`));
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
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">${parts.join('')}</svg>`;
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
