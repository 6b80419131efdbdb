import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portableImageOps } from '../image/resample.js';
import { loadOnnxModel, type OnnxLoadOptions } from '../runtime/onnx-node.js';
import { AttributeModel } from './model.js';
import { parseSidecar } from './sidecar.js';

/** The model shipped in this package: `models/celeba-attributes/` beside `dist/` and `src/`. */
export const DEFAULT_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/celeba-attributes');

/**
 * Load `attributes.json` and its ONNX file from a model folder (Node: fs, onnxruntime-node, sharp).
 * @throws Error naming the file when the sidecar is missing or invalid or the ONNX file cannot be loaded.
 */
export async function loadAttributeModel(dir: string = DEFAULT_MODEL_DIR, options: OnnxLoadOptions = {}): Promise<AttributeModel> {
  const sidecarPath = join(dir, 'attributes.json');
  let text: string;
  try {
    text = await readFile(sidecarPath, 'utf8');
  } catch {
    throw new Error(`${sidecarPath}: attribute model sidecar not found (expected attributes.json and its ONNX file in ${dir})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${sidecarPath}: not valid JSON (${(err as Error).message})`);
  }
  const sidecar = parseSidecar(json, sidecarPath);
  const runner = await loadOnnxModel(join(dir, sidecar.model), options);
  return new AttributeModel(sidecar, runner, portableImageOps);
}
