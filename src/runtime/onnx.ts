/**
 * The inference seam: detect/align/attributes code talks to this interface only, so the same code
 * runs on onnxruntime-node (CLI) and onnxruntime-web (browser).
 */

/** A dense float32 tensor: `data.length` equals the product of `dims`. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** A loaded ONNX model that maps named float32 inputs to named float32 outputs. */
export interface ModelRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>>;
}
