import { z } from 'zod';
import { CELEBA_ATTRIBUTES } from './names.js';

/**
 * Validation counts and metrics of one attribute, measured on the validation split
 * (never the training split). `sensitivity` = tp / (tp + fn), `specificity` = tn / (tn + fp),
 * `balanced_accuracy` = (sensitivity + specificity) / 2, `baseline` = accuracy of always
 * predicting the more common label. All rates in [0, 1].
 */
export const AttributeValidationSchema = z.object({
  tp: z.number().int().nonnegative(),
  fn: z.number().int().nonnegative(),
  tn: z.number().int().nonnegative(),
  fp: z.number().int().nonnegative(),
  accuracy: z.number().min(0).max(1),
  balanced_accuracy: z.number().min(0).max(1),
  baseline: z.number().min(0).max(1),
  sensitivity: z.number().min(0).max(1),
  specificity: z.number().min(0).max(1),
  ece: z.number().min(0).max(1).optional(),
});
export type AttributeValidation = z.infer<typeof AttributeValidationSchema>;

/**
 * The JSON sidecar that ships beside an attribute ONNX model (`models/<name>/attributes.json`).
 *
 * - `input.region`: the part of the canonical 178x218 CelebA-aligned frame the model sees, in
 *   template pixels; it is resized to `input.width` x `input.height`.
 * - `input.mean` / `input.std`: per-channel RGB normalisation applied to pixel/255.
 * - `input.dtype`: 'float32' (default): the region is resized and normalised here and fed as float32;
 *   'uint8': the graph takes the raw crop bytes (NHWC, `width` x `height` = the region, no resize here) and
 *   cuts, resizes and normalises inside itself (`training/in_graph_preprocess.py`); `input.network` then
 *   describes the network input it builds (informational, not read by facetally): one object, or for an ensemble
 *   of networks inside one graph (each with its own input size) a list of them, one per member.
 * - `output`: whether the ONNX output is already probabilities or logits (sigmoid applied here).
 * - `temperature`: optional per-attribute temperature (logit / T) fitted on the validation split.
 * - `thresholds`: per-attribute decision threshold in [0, 1], chosen on the validation split.
 * - `validation.per_attribute`: counts and metrics on the validation split at those thresholds;
 *   the sensitivity/specificity here feed the Rogan–Gladen correction in `facetally compare`.
 *
 * Fields not named here (e.g. a description of an ensemble's members) are allowed and ignored; the ONNX file may
 * be any size or graph as long as it takes the input above and returns [N, 40].
 */
export const SidecarSchema = z.object({
  format: z.literal('facetally-attributes/1'),
  model: z.string().min(1),
  attributes: z.array(z.string()).length(40),
  input: z.object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    layout: z.enum(['NCHW', 'NHWC']),
    region: z.object({ x: z.number(), y: z.number(), width: z.number().positive(), height: z.number().positive() }),
    mean: z.array(z.number()).length(3),
    std: z.array(z.number().positive()).length(3),
    input_name: z.string().optional(),
    dtype: z.enum(['float32', 'uint8']).optional(),
    network: z.union([z.record(z.unknown()), z.array(z.record(z.unknown()))]).optional(),
  }),
  output: z.enum(['probabilities', 'logits']),
  temperature: z.record(z.number().positive()).optional(),
  thresholds: z.record(z.number().min(0).max(1)),
  validation: z.object({
    split: z.string(),
    n: z.number().int().nonnegative(),
    mean_accuracy: z.number().min(0).max(1),
    mean_balanced_accuracy: z.number().min(0).max(1),
    mean_baseline: z.number().min(0).max(1),
    per_attribute: z.record(AttributeValidationSchema),
  }),
  training: z.record(z.unknown()),
});
export type Sidecar = z.infer<typeof SidecarSchema>;

/**
 * Parse and check a sidecar object.
 * @throws Error naming `source` and the first problem when the object does not match the schema,
 *   or when `attributes` is not CelebA's 40 names in CelebA order.
 */
export function parseSidecar(json: unknown, source: string): Sidecar {
  const r = SidecarSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${source}: invalid attribute-model sidecar: ${issue.path.join('.')}: ${issue.message}`);
  }
  const names = r.data.attributes;
  for (let i = 0; i < CELEBA_ATTRIBUTES.length; i++) {
    if (names[i] !== CELEBA_ATTRIBUTES[i]) {
      throw new Error(`${source}: attribute ${i} is "${names[i]}", expected CelebA's "${CELEBA_ATTRIBUTES[i]}"`);
    }
    if (!(names[i] in r.data.thresholds)) throw new Error(`${source}: no threshold for ${names[i]}`);
  }
  return r.data;
}
