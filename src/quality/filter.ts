import { MEASURED_RULE } from './measured.js';
import type { Face } from '../types.js';

/**
 * A quality rule: the faces it keeps. Unset bounds do not filter. Faces whose records carry no `quality`/`pose`
 * (written before issue 14) cannot be judged: {@link qualityExclusions} throws for them when a bound is set.
 */
export interface QualityRule {
  /** Keep faces whose eyes are at least this many photo pixels apart (`quality.eye_distance`). */
  minEyeDistance?: number;
  /** Keep faces with `quality.sharpness` at least this (dimensionless, 0–64). */
  minSharpness?: number;
  /** Keep faces with |`pose.yaw`| at most this many degrees. */
  maxYaw?: number;
  /**
   * Keep faces with |`pose.roll`| at most this many degrees. Alignment undoes in-plane rotation, but BlazeFace's
   * first-pass keypoints, which the alignment uses, fail on faces turned far in the photo plane (measured: −12.9
   * points of accuracy at 90°).
   */
  maxRoll?: number;
  /** Keep faces with `quality.brightness` at least this (0–1). */
  minBrightness?: number;
  /** Keep faces with `quality.brightness` at most this (0–1). */
  maxBrightness?: number;
}

/** The filters of a rule, named as their CLI options. */
export type QualityFilterName = 'min-eye-distance' | 'min-sharpness' | 'max-yaw' | 'max-roll' | 'min-brightness' | 'max-brightness';
/** Every filter, in the order reasons are given. */
export const QUALITY_FILTER_NAMES: readonly QualityFilterName[] = ['min-eye-distance', 'min-sharpness', 'max-yaw', 'max-roll', 'min-brightness', 'max-brightness'];

const RULE_KEYS = ['minEyeDistance', 'minSharpness', 'maxYaw', 'maxRoll', 'minBrightness', 'maxBrightness'] as const;

/**
 * `--quality default`: the rule measured on CelebA-HQ validation faces degraded in controlled steps
 * (scripts/quality-accuracy.ts, generated into `measured.ts`; numbers in models/celeba-attributes/MODEL_CARD.md,
 * "Accuracy against face quality"): each bound keeps mean attribute accuracy within 1 point of the undegraded faces.
 */
export const DEFAULT_QUALITY_RULE: Readonly<Required<QualityRule>> = { ...MEASURED_RULE };

/** True when the rule sets at least one bound. */
export function isActiveRule(rule: QualityRule | undefined): rule is QualityRule {
  return !!rule && RULE_KEYS.some((k) => rule[k] !== undefined);
}

/** One reason a face was left out: the filter, the face's value and the bound. */
export interface QualityExclusion {
  filter: QualityFilterName;
  value: number;
  limit: number;
}

/**
 * Which filters of `rule` leave `face` out (empty: the face is kept), in the order min-eye-distance, min-sharpness,
 * max-yaw, max-roll, min-brightness, max-brightness. Values at the bound are kept.
 * @throws Error when a bound is set and the face has no quality or pose (a record written before issue 14).
 */
