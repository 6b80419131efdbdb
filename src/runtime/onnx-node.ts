import * as ort from 'onnxruntime-node';
import { ortElementType, type FloatTensor, type InputTensor, type ModelRunner } from './onnx.js';

/** Options for {@link loadOnnxModel}. */
export interface OnnxLoadOptions {
  /** Intra-op threads for this session; default 1 (parallelism comes from running photos side by side). */
  threads?: number;
}

/**
 * Load an ONNX model file with onnxruntime-node (CPU execution provider).
 * @throws Error naming the file when it is missing or not a valid ONNX model.
 */
export async function loadOnnxModel(path: string, options: OnnxLoadOptions = {}): Promise<ModelRunner> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // No memory pattern: onnxruntime plans (and keeps) one pattern per input shape, and the full-range detector
      // sees a new shape for nearly every pyramid level of every photo size. Without it the arena holds about
      // 70–90 MB less per worker after a 1024x768 level at the same speed (docs/performance.md, issue 13).
      enableMemPattern: false,
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new Error(`${path}: cannot load ONNX model (${(err as Error).message})`);
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds: Record<string, InputTensor>): Promise<Record<string, FloatTensor>> {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(ortElementType(v), v.data, v.dims);
      const out = await session.run(ortFeeds);
      const res: Record<string, FloatTensor> = {};
      for (const [k, v] of Object.entries(out)) res[k] = { data: v.data as Float32Array, dims: v.dims };
      return res;
    },
    release: () => session.release(),
  };
}
