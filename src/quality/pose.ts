import type { Point } from '../types.js';

/**
 * Head pose from the six BlazeFace keypoints (right eye, left eye, nose tip, mouth centre, right ear tragion,
 * left ear tragion; the subject's right/left), in degrees.
 *
 * Conventions (x right, y down in the photo; "right"/"left" are the subject's):
 * - `roll` in (-180, 180]: the angle of the eye line (right eye → left eye) against the photo's x axis. Positive =
 *   the face is turned clockwise as the photo is seen (the subject's left eye, on the photo's right, is lower).
 *   Exact for an in-plane rotation whatever the face's shape; measured error under 3° on photos rotated by
 *   known angles (test/quality/pose.test.ts).
 * - `yaw` in (-90, 90): positive = the nose points to the photo's right (the subject turned towards their own
 *   left). A mirrored photo gives the opposite sign.
 * - `pitch` in [-90, 90]: positive = chin up (the subject looks up).
 *
 * Method: the keypoints are first rotated by `-roll` about the eye midpoint (de-rolled). Under a scaled
 * orthographic camera and a generic head (see {@link HEAD_MODEL}), a yaw ψ moves the midpoint F of the eyes and
 * nose by `s·D·sin ψ` from the tragion midpoint T while the tragions' half span shrinks to `s·R·cos ψ`, so
 * `tan ψ = (F.x − T.x) / halfSpan · R / D`; with the scale `s = halfSpan / (R cos ψ)`, a pitch φ puts F at
 * `s·(h cos φ − D sin φ)` below T, solved for φ. Weak perspective: DeMenthon & Davis, "Model-based object pose
 * in 25 lines of code", IJCV 1995 (the scaled orthographic projection of POSIT).
 *
 * What is validated and what is not (docs/quality.md): roll is checked against known rotations; yaw's sign
 * (mirrored faces), its zero (frontal CelebA crops) and its order (frontal < three-quarter < profile sample
 * photos) are checked, but its magnitude rests on the anthropometric head model and was not compared with a
 * ground truth (none is available here): an error of 20% in R/D changes tan ψ by 20% (about 5° at 30°). Pitch
 * rests on the same model and the tragions' height, which BlazeFace guesses; it was not validated beyond its
 * median on CelebA validation faces and should be read as a coarse indicator. Beyond about ±60° yaw the far
 * tragion is hidden and BlazeFace places it by guess, so large yaws are underestimated.
 */
export interface HeadPose {
  /** Degrees, (-90, 90); positive = nose towards the photo's right. */
  yaw: number;
  /** Degrees, [-90, 90]; positive = chin up. Coarse: see the interface's doc. */
  pitch: number;
  /** Degrees, (-180, 180]; positive = clockwise as the photo is seen. */
  roll: number;
}

/**
 * The generic head of the pose estimate, in cm, tragion midpoint at the origin (adult means after Farkas,
 * "Anthropometry of the Head and Face", 2nd ed., 1994: bitragion width ~14.2 cm; upper and middle face depths
 * t–n ~11 cm and t–sn ~12 cm, from which the depths in front of the tragion line follow; pupils ~1.7 cm above and
 * the nose tip ~3 cm below the tragion line).
 */
export const HEAD_MODEL = {
  /** Half the bitragion width. */
  halfTragionSpan: 7.1,
  /** Depth of the eye centres in front of the tragion line. */
  eyeDepth: 7.5,
  /** Depth of the nose tip (pronasale) in front of the tragion line. */
  noseDepth: 11.2,
  /** Height of the eye centres below the tragion line (negative: above). */
  eyeDrop: -1.7,
  /** Height of the nose tip below the tragion line. */
  noseDrop: 3.0,
} as const;

const DEG = 180 / Math.PI;

/**
 * Estimate yaw, pitch and roll from the six keypoints (see {@link HeadPose} for conventions, method and limits).
 * Rounded to 0.1°.
 * @param landmarks the six BlazeFace keypoints in photo pixels, MediaPipe's order.
 * @throws RangeError when fewer than six keypoints are given or the eyes or tragions coincide.
 */
export function estimateHeadPose(landmarks: readonly Point[]): HeadPose {
  if (landmarks.length < 6) throw new RangeError(`expected 6 keypoints but received ${landmarks.length}`);
  const [re, le, nose, , rt, lt] = landmarks;
  const ex = le[0] - re[0];
  const ey = le[1] - re[1];
  if (ex === 0 && ey === 0) throw new RangeError('the two eye keypoints coincide');
  const rollRad = Math.atan2(ey, ex);
  // De-roll about the eye midpoint.
  const cx = (re[0] + le[0]) / 2;
  const cy = (re[1] + le[1]) / 2;
  const c = Math.cos(-rollRad);
  const s = Math.sin(-rollRad);
  const rot = ([x, y]: Point): Point => [c * (x - cx) - s * (y - cy), s * (x - cx) + c * (y - cy)];
  const n = rot(nose);
  const r = rot(rt);
  const l = rot(lt);
  // Eye midpoint is (0, 0) after de-rolling.
  const fx = n[0] / 2;
  const fy = n[1] / 2;
  const tx = (r[0] + l[0]) / 2;
  const ty = (r[1] + l[1]) / 2;
  const halfSpan = Math.abs(l[0] - r[0]) / 2;
  if (!(halfSpan > 0)) throw new RangeError('the two tragion keypoints coincide');
  const m = HEAD_MODEL;
  const depth = (m.eyeDepth + m.noseDepth) / 2;
  const drop = (m.eyeDrop + m.noseDrop) / 2;
  const yawRad = Math.atan(((fx - tx) / halfSpan) * (m.halfTragionSpan / depth));
  const scale = halfSpan / (m.halfTragionSpan * Math.cos(yawRad)); // px per cm
  const rho = Math.hypot(drop, depth);
  const ratio = Math.max(-1, Math.min(1, (fy - ty) / scale / rho));
  const pitchRad = Math.atan2(drop, depth) - Math.asin(ratio);
  const r1 = (v: number) => Math.round(v * 10) / 10 + 0; // + 0 turns -0 into 0
  return { yaw: r1(yawRad * DEG), pitch: r1(pitchRad * DEG), roll: r1(rollRad * DEG) };
}
