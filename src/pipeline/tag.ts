import { alignFace, type AlignedFace } from '../align/index.js';
import { ModelOutputError, type AttributeModel } from '../attributes/model.js';
import { DEFAULT_MODEL_DIR, loadAttributeModel } from '../attributes/load-node.js';
import type { BlazeFaceDetector, DetectOptions } from '../detect/index.js';
import { createDetector, type DetectorPrecision } from '../detect/load-node.js';
import { DecodeError, decodeImageFile, type DecodeOptions, type RgbImage } from '../image/decode.js';
import type { Detection, Face, FaceQuality, HeadPose, PhotoResult } from '../types.js';
import { faceMeasures, faceRecord, failureRecord } from './records.js';

/** Options of the whole pipeline: decoding, detection, and which attribute model to use. */
export interface TagOptions extends DetectOptions, DecodeOptions {
  /** Folder with `attributes.json` + ONNX. Default: the model shipped in `models/celeba-attributes`. */
  modelDir?: string;
  /** onnxruntime intra-op threads per model. Default 1. */
  threads?: number;
  /**
   * Which full-range BlazeFace runs: `float` or `int8` (the quantised copy). Default `$FACETALLY_DETECTOR`, else
   * `float` (see createDetector). The choice is in the provenance's `detector_sha256`.
   */
  detectorPrecision?: DetectorPrecision;
}

/**
 * Check the numeric pipeline options before any model loads, so that a bad value is one clear error instead of an
 * `internal_error` record for every photo: `scoreThreshold`, `iouThreshold`, `verifyThreshold` in [0, 1];
 * `minFaceSize` and `maxPixels` positive and finite; `threads` a positive integer. Unset options are fine (defaults).
 * @throws RangeError naming the option and the value.
 */
