/**
 * The inference seam: detect/align/attributes code talks to this interface only, so the same code
 * runs on onnxruntime-node (CLI) and onnxruntime-web (browser).
 */

/** A dense float32 tensor: `data.length` equals the product of `dims`. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** A model input: float32 values, or raw 0-255 bytes (uint8); `data.length` equals the product of `dims`. */
export interface InputTensor {
  data: Float32Array | Uint8Array;
  dims: readonly number[];
}

/** The onnxruntime element type of an input tensor: 'uint8' for a Uint8Array, else 'float32'. */
export function ortElementType(t: InputTensor): 'uint8' | 'float32' {
  return t.data instanceof Uint8Array ? 'uint8' : 'float32';
}

/** A loaded ONNX model that maps named float32 or uint8 inputs to named float32 outputs. */
export interface ModelRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, InputTensor>): Promise<Record<string, FloatTensor>>;
  /**
   * Free the session's native memory (onnxruntime's `InferenceSession.release`). The runner must not be used
   * afterwards. Optional: test doubles hold nothing to free.
   */
  release?(): Promise<void>;
}
