/**
 * The photo → record pipeline in the browser: the CLI's detector, alignment and attribute model
 * (`src/detect/blazeface.ts`, `src/align`, `src/attributes/model.ts`) behind the browser seams —
 * onnxruntime-web ({@link loadWebModel}), the CLI's own JavaScript resampling ({@link portableImageOps}: the same
 * pixels as in Node) and
 * `createImageBitmap` decoding ({@link decodeImageBlob}). Produces the same {@link PhotoResult} records as
 * `facetally tag`.
 */

import { alignFace } from '../align/index.js';
import { AttributeModel, ModelOutputError } from '../attributes/model.js';
import { parseSidecar, type Sidecar } from '../attributes/sidecar.js';
import { BlazeFaceDetector, type DetectOptions } from '../detect/blazeface.js';
import type { Detection, Face, PhotoResult } from '../types.js';
import { BROWSER_DEFAULT_MAX_PIXELS, BrowserDecodeError, decodeImageBlob } from './decode.js';
import { portableImageOps } from '../image/resample.js';
import { configureOrt, loadWebModel } from './runner.js';
import { faceRecord, failureRecord } from '../pipeline/records.js';

/** Where the local server serves the models and the runtime (see `src/server/serve.ts`). */
export interface ModelUrls {
  /** URL path of onnxruntime-web's .wasm/.mjs files, ending in '/'; default: the asset bundled by Vite. */
  ortBase?: string;
  blazefaceBack: string;
  blazefaceFront: string;
  /** The attribute model's sidecar; its ONNX file is `sidecar.model` beside it. */
  attributesSidecar: string;
}

/** The URLs served by `facetally serve`. */
export const DEFAULT_MODEL_URLS: ModelUrls = {
  blazefaceBack: '/models/blazeface/face_detection_back_dynamic.onnx',
  blazefaceFront: '/models/blazeface/face_detection_front_128x128_barracuda.onnx',
  attributesSidecar: '/models/attributes/attributes.json',
};

/** Options of the browser pipeline (the CLI's defaults). */
export interface WebTagOptions extends DetectOptions {
  /** Refuse photos over this many pixels before decoding. Default 100 megapixels. */
  maxPixels?: number;
}

/**
 * Models loaded once (in a Web Worker) and reused for every photo.
 * @example
 * const tagger = await WebTagger.create();
 * const record = await tagger.tagBlob(file, 'holiday/IMG_0001.jpg');
 */
export class WebTagger {
  private constructor(
    readonly detector: BlazeFaceDetector,
    readonly attributes: AttributeModel,
    readonly options: WebTagOptions,
  ) {}

  /**
   * Fetch the sidecar and the three ONNX models from the local server and open them.
   * @throws Error naming the model that could not be fetched or loaded.
   */
  static async create(urls: ModelUrls = DEFAULT_MODEL_URLS, options: WebTagOptions = {}): Promise<WebTagger> {
    configureOrt(urls.ortBase);
    const sidecar = await fetchSidecar(urls.attributesSidecar);
    // The ONNX file named by the sidecar, beside the sidecar (absolute: the models may live on another origin).
    const modelUrl = new URL(sidecar.model, new URL(urls.attributesSidecar, self.location.href)).href;
    const [back, front, attr] = await Promise.all([
      loadWebModel(urls.blazefaceBack, 'BlazeFace (full range)'),
      loadWebModel(urls.blazefaceFront, 'BlazeFace (short range)'),
      loadWebModel(modelUrl, `attribute model ${sidecar.model}`),
    ]);
    return new WebTagger(new BlazeFaceDetector(back, front, portableImageOps), new AttributeModel(sidecar, attr, portableImageOps), options);
  }

  /** The attribute model's sidecar (names, thresholds, validation counts). */
  get sidecar(): Sidecar {
    return this.attributes.sidecar;
  }

  /**
   * Tag one photo. Never throws for a bad photo: it becomes a record with `faces: []` and `error: {code, message}`
   * (the CLI's codes; see {@link BrowserDecodeError}).
   * @param path the name shown to the user and written in the record (e.g. a folder-relative path).
   */
  async tagBlob(blob: Blob, path: string): Promise<PhotoResult> {
    let image;
    try {
      image = await decodeImageBlob(blob, path, this.options.maxPixels ?? BROWSER_DEFAULT_MAX_PIXELS);
    } catch (err) {
      return browserErrorRecord(path, err);
    }
    try {
      const detections = await this.detector.detect(image, this.options);
      const aligned = detections.map((d) => alignFace(image, d));
      const preds = await this.attributes.predict(aligned.map((a) => a.crop));
      const faces: Face[] = [];
      for (let i = 0; i < detections.length; i++) {
        const upright = await this.detector.uprightKeypoints(image, detections[i]);
        faces.push(faceRecord(detections[i], aligned[i].crop, preds[i], upright ?? undefined));
      }
      return { path, width: image.width, height: image.height, faces, error: null };
    } catch (err) {
      return { ...browserErrorRecord(path, err), width: image.width, height: image.height };
    }
  }
}

/** Fetch and validate the attribute model's sidecar. @throws Error naming the URL and the problem. */
export async function fetchSidecar(url: string): Promise<Sidecar> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`attribute model sidecar ${url}: HTTP ${res.status}`);
  return parseSidecar(await res.json(), url);
}

/** The record of a photo that produced no result (decode errors keep their code; anything else is `internal_error`). */
export function browserErrorRecord(path: string, err: unknown): PhotoResult {
  const named = err instanceof ModelOutputError ? new ModelOutputError(`${path}: ${err.message}`) : err;
  return failureRecord(path, named, (e): e is BrowserDecodeError | ModelOutputError => e instanceof BrowserDecodeError || e instanceof ModelOutputError);
}