export function checkTagOptions(options: TagOptions): void {
  for (const k of ['scoreThreshold', 'iouThreshold', 'verifyThreshold'] as const) {
    const v = options[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw new RangeError(`expected a number in [0, 1] for ${k} but received ${v}`);
  }
  for (const k of ['minFaceSize', 'maxPixels'] as const) {
    const v = options[k];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new RangeError(`expected a positive number for ${k} but received ${v}`);
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new RangeError(`expected a positive integer for threads but received ${options.threads}`);
  }
}

/** A photo decoded and its faces detected and aligned, before attributes. */
export interface DetectedPhoto {
  image: RgbImage;
  faces: { detection: Detection; aligned: AlignedFace }[];
}

/**
 * The photo → record pipeline: decode (sharp) → detect (BlazeFace, tiled pyramid) → align (similarity
 * transform into the CelebA frame) → attributes (ONNX). Models load once in {@link Tagger.create} and are reused;
 * {@link Tagger.close} frees their onnxruntime sessions (three: about 12 MB of native memory with the 5 MB v3 attribute model, more with a larger one), which the garbage
 * collector does not do: call it when done, or hold the tagger with `await using`.
 */
export class Tagger implements AsyncDisposable {
  private closing: Promise<void> | null = null;

  private constructor(
    readonly detector: BlazeFaceDetector,
    readonly attributes: AttributeModel | null,
    readonly options: TagOptions,
  ) {}

  /**
   * Load the detector and, unless `withAttributes` is false, the attribute model.
   * @throws Error naming the model file when a model cannot be loaded; RangeError for an option out of range
   *   ({@link checkTagOptions}).
   */
  static async create(options: TagOptions = {}, withAttributes = true): Promise<Tagger> {
    checkTagOptions(options);
    const detector = await createDetector({ threads: options.threads, precision: options.detectorPrecision });
    const attributes = withAttributes ? await loadAttributeModel(options.modelDir ?? DEFAULT_MODEL_DIR, { threads: options.threads }) : null;
    return new Tagger(detector, attributes, options);
  }

  /**
   * The same models with other detector/decoder settings (`modelDir`, `threads` and `detectorPrecision` are kept:
   * the models are not reloaded). Used by a distributed worker, which applies each run's settings to the models it
   * loaded once.
   * The returned tagger shares this one's sessions: close only the tagger from {@link Tagger.create}.
   */
  withOptions(options: TagOptions): Tagger {
    return new Tagger(this.detector, this.attributes, { ...this.options, ...options, modelDir: this.options.modelDir, threads: this.options.threads, detectorPrecision: this.options.detectorPrecision });
  }

  /**
   * Release the detector's and the attribute model's onnxruntime sessions. Idempotent; the tagger (and every
   * {@link Tagger.withOptions} view of it) must not be used afterwards (onnxruntime refuses a released session).
   */
  close(): Promise<void> {
    this.closing ??= Promise.all([this.detector.release(), this.attributes?.release()]).then(() => undefined);
    return this.closing;
  }

  /** The same as {@link Tagger.close}, for `await using tagger = await Tagger.create()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Decode, detect and align one photo. @throws DecodeError for unreadable photos. */
  async detectFile(path: string): Promise<DetectedPhoto> {
    const image = await decodeImageFile(path, this.options);
    return this.detectImage(image);
  }

  /** Detect and align faces in decoded pixels. Faces come sorted by descending detector score. */
  async detectImage(image: RgbImage): Promise<DetectedPhoto> {
    const detections = await this.detector.detect(image, this.options);
    return { image, faces: detections.map((detection) => ({ detection, aligned: alignFace(image, detection) })) };
  }

  /**
   * Head pose (from the detector's upright second look, see `BlazeFaceDetector.uprightKeypoints`) and quality (from
   * the aligned crop) of one detected face, as every face record carries them.
   */
  async measureFace(image: RgbImage, face: { detection: Detection; aligned: AlignedFace }): Promise<{ pose: HeadPose; quality: FaceQuality }> {
    const upright = await this.detector.uprightKeypoints(image, face.detection);
    return faceMeasures(face.detection, face.aligned.crop, upright ?? undefined);
  }

  /** Full analysis of decoded pixels: faces with their pose, quality and 40 attributes. @throws Error when no attribute model was loaded. */
  async analyzeImage(image: RgbImage): Promise<Face[]> {
    if (!this.attributes) throw new Error('Tagger was created without an attribute model');
    const { faces } = await this.detectImage(image);
    const preds = await this.attributes.predict(faces.map((f) => f.aligned.crop));
    const out: Face[] = [];
    for (let i = 0; i < faces.length; i++) {
      const upright = await this.detector.uprightKeypoints(image, faces[i].detection);
      out.push(faceRecord(faces[i].detection, faces[i].aligned.crop, preds[i], upright ?? undefined));
    }
    return out;
  }

  /**
   * Tag one photo. Never throws for a bad photo: unreadable input becomes a record with `faces: []` and
   * `error: {code, message}` (codes: see DecodeErrorCode, plus `invalid_model_output` when the attribute model returns NaN, and `internal_error`).
   * @param readPath read the file from here instead (the record and its messages still name `path`).
   */
  async tagFile(path: string, readPath: string = path): Promise<PhotoResult> {
    let image: RgbImage;
    try {
      image = await decodeImageFile(readPath, this.options, path);
    } catch (err) {
      return errorRecord(path, err);
    }
    try {
      const faces = await this.analyzeImage(image);
      return { path, width: image.width, height: image.height, faces, error: null };
    } catch (err) {
      return { ...errorRecord(path, err), width: image.width, height: image.height };
    }
  }
}

/** A record for a photo that produced no result (decode errors and invalid model outputs keep their codes; anything else is `internal_error`). */
export function errorRecord(path: string, err: unknown): PhotoResult {
  const named = err instanceof ModelOutputError ? new ModelOutputError(`${path}: ${err.message}`) : err;
  return failureRecord(path, named, (e): e is DecodeError | ModelOutputError => e instanceof DecodeError || e instanceof ModelOutputError);
}
