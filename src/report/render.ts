/**
 * Render Vega-Lite specs to SVG in Node, without a browser, and SVG to PNG with sharp.
 */

import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Compile a Vega-Lite spec and render it to a standalone SVG document string (headless Vega
 * view, renderer 'none'; text widths are estimated, so the SVG looks the same everywhere).
 *
 * @throws Error when the spec does not compile (Vega-Lite's message)
 */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const vgSpec = compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg;
  } finally {
    view.finalize();
  }
}

/**
 * Rasterise an SVG string to PNG.
 * @param scale pixel density relative to the SVG's CSS pixels (default 2, for sharp text)
 */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}
