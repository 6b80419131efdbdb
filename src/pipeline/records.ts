import type { RgbImage } from '../image/rgb.js';
import { estimateHeadPose } from '../quality/pose.js';
import { measureFaceQuality } from '../quality/measures.js';
import type { AttributeDecisions, AttributeScores, Detection, Face, FaceQuality, HeadPose, PhotoResult, Point } from '../types.js';

/**
 * Pure record helpers shared by the Node pipeline (`tag.ts`) and the browser pipeline (`src/browser/pipeline.ts`).
 */

/** Round pixel geometry to 0.01 px and scores to 1e-4 so records stay compact and stable. */
export function roundDetection(d: Detection): Detection {
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    box: { x: r2(d.box.x), y: r2(d.box.y), width: r2(d.box.width), height: r2(d.box.height) },
    score: Math.round(d.score * 1e4) / 1e4,
    landmarks: d.landmarks.map(([x, y]) => [r2(x), r2(y)]),
  };
}

/**
 * The record of a photo that produced no result: `faces: []`, and `error` with the decoder's stable code when
 * `isDecodeError(err)` says the error carries a stable code (decoding; a non-finite model output), else code `internal_error`; the message names `path`.
 */
export function failureRecord(path: string, err: unknown, isDecodeError: (e: unknown) => e is { code: string; message: string }): PhotoResult {
  const error = isDecodeError(err)
    ? { code: err.code, message: err.message }
    : { code: 'internal_error', message: `${path}: ${(err as Error)?.message ?? String(err)}` };
  return { path, width: null, height: null, faces: [], error };
}

/**
 * The record of one analysed face, fields in the documented order: box, score, landmarks (rounded as
 * {@link roundDetection}), pose, quality (from the aligned crop), attributes, decisions.
 * @param crop the face's aligned 178x218 crop (the attribute model's input).
 * @param poseLandmarks the keypoints the pose is estimated from: the detector's upright second look
 *   (`BlazeFaceDetector.uprightKeypoints`) where it found the face, else the detection's own.
 */
export function faceRecord(
  d: Detection,
  crop: RgbImage,
  pred: { attributes: AttributeScores; decisions: AttributeDecisions },
  poseLandmarks: readonly Point[] = d.landmarks,
): Face {
  return { ...roundDetection(d), ...faceMeasures(d, crop, poseLandmarks), attributes: pred.attributes, decisions: pred.decisions };
}

/**
 * Head pose and quality of one detected face, as every face record carries them: the pose from `poseLandmarks`
 * (the upright second look where the detector found the face, else the detection's own keypoints), the quality from
 * the aligned 178x218 crop and the detection's keypoints. Used by {@link faceRecord} and by `crop`'s quality filter.
 */
export function faceMeasures(d: Detection, crop: RgbImage, poseLandmarks: readonly Point[] = d.landmarks): { pose: HeadPose; quality: FaceQuality } {
  return { pose: estimateHeadPose(poseLandmarks), quality: measureFaceQuality(crop, d.landmarks) };
}
