/** Placeholder until scripts/quality-accuracy.ts report writes the measured rule. */
import type { MeasuredRelation } from './relation.js';
export const MEASURED_RULE = { minEyeDistance: 0, minSharpness: 0, maxYaw: 90, minBrightness: 0, maxBrightness: 1 } as const;
export const MEASURED_RELATION: MeasuredRelation = { source: '', referenceAccuracy: 0, bins: { eye_distance: [], sharpness: [], brightness: [], abs_yaw: [] } };
