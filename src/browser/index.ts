/**
 * facetally in the browser (`import … from 'facetally/browser'`): the CLI's detect → align → attributes pipeline
 * on onnxruntime-web (WebAssembly), as the web app of `facetally serve` runs it. Nothing here imports sharp,
 * onnxruntime-node or a Node built-in (checked by `test/browser/bundle.test.ts`).
 *
 * Needs `onnxruntime-web` (an optional peer dependency: `npm install onnxruntime-web`) and the model files, which ship
 * in this package under `facetally/models/…`: serve them from your site (with Vite, `?url` imports copy them into the
 * build) and pass their URLs to {@link WebTagger.create}. Runs on the main thread or in a Web Worker (recommended:
 * a photo takes tens to hundreds of milliseconds).
 *
 * @example
 * import { WebTagger } from 'facetally/browser';
 * import back from 'facetally/models/blazeface/face_detection_back_dynamic.onnx?url';
 * import front from 'facetally/models/blazeface/face_detection_front_128x128_barracuda.onnx?url';
 * // attributes.json names its ONNX file (attributes.onnx), which must be served beside it:
 * const tagger = await WebTagger.create({ blazefaceBack: back, blazefaceFront: front, attributesSidecar: '/models/attributes.json' });
 * const record = await tagger.tagBlob(file, file.name);   // the same record as `facetally tag` (without sha256)
 */
export * from '../types.js';
export type { RgbImage, DecodeErrorCode } from '../image/rgb.js';
export { DEFAULT_MAX_PIXELS } from '../image/rgb.js';
export { WebTagger, DEFAULT_MODEL_URLS, fetchSidecar, browserErrorRecord, type ModelUrls, type WebTagOptions } from './pipeline.js';
export { decodeImageBlob, checkEncodedImage, BrowserDecodeError, BROWSER_DEFAULT_MAX_PIXELS, rgbaToRgb, rgbToRgba } from './decode.js';
export { canvasImageOps, canvasResize } from './ops.js';
export { portableImageOps, resampleRgb } from '../image/resample.js';
export { configureOrt, loadWebModel } from './runner.js';
export { BlazeFaceDetector, DEFAULT_DETECT_OPTIONS, type DetectOptions, weightedNonMaxSuppression, iou, decodeHead } from '../detect/index.js';
export { alignFace, alignmentTransform, estimateSimilarity, applySimilarity, invertSimilarity, warpSimilarity, TEMPLATE_POINTS, TEMPLATE_WIDTH, TEMPLATE_HEIGHT, type Similarity, type AlignedFace } from '../align/index.js';
export { AttributeModel, type AttributePrediction } from '../attributes/model.js';
export { CELEBA_ATTRIBUTES, type CelebaAttribute } from '../attributes/names.js';
export { parseSidecar, type Sidecar } from '../attributes/sidecar.js';
export type { ImageOps } from '../image/ops.js';
export type { ModelRunner, FloatTensor, InputTensor } from '../runtime/onnx.js';