export function qualityExclusions(face: Pick<Face, 'quality' | 'pose'>, rule: QualityRule): QualityExclusion[] {
  const out: QualityExclusion[] = [];
  if ((rule.minEyeDistance !== undefined || rule.minSharpness !== undefined || rule.minBrightness !== undefined || rule.maxBrightness !== undefined) && !face.quality) {
    throw new Error('a face record has no "quality" (written by a facetally older than the quality filters); tag the photos again');
  }
  if ((rule.maxYaw !== undefined || rule.maxRoll !== undefined) && !face.pose) throw new Error('a face record has no "pose" (written by a facetally older than the quality filters); tag the photos again');
  if (rule.minEyeDistance !== undefined && face.quality!.eye_distance < rule.minEyeDistance) {
    out.push({ filter: 'min-eye-distance', value: face.quality!.eye_distance, limit: rule.minEyeDistance });
  }
  if (rule.minSharpness !== undefined && face.quality!.sharpness < rule.minSharpness) {
    out.push({ filter: 'min-sharpness', value: face.quality!.sharpness, limit: rule.minSharpness });
  }
  if (rule.maxYaw !== undefined && Math.abs(face.pose!.yaw) > rule.maxYaw) out.push({ filter: 'max-yaw', value: face.pose!.yaw, limit: rule.maxYaw });
  if (rule.maxRoll !== undefined && Math.abs(face.pose!.roll) > rule.maxRoll) out.push({ filter: 'max-roll', value: face.pose!.roll, limit: rule.maxRoll });
  if (rule.minBrightness !== undefined && face.quality!.brightness < rule.minBrightness) {
    out.push({ filter: 'min-brightness', value: face.quality!.brightness, limit: rule.minBrightness });
  }
  if (rule.maxBrightness !== undefined && face.quality!.brightness > rule.maxBrightness) {
    out.push({ filter: 'max-brightness', value: face.quality!.brightness, limit: rule.maxBrightness });
  }
  return out;
}

/** A reason in words, e.g. "min-eye-distance: 8.2 < 11", "max-yaw: |-52.1| > 40", "max-brightness: 0.93 > 0.85". */
export function formatExclusion(e: QualityExclusion): string {
  if (e.filter === 'max-yaw' || e.filter === 'max-roll') return `${e.filter}: |${e.value}| > ${e.limit}`;
  return e.filter.startsWith('max') ? `${e.filter}: ${e.value} > ${e.limit}` : `${e.filter}: ${e.value} < ${e.limit}`;
}

/**
 * The rule of the CLI options: `--quality default` gives {@link DEFAULT_QUALITY_RULE}, and each explicit bound
 * replaces the default's (so `--quality default --max-yaw 60` loosens only the yaw bound).
 * @throws Error when `quality` is neither undefined, "default" nor "none".
 */
export function resolveQualityRule(o: { quality?: string } & QualityRule): QualityRule | undefined {
  if (o.quality !== undefined && o.quality !== 'default' && o.quality !== 'none') throw new Error(`--quality: expected "default" or "none" but received "${o.quality}"`);
  const base: QualityRule = o.quality === 'default' ? { ...DEFAULT_QUALITY_RULE } : {};
  for (const k of RULE_KEYS) if (o[k] !== undefined) base[k] = o[k];
  if (base.minBrightness !== undefined && base.maxBrightness !== undefined && base.minBrightness > base.maxBrightness) {
    throw new Error(`--min-brightness ${base.minBrightness} is above --max-brightness ${base.maxBrightness}: no face could pass`);
  }
  return isActiveRule(base) ? base : undefined;
}

/** The rule as CLI options, e.g. "--min-eye-distance 11 --min-sharpness 0.02 --max-yaw 40" (for provenance and reports). */
export function describeRule(rule: QualityRule): string {
  return RULE_KEYS.filter((k) => rule[k] !== undefined)
    .map((k) => `--${QUALITY_FILTER_NAMES[RULE_KEYS.indexOf(k)]} ${rule[k]}`)
    .join(' ');
}

/**
 * The record with each face that fails `rule` marked: `excluded` holds the reasons ({@link formatExclusion}),
 * placed after `quality`; faces that pass are unchanged. Returns the record itself when `rule` is undefined.
 * @throws Error as {@link qualityExclusions}.
 */
export function markExcluded<T extends { faces: Face[] }>(rec: T, rule: QualityRule | undefined): T {
  if (!rule) return rec;
  return {
    ...rec,
    faces: rec.faces.map((f) => {
      const why = qualityExclusions(f, rule);
      if (!why.length) return f;
      const { attributes, decisions, ...head } = f;
      return { ...head, excluded: why.map(formatExclusion), attributes, decisions };
    }),
  };
}
