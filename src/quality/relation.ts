/** A measure of {@link MeasuredRelation}: three quality measures and the absolute yaw and roll. */
export type RelationMeasure = 'eye_distance' | 'sharpness' | 'brightness' | 'abs_yaw' | 'abs_roll';

/**
 * The measured relation between face quality and the attribute model's mean accuracy (scripts/quality-accuracy.ts,
 * CelebA-HQ validation): for each measure, bins `[lo, hi)` (`hi` null = open) with the mean accuracy change
 * `loss` (a fraction, ≤ 0 when accuracy falls; −0.02 = two points) of faces in the bin against the same faces
 * undegraded (for `abs_yaw`: against all undegraded faces). Bins with fewer than 25 faces carry loss 0 (too few
 * faces to measure it).
 */
export interface MeasuredRelation {
  source: string;
  /** Mean accuracy (fraction) of the undegraded faces. */
  referenceAccuracy: number;
  bins: Record<RelationMeasure, { lo: number; hi: number | null; n: number; loss: number }[]>;
}
