/**
 * The small typed records that facetally's modules exchange.
 *
 * Conventions (see docs/architecture.md):
 * - Coordinates are pixels of the EXIF-oriented image, origin top-left, x right, y down.
 * - Probabilities are in [0, 1]; a decision is `probability >= threshold[attribute]`.
 * - Attribute names are CelebA's exactly (Liu et al., "Deep Learning Face Attributes in the Wild", ICCV 2015).
 */

import type { FaceQuality } from './quality/measures.js';
import type { HeadPose } from './quality/pose.js';

export type { FaceQuality, HeadPose };

/** An axis-aligned box in pixels of the oriented image. `width` and `height` are >= 0. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A point `[x, y]` in pixels of the oriented image. */
export type Point = [number, number];

/**
 * The six BlazeFace keypoints, in MediaPipe's order: the subject's right eye, left eye,
 * nose tip, mouth centre, right ear tragion, left ear tragion. ("Right" is the subject's right,
 * which appears on the left of an unmirrored photo.)
 */
export const LANDMARK_NAMES = [
  'right_eye',
  'left_eye',
  'nose_tip',
  'mouth_center',
  'right_ear_tragion',
  'left_ear_tragion',
] as const;

/** One detected face before attributes: box, detector confidence in [0, 1], 6 landmarks. */
export interface Detection {
  box: Box;
  score: number;
  landmarks: Point[];
}

/** Attribute name → probability in [0, 1]. */
export type AttributeScores = Record<string, number>;
/** Attribute name → decision (probability >= the attribute's threshold). */
export type AttributeDecisions = Record<string, boolean>;

/** A face with its pose, quality and attributes, as written by `facetally tag`. */
export interface Face extends Detection {
  /**
   * Head pose in degrees, from the keypoints (see {@link HeadPose}; method and validation in docs/quality.md).
   * Written by every pipeline since issue 14; absent in records written before.
   */
  pose?: HeadPose;
  /** Image quality of the face (see {@link FaceQuality}); written by every pipeline since issue 14. */
  quality?: FaceQuality;
  /**
   * Set only when a quality rule was given (`--quality`, `--min-eye-distance`, …) and the face fails it: the
   * reasons, e.g. `["min-eye-distance: 8.2 < 11"]` (see `src/quality/filter.ts`). The face stays in the record.
   */
  excluded?: string[];
  attributes: AttributeScores;
  decisions: AttributeDecisions;
}

/** Why a photo produced no result: a stable machine-readable `code` and a message naming the file. */
export interface PhotoError {
  code: string;
  message: string;
}

/**
 * One record per photo. `faces` is empty when `error` is set. `width`/`height` are of the oriented image in pixels,
 * null when the photo could not be decoded (a photo decoded but failing later keeps its size).
 */
export interface PhotoResult {
  path: string;
  width: number | null;
  height: number | null;
  faces: Face[];
  error: PhotoError | null;
  /** SHA-256 of the file's bytes, hex (written by `facetally tag`; null when the file could not be read). */
  sha256?: string | null;
  /** The first path in this run with identical bytes, or null. Identical photos are reported, never merged. */
  duplicate_of?: string | null;
}
