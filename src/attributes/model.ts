import type { RgbImage } from '../image/rgb.js';
import { cropRgb, type ImageOps } from '../image/ops.js';
import type { ModelRunner } from '../runtime/onnx.js';
import type { AttributeDecisions, AttributeScores } from '../types.js';
import { TEMPLATE_HEIGHT, TEMPLATE_WIDTH } from '../align/template.js';
import type { Sidecar } from './sidecar.js';

/** The attribute model's answer for one face. */
export interface AttributePrediction {
  attributes: AttributeScores;
  decisions: AttributeDecisions;
}

/**
 * The attribute model returned a value that is not a probability: NaN or infinite (or, for a model whose outputs are
 * probabilities, outside [0, 1]). Such a value would become decision false, `null` in JSON and `NaN` in CSV, so the
 * photo is reported instead: its record gets `error.code` = {@link ModelOutputError.code} (`invalid_model_output`).
 */
export class ModelOutputError extends Error {
  readonly code = 'invalid_model_output';
  constructor(message: string) {
    super(message);
    this.name = 'ModelOutputError';
  }
}

/**
 * The attribute classifier: an ONNX model with 40 outputs plus its JSON sidecar (see {@link Sidecar}).
 * Input: canonical 178x218 crops from `alignFace`, run as one batch. Two kinds of model (sidecar `input.dtype`):
 * - 'uint8' (the shipped model): the crop bytes go in as they are (NHWC [N, 218, 178, 3]); the graph cuts,
 *   resizes (PIL's bilinear weights) and normalises inside itself, so there is no per-face image work here.
 * - 'float32': the sidecar's `input.region` of each crop is resized to the model's input size through the
 *   {@link ImageOps} seam (`portableImageOps` in Node and the browser: PIL's bilinear resampling, as used in
 *   training), normalised `(pixel/255 - mean) / std` per channel and laid out NCHW or NHWC.
 */
export class AttributeModel {
  /** Use `loadAttributeModel` (Node) to build one from a model folder. */
  constructor(
    readonly sidecar: Sidecar,
    private readonly runner: ModelRunner,
    private readonly ops: ImageOps,
  ) {}

  /** Free the model's session ({@link ModelRunner.release}); the model must not be used afterwards. */
  async release(): Promise<void> {
    await this.runner.release?.();
  }

  /** Attribute names in output order (CelebA's). */
  get names(): readonly string[] {
    return this.sidecar.attributes;
  }

  /**
   * The input tensor data for one canonical crop, `3 * H * W` values: the crop's own bytes for a 'uint8'
   * model (see the class comment), else float32 in NCHW or NHWC order.
   * @throws RangeError when the crop is not 178x218, or a 'uint8' model's input is not the whole crop in NHWC.
   */
  async preprocess(crop: RgbImage): Promise<Float32Array | Uint8Array> {
    if (crop.width !== TEMPLATE_WIDTH || crop.height !== TEMPLATE_HEIGHT) {
      throw new RangeError(`expected a ${TEMPLATE_WIDTH}x${TEMPLATE_HEIGHT} canonical crop but received ${crop.width}x${crop.height}`);
    }
    const { width: W, height: H, region: r, mean, std, layout } = this.sidecar.input;
    if (this.sidecar.input.dtype === 'uint8') {
      if (W !== crop.width || H !== crop.height || layout !== 'NHWC') {
        throw new RangeError(`a uint8 attribute model must take the whole ${crop.width}x${crop.height} crop in NHWC, not ${W}x${H} ${layout}`);
      }
      return crop.data;
    }
    const left = Math.round(r.x), top = Math.round(r.y), rw = Math.round(r.width), rh = Math.round(r.height);
    const region = left === 0 && top === 0 && rw === crop.width && rh === crop.height ? crop : cropRgb(crop, left, top, rw, rh);
    const px = (await this.ops.resize(region, W, H)).data;
    const out = new Float32Array(3 * W * H);
    for (let i = 0; i < W * H; i++) {
      for (let c = 0; c < 3; c++) {
        const v = (px[3 * i + c] / 255 - mean[c]) / std[c];
        if (layout === 'NCHW') out[c * W * H + i] = v;
        else out[3 * i + c] = v;
      }
    }
    return out;
  }

  /**
   * Predict the 40 attributes for a batch of canonical crops.
   * @returns one prediction per crop, in order; probabilities in [0, 1] (with the sidecar's per-attribute
   *   temperature applied when present); decisions `probability >= threshold`.
   * @throws ModelOutputError when an output is NaN or infinite (a logit of ±Infinity is a valid 1 or 0), or a
   *   probability lies outside [0, 1]; the message names the face (0-based, in batch order) and the attribute.
   */
  async predict(crops: readonly RgbImage[]): Promise<AttributePrediction[]> {
    if (crops.length === 0) return [];
    const { width: W, height: H, layout } = this.sidecar.input;
    const per = 3 * W * H;
    const batch = this.sidecar.input.dtype === 'uint8' ? new Uint8Array(per * crops.length) : new Float32Array(per * crops.length);
    // All crops at once (an ImageOps may resample them side by side).
    const inputs = await Promise.all(crops.map((c) => this.preprocess(c)));
    inputs.forEach((t, i) => batch.set(t, i * per));
    const dims = layout === 'NCHW' ? [crops.length, 3, H, W] : [crops.length, H, W, 3];
    const inputName = this.sidecar.input.input_name ?? this.runner.inputNames[0];
    const res = await this.runner.run({ [inputName]: { data: batch, dims } });
    const out = res[this.runner.outputNames[0]].data;
    const names = this.names;
    const n = names.length;
    if (out.length !== n * crops.length) throw new Error(`attribute model returned ${out.length} values for ${crops.length} faces, expected ${n * crops.length}`);
    return crops.map((_, i) => {
      const attributes: AttributeScores = {};
      const decisions: AttributeDecisions = {};
      for (let k = 0; k < n; k++) {
        const name = names[k];
        let p = out[i * n + k];
        const valid = this.sidecar.output === 'logits' ? !Number.isNaN(p) : p >= 0 && p <= 1;
        if (!valid) throw new ModelOutputError(`the attribute model returned ${p} for ${name} of face ${i} (expected ${this.sidecar.output === 'logits' ? 'a logit' : 'a probability in [0, 1]'})`);
        const T = this.sidecar.temperature?.[name];
        if (this.sidecar.output === 'logits') p = 1 / (1 + Math.exp(-p / (T ?? 1)));
        else if (T !== undefined && T !== 1) {
          const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
          p = 1 / (1 + Math.exp(-Math.log(q / (1 - q)) / T));
        }
        attributes[name] = p;
        decisions[name] = p >= this.sidecar.thresholds[name];
      }
      return { attributes, decisions };
    });
  }
}
