/**
 * facetally's library API.
 *
 * @example
 * import { tag, tagFiles } from 'facetally';
 * const records = await tag(['photos/']);           // the records of `facetally tag`, on all cores
 * for (const r of records) console.log(r.path, r.sha256, r.faces.map((f) => f.decisions.Smiling));
 * for await (const r of tagFiles(['more/'], { workers: 2 })) console.log(r.path);   // streamed
 */
export * from './types.js';
export { tag, tagFiles, type TagFilesOptions, type TagRecord } from './pipeline/library.js';
export { Tagger, type TagOptions, type DetectedPhoto } from './pipeline/tag.js';
export { tagFilesParallel, TaggerPool, defaultWorkers, type ParallelTagOptions, type PoolOptions, type HashedRecord } from './pipeline/pool.js';
export { cropFiles, cropName, type CropManifestLine, type CropOptions } from './pipeline/crop.js';
export { listPhotos, IMAGE_EXTENSIONS } from './pipeline/files.js';
export { decodeImageFile, decodeImageBuffer, DecodeError, DEFAULT_MAX_PIXELS, type RgbImage, type DecodeOptions, type DecodeErrorCode } from './image/decode.js';
export { BlazeFaceDetector, DEFAULT_DETECT_OPTIONS, type DetectOptions, weightedNonMaxSuppression, iou, decodeHead } from './detect/index.js';
export { createDetector, blazefaceModelPaths } from './detect/load-node.js';
export { alignFace, alignmentTransform, estimateSimilarity, applySimilarity, invertSimilarity, warpSimilarity, edgeMapToCentreMap, TEMPLATE_POINTS, TEMPLATE_WIDTH, TEMPLATE_HEIGHT, type Similarity, type AlignedFace } from './align/index.js';
export { AttributeModel, type AttributePrediction } from './attributes/model.js';
export { loadAttributeModel, DEFAULT_MODEL_DIR } from './attributes/load-node.js';
export type { ImageOps } from './image/ops.js';
export { portableImageOps, resampleRgb } from './image/resample.js';
export type { ModelRunner, FloatTensor, InputTensor } from './runtime/onnx.js';
export { CELEBA_ATTRIBUTES, type CelebaAttribute } from './attributes/names.js';
export { parseSidecar, type Sidecar } from './attributes/sidecar.js';
export { renderOverlay } from './draw/overlay.js';
export { estimateHeadPose, measureFaceQuality, HEAD_MODEL, QUALITY_REGION } from './quality/index.js';
