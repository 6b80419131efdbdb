/**
 * The face detector, platform-neutral: BlazeFace over an image pyramid, anchor decoding and weighted non-maximum
 * suppression. Nothing here imports sharp, onnxruntime-node or a Node built-in (the browser entry uses it);
 * the Node factory that loads the shipped models is {@link createDetector} in `./load-node.ts`.
 */
export { BlazeFaceDetector, DEFAULT_DETECT_OPTIONS, type DetectOptions } from './blazeface.js';
export { weightedNonMaxSuppression, iou } from './nms.js';
export { DEFAULT_PYRAMID, LEGACY_PYRAMID, planPyramid, pyramidPixels, type PyramidLevel, type PyramidOptions } from './pyramid.js';
export { decodeHead } from './decode.js';
export { anchorCentres, BLAZEFACE_HEADS, headsForInput } from './anchors.js';
