/**
 * From photo records to face observations for the comparison: group assignment, the second factor and the
 * input summary. Pure (no file system), so the CLI (`inputs.ts`) and the web app share it.
 */

import { qualityExclusions, type QualityRule } from '../quality/filter.js';
import type { FaceQuality, HeadPose, PhotoResult } from '../types.js';
import type { FaceObservation } from './compare.js';

/** A problem with the user's input (exit code 1 in the CLI). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How each photo's faces are assigned to a group and a level of the second factor. */
export interface Assignment {
  group: string;
  /** Manifest columns of the photo, for `--by`. */
  columns?: Record<string, string>;
}

/** How to derive the second factor. */
export type SecondFactor = { kind: 'none' } | { kind: 'column'; column: string } | { kind: 'attribute'; attribute: string };

/** Counts of what went into the comparison. */
export interface InputSummary {
  /** Photos per group (including unreadable ones and photos without faces). */
  photos: Record<string, number>;
  /** Photos per group that could not be read. */
  unreadable: Record<string, number>;
  /** Faces per group kept (score >= minScore). */
  faces: Record<string, number>;
  /** Faces dropped for a detector score below minScore. */
  lowScoreFaces: number;
  /**
   * Faces per group left out by the quality rule (each face once, whatever the number of reasons); empty when no
   * rule was given.
   */
  qualityExcluded: Record<string, number>;
  /** Per group, per filter (e.g. "min-eye-distance"): faces that failed it (a face failing two filters counts in both). */
  qualityExcludedBy: Record<string, Record<string, number>>;
  /** Unreadable photos: path and error message. */
  errors: { path: string; code: string; message: string }[];
}

/** compare.csv's `panel` value for the panel of all faces; no `--by` level may be named so. */
export const ALL_PANEL = 'all';

/**
 * Flatten photo records into face observations.
 *
 * @param photos records with their assignment (photos without an assignment must be filtered out before)
 * @param factor the second factor: a manifest column (`--by`), a predicted attribute
 *   (`--split-by-attribute`; level "<name>" or "not <name>"), or none
 * @param minScore faces with a detector score below this are left out
 * @param labelsOf hand labels of face `face` (index in the record) of a photo, if any (two-phase estimation)
 * @param clusterColumn manifest column whose value is each face's cluster (`--cluster`)
 * @param rule quality filters (see `src/quality/filter.ts`); faces that fail them are left out and counted per
 *   group and filter
 * @returns the observations, the summary, and the pose, quality and detector score of every kept face (for the
 *   report's quality section; faces of records without them are not listed)
 * @throws UsageError when the attribute of `--split-by-attribute` is missing from a face's decisions, a photo has
 *   no value in `clusterColumn`, a rule is given and a face record has no quality or pose, or a `--by` level is
 *   named "all" (compare.csv's name for the all-faces panel)
 */
export function toObservations(
  photos: readonly { photo: PhotoResult; assignment: Assignment }[],
  factor: SecondFactor,
  minScore: number,
  groups: readonly string[],
  labelsOf?: (photo: PhotoResult, face: number) => Record<string, boolean> | undefined,
  clusterColumn?: string,
  rule?: QualityRule,
): { faces: FaceObservation[]; summary: InputSummary; measured: { group: string; quality: FaceQuality; pose: HeadPose; score: number }[] } {
  const zero = () => Object.fromEntries(groups.map((g) => [g, 0])) as Record<string, number>;
  const summary: InputSummary = { photos: zero(), unreadable: zero(), faces: zero(), lowScoreFaces: 0, qualityExcluded: {}, qualityExcludedBy: {}, errors: [] };
  const faces: FaceObservation[] = [];
  const measured: { group: string; quality: FaceQuality; pose: HeadPose; score: number }[] = [];
  for (const { photo, assignment } of photos) {
    const g = assignment.group;
    summary.photos[g] = (summary.photos[g] ?? 0) + 1;
    if (photo.error) {
      summary.unreadable[g] = (summary.unreadable[g] ?? 0) + 1;
      summary.errors.push({ path: photo.path, code: photo.error.code, message: photo.error.message });
      continue;
    }
    for (const [k, face] of photo.faces.entries()) {
      if (typeof face.score === 'number' && face.score < minScore) {
        summary.lowScoreFaces++;
        continue;
      }
      if (rule) {
        let why;
        try {
          why = qualityExclusions(face, rule);
        } catch (err) {
          throw new UsageError(`${photo.path}: ${(err as Error).message}`);
        }
        if (why.length) {
          summary.qualityExcluded[g] = (summary.qualityExcluded[g] ?? 0) + 1;
          const by = (summary.qualityExcludedBy[g] ??= {});
          for (const w of why) by[w.filter] = (by[w.filter] ?? 0) + 1;
          continue;
        }
      }
      let level: string | null = null;
      if (factor.kind === 'column') {
        level = assignment.columns?.[factor.column] || null;
        if (level === ALL_PANEL) {
          throw new UsageError(`${photo.path}: the ${factor.column} column has a level named "${ALL_PANEL}", which is the name of the all-faces panel in compare.csv; rename that level`);
        }
      } else if (factor.kind === 'attribute') {
        const d = face.decisions[factor.attribute];
        if (d === undefined) throw new UsageError(`${photo.path}: a face has no decision for ${factor.attribute}`);
        level = d ? factor.attribute : `not ${factor.attribute}`;
      }
      summary.faces[g] = (summary.faces[g] ?? 0) + 1;
      const labels = labelsOf?.(photo, k);
      const obs: FaceObservation = { group: g, level, decisions: face.decisions };
      if (labels) obs.labels = labels;
      if (clusterColumn) {
        const c = assignment.columns?.[clusterColumn];
        if (!c) throw new UsageError(`${photo.path}: no ${clusterColumn} in the manifest (--cluster ${clusterColumn} needs one for every photo)`);
        obs.cluster = c;
      }
      faces.push(obs);
      if (face.quality && face.pose) measured.push({ group: g, quality: face.quality, pose: face.pose, score: face.score });
    }
  }
  return { faces, summary, measured };
}
