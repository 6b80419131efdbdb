/**
 * Per-face head pose and image quality (issue 14): pure functions shared by the Node pipeline and the browser
 * app. Units, ranges, method and what was validated: docs/quality.md.
 */
export { estimateHeadPose, HEAD_MODEL, type HeadPose } from './pose.js';
export { measureFaceQuality, QUALITY_REGION, type FaceQuality } from './measures.js';
